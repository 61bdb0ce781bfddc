"""The ensembles: DIET's intent ranking and the ResponseSelector's FAQ topic ranking, each averaged with a linear
model (run in the Rasa environment).

.venv-rasa/bin/python -m pytest tests/nlu/test_intent_ensemble.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant_nlu.intent_ensemble import (
    NAME_MARK,
    IntentEnsemble,
    LinearIntents,
    TopicEnsemble,
    average_rankings,
    base_intent,
    masked_text,
)

# A tiny training set in the shape of the real one: two services, an FAQ topic, a greeting.
EXAMPLES = {
    "apply_repair": ["我要申请信用修复", "想把处罚记录修复掉", "申请修复失信记录", "修复信用怎么申请"],
    "query_credit": ["查一下江城建材的信用", "帮我查询信用状况", "看看这家公司有没有处罚", "查信用"],
    "faq/repair_fee": ["信用修复收费吗", "修复要交钱吗", "修复有没有费用", "办修复花多少钱"],
    "greet": ["你好", "您好", "早上好", "哈喽"],
}


def _training_data() -> TrainingData:
    return TrainingData(
        [Message(data={TEXT: text, INTENT: intent}) for intent, texts in EXAMPLES.items() for text in texts]
    )


def _ranking(**confidences: float) -> list[dict[str, object]]:
    return [{"name": name, "confidence": value} for name, value in confidences.items()]


def test_retrieval_intents_count_as_their_base_intent() -> None:
    assert base_intent("faq/repair_fee") == "faq"
    assert base_intent("apply_repair") == "apply_repair"


def test_organisation_names_are_one_mark_for_the_linear_model() -> None:
    text = "查询桦甸市常山镇胜利村综合服务站和江城建材的信用"
    entities = [
        {"entity": "org_name", "start": 2, "end": 16},
        {"entity": "org_name", "start": 10, "end": 16},  # an overlapping piece of the same name
        {"entity": "org_name", "start": 17, "end": 21},
        {"entity": "info_category", "start": 22, "end": 24},  # other entities keep their words
    ]
    assert masked_text(Message(data={TEXT: text, "entities": entities})) == f"查询{NAME_MARK}和{NAME_MARK}的信用"
    assert masked_text(Message(data={TEXT: "你好"})) == "你好"


def test_the_average_weighs_both_rankings_and_counts_a_missing_intent_as_zero() -> None:
    ranking = average_rankings(
        _ranking(faq=0.9, apply_repair=0.1),
        {"apply_repair": 0.8, "faq": 0.1, "greet": 0.1},
        {"weight": 0.5, "ranking_length": 10},
    )
    assert [r["name"] for r in ranking] == ["faq", "apply_repair", "greet"]
    assert [round(float(r["confidence"]), 3) for r in ranking] == [0.5, 0.45, 0.05]
    # With the linear model's share larger, its answer wins; the ranking is cut to its length.
    ranking = average_rankings(
        _ranking(faq=0.9, apply_repair=0.1),
        {"apply_repair": 0.8, "faq": 0.1, "greet": 0.1},
        {"weight": 0.7, "ranking_length": 2},
    )
    assert [r["name"] for r in ranking] == ["apply_repair", "faq"]


def test_the_linear_model_learns_the_intents_and_survives_storage(tmp_path: Path) -> None:
    texts = [t for texts in EXAMPLES.values() for t in texts]
    intents = [base_intent(i) for i, texts in EXAMPLES.items() for _ in texts]
    model = LinearIntents.fit(texts, intents, {"min_ngram": 1, "max_ngram": 3, "C": 20.0, "random_seed": 42})
    assert model.classes == ["apply_repair", "faq", "greet", "query_credit"]
    unseen = ["信用修复怎么申请呢", "修复要不要钱", "你好呀", "查查江城建材"]
    probabilities = model.probabilities(unseen)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert [model.classes[i] for i in probabilities.argmax(axis=1)] == ["apply_repair", "faq", "greet", "query_credit"]
    model.write(tmp_path)
    assert np.allclose(LinearIntents.read(tmp_path).probabilities(unseen), probabilities)


def test_a_homophone_typed_for_a_character_reads_as_the_word_meant(tmp_path: Path) -> None:
    # Pinyin input methods and voice input put homophones in place: 修付 for 修复, 差询 for 查询, 收废 for 收费.
    texts = [t for texts in EXAMPLES.values() for t in texts]
    intents = [base_intent(i) for i, texts in EXAMPLES.items() for _ in texts]
    config = {"min_ngram": 1, "max_ngram": 2, "C": 20.0, "random_seed": 42}
    typed = ["想申请信用修付", "帮我差询信用", "修付收废吗"]
    meant = ["apply_repair", "query_credit", "faq"]
    with_pinyin = LinearIntents.fit(texts, intents, {**config, "pinyin_max_ngram": 2})
    assert with_pinyin.features.spelled("信用修付") == with_pinyin.features.spelled("信用修复") == "xin yong xiu fu"
    assert [with_pinyin.classes[i] for i in with_pinyin.probabilities(typed).argmax(axis=1)] == meant
    characters_only = LinearIntents.fit(texts, intents, config)
    # The characters alone find less of the word meant.
    for row, label in enumerate(meant):
        with_column, without_column = with_pinyin.classes.index(label), characters_only.classes.index(label)
        assert (
            with_pinyin.probabilities(typed)[row, with_column]
            > characters_only.probabilities(typed)[row, without_column]
        )
    with_pinyin.write(tmp_path)
    assert np.allclose(LinearIntents.read(tmp_path).probabilities(typed), with_pinyin.probabilities(typed))


def test_two_intents_give_two_probabilities() -> None:
    model = LinearIntents.fit(
        EXAMPLES["greet"] + EXAMPLES["query_credit"],
        ["greet"] * 4 + ["query_credit"] * 4,
        {"min_ngram": 1, "max_ngram": 3, "C": 20.0, "random_seed": 42},
    )
    probabilities = model.probabilities(["您好", "查一下信用"])
    assert probabilities.shape == (2, 2)
    assert [model.classes[i] for i in probabilities.argmax(axis=1)] == ["greet", "query_credit"]


def test_balanced_weighting_takes_the_prior_of_the_label_written_most_out_of_unknown_questions() -> None:
    # Written unevenly, as the training data is (faq 1,377 examples, out_of_scope 412): questions about other offices'
    # business share little with either label's words but the question form.
    faq = ["信用修复收费吗", "修复要交钱吗", "修复有没有费用", "办修复花多少钱", "异议多久处理完", "承诺书在哪下载"] * 3
    out_of_scope = ["社保怎么交", "公积金在哪提取"]
    labels = ["faq"] * len(faq) + ["out_of_scope"] * len(out_of_scope)
    config = {"min_ngram": 1, "max_ngram": 2, "C": 100.0, "random_seed": 42}
    asked = ["驾照怎么换", "护照在哪里提取", "医保卡在哪办理", "车票在哪买"]

    def chances_of_out_of_scope(model: LinearIntents) -> np.ndarray:
        return model.probabilities(asked)[:, model.classes.index("out_of_scope")]

    as_written = chances_of_out_of_scope(LinearIntents.fit(faq + out_of_scope, labels, config))
    balanced = chances_of_out_of_scope(
        LinearIntents.fit(faq + out_of_scope, labels, {**config, "class_weight": "balanced"})
    )
    assert (balanced > as_written + 0.1).all()
    assert (as_written > 0.5).sum() == 2 and (balanced > 0.8).sum() == 2  # the two it got right, now with certainty


@pytest.fixture
def ensemble(tmp_path: Path) -> IntentEnsemble:
    """Trained, then loaded back from the model storage as Rasa loads it."""
    storage, resource = LocalModelStorage(tmp_path), Resource("ensemble")
    IntentEnsemble.create({}, storage, resource, None).train(_training_data())  # type: ignore[arg-type]
    return IntentEnsemble.load({}, storage, resource, None)  # type: ignore[arg-type]


def test_a_confident_wrong_ranking_is_corrected_when_the_linear_model_disagrees(ensemble: IntentEnsemble) -> None:
    # DIET's kind of mistake: a how-do-I request for the service ranked as an FAQ question.
    message = Message(data={TEXT: "我要申请信用修复", INTENT_RANKING_KEY: _ranking(faq=0.6, apply_repair=0.4)})
    message.set(INTENT, {"name": "faq", "confidence": 0.6})
    ensemble.process([message])
    assert message.get(INTENT)["name"] == "apply_repair"
    assert message.get(INTENT_RANKING_KEY)[0] == message.get(INTENT)


def test_button_payloads_and_messages_without_a_ranking_are_left_alone(ensemble: IntentEnsemble) -> None:
    payload = Message(data={TEXT: '/apply_repair{"uscc": "x"}', INTENT_RANKING_KEY: _ranking(apply_repair=1.0)})
    payload.set(INTENT, {"name": "apply_repair", "confidence": 1.0})
    empty = Message(data={TEXT: "你好"})
    ensemble.process([payload, empty])
    assert payload.get(INTENT_RANKING_KEY) == _ranking(apply_repair=1.0)
    assert empty.get(INTENT) is None


def test_an_untrained_ensemble_passes_the_ranking_through(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("empty")
    IntentEnsemble.create({}, storage, resource, None).train(TrainingData())  # type: ignore[arg-type]
    ensemble = IntentEnsemble.load({}, storage, resource, None)  # type: ignore[arg-type]
    message = Message(data={TEXT: "你好", INTENT_RANKING_KEY: _ranking(greet=0.9, faq=0.1)})
    ensemble.process([message])
    assert message.get(INTENT_RANKING_KEY) == _ranking(greet=0.9, faq=0.1)


# --- FAQ topics -------------------------------------------------------------------------------

TOPICS = {
    "faq/repair_fee": ["信用修复收费吗", "修复要交钱吗", "修复有没有费用", "办修复花多少钱"],
    "faq/repair_periods": ["处罚信息公示多久", "公示期是几年", "多长时间以后可以修复", "最短公示期限是多少"],
    "faq/commitment_types": ["信用承诺分哪几种", "承诺有几类", "承诺都有什么类型", "有哪些种类的承诺"],
}
RESPONSES = {f"utter_{key}": [{TEXT: f"{key}的回答"}] for key in TOPICS}


def _selection(**confidences: float) -> dict[str, object]:
    """The ResponseSelector's output for the retrieval intent faq, best first."""
    best = max(confidences, key=lambda k: confidences[k])
    key = best.replace("__", "/")
    return {
        "all_retrieval_intents": ["faq"],
        "faq": {
            "response": {
                "responses": [{TEXT: "选择器给的回答"}],
                "confidence": confidences[best],
                "intent_response_key": key,
                "utter_action": f"utter_{key}",
            },
            "ranking": [{"confidence": c, "intent_response_key": k.replace("__", "/")} for k, c in confidences.items()],
        },
    }


