"""Disambiguation (issue 13): when the NLU is unsure, its best intents are offered as buttons, a tap continues as if
that intent had been typed (with the message's entities), and nothing is learned from it. Real actions and Rasa's
own payload parser, against a real backend process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from actions import flows
from actions.flows.labels import FAQ_TOPICS, MENU_BUTTONS, OTHER_INTENTS
from tests.actions.flows import JIANGCHENG, JIANGCHENG_NAME
from tests.actions.harness import BackendProcess, Chat, Turn

ROOT = Path(__file__).resolve().parents[2]
# The domain Rasa serves: the files plus the retrieval intent it adds from the NLU data.
DOMAIN = Domain.load(str(ROOT / "domain")).merge(Domain.from_dict({"intents": ["faq"]}))
WAYS_OUT = [{"title": "都不是，查看全部服务", "payload": "/help"}, {"title": "转人工", "payload": "/human_handoff"}]


def unclear(
    chat: Chat,
    text: str,
    ranking: list[tuple[str, float]],
    entities: dict[str, str] | None = None,
    faq_topic: str | None = None,
) -> Turn:
    """A message the FallbackClassifier turned into nlu_fallback (its ranking first), answered by action_clarify."""
    chat.user(text, "nlu_fallback", entities)
    chat.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.55}
    chat.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.55}] + [
        {"name": name, "confidence": confidence} for name, confidence in ranking
    ]
    if faq_topic:
        chat.latest_message["response_selector"] = {"faq": {"response": {"intent_response_key": f"faq/{faq_topic}"}}}
    return chat.run("action_clarify")


def tap(payload: str) -> tuple[str, dict[str, str]]:
    """What Rasa makes of a tapped button's payload (its RegexMessageHandler): the intent and the entities."""
    parsed = YAMLStoryReader.unpack_regex_message(Message({"text": payload}), DOMAIN)
    intent = (parsed.get("intent") or {}).get("name")
    assert intent, f"Rasa does not read {payload} as an intent"
    return intent, {e["entity"]: e["value"] for e in parsed.get("entities") or []}


def test_two_close_services_are_offered_with_the_ways_out(chat: Chat) -> None:
    turn = unclear(chat, "那条处罚记录怎么弄掉", [("apply_repair", 0.41), ("file_objection", 0.38), ("faq", 0.09)])
    assert turn.text == "我不太确定您的意思，您是想："
    assert turn.buttons == [
        {"title": "申请信用修复", "payload": "/apply_repair"},
        {"title": "提出异议", "payload": "/file_objection"},
        *WAYS_OUT,
    ]
    assert turn.events == []  # nothing is stored about the message or the choice


def test_a_close_third_is_offered_too(chat: Chat) -> None:
    turn = unclear(
        chat,
        "信用报告和修复",
        [("request_credit_report", 0.34), ("apply_repair", 0.31), ("faq", 0.25), ("greet", 0.05)],
        faq_topic="credit_report_use",
    )
    assert [b["title"] for b in turn.buttons] == [
        "出具信用报告",
        "申请信用修复",
        "信用报告有什么用",
        *[w["title"] for w in WAYS_OUT],
    ]


def test_intents_that_ask_for_nothing_are_not_offered(chat: Chat) -> None:
    turn = unclear(chat, "好的那个", [("affirm", 0.5), ("check_application", 0.42), ("greet", 0.05)])
    assert turn.buttons == [{"title": "查询办理进度", "payload": "/check_application"}, *WAYS_OUT]


def test_nothing_usable_falls_back_to_the_menu(chat: Chat) -> None:
    turn = unclear(chat, "嗯嗯", [("affirm", 0.5), ("greet", 0.3), ("thank", 0.2)])
    assert turn.text.startswith("抱歉，我没太明白您的意思")
    assert "/query_credit" in turn.payloads() and "/help" not in turn.payloads()


