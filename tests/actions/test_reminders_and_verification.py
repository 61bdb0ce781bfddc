"""Issue 12 in chat: 信用提醒 (订阅 / 退订, seed items 9 and 16) and 核验报告 (seed item 3), against the real backend."""

from __future__ import annotations

import pytest
import requests

from actions import texts
from actions.forms_base import STUCK_BUTTONS
from credit_backend.rules.vocabulary import REMINDER_KINDS
from tests.actions.conftest import use_backend
from tests.actions.flows import FILER, FILER_NAME, JIANGCHENG, JIANGCHENG_NAME
from tests.actions.harness import ASSISTANT_TOKEN, BackendProcess, Chat

# -- 信用提醒 ----------------------------------------------------------------------------------------


def subscriptions(backend: BackendProcess, sender: str) -> list[str]:
    return [s["uscc"] for s in backend.get("/api/v1/subscriptions", sender_id=sender)["items"]]


def test_an_unbound_sender_is_told_why_and_offered_binding(chat: Chat, backend: BackendProcess) -> None:
    chat.user("订阅信用提醒", "subscribe_reminders")
    turn = chat.run("action_subscribe_reminders")
    assert turn.text == texts.SUBSCRIBE_NEEDS_BINDING
    assert turn.payloads() == ["/bind_entity"]
    assert subscriptions(backend, chat.sender_id) == []


def test_subscribe_once_again_unsubscribe_and_again(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, JIANGCHENG)
    chat.user("订阅信用提醒", "subscribe_reminders")
    turn = chat.run("action_subscribe_reminders")
    assert turn.text.startswith(f"已为「{JIANGCHENG_NAME}」订阅信用提醒。")
    assert all(kind in turn.text for kind in REMINDER_KINDS)
    assert texts.HOW_TO_UNSUBSCRIBE in turn.text
    assert subscriptions(backend, chat.sender_id) == [JIANGCHENG]

    chat.user("开通风险预警", "subscribe_reminders")
    again = chat.run("action_subscribe_reminders")
    assert again.text.startswith(f"「{JIANGCHENG_NAME}」已经订阅了信用提醒，不用重复订阅。")
    assert subscriptions(backend, chat.sender_id) == [JIANGCHENG]

    chat.user("退订", "unsubscribe_reminders")
    gone = chat.run("action_unsubscribe_reminders")
    assert gone.text.startswith(f"已退订「{JIANGCHENG_NAME}」的信用提醒")
    assert subscriptions(backend, chat.sender_id) == []

    chat.user("退订", "unsubscribe_reminders")
    assert chat.run("action_unsubscribe_reminders").text == texts.NOT_SUBSCRIBED


def test_several_bound_entities_are_offered_and_one_is_chosen(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, JIANGCHENG)
    backend.bind(chat.sender_id, FILER)
    chat.user("订阅信用提醒", "subscribe_reminders")
    turn = chat.run("action_subscribe_reminders")
    assert sorted(turn.payloads()) == sorted(f'/subscribe_reminders{{"uscc":"{code}"}}' for code in (JIANGCHENG, FILER))
    assert subscriptions(backend, chat.sender_id) == []

    chat.user(f'/subscribe_reminders{{"uscc":"{FILER}"}}', "subscribe_reminders", entities={"uscc": FILER})
    assert chat.run("action_subscribe_reminders").text.startswith(f"已为「{FILER_NAME}」订阅信用提醒。")
    chat.user(f'/subscribe_reminders{{"uscc":"{JIANGCHENG}"}}', "subscribe_reminders", entities={"uscc": JIANGCHENG})
    chat.run("action_subscribe_reminders")
    assert sorted(subscriptions(backend, chat.sender_id)) == sorted([JIANGCHENG, FILER])

    # "退订" with an entity named: only that one.
    chat.user("退订江城建材的提醒", "unsubscribe_reminders", entities={"org_name": "江城建材"})
    assert chat.run("action_unsubscribe_reminders").text.startswith(f"已退订「{JIANGCHENG_NAME}」")
    assert subscriptions(backend, chat.sender_id) == [FILER]


def test_an_entity_the_sender_is_not_bound_to_is_refused_with_a_binding_offer(
    chat: Chat, backend: BackendProcess
) -> None:
    backend.bind(chat.sender_id, FILER)
    chat.user(f"给{JIANGCHENG}开通信用提醒", "subscribe_reminders", entities={"uscc": JIANGCHENG})
    turn = chat.run("action_subscribe_reminders")
    assert turn.text == texts.SUBSCRIBE_NOT_BOUND_TO_IT
    assert turn.payloads() == [f'/bind_entity{{"uscc":"{JIANGCHENG}"}}']
    assert subscriptions(backend, chat.sender_id) == []


