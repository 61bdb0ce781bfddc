"""Context (issue 13): an FAQ answer leads to its service, "那我现在就申请" starts it, and a flow started after a query
continues with the entity queried (confirming it first). Real actions against a real backend process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from actions import flows
from actions.forms_base import reply_to_offer
from tests.actions.flows import FILER, FILER_NAME, JIANGCHENG, JIANGCHENG_NAME
from tests.actions.harness import BackendProcess, Chat, Turn

ROOT = Path(__file__).resolve().parents[2]
ANSWERS: dict[str, Any] = yaml.safe_load((ROOT / "data/responses/faq.yml").read_text(encoding="utf-8"))["responses"]
OFFER = [{"title": "是", "payload": "/affirm"}, {"title": "换一个主体", "payload": "/deny"}]
WHICH_ENTITY = "请问为哪个主体办理？请提供统一社会信用代码或名称。"


def ask_faq(chat: Chat, text: str, topic: str) -> Turn:
    """A policy question outside a form: Rasa answers it (utter_faq, the ResponseSelector's choice, passed to the
    action as Rasa passes it), then the rule runs action_after_faq."""
    chat.user(text, "faq")
    chat.latest_message["response_selector"] = {
        "faq": {"response": {"intent_response_key": f"faq/{topic}", "utter_action": f"utter_faq/{topic}"}}
    }
    chat.events.append({"event": "action", "name": "utter_faq"})
    return chat.run("action_after_faq")


def answer_text(turn: Turn) -> str:
    """What the user reads of a response the action asked Rasa to send (data/responses/faq.yml)."""
    [message] = turn.messages
    return ANSWERS[message["response"]][0]["text"]


def query(chat: Chat, uscc: str = JIANGCHENG) -> None:
    chat.user(f"查一下{uscc}", "query_credit", {"uscc": uscc})
    assert chat.run("action_query_credit").text.startswith("【")


# -- FAQ answer → its service -----------------------------------------------------------------------


def test_every_topic_a_flow_declares_is_answered_and_explains_one_flow_only() -> None:
    declared = [topic for flow in flows.FLOWS for topic in flow.faq_topics]
    assert len(declared) == len(set(declared)), "a topic explains one service"
    assert {f"utter_faq/{topic}" for topic in declared} <= set(ANSWERS)


def test_an_answer_about_objections_ends_with_the_button_that_files_one(chat: Chat) -> None:
    turn = ask_faq(chat, "异议要怎么提", "objection_how")
    assert turn.text == "需要的话，可以直接在这里办理异议申请："
    assert turn.buttons == [{"title": "提出异议", "payload": "/file_objection"}]
    assert turn.slot_events() == {"last_faq_service": "objection_form"}


@pytest.mark.parametrize(
    ("topic", "title", "payload"),
    [
        ("repair_materials", "申请信用修复", "/apply_repair"),
        ("rongque", "作出信用承诺", "/make_commitment"),
        ("voluntary_registration", "自愿注册信用信息", "/voluntary_registration"),
        ("credit_report_get", "出具信用报告", "/request_credit_report"),
        ("binding_why", "验证企业身份", "/bind_entity"),
    ],
)
def test_answers_about_services_offer_them(chat: Chat, topic: str, title: str, payload: str) -> None:
    assert ask_faq(chat, "问一下", topic).buttons == [{"title": title, "payload": payload}]


def test_a_general_answer_offers_nothing_and_forgets_the_service_asked_about_before(chat: Chat) -> None:
    ask_faq(chat, "修复要什么材料", "repair_materials")
    turn = ask_faq(chat, "工作日怎么算", "working_days")
    assert turn.messages == []  # the answer was Rasa's; nothing follows it
    assert turn.slot_events() == {"last_faq_service": None}
    turn = chat.run("action_start_that_service")
    assert "您想办理哪项业务" in turn.text and "/apply_repair" in turn.payloads()


def test_inside_a_form_the_answer_comes_alone_and_the_form_goes_on(chat: Chat, backend: BackendProcess) -> None:
    """No other service is offered mid-form (as help shows no menu in a form); nothing is remembered."""
    faq = next(i for i in flows.INTERRUPTIONS if i.intent == "faq")
    assert (faq.action, faq.mode) == ("utter_faq", "continue")  # the rules inside every form: answer, go on
    backend.bind(chat.sender_id, FILER)
    chat.start_form(
        "registration_form", f"自愿注册 {FILER}", "voluntary_registration", {"uscc": FILER}, {"uscc": FILER}
    )
    assert chat.requested == "info_category"
    turn = ask_faq(chat, "承诺有哪些类型", "commitment_types")
    assert turn.messages == [] and turn.events == []
    assert chat.active_loop and chat.requested == "info_category"


def test_a_tapped_faq_button_is_answered_like_the_typed_question(chat: Chat) -> None:
    """The disambiguation offers an FAQ question as /faq{"faq_topic": …}: no ResponseSelector output then."""
    chat.user('/faq{"faq_topic":"repair_fee"}', "faq", {"faq_topic": "repair_fee"})
    turn = chat.run("action_after_faq")
    assert "不收取任何费用" in answer_text(turn)
    assert turn.buttons == [{"title": "申请信用修复", "payload": "/apply_repair"}]


def test_an_unknown_topic_in_a_payload_is_not_answered_with_a_made_up_response(chat: Chat) -> None:
    chat.user('/faq{"faq_topic":"../greet"}', "faq", {"faq_topic": "../greet"})
    turn = chat.run("action_after_faq")
    assert turn.messages[0].get("response") is None and "没太明白" in turn.text and turn.events == []


# -- "那我现在就申请" ----------------------------------------------------------------------------------


def test_then_apply_now_starts_the_service_of_the_answer(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, JIANGCHENG)
    ask_faq(chat, "信用修复要满足什么条件", "repair_conditions")
    chat.user("那我现在就申请", "start_that_service")
    turn = chat.run("action_start_that_service")
    assert turn.text == "好的，现在开始办理“信用修复”。"
    assert turn.slot_events() == {"service_to_start": "repair_form", "last_faq_service": None}
    # The generated rule starts the form the slot names (data/rules/flows.generated.yml), in the same turn.
    chat.apply([{"event": "active_loop", "name": "repair_form"}])
    turn = chat._form_step({})
    assert turn.text.startswith(WHICH_ENTITY) and chat.requested == "uscc"
    turn = chat.answer(JIANGCHENG, entities={"uscc": JIANGCHENG})
    assert chat.requested == "record_id" and "请选择要申请信用修复的记录" in turn.text


def test_then_apply_now_without_an_answer_about_a_service_shows_the_menu(chat: Chat) -> None:
    chat.user("那就办吧", "start_that_service")
    turn = chat.run("action_start_that_service")
    assert turn.text.startswith("您想办理哪项业务")
    assert "/file_objection" in turn.payloads() and "/apply_repair" in turn.payloads()
    assert turn.slot_events() == {"service_to_start": None}


def test_the_service_is_started_once(chat: Chat) -> None:
    ask_faq(chat, "容缺受理是什么", "rongque")
    chat.user("我要办这个", "start_that_service")
    assert chat.run("action_start_that_service").slot_events()["service_to_start"] == "commitment_form"
    chat.user("我要办这个", "start_that_service")
    assert chat.run("action_start_that_service").slot_events() == {"service_to_start": None}


# -- after a query: continue with its entity ----------------------------------------------------------


def test_repair_after_a_query_offers_the_entity_and_yes_takes_it(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, JIANGCHENG)
    query(chat)
    turn = chat.start_form("repair_form", "申请信用修复", "apply_repair")
    assert turn.messages[-1]["text"] == f"为「{JIANGCHENG_NAME}」办理信用修复吗？"
    assert turn.buttons == OFFER and chat.requested == "uscc"
    turn = chat.answer("/affirm", intent="affirm")  # the tapped 是
    assert chat.slots["uscc"] == JIANGCHENG and chat.slots["offered_uscc"] is None
    assert chat.requested == "record_id" and "请选择要申请信用修复的记录" in turn.text


def test_typed_yes_takes_it_and_binding_still_applies(chat: Chat) -> None:
    """An unbound sender: the offered entity is checked like a typed one, so identity binding comes first."""
    query(chat)
    turn = chat.start_form("objection_form", "提异议", "file_objection")
    assert turn.messages[-1]["text"] == f"为「{JIANGCHENG_NAME}」办理异议申请吗？"
    turn = chat.answer("是的", intent="affirm")
    assert f"办理前需要先验证您是「{JIANGCHENG_NAME}」的经办人" in turn.text
    assert chat.slots["binding_needed"] is True and chat.slots["pending_form"] == "objection_form"
    assert not chat.active_loop


def test_another_entity_asks_the_question_plainly_and_takes_the_new_one(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, FILER)
    query(chat)
    chat.start_form("commitment_form", "我要做信用承诺", "make_commitment")
    turn = chat.answer("/deny", intent="deny")  # the tapped 换一个主体
    assert turn.text.startswith(WHICH_ENTITY) and "为「" not in turn.text
    assert chat.requested == "uscc" and chat.slots["uscc"] is None and chat.slots["failed_attempts"] is None
    assert FILER_NAME in [b["title"] for b in turn.buttons]  # the entities the sender is bound to
    turn = chat.answer(FILER, entities={"uscc": FILER})
    assert chat.slots["uscc"] == FILER and chat.requested == "commitment_type"


def test_a_new_code_instead_of_yes_is_taken(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, FILER)
    query(chat)
    chat.start_form("registration_form", "我要自愿注册", "voluntary_registration")
    chat.answer(f"不是，是{FILER}", intent="inform", entities={"uscc": FILER}, value=FILER)
    assert chat.slots["uscc"] == FILER and chat.requested == "info_category"


def test_typed_change_words_ask_again(chat: Chat) -> None:
    query(chat)
    chat.start_form("objection_form", "提异议", "file_objection")
    # Whatever the NLU made of it (here: inform), a short "换一个" wants another entity.
    turn = chat.answer("换一个")
    assert turn.text.startswith(WHICH_ENTITY) and chat.slots["uscc"] is None


def test_nothing_is_offered_without_a_query_or_when_the_message_names_the_entity(chat: Chat) -> None:
    turn = chat.start_form("objection_form", "提异议", "file_objection")
    assert turn.text.startswith(WHICH_ENTITY) and chat.slots["offered_uscc"] is None
    chat.run("action_cancel")
    chat.apply([{"event": "active_loop", "name": None}])
    query(chat)
    turn = chat.start_form(
        "objection_form", "给吉林市公共资源交易中心提异议", "file_objection", {"org_name": "吉林市公共资源交易中心"}
    )
    assert "为「" not in turn.text


def test_the_query_itself_keeps_its_button_instead_of_the_question(chat: Chat) -> None:
    query(chat)
    turn = chat.start_form("query_form", "查询信用", "query_credit")
    assert turn.text == "请告诉我要查询的主体名称或统一社会信用代码。"
    assert turn.buttons == [{"title": f"再看 {JIANGCHENG}", "payload": f'/inform{{"uscc":"{JIANGCHENG}"}}'}]


def test_the_offer_is_made_once_per_flow(chat: Chat) -> None:
    """Asked again after an interruption, the question is the plain one, and a later 是 is not taken as the offer."""
    query(chat)
    chat.start_form("repair_form", "申请信用修复", "apply_repair")
    ask_faq(chat, "修复收费吗", "repair_fee")
    turn = chat.run("action_ask_uscc")  # the interruption rule runs the form, which asks again
    assert turn.text.startswith(WHICH_ENTITY) and turn.slot_events() == {"offered_uscc": None}


@pytest.mark.parametrize(
    ("text", "intent", "entities", "expected"),
    [
        ("是", "affirm", {}, True),
        ("对的", "inform", {}, True),
        ("/affirm", "affirm", {}, True),
        ("那就办吧", "start_that_service", {}, True),
        ("不是", "inform", {}, False),
        ("换一家", "cancel", {}, False),
        ("换个主体", "deny", {}, False),
        ("吉林市公共资源交易中心", "inform", {"org_name": "吉林市公共资源交易中心"}, None),
        ("就是吉林市江城建材有限公司吧", "inform", {}, None),
        ("是老张家饺子馆", "inform", {}, None),
        ("嗯？", "inform", {}, None),
    ],
)
def test_replies_to_the_offer(
    chat: Chat, text: str, intent: str, entities: dict[str, str], expected: bool | None
) -> None:
    chat.user(text, intent, entities)
    assert reply_to_offer(chat.tracker()) is expected
