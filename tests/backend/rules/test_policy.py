"""The policy file: values, source/verified flags, loading and validation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from credit_backend.policy.loader import (
    DEFAULT_POLICY_PATH,
    POLICY_ENV,
    Policy,
    PolicyError,
    Sourced,
    clear_policy_cache,
    load_policy,
)


def _sourced_values(model: BaseModel, path: str = "") -> list[tuple[str, Sourced]]:
    """Every Sourced sub-model of the policy, with a readable path."""
    found: list[tuple[str, Sourced]] = []
    if isinstance(model, Sourced):
        found.append((path, model))
    for name in type(model).model_fields:
        value = getattr(model, name)
        children = (
            value.items()
            if isinstance(value, dict)
            else enumerate(value)
            if isinstance(value, tuple)
            else [(None, value)]
        )
        for key, child in children:
            if isinstance(child, BaseModel):
                found.extend(_sourced_values(child, f"{path}.{name}" + ("" if key is None else f"[{key}]")))
    return found


def test_every_rule_value_has_a_source(policy: Policy) -> None:
    values = _sourced_values(policy)
    assert len(values) > 20
    for path, value in values:
        assert value.source.strip(), path


def test_unverified_values_are_flagged(policy: Policy) -> None:
    # [U] in CREDIT_DOMAIN.md: repair time limits, the objection rule, 容缺 days, registration check.
    deadlines = policy.repair.deadlines
    assert (deadlines.acceptance_decision.working_days, deadlines.acceptance_decision.verified) == (3, False)
    assert (deadlines.repair_decision.working_days, deadlines.repair_decision.verified) == (10, False)
    assert (deadlines.result_feedback.working_days, deadlines.result_feedback.verified) == (3, False)
    assert (policy.objection.verification.working_days, policy.objection.verification.verified) == (15, False)
    assert (policy.objection.correction.working_days, policy.objection.correction.verified) == (5, False)
    assert policy.repair.revocation_bar.verified is False
    rongque = policy.commitments.rongque_materials_due
    assert (rongque.working_days, rongque.verified, rongque.applicant_may_set_due_date) == (20, False, True)
    assert policy.voluntary_registration.staff_verification.verified is False
    assert policy.evaluation.verified is False  # GB/T 45255 grade symbols not retrieved


def test_repair_regimes(policy: Policy) -> None:
    new = policy.regime_for(date(2026, 11, 26))
    assert new.order_no == "国家发展改革委令2025年第36号"
    assert new.effective_from == date(2026, 4, 1)
    minor, general, serious = (new.rule_for(s) for s in ("轻微", "一般", "严重"))
    assert (minor.published_by_default, minor.min_months, minor.max_months) == (False, 0, 3)
    assert minor.repair_once_obligations_fulfilled
    assert (general.min_months, general.max_months) == (3, 12)
    assert (serious.min_months, serious.max_months) == (12, 36)
    assert minor.verified and general.verified and serious.verified

    old = policy.regime_for(date(2026, 3, 31))
    assert old.order_no == "国家发展改革委令2023年第58号"
    assert (old.effective_from, old.effective_until) == (date(2023, 5, 1), date(2026, 3, 31))
    rule = old.rule_for("一般")
    assert (rule.min_months, rule.max_months) == (3, 36)
    assert old.sector_minimum is not None
    assert old.sector_minimum.min_months == 12
    assert set(old.sector_minimum.sectors) == {"特种设备", "安全生产", "消防"}

    with pytest.raises(ValueError):
        policy.regime_for(date(2023, 4, 30))


def test_record_categories(policy: Policy) -> None:
    negative = {name for name, c in policy.record_categories.items() if c.negative}
    repairable = {name for name, c in policy.record_categories.items() if c.repairable}
    assert {"行政处罚", "严重失信主体名单", "经营异常", "重点关注名单", "其他"} <= repairable
    for name in ("行政许可", "守信激励", "信用承诺", "信用评价", "司法判决"):
        assert name not in negative
    assert policy.record_categories["严重失信主体名单"].default_severity == "严重"
    assert policy.resolve_category("经营异常名录") == "经营异常"
    assert policy.resolve_category("其他失信信息") == "其他"
    assert policy.resolve_category("不存在") is None
    assert policy.category("红名单") == policy.record_categories["守信激励"]


def test_commitments(policy: Policy) -> None:
    assert set(policy.commitments.types) == {
        "审批替代型",
        "容缺受理型",
        "主动型",
        "行业自律型",
        "信用修复型",
        "证明事项告知承诺",
    }
    base = policy.commitment_items("主动型")
    assert len(base) == 5
    assert "自觉接受社会监督" in base
    rongque = policy.commitment_items("容缺受理型")
    assert rongque[:5] == base and len(rongque) == 7
    assert any("补齐所缺材料" in item for item in rongque)
    repair = policy.commitment_items("信用修复型")
    assert any("纠正失信行为" in item for item in repair)
    assert any("履行" in item for item in repair[5:])
    assert any("撤销" in item for item in repair[5:])
    with pytest.raises(KeyError):
        policy.commitment_items("不存在型")


def test_voluntary_registration(policy: Policy) -> None:
    categories = policy.voluntary_registration.categories
    labels = {name: [f.label for f in c.fields] for name, c in categories.items()}
    assert labels == {
        "资质证照": ["证照名称", "证照编号", "发证机关", "有效期至"],
        "市场经营": ["事项", "说明", "期间"],
        "合同履约": ["合同名称", "相对方", "合同金额", "履约情况"],
        "社会公益": ["活动名称", "日期", "组织单位", "说明"],
    }
    types = {f.label: f.type for f in categories["合同履约"].fields}
    assert types["合同金额"] == "amount"
    assert {f.label: f.type for f in categories["资质证照"].fields}["有效期至"] == "date"
    assert "真实" in policy.voluntary_registration.truthfulness_commitment


def test_evaluation_and_consequences(policy: Policy) -> None:
    grades = policy.evaluation.grades
    assert [grades[g].label for g in "ABCD"] == ["信用风险低", "信用风险一般", "信用风险较高", "信用风险高"]
    assert "无事不扰" in grades["A"].inspection
    assert "常规" in grades["B"].inspection
    assert "提高" in grades["C"].inspection
    assert "大幅提高" in grades["D"].inspection
    measures = " ".join(policy.consequences["严重失信主体名单"].measures)
    for word in ("招标投标", "乘坐飞机", "公开谴责"):
        assert word in measures
    assert "严格监管" in " ".join(policy.consequences["重点关注名单"].measures)
    assert policy.consequences["守信激励"].measures


def test_identity_binding(policy: Policy) -> None:
    binding = policy.identity_binding
    assert (
        binding.otp_digits,
        binding.otp_ttl_minutes,
        binding.max_wrong_attempts,
        binding.binding_days,
    ) == (
        6,
        10,
        5,
        90,
    )


def _raw() -> dict:
    return yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_default_is_cached_and_env_var_points_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POLICY_ENV, raising=False)
    clear_policy_cache()
    assert load_policy() is load_policy()
    data = _raw()
    data["objection"]["verification"]["working_days"] = 20
    monkeypatch.setenv(POLICY_ENV, str(_write(tmp_path, data)))
    assert load_policy().objection.verification.working_days == 20
    monkeypatch.delenv(POLICY_ENV)
    assert load_policy().objection.verification.working_days == 15
    clear_policy_cache()


def _break_unknown_key(data: dict) -> None:
    data["objection"]["verification"]["workingdays"] = 15


def _break_min_above_max(data: dict) -> None:
    data["repair"]["regimes"][0]["severities"]["一般"]["min_months"] = 24


def _break_overlap(data: dict) -> None:
    data["repair"]["regimes"][1]["effective_until"] = date(2026, 4, 1)


def _break_alias(data: dict) -> None:
    data["category_aliases"]["黑名单"] = "不存在的类别"


def _break_missing_source(data: dict) -> None:
    del data["repair"]["deadlines"]["repair_decision"]["source"]


def _break_grades(data: dict) -> None:
    del data["evaluation"]["grades"]["D"]


def _break_repairable_positive(data: dict) -> None:
    data["record_categories"]["行政许可"]["repairable"] = True


@pytest.mark.parametrize(
    "breaker",
    [
        _break_unknown_key,
        _break_min_above_max,
        _break_overlap,
        _break_alias,
        _break_missing_source,
        _break_grades,
        _break_repairable_positive,
    ],
)
def test_invalid_files_are_rejected(tmp_path: Path, breaker: Callable[[dict], None]) -> None:
    data = _raw()
    breaker(data)
    with pytest.raises(PolicyError):
        load_policy(_write(tmp_path, data))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        load_policy(tmp_path / "nope.yaml")


def test_unmodified_copy_loads(tmp_path: Path) -> None:
    assert load_policy(_write(tmp_path, _raw())) == load_policy(DEFAULT_POLICY_PATH)