@pytest.fixture
def topics(tmp_path: Path) -> TopicEnsemble:
    """Trained on FAQ examples (and a service's, which it must ignore), then loaded back as Rasa loads it."""
    examples = [
        Message(data={TEXT: text, INTENT: "faq", "intent_response_key": key})
        for key, texts in TOPICS.items()
        for text in texts
    ] + [Message(data={TEXT: text, INTENT: "apply_repair"}) for text in EXAMPLES["apply_repair"]]
    storage, resource = LocalModelStorage(tmp_path), Resource("topics")
    TopicEnsemble.create({}, storage, resource, None).train(  # type: ignore[arg-type]
        TrainingData(examples, responses=RESPONSES)
    )
    return TopicEnsemble.load({}, storage, resource, None)  # type: ignore[arg-type]


def test_a_wrong_topic_is_corrected_with_that_topics_response(topics: TopicEnsemble) -> None:
    message = Message(data={TEXT: "信用承诺一共分几类"})
    message.set("response_selector", _selection(faq__repair_periods=0.6, faq__commitment_types=0.35))
    topics.process([message])
    selected = message.get("response_selector")["faq"]
    assert selected["response"]["intent_response_key"] == "faq/commitment_types"
    assert selected["response"]["utter_action"] == "utter_faq/commitment_types"
    assert selected["response"]["responses"] == [{TEXT: "faq/commitment_types的回答"}]
    assert selected["ranking"][0]["intent_response_key"] == "faq/commitment_types"
    assert selected["response"]["confidence"] == selected["ranking"][0]["confidence"]
    assert {r["intent_response_key"] for r in selected["ranking"]} == set(TOPICS)  # services are not topics


def test_an_agreed_topic_keeps_the_selectors_response(topics: TopicEnsemble) -> None:
    message = Message(data={TEXT: "修复收费吗"})
    message.set("response_selector", _selection(faq__repair_fee=0.9, faq__repair_periods=0.1))
    topics.process([message])
    response = message.get("response_selector")["faq"]["response"]
    assert response["intent_response_key"] == "faq/repair_fee"
    assert response["responses"] == [{TEXT: "选择器给的回答"}]


def test_messages_without_a_selection_and_payloads_are_left_alone(topics: TopicEnsemble) -> None:
    payload = Message(data={TEXT: '/faq{"faq_topic": "repair_fee"}'})
    payload.set("response_selector", _selection(faq__repair_periods=1.0))
    plain = Message(data={TEXT: "你好"})
    topics.process([payload, plain])
    assert payload.get("response_selector") == _selection(faq__repair_periods=1.0)
    assert plain.get("response_selector") is None
