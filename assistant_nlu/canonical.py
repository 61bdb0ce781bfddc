"""Canonical values for ``uscc`` and ``application_id`` entities.

Runs after the extractors (DIET, RegexEntityExtractor, EntitySynonymMapper):

* finds codes and application numbers in the text with the rule modules' APPNO_PATTERN and a
  loosened USCC_PATTERN, on width-folded text so that full-width input is found too (offsets
  refer to the message text);
* an extracted entity that overlaps such a span takes the span's type, offsets and canonical value
  (DIET sometimes cuts a code short or calls an application number a code); other entity types
  overlapping a span are dropped, and duplicates of one span are merged;
* a span no extractor found is added as a new entity;
* remaining ``uscc`` / ``application_id`` values are canonicalised as far as possible; one that
  cannot be a code at all (DIET tagging 不良 as a ``uscc``, a phone number as an ``application_id``,
  a resident ID number as either) is dropped;
* overlapping entities of one type (DIET and a lookup table finding the same word) are merged,
  keeping a synonym-mapped value, else the lookup-table match, else the longer span;
* ``org_name`` pieces become whole names (credit_backend/rules/org_names.py): overlapping or adjacent pieces, and
  pieces with a few name characters between them, are one name (DIET tags 昌邑区桦皮厂村股份 / 合作社 in
  昌邑区桦皮厂村股份经济合作社, and Rasa would fill the slot with the last piece); a region prefix before and a
  legal-form ending after a piece belong to it; a sector word, a place, a nickname or one common word of jieba's
  dictionary (城管, 会计: assistant_nlu/common_words.py) alone is dropped, unless it is the whole message; so is a
  piece the EntitySynonymMapper gave another value (no name has one: 志愿服务 → 社会公益 is an information category).

Nothing here is trained: the rules apply at inference to any model whose pipeline has this component.

A code with a wrong check character stays a ``uscc`` entity: the backend explains what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from assistant_nlu.codes import CODE_TYPES, CodeSpan, canonical_value, find_code_spans, plausible_code
from assistant_nlu.common_words import is_common_word
from assistant_nlu.component import ProjectComponent
from assistant_nlu.normalizer import UNMASKED_TEXT
from credit_backend.rules.org_names import ORG_NAME, clean_name, ends_like_a_name, merge_name_spans


def _overlaps(entity: dict[str, Any], span: CodeSpan) -> bool:
    start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    if start is None or end is None:
        return False
    return start < span.end and span.start < end


def canonicalize_entities(
    text: str, entities: list[dict[str, Any]], processor: str = "EntityCanonicalizer"
) -> list[dict[str, Any]]:
    """Apply the module's rules to one message's entities; returns a new list sorted by start."""
    spans = find_code_spans(text) if text else []
    result: list[dict[str, Any]] = []
    claimed: dict[CodeSpan, dict[str, Any]] = {}

    def mark(entity: dict[str, Any]) -> None:
        processors = entity.setdefault("processors", [])
        if processor not in processors:
            processors.append(processor)

    for original in entities:
        entity = dict(original)
        span = next((s for s in spans if _overlaps(entity, s)), None)
        if span is not None:
            if entity.get(ENTITY_ATTRIBUTE_TYPE) not in CODE_TYPES or span in claimed:
                continue  # a fragment of a code tagged as something else, or a duplicate
            if (
                entity.get(ENTITY_ATTRIBUTE_TYPE),
                entity.get(ENTITY_ATTRIBUTE_START),
                entity.get(ENTITY_ATTRIBUTE_END),
                entity.get(ENTITY_ATTRIBUTE_VALUE),
            ) != (span.entity, span.start, span.end, span.value):
                entity.update(
                    {
                        ENTITY_ATTRIBUTE_TYPE: span.entity,
                        ENTITY_ATTRIBUTE_START: span.start,
                        ENTITY_ATTRIBUTE_END: span.end,
                        ENTITY_ATTRIBUTE_VALUE: span.value,
                    }
                )
                mark(entity)
            claimed[span] = entity
            result.append(entity)
            continue
        kind = entity.get(ENTITY_ATTRIBUTE_TYPE)
        value = entity.get(ENTITY_ATTRIBUTE_VALUE)
        if kind in CODE_TYPES and isinstance(value, str):
            canonical = canonical_value(kind, value)
            if not plausible_code(kind, canonical):
                continue  # e.g. DIET tagging 不良 as a uscc, a phone number as an application_id
            if canonical != value:
                entity[ENTITY_ATTRIBUTE_VALUE] = canonical
                mark(entity)
        clash = next((i for i, kept in enumerate(result) if _same_slot(kept, entity)), None)
        if clash is not None:
            # The same entity found twice (DIET and a lookup table): keep the better one.
            if _preference(entity) > _preference(result[clash]):
                result[clash] = entity
            continue
        if any(_same_entity(entity, kept) for kept in result):
            continue
        result.append(entity)

    for span in spans:
        if span not in claimed:
            result.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: span.entity,
                    ENTITY_ATTRIBUTE_START: span.start,
                    ENTITY_ATTRIBUTE_END: span.end,
                    ENTITY_ATTRIBUTE_VALUE: span.value,
                    EXTRACTOR: processor,
                }
            )
    result = whole_org_names(text, result, mark)
    return sorted(result, key=lambda e: (e.get(ENTITY_ATTRIBUTE_START) or 0, e.get(ENTITY_ATTRIBUTE_END) or 0))


def whole_org_names(
    text: str, entities: list[dict[str, Any]], mark: Callable[[dict[str, Any]], None]
) -> list[dict[str, Any]]:
    """``org_name`` pieces replaced by the whole names they belong to (``merge_name_spans``); a piece that stays
    as it was keeps its entity, a merged or extended name takes its text; a piece a synonym changed is dropped."""
    if not text:
        return entities
    kept = [e for e in entities if not (e.get(ENTITY_ATTRIBUTE_TYPE) == ORG_NAME and _mapped_away(text, e))]
    pieces = [
        e
        for e in kept
        if e.get(ENTITY_ATTRIBUTE_TYPE) == ORG_NAME
        and isinstance(e.get(ENTITY_ATTRIBUTE_START), int)
        and isinstance(e.get(ENTITY_ATTRIBUTE_END), int)
    ]
    others = [e for e in kept if not any(e is p for p in pieces)]
    names = []
    for start, end in merge_name_spans(text, [(p[ENTITY_ATTRIBUTE_START], p[ENTITY_ATTRIBUTE_END]) for p in pieces]):
        same = next((p for p in pieces if (p[ENTITY_ATTRIBUTE_START], p[ENTITY_ATTRIBUTE_END]) == (start, end)), None)
        if same is not None:
            names.append(same)
            continue
        inside = [p for p in pieces if start <= p[ENTITY_ATTRIBUTE_START] and p[ENTITY_ATTRIBUTE_END] <= end]
        first = inside[0] if inside else {ENTITY_ATTRIBUTE_TYPE: ORG_NAME, EXTRACTOR: "EntityCanonicalizer"}
        entity = {
            **first,
            "processors": list(first.get("processors") or []),
            ENTITY_ATTRIBUTE_START: start,
            ENTITY_ATTRIBUTE_END: end,
            ENTITY_ATTRIBUTE_VALUE: text[start:end],
        }
        mark(entity)
        names.append(entity)
    whole = clean_name(text)
    return others + [n for n in names if clean_name(str(n[ENTITY_ATTRIBUTE_VALUE])) == whole or not _ordinary(n)]


def _synonym(entity: dict[str, Any]) -> bool:
    """Passed through the EntitySynonymMapper (which marks a value it looked up, changed or not)."""
    return "EntitySynonymMapper" in (entity.get("processors") or [])


def _mapped_away(text: str, entity: dict[str, Any]) -> bool:
    """A piece the EntitySynonymMapper gave another value: the training data maps service words to their canonical
    value (志愿服务 → 社会公益), never names to anything."""
    start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    if not _synonym(entity) or not isinstance(start, int) or not isinstance(end, int):
        return False
    value, typed = clean_name(str(entity.get(ENTITY_ATTRIBUTE_VALUE) or "")), clean_name(text[start:end])
    return value.casefold() != typed.casefold()  # the mapper looks names up in lower case (abc trading → ABC Trading)


def _ordinary(name: dict[str, Any]) -> bool:
    """A single common word tagged as a name (城管, 会计): dropped unless it is the whole message or ends like an
    organisation's name (图书馆, 急救中心: 吉林市图书馆 without its region prefix)."""
    value = clean_name(str(name[ENTITY_ATTRIBUTE_VALUE]))
    return is_common_word(value) and not ends_like_a_name(value)


