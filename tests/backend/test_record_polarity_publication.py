"""Issue 12 items 2, 3, 5 and 8: each record's own polarity, unpublished 轻微 records, the market
regulator's channel, and the bar after a revoked repair. Both databases (CREDIT_TEST_DATABASE).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, text

from credit_backend import migrate
from credit_backend.models import CreditRecord, Evaluation
from credit_backend.policy.loader import load_policy
from credit_backend.rules import vocabulary
from credit_backend.rules.periods import RepairFacts, add_months, repair_applies, repair_eligibility
from credit_backend.rules.vocabulary import OTHER, Polarity, record_polarity
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    OBJECTING,
    assert_error,
    bind,
    commitment_body,
    decide,
    fresh,
    nothing_submitted,
    objection_body,
    repair_body,
    submit,
)
from tests.backend.conftest import ASSISTANT, STAFF

TODAY = date(2026, 11, 26)
SENDER = "tg:polarity"


def _records(client, uscc: str, headers=ASSISTANT) -> list[dict]:
    r = client.get(f"{API}/entities/{uscc}/records", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _add(session, entity, category: str, title: str, severity: str | None = None, **kw) -> CreditRecord:
    record = CreditRecord(
        entity=entity,
        category=category,
        title=title,
        authority=kw.pop("authority", "吉林市生态环境局"),
        decision_date=kw.pop("decision_date", add_months(TODAY, -5)),
        severity=severity,
        **kw,
    )
    session.add(record)
    session.commit()
    return record


# --- item 2: polarity from the data --------------------------------------------------------------


def test_36hao_ling_art4_other_records_take_their_polarity_from_the_data():
    """令2025年第36号 第四条: 失信信息 includes 其他失信信息; 其他 also holds positive facts."""
    policy = load_policy()
    assert record_polarity(OTHER, vocabulary.ORDINARY) is Polarity.NEGATIVE
    assert record_polarity(OTHER, None) is Polarity.POSITIVE
    assert record_polarity(vocabulary.PENALTY, None) is Polarity.NEGATIVE
    # The stored polarity wins over the severity fallback.
    assert not repair_applies(OTHER, vocabulary.ORDINARY, policy, Polarity.POSITIVE.value)
    assert repair_applies(OTHER, None, policy, Polarity.NEGATIVE.value)
    positive = RepairFacts(OTHER, None, date(2026, 1, 5), polarity="positive", obligations_fulfilled=True)
    result = repair_eligibility(positive, TODAY, policy)
    assert [r.code for r in result.reasons] == ["NOT_NEGATIVE"]
    assert result.window.min_end is None and result.window.max_end is None


def test_36hao_ling_art4_a_donation_is_not_repairable_and_shows_positive(client, world, session):
    """令2025年第36号 第四条: a donation (其他, positive) is no 失信信息: not repairable, no window."""
    donation = _add(session, world.entities["jiangcheng"], OTHER, "慈善捐赠信息：向吉林市慈善总会捐赠")
    assert donation.polarity == "positive"
    [view] = [r for r in _records(client, JIANGCHENG) if r["id"] == donation.id]
    assert (view["polarity"], view["repair_applies"]) == ("positive", False)
    elig = client.get(f"{API}/records/{donation.id}/repair-eligibility", headers=ASSISTANT).json()
    assert [x["code"] for x in elig["reasons"]] == ["NOT_NEGATIVE"]
    assert "不属于失信信息" in elig["reasons"][0]["message"]


def test_36hao_ling_broken_commitment_is_negative_with_its_publicity_window(client, world, session):
    """Seed item 1 (践诺情况记入信用档案) and 令2025年第36号 (一般: 3 months to 1 year): a breached
    commitment becomes a negative 其他 record, published until its maximum period ends, repairable."""
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "commitments", commitment_body(SENDER)).json()["application_no"]
    assert decide(client, no, "breach").status_code == 200
    [view] = [r for r in _records(client, JIANGCHENG) if r["document_no"] == no]
    assert (view["category"], view["polarity"], view["severity"]) == (OTHER, "negative", "一般")
    assert view["publicity_end"] == add_months(TODAY, 12).isoformat()
    assert view["repair_applies"] is True and view["published"] is True
    elig = client.get(f"{API}/records/{view['id']}/repair-eligibility", headers=ASSISTANT).json()
    assert elig["window"]["min_end"] == add_months(TODAY, 3).isoformat()
    assert "MIN_PERIOD_NOT_PASSED" in [x["code"] for x in elig["reasons"]]


def test_migration_0004_fills_polarity_and_publication_from_existing_data(client, world, session, engine):
    """Migration 0004: 其他 with a severity is negative (the interim rule), without one positive;
    令2025年第36号: 轻微 失信信息 is in principle not published."""
    jc = world.entities["jiangcheng"]
    broken = _add(session, jc, OTHER, "违背信用承诺：按期补齐材料", vocabulary.ORDINARY)
    honour = _add(session, jc, OTHER, "2025年度吉林市文明单位")
    minor = world.records["objected"]
    ids = {"broken": broken.id, "honour": honour.id, "minor": minor.id, "penalty": world.records["repairable"].id}
    fresh(session)
    session.close()
    migrate.downgrade(engine, "0003")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = dict(
            (row.id, (row.polarity, bool(row.published), row.barred_until))
            for row in conn.execute(text("SELECT id, polarity, published, barred_until FROM credit_records"))
        )
    assert rows[ids["broken"]] == ("negative", True, None)
    assert rows[ids["honour"]] == ("positive", True, None)
    assert rows[ids["penalty"]] == ("negative", True, None)
    assert rows[ids["minor"]] == ("negative", False, None)


# --- item 5: 轻微 records are not published by default -------------------------------------------


def test_36hao_ling_minor_records_are_not_published_to_the_assistant(client, world, session):
    """令2025年第36号 / 国办发〔2025〕22号: 轻微失信信息原则上不公示 (policy.yaml published_by_default: false).
    The assistant sees no trace of it (records, profile, report); staff see it marked not published;
    it neither caps the grade nor puts anyone on a list."""
    entity = world.entities["objecting"]
    minor = _add(
        session, entity, vocabulary.WATCH_LIST, "轻微失信：未按期报送统计资料", vocabulary.MINOR, published=False
    )
    assert minor.id not in [r["id"] for r in _records(client, OBJECTING)]
    profile = client.get(f"{API}/entities/{OBJECTING}", headers=ASSISTANT).json()
    assert vocabulary.WATCH_LIST not in profile["record_counts"] and profile["lists"] == []
    report = client.get(f"{API}/entities/{OBJECTING}/report", headers=ASSISTANT).json()["text"]
    assert "未按期报送统计资料" not in report
    [staff_view] = [r for r in _records(client, OBJECTING, STAFF) if r["id"] == minor.id]
    assert staff_view["published"] is False
    staff_profile = client.get(f"{API}/entities/{OBJECTING}", headers=STAFF).json()
    assert staff_profile["record_counts"][vocabulary.WATCH_LIST] == 1 and staff_profile["lists"] == []
    # A recomputation (after any change) does not count it.
    from credit_backend.services import evaluation

    fresh(session)
    evaluation.recompute(session, entity.id, TODAY, "测试")
    session.commit()
    grades = session.scalars(select(Evaluation.grade).where(Evaluation.entity_id == entity.id)).all()
    assert "C" not in grades


def test_36hao_ling_a_minor_record_created_in_code_is_unpublished_by_default(session, world):
    """令2025年第36号 / policy.yaml ``published_by_default``: whatever creates a record without saying whether it
    is published gets the policy's default (the model's one place): 轻微 失信信息 no, 一般 and non-失信 yes."""
    entity = world.entities["objecting"]
    minor = _add(session, entity, vocabulary.PENALTY, "轻微：未按规定公开环境信息", vocabulary.MINOR)
    ordinary = _add(session, entity, vocabulary.PENALTY, "一般：超标排放", vocabulary.ORDINARY)
    permit = _add(session, entity, vocabulary.PERMIT, "排污许可证核发")
    donation = _add(session, entity, OTHER, "慈善捐赠信息")
    fresh(session)
    assert session.get(CreditRecord, minor.id).published is False
    assert session.get(CreditRecord, ordinary.id).published is True
    assert session.get(CreditRecord, permit.id).published is True
    assert session.get(CreditRecord, donation.id).published is True
    # Said explicitly (a department publishing one anyway), the record keeps it.
    shown = _add(session, entity, vocabulary.PENALTY, "轻微但已公示", vocabulary.MINOR, published=True)
    fresh(session)
    assert session.get(CreditRecord, shown.id).published is True


def test_36hao_ling_an_unpublished_record_answers_like_an_unknown_id_to_the_assistant(client, world, session):
    """令2025年第36号: 轻微失信信息原则上不公示. Asked by id through the assistant role (repair eligibility,
    objection, repair), an unpublished record does not exist: the same 404 as an unknown id. Staff see it."""
    entity = world.entities["objecting"]
    minor = _add(session, entity, vocabulary.PENALTY, "轻微：未按规定设置警示标志", vocabulary.MINOR)
    unknown = minor.id + 10_000

    def eligibility(record_id: int, headers=ASSISTANT):
        return client.get(f"{API}/records/{record_id}/repair-eligibility", headers=headers)

    hidden = assert_error(eligibility(minor.id), 404, "RECORD_NOT_FOUND", str(minor.id))
    missing = assert_error(eligibility(unknown), 404, "RECORD_NOT_FOUND", str(unknown))
    assert hidden["message"].replace(str(minor.id), "#") == missing["message"].replace(str(unknown), "#")
    assert eligibility(minor.id, STAFF).status_code == 200
    [staff_view] = [r for r in _records(client, OBJECTING, STAFF) if r["id"] == minor.id]
    assert staff_view["published"] is False

    bind(client, SENDER, OBJECTING)
    for path, body in (
        ("objections", objection_body(SENDER, minor.id, uscc=OBJECTING)),
        ("repairs", repair_body(SENDER, minor.id, uscc=OBJECTING)),
    ):
        hidden = assert_error(submit(client, path, body), 404, "RECORD_NOT_FOUND")
        body_unknown = {**body, "record_id": unknown}
        missing = assert_error(submit(client, path, body_unknown), 404, "RECORD_NOT_FOUND")
        assert hidden["message"].replace(str(minor.id), "#") == missing["message"].replace(str(unknown), "#")
    nothing_submitted(session)


def test_demo_generator_leaves_minor_records_unpublished():
    """令2025年第36号: the demo city's 轻微 records are unpublished, every record has a polarity."""
    from credit_backend.demo.generator import CityGenerator

    records = [r for bundle in CityGenerator(entities=300, seed=7, today=TODAY) for r in bundle.records]
    assert all(r["polarity"] in {p.value for p in Polarity} - {"mixed"} for r in records)
    minor = [r for r in records if r["severity"] == vocabulary.MINOR]
    assert minor and not any(r["published"] for r in minor)
    assert all(r["published"] for r in records if r["severity"] != vocabulary.MINOR)
    assert all(r["polarity"] == "positive" for r in records if r["category"] == OTHER and r["severity"] is None)


