"""Complete submission conversations, shared by several test modules."""

from __future__ import annotations

from tests.actions.harness import BackendProcess, Chat, Turn

JIANGCHENG = "91220202MA0Y3K7Q6L"
JIANGCHENG_NAME = "吉林市江城建材有限公司"
# Commitments and registrations are filed for this entity, so that the records of 江城建材 (objection and
# repair tests) do not depend on the order the tests run in: a commitment becomes a public record.
FILER = "12220200012345671E"
FILER_NAME = "吉林市公共资源交易中心"


def start(chat: Chat, form: str, intent: str, uscc: str, text: str) -> Turn:
    """The user starts a submission and names the entity by code in the same message."""
    return chat.start_form(form, f"{text} {uscc}", intent, entities={"uscc": uscc}, slots={"uscc": uscc})


def yes(chat: Chat, text: str = "确认") -> Turn:
    return chat.answer(text, intent="affirm", value=True)


def commitment_until_confirmed(
    chat: Chat, backend: BackendProcess, matter: str, commitment_type: str = "主动型", uscc: str = FILER
) -> Turn:
    """A bound sender fills the commitment form up to (not including) the confirmation."""
    backend.bind(chat.sender_id, uscc)
    start(chat, "commitment_form", "make_commitment", uscc, "我要做信用承诺")
    assert chat.requested == "commitment_type"
    chat.answer(commitment_type, entities={"commitment_type": commitment_type})
    assert chat.requested == "commitment_matter"
    turn = chat.answer(matter)
    assert chat.requested == "commitment_accepted", turn.text
    return yes(chat, "同意")


def submit(chat: Chat, action: str) -> Turn:
    """The form is complete (the rule runs the submit action)."""
    assert not chat.active_loop and chat.slots["confirmed"] is True
    return chat.run(action)