def test_a_turn_no_rule_covers_gets_the_menu_not_a_guess(chat: Chat) -> None:
    """Core fallback: the NLU was sure, the dialogue had no rule; the intent ranking says nothing then."""
    chat.user("好", "affirm")
    chat.latest_message["intent_ranking"] = [
        {"name": "affirm", "confidence": 0.9},
        {"name": "apply_repair", "confidence": 0.1},
    ]
    turn = chat.run("action_clarify")
    assert turn.text.startswith("抱歉，我没太明白您的意思")
    # The whole menu, every service in it (repair and objection too), not a choice taken from the ranking.
    assert turn.buttons == MENU_BUTTONS
    assert {"/apply_repair", "/file_objection"} <= set(turn.payloads())


def test_a_tapped_service_continues_with_the_code_of_the_message(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, JIANGCHENG)
    turn = unclear(
        chat, f"{JIANGCHENG}那条罚款记录", [("file_objection", 0.44), ("apply_repair", 0.40)], {"uscc": JIANGCHENG}
    )
    objection = turn.buttons[0]
    assert objection["title"] == "提出异议"
    intent, entities = tap(objection["payload"])
    assert (intent, entities) == ("file_objection", {"uscc": JIANGCHENG})
    # The rule for file_objection starts the form; the entity fills the question as if typed with the intent.
    turn = chat.start_form("objection_form", objection["payload"], intent, entities, slots={"uscc": entities["uscc"]})
    assert chat.slots["entity_name"] == JIANGCHENG_NAME
    assert chat.requested == "record_id" and "请选择要提出异议的记录" in turn.text


def test_a_tapped_query_carries_the_name(chat: Chat) -> None:
    turn = unclear(
        chat,
        "江城建材咋样",
        [("query_credit", 0.45), ("faq", 0.40)],
        {"org_name": "江城建材"},
        faq_topic="evaluation_grades",
    )
    assert tap(turn.buttons[0]["payload"]) == ("query_credit", {"org_name": "江城建材"})
    assert turn.buttons[1]["title"] == "企业信用风险分几类"


def test_a_name_said_alone_is_offered_as_its_query(chat: Chat) -> None:
    """What most users type first: their registered name, which the classifier takes for nothing in particular."""
    turn = unclear(
        chat,
        JIANGCHENG_NAME,
        [("inform", 0.47), ("bind_entity", 0.31), ("query_credit", 0.12)],
        {"org_name": JIANGCHENG_NAME},
    )
    assert turn.text == "我不太确定您的意思，您是想："
    assert [b["title"] for b in turn.buttons] == [
        f"查询「{JIANGCHENG_NAME}」的信用状况",
        "验证企业身份",  # the classifier's query is not offered a second time
        *[w["title"] for w in WAYS_OUT],
    ]
    assert tap(turn.buttons[0]["payload"]) == ("query_credit", {"org_name": JIANGCHENG_NAME})


def test_a_name_said_alone_is_offered_when_the_nlu_was_sure_and_no_rule_answered(chat: Chat) -> None:
    chat.user(f"是{JIANGCHENG_NAME}。", "inform", {"org_name": JIANGCHENG_NAME})
    turn = chat.run("action_clarify")
    assert turn.buttons[0] == {
        "title": f"查询「{JIANGCHENG_NAME}」的信用状况",
        "payload": f'/query_credit{{"org_name":"{JIANGCHENG_NAME}"}}',
    }


def test_a_name_the_nlu_did_not_tag_is_offered_when_it_ends_like_a_name(chat: Chat) -> None:
    turn = unclear(chat, "龙潭区孙姐饺子馆", [("greet", 0.5), ("thank", 0.3)])
    assert turn.buttons[0]["title"] == "查询「龙潭区孙姐饺子馆」的信用状况"


@pytest.mark.parametrize("text", ["嗯嗯", "合作社", "长春", "好的那个", "查一下江城建材"])
def test_what_is_not_a_name_alone_is_not_offered_as_one(chat: Chat, text: str) -> None:
    turn = unclear(chat, text, [("affirm", 0.5), ("greet", 0.3)], {"org_name": "江城建材"} if "江城" in text else None)
    assert not any(b["title"].startswith("查询「") for b in turn.buttons)


