"""The organisation name a user means, from the latest message (issue 13: names as users write them).

The NLU may tag pieces of one name (昌邑区桦皮厂村股份 / 合作社) and Rasa fills the ``uscc`` slot with the last
piece; the NLU's EntityCanonicalizer already joins them (assistant_nlu/canonical.py), and this module applies
the same rules (credit_backend/rules/org_names.py) to the message again, so a model whose pipeline does not join
them still searches the whole name. When the form has just asked for the entity and the message is nothing but a
name, the whole message is the name. Sector words, places and nicknames are not names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker

from actions.backend import CreditBackend
from actions.messages import entity_buttons
from credit_backend.rules.org_names import bare_name, clean_name, is_ordinary_word, merge_name_spans, names_match


def message_names(text: str, entities: Sequence[dict[str, Any]]) -> list[str]:
    """The whole names the message's ``org_name`` entities stand for, in order (ordinary words left out)."""
    spans = [
        (int(e["start"]), int(e["end"]))
        for e in entities
        if e.get("entity") == "org_name" and isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
    ]
    if not spans or not text:
        return []
    return [clean_name(text[start:end]) for start, end in merge_name_spans(text, spans)]


def name_to_search(value: Any, tracker: Tracker, asking: bool) -> str | None:
    """The name to look up for the slot value ``value`` taken from the latest message: the whole message when the
    form ``asking`` for the entity got nothing but a name, else the whole name around the piece the slot got;
    None for an ordinary word (a sector, a place, a nickname)."""
    latest = tracker.latest_message or {}
    text = str(latest.get("text") or "")
    piece = clean_name(str(value or ""))
    name = bare_name(text) if asking else None
    if name is None:
        names = message_names(text, latest.get("entities") or [])
        name = next((n for n in names if piece in n), piece) if piece else (names[-1] if names else "")
    return None if is_ordinary_word(name) else name


def not_a_name_text(value: Any) -> str:
    """The answer to an ordinary word taken for a name."""
    word = clean_name(str(value or ""))
    said = f"“{word}”看起来不是主体名称。" if word else ""
    return said + "请告诉我主体的全称（如“吉林市江城建材有限公司”）、简称，或统一社会信用代码。"


@dataclass(frozen=True)
class NameLookup:
    """What the search found for a name: the one entity meant, or what to ask."""

    entity: dict[str, Any] | None
    message: str = ""  # a note with the entity (a corrected character), else the question or the refusal
    buttons: list[dict[str, str]] = field(default_factory=list)


def look_up_name(client: CreditBackend, name: str) -> NameLookup:
    """Search the backend for ``name``: one result, or the one exact name among several, is the entity; several
    are offered as buttons; none is said. Raises the client's exceptions."""
    found = client.search_entities(name, limit=10)
    items = list(found.get("items") or [])
    if not items:
        return NameLookup(None, f"没有找到名称包含“{name}”的主体。请换个叫法，或直接提供统一社会信用代码。")
    entity = items[0] if len(items) == 1 else exact_choice(items, name)
    if entity is not None:
        note = ""
        if names_match(name, entity.get("name") or "", entity.get("short_name")) == "one_char":
            note = f"没有找到“{name}”，按名称最接近的「{entity.get('name')}」为您办理。"
        return NameLookup(entity, note)
    total = found.get("total") or len(items)
    more = f"（共{total}个，先列出前5个）" if total > 5 else ""
    if any(names_match(name, i.get("name") or "", i.get("short_name")) == "one_char" for i in items[:5]):
        question = f"没有找到“{name}”，名称相近的主体有{more}，请选择："
    else:
        question = f"找到多个名称包含“{name}”的主体{more}，请选择："
    return NameLookup(None, question, entity_buttons(items))


def exact_choice(items: Sequence[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The one found entity whose name or short name is exactly ``name`` (found first by the backend); None when
    none is, or several are (the same short name)."""
    exact = [item for item in items if names_match(name, item.get("name") or "", item.get("short_name")) == "exact"]
    return exact[0] if len(exact) == 1 else None


def named_in(items: Sequence[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The items (bindings, subscriptions: dicts with ``name``) that ``name`` names: exactly, by part, without or
    with another form of the region prefix, or with one wrong character; the exact one alone when there is one."""
    matches = [(names_match(name, item.get("name") or "", item.get("short_name")), item) for item in items]
    exact = [item for match, item in matches if match == "exact"]
    return exact or [item for match, item in matches if match is not None]
