"""Public reading over HTTP: health, authentication, code check, search, profile, records, report,
repair eligibility and the policy."""

from __future__ import annotations

from datetime import date

import pytest

from credit_backend.models import CreditRecord, Entity, Evaluation
from credit_backend.policy.loader import load_policy
from credit_backend.rules.periods import add_months
from tests.backend.api_helpers import (
    API,
    BLACKLISTED,
    JIANGCHENG,
    LAOWANG,
    OBJECTING,
    QIHANG,
    REDLIST,
    UNKNOWN_VALID,
    assert_error,
    bind,
    objection_body,
    submit,
)
from tests.backend.conftest import ADMIN, ASSISTANT, STAFF

TODAY = date(2026, 11, 26)


# --- health and authentication --------------------------------------------------------------------


def test_healthz_needs_no_token(client, world):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/uscc/check?code=91220202MA0Y3K7Q6L",
        "/api/v1/entities?q=江城建",
        f"/api/v1/entities/{JIANGCHENG}",
        f"/api/v1/entities/{JIANGCHENG}/records",
        f"/api/v1/entities/{JIANGCHENG}/report",
        "/api/v1/records/1/repair-eligibility",
        "/api/v1/policy",
        "/api/v1/applications",
        "/api/v1/notifications?channel=tg",
    ],
)
def test_reading_needs_a_token(client, world, path):
    assert_error(client.get(path), 401, "AUTH_REQUIRED", "Authorization")
    assert_error(client.get(path, headers={"Authorization": "Bearer nope"}), 401, "AUTH_REQUIRED", "无效")
    assert_error(client.get(path, headers={"Authorization": "Basic dGVzdC1zdGFmZg=="}), 401, "AUTH_REQUIRED")
    assert_error(client.get(path, headers={"Authorization": "test-staff"}), 401, "AUTH_REQUIRED")


def test_every_role_may_read(client, world):
    for headers in (ASSISTANT, STAFF, ADMIN, {"Authorization": "bearer test-assistant"}):
        assert client.get(f"{API}/policy", headers=headers).status_code == 200


def test_unknown_route_and_method(client, world):
    assert_error(client.get(f"{API}/nowhere", headers=ASSISTANT), 404, "NOT_FOUND", "接口")
    assert_error(client.delete(f"{API}/policy", headers=ASSISTANT), 405, "METHOD_NOT_ALLOWED", "请求方法")


# --- /uscc/check ----------------------------------------------------------------------------------


def check(client, code: str) -> dict:
    r = client.get(f"{API}/uscc/check", params={"code": code}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    "raw",
    [
        "91220202MA0Y3K7Q6L",
        "91220202ma0y3k7q6l",
        " 9122 0202 MA0Y 3K7Q 6L ",
        "91220202-MA0Y3K7Q-6L",
        "９１２２０２０２ＭＡ０Ｙ３Ｋ７Ｑ６Ｌ",
    ],
)
def test_valid_code_in_any_spelling(client, world, raw):
    body = check(client, raw)
    assert body["code"] == JIANGCHENG
    assert body["ok"] is True
    assert body["errors"] == []
    assert body["suggestions"] == []
    assert body["entity"] == {"uscc": JIANGCHENG, "name": "吉林市江城建材有限公司"}


def test_valid_code_without_an_entity(client, world):
    body = check(client, UNKNOWN_VALID)
    assert body["ok"] is True and body["entity"] is None


@pytest.mark.parametrize(
    ("raw", "kind", "fragment", "position"),
    [
        ("", "USCC_EMPTY", "请输入18位统一社会信用代码", None),
        ("9122020", "USCC_LENGTH", "应为18位，您输入的是7位", None),
        ("91220202MA0Y3K7Q6L1", "USCC_LENGTH", "您输入的是19位", None),
        ("91220202MAOY3K7Q6L", "USCC_CHARSET", "第11位“O”不是有效字符", 11),
        ("91220202MA0Y3K7Q6M", "USCC_CHECK_DIGIT", "第18位应为“L”，您输入的是“M”", 18),
    ],
)
def test_each_error_kind_has_a_chinese_message(client, world, raw, kind, fragment, position):
    body = check(client, raw)
    assert body["ok"] is False
    assert body["entity"] is None
    [error] = body["errors"]
    assert error["code"] == kind
    assert fragment in error["message"]
    assert error["position"] == position


