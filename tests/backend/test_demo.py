"""Demo city generator and loader: determinism, validity, coverage, named cases, SQLite search."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from credit_backend.db import make_engine
from credit_backend.demo.cli import main as cli_main
from credit_backend.demo.generator import NAMED_CASES, CityGenerator, EntityBundle, id_check_char
from credit_backend.demo.load import entity_count, load_city, reset_database
from credit_backend.models import CreditRecord, Entity, Evaluation
from credit_backend.policy.loader import DEFAULT_POLICY_PATH, Policy, load_policy
from credit_backend.rules.periods import RepairFacts, add_months, repair_eligibility
from credit_backend.rules.uscc import JILIN_REGIONS, validate_uscc
from credit_backend.rules.vocabulary import CATEGORY_NAMES as CATEGORIES
from credit_backend.rules.vocabulary import RECORD_STATUSES as RECORD_STATUS_LABELS
from credit_backend.rules.vocabulary import SEVERITIES

TODAY = date(2026, 11, 26)
CITY_SIZE = 2000
CASES = {case.uscc: case for case in NAMED_CASES}


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH)


@pytest.fixture(scope="module")
def city(policy: Policy) -> list[EntityBundle]:
    return list(CityGenerator(CITY_SIZE, seed=42, today=TODAY, policy=policy))


@pytest.fixture(scope="module")
def by_code(city: list[EntityBundle]) -> dict[str, EntityBundle]:
    return {b.entity["uscc"]: b for b in city}


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    reset_database(engine)
    yield engine
    engine.dispose()


def _facts(record: dict) -> RepairFacts:
    return RepairFacts(
        category=record["category"],
        severity=record["severity"],
        decision_date=record["decision_date"],
        status=RECORD_STATUS_LABELS[record["status"]],
        under_objection=record["under_objection"],
        obligations_fulfilled=record["obligations_fulfilled"],
        legally_non_repairable=record["legally_non_repairable"],
        polarity=record["polarity"],
        authority=record["authority"],
    )


def _penalty(bundle: EntityBundle) -> dict:
    (record,) = [r for r in bundle.records if r["category"] == "行政处罚"]
    return record


# ---- generator -------------------------------------------------------------------------------


def test_same_seed_gives_identical_city(city: list[EntityBundle], policy: Policy) -> None:
    again = list(CityGenerator(CITY_SIZE, seed=42, today=TODAY, policy=policy))
    assert [b.entity for b in again] == [b.entity for b in city]
    assert [b.records for b in again] == [b.records for b in city]
    assert [b.evaluations for b in again] == [b.evaluations for b in city]


def test_other_seed_gives_other_city(city: list[EntityBundle], policy: Policy) -> None:
    other = list(CityGenerator(CITY_SIZE, seed=7, today=TODAY, policy=policy))
    generated = {b.entity["uscc"] for b in city[len(NAMED_CASES) :]}
    other_generated = {b.entity["uscc"] for b in other[len(NAMED_CASES) :]}
    assert len(generated & other_generated) < 10
    assert [b.entity["uscc"] for b in other[: len(NAMED_CASES)]] == [c.uscc for c in NAMED_CASES]


def test_every_code_is_valid_unique_and_in_jilin(city: list[EntityBundle]) -> None:
    codes = [b.entity["uscc"] for b in city]
    assert len(set(codes)) == len(codes) == CITY_SIZE
    for bundle in city:
        code = bundle.entity["uscc"]
        result = validate_uscc(code)
        assert result.ok and not result.warnings, (code, result.errors, result.warnings)
        assert code[2:8] == bundle.entity["region_code"] in JILIN_REGIONS


def test_code_prefix_mix_and_entity_types(city: list[EntityBundle]) -> None:
    prefixes = Counter(b.entity["uscc"][:2] for b in city)
    assert {"91", "92", "93", "52", "12"} <= set(prefixes)
    assert prefixes.most_common(1)[0][0] == "91"
    types = {b.entity["uscc"][:2]: b.entity["entity_type"] for b in city[len(NAMED_CASES) :]}
    assert types["91"] == "企业" and types["92"] == "个体工商户" and types["93"] == "农民专业合作社"


def test_personal_data_has_the_right_shape(city: list[EntityBundle]) -> None:
    for bundle in city:
        entity = bundle.entity
        id_number = entity["legal_rep_id_number"]
        assert len(id_number) == 18 and id_number[:17].isdigit(), id_number
        assert id_number[17] == id_check_char(id_number[:17]), id_number
        assert id_number.startswith("2202")
        phone = entity["contact_phone"]
        assert len(phone) == 11 and phone.isdigit() and phone[0] == "1", phone
        assert entity["name"] and entity["short_name"] and entity["legal_representative"]
        assert entity["established_on"] < TODAY


def test_names_are_unique_and_realistic(city: list[EntityBundle]) -> None:
    names = [b.entity["name"] for b in city]
    assert len(set(names)) == len(names)
    enterprise_forms = ("有限公司", "有限责任公司")
    for bundle in city:
        entity = bundle.entity
        prefix = entity["uscc"][:2]
        if prefix == "91":
            assert entity["name"].endswith(enterprise_forms), entity["name"]
        if prefix == "93":
            assert entity["name"].endswith("农民专业合作社"), entity["name"]
        if prefix in ("91", "92", "52"):
            # The short name is the 字号 plus the trade, found inside the full name.
            assert entity["short_name"][:2] in entity["name"], entity


def test_all_categories_grades_severities_and_statuses_present(city: list[EntityBundle]) -> None:
    records = [r for b in city for r in b.records]
    assert {r["category"] for r in records} == set(CATEGORIES)
    assert {e["grade"] for b in city for e in b.evaluations} == {"A", "B", "C", "D"}
    assert {r["severity"] for r in records if r["severity"]} == set(SEVERITIES)
    assert {r["status"] for r in records} == set(RECORD_STATUS_LABELS)
    assert 2.5 <= len(records) / len(city) <= 3.5
    evaluated = sum(1 for b in city if b.evaluations)
    assert evaluated > 0.8 * len(city)


def test_records_are_well_formed(city: list[EntityBundle], policy: Policy) -> None:
    regime = policy.regime_for(TODAY)
    record_ids = [r["id"] for b in city for r in b.records]
    assert record_ids == list(range(1, len(record_ids) + 1))
    for bundle in city:
        for record in bundle.records:
            assert record["entity_id"] == bundle.entity["id"]
            assert date(2021, 1, 1) <= record["decision_date"] <= TODAY
            assert record["title"] and record["authority"]
            negative = policy.record_categories[record["category"]].negative if record["category"] != "其他" else False
            if negative:
                assert record["severity"] in SEVERITIES
                expected_end = add_months(record["decision_date"], regime.rule_for(record["severity"]).max_months)
                assert record["publicity_end"] == expected_end
                if record["status"] == "active":
                    assert record["publicity_end"] > TODAY
                if record["status"] == "repaired":
                    assert record["obligations_fulfilled"] and record["corrected_at"] is not None
            else:
                assert record["severity"] is None
    penalties = [r for b in city for r in b.records if r["category"] == "行政处罚" and r["document_no"]]
    assert all("〔" in r["document_no"] and r["document_no"].endswith("号") for r in penalties)


def test_grades_follow_the_records(city: list[EntityBundle]) -> None:
    for bundle in city[len(NAMED_CASES) :]:
        if not bundle.evaluations:
            continue
        grade = bundle.evaluations[-1]["grade"]
        active = [r for r in bundle.records if r["status"] == "active"]
        blacklisted = any(r["category"] == "严重失信主体名单" for r in active)
        assert (grade == "D") == blacklisted, bundle.entity["uscc"]
        watched = any(r["category"] in ("重点关注名单", "经营异常") for r in active)
        if watched and not blacklisted:
            assert grade == "C", bundle.entity["uscc"]


# ---- named cases -----------------------------------------------------------------------------


def test_named_cases_come_first_with_fixed_codes_names_and_phones(city: list[EntityBundle]) -> None:
    for bundle, case in zip(city, NAMED_CASES, strict=False):
        entity = bundle.entity
        assert (entity["uscc"], entity["name"], entity["contact_phone"]) == (case.uscc, case.name, case.contact_phone)
        assert bundle.evaluations[-1]["grade"] == case.grade
    phones = [c.contact_phone for c in NAMED_CASES]
    assert len(set(phones)) == len(phones)
    others = {b.entity["contact_phone"] for b in city[len(NAMED_CASES) :]}
    assert not others & set(phones)


def test_repairable_now_case(by_code: dict[str, EntityBundle], policy: Policy) -> None:
    bundle = by_code["91220202MA0Y3K7Q6L"]
    penalty = _penalty(bundle)
    assert penalty["severity"] == "一般" and penalty["obligations_fulfilled"] and penalty["status"] == "active"
    assert add_months(TODAY, -12) < penalty["decision_date"] < add_months(TODAY, -3)
    answer = repair_eligibility(_facts(penalty), TODAY, policy)
    assert answer.eligible, answer.reasons
    assert {r["category"] for r in bundle.records} >= {"行政许可", "行政处罚", "其他"}
    assert any("合同履约" in r["title"] for r in bundle.records)


def test_repairable_later_case(by_code: dict[str, EntityBundle], policy: Policy) -> None:
    penalty = _penalty(by_code["92220204L5B2C8D11M"])
    assert penalty["severity"] == "一般" and penalty["obligations_fulfilled"]
    assert add_months(TODAY, -3) < penalty["decision_date"] < TODAY
    answer = repair_eligibility(_facts(penalty), TODAY, policy)
    assert not answer.eligible
    assert [r.code for r in answer.reasons] == ["MIN_PERIOD_NOT_PASSED"]
    assert answer.earliest_date == add_months(penalty["decision_date"], 3) > TODAY


def test_non_repairable_case(by_code: dict[str, EntityBundle], policy: Policy) -> None:
    penalty = _penalty(by_code["52220211MJ0A1B2C5E"])
    assert penalty["severity"] == "严重" and penalty["legally_non_repairable"]
    answer = repair_eligibility(_facts(penalty), TODAY, policy)
    assert not answer.eligible and answer.earliest_date is None
    assert "LEGALLY_NON_REPAIRABLE" in {r.code for r in answer.reasons}


def test_blacklisted_case(by_code: dict[str, EntityBundle]) -> None:
    bundle = by_code["N2220202MA0Y3K7Q64"]
    listed = [r for r in bundle.records if r["category"] == "严重失信主体名单" and r["status"] == "active"]
    assert listed and listed[0]["publicity_end"] > TODAY
    assert bundle.evaluations[-1]["grade"] == "D"


def test_red_list_case(by_code: dict[str, EntityBundle]) -> None:
    bundle = by_code["12220200012345671E"]
    red = [r for r in bundle.records if r["category"] == "守信激励" and r["status"] == "active"]
    assert red and red[0]["publicity_end"] > TODAY
    assert bundle.evaluations[-1]["grade"] == "A"
    assert bundle.entity["entity_type"] == "事业单位"


def test_objection_case(by_code: dict[str, EntityBundle], policy: Policy) -> None:
    penalty = _penalty(by_code["93220221MA14XK2F29"])
    assert penalty["under_objection"] and penalty["status"] == "active"
    answer = repair_eligibility(_facts(penalty), TODAY, policy)
    assert "UNDER_OBJECTION" in {r.code for r in answer.reasons}


def test_named_cases_move_with_today(policy: Policy) -> None:
    later = date(2027, 3, 15)
    bundles = {b.entity["uscc"]: b for b in CityGenerator(len(NAMED_CASES), seed=1, today=later, policy=policy)}
    assert _penalty(bundles["92220204L5B2C8D11M"])["decision_date"] == add_months(later, -1)
    assert _penalty(bundles["91220202MA0Y3K7Q6L"])["decision_date"] == add_months(later, -5)


# ---- loader and CLI --------------------------------------------------------------------------


def _fts_ids(engine: Engine, term: str) -> set[int]:
    phrase = '"' + term.replace('"', '""') + '"'
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT rowid FROM entity_search WHERE entity_search MATCH :p"), {"p": phrase})
        return {row[0] for row in rows}


def test_sqlite_load_builds_search_index_and_keeps_triggers(
    sqlite_engine: Engine, city: list[EntityBundle], policy: Policy
) -> None:
    stats = load_city(sqlite_engine, CityGenerator(CITY_SIZE, seed=42, today=TODAY, policy=policy), batch_entities=700)
    assert (stats.entities, stats.records, stats.evaluations) == (
        CITY_SIZE,
        sum(len(b.records) for b in city),
        sum(len(b.evaluations) for b in city),
    )
    sample = city[1234].entity
    assert sample["id"] in _fts_ids(sqlite_engine, sample["short_name"])
    assert 1 in _fts_ids(sqlite_engine, "江城建材")
    assert 2 in _fts_ids(sqlite_engine, "老王烧烤")

    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(CreditRecord)) == stats.records
        loaded = session.get(Entity, sample["id"])
        assert (
            loaded is not None and loaded.uscc == sample["uscc"] and loaded.established_on == sample["established_on"]
        )
        generated = next(r for b in city[1000:] for r in b.records if r["status"] == "repaired")
        record = session.get(CreditRecord, generated["id"])
        assert record is not None and record.entity_id == generated["entity_id"]
        assert (record.decision_date, record.publicity_end) == (generated["decision_date"], generated["publicity_end"])
        assert record.corrected_at is not None and record.obligations_fulfilled
        evaluation = session.scalar(select(Evaluation).where(Evaluation.entity_id == 5))
        assert evaluation is not None and evaluation.grade == "A"
        # The triggers are back: a new entity is searchable at once, a renamed one under its new name.
        session.add(
            Entity(
                uscc="91220202MA0000000X",
                name="吉林市雾凇测试新材料有限公司",
                short_name="雾凇测试",
                entity_type="企业",
                region_code="220202",
                legal_representative="测试",
                contact_phone="13900000000",
            )
        )
        session.commit()
        added = session.scalar(select(Entity.id).where(Entity.short_name == "雾凇测试"))
    assert added in _fts_ids(sqlite_engine, "雾凇测试新材料")
    with sqlite_engine.connect() as conn:
        triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
    assert set(triggers) == {"entities_search_ai", "entities_search_ad", "entities_search_au"}


def test_cli_refuses_non_empty_database_and_resets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    args = ["--database-url", url, "--entities", "60", "--seed", "3", "--today", TODAY.isoformat()]
    assert cli_main(args) == 0
    out = capsys.readouterr().out
    assert "91220202MA0Y3K7Q6L" in out and "13943210001" in out and "吉林市江城建材有限公司" in out

    assert cli_main(args) == 2
    assert "--reset" in capsys.readouterr().err

    assert cli_main([*args, "--reset", "--entities", "40"]) == 0
    engine = make_engine(url)
    try:
        assert entity_count(engine) == 40
    finally:
        engine.dispose()


def test_load_into_the_suite_database_and_search_through_the_service(
    engine: Engine, session: Session, policy: Policy
) -> None:
    """Runs on the suite's database: SQLite by default, PostgreSQL (COPY path) with CREDIT_TEST_DATABASE=postgres."""
    from credit_backend.services.entities import search_entities

    bundles = list(CityGenerator(300, seed=11, today=TODAY, policy=policy))
    stats = load_city(engine, bundles, batch_entities=128)
    assert stats.entities == 300 and stats.records == sum(len(b.records) for b in bundles)
    target = bundles[150].entity
    found = search_entities(session, target["short_name"], limit=50)
    assert target["uscc"] in {item["uscc"] for item in found["items"]}
    # Ids continue after the loaded ones (sequences moved on PostgreSQL).
    session.add(
        Entity(
            uscc="91220202MA0000000X",
            name="吉林市载入后新增测试有限公司",
            short_name="载入后新增",
            entity_type="企业",
            region_code="220202",
            legal_representative="测试",
            contact_phone="13900000000",
        )
    )
    session.commit()
    assert session.scalar(select(Entity.id).where(Entity.short_name == "载入后新增")) == 301
    assert "载入后新增" in {item["short_name"] for item in search_entities(session, "载入后新增")["items"]}
