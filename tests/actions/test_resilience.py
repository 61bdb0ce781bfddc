"""Idempotent submission and a backend that is down: nothing is lost, nothing is filed twice."""

from __future__ import annotations

import re

from tests.actions.conftest import use_backend
from tests.actions.flows import commitment_until_confirmed, yes
from tests.actions.harness import BackendProcess, Chat

APOLOGY = "抱歉，信用服务系统暂时无法连接，请稍后再试。"


def numbers_in(text: str) -> list[str]:
    return re.findall(r"申请编号：([A-Z]{2}-\d{8}-\d{4})", text)


def test_running_the_submit_action_twice_with_the_same_tracker_files_one_application(
    chat: Chat, backend: BackendProcess
) -> None:
    commitment_until_confirmed(chat, backend, "医疗器械经营备案")
    yes(chat)
    # Rasa calls the action server again with the same conversation state (e.g. after a timeout).
    first = chat.call("action_submit_commitment")
    second = chat.call("action_submit_commitment")

    assert numbers_in(first.text) and numbers_in(first.text) == numbers_in(second.text)
    filed = backend.applications(chat.sender_id)
    assert [a["application_no"] for a in filed] == numbers_in(first.text)


def test_a_new_confirmation_is_a_new_application(chat: Chat, backend: BackendProcess) -> None:
    commitment_until_confirmed(chat, backend, "农药经营许可")
    yes(chat)
    first = chat.run("action_submit_commitment")
    commitment_until_confirmed(chat, backend, "农药经营许可")
    yes(chat)
    second = chat.run("action_submit_commitment")
    assert numbers_in(first.text) != numbers_in(second.text)
    assert len(backend.applications(chat.sender_id)) == 2


def test_backend_down_at_submission_keeps_everything_and_retry_files_once(
    chat: Chat, backend: BackendProcess, closed_url: str
) -> None:
    commitment_until_confirmed(chat, backend, "危险化学品经营许可")
    yes(chat)
    answers = {k: chat.slots[k] for k in ("uscc", "entity_name", "commitment_type", "commitment_matter", "confirmed")}

    use_backend(closed_url)
    down = chat.run("action_submit_commitment")
    assert APOLOGY in down.text
    assert "您填写的内容都已保留，回复“重试”即可再次提交，不会重复提交。" in down.text
    assert [(b["title"], b["payload"]) for b in down.buttons] == [
        ("重试", "/affirm"),
        ("取消", "/cancel"),
        ("转人工", "/human_handoff"),
    ]
    # No reset: only the retry bookkeeping is set, every answer is still there.
    assert set(down.slot_events()) == {"submission_nonce", "retry_pending"}
    assert chat.slots["retry_pending"] == "commitment_form"
    assert {k: chat.slots[k] for k in answers} == answers
    assert backend.applications(chat.sender_id) == []

    # Still down: the retry apologises again and keeps everything.
    chat.user("重试", "affirm")
    again = chat.run("action_retry_submission")
    assert APOLOGY in again.text
    assert {k: chat.slots[k] for k in answers} == answers

    use_backend(backend.url)
    chat.user("重试", "affirm")
    done = chat.run("action_retry_submission")
    assert done.text.startswith("✅ 信用承诺已提交！")
    filed = backend.applications(chat.sender_id)
    assert [a["application_no"] for a in filed] == numbers_in(done.text)
    assert filed[0]["details"]["matter"] == "危险化学品经营许可"
    assert chat.slots["retry_pending"] is None and chat.slots["uscc"] is None

    # "重试" once more right after: the filing is not repeated, its answer is (as for a confirmation whose answer
    # was lost with the server that stored it).
    chat.user("重试", "affirm")
    repeated = chat.run("action_retry_submission")
    assert repeated.text.startswith("这份申请已经提交过了，不会重复提交。") and numbers_in(repeated.text) == numbers_in(
        done.text
    )
    # Another turn later, an affirm has nothing to resubmit or repeat.
    chat.user("你好", "greet")
    chat.user("好的", "affirm")
    assert chat.run("action_retry_submission").text.startswith("好的。还有需要随时告诉我")
    assert len(backend.applications(chat.sender_id)) == 1


def test_retry_typed_as_free_text_resubmits_after_an_outage(
    chat: Chat, backend: BackendProcess, closed_url: str
) -> None:
    commitment_until_confirmed(chat, backend, "出版物经营许可")
    yes(chat)
    use_backend(closed_url)
    chat.run("action_submit_commitment")
    use_backend(backend.url)

    chat.user("再试一次吧", "nlu_fallback")
    done = chat.run("action_clarify")
    assert done.text.startswith("✅ 信用承诺已提交！")
    assert len(backend.applications(chat.sender_id)) == 1


def test_cancel_after_an_outage_files_nothing(chat: Chat, backend: BackendProcess, closed_url: str) -> None:
    commitment_until_confirmed(chat, backend, "烟草专卖零售许可")
    yes(chat)
    use_backend(closed_url)
    chat.run("action_submit_commitment")
    use_backend(backend.url)

    chat.user("算了", "deny")
    turn = chat.run("action_decline")
    assert turn.text.startswith("好的，已取消，没有提交任何内容。")
    assert chat.slots["retry_pending"] is None and chat.slots["commitment_matter"] is None
    assert backend.applications(chat.sender_id) == []
