"""Staff mode at the counter (issue 11): a staff member chats as ``staff:<console account>`` — the unmasked
profile, the in-person identity check instead of the one-time code, and an objection filed on behalf of the
business carrying that check. The demo city has the console account ``counter01`` (role staff)."""

from __future__ import annotations

from typing import Any

import pytest

from actions.binding import BOUND_MARK, document_type_in, last4_in
from tests.actions.flows import JIANGCHENG, JIANGCHENG_NAME, yes
from tests.actions.harness import STAFF_TOKEN, BackendProcess, Chat
from tests.actions.test_submissions import filed

COUNTER = "staff:counter01"
NAMED = {"91220202MA0Y3K7Q6L", "92220204L5B2C8D11M", "52220211MJ0A1B2C5E", "N2220202MA0Y3K7Q64", "12220200012345671E"}


@pytest.fixture
def counter() -> Chat:
    return Chat(COUNTER)


def staff_profile(backend: BackendProcess, uscc: str) -> dict[str, Any]:
    return backend.get(f"/api/v1/entities/{uscc}", STAFF_TOKEN)


def an_entity_with_records(backend: BackendProcess) -> dict[str, Any]:
    """A generated demo company (none of the named cases other tests use) with a record open to objection."""
    found = backend.get("/api/v1/entities", q="有限公司", limit=50)["items"]
    for item in found:
        if item["uscc"] in NAMED:
            continue
        if any(not r["under_objection"] for r in backend.records(item["uscc"])):
            return item
    raise AssertionError("the demo city has no company with a record open to objection")


def query(chat: Chat, uscc: str) -> str:
    chat.user(f"查一下 {uscc}", "query_credit", {"uscc": uscc})
    return chat.run("action_query_credit").text


# -- unmasked data --------------------------------------------------------------------------------


def test_staff_at_the_counter_see_the_contact_number_unmasked(counter: Chat, backend: BackendProcess) -> None:
    shown = query(counter, JIANGCHENG)
    assert f"【{JIANGCHENG_NAME}】" in shown
    assert "【工作人员可见（已记录查看日志）】" in shown
    assert "登记联系电话：13943210001" in shown
    legal_rep_id = staff_profile(backend, JIANGCHENG)["legal_rep_id_number"]
    assert f"法定代表人：王建国（身份证号码 {legal_rep_id}）" in shown
    audit = backend.get("/api/v1/audit", "actions-test-admin", actor=COUNTER, action="view_personal_data")
    assert any(item["target"] == JIANGCHENG for item in audit["items"])


def test_businesses_never_see_it(chat: Chat) -> None:
    shown = query(chat, JIANGCHENG)
    assert f"【{JIANGCHENG_NAME}】" in shown
    assert "13943210001" not in shown and "工作人员可见" not in shown


# -- the in-person check --------------------------------------------------------------------------


def test_counter_objection_with_in_person_check(counter: Chat, backend: BackendProcess) -> None:
    """帮这家企业提异议 → entity → in-person check → record → reason → outcome → confirm → filed."""
    entity = an_entity_with_records(backend)
    uscc, name = entity["uscc"], entity["name"]
    legal_rep_id = staff_profile(backend, uscc)["legal_rep_id_number"]
    outbox_before = [n["id"] for n in backend.get("/api/v1/notifications", STAFF_TOKEN, channel="sms")["items"]]

    turn = counter.start_form("objection_form", "帮这家企业提异议", "file_objection")
    assert counter.requested == "uscc"
    turn = counter.answer(uscc, entities={"uscc": uscc})
    assert f"为保护主体信息安全，代「{name}」办理前需要先现场核验办事人的身份。" in turn.text
    assert not counter.active_loop and counter.slots["pending_form"] == "objection_form"

    # The rules start binding_form with the entity known: no code is sent, the document is checked instead.
    turn = counter.start_form("binding_form", "/bind_entity", "bind_entity", slots={"uscc": uscc})
    assert f"请现场核验「{name}」办事人的身份证件（柜台核验，不发送验证码）。" in turn.text
    assert "验证码" not in turn.text.replace("不发送验证码", "")
    assert counter.requested == "id_document_type"
    assert [b["title"] for b in turn.buttons] == [
        "居民身份证",
        "护照",
        "港澳居民来往内地通行证",
        "台湾居民来往大陆通行证",
        "其他",
    ]
    turn = counter.answer(turn.buttons[0]["payload"], entities={"id_document_type": "居民身份证"}, value="居民身份证")
    assert counter.requested == "id_last4" and "请输入证件号码后四位" in turn.text

    turn = counter.answer("12")  # twice wrong: the explanation and the way out
    assert "证件号码后四位应为4个字符，只能是数字或字母X" in turn.text and counter.requested == "id_last4"
    turn = counter.answer("不知道")
    assert "这里需要办事人证件号码的最后4个字符" in turn.text
    assert [b["title"] for b in turn.buttons] == ["继续", "取消", "转人工"]
    wrong = "0000" if legal_rep_id[-4:] != "0000" else "1111"
    counter.answer(wrong)
    assert counter.requested == "authorization_letter"
    assert "授权委托书" in counter.call("action_ask_authorization_letter").text

    # Without a letter only the legal representative may act: the last four must be theirs.
    turn = counter.answer("否", intent="deny", value=False)
    assert "与「" in turn.text and "登记的法定代表人身份证号码不一致" in turn.text
    assert counter.requested == "id_last4"
    counter.answer(f"尾号{legal_rep_id[-4:].lower()}")
    turn = counter.answer("否", intent="deny", value=False)
    assert (
        f"✅ 已核验（现场）：居民身份证（尾号{legal_rep_id[-4:]}），未持授权委托书（法定代表人本人），核验人："
        in turn.text
    )
    assert f"现在可以为「{name}」办理业务，本次核验有效期至" in turn.text
    assert not counter.active_loop and counter.slots["otp_code"] == BOUND_MARK

    after = [n["id"] for n in backend.get("/api/v1/notifications", STAFF_TOKEN, channel="sms")["items"]]
    assert after == outbox_before  # no one-time code went out
    assert counter.run("action_complete_binding").text == "好的，我们继续办理异议申请。"
    assert counter.slots["id_last4"] is None and counter.slots["authorization_letter"] is None

    # The rules resume the objection form with the entity.
    turn = counter.start_form("objection_form", "/file_objection", "file_objection", slots={"uscc": uscc})
    assert "请选择要提出异议的记录" in turn.text
    record = turn.buttons[0]
    record_id = record["payload"].split('"record_id":"')[1].split('"')[0]
    turn = counter.answer(record["payload"], entities={"record_id": record_id}, value=record_id)
    assert "请说明您认为这条记录有误的理由" in turn.text
    counter.answer("企业负责人现场说明：该记录的处罚对象与本企业不符")
    turn = counter.answer("更正", entities={"requested_outcome": "更正"})
    assert "确认提交吗" in turn.text
    yes(counter)

    turn = counter.run("action_submit_objection")
    application = filed(turn, backend, "YY-")
    assert (
        f"身份核验：已核验（现场）— 居民身份证（尾号{legal_rep_id[-4:]}），未持授权委托书（法定代表人本人）"
        in turn.text
    )
    assert application["kind"] == "objection"
    stored = backend.get("/api/v1/bindings", sender_id=COUNTER)["items"]
    check = next(b["identity_check"] for b in stored if b["uscc"] == uscc)
    assert check["staff_account"] == "counter01" and check["authorization_letter"] is False


