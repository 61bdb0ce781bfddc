"""Entity spans as the admin types them: Rasa's training-data markup ``[text](entity)`` in a text field, which an
admin can edit with the keyboard alone. The markup itself is training.examples' (Rasa's own pattern); this module
prefills it from the predicted entities and reads the admin's field back over the message as typed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from training.examples import Span, markup, parse_markup

CHANGED_TEXT = "去掉实体标记后与用户原话不一致。只能添加或删除 [文字](实体名称) 标记，不能改动原话。"


class MarkupError(ValueError):
    """The field cannot be the message's spans; ``message`` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def predicted_markup(text: str, entities: Iterable[Mapping[str, Any]]) -> str:
    """``text`` with each predicted entity marked. Overlapping or out-of-range predictions are left out (the first
    one of a place wins: the regex extractor and DIET often find the same code), and so are the values the
    actions' canonical forms put there: the admin marks where the entity is."""
    spans: list[Span] = []
    for item in sorted(entities, key=lambda e: (_int(e.get("start")), -_int(e.get("end")))):
        start, end, name = _int(item.get("start")), _int(item.get("end")), str(item.get("entity") or "")
        if name and 0 <= start < end <= len(text) and not (spans and start < spans[-1].end):
            spans.append(Span(start, end, name))
    return markup(text, spans)


def read_markup(field: str, text: str) -> tuple[Span, ...]:
    """The spans the admin marked in ``field``; :class:`MarkupError` when stripping the marks does not give
    ``text`` (the admin changed the words, not only the marks). Unknown entities are training.annotate's to refuse."""
    plain, spans = parse_markup(field)
    if plain != text:
        raise MarkupError(CHANGED_TEXT)
    return spans


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
