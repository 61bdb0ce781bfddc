"""Pure mapping between Rasa's REST answers and Telegram messages.

Rasa answers are dicts ``{"recipient_id", "text"?, "buttons"?: [{"title", "payload"}], "image"?, "custom"?}``.
A ``custom`` answer carrying the document contract (``{"document": {"kind": "credit_report", ...}}``, see
docs/telegram.md) becomes a document to send; any other ``custom`` is ignored (logged at debug).
Telegram limits a message to 4096 UTF-16 code units and callback data to 64 bytes, so long texts
are split on line boundaries and each button carries a short random token; the token's real payload
stays in a ``ButtonStore`` on our side.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram import texts
from bot.text_split import split_text as split_by

log = logging.getLogger(__name__)
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024  # Telegram's limit for a document's caption (UTF-16 units)
CALLBACK_DATA_LIMIT = 64
SHORT_TITLE = 8  # buttons with titles this short are laid out two per row

# Bridge commands and the Rasa message each becomes (intent payloads, see shared/CONVERSATION.md).
COMMAND_MESSAGES = {"start": "/greet", "help": "/help", "cancel": "/cancel"}


@dataclass(frozen=True)
class Choice:
    """What a pressed button stands for."""

    title: str
    payload: str


class ButtonStore(Protocol):
    def put(self, choice: Choice) -> str: ...

    def get(self, token: str) -> Choice | None: ...


def new_token() -> str:
    """A short random callback token: 12 URL-safe characters, far below Telegram's 64 bytes."""
    return secrets.token_urlsafe(9)


class MemoryButtonStore:
    """An in-memory LRU of button tokens (used in tests and when no state file is wanted)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Choice] = OrderedDict()

    def put(self, choice: Choice) -> str:
        token = new_token()
        self._items[token] = choice
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return token

    def get(self, token: str) -> Choice | None:
        choice = self._items.get(token)
        if choice is not None:
            self._items.move_to_end(token)
        return choice


@dataclass(frozen=True)
class Document:
    """A credit report to send as a file: the bridge downloads it from the backend by number and code."""

    report_no: str
    code: str
    filename: str
    caption: str


@dataclass
class Outgoing:
    """One Telegram message to send: a text (with an optional keyboard), a photo or a document."""

    text: str | None = None
    photo: str | None = None
    document: Document | None = None
    reply_markup: InlineKeyboardMarkup | None = None
    buttons: list[Choice] = field(default_factory=list)  # what the keyboard offers, for logs and tests


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``text`` in chunks of at most ``limit`` UTF-16 units (bot/text_split.py)."""
    return split_by(text, limit, utf16_len)


def keyboard(buttons: list[dict[str, Any]], store: ButtonStore) -> tuple[InlineKeyboardMarkup | None, list[Choice]]:
    """Rasa buttons → an inline keyboard whose callback data are store tokens (URL buttons stay links)."""
    keys: list[InlineKeyboardButton] = []
    choices: list[Choice] = []
    for b in buttons:
        title = str(b.get("title") or b.get("payload") or "").strip()
        if not title:
            continue
        if b.get("url"):
            keys.append(InlineKeyboardButton(title, url=str(b["url"])))
            continue
        choice = Choice(title=title, payload=str(b.get("payload") or title))
        keys.append(InlineKeyboardButton(title, callback_data=store.put(choice)))
        choices.append(choice)
    if not keys:
        return None, []
    per_row = 2 if all(utf16_len(k.text) <= SHORT_TITLE for k in keys) else 1
    rows = [keys[i : i + per_row] for i in range(0, len(keys), per_row)]
    return InlineKeyboardMarkup(rows), choices


def outgoing(answers: list[dict[str, Any]], store: ButtonStore) -> list[Outgoing]:
    """Rasa's answers → the Telegram messages to send, in order."""
    result: list[Outgoing] = []
    for answer in answers:
        if answer.get("image"):
            result.append(Outgoing(photo=str(answer["image"])))
        if answer.get("custom") is not None:
            document = document_of(answer["custom"])
            if document is not None:
                result.append(Outgoing(document=document))
            else:
                log.debug("ignoring a custom payload the bridge does not know: %r", answer["custom"])
        text = str(answer.get("text") or "")
        markup, choices = keyboard(list(answer.get("buttons") or []), store)
        chunks = split_text(text)
        if not chunks and markup is not None:
            chunks = [texts.CHOOSE]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            result.append(Outgoing(text=chunk, reply_markup=markup if last else None, buttons=choices if last else []))
    return result


def document_of(custom: Any) -> Document | None:
    """The credit report of a ``custom`` payload ``{"document": {"kind": "credit_report", ...}}``, else None."""
    doc = custom.get("document") if isinstance(custom, dict) else None
    if not isinstance(doc, dict) or doc.get("kind") != "credit_report":
        return None
    report_no, code = doc.get("report_no"), doc.get("code")
    if not isinstance(report_no, str) or not isinstance(code, str) or not report_no or not code:
        return None
    filename = doc.get("filename") if isinstance(doc.get("filename"), str) and doc.get("filename") else None
    caption = str(doc.get("caption") or "")
    while utf16_len(caption) > CAPTION_LIMIT:
        caption = caption[:-1]
    return Document(report_no, code, filename or f"{report_no}.pdf", caption)


def sender_id(user_id: int) -> str:
    """The conversation id of a Telegram user (shared/CONVERSATION.md)."""
    return f"tg:{user_id}"


_TG_RECIPIENT = re.compile(r"^tg:(-?\d+)$")


def chat_id_of(recipient: str) -> int | None:
    """``tg:123`` → 123 (a private chat's id is the user's id); anything else → None."""
    m = _TG_RECIPIENT.match(recipient.strip())
    return int(m.group(1)) if m else None


def metadata(
    user_id: int,
    full_name: str,
    username: str | None,
    language_code: str | None,
    chat_id: int,
    message_id: int | None,
) -> dict[str, Any]:
    """What Rasa receives as message metadata (read by actions as ``latest_message["metadata"]``)."""
    return {
        "channel": "telegram",
        "display_name": full_name,
        "language": language_code or "",
        "telegram": {"user_id": user_id, "username": username or "", "chat_id": chat_id, "message_id": message_id},
    }


def chosen_text(original: str | None, title: str) -> str | None:
    """The pressed message's text with the choice appended, or None when that would not fit."""
    line = texts.CHOSEN.format(title=title)
    if not original:
        return None
    edited = f"{original}\n\n✅ {line}"
    return edited if utf16_len(edited) <= MESSAGE_LIMIT else None


def notification_markup(application_no: str | None, store: ButtonStore) -> InlineKeyboardMarkup | None:
    """A 查看办理进度 button under a decision notification."""
    if not application_no:
        return None
    payload = f'/check_application{{"application_id":"{application_no}"}}'
    markup, _ = keyboard([{"title": texts.NOTIFICATION_BUTTON, "payload": payload}], store)
    return markup