def test_charset_error_hints_at_the_lookalike_digit(client, world):
    [error] = check(client, "91220202MAOY3K7Q6L")["errors"]
    assert "“O”可能是数字“0”" in error["message"]


@pytest.mark.parametrize("raw", ["91220202MA0Y3K7Q6M", "91220202MA0Y3K8Q6L", "81220202MA0Y3K7Q6L"])
def test_one_character_away_suggests_the_existing_entity(client, world, raw):
    body = check(client, raw)
    assert body["ok"] is False
    assert body["suggestions"] == [{"uscc": JIANGCHENG, "name": "吉林市江城建材有限公司"}]


def test_no_suggestion_when_no_entity_is_one_character_away(client, world):
    body = check(client, "91220203MA2XY01296")  # check digit wrong, nobody nearby
    assert body["errors"][0]["code"] == "USCC_CHECK_DIGIT"
    assert body["suggestions"] == []


def test_letter_o_typed_for_zero_suggests_the_entity(client, world):
    """The input differs from 江城建材's code in one position (O for 0): the contract promises it as a suggestion."""
    body = check(client, "91220202MAOY3K7Q6L")
    assert body["suggestions"] == [{"uscc": JIANGCHENG, "name": "吉林市江城建材有限公司"}]


def test_check_needs_the_code_parameter(client, world):
    """The missing parameter is the 统一社会信用代码, not a one-time code (验证码)."""
    err = assert_error(client.get(f"{API}/uscc/check", headers=ASSISTANT), 400, "VALIDATION_ERROR", "统一社会信用代码")
    assert "验证码" not in err["message"]


# --- search ---------------------------------------------------------------------------------------


