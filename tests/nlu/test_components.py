"""Unit tests for the custom NLU components (run in the Rasa environment).

.venv-rasa/bin/python -m pytest tests/nlu
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant_nlu.canonical import EntityCanonicalizer
from assistant_nlu.code_intents import CodeIntents
from assistant_nlu.codes import canonical_application_id, find_code_spans, is_resident_id_number
from assistant_nlu.name_answers import NameAnswers
from assistant_nlu.normalizer import UNMASKED_TEXT, TextNormalizer
from assistant_nlu.text import TYPO_FIXES, normalize_text
from credit_backend.rules.uscc import make_uscc, validate_uscc

# A valid synthetic 吉林市 code (GB 32100 check character computed by the rules module).
CODE = make_uscc("91", "220202", "MA0Y3K7Q")
# The same code with a wrong check character: still a uscc entity, the backend explains it.
BAD_CHECK = CODE[:17] + ("0" if CODE[17] != "0" else "1")


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _entity(kind: str, text: str, fragment: str, value: str | None = None, **extra: Any) -> dict[str, Any]:
    start = text.index(fragment)
    return {
        "entity": kind,
        "start": start,
        "end": start + len(fragment),
        "value": fragment if value is None else value,
        **extra,
    }


@pytest.fixture
def normalizer(tmp_path: Any) -> TextNormalizer:
    """A normaliser created the way the graph creates it."""
    storage = LocalModelStorage(tmp_path)
    return TextNormalizer.create({}, storage, Resource("normalizer"), None)  # type: ignore[arg-type]


@pytest.fixture
def canonicalizer(tmp_path: Any) -> EntityCanonicalizer:
    """A canonicaliser created the way the graph creates it."""
    storage = LocalModelStorage(tmp_path)
    return EntityCanonicalizer.create({}, storage, Resource("canonical"), None)  # type: ignore[arg-type]


def _parse(canonicalizer: EntityCanonicalizer, text: str, entities: list[dict[str, Any]]) -> list[dict]:
    message = Message(data={TEXT: text, ENTITIES: entities})
    canonicalizer.process([message])
    return message.get(ENTITIES)


def _values(entities: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["entity"], e["value"]) for e in entities]


# --------------------------------------------------------------------------- normaliser


def test_fixture_codes_are_what_the_tests_assume() -> None:
    assert validate_uscc(CODE).ok
    assert not validate_uscc(BAD_CHECK).ok


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("信用修復需要什麼條件？", "信用修复需要什么条件?"),
        ("我要提異議，這條處罰記錄不是我們的", "我要提异议,这条处罚记录不是我们的"),
        ("ＸＦ－２０２６１１０３－０００７進度", "XF-20261103-0007进度"),
        ("統一社會信用代碼　９１２２０２０２ＭＡ０Ｙ３Ｋ７Ｑ６Ｌ", "统一社会信用代码 91220202MA0Y3K7Q6L"),
        ("我的信用修护申请", "我的信用修复申请"),
        ("意义申请怎么提交", "异议申请怎么提交"),
        ("帮我查下江城建材有没有失信记录", "帮我查下江城建材有没有失信记录"),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("raw", ["記憶體不夠用", "①號窗口…㈱", "乾隆年間的干部", "ﬁ㎡"])
def test_normalize_text_keeps_length_when_a_conversion_would_change_it(raw: str) -> None:
    result = normalize_text(raw)
    assert len(result) == len(raw)


def test_length_changing_conversion_falls_back_to_characters() -> None:
    # zhconv turns 記憶體 into 内存 (3 → 2 characters); the run is converted per character instead.
    assert normalize_text("記憶體") == "记忆体"
    # Characters whose NFKC form is longer than one character are kept as they are.
    assert normalize_text("…㈱") == "…㈱"


def test_simplified_text_is_unchanged() -> None:
    text = "我们公司被列入经营异常名录了，想申请信用修复，还要签信用承诺书吗"
    assert normalize_text(text).replace(",", "，") == text


def test_typo_table_is_length_preserving() -> None:
    assert all(len(wrong) == len(right) for wrong, right in TYPO_FIXES.items())


def test_process_rewrites_message_text(normalizer: TextNormalizer) -> None:
    message = Message(data={TEXT: "ＹＹ２０２６１１２６００３Ｘ辦好了嗎"})
    normalizer.process([message])
    assert message.get(TEXT) == "YY20261126003X办好了吗"


def test_button_payloads_keep_their_codes(normalizer: TextNormalizer) -> None:
    # Read by Rasa's RegexMessageHandler after the pipeline: the code must reach it unmasked.
    payload = f'/inform{{"uscc":"{CODE}"}}'
    message = Message(data={TEXT: payload})
    normalizer.process([message])
    assert message.get(TEXT) == payload and message.get(UNMASKED_TEXT) is None


def test_process_leaves_empty_messages_alone(normalizer: TextNormalizer) -> None:
    message = Message(data={"intent": "greet"})
    normalizer.process([message])
    assert message.get(TEXT) is None


def test_training_data_offsets_and_values_follow_the_text(normalizer: TextNormalizer) -> None:
    text = "幫我查詢江城建材的行政處罰，代碼ｍａ０ｙ"
    org = _entity("org_name", text, "江城建材")
    record = _entity("record_type", text, "行政處罰", value="行政处罚")  # synonym target: kept
    spoken = _entity("record_type", text, "處罰")
    message = Message(data={TEXT: text, "intent": "query_credit", ENTITIES: [org, record]})
    other = Message(data={TEXT: "這個處罰", "intent": "inform", ENTITIES: [dict(spoken, start=2, end=4)]})
    data = TrainingData(
        training_examples=[message, other],
        entity_synonyms={"異常名錄": "经营异常"},
        lookup_tables=[{"name": "record_type", "elements": ["黑名單", "红名单"]}],
    )
    normalizer.process_training_data(data)

    assert message.get(TEXT) == "帮我查询江城建材的行政处罚,代码ma0y"
    new_text = message.get(TEXT)
    for entity in message.get(ENTITIES):
        assert len(new_text) == len(text)
        assert new_text[entity["start"] : entity["end"]] in ("江城建材", "行政处罚")
    assert message.get(ENTITIES)[1]["value"] == "行政处罚"
    assert other.get(ENTITIES)[0]["value"] == "处罚"
    assert data.entity_synonyms["异常名录"] == "经营异常"
    assert data.entity_synonyms["異常名錄"] == "经营异常"
    assert data.lookup_tables[0]["elements"] == ["黑名單", "红名单", "黑名单"]


def test_normalised_text_keeps_entity_spans_for_full_width_codes(normalizer: TextNormalizer) -> None:
    text = "查詢" + _full_width(CODE.lower()) + "的信用"
    span = _entity("uscc", text, _full_width(CODE.lower()))
    message = Message(data={TEXT: text, "intent": "query_credit", ENTITIES: [span]})
    normalizer.process_training_data(TrainingData(training_examples=[message]))
    entity = message.get(ENTITIES)[0]
    assert message.get(UNMASKED_TEXT)[entity["start"] : entity["end"]] == CODE.lower()
    # The classifiers see one token for every code; the span still covers exactly the code.
    assert message.get(TEXT) == "查询" + "X" * 18 + "的信用"
    assert entity["value"] == "X" * 18


def test_codes_and_application_numbers_are_masked_to_one_shape(normalizer: TextNormalizer) -> None:
    first = Message(data={TEXT: f"帮我查一下{CODE}"})
    second = Message(data={TEXT: "帮我查一下92220204L5B2C8D11M"})
    number = Message(data={TEXT: "xf-20261103-0007 进度"})
    normalizer.process([first, second, number])
    assert first.get(TEXT) == second.get(TEXT) == "帮我查一下" + "X" * 18
    assert number.get(TEXT) == "XF-00000000-0000 进度"
    assert first.get(UNMASKED_TEXT) == f"帮我查一下{CODE}"


def test_canonical_value_comes_from_the_unmasked_text(normalizer: TextNormalizer) -> None:
    message = Message(data={TEXT: f"查一下{CODE.lower()}"})
    normalizer.process([message])
    message.set(ENTITIES, [{"entity": "uscc", "start": 3, "end": 21, "value": "X" * 18}])
    EntityCanonicalizer({}).process([message])
    assert [(e["entity"], e["value"]) for e in message.get(ENTITIES)] == [("uscc", CODE)]


# --------------------------------------------------------------------------- canonicaliser


@pytest.mark.parametrize(
    "typed",
    [
        CODE,
        CODE.lower(),
        " ".join(CODE[i : i + 4] for i in range(0, 18, 4)),
        "-".join(CODE[i : i + 6] for i in range(0, 18, 6)),
        _full_width(CODE.lower()),
    ],
)
def test_uscc_value_is_canonical_however_typed(canonicalizer: EntityCanonicalizer, typed: str) -> None:
    text = f"帮我查下{typed}有没有失信记录"
    entities = _parse(canonicalizer, text, [_entity("uscc", text, typed, extractor="DIETClassifier")])
    assert _values(entities) == [("uscc", CODE)]
    assert text[entities[0]["start"] : entities[0]["end"]] == typed
    assert entities[0]["extractor"] == "DIETClassifier"
    assert "EntityCanonicalizer" in entities[0].get("processors", []) or typed == CODE


def test_uscc_missed_by_the_extractors_is_added(canonicalizer: EntityCanonicalizer) -> None:
    typed = CODE.lower()[:9] + " " + CODE.lower()[9:]
    text = f"代码是{typed}"
    entities = _parse(canonicalizer, text, [])
    assert _values(entities) == [("uscc", CODE)]
    assert (entities[0]["start"], entities[0]["end"]) == (3, 3 + len(typed))
    assert entities[0]["extractor"] == "EntityCanonicalizer"


def test_invalid_check_character_stays_a_uscc(canonicalizer: EntityCanonicalizer) -> None:
    text = f"我们的代码{BAD_CHECK.lower()}"
    assert _values(_parse(canonicalizer, text, [])) == [("uscc", BAD_CHECK)]


def test_code_with_letter_o_for_zero_is_found(canonicalizer: EntityCanonicalizer) -> None:
    typed = CODE[:10] + "O" + CODE[11:]
    assert CODE[10] == "0"
    assert _values(_parse(canonicalizer, typed, [])) == [("uscc", typed)]


def test_partial_code_from_diet_is_widened_to_the_whole_code(canonicalizer: EntityCanonicalizer) -> None:
    typed = " ".join(CODE[i : i + 6] for i in range(0, 18, 6))
    text = f"查询{typed}"
    diet = _entity("uscc", text, typed[:13], extractor="DIETClassifier")
    entities = _parse(canonicalizer, text, [diet])
    assert _values(entities) == [("uscc", CODE)]
    assert (entities[0]["start"], entities[0]["end"]) == (2, 2 + len(typed))


def test_overlapping_duplicates_are_merged(canonicalizer: EntityCanonicalizer) -> None:
    text = f"{CODE.lower()}的处罚"
    diet = _entity("uscc", text, CODE.lower(), extractor="DIETClassifier")
    regex = _entity("uscc", text, CODE.lower(), extractor="RegexEntityExtractor")
    fragment = _entity("org_name", text, CODE.lower()[8:14], extractor="DIETClassifier")
    record = _entity("record_type", text, "处罚", value="行政处罚", extractor="DIETClassifier")
    entities = _parse(canonicalizer, text, [diet, fragment, regex, record])
    assert _values(entities) == [("uscc", CODE), ("record_type", "行政处罚")]


@pytest.mark.parametrize(
    "typed",
    ["XF-20261103-0007", "xf-20261103-0007", "XF202611030007", "xf 20261103 0007", "ＸＦ－２０２６１１０３－０００７"],
)
def test_application_id_is_canonical_however_typed(canonicalizer: EntityCanonicalizer, typed: str) -> None:
    text = f"{typed}到哪一步了"
    entities = _parse(canonicalizer, text, [_entity("application_id", text, typed)])
    assert _values(entities) == [("application_id", "XF-20261103-0007")]
    missed = _parse(canonicalizer, text, [])
    assert _values(missed) == [("application_id", "XF-20261103-0007")]
    assert text[missed[0]["start"] : missed[0]["end"]] == typed


def test_application_id_tagged_as_uscc_gets_the_right_type(canonicalizer: EntityCanonicalizer) -> None:
    text = "申请yy20261126 0003的结果"
    entities = _parse(canonicalizer, text, [_entity("uscc", text, "yy20261126 0003")])
    assert _values(entities) == [("application_id", "YY-20261126-0003")]


def test_code_and_application_id_in_one_message(canonicalizer: EntityCanonicalizer) -> None:
    text = f"ZC 20261012 0001 {CODE.lower()}"
    entities = _parse(canonicalizer, text, [])
    assert _values(entities) == [("application_id", "ZC-20261012-0001"), ("uscc", CODE)]


def test_invalid_date_keeps_the_application_shape() -> None:
    assert canonical_application_id("yy 20261341 0003") == "YY-20261341-0003"
    assert canonical_application_id("cn-20261120-0012") == "CN-20261120-0012"


def test_values_without_a_span_are_canonicalised(canonicalizer: EntityCanonicalizer) -> None:
    entities = _parse(canonicalizer, "/inform", [{"entity": "uscc", "value": CODE.lower()}])
    assert _values(entities) == [("uscc", CODE)]


def test_other_entities_are_untouched(canonicalizer: EntityCanonicalizer) -> None:
    text = "帮我查下江城建材有没有行政处罚"
    given = [_entity("org_name", text, "江城建材"), _entity("record_type", text, "行政处罚")]
    assert _parse(canonicalizer, text, [dict(e) for e in given]) == given


@pytest.mark.parametrize(
    "text",
    [
        "我的手机号是13912345678",
        "身份证号110101199003074514",
        "订单号ABCDEFGHJKLMNPQRTU",
        "XF-20261103-00071",
        "密码abcdefghijklmnopqr12",
    ],
)
def test_no_false_codes(canonicalizer: EntityCanonicalizer, text: str) -> None:
    assert _parse(canonicalizer, text, []) == []


def test_resident_id_numbers_are_recognised() -> None:
    assert is_resident_id_number("110101199003074514")
    assert not is_resident_id_number("110101199003074515")
    assert not is_resident_id_number(CODE)


def test_find_code_spans_offsets_refer_to_the_original_text() -> None:
    typed = _full_width(CODE)
    text = f"①号{typed}"
    spans = find_code_spans(text)
    assert [(s.entity, s.value, text[s.start : s.end]) for s in spans] == [("uscc", CODE, typed)]


def test_code_entity_that_cannot_be_a_code_is_dropped(canonicalizer: EntityCanonicalizer) -> None:
    typed = " ".join(CODE[i : i + 4] for i in range(0, 18, 4))
    text = f"{typed}有没有不良记录"
    diet = [_entity("uscc", text, typed), _entity("uscc", text, "不良"), _entity("application_id", text, "记录")]
    assert _values(_parse(canonicalizer, text, diet)) == [("uscc", CODE)]


@pytest.mark.parametrize(
    ("typed", "tagged"),
    [("13904321234", "application_id"), ("110101199003074514", "uscc"), ("110101199003074514", "application_id")],
)
def test_a_personal_number_a_model_tags_as_a_code_is_dropped(
    canonicalizer: EntityCanonicalizer, typed: str, tagged: str
) -> None:
    # A model once tagged the phone number here as application_id: the slot must not take a person's number.
    text = f"我的号码{typed}，帮我查一下信用记录"
    assert _parse(canonicalizer, text, [_entity(tagged, text, typed)]) == []


def test_a_mistyped_application_number_from_diet_is_kept(canonicalizer: EntityCanonicalizer) -> None:
    typed = "yy 2026112 00003"  # one digit moved: the backend explains what is wrong
    text = f"查下{typed}的进度"
    assert _values(_parse(canonicalizer, text, [_entity("application_id", text, typed)])) == [
        ("application_id", "YY202611200003")
    ]


def test_seventeen_character_code_from_diet_is_kept(canonicalizer: EntityCanonicalizer) -> None:
    short = CODE[:17].lower()
    text = f"代码{short}"
    assert _values(_parse(canonicalizer, text, [_entity("uscc", text, short)])) == [("uscc", CODE[:17])]


def test_same_type_overlaps_prefer_the_lookup_match(canonicalizer: EntityCanonicalizer) -> None:
    text = "给我们公司签主动型承诺"
    diet = _entity("commitment_type", text, "主动型承诺", extractor="DIETClassifier")
    lookup = _entity("commitment_type", text, "主动型", extractor="RegexEntityExtractor")
    assert _values(_parse(canonicalizer, text, [diet, lookup])) == [("commitment_type", "主动型")]


def test_same_type_overlaps_prefer_the_synonym_value(canonicalizer: EntityCanonicalizer) -> None:
    text = "在不在失信黑名单里"
    diet = _entity(
        "record_type",
        text,
        "失信黑名单",
        value="严重失信主体名单",
        extractor="DIETClassifier",
        processors=["EntitySynonymMapper"],
    )
    lookup = _entity("record_type", text, "黑名单", extractor="RegexEntityExtractor")
    assert _values(_parse(canonicalizer, text, [lookup, diet])) == [("record_type", "严重失信主体名单")]


def test_same_type_overlaps_keep_the_longer_span(canonicalizer: EntityCanonicalizer) -> None:
    text = "在不在失信黑名单里"
    longer = _entity("record_type", text, "失信黑名单", extractor="DIETClassifier")
    diet = _entity("record_type", text, "失信", extractor="DIETClassifier")
    entities = _parse(canonicalizer, text, [diet, longer, dict(longer)])
    assert _values(entities) == [("record_type", "失信黑名单")]
    assert (entities[0]["start"], entities[0]["end"]) == (3, 8)


def test_different_types_may_overlap(canonicalizer: EntityCanonicalizer) -> None:
    text = "信用修复承诺"
    given = [_entity("record_type", text, "信用修复"), _entity("commitment_type", text, "信用修复承诺")]
    assert _values(_parse(canonicalizer, text, given)) == _values(given)


# --------------------------------------------------------------------------- report numbers and codes


@pytest.mark.parametrize(
    "typed",
    [
        "XYBG-20261129-00001",
        "xybg-20261129-00001",
        "xybg2026112900001",
        "XYBG 20261129 00001",
        "ＸＹＢＧ－２０２６１１２９－０００01",
    ],
)
def test_report_number_is_canonical_however_typed(canonicalizer: EntityCanonicalizer, typed: str) -> None:
    """Issue 12 核验报告: the number in any case, with or without hyphens, full-width, found without any extractor."""
    text = f"核验报告{typed}"
    assert _values(_parse(canonicalizer, text, [])) == [("report_no", "XYBG-20261129-00001")]


def test_report_number_and_code_in_one_message(canonicalizer: EntityCanonicalizer) -> None:
    text = "编号xybg2026112900001 核验码 k7m2pq8r"
    assert _values(_parse(canonicalizer, text, [])) == [
        ("report_no", "XYBG-20261129-00001"),
        ("verification_code", "K7M2-PQ8R"),
    ]


def test_printed_code_alone_is_found_and_words_are_not(canonicalizer: EntityCanonicalizer) -> None:
    assert _values(_parse(canonicalizer, "核验码是 H7KP-2MXD", [])) == [("verification_code", "H7KP-2MXD")]
    # Without a report number, 8 letters without a digit (an English word) are no code; a mixed token is.
    assert _parse(canonicalizer, "please check TEST CASE PASSWORD", []) == []
    assert _values(_parse(canonicalizer, "码K7M2PQ8R", [])) == [("verification_code", "K7M2-PQ8R")]


def test_report_number_tagged_as_something_else_gets_its_type(canonicalizer: EntityCanonicalizer) -> None:
    text = "核验XYBG-20261129-00001"
    wrong = _entity("application_id", text, "XYBG-20261129-00001")
    assert _values(_parse(canonicalizer, text, [wrong])) == [("report_no", "XYBG-20261129-00001")]


def test_report_numbers_are_never_codes_or_application_numbers() -> None:
    spans = find_code_spans("XYBG-20261129-00001 和 YY-20261126-0003 和 91220202MA0Y3K7Q6L")
    assert [(s.entity, s.value) for s in spans] == [
        ("report_no", "XYBG-20261129-00001"),
        ("application_id", "YY-20261126-0003"),
        ("uscc", CODE),
    ]


def test_a_code_typed_in_groups_is_never_read_as_a_verification_code(canonicalizer: EntityCanonicalizer) -> None:
    code = make_uscc("91", "220203", "MAJU8A6C")  # MAJU 8A6C alone would be a well-formed verification code
    grouped = " ".join(code[i : i + 4] for i in range(0, 18, 4))  # 9122 0203 MAJU 8A6C ..
    assert _values(_parse(canonicalizer, f"{grouped}有没有不良记录", [])) == [("uscc", code)]


# --------------------------------------------------------------------------- intents the codes settle


def _classified(
    intent: str, ranking: list[tuple[str, float]], entities: list[dict[str, Any]], text: str = "…"
) -> Message:
    """A message as the FallbackClassifier leaves it."""
    return Message(
        data={
            TEXT: text,
            INTENT: {"name": intent, "confidence": ranking[0][1] if ranking else 0.0},
            INTENT_RANKING_KEY: [{"name": name, "confidence": confidence} for name, confidence in ranking],
            ENTITIES: entities,
        }
    )


@pytest.mark.parametrize("unsure", ["nlu_fallback", "faq"])
def test_a_report_number_with_its_code_is_a_verification(canonicalizer: EntityCanonicalizer, unsure: str) -> None:
    """The classifiers unsure (or reading a question about verifying) and the message has both values: the
    verification starts instead of a clarifying question or an explanation; the ranking keeps the other intents."""
    text = "报告XYBG-20261129-00001，码K7M2-PQ8R，麻烦看看"
    entities = _parse(canonicalizer, text, [])
    ranking = [("nlu_fallback", 0.55), ("request_credit_report", 0.41), ("verify_report", 0.38)]
    message = _classified(unsure, ranking if unsure == "nlu_fallback" else ranking[1:], entities)
    CodeIntents({}).process([message])
    assert message.get(INTENT) == {"name": "verify_report", "confidence": 1.0}
    assert [item["name"] for item in message.get(INTENT_RANKING_KEY)] == ["verify_report", "request_credit_report"]


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("nlu_fallback", "报告XYBG-20261129-00001 麻烦看看"),  # the number alone: the classifiers' question stands
        ("nlu_fallback", "码K7M2-PQ8R 麻烦看看"),
        ("file_objection", "报告XYBG-20261129-00001 码K7M2-PQ8R 里的处罚记录不对"),  # decided: it stands
        ("cancel", "报告XYBG-20261129-00001 码K7M2-PQ8R 算了不核验了"),
    ],
)
def test_other_messages_keep_the_classifiers_intent(canonicalizer: EntityCanonicalizer, intent: str, text: str) -> None:
    message = _classified(intent, [(intent, 0.6), ("verify_report", 0.3)], _parse(canonicalizer, text, []))
    CodeIntents({}).process([message])
    assert message.get(INTENT)["name"] == intent
    assert [item["name"] for item in message.get(INTENT_RANKING_KEY)] == [intent, "verify_report"]


def _org(text: str, name: str) -> dict[str, Any]:
    """An org_name entity for ``name`` inside ``text``."""
    start = text.index(name)
    return {"entity": "org_name", "value": name, "start": start, "end": start + len(name)}


@pytest.mark.parametrize(
    ("text", "tagged"),
    [
        ("磐石市明城镇中心卫生院", None),  # untagged, but it ends like a name
        ("「永吉县老周家粉坊」", "永吉县老周家粉坊"),
        ("是鑫源通物流", "鑫源通物流"),
        ("龙潭区金珠花卉经销处 ", "龙潭区金珠花卉经销处"),
        ("我们是鑫源通物流的", "鑫源通物流"),  # saying who they are
    ],
)
def test_a_name_alone_the_classifiers_were_unsure_of_answers_which_entity(text: str, tagged: str | None) -> None:
    """The form takes it (inform) instead of asking what was meant; the classifiers' ranking follows."""
    entities = [_org(text, tagged)] if tagged else []
    ranking = [("nlu_fallback", 0.55), ("query_credit", 0.4), ("inform", 0.35)]
    message = _classified("nlu_fallback", ranking, entities, text)
    NameAnswers({}).process([message])
    assert message.get(INTENT) == {"name": "inform", "confidence": 1.0}
    assert [item["name"] for item in message.get(INTENT_RANKING_KEY)] == ["inform", "query_credit"]
    # The whole message is the name, tagged or not: the query and the forms take it as typed.
    assert [e["value"] for e in message.get(ENTITIES) if e["entity"] == "org_name"] == [tagged or text]


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("out_of_scope", "世纪烧烤店"),
        ("deny", "疾病预防控制中心"),
        ("faq", "吉林市政务服务中心"),
        ("greet", "「永吉县老周家粉坊」"),
        ("thank", "是鑫源通物流"),
    ],
)
def test_a_name_alone_taken_for_a_message_that_asks_for_no_service_answers_which_entity(intent: str, text: str) -> None:
    """Demo names typed as a first message were taken for out of scope, a no and a policy question: a name is all
    they say."""
    name = text.strip("「」").removeprefix("是")
    message = _classified(intent, [(intent, 0.8), ("inform", 0.1)], [_org(text, name)], text)
    NameAnswers({}).process([message])
    assert message.get(INTENT) == {"name": "inform", "confidence": 1.0}


