"""A second, linear intent classifier averaged with DIET's ranking (issue 13).

DIET learns the project's phrasing well and generalises less well to how businesses actually type. A
logistic regression on TF-IDF character n-grams of the normalised text makes different mistakes: it weighs
every n-gram it has seen, where DIET's few embedding dimensions fit the training sentences. Averaging the two
probability distributions keeps what each gets right. The n-gram range and C were chosen by 5-fold
cross-validation on data/nlu alone (scripts/intent_ensemble_cv.py, never on the evaluation sets), the weight (the
linear model's share, 0.8 for the intents: DIET is sure of nearly everything, right or wrong, so the linear model
decides where the two disagree) on validation splits of the training data (scripts/fallback_threshold.py). The
topics' weight is an even average, not tuned.

``TopicEnsemble`` does the same for the FAQ topics: the ResponseSelector's ranking averaged with a linear model of
the faq examples' topics (n-grams and C by the same cross-validation, ``--topics``), answered with the averaged best
topic's response.

Both also read the text's toneless pinyin (``TextFeatures``): a character that a pinyin input method or voice input
put in the place of its homophone (信用报高, 帮定企业) reads as the word meant. Cross-validation on data/nlu with one
character of each held-out example replaced by a common homophone (scripts/intent_ensemble_cv.py --homophones)
chose it.

IntentEnsemble runs after DIET and before the FallbackClassifier, which then judges the averaged confidence. Retrieval
intents count as their base intent (``faq``), as for DIET. The learned parameters are stored as plain arrays
and JSON (no pickle), with the characters' readings, and inference is a sparse matrix product.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.nlu.training_data.util import intent_response_key_to_template_key
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from assistant_nlu.component import ProjectComponent
from assistant_nlu.pinyin import character_readings
from credit_backend.rules.org_names import ORG_NAME

logger = logging.getLogger(__name__)

PARAMETERS_FILE = "linear.npz"
NAME_MARK = "\ue000"  # a private-use character, in no message: every name becomes the same n-grams
VOCABULARY_FILE = "vocabulary.json"
READINGS_FILE = "readings.json"
RESPONSES_FILE = "responses.json"


class LinearEnsemble(ProjectComponent, IntentClassifier):
    """What both ensembles share: their settings, the linear model they learn, how it is stored and read, and which
    messages it ranks."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``weight``: the linear model's share of the average; ``ranking_length``: labels kept in the ranking;
        ``pinyin_max_ngram``: the longest n-gram of pinyin syllables read (0: none); ``class_weight``: ``balanced`` weighs
        each label's examples so that every label counts alike (null: as many as were written)."""
        return {
            "min_ngram": 1,
            "max_ngram": 2,
            "pinyin_max_ngram": 2,
            "C": 100.0,
            "class_weight": None,
            "weight": 0.5,
            "ranking_length": 10,
            "random_seed": 42,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """scikit-learn is already a dependency of Rasa."""
        return ["sklearn"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
        linear: LinearIntents | None = None,
    ) -> None:
        """``linear``: None until trained or loaded."""
        super().__init__(config, model_storage, resource)
        self._linear = linear

    @classmethod
    def load(
        cls: type[E],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> E:
        """The ensemble stored at training (untrained when there was too little to learn from)."""
        try:
            with model_storage.read_from(resource) as directory:
                return cls(config, model_storage, resource, **cls.read_learned(directory))
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)

    @classmethod
    def read_learned(cls, directory: Path) -> dict[str, Any]:
        """The constructor's arguments that training wrote to ``directory``."""
        return {"linear": LinearIntents.read(directory)}

    def write_learned(self, directory: Path) -> None:
        """Writes to ``directory`` what ``read_learned`` reads."""
        assert self._linear is not None
        self._linear.write(directory)

    def fit(self, texts: list[str], labels: list[str]) -> LinearIntents:
        """Learns the linear model (``persist`` stores it)."""
        self._linear = LinearIntents.fit(texts, labels, self.config)
        return self._linear

    def persist(self) -> None:
        """Writes what was learned to the model storage, in one go."""
        with self.model_storage.write_to(self.resource) as directory:
            self.write_learned(directory)

    def linear_rankings(
        self, messages: list[Message], ranked: Callable[[Message], Any]
    ) -> list[tuple[Message, dict[str, float]]]:
        """The typed messages (not button payloads) for which ``ranked`` finds a ranking, each with the linear model's
        probabilities by label."""
        linear = self._linear
        todo = [
            m
            for m in messages
            if isinstance(m.get(TEXT), str) and not m.get(TEXT).startswith(INTENT_MESSAGE_PREFIX) and ranked(m)
        ]
        if linear is None or not todo:
            return []
        rows = linear.probabilities([masked_text(m) for m in todo])
        return [(m, dict(zip(linear.classes, row.tolist(), strict=True))) for m, row in zip(todo, rows, strict=True)]


E = TypeVar("E", bound=LinearEnsemble)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentEnsemble(LinearEnsemble):
    """Averages the ranking of the intent classifier before it with a TF-IDF + logistic regression ranking."""

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the linear model on the (normalised) text of the intent examples."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if len({m.get(INTENT) for m in examples}) < 2:
            return self.resource
        linear = self.fit([masked_text(m) for m in examples], [base_intent(m.get(INTENT)) for m in examples])
        self.persist()
        logger.info("IntentEnsemble: %d n-grams, %d intents.", linear.features.size(), len(linear.classes))
        return self.resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace the intent and ranking with the average of the previous ranking and the linear model's."""
        for message, linear in self.linear_rankings(messages, lambda m: m.get(INTENT_RANKING_KEY)):
            ranking = average_rankings(message.get(INTENT_RANKING_KEY), linear, self.config)
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TopicEnsemble(LinearEnsemble):
    """Averages the ResponseSelector's ranking of FAQ topics with a linear model's, as ``IntentEnsemble`` does for
    intents, and answers with the response of the averaged best topic."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``retrieval_intent``: the ResponseSelector's; the rest as ``IntentEnsemble``'s."""
        return {**LinearEnsemble.get_default_config(), "retrieval_intent": "faq"}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
        linear: LinearIntents | None = None,
        responses: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        """``responses``: the responses of each topic the linear model knows."""
        super().__init__(config, model_storage, resource, linear)
        self._responses = responses or {}

    @classmethod
    def read_learned(cls, directory: Path) -> dict[str, Any]:
        return {**super().read_learned(directory), "responses": read_json_file(directory / RESPONSES_FILE)}

    def write_learned(self, directory: Path) -> None:
        super().write_learned(directory)
        dump_obj_as_json_to_file(directory / RESPONSES_FILE, self._responses)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the linear model on the (normalised) text of the retrieval intent's examples, labelled by topic."""
        intent = self.config["retrieval_intent"]
        examples = [
            m
            for m in training_data.intent_examples
            if m.get(TEXT) and m.get(INTENT) == intent and m.get(INTENT_RESPONSE_KEY)
        ]
        if len({m.get(INTENT_RESPONSE_KEY) for m in examples}) < 2:
            return self.resource
        linear = self.fit([masked_text(m) for m in examples], [m.get(INTENT_RESPONSE_KEY) for m in examples])
        self._responses = {
            key: training_data.responses.get(intent_response_key_to_template_key(key)) or [{TEXT: key}]
            for key in linear.classes
        }
        self.persist()
        logger.info("TopicEnsemble: %d n-grams, %d topics.", linear.features.size(), len(linear.classes))
        return self.resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace the selector's choice and ranking with the average of its ranking and the linear model's."""
        intent = self.config["retrieval_intent"]

        def selected(message: Message) -> dict[str, Any]:
            return (message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(intent) or {}

        for message, linear in self.linear_rankings(messages, lambda m: selected(m).get(RESPONSE_SELECTOR_RANKING_KEY)):
            selection = selected(message)
            previous = {
                str(r[INTENT_RESPONSE_KEY]): float(r[PREDICTED_CONFIDENCE_KEY])
                for r in selection[RESPONSE_SELECTOR_RANKING_KEY]
            }
            ranking = averaged(previous, linear, self.config)
            best, confidence = ranking[0]
            chosen = selection[RESPONSE_SELECTOR_PREDICTION_KEY]
            responses = chosen[RESPONSE_SELECTOR_RESPONSES_KEY] if chosen[INTENT_RESPONSE_KEY] == best else None
            selection[RESPONSE_SELECTOR_PREDICTION_KEY] = {
                RESPONSE_SELECTOR_RESPONSES_KEY: responses or self._responses.get(best) or [{TEXT: best}],
                PREDICTED_CONFIDENCE_KEY: confidence,
                INTENT_RESPONSE_KEY: best,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: intent_response_key_to_template_key(best),
            }
            selection[RESPONSE_SELECTOR_RANKING_KEY] = [
                {PREDICTED_CONFIDENCE_KEY: c, INTENT_RESPONSE_KEY: key} for key, c in ranking
            ]
        return messages


def masked_text(message: Message) -> str:
    """The text with each organisation name (as annotated, or as DIET tagged it) replaced by one mark: which
    service a message asks for does not depend on the name's characters, and a long name's n-grams would
    otherwise outweigh the words of the request (查询桦甸市常山镇胜利村综合服务站的信用 taken as an FAQ question)."""
    text = str(message.get(TEXT))
    spans = sorted(
        (e["start"], e["end"])
        for e in message.get(ENTITIES) or []
        if e.get("entity") == ORG_NAME and isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
    )
    parts, position = [], 0
    for start, end in spans:
        if start < position:
            continue  # overlapping pieces of one name
        parts += [text[position:start], NAME_MARK]
        position = end
    return "".join([*parts, text[position:]])


def base_intent(intent: str) -> str:
    """``faq/repair_fee`` → ``faq``: the intent classifier sees retrieval intents as one."""
    return intent.split("/", 1)[0]


def averaged(previous: dict[str, float], linear: dict[str, float], config: dict[str, Any]) -> list[tuple[str, float]]:
    """The weighted average of two rankings by label (a label missing from one counts 0 there), best first, cut to
    ``ranking_length``."""
    weight = float(config["weight"])
    average = {
        name: (1 - weight) * previous.get(name, 0.0) + weight * linear.get(name, 0.0) for name in {*previous, *linear}
    }
    return sorted(average.items(), key=lambda item: (-item[1], item[0]))[: int(config["ranking_length"])]


def average_rankings(
    ranking: list[dict[str, Any]], linear: dict[str, float], config: dict[str, Any]
) -> list[dict[str, Any]]:
    """An intent ranking averaged with the linear model's probabilities (``averaged``)."""
    previous = {r[INTENT_NAME_KEY]: float(r[PREDICTED_CONFIDENCE_KEY]) for r in ranking}
    return [
        {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
        for name, confidence in averaged(previous, linear, config)
    ]


class TextFeatures:
    """What the linear model reads of a text: TF-IDF of its character n-grams and, with ``readings``, of the n-grams of
    its toneless pinyin syllables, one per Han character (other characters stand for themselves)."""

    def __init__(
        self, chars: TfidfVectorizer, syllables: TfidfVectorizer | None = None, readings: dict[str, str] | None = None
    ) -> None:
        self.chars, self.syllables, self.readings = chars, syllables, readings or {}

    @classmethod
    def create(cls, config: dict[str, Any]) -> TextFeatures:
        """Unfitted, with ``config``'s n-gram ranges; pypinyin's readings when ``pinyin_max_ngram`` is set."""
        chars = _vectorizer("char", (int(config["min_ngram"]), int(config["max_ngram"])))
        longest = int(config.get("pinyin_max_ngram", 0))
        if longest < 1:
            return cls(chars)
        return cls(chars, _vectorizer("word", (1, longest)), character_readings())

    def spelled(self, text: str) -> str:
        """``信用报高`` → ``xin yong bao gao``."""
        return " ".join(self.readings.get(ch, ch) for ch in text if not ch.isspace())

    def fit_transform(self, texts: list[str]) -> Any:
        matrix = self.chars.fit_transform(texts)
        if self.syllables is None:
            return matrix
        return hstack([matrix, self.syllables.fit_transform([self.spelled(t) for t in texts])]).tocsr()

    def transform(self, texts: list[str]) -> Any:
        matrix = self.chars.transform(texts)
        if self.syllables is None:
            return matrix
        return hstack([matrix, self.syllables.transform([self.spelled(t) for t in texts])]).tocsr()

    def size(self) -> int:
        """The number of n-grams read."""
        return len(self.chars.vocabulary_) + (len(self.syllables.vocabulary_) if self.syllables is not None else 0)

    def write(self, directory: Path) -> dict[str, Any]:
        """Writes the readings; returns the vectorizers' arrays and settings, stored with the model's."""
        meta: dict[str, Any] = {
            "vocabulary": _vocabulary(self.chars),
            "ngram_range": list(self.chars.ngram_range),
        }
        arrays = {"idf": self.chars.idf_}
        if self.syllables is not None:
            meta |= {
                "pinyin_vocabulary": _vocabulary(self.syllables),
                "pinyin_ngram_range": list(self.syllables.ngram_range),
            }
            arrays["pinyin_idf"] = self.syllables.idf_
            dump_obj_as_json_to_file(directory / READINGS_FILE, self.readings)
        return {"meta": meta, "arrays": arrays}

    @classmethod
    def read(cls, directory: Path, meta: dict[str, Any], arrays: Any) -> TextFeatures:
        """The features ``write`` stored; a model stored before pinyin was read has none."""
        chars = _fitted(_vectorizer("char", tuple(meta["ngram_range"])), meta["vocabulary"], arrays["idf"])
        if "pinyin_vocabulary" not in meta:
            return cls(chars)
        syllables = _vectorizer("word", tuple(meta["pinyin_ngram_range"]))
        readings = _shared_readings((directory / READINGS_FILE).read_text(encoding="utf-8"))
        return cls(chars, _fitted(syllables, meta["pinyin_vocabulary"], arrays["pinyin_idf"]), readings)


class LinearIntents:
    """``TextFeatures`` + multinomial logistic regression, kept as its learned arrays."""

    def __init__(self, features: TextFeatures, coef: np.ndarray, intercept: np.ndarray, classes: list[str]) -> None:
        self.features, self.classes = features, classes
        self._coef, self._intercept = coef, intercept
        # One row per feature, laid out in memory as the product reads it: a strided ``coef.T`` costs 0.3 ms a message.
        self._weights = np.ascontiguousarray(coef.T)

    @classmethod
    def fit(cls, texts: list[str], intents: list[str], config: dict[str, Any]) -> LinearIntents:
        features = TextFeatures.create(config)
        matrix = features.fit_transform(texts)
        model = LogisticRegression(
            C=float(config["C"]),
            class_weight=config.get("class_weight"),
            max_iter=3000,
            random_state=int(config["random_seed"]),
        )
        model.fit(matrix, intents)
        coef, intercept = model.coef_, model.intercept_
        if coef.shape[0] == 1:  # two intents: sklearn keeps one row; softmax over [0, w·x + b] is its sigmoid
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
        return cls(features, coef, intercept, [str(c) for c in model.classes_])

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row of intent probabilities per text, columns in the order of ``classes``."""
        scores = self.features.transform(texts) @ self._weights + self._intercept
        scores = np.asarray(scores)
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def write(self, directory: Path) -> None:
        stored = self.features.write(directory)
        np.savez(directory / PARAMETERS_FILE, coef=self._coef, intercept=self._intercept, **stored["arrays"])
        dump_obj_as_json_to_file(directory / VOCABULARY_FILE, {**stored["meta"], "classes": self.classes})

    @classmethod
    def read(cls, directory: Path) -> LinearIntents:
        meta = read_json_file(directory / VOCABULARY_FILE)
        with np.load(directory / PARAMETERS_FILE, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        features = TextFeatures.read(directory, meta, arrays)
        return cls(features, arrays["coef"], arrays["intercept"], meta["classes"])


@lru_cache(maxsize=2)
def _shared_readings(stored: str) -> dict[str, str]:
    """The readings stored with a model, one dict for both ensembles (about 7 MiB each in every Rasa process), each
    syllable one string object."""
    return {char: sys.intern(reading) for char, reading in json.loads(stored).items()}


def _vocabulary(vectorizer: TfidfVectorizer) -> dict[str, int]:
    return {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}


def _fitted(vectorizer: TfidfVectorizer, vocabulary: dict[str, int], idf: np.ndarray) -> TfidfVectorizer:
    vectorizer.vocabulary_ = vocabulary
    vectorizer.idf_ = idf
    return vectorizer


def _vectorizer(analyzer: str, ngram_range: tuple[int, int]) -> TfidfVectorizer:
    # Characters, not jieba words: robust to segmentation and to typos; syllables split at spaces
    # (``TextFeatures.spelled``); sublinear tf as usual for short texts.
    words = {"token_pattern": r"\S+"} if analyzer == "word" else {}
    return TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, sublinear_tf=True, lowercase=True, **words)