def search(client, q: str, **params) -> dict:
    r = client.get(f"{API}/entities", params={"q": q, **params}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    return r.json()


def test_search_by_three_or_more_characters_of_the_name(client, world):
    body = search(client, "江城建")
    assert body["total"] == 1
    assert body["items"] == [
        {
            "uscc": JIANGCHENG,
            "name": "吉林市江城建材有限公司",
            "short_name": "江城建材",
            "region_name": "昌邑区",
            "status": "存续",
            "grade": "B",
        }
    ]
    assert search(client, "老王烧烤店")["items"][0]["uscc"] == LAOWANG
    assert search(client, "江城 建材")["items"][0]["uscc"] == JIANGCHENG  # spaces are ignored


def test_search_matches_the_short_name_too(client, world):
    # "厂合作" occurs only in the short name 桦皮厂合作社, not in 昌邑区桦皮厂村股份经济合作社.
    body = search(client, "厂合作")
    assert [i["uscc"] for i in body["items"]] == [BLACKLISTED]


def test_search_by_a_two_character_short_name(client, world, session):
    session.add(
        Entity(
            uscc="91220202MA1ABCDE8G",
            name="吉林恒达物流有限公司",
            short_name="恒达",
            entity_type="企业",
            region_code="220202",
            legal_representative="李明",
            contact_phone="13943210009",
        )
    )
    session.commit()
    body = search(client, "恒达")
    assert [i["name"] for i in body["items"]] == ["吉林恒达物流有限公司"]
    assert body["items"][0]["grade"] is None


def test_search_by_a_two_character_name_prefix(client, world):
    assert [i["uscc"] for i in search(client, "船营")["items"]] == [LAOWANG]
    body = search(client, "吉林")
    assert {i["uscc"] for i in body["items"]} == {JIANGCHENG, REDLIST}
    assert body["total"] == 2


def test_search_limit_and_total(client, world):
    body = search(client, "吉林", limit=1)
    assert len(body["items"]) == 1 and body["total"] == 2
    assert_error(
        client.get(f"{API}/entities", params={"q": "吉林", "limit": 51}, headers=ASSISTANT),
        400,
        "VALIDATION_ERROR",
        "“数量”不能大于50",
    )
    assert_error(
        client.get(f"{API}/entities", params={"q": "吉林", "limit": 0}, headers=ASSISTANT),
        400,
        "VALIDATION_ERROR",
        "“数量”不能小于1",
    )


def test_search_shows_the_newest_grade(client, world, session):
    session.add(
        Evaluation(
            entity_id=world.entities["jiangcheng"].id,
            grade="C",
            evaluated_on=date(2026, 10, 1),
            reason="行政处罚后重新评定",
        )
    )
    session.commit()
    assert search(client, "江城建材")["items"][0]["grade"] == "C"


@pytest.mark.parametrize("q", ["不存在的公司", "江城建材厂", "%%%", "___", '"江城"'])
def test_search_without_a_match(client, world, q):
    assert search(client, q) == {"items": [], "total": 0, "total_capped": False}


@pytest.mark.parametrize("q", ["", "   "])
def test_empty_search_is_refused(client, world, q):
    r = client.get(f"{API}/entities", params={"q": q}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "请输入要查询的主体名称或简称")


def test_search_needs_q(client, world):
    assert_error(client.get(f"{API}/entities", headers=ASSISTANT), 400, "VALIDATION_ERROR", "缺少“查询内容”")


# --- profile --------------------------------------------------------------------------------------


def profile(client, uscc: str, headers=ASSISTANT) -> dict:
    r = client.get(f"{API}/entities/{uscc}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_profile_masks_personal_data_for_the_assistant(client, world):
    p = profile(client, JIANGCHENG)
    assert p["registered_contact"] == "139****0001"
    assert p["legal_rep_id_number"] == "2202**********1234"
    assert p["legal_representative"] == "王建国"


@pytest.mark.parametrize("headers", [STAFF, ADMIN], ids=["staff", "admin"])
def test_profile_is_unmasked_for_staff(client, world, headers):
    p = profile(client, JIANGCHENG, headers)
    assert p["registered_contact"] == "13943210001"
    assert p["legal_rep_id_number"] == "220202198001011234"


def test_profile_basic_fields_evaluation_and_records(client, world):
    p = profile(client, "９１２２０２０２ｍａ０ｙ３ｋ７ｑ６ｌ")
    assert (p["uscc"], p["name"], p["short_name"]) == (JIANGCHENG, "吉林市江城建材有限公司", "江城建材")
    assert (p["entity_type"], p["region_code"], p["region_name"]) == ("企业", "220202", "昌邑区")
    assert p["status"] == "存续" and p["established_on"] == "2015-03-01"
    assert p["evaluation"] == {
        "grade": "B",
        "label": "信用风险一般",
        "supervision_class": "常规监管",
        "inspection": "按常规比例和频次抽查",
        "evaluated_on": "2026-06-30",
    }
    assert p["record_counts"] == {"行政许可": 1, "行政处罚": 1}
    assert p["latest_records"]["行政处罚"][0]["id"] == world.records["repairable"].id
    assert p["latest_records"]["行政许可"][0]["document_no"] == "吉市审批〔2024〕88号"
    assert p["lists"] == [] and p["under_objection"] == [] and p["under_repair"] == []
    assert p["voluntary_info"] == []


def test_profile_inspection_text_per_grade(client, world):
    assert profile(client, LAOWANG)["evaluation"]["inspection"] == "适当提高抽查比例和频次，重点关注"
    assert profile(client, REDLIST)["evaluation"]["supervision_class"] == "优化监管"


def test_profile_of_the_blacklisted_lists_consequences(client, world):
    p = profile(client, BLACKLISTED)
    [entry] = p["lists"]
    assert entry["list_type"] == "严重失信主体名单"
    assert entry["since"] == add_months(TODAY, -2).isoformat()
    assert entry["record_id"] == world.records["serious_list"].id
    assert entry["consequences"] == list(load_policy().consequences["严重失信主体名单"].measures)
    assert any("限制" in c for c in entry["consequences"])


def test_profile_of_the_red_listed_lists_incentives(client, world):
    [entry] = profile(client, REDLIST)["lists"]
    assert entry["list_type"] == "守信激励"
    assert entry["since"] == "2026-04-01"
    assert any("容缺受理" in c for c in entry["consequences"])


def test_profile_shows_records_under_objection(client, world):
    bind(client, "tg:4001", OBJECTING)
    rid = world.records["objected"].id
    assert submit(client, "objections", objection_body("tg:4001", rid, uscc=OBJECTING)).status_code == 201
    p = profile(client, OBJECTING)
    assert [r["id"] for r in p["under_objection"]] == [rid]
    assert p["under_objection"][0]["under_objection"] is True


def test_profile_of_an_invalid_or_unknown_code(client, world):
    err = assert_error(
        client.get(f"{API}/entities/91220202MA0Y3K7Q6M", headers=ASSISTANT),
        400,
        "USCC_INVALID",
        "校验位",
        "吉林市江城建材有限公司",
    )
    assert err["details"]["problems"][0]["code"] == "USCC_CHECK_DIGIT"
    assert err["details"]["suggestions"] == [{"uscc": JIANGCHENG, "name": "吉林市江城建材有限公司"}]
    assert_error(client.get(f"{API}/entities/12345", headers=ASSISTANT), 400, "USCC_INVALID", "应为18位")
    assert_error(
        client.get(f"{API}/entities/{UNKNOWN_VALID}", headers=ASSISTANT), 404, "ENTITY_NOT_FOUND", UNKNOWN_VALID
    )


# --- records --------------------------------------------------------------------------------------


def records(client, uscc: str, **params) -> list[dict]:
    r = client.get(f"{API}/entities/{uscc}/records", params=params, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_records_of_an_entity_newest_first(client, world):
    items = records(client, JIANGCHENG)
    assert [i["id"] for i in items] == [world.records["repairable"].id, world.records["licence"].id]
    first = items[0]
    assert first == {
        "id": world.records["repairable"].id,
        "category": "行政处罚",
        "title": "未按规定设置危险废物识别标志",
        "document_no": "吉市环罚〔2026〕1号",
        "authority": "吉林市生态环境局",
        "decision_date": add_months(TODAY, -5).isoformat(),
        "severity": "一般",
        "polarity": "negative",
        "content": None,
        "publicity_end": add_months(TODAY, 7).isoformat(),
        "status": "active",
        "status_label": "公示中",
        "published": True,
        "under_objection": False,
        "under_repair": False,
        "obligations_fulfilled": True,
        "repair_applies": True,
    }
    assert items[1]["repair_applies"] is False  # a 行政许可 is not 失信信息


@pytest.mark.parametrize(
    ("category", "expected"),
    [("行政处罚", "repairable"), ("处罚", "repairable"), ("许可", "licence"), (" 行政许可 ", "licence")],
)
def test_records_by_category_or_alias(client, world, category, expected):
    items = records(client, JIANGCHENG, category=category)
    assert [i["id"] for i in items] == [world.records[expected].id]


def test_records_alias_for_lists(client, world):
    assert [i["id"] for i in records(client, REDLIST, category="红名单")] == [world.records["red"].id]
    assert [i["id"] for i in records(client, BLACKLISTED, category="黑名单")] == [world.records["serious_list"].id]
    assert records(client, JIANGCHENG, category="经营异常") == []


@pytest.mark.parametrize("category", ["罚款", "老赖"])
def test_unknown_record_category(client, world, category):
    r = client.get(f"{API}/entities/{JIANGCHENG}/records", params={"category": category}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", f"没有“{category}”这一类信用记录", "行政处罚")


def test_records_active_only(client, world, session):
    session.add(
        CreditRecord(
            entity_id=world.entities["jiangcheng"].id,
            category="行政处罚",
            title="旧处罚",
            authority="吉林市市场监督管理局",
            decision_date=date(2022, 1, 5),
            severity="一般",
            status="expired",
        )
    )
    session.commit()
    assert len(records(client, JIANGCHENG)) == 3
    assert {i["title"] for i in records(client, JIANGCHENG, active_only="true")} == {
        "未按规定设置危险废物识别标志",
        "建筑材料经营许可",
    }


def test_records_of_an_unknown_entity(client, world):
    r = client.get(f"{API}/entities/{UNKNOWN_VALID}/records", headers=ASSISTANT)
    assert_error(r, 404, "ENTITY_NOT_FOUND")


# --- report ---------------------------------------------------------------------------------------

SECTION_TITLES = [
    "一、基本信息",
    "二、行政管理",
    "三、诚实守信",
    "四、严重失信主体名单和重点关注名单",
    "五、经营异常",
    "六、信用承诺",
    "七、信用评价",
    "八、司法判决",
    "九、其他",
]


def test_report_has_every_section_and_a_text_rendering(client, world):
    r = client.get(f"{API}/entities/{JIANGCHENG.lower()}/report", headers=ASSISTANT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["uscc"] == JIANGCHENG and body["generated_on"] == "2026-11-26"
    assert [s["title"] for s in body["sections"]] == SECTION_TITLES
    text = body["text"]
    positions = [text.index(t) for t in SECTION_TITLES]
    assert positions == sorted(positions)
    for fragment in (
        "《公共信用信息报告》（吉林市江城建材有限公司）",
        "报告日期：2026年11月26日",
        f"统一社会信用代码：{JIANGCHENG}",
        "法定代表人/负责人：王建国",
        "所在地区：昌邑区",
        "公共信用综合评价：B级（信用风险一般）",
        "[行政处罚] 未按规定设置危险废物识别标志｜吉市环罚〔2026〕1号",
        "[行政许可] 建筑材料经营许可",
        "B级：按常规比例和频次抽查",
        "暂无记录",
        "以“信用中国（吉林市）”网站公示信息为准",
    ):
        assert fragment in text, fragment
    assert "13943210001" not in text and "220202198001011234" not in text
    sections = {s["title"]: s["lines"] for s in body["sections"]}
    assert sections["五、经营异常"] == ["暂无记录"]


def test_report_of_the_blacklisted_shows_the_list(client, world):
    body = client.get(f"{API}/entities/{BLACKLISTED}/report", headers=ASSISTANT).json()
    lines = {s["title"]: s["lines"] for s in body["sections"]}["四、严重失信主体名单和重点关注名单"]
    assert len(lines) == 1 and "拒不履行法定义务" in lines[0] and "公示中" in lines[0]


def test_report_marks_records_under_objection(client, world):
    bind(client, "tg:4001", OBJECTING)
    assert (
        submit(
            client, "objections", objection_body("tg:4001", world.records["objected"].id, uscc=OBJECTING)
        ).status_code
        == 201
    )
    text = client.get(f"{API}/entities/{OBJECTING}/report", headers=ASSISTANT).json()["text"]
    assert "未按规定公示年报" in text and "异议处理中" in text


def test_report_of_an_unknown_entity(client, world):
    assert_error(client.get(f"{API}/entities/{UNKNOWN_VALID}/report", headers=ASSISTANT), 404, "ENTITY_NOT_FOUND")


# --- repair eligibility ---------------------------------------------------------------------------


def eligibility(client, record_id: int, **params) -> dict:
    r = client.get(f"{API}/records/{record_id}/repair-eligibility", params=params, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    return r.json()


def test_repairable_record_is_eligible_now(client, world):
    rec = world.records["repairable"]
    body = eligibility(client, rec.id)
    assert body["eligible"] is True
    assert body["reasons"] == []
    assert body["earliest_date"] == add_months(rec.decision_date, 3).isoformat()
    assert body["window"] == {
        "published": True,
        "min_end": add_months(rec.decision_date, 3).isoformat(),
        "max_end": add_months(rec.decision_date, 12).isoformat(),
    }
    assert "国家发展改革委令2025年第36号" in body["regime"]
    assert body["requirements"] == list(load_policy().repair.requirements)
    assert body["commitment_items"] == list(load_policy().commitment_items("信用修复型"))


def test_later_record_names_its_earliest_date(client, world):
    rec = world.records["later"]
    earliest = add_months(rec.decision_date, 3)
    assert earliest == date(2027, 1, 26)
    body = eligibility(client, rec.id)
    assert body["eligible"] is False
    assert body["earliest_date"] == earliest.isoformat()
    assert [r["code"] for r in body["reasons"]] == ["MIN_PERIOD_NOT_PASSED"]
    assert "最早可于2027年1月26日申请信用修复" in body["reasons"][0]["message"]
    # On that day it becomes eligible, the day before not.
    assert eligibility(client, rec.id, on="2027-01-26")["eligible"] is True
    assert eligibility(client, rec.id, on="2027-01-25")["eligible"] is False


def test_barred_record_can_never_be_repaired(client, world):
    body = eligibility(client, world.records["barred"].id)
    assert body["eligible"] is False and body["earliest_date"] is None
    assert [r["code"] for r in body["reasons"]] == ["LEGALLY_NON_REPAIRABLE"]
    assert "不可修复" in body["reasons"][0]["message"]


def test_positive_record_needs_no_repair(client, world):
    for key in ("licence", "red"):
        body = eligibility(client, world.records[key].id)
        assert body["eligible"] is False and body["earliest_date"] is None
        assert [r["code"] for r in body["reasons"]] == ["NOT_NEGATIVE"]
        assert "不属于失信信息" in body["reasons"][0]["message"]


def test_serious_list_record_lists_every_obstacle(client, world):
    rec = world.records["serious_list"]
    body = eligibility(client, rec.id)
    assert body["eligible"] is False
    assert [r["code"] for r in body["reasons"]] == ["MIN_PERIOD_NOT_PASSED", "OBLIGATIONS_NOT_FULFILLED"]
    assert body["earliest_date"] == add_months(rec.decision_date, 12).isoformat()


def test_eligibility_of_an_unknown_record_or_bad_date(client, world):
    r = client.get(f"{API}/records/999999/repair-eligibility", headers=ASSISTANT)
    assert_error(r, 404, "RECORD_NOT_FOUND", "999999")
    r = client.get(
        f"{API}/records/{world.records['later'].id}/repair-eligibility", params={"on": "2027-02-30"}, headers=ASSISTANT
    )
    assert_error(r, 400, "VALIDATION_ERROR", "应为日期")
    r = client.get(f"{API}/records/abc/repair-eligibility", headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "应为整数")


# --- policy ---------------------------------------------------------------------------------------


def test_policy_has_commitment_types_and_registration_categories(client, world):
    r = client.get(f"{API}/policy", headers=ASSISTANT)
    assert r.status_code == 200, r.text
    body = r.json()
    types = body["commitments"]["types"]
    assert set(types) == {"审批替代型", "容缺受理型", "主动型", "行业自律型", "信用修复型", "证明事项告知承诺"}
    assert types["容缺受理型"]["extra_items"][0] == "在承诺期限内补齐所缺材料"
    assert {"source", "verified"} <= set(types["容缺受理型"])
    assert len(body["commitments"]["base_items"]) == 5
    categories = body["voluntary_registration"]["categories"]
    assert set(categories) == {"资质证照", "市场经营", "合同履约", "社会公益"}
    assert [f["key"] for f in categories["合同履约"]["fields"]] == [
        "contract_name",
        "counterparty",
        "contract_amount",
        "performance",
    ]
    assert body["objection"]["verification"]["working_days"] == 15
    assert set(body["evaluation"]["grades"]) == {"A", "B", "C", "D"}
    assert body["identity_binding"]["otp_ttl_minutes"] == 10


def test_qihang_profile_is_readable(client, world):
    # The barred record's entity: a 民政 code (52…) is a valid code like any other.
    p = profile(client, QIHANG)
    assert p["name"] == "丰满区启航职业培训学校" and p["region_name"] == "丰满区"
    assert p["record_counts"] == {"行政处罚": 1}