@pytest.mark.parametrize(
    ("intent", "text", "tagged"),
    [
        ("query_credit", "鑫源通物流", "鑫源通物流"),  # the classifiers were sure of a request: it stands
        ("bind_entity", "鑫源通物流", "鑫源通物流"),
        ("out_of_scope", "买车票", None),  # sure of an intent that asks nothing, and no name
        ("deny", "不是", None),
        ("out_of_scope", "给我推荐一家火锅店", None),  # ends like a name, but the NLU tagged none
        ("affirm", "嗯 行", None),
        ("nlu_fallback", "嗯嗯", None),
        ("nlu_fallback", "合作社", "合作社"),  # a kind, not which one
        ("nlu_fallback", "长春", "长春"),  # a place
        ("nlu_fallback", "老周", "老周"),  # a person
        ("nlu_fallback", "查一下鑫源通物流", "鑫源通物流"),  # a request around the name
        ("nlu_fallback", "叫鑫源通物流，昌邑区的", "鑫源通物流"),  # more than the name
        ("nlu_fallback", "鑫源通", None),  # neither tagged nor ending like a name
    ],
)
def test_other_messages_keep_their_intent(intent: str, text: str, tagged: str | None) -> None:
    ranking = [(intent, 0.6), ("inform", 0.3)]
    message = _classified(intent, ranking, [_org(text, tagged)] if tagged else [], text)
    NameAnswers({}).process([message])
    assert message.get(INTENT)["name"] == intent
    assert [item["name"] for item in message.get(INTENT_RANKING_KEY)] == [intent, "inform"]
