"""One NLU example: its entity spans, its Rasa markup (``[text](entity)``) and the key that compares examples.

Rasa's markup parser (rasa.shared.nlu.training_data.entities_parser) lives in the Rasa environment only; the
console imports this package from ``.venv``, so the small part of the format the annotation writes and reads
back (``[text](entity)``, ``[text]{"entity": …, "value": …}``) is written here, with Rasa's own pattern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant_nlu.text import fix_typos, fold_width


@dataclass(frozen=True)
class Span:
    """An entity in a text: ``text[start:end]``; ``value`` overrides the value (a synonym target)."""

    start: int
    end: int
    entity: str
    value: str | None = None


# The pattern Rasa 3.6 reads annotations with (entities_parser.ENTITY_REGEX), so that what we parse back is
# what Rasa will read.
ENTITY_MARKUP = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\](\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}|\[(?P<list_entity_dicts>.*?)\])"
)
# What check_eval_overlap.py strips before comparing: whitespace, punctuation, underscores.
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def markup(text: str, spans: Iterable[Span]) -> str:
    """The example as Rasa's YAML writes it: ``[text](entity)``, or ``[text]{"entity": …, "value": …}``."""
    out: list[str] = []
    at = 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(text[at : span.start])
        piece = text[span.start : span.end]
        if span.value is None or span.value == piece:
            out.append(f"[{piece}]({span.entity})")
        else:
            body = json.dumps({"entity": span.entity, "value": span.value}, ensure_ascii=False)
            out.append(f"[{piece}]{body}")
        at = span.end
    out.append(text[at:])
    return "".join(out)


def parse_markup(example: str) -> tuple[str, tuple[Span, ...]]:
    """The plain text of an annotated example and its spans (single-entity annotations; others keep their text)."""
    text: list[str] = []
    spans: list[Span] = []
    at = 0
    length = 0
    for match in ENTITY_MARKUP.finditer(example):
        before = example[at : match.start()]
        text.append(before)
        length += len(before)
        piece = match.group("entity_text")
        entity, value = match.group("entity"), match.group("value")
        if match.group("entity_dict"):
            try:
                body = json.loads("{" + match.group("entity_dict") + "}")
            except ValueError:
                body = {}
            entity, value = body.get("entity"), body.get("value")
        if entity:
            spans.append(Span(length, length + len(piece), str(entity), None if value is None else str(value)))
        text.append(piece)
        length += len(piece)
        at = match.end()
    text.append(example[at:])
    return "".join(text), tuple(spans)


def comparable(text: str) -> str:
    """The key two examples are compared by: width folded, domain typos fixed, case folded, without spaces and
    punctuation (assistant_nlu.text's steps; Traditional → Simplified needs zhconv, which only the Rasa
    environment has, so it is left out and both environments compare alike)."""
    return _NOISE.sub("", fix_typos(fold_width(text)).casefold())


def span_problems(text: str, spans: Sequence[Span], known: Iterable[str]) -> list[str]:
    """What is wrong with the spans of ``text`` (Chinese, for the admin); empty when they are fine."""
    entities = set(known)
    problems = []
    previous: Span | None = None
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if not 0 <= span.start < span.end <= len(text):
            problems.append(f"实体“{span.entity}”的位置 {span.start}–{span.end} 不在这句话的范围内。")
            continue
        piece = text[span.start : span.end]
        if span.entity not in entities:
            problems.append(f"没有名为“{span.entity}”的实体类型。")
        if piece != piece.strip():
            problems.append(f"实体“{piece}”的首尾不能是空格。")
        if any(ch in piece for ch in "[]{}()"):
            problems.append(f"实体“{piece}”里不能有方括号、圆括号或花括号。")
        if previous is not None and span.start < previous.end:
            problems.append(f"实体“{text[previous.start : previous.end]}”和“{piece}”重叠了。")
        previous = span
    return problems
