"""The counter chat's history, kept in the page (a hidden field) so the chat works without JavaScript too."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_HISTORY = 40
MAX_TEXT = 2000
MAX_MESSAGE = 1000  # the Rasa channels' default ASSISTANT_MAX_MESSAGE_CHARS


@dataclass
class Button:
    title: str
    payload: str


@dataclass
class ChatMessage:
    """One line of the chat: ``who`` is user / bot / system."""

    who: str
    text: str
    buttons: list[Button] = field(default_factory=list)
    image: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _str(value: Any, limit: int = MAX_TEXT) -> str:
    return str(value or "")[:limit]


def from_rasa(answers: list[dict[str, Any]]) -> list[ChatMessage]:
    """Rasa's REST answers → chat messages (text, buttons, an image URL; custom payloads as their text)."""
    messages = []
    for answer in answers:
        buttons = [
            Button(_str(b.get("title"), 200), _str(b.get("payload"), MAX_MESSAGE))
            for b in answer.get("buttons") or []
            if isinstance(b, dict) and b.get("title") and b.get("payload")
        ]
        text = _str(answer.get("text"))
        image = answer.get("image") if isinstance(answer.get("image"), str) else None
        if not text and isinstance(answer.get("custom"), dict):
            text = _str(answer["custom"].get("text"))
        if text or buttons or image:
            messages.append(ChatMessage("bot", text, buttons, image))
    return messages


def parse_history(raw: str | None) -> list[ChatMessage]:
    """The history posted back by the page (bad or foreign content is dropped, never trusted beyond display)."""
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return []
    history = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("who") not in ("user", "bot", "system"):
            continue
        buttons = [
            Button(_str(b.get("title"), 200), _str(b.get("payload"), MAX_MESSAGE))
            for b in item.get("buttons") or []
            if isinstance(b, dict)
        ]
        image = item.get("image") if isinstance(item.get("image"), str) else None
        history.append(ChatMessage(item["who"], _str(item.get("text")), buttons, image))
    return history[-MAX_HISTORY:]


def dump_history(history: list[ChatMessage]) -> str:
    return json.dumps([m.to_dict() for m in history[-MAX_HISTORY:]], ensure_ascii=False)
