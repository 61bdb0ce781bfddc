"""The promotion gate's rules (training/gate.py), one by one, on reports shaped like training.retrain's."""

from __future__ import annotations

import copy
from typing import Any

from training.gate import CODE_ENTITIES, MAX_INTENT_F1_DROP, judge


def report(accuracy: float = 0.95, macro: float = 0.93, failed: int = 0, **f1: float) -> dict[str, Any]:
    per_intent = {"greet": 0.98, "query_credit": 0.96, "file_objection": 0.90} | f1
    return {
        "nlu": {
            "intent_accuracy": accuracy,
            "intent_macro_f1": macro,
            "per_intent": {name: {"f1": value, "support": 20} for name, value in per_intent.items()},
            "entities": {name: {"f1": 1.0, "support": 12} for name in CODE_ENTITIES},
        },
        "stories": {"total": 40, "failed": failed, "failed_stories": [f"story {i}" for i in range(failed)]},
    }


def failed_rules(candidate: dict[str, Any], current: dict[str, Any] | None) -> set[str]:
    return {c.rule for c in judge(candidate, current).checks if not c.passed}


def test_an_equal_model_is_promoted_and_says_what_was_checked() -> None:
    verdict = judge(report(), report())
    assert verdict.promote
    assert any("意图准确率 0.9500，不低于当前模型的 0.9500" in r for r in verdict.reasons)
    assert verdict.to_dict()["promote"] is True and len(verdict.to_dict()["checks"]) == 5


def test_a_better_model_is_promoted() -> None:
    assert judge(report(0.97, 0.95, greet=0.99), report()).promote


def test_lower_intent_accuracy_is_refused_with_both_figures() -> None:
    verdict = judge(report(accuracy=0.9412), report(accuracy=0.9595))
    assert not verdict.promote
    assert failed_rules(report(accuracy=0.9412), report(accuracy=0.9595)) == {"intent_accuracy"}
    assert verdict.reasons == ["意图准确率 0.9412 低于当前模型的 0.9595"]


def test_lower_macro_f1_is_refused() -> None:
    assert failed_rules(report(macro=0.92), report(macro=0.93)) == {"intent_macro_f1"}


def test_one_intent_may_lose_up_to_the_allowed_drop() -> None:
    allowed = report(file_objection=0.90 - MAX_INTENT_F1_DROP)
    assert judge(allowed, report()).promote


def test_one_intent_losing_more_than_the_allowed_drop_is_refused_by_name() -> None:
    candidate = report(file_objection=0.80)
    verdict = judge(candidate, report())
    assert failed_rules(candidate, report()) == {"intent_f1"}
    assert "file_objection 0.9000 → 0.8000" in verdict.reasons[0]


def test_an_intent_the_candidate_never_predicts_counts_as_f1_zero() -> None:
    candidate = report()
    del candidate["nlu"]["per_intent"]["greet"]
    assert failed_rules(candidate, report()) == {"intent_f1"}


def test_every_code_entity_must_keep_f1_one() -> None:
    for name in CODE_ENTITIES:
        candidate = report()
        candidate["nlu"]["entities"][name]["f1"] = 0.98
        verdict = judge(candidate, report())
        assert not verdict.promote
        assert verdict.reasons == [f"编码类实体的 F1 未达到 1.0：{name} 0.9800"]


def test_a_code_entity_missing_from_the_evaluation_is_refused() -> None:
    candidate = report()
    del candidate["nlu"]["entities"]["report_no"]
    assert "report_no（评测集中没有该实体）" in judge(candidate, report()).reasons[0]


def test_a_failing_test_story_is_refused_with_its_name() -> None:
    verdict = judge(report(failed=1), report())
    assert not verdict.promote
    assert verdict.reasons == ["40 个测试对话中有 1 个未通过：story 0"]


def test_no_story_run_is_refused() -> None:
    candidate = report()
    candidate["stories"] = {"total": 0, "failed": 0, "failed_stories": []}
    assert failed_rules(candidate, report()) == {"stories"}


def test_every_broken_rule_is_reported_at_once() -> None:
    candidate = report(accuracy=0.90, macro=0.85, failed=2, greet=0.5)
    candidate["nlu"]["entities"]["uscc"]["f1"] = 0.9
    verdict = judge(candidate, report())
    assert failed_rules(candidate, report()) == {
        "intent_accuracy",
        "intent_macro_f1",
        "intent_f1",
        "code_f1",
        "stories",
    }
    assert len(verdict.reasons) == 5


def test_without_a_current_model_only_the_absolute_rules_apply() -> None:
    assert judge(report(accuracy=0.5, macro=0.4), None).promote
    assert failed_rules(report(failed=1), None) == {"stories"}


def test_judging_does_not_touch_the_reports() -> None:
    candidate, current = report(accuracy=0.9), report()
    before = copy.deepcopy((candidate, current))
    judge(candidate, current)
    assert (candidate, current) == before
