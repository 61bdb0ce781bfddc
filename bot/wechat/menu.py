"""The 公众号's custom menu (查信用 / 办业务 / 我的申请), defined in bot/wechat/menu.json.

Each ``click`` button has the ``key`` WeChat sends back in the CLICK event and the ``payload`` (a Rasa intent,
shared/CONVERSATION.md) the channel turns that key into; the payloads stay here, only names, types and keys are
published (``python -m bot.wechat menu publish``). The platform's limits are checked before publishing: at most
3 buttons of at most 16 bytes, 5 sub-buttons of at most 60 bytes each, keys of at most 128 bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOP_BUTTONS, SUB_BUTTONS = 3, 5
TOP_NAME_BYTES, SUB_NAME_BYTES, KEY_BYTES = 16, 60, 128


class MenuError(ValueError):
    """The menu file breaks a rule of the platform or of the channel."""


@dataclass(frozen=True)
class Menu:
    body: dict[str, Any]  # what is published (no payloads)
    payloads: dict[str, str]  # click key → Rasa payload


def _button(raw: dict[str, Any], name_limit: int, payloads: dict[str, str]) -> dict[str, Any]:
    name = str(raw.get("name") or "")
    if not name or len(name.encode()) > name_limit:
        raise MenuError(f"menu button name {name!r} must be 1-{name_limit} bytes")
    if "sub_button" in raw:
        raise MenuError(f"menu button {name!r}: sub-buttons cannot have sub-buttons")
    kind = raw.get("type")
    if kind == "click":
        key = str(raw.get("key") or "")
        if not key or len(key.encode()) > KEY_BYTES or key in payloads:
            raise MenuError(f"menu button {name!r}: key {key!r} must be unique and 1-{KEY_BYTES} bytes")
        payload = str(raw.get("payload") or "")
        if not payload:
            raise MenuError(f"menu button {name!r}: a click button needs the payload it stands for")
        payloads[key] = payload
        return {"type": "click", "name": name, "key": key}
    if kind == "view":
        if not str(raw.get("url") or "").startswith(("http://", "https://")):
            raise MenuError(f"menu button {name!r}: a view button needs a URL")
        return {"type": "view", "name": name, "url": raw["url"]}
    raise MenuError(f"menu button {name!r}: type must be click or view")


def parse(data: dict[str, Any]) -> Menu:
    buttons = data.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= TOP_BUTTONS:
        raise MenuError(f"the menu needs 1-{TOP_BUTTONS} buttons")
    payloads: dict[str, str] = {}
    body: list[dict[str, Any]] = []
    for raw in buttons:
        if "sub_button" in raw:
            name = str(raw.get("name") or "")
            subs = raw["sub_button"]
            if not name or len(name.encode()) > TOP_NAME_BYTES:
                raise MenuError(f"menu button name {name!r} must be 1-{TOP_NAME_BYTES} bytes")
            if not isinstance(subs, list) or not 1 <= len(subs) <= SUB_BUTTONS:
                raise MenuError(f"menu button {name!r} needs 1-{SUB_BUTTONS} sub-buttons")
            body.append({"name": name, "sub_button": [_button(s, SUB_NAME_BYTES, payloads) for s in subs]})
        else:
            body.append(_button(raw, TOP_NAME_BYTES, payloads))
    return Menu(body={"button": body}, payloads=payloads)


def load(path: Path) -> Menu:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MenuError(f"cannot read the menu file {path}: {exc}") from exc
    return parse(data)