def test_already_checked_entity_is_not_checked_again(counter: Chat, backend: BackendProcess) -> None:
    backend.post(
        "/api/v1/bindings/in-person",
        {
            "sender_id": COUNTER,
            "uscc": JIANGCHENG,
            "document_type": "护照",
            "id_last4": "5678",
            "authorization_letter": True,
        },
    )
    turn = counter.start_form(
        "binding_form",
        f"验证身份 {JIANGCHENG}",
        "bind_entity",
        entities={"uscc": JIANGCHENG},
        slots={"uscc": JIANGCHENG},
    )
    assert f"您已经验证过「{JIANGCHENG_NAME}」的身份，无需重复验证。" in turn.text
    assert not counter.active_loop


def test_businesses_still_get_the_one_time_code(chat: Chat, backend: BackendProcess) -> None:
    turn = chat.start_form(
        "binding_form",
        f"验证身份 {JIANGCHENG}",
        "bind_entity",
        entities={"uscc": JIANGCHENG},
        slots={"uscc": JIANGCHENG},
    )
    assert "发送了6位验证码" in turn.text and chat.requested == "otp_code"


def test_an_unknown_console_account_cannot_check_in_person(backend: BackendProcess) -> None:
    stranger = Chat("staff:nobody01")
    stranger.start_form(
        "binding_form",
        f"验证身份 {JIANGCHENG}",
        "bind_entity",
        entities={"uscc": JIANGCHENG},
        slots={"uscc": JIANGCHENG},
    )
    stranger.answer("护照", entities={"id_document_type": "护照"})
    stranger.answer("5678")
    turn = stranger.answer("是", intent="affirm", value=True)
    assert "现场身份核验只能由已登录柜台工作台、账号在用的工作人员进行。" in turn.text
    assert "本次未完成身份核验" in turn.text
    assert not stranger.active_loop and stranger.slots["flow_stopped"] is True
    assert backend.get("/api/v1/bindings", sender_id="staff:nobody01")["items"] == []


# -- reading the answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("居民身份证", "居民身份证"),
        ("身份证", "居民身份证"),
        ("港澳通行证", "港澳居民来往内地通行证"),
        ("台胞证", "台湾居民来往大陆通行证"),
        ("其它", "其他"),
        ("驾驶证", None),
        ("身份证和护照", None),
    ],
)
def test_document_type_answers(text: str, expected: str | None) -> None:
    assert document_type_in(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", "1234"),
        ("１２３x", "123X"),
        ("尾号 0 4 2 X", "042X"),
        ("123", None),
        ("12345", None),
        ("220202198001011234", None),
        ("1234 和 5678", None),
    ],
)
def test_last_four_answers(text: str, expected: str | None) -> None:
    assert last4_in(text) == expected


def test_another_entity_named_mid_check_restarts_the_check(counter: Chat) -> None:
    first, other = "12220200012345671E", "52220211MJ0A1B2C5E"  # entities counter01 checks nowhere else
    counter.start_form(
        "binding_form", f"验证身份 {first}", "bind_entity", entities={"uscc": first}, slots={"uscc": first}
    )
    counter.answer("护照", entities={"id_document_type": "护照"})
    assert counter.requested == "id_last4"
    turn = counter.answer(other, entities={"uscc": other}, slots={"uscc": other})
    assert "好的，已改为「丰满区启航职业培训学校」。" in turn.text
    assert counter.slots["id_document_type"] is None and counter.requested == "id_document_type"
