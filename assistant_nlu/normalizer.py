"""The pipeline component for length-preserving text normalisation of Chinese user messages.

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

Steps 1-3 are in ``assistant_nlu.text`` and step 4 in ``assistant_nlu.codes`` (both free of Rasa);
this module applies them to Rasa messages and training data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant_nlu.codes import mask_codes
from assistant_nlu.component import ProjectComponent
from assistant_nlu.text import fix_typos, fold_width, to_simplified

logger = logging.getLogger(__name__)

UNMASKED_TEXT = "unmasked_text"  # message attribute: the normalised text before code masking


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TextNormalizer(ProjectComponent):
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

    def normalize(self, text: str) -> str:
        """Apply the configured steps to one text."""
        result = text
        if self.config["fold_width"]:
            result = fold_width(result)
        if self.config["to_simplified"]:
            result = to_simplified(result)
        if self.config["fix_typos"]:
            result = fix_typos(result)
        if len(result) != len(text):  # pragma: no cover - every step is length-preserving
            return text
        return result

    def _normalize_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text:
            return
        normalized = self.normalize(text)
        if self.config["mask_codes"]:
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