# --- item 3: the market regulator's channel ------------------------------------------------------


def test_market_regulation_abnormal_list_answers_with_its_channel_not_a_date(client, world, session):
    """CREDIT_DOMAIN.md 2.1 (sector row): 经营异常名录 follows the market regulator's own rules and
    is handled through 国家企业信用信息公示系统, not the 36号令 3-month minimum."""
    abnormal = _add(
        session,
        world.entities["jiangcheng"],
        vocabulary.ABNORMAL,
        "未按规定报送年度报告",
        authority="吉林市市场监督管理局",
        decision_date=add_months(TODAY, -1),
    )
    elig = client.get(f"{API}/records/{abnormal.id}/repair-eligibility", headers=ASSISTANT).json()
    assert elig["eligible"] is False and elig["earliest_date"] is None
    [reason] = elig["reasons"]
    assert reason["code"] == "MARKET_REGULATION_CHANNEL"
    assert "国家企业信用信息公示系统" in reason["message"] and "市场监督管理信用修复管理办法" in reason["message"]
    assert "暂" in reason["message"]  # the policy value is verified: false


# --- item 8: the bar after a revoked repair ------------------------------------------------------


def test_58hao_ling_revoked_repair_bars_new_applications_for_three_years(client, world, session):
    """58号令 (policy.yaml repair.revocation_bar, verified: false): after a repair decision is revoked,
    publicity resumes and no new application is accepted for 3 years; the answer says until when."""
    rec = world.records["repairable"]
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "repairs", repair_body(SENDER, rec.id)).json()["application_no"]
    assert decide(client, no, "accept").status_code == 200
    assert decide(client, no, "approve").status_code == 200
    r = decide(client, no, "revoke", note="提供虚假材料")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["open"] is False
    fresh(session)
    record = session.get(CreditRecord, rec.id)
    assert record.status == "active" and record.punishment_lifted_at is None
    assert record.barred_until == add_months(TODAY, 36)
    assert record.publicity_end == add_months(rec.decision_date, 12)
    elig = client.get(f"{API}/records/{rec.id}/repair-eligibility", headers=ASSISTANT).json()
    assert [x["code"] for x in elig["reasons"]] == ["BARRED"]
    assert "2029年11月26日" in elig["reasons"][0]["message"] and "暂" in elig["reasons"][0]["message"]
    assert elig["earliest_date"] == "2029-11-26"
    assert_error(submit(client, "repairs", repair_body(SENDER, rec.id)), 400, "REPAIR_NOT_ELIGIBLE", "2029年11月26日")
    # Only an approved repair can be revoked.
    assert_error(decide(client, no, "revoke"), 409, "ILLEGAL_TRANSITION")


