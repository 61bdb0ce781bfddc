"""Pure mapping between WeChat's pushed messages, Rasa's answers and what the channel sends back.

Rasa's answers are dicts ``{"recipient_id", "text"?, "buttons"?: [{"title", "payload"}], "image"?, "custom"?}``.
Every text the channel sends, passively or through the customer-service API, stays within TEXT_LIMIT bytes;
buttons become a customer-service menu message (``msgmenu``) or, in a passive reply that can carry only plain
text, numbered choices the user answers by typing the number.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.evidence import IncomingFile
from bot.text_split import split_text as split_by
from bot.wechat import texts

log = logging.getLogger(__name__)

# WeChat's documentation gives no character count for a text message; the customer-service API refuses a
# longer one with errcode 45002 ("content size out of limit"), and the limit the platform applies to both the
# passive reply's and the customer-service message's Content is 2048 bytes of UTF-8 (measured by developers
# in WeChat's developer community: a Chinese character is 3 bytes, so about 680 of them).
TEXT_LIMIT = 2048
MENU_ITEM_LIMIT = 10  # options shown in one msgmenu message; Rasa's button lists are far shorter
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.。、]?\s*$")
Kind = Literal["text", "file", "unsupported", "ignore"]


@dataclass(frozen=True)
class Choice:
    """What a button stands for."""

    title: str
    payload: str


@dataclass
class Reply:
    """One answer of Rasa as the user sees it: a text with its choices (possibly none)."""

    text: str
    choices: list[Choice] = field(default_factory=list)


@dataclass(frozen=True)
class Inbound:
    """A pushed message or event, reduced to what the channel does with it."""

    kind: Kind
    openid: str
    dedup_key: str
    msg_type: str
    text: str = ""  # for "text": what goes to Rasa (typed, recognised voice, a menu key's payload, /greet)
    menu_id: str = ""  # bizmsgmenuid: the option of a msgmenu message the user clicked
    file: IncomingFile | None = None  # for "file": the image or file to store as evidence
    reply: str = ""  # for "unsupported": the channel's own answer


def utf8_len(text: str) -> int:
    return len(text.encode())


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in chunks of at most ``limit`` UTF-8 bytes (bot/text_split.py)."""
    return split_by(text, limit, utf8_len)


def choices_of(buttons: list[dict[str, Any]]) -> list[Choice]:
    """Rasa buttons → choices (a URL button becomes a choice whose title carries the link)."""
    result: list[Choice] = []
    for b in buttons:
        title = str(b.get("title") or b.get("payload") or "").strip()
        if not title:
            continue
        if b.get("url"):
            result.append(Choice(title=f"{title}：{b['url']}", payload=title))
            continue
        result.append(Choice(title=title, payload=str(b.get("payload") or title)))
    return result


def replies(answers: list[dict[str, Any]]) -> list[Reply]:
    """Rasa's answers → the replies to show, in order.

    An image is sent as its link (a customer-service image needs the file uploaded as media first). A ``custom``
    payload is not shown: the credit report's ``document`` cannot travel in a customer-service message and the
    text before it already says everything (shared contract); unknown ones are ignored.
    """
    result: list[Reply] = []
    for answer in answers:
        if answer.get("image"):
            result.append(Reply(text=texts.IMAGE_LINK.format(url=answer["image"])))
        if answer.get("custom") is not None:
            log.debug("custom payload not shown on WeChat: %.200r", answer["custom"])
        text = str(answer.get("text") or "").strip()
        choices = choices_of(list(answer.get("buttons") or []))
        if text or choices:
            result.append(Reply(text=text or texts.CHOOSE, choices=choices))
    return result


def all_choices(items: list[Reply]) -> list[Choice]:
    return [c for r in items for c in r.choices]