def _preference(entity: dict[str, Any]) -> tuple[int, int, int]:
    """Which of two overlapping same-type entities to keep: a value mapped by a synonym, then a
    lookup-table/regex match (an exact known word), then the longer span."""
    mapped = _synonym(entity)
    exact = entity.get(EXTRACTOR) == "RegexEntityExtractor"
    length = int(entity.get(ENTITY_ATTRIBUTE_END) or 0) - int(entity.get(ENTITY_ATTRIBUTE_START) or 0)
    return int(mapped), int(exact), length


def _same_slot(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same type, role and group, and overlapping spans."""
    if any(a.get(k) != b.get(k) for k in (ENTITY_ATTRIBUTE_TYPE, "role", "group")):
        return False
    starts, ends = (
        (a.get(ENTITY_ATTRIBUTE_START), b.get(ENTITY_ATTRIBUTE_START)),
        (a.get(ENTITY_ATTRIBUTE_END), b.get(ENTITY_ATTRIBUTE_END)),
    )
    if None in starts or None in ends:
        return False
    return starts[0] < ends[1] and starts[1] < ends[0]


def _same_entity(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = (ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_START, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_VALUE)
    return all(a.get(k) == b.get(k) for k in keys) and a.get("role") == b.get("role")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EntityCanonicalizer(ProjectComponent, EntityExtractorMixin):
    """Rewrites ``uscc``/``application_id`` entities to canonical values and adds missed ones; makes ``org_name``
    entities whole names."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options."""
        return {}

    def process(self, messages: list[Message]) -> list[Message]:
        """Canonicalise the entities of each message in place."""
        for message in messages:
            # Codes were masked for the classifiers; their values come from the unmasked text.
            text = message.get(UNMASKED_TEXT) or message.get(TEXT)
            entities = message.get(ENTITIES) or []
            if not isinstance(text, str) or (not text and not entities):
                continue
            updated = canonicalize_entities(text, entities, self.name)
            message.set(ENTITIES, updated, add_to_output=True)
        return messages