def test_inside_a_form_a_name_alone_is_not_offered_as_a_query(chat: Chat) -> None:
    chat.start_form("repair_form", "我要申请信用修复", "apply_repair")
    turn = unclear(chat, JIANGCHENG_NAME, [("inform", 0.5), ("greet", 0.3)], {"org_name": JIANGCHENG_NAME})
    assert not any(b["title"].startswith("查询「") for b in turn.buttons)


def test_a_tapped_faq_question_gets_its_answer_and_its_service(chat: Chat) -> None:
    turn = unclear(chat, "修复要啥", [("faq", 0.48), ("apply_repair", 0.45)], faq_topic="repair_materials")
    assert [b["title"] for b in turn.buttons[:2]] == ["信用修复要准备哪些材料", "申请信用修复"]
    intent, entities = tap(turn.buttons[0]["payload"])
    assert (intent, entities) == ("faq", {"faq_topic": "repair_materials"})
    chat.user(turn.buttons[0]["payload"], intent, entities)
    answer = chat.run("action_after_faq")  # the rule for a tapped topic (data/rules/conversation.yml)
    assert answer.messages[0]["response"] == "utter_faq/repair_materials"
    assert answer.buttons == [{"title": "申请信用修复", "payload": "/apply_repair"}]


def test_then_apply_now_is_offered_as_the_service_it_means(chat: Chat) -> None:
    chat.set_slots(last_faq_service="objection_form")
    turn = unclear(chat, "那就这个吧", [("start_that_service", 0.5), ("file_objection", 0.42)])
    assert turn.buttons == [{"title": "提出异议", "payload": "/start_that_service"}, *WAYS_OUT]


def test_then_apply_now_without_an_answer_before_is_not_offered(chat: Chat) -> None:
    turn = unclear(chat, "那就这个吧", [("start_that_service", 0.5), ("human_handoff", 0.42)])
    assert turn.buttons == [{"title": "转人工", "payload": "/human_handoff"}, WAYS_OUT[0]]


def test_inside_a_form_no_other_service_is_offered(chat: Chat) -> None:
    chat.start_form("query_form", "查询", "query_credit")
    turn = unclear(chat, "嗯那个", [("apply_repair", 0.45), ("file_objection", 0.4)])
    assert (
        turn.text
        == "抱歉，我没太明白您的意思。您正在办理“信用查询”。可以直接回答上面的问题继续，说“取消”退出，或说“转人工”。"
    )
    assert turn.buttons == []


def test_every_choice_can_be_tapped() -> None:
    """Every title belongs to an intent Rasa knows, and every FAQ topic with an answer has a title."""
    answers: dict[str, Any] = yaml.safe_load((ROOT / "data/responses/faq.yml").read_text(encoding="utf-8"))["responses"]
    assert set(FAQ_TOPICS) == {name.removeprefix("utter_faq/") for name in answers}
    for intent in [*OTHER_INTENTS, *(flow.intent for flow in flows.FLOWS), flows.START_THAT_SERVICE]:
        assert intent in DOMAIN.intents
        assert tap(f"/{intent}")[0] == intent
    for topic in FAQ_TOPICS:
        assert tap(f'/faq{{"faq_topic":"{topic}"}}') == ("faq", {"faq_topic": topic})


@pytest.mark.parametrize("words", ["重试", "再试一次"])
def test_retry_words_without_a_pending_submission_get_the_choices(chat: Chat, words: str) -> None:
    """With a submission waiting, they resubmit (tests/actions/test_resilience.py); otherwise they are unclear."""
    turn = unclear(chat, words, [("affirm", 0.5), ("apply_repair", 0.45)])
    assert turn.buttons[0] == {"title": "申请信用修复", "payload": "/apply_repair"}
