"""Length-preserving text normalisation for Chinese user messages.

Every step maps the text to a string of exactly the same length, character position for character
position, so entity ``start``/``end`` offsets in training data and in extracted entities refer to
the same characters before and after normalisation:

1. width folding: NFKC per character (full-width digits, letters and punctuation → ASCII); a
   character whose NFKC form is not exactly one character (``①``, ``…``, ``㈱``) is kept;
2. Traditional → Simplified with zhconv (``zh-cn``), one run of Han characters at a time; a run
   whose conversion changes length (``記憶體`` → ``内存``) is converted character by character
   instead, keeping any character whose conversion is not a single character;
3. typo fixes for domain words from a small table of same-length replacements;
4. code masking: every 统一社会信用代码 becomes ``XXXXXXXXXXXXXXXXXX`` and every application number
   keeps its type letters with its digits turned to ``0``. Each code is otherwise a string of unique
   character n-grams that drowns the words around it ("帮我查一下" + a code fell to fallback); masked,
   all codes share one token and the classifiers learn the sentence. The unmasked text is kept on the
   message (``UNMASKED_TEXT``) for the EntityCanonicalizer, which takes the values from it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

UNMASKED_TEXT = "unmasked_text"  # message attribute: the normalised text before code masking

# Same-length replacements only (checked at import). Each wrong form must be one that a correct
# sentence practically never contains, so the fix cannot damage a correct message.
TYPO_FIXES: dict[str, str] = {
    "信用修护": "信用修复",
    "信用休复": "信用修复",
    "信用修附": "信用修复",
    "意义申请": "异议申请",
    "提意义": "提异议",
    "提个意义": "提个异议",
    "意议": "异议",
    "异意申请": "异议申请",
    # 异意 (same pinyin yì yì) is a frequent misspelling of 异议 and not a word of its own here.
    "异意": "异议",
    "信用代马": "信用代码",
    "信用带码": "信用代码",
    "信用报吿": "信用报告",
    "信用承若": "信用承诺",
    "告之承诺": "告知承诺",
    "容却受理": "容缺受理",
    "容缺授理": "容缺受理",
    "自愿注测": "自愿注册",
    "失信黑明单": "失信黑名单",
    "经营异长": "经营异常",
    "法定代表任": "法定代表人",
    "转人公": "转人工",
}

for _wrong, _right in TYPO_FIXES.items():
    if len(_wrong) != len(_right):  # pragma: no cover - guards edits to the table
        raise ValueError(f"typo fix {_wrong!r} -> {_right!r} changes the length")

_TYPO_RE = re.compile("|".join(re.escape(w) for w in sorted(TYPO_FIXES, key=len, reverse=True)))
# CJK Unified Ideographs (basic, extension A) and compatibility ideographs.
_HAN_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def fold_width(text: str) -> str:
    """NFKC each character, keeping characters whose NFKC form is not a single character."""
    if text.isascii():
        return text
    return "".join(_fold_char(ch) for ch in text)


@lru_cache(maxsize=8192)
def _convert_char(ch: str) -> str:
    import zhconv

    converted = zhconv.convert(ch, "zh-cn")
    return converted if len(converted) == 1 else ch


def _convert_run(run: str) -> str:
    import zhconv

    converted = zhconv.convert(run, "zh-cn")
    if len(converted) == len(run):
        return converted
    return "".join(_convert_char(ch) for ch in run)


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese, run by run, never changing the length."""
    return _HAN_RUN_RE.sub(lambda m: _convert_run(m.group(0)), text)


def fix_typos(text: str) -> str:
    """Replace known misspellings of domain words (same length)."""
    return _TYPO_RE.sub(lambda m: TYPO_FIXES[m.group(0)], text)