def numbered(items: list[Reply]) -> str:
    """The replies as one text, each reply's choices numbered (continuously across replies)."""
    parts: list[str] = []
    n = 0
    for r in items:
        lines = [r.text]
        if r.choices:
            lines.append(texts.NUMBERED_HINT)
            for c in r.choices:
                n += 1
                lines.append(f"{n}. {c.title}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def passive_text(items: list[Reply], limit: int = TEXT_LIMIT) -> str | None:
    """The one text of a passive reply, or None when the replies do not fit in one message."""
    if not items:
        return None
    text = numbered(items)
    return text if utf8_len(text) <= limit else None


@dataclass(frozen=True)
class Outgoing:
    """One customer-service message: a text, or a menu message (head text + options)."""

    text: str
    choices: tuple[Choice, ...] = ()


def customer_service(items: list[Reply], limit: int = TEXT_LIMIT) -> list[Outgoing]:
    """Replies → customer-service messages in order; a reply's choices go with its last chunk as a menu."""
    result: list[Outgoing] = []
    for r in items:
        menu = tuple(r.choices[:MENU_ITEM_LIMIT])
        menu_size = sum(utf8_len(c.title) for c in menu)
        chunks = split_text(r.text, max(limit // 2, limit - menu_size)) or [texts.CHOOSE]
        for i, chunk in enumerate(chunks):
            result.append(Outgoing(text=chunk, choices=menu if i == len(chunks) - 1 else ()))
    return result


def choice_number(text: str, count: int) -> int | None:
    """``"2"`` → 2 when 1 ≤ 2 ≤ count (the user picking a numbered choice); None otherwise."""
    m = _NUMBER.match(text)
    if not m:
        return None
    n = int(m.group(1))
    return n if 1 <= n <= count else None


def sender_id(openid: str) -> str:
    """The conversation id of a WeChat user (shared/CONVERSATION.md)."""
    return f"wx:{openid}"


_WX_RECIPIENT = re.compile(r"^wx:([A-Za-z0-9_-]{1,80})$")


def openid_of(recipient: str) -> str | None:
    """``wx:oAbc…`` → ``oAbc…``; anything else → None."""
    m = _WX_RECIPIENT.match(recipient.strip())
    return m.group(1) if m else None


def dedup_key(data: dict[str, Any]) -> str:
    """A message's MsgId; an event has none: its sender, CreateTime and event name (WeChat's advice)."""
    msg_id = str(data.get("MsgId") or "").strip()
    if msg_id:
        return f"msg:{msg_id}"
    return f"event:{data.get('FromUserName', '')}:{data.get('CreateTime', '')}:{str(data.get('Event', '')).lower()}"


def inbound(data: dict[str, Any], menu_payloads: dict[str, str]) -> Inbound:
    """The pushed XML (as a dict of its fields) → what to do with it. ``menu_payloads``: menu key → payload."""
    openid = str(data.get("FromUserName") or "")
    msg_type = str(data.get("MsgType") or "").lower()
    key = dedup_key(data)

    def make(kind: Kind, **kw: Any) -> Inbound:
        return Inbound(kind=kind, openid=openid, dedup_key=key, msg_type=msg_type, **kw)

    if msg_type == "text":
        content = str(data.get("Content") or "")
        if not content.strip():
            return make("ignore")
        return make("text", text=content, menu_id=str(data.get("bizmsgmenuid") or "").strip())
    if msg_type == "voice":
        recognition = str(data.get("Recognition") or "").strip()
        return make("text", text=recognition) if recognition else make("unsupported", reply=texts.VOICE_UNCLEAR)
    if msg_type == "image":
        media_id = str(data.get("MediaId") or "")
        name = f"photo_{data.get('MsgId') or media_id[:12]}.jpg"  # WeChat sends images as JPEG
        return make("file", file=IncomingFile(media_id, name, "image/jpeg", None))
    if msg_type == "file":
        # A file from the chat (e.g. a PDF); the platform announces its name and size.
        size = str(data.get("FileTotalLen") or "")
        media_id = str(data.get("MediaId") or data.get("FileKey") or "")
        name = str(data.get("Title") or "文件")
        return make("file", file=IncomingFile(media_id, name, None, int(size) if size.isdigit() else None))
    if msg_type == "event":
        event = str(data.get("Event") or "").lower()
        if event == "subscribe":  # also a subscription through a QR code (EventKey qrscene_…)
            return make("text", text="/greet")
        if event == "click":
            payload = menu_payloads.get(str(data.get("EventKey") or ""))
            return make("text", text=payload) if payload else make("unsupported", reply=texts.CHOICE_EXPIRED)
        return make("ignore")  # unsubscribe, VIEW, LOCATION, TEMPLATESENDJOBFINISH, …: nothing to answer
    return make("unsupported", reply=texts.UNSUPPORTED)


def metadata(item: Inbound, **extra: Any) -> dict[str, Any]:
    """What Rasa receives as message metadata (read by actions as ``latest_message["metadata"]``)."""
    return {
        "channel": "wechat",
        "display_name": "",
        "language": "zh-hans",
        "wechat": {"openid": item.openid, "msg_type": item.msg_type, "dedup_key": item.dedup_key},
        **extra,
    }
