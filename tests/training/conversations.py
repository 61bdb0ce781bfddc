"""Conversation details as the backend's GET /api/v1/conversations/{id} answers them (only the fields
training/stories.py reads, plus a few for realism), built step by step like the Rasa events they come from."""

from __future__ import annotations

from typing import Any

USCC = "91220202MA0Y3K7Q6L"


class Detail:
    def __init__(self, conversation_id: int, channel: str = "tg", started_at: str = "2026-11-29T06:00:00Z") -> None:
        self.data: dict[str, Any] = {
            "id": conversation_id,
            "sender_id": f"{channel}:1001",
            "channel": channel,
            "started_at": started_at,
            "messages": [],
            "steps": [
                {"kind": "action", "name": "action_session_start", "value": None, "message_id": None},
                {"kind": "slot", "name": "session_started_metadata", "value": {"channel": channel}, "message_id": None},
            ],
        }
        self.next_id = 100 * conversation_id

    def user(self, text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> Detail:
        self.next_id += 1
        self.data["messages"].append(
            {
                "id": self.next_id,
                "text": text,
                "typed": not text.startswith("/"),
                "intent": intent,
                "confidence": 0.9,
                "entities": entities or [],
            }
        )
        self.data["steps"].append({"kind": "user", "name": None, "value": None, "message_id": self.next_id})
        return self

    def action(self, name: str) -> Detail:
        self.data["steps"].append({"kind": "action", "name": name, "value": None, "message_id": None})
        return self

    def slot(self, name: str, value: Any) -> Detail:
        self.data["steps"].append({"kind": "slot", "name": name, "value": value, "message_id": None})
        return self

    def loop(self, name: str | None) -> Detail:
        self.data["steps"].append({"kind": "active_loop", "name": name, "value": None, "message_id": None})
        return self

    @property
    def last_message_id(self) -> int:
        return self.next_id


def entity(text: str, piece: str, name: str, value: str | None = None) -> dict[str, Any]:
    start = text.index(piece)
    return {"entity": name, "value": value or piece, "start": start, "end": start + len(piece), "extractor": "DIET"}


def binding_conversation(conversation_id: int = 42) -> Detail:
    """Identity binding with a wrong code once: the events of tests/stories/test_binding.yml's first story, with
    what the user typed (a name, a phone number and one-time codes among it)."""
    first = "我叫王建国，想认证一下我们企业，手机13912345678"
    code_text = f"代码是{USCC}"
    d = Detail(conversation_id)
    d.user(first, "query_credit").action("binding_form").loop("binding_form").slot("requested_slot", "uscc")
    d.user(code_text, "inform", [entity(code_text, USCC, "uscc")])
    d.action("binding_form").slot("uscc", USCC).slot("requested_slot", "otp_code")
    d.user("482913", "inform").action("binding_form").slot("otp_code", None)
    d.user("验证码是 583024", "inform").action("binding_form").slot("otp_code", "已验证")
    d.loop(None).slot("requested_slot", None).action("action_complete_binding").slot("pending_form", None)
    return d


def chat_conversation(conversation_id: int = 43) -> Detail:
    """Greeting, a policy question, thanks."""
    d = Detail(conversation_id, channel="web", started_at="2026-11-29T17:30:00+00:00")  # 30 Nov in Beijing
    d.user("你好呀", "greet").action("utter_greet")
    # Outside a form the answer is followed by the button of the service it explains (actions/faq.py).
    d.user("修复完了多久能撤下来", "faq").action("utter_faq").action("action_after_faq")
    d.slot("last_faq_service", "repair_form")
    d.user("谢谢[小助手]", "thank").action("utter_youre_welcome")
    return d
