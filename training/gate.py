"""The promotion gate: is a newly trained model at least as good as the one in service? (pure)

A report is what training.retrain writes to ``report.json``: ``{"nlu": <scripts/nlu_eval.py --json>,
"stories": {"total": n, "failed": k, "failed_stories": [...]}}``. The candidate is promoted only when every
rule holds:

- overall intent accuracy and intent macro-F1 not lower than the current model's;
- no intent's F1 lower than the current model's by more than ``MAX_INTENT_F1_DROP``;
- F1 of every code entity (CODE_ENTITIES) still 1.0;
- every test story passing.

Without a current model (nothing to compare with) only the last two rules apply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MAX_INTENT_F1_DROP = 0.05
CODE_ENTITIES = ("uscc", "application_id", "report_no", "verification_code")
# Figures are rounded to 4 places in the reports; a difference below this is the same figure.
EPSILON = 1e-9


@dataclass(frozen=True)
class Check:
    rule: str  # intent_accuracy | intent_macro_f1 | intent_f1 | code_f1 | stories
    passed: bool
    message: str  # Chinese, with the figures


@dataclass(frozen=True)
class Verdict:
    promote: bool
    checks: tuple[Check, ...]

    @property
    def reasons(self) -> list[str]:
        """Why it is refused (the failed checks), or, when promoted, what was checked."""
        failed = [c.message for c in self.checks if not c.passed]
        return failed or [c.message for c in self.checks]

    def to_dict(self) -> dict[str, Any]:
        return {"promote": self.promote, "reasons": self.reasons, "checks": [asdict(c) for c in self.checks]}


def _f(value: float) -> str:
    return f"{value:.4f}"


def _not_lower(rule: str, label: str, candidate: float, current: float) -> Check:
    if candidate + EPSILON >= current:
        return Check(rule, True, f"{label} {_f(candidate)}，不低于当前模型的 {_f(current)}")
    return Check(rule, False, f"{label} {_f(candidate)} 低于当前模型的 {_f(current)}")


def _intent_f1(candidate: dict[str, Any], current: dict[str, Any]) -> Check:
    cand, cur = candidate.get("per_intent", {}), current.get("per_intent", {})
    drops = []
    for intent in sorted(cur):
        before = float(cur[intent]["f1"])
        after = float(cand.get(intent, {}).get("f1", 0.0))
        if before - after > MAX_INTENT_F1_DROP + EPSILON:
            drops.append(f"{intent} {_f(before)} → {_f(after)}")
    if drops:
        return Check("intent_f1", False, f"以下意图的 F1 下降超过 {MAX_INTENT_F1_DROP}：" + "；".join(drops))
    return Check("intent_f1", True, f"没有意图的 F1 下降超过 {MAX_INTENT_F1_DROP}")


def _code_f1(candidate: dict[str, Any]) -> Check:
    entities = candidate.get("entities", {})
    below = []
    for name in CODE_ENTITIES:
        scores = entities.get(name)
        if scores is None or not scores.get("support"):
            below.append(f"{name}（评测集中没有该实体）")
        elif float(scores["f1"]) < 1.0 - EPSILON:
            below.append(f"{name} {_f(float(scores['f1']))}")
    if below:
        return Check("code_f1", False, "编码类实体的 F1 未达到 1.0：" + "；".join(below))
    return Check("code_f1", True, "编码类实体（" + "、".join(CODE_ENTITIES) + "）的 F1 均为 1.0")


def _stories(stories: dict[str, Any]) -> Check:
    total, failed = int(stories.get("total", 0)), int(stories.get("failed", 0))
    if total == 0:
        return Check("stories", False, "没有运行任何测试对话（tests/stories）")
    if failed:
        names = "、".join(stories.get("failed_stories", [])[:5])
        return Check("stories", False, f"{total} 个测试对话中有 {failed} 个未通过" + (f"：{names}" if names else ""))
    return Check("stories", True, f"{total} 个测试对话全部通过")


def judge(candidate: dict[str, Any], current: dict[str, Any] | None) -> Verdict:
    """The verdict on ``candidate``'s report against the report of the model in service (None: no model)."""
    nlu = candidate["nlu"]
    checks: list[Check] = []
    if current is not None:
        before = current["nlu"]
        checks.append(_not_lower("intent_accuracy", "意图准确率", nlu["intent_accuracy"], before["intent_accuracy"]))
        checks.append(_not_lower("intent_macro_f1", "意图宏平均 F1", nlu["intent_macro_f1"], before["intent_macro_f1"]))
        checks.append(_intent_f1(nlu, before))
    checks.append(_code_f1(nlu))
    checks.append(_stories(candidate["stories"]))
    return Verdict(all(c.passed for c in checks), tuple(checks))
