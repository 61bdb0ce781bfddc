"""The pipeline component that turns pinyin typed instead of characters into the service vocabulary.

Runs right after ``normalizer.TextNormalizer`` (which must stay length-preserving, so this is a
component of its own). Training counts the words of the training data (jieba with the project's
dictionary, plus the lookup tables and synonyms) and stores their pinyin table with the model
(``pinyin.PinyinTable``); both training examples and incoming messages are then converted.

The conversion changes the length of the text. Every later component sees the converted text, so
the offsets of the entities they extract refer to it (the parse result's ``text``); training
examples have their entity offsets moved with the text. The normaliser's unmasked copy of the text
(``UNMASKED_TEXT``, codes visible) gets the same edits, which never touch a code.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from assistant_nlu.component import ProjectComponent
from assistant_nlu.normalizer import UNMASKED_TEXT
from assistant_nlu.pinyin import PinyinTable, apply_edits, shift_offset

logger = logging.getLogger(__name__)

TABLE_FILE = "pinyin_table.json"
# A word of the project's dictionary counts as often as this many occurrences in the training data, so that
# its reading wins over a homophone seen a few times (信用 over 新用).
DICTIONARY_WEIGHT = 20


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class PinyinConverter(ProjectComponent):
    """Rewrites pinyin runs of the message text as Chinese words of the training vocabulary."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``dictionary_path``: the directory of jieba user dictionaries (as for the JiebaTokenizer)."""
        return {"dictionary_path": "data/dict"}

    @staticmethod
    def required_packages() -> list[str]:
        """pypinyin gives the readings, jieba the words."""
        return ["pypinyin", "jieba"]

    @staticmethod
    def supported_languages() -> list[str] | None:
        """Only meaningful for Chinese."""
        return ["zh"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
        table: PinyinTable | None = None,
    ) -> None:
        """``table``: None until trained or loaded."""
        super().__init__(config, model_storage, resource)
        self._table = table

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> PinyinConverter:
        """The converter with the table stored at training."""
        with model_storage.read_from(resource) as directory:
            table = PinyinTable.from_dict(read_json_file(directory / TABLE_FILE))
        return cls(config, model_storage, resource, table)

    def train(self, training_data: TrainingData) -> Resource:
        """Count the vocabulary of the training data and store its pinyin table."""
        self._table = PinyinTable.from_counts(self._vocabulary(training_data))
        with self.model_storage.write_to(self.resource) as directory:
            dump_obj_as_json_to_file(directory / TABLE_FILE, self._table.to_dict())
        logger.info("PinyinConverter knows %d readings.", len(self._table))
        return self.resource

    def _vocabulary(self, training_data: TrainingData) -> Counter[str]:
        import jieba

        tokenizer = jieba.Tokenizer()
        counts: Counter[str] = Counter()
        directory = Path(self.config["dictionary_path"]) if self.config.get("dictionary_path") else None
        for path in sorted(directory.iterdir()) if directory and directory.is_dir() else []:
            tokenizer.load_userdict(str(path))
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.split():
                    counts[line.split()[0]] += DICTIONARY_WEIGHT
        for message in training_data.training_examples:
            text = message.get(TEXT)
            if isinstance(text, str):
                counts.update(tokenizer.lcut(text))
        for table in training_data.lookup_tables:
            elements = table.get("elements")
            if isinstance(elements, list):
                counts.update(str(e) for e in elements)
        counts.update(list(training_data.entity_synonyms))
        return counts

    def _convert(self, message: Message) -> None:
        text = message.get(TEXT)
        if self._table is None or not isinstance(text, str) or not text or text.startswith(INTENT_MESSAGE_PREFIX):
            return
        unmasked = message.get(UNMASKED_TEXT)
        # Codes are found on the unmasked text; the masked text has the same length and the same letters elsewhere.
        edits = self._table.edits(unmasked if isinstance(unmasked, str) else text)
        if not edits:
            return
        converted = apply_edits(text, edits)
        for entity in message.get(ENTITIES) or []:
            start, end = entity.get("start"), entity.get("end")
            if start is None or end is None:
                continue
            entity["start"], entity["end"] = shift_offset(start, edits, False), shift_offset(end, edits, True)
            if entity.get(ENTITY_ATTRIBUTE_VALUE) == text[start:end]:
                entity[ENTITY_ATTRIBUTE_VALUE] = converted[entity["start"] : entity["end"]]
        if isinstance(unmasked, str):
            message.set(UNMASKED_TEXT, apply_edits(unmasked, edits))
        message.set(TEXT, converted)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Convert training examples written in pinyin (their entity offsets follow)."""
        for message in training_data.training_examples:
            self._convert(message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Convert incoming messages in place; button payloads are left as they are."""
        for message in messages:
            self._convert(message)
        return messages