def test_market_regulation_penalties_by_authority_when_configured():
    """CREDIT_DOMAIN.md 2.1: 市场监管 penalties follow the regulator's channel too, found by the deciding
    authority's name (policy.yaml repair.market_regulation.authority_keywords)."""
    policy = load_policy()
    market = policy.repair.market_regulation.model_copy(update={"authority_keywords": ("市场监督管理",)})
    configured = policy.model_copy(update={"repair": policy.repair.model_copy(update={"market_regulation": market})})
    facts = RepairFacts(
        vocabulary.PENALTY,
        vocabulary.ORDINARY,
        add_months(TODAY, -5),
        obligations_fulfilled=True,
        authority="吉林市市场监督管理局船营分局",
    )
    assert [r.code for r in repair_eligibility(facts, TODAY, configured).reasons] == ["MARKET_REGULATION_CHANNEL"]
    other = RepairFacts(vocabulary.PENALTY, vocabulary.ORDINARY, add_months(TODAY, -5), obligations_fulfilled=True,
                        authority="吉林市生态环境局")  # fmt: skip
    assert repair_eligibility(other, TODAY, configured).eligible


def test_issue10_severities_are_named_once():
    """Issue 10 leftover: no backend module retypes a severity class; vocabulary.py names them."""
    import ast
    from pathlib import Path

    import credit_backend

    root = Path(credit_backend.__file__).parent
    slips = [
        f"{path.relative_to(root)}:{node.lineno}"
        for path in root.rglob("*.py")
        if path.name != "vocabulary.py" and "migrations" not in path.parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in vocabulary.SEVERITIES
    ]
    assert slips == []
    assert vocabulary.SEVERITIES == (vocabulary.MINOR, vocabulary.ORDINARY, vocabulary.SERIOUS)
