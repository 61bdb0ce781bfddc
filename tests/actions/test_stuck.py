"""Two failed attempts at one question → the explanation with 继续 / 取消 / 转人工."""

from __future__ import annotations

from actions.forms_base import EXPLANATIONS
from tests.actions.flows import FILER, start
from tests.actions.harness import BackendProcess, Chat, Turn

WAY_OUT = [("继续", "/inform"), ("取消", "/cancel"), ("转人工", "/human_handoff")]
OFFER = "您可以继续回答，也可以取消本次办理，或转人工服务。"


def way_out(turn: Turn) -> list[tuple[str, str]]:
    return [
        (b["title"], b["payload"]) for b in turn.buttons if b["payload"] in ("/inform", "/cancel", "/human_handoff")
    ]


def test_second_wrong_code_explains_and_offers_a_way_out(chat: Chat) -> None:
    short = "9122020MA0Y3K7Q6L"  # 17 characters
    first = chat.start_form("query_form", f"查{short}", "query_credit", entities={"uscc": short}, slots={"uscc": short})
    assert "统一社会信用代码应为18位，您输入的是17位" in first.text
    assert OFFER not in first.text and way_out(first) == []

    second = chat.answer(short, entities={"uscc": short})
    assert "统一社会信用代码应为18位，您输入的是17位" in second.text
    assert f"{EXPLANATIONS['uscc']}\n{OFFER}" in second.text
    assert way_out(second) == WAY_OUT
    assert chat.requested == "uscc"  # "继续" just answers the same question again

    # A right answer is accepted and clears the count.
    chat.answer("91220202MA0Y3K7Q6L", entities={"uscc": "91220202MA0Y3K7Q6L"})
    assert not chat.active_loop and chat.slots["failed_attempts"] is None


def test_failures_at_different_questions_do_not_add_up(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, FILER)
    start(chat, "commitment_form", "make_commitment", FILER, "我要做信用承诺")
    turn = chat.answer("随便什么")
    assert "请从以下类型中选择" in turn.text and OFFER not in turn.text
    chat.answer("主动型")
    turn = chat.answer("办")
    assert "内容太短了，请再具体一些。" in turn.text and OFFER not in turn.text
    turn = chat.answer("证")
    assert f"{EXPLANATIONS['commitment_matter']}\n{OFFER}" in turn.text
    assert way_out(turn) == WAY_OUT
    assert chat.requested == "commitment_matter"
