"""Unit tests for the pinyin converter (run in the Rasa environment).

.venv-rasa/bin/python -m pytest tests/nlu/test_pinyin.py

The converter is trained on the project's real training data, as ``rasa train`` trains it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant_nlu.normalizer import UNMASKED_TEXT, TextNormalizer
from assistant_nlu.pinyin import Edit, PinyinTable, apply_edits, shift_offset
from assistant_nlu.pinyin_converter import PinyinConverter
from credit_backend.rules.uscc import make_uscc

ROOT = Path(__file__).resolve().parents[2]
CODE = make_uscc("91", "220202", "MA0Y3K7Q")


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalModelStorage:
    return LocalModelStorage(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def normalizer(storage: LocalModelStorage) -> TextNormalizer:
    return TextNormalizer.create({}, storage, Resource("normalizer"), None)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def converter(storage: LocalModelStorage, normalizer: TextNormalizer) -> PinyinConverter:
    """Trained on data/nlu after the normaliser, then loaded back from the model storage as Rasa loads it."""
    config = {"dictionary_path": str(ROOT / "data/dict")}
    training = normalizer.process_training_data(load_data(str(ROOT / "data/nlu")))
    resource = Resource("pinyin")
    PinyinConverter.create(config, storage, resource, None).train(training)  # type: ignore[arg-type]
    return PinyinConverter.load(config, storage, resource, None)  # type: ignore[arg-type]


def _run(normalizer: TextNormalizer, converter: PinyinConverter, text: str) -> Message:
    message = Message(data={TEXT: text})
    converter.process(normalizer.process([message]))
    return message


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("chaxun xinyong", "查询信用"),
        ("chaxunxinyong", "查询信用"),
        ("xiufu shenqing", "修复申请"),
        ("wo yao cha xinyong baogao", "我要查信用报告"),
        ("woyaochaxinyongbaogao", "我要查信用报告"),
        ("xin4yong4 xiu1fu4", "信用修复"),
        ("xìnyòng xiūfù", "信用修复"),
        ("Chaxun xinyong", "查询信用"),
        ("我要xiufu", "我要修复"),
        ("我想 shenqing yiyi", "我想 申请异议"),
        ("zhuan rengong", "转人工"),
        ("you mei you chufa", "有没有处罚"),
    ],
)
def test_pinyin_becomes_characters(
    normalizer: TextNormalizer, converter: PinyinConverter, typed: str, expected: str
) -> None:
    assert _run(normalizer, converter, typed).get(TEXT) == expected


@pytest.mark.parametrize(
    "text",
    [
        "are you a bot",
        "thanks a lot",
        "hello",
        "ok",
        "goodbye",
        "PDF版的信用报告",
        "查一下XK-20261101-0001",
        "编号 xf20260517-0003 进度",
        "报告 XYBG-20261104-00023 核验码 GX3M-5TKD",
        "帮我查一下9322 0211 MAJU 8A6C 6T",
        "我要cha一下",  # one syllable alone is too little to say it is pinyin
        "tie",  # ti + e would be 提额, but three letters alone are English far more often
        "查询信用",
    ],
)
def test_english_codes_and_characters_are_left_alone(
    normalizer: TextNormalizer, converter: PinyinConverter, text: str
) -> None:
    normalized_only = normalizer.process([Message(data={TEXT: text})])[0].get(TEXT)
    assert _run(normalizer, converter, text).get(TEXT) == normalized_only


def test_a_code_next_to_pinyin_keeps_its_value(normalizer: TextNormalizer, converter: PinyinConverter) -> None:
    message = _run(normalizer, converter, f"chaxun {CODE.lower()} de xinyong")
    # The classifiers see the masked code, the canonicaliser the code itself, at the same offsets.
    assert message.get(TEXT) == "查询 " + "X" * 18 + " 的信用"
    assert message.get(UNMASKED_TEXT) == f"查询 {CODE.lower()} 的信用"


def test_unknown_syllables_stay_as_typed(normalizer: TextNormalizer, converter: PinyinConverter) -> None:
    text = _run(normalizer, converter, "qwzx xinyong baogao").get(TEXT)
    assert text == "qwzx 信用报告"


def test_button_payloads_are_not_converted(normalizer: TextNormalizer, converter: PinyinConverter) -> None:
    payload = '/inform{"org_name":"jiangcheng jiancai"}'
    assert _run(normalizer, converter, payload).get(TEXT) == payload


def test_training_example_entities_follow_the_converted_text(converter: PinyinConverter) -> None:
    text = "chaxun jiangcheng jiancai de xinyong"
    start = text.index("jiangcheng")
    entity: dict[str, Any] = {"entity": "org_name", "start": start, "end": start + 18, "value": "jiangcheng jiancai"}
    message = Message(data={TEXT: text, ENTITIES: [entity]})
    converter.process_training_data(TrainingData([message]))
    converted = message.get(TEXT)
    assert converted == "查询江城建材的信用"
    assert converted[entity["start"] : entity["end"]] == "江城建材" == entity["value"]


def test_entities_after_a_conversion_move_with_the_text(converter: PinyinConverter) -> None:
    text = f"chaxun xinyong {CODE}"
    entity = {"entity": "uscc", "start": text.index(CODE), "end": len(text), "value": CODE}
    message = Message(data={TEXT: text, ENTITIES: [dict(entity)]})
    converter.process_training_data(TrainingData([message]))
    moved = message.get(ENTITIES)[0]
    assert message.get(TEXT)[moved["start"] : moved["end"]] == CODE == moved["value"]


def test_shift_offset_inside_an_edit_snaps_to_its_ends() -> None:
    edits = [Edit(2, 8, "信用")]
    assert apply_edits("ab xinyong", [Edit(3, 10, "信用")]) == "ab 信用"
    assert shift_offset(1, edits, False) == 1
    assert shift_offset(5, edits, False) == 2
    assert shift_offset(5, edits, True) == 4
    assert shift_offset(9, edits, False) == 5


def test_most_frequent_word_wins_a_reading() -> None:
    table = PinyinTable.from_counts({"异议": 9, "意义": 2, "一一": 1})  # type: ignore[arg-type]
    assert table.word_for("yiyi") == "异议"
    assert PinyinTable.from_dict(table.to_dict()).word_for("yiyi") == "异议"


def test_typed_spaces_must_fall_on_syllable_boundaries() -> None:
    table = PinyinTable.from_words(["西安", "先", "查询"])
    assert apply_edits("xi an chaxun", table.edits("xi an chaxun")) == "西安查询"
    # "xian" typed as one token may be 先; "xia n" can never be read as 西安.
    assert apply_edits("xian chaxun", table.edits("xian chaxun")) in ("先查询", "西安查询")
    assert "西安" not in apply_edits("xia n chaxun", table.edits("xia n chaxun"))
