"""The one vocabulary (rules/vocabulary.py): its words, what follows from them, and policy.yaml checked against it."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
import yaml

from credit_backend.policy.loader import DEFAULT_POLICY_PATH, Policy, PolicyError, load_policy
from credit_backend.rules import vocabulary
from credit_backend.rules.appno import APPLICATION_TYPES, parse_application_no
from credit_backend.rules.periods import RepairFacts, repair_applies, repair_eligibility
from credit_backend.rules.states import MACHINES
from credit_backend.rules.vocabulary import OTHER, PENALTY, Polarity

TODAY = date(2026, 11, 26)


def test_categories_are_the_reports() -> None:
    assert vocabulary.CATEGORY_NAMES == (
        "行政许可",
        "行政处罚",
        "守信激励",
        "严重失信主体名单",
        "重点关注名单",
        "经营异常",
        "信用承诺",
        "信用评价",
        "司法判决",
        "其他",
    )
    negative = {c.name for c in vocabulary.CATEGORIES if c.polarity is Polarity.NEGATIVE}
    assert negative == {"行政处罚", "严重失信主体名单", "重点关注名单", "经营异常"}
    assert vocabulary.category(OTHER).polarity is Polarity.MIXED  # 其他失信信息 and positive facts
    assert vocabulary.category("其他失信信息") is None  # an alias (policy.yaml), not a category
    assert vocabulary.LIST_CATEGORIES == ("守信激励", "严重失信主体名单", "重点关注名单", "经营异常")
    assert vocabulary.NAMED_LISTS == {"失信被执行人": "严重失信主体名单"}


def test_a_record_of_the_mixed_category_is_negative_when_it_has_a_severity() -> None:
    assert vocabulary.record_is_negative(OTHER, "一般")
    assert not vocabulary.record_is_negative(OTHER, None)
    assert vocabulary.record_is_negative(PENALTY, None)
    assert not vocabulary.record_is_negative("守信激励", None)
    assert not vocabulary.record_is_negative("其他失信信息", "一般")


def test_kinds_and_numbers() -> None:
    assert [(k.kind, k.type_code, k.name) for k in vocabulary.APPLICATION_KINDS] == [
        ("registration", "ZC", "自愿注册"),
        ("commitment", "CN", "信用承诺"),
        ("objection", "YY", "异议"),
        ("repair", "XF", "信用修复"),
    ]
    assert vocabulary.EVIDENCE_KINDS == ("objection", "repair")
    assert {k.type_code: k.name for k in vocabulary.APPLICATION_KINDS} == APPLICATION_TYPES
    assert {m.kind: (m.type_code, m.label) for m in MACHINES.values()} == {
        k.kind: (k.type_code, k.label) for k in vocabulary.APPLICATION_KINDS
    }
    for code in vocabulary.TYPE_CODES:
        assert parse_application_no(f"{code.lower()}20261126 0003") is not None


def test_the_vocabulary_is_standard_library_only() -> None:
    """The Rasa actions, the NLU helpers and the Telegram bridge import it (Python 3.10 there)."""
    tree = ast.parse(Path(vocabulary.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "dataclasses", "enum"}


# --- policy.yaml against the vocabulary -----------------------------------------------------------


def test_policy_categories_are_the_vocabularys(policy: Policy) -> None:
    assert set(policy.record_categories) == set(vocabulary.CATEGORY_NAMES) | set(vocabulary.NAMED_LISTS)
    for name in vocabulary.CATEGORY_NAMES:
        assert policy.record_categories[name].negative == vocabulary.holds_failures(name)
    assert all(target in policy.record_categories for target in policy.category_aliases.values())


def _load(tmp_path: Path, change) -> Policy:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_policy(path)


@pytest.mark.parametrize(
    "change",
    [
        # the drifted name of actions/records.py, as a category of its own
        lambda d: d["record_categories"].__setitem__("其他失信信息", d["record_categories"]["其他"]),
        lambda d: d["record_categories"].pop("司法判决"),
        lambda d: d["record_categories"]["经营异常"].__setitem__("negative", False),
        lambda d: d["record_categories"]["守信激励"].__setitem__("negative", True),
        lambda d: d["record_categories"]["行政处罚"].__setitem__("default_severity", "较重"),
        lambda d: d["category_aliases"].__setitem__("行政处罚", "其他"),
        lambda d: d["consequences"].__setitem__("黑名单", d["consequences"]["严重失信主体名单"]),
    ],
    ids=["invented", "missing", "negative-off", "positive-on", "severity", "alias-shadows", "consequence"],
)
def test_policy_contradicting_the_vocabulary_is_refused(tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyError):
        _load(tmp_path, change)


# --- repair: which records it applies to ----------------------------------------------------------


def test_repair_applies_to_the_failures_of_repaired_categories(policy: Policy) -> None:
    repaired = [c for c in vocabulary.CATEGORY_NAMES if policy.record_categories[c].repairable]
    assert repaired == ["行政处罚", "严重失信主体名单", "重点关注名单", "经营异常", "其他"]
    for name in repaired:
        assert repair_applies(name, "一般", policy), name
    assert not repair_applies(OTHER, None, policy)  # e.g. 文明单位: not 失信信息
    assert not repair_applies("行政许可", None, policy)
    assert not repair_applies("失信被执行人", None, policy)  # the courts' route
    assert repair_applies("其他失信信息", "一般", policy)  # an alias resolves first


def test_a_positive_record_of_the_mixed_category_is_not_repaired(policy: Policy) -> None:
    result = repair_eligibility(RepairFacts(OTHER, None, date(2025, 5, 1)), TODAY, policy)
    assert [r.code for r in result.reasons] == ["NOT_NEGATIVE"]
    assert "不属于失信信息" in result.reasons[0].message
    broken_promise = RepairFacts(OTHER, "一般", date(2026, 5, 1), obligations_fulfilled=True)
    assert repair_eligibility(broken_promise, TODAY, policy).eligible


# --- commitment text: assembled once ---------------------------------------------------------------


def test_commitment_text_is_assembled_once_and_served(policy: Policy) -> None:
    texts = policy.commitments.texts
    assert set(texts) == set(policy.commitments.types)
    for name, kind in policy.commitments.types.items():
        assert texts[name] == policy.commitments.base_items + kind.extra_items
        assert policy.commitment_items(name) == texts[name]
    served = policy.model_dump(mode="json")["commitments"]["texts"]
    assert served == {name: list(items) for name, items in texts.items()}