def test_reminders_while_the_backend_is_down(chat: Chat, closed_url: str) -> None:
    use_backend(closed_url)
    chat.user("订阅信用提醒", "subscribe_reminders")
    assert chat.run("action_subscribe_reminders").text.startswith("抱歉，信用服务系统暂时无法连接")
    chat.user("退订", "unsubscribe_reminders")
    assert chat.run("action_unsubscribe_reminders").text.startswith("抱歉，信用服务系统暂时无法连接")


# -- 核验报告 ----------------------------------------------------------------------------------------


@pytest.fixture
def issued(backend: BackendProcess) -> dict:
    """A report just issued on 江城建材 (what its holder hands over: number and code)."""
    return backend.post(f"/api/v1/entities/{JIANGCHENG}/reports", {})


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def test_verify_asks_number_then_code_typed_loosely(chat: Chat, issued: dict) -> None:
    turn = chat.start_form("report_verification_form", "核验报告", "verify_report")
    assert chat.requested == "report_no"
    assert "XYBG-" in turn.text
    typed_no = full_width(issued["report_no"].lower())  # ｘｙｂｇ－２０２６…
    turn = chat.answer(typed_no)
    assert chat.requested == "verification_code", turn.text
    assert chat.slots["report_no"] == issued["report_no"]
    chat.answer(issued["code"].replace("-", "").lower())
    assert not chat.active_loop
    assert chat.slots["verification_code"] == issued["code"]

    answer = chat.run("action_verify_report")
    assert answer.text.startswith("报告真实有效")
    for expected in (issued["report_no"], JIANGCHENG_NAME, JIANGCHENG, "有效期至", "北京时间"):
        assert expected in answer.text, expected
    assert answer.slot_events() == {"report_no": None, "verification_code": None}


def test_number_and_code_in_one_message_are_taken_at_once(chat: Chat, issued: dict) -> None:
    text = f"核验报告 {issued['report_no'].replace('-', '')} 核验码 {issued['code'].lower()}"
    # The NLU found the number only; the code is read from the same message.
    turn = chat.start_form("report_verification_form", text, "verify_report", slots={"report_no": issued["report_no"]})
    assert turn.messages == [] and not chat.active_loop
    assert (chat.slots["report_no"], chat.slots["verification_code"]) == (issued["report_no"], issued["code"])
    assert chat.run("action_verify_report").text.startswith("报告真实有效")


def test_a_wrong_code_and_an_unknown_number_get_the_same_answer(chat: Chat, new_chat, issued: dict) -> None:
    answers = []
    for number, code in ((issued["report_no"], "ZZZZ-ZZZZ"), ("XYBG-20200101-00001", issued["code"])):
        one = new_chat()
        one.start_form(
            "report_verification_form",
            "核验报告",
            "verify_report",
            slots={"report_no": number, "verification_code": code},
        )
        assert not one.active_loop
        answers.append(one.run("action_verify_report").text.replace(number, "#"))
    assert answers[0] == answers[1]
    assert "未找到" in answers[0]


def test_bad_input_is_asked_again_with_a_hint_then_explained(chat: Chat) -> None:
    chat.start_form("report_verification_form", "核验报告", "verify_report")
    turn = chat.answer("报告编号是2026年的那份")
    assert "没有认出报告编号" in turn.text and "XYBG-20261129-00001" in turn.text
    assert chat.requested == "report_no"
    turn = chat.answer("XYBG-2026-1")
    assert [b["payload"] for b in turn.buttons] == [b["payload"] for b in STUCK_BUTTONS]
    assert chat.requested == "report_no"
    chat.answer("XYBG-20261129-00001")
    turn = chat.answer("0000-1111")  # 0 and 1 are never in a code
    assert "没有认出核验码" in turn.text and "ABCD-EFGH" in turn.text
    assert chat.requested == "verification_code"


def test_too_many_failed_checks_are_refused_in_the_backends_words(chat: Chat, backend: BackendProcess) -> None:
    number = "XYBG-20261001-00777"
    for _ in range(12):  # past the backend's daily limit of failed checks for one number
        requests.get(
            f"{backend.url}/api/v1/reports/{number}/verification",
            params={"code": "ZZZZ-ZZZZ"},
            headers={"Authorization": f"Bearer {ASSISTANT_TOKEN}"},
            timeout=10,
        )
    chat.start_form(
        "report_verification_form",
        "核验报告",
        "verify_report",
        slots={"report_no": number, "verification_code": "ZZZZ-ZZZZ"},
    )
    answer = chat.run("action_verify_report")
    assert "核验失败次数过多" in answer.text