def mask_codes(text: str) -> str:
    """Codes → ``X`` per character, application numbers → type letters and ``0`` digits (same length)."""
    # canonical.py imports this module, so its finder is imported here rather than at the top.
    from assistant_nlu.canonical import APPLICATION_ID, find_code_spans

    chars = list(text)
    for span in find_code_spans(text):
        for i in range(span.start, span.end):
            if chars[i].isascii() and chars[i].isalnum():
                chars[i] = (chars[i].upper() if chars[i].isalpha() else "0") if span.entity == APPLICATION_ID else "X"
    return "".join(chars)


def normalize_text(text: str) -> str:
    """The full length-preserving normalisation: width folding, Simplified, typo fixes."""
    result = fix_typos(to_simplified(fold_width(text)))
    if len(result) != len(text):  # pragma: no cover - every step is length-preserving
        logger.warning("Normalisation changed the length of %r; keeping the original.", text)
        return text
    return result


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    """Rewrites message text before tokenization; keeps its length so offsets stay valid."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Steps can be switched off individually."""
        return {"fold_width": True, "to_simplified": True, "fix_typos": True, "mask_codes": True}

    @staticmethod
    def required_packages() -> list[str]:
        """zhconv provides the Traditional → Simplified tables."""
        return ["zhconv"]

    @staticmethod
    def supported_languages() -> list[str] | None:
        """Only meaningful for Chinese."""
        return ["zh"]

    def __init__(self, config: dict[str, Any]) -> None:
        """Store the configuration."""
        self._config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        """Create the component (nothing to train or persist)."""
        return cls(config)

    def normalize(self, text: str) -> str:
        """Apply the configured steps to one text."""
        result = text
        if self._config["fold_width"]:
            result = fold_width(result)
        if self._config["to_simplified"]:
            result = to_simplified(result)
        if self._config["fix_typos"]:
            result = fix_typos(result)
        if len(result) != len(text):  # pragma: no cover - every step is length-preserving
            return text
        return result

    def _normalize_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text:
            return
        normalized = self.normalize(text)
        if self._config["mask_codes"]:
            masked = mask_codes(normalized)
            if masked != normalized:
                message.set(UNMASKED_TEXT, normalized)
                normalized = masked
        if normalized == text:
            return
        for entity in message.get(ENTITIES) or []:
            start, end = entity.get("start"), entity.get("end")
            if start is None or end is None:
                continue
            # A value equal to the annotated span is "as written": follow the text. A different
            # value is a synonym target chosen by the data writer and stays as it is.
            if entity.get(ENTITY_ATTRIBUTE_VALUE) == text[start:end]:
                entity[ENTITY_ATTRIBUTE_VALUE] = normalized[start:end]
        message.set(TEXT, normalized)

    def _normalized_variants(self, values: Iterable[str]) -> list[str]:
        seen = dict.fromkeys(values)
        for value in list(seen):
            seen.setdefault(self.normalize(value))
        return list(seen)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalise training examples, synonym keys and lookup-table elements."""
        changed = 0
        for message in training_data.training_examples:
            before = message.get(TEXT)
            self._normalize_message(message)
            changed += message.get(TEXT) != before
        if changed:
            logger.info(
                "TextNormalizer rewrote %d of %d training examples.", changed, len(training_data.training_examples)
            )
        for key, value in list(training_data.entity_synonyms.items()):
            training_data.entity_synonyms.setdefault(self.normalize(key), value)
        for table in training_data.lookup_tables:
            elements = table.get("elements")
            if isinstance(elements, list):
                table["elements"] = self._normalized_variants(str(e) for e in elements)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Normalise incoming messages in place; button payloads are left as they are."""
        for message in messages:
            text = message.get(TEXT)
            # "/inform{"uscc":"…"}" is read by Rasa's RegexMessageHandler at the end of the graph:
            # masking its code would hand the actions XXXXXXXXXXXXXXXXXX instead of the code.
            if isinstance(text, str) and text.startswith(INTENT_MESSAGE_PREFIX):
                continue
            self._normalize_message(message)
        return messages
