"""统一社会信用代码 rules against the vectors of CREDIT_DOMAIN.md section 1."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit_backend.rules.uscc import (
    CHARSET,
    JILIN_REGIONS,
    USCC_PATTERN,
    WEIGHTS,
    compute_check_char,
    describe_uscc,
    find_usccs,
    make_uscc,
    normalize_uscc,
    one_char_corrections,
    org_code_check_char,
    validate_uscc,
)

PUBLIC_EXAMPLES = [
    "91110108551385082Q",
    "91370000728611939A",
    "531000005000160090",
    "52410000663412719U",
    "91110000600037341L",
    "91350100M000100Y43",
    "91310230MA1K314J7C",
    "91310230MA1K314K57",
]
JILIN_FIXTURES = [
    "91220202MA0Y3K7Q6L",
    "92220204L5B2C8D11M",
    "52220211MJ0A1B2C5E",
    "12220200012345671E",
    "93220221MA14XK2F29",
    "N2220202MA0Y3K7Q64",
]


def test_charset_and_weights_match_the_standard() -> None:
    assert len(CHARSET) == 31
    assert not set("IOZSV") & set(CHARSET)
    assert list(WEIGHTS) == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def test_worked_example_of_the_standard() -> None:
    assert compute_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize("code", PUBLIC_EXAMPLES + JILIN_FIXTURES)
def test_documented_codes_are_valid_without_warnings(code: str) -> None:
    result = validate_uscc(code)
    assert result.ok
    assert result.code == code
    assert result.errors == ()
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("code", "expected_check"),
    [("91110108551385082F", "Q"), ("91350211M0000XUF46", "R")],
)
def test_bad_mod31_check_is_an_error(code: str, expected_check: str) -> None:
    result = validate_uscc(code)
    assert not result.ok
    assert [e.code for e in result.errors] == ["USCC_CHECK_DIGIT"]
    assert result.errors[0].position == 18
    assert result.errors[0].message == (
        f"校验位不符：按前17位计算第18位应为“{expected_check}”，您输入的是“{code[17]}”。可能有字符输错，请逐位核对"
    )


def test_invalid_example_of_the_standard() -> None:
    # 'Z' is not even in the charset, so the charset error is what the user must hear.
    result = validate_uscc("91350100M000100Y4Z")
    assert not result.ok
    assert [e.code for e in result.errors] == ["USCC_CHARSET"]
    assert result.errors[0].position == 18


def test_org_code_mismatch_is_only_a_warning() -> None:
    result = validate_uscc("123456789012345678")
    assert result.ok
    assert [w.code for w in result.warnings] == ["USCC_ORG_CODE"]
    assert result.warnings[0].position == 17
    # GB 11714 over 90123456: 27+0+9+20+15+32+20+12 = 135, 135 mod 11 = 3, 11 - 3 = 8.
    assert "应为“8”，您输入的是“7”" in result.warnings[0].message


def test_length_error_message() -> None:
    result = validate_uscc("91220202MA0Y3K7Q6")
    assert [e.code for e in result.errors] == ["USCC_LENGTH"]
    assert result.errors[0].message == "统一社会信用代码应为18位，您输入的是17位"


@pytest.mark.parametrize("raw", ["", "   ", "\u3000- ·"])
def test_empty_input(raw: str) -> None:
    result = validate_uscc(raw)
    assert not result.ok
    assert [e.code for e in result.errors] == ["USCC_EMPTY"]


def test_charset_error_names_position_and_char() -> None:
    result = validate_uscc("9122O202MA0Y3K7Q6L")
    assert [e.code for e in result.errors] == ["USCC_CHARSET"]
    message = result.errors[0].message
    assert message.startswith("第5位“O”不是有效字符：代码中不使用字母I、O、Z、S、V")
    assert result.errors[0].position == 5


def test_charset_error_lists_only_the_first_few_positions() -> None:
    result = validate_uscc("9IIIII02MA0Y3K7Q6L")
    message = result.errors[0].message
    assert "第2位“I”、第3位“I”、第4位“I”" in message
    assert "第5位" not in message
    assert "等共5处" in message


def test_charset_error_for_non_alphanumeric_characters() -> None:
    result = validate_uscc("91220202MA0Y3K7Q6#")
    assert [e.code for e in result.errors] == ["USCC_CHARSET"]
    assert "第18位“#”" in result.errors[0].message
    assert "数字和大写字母" in result.errors[0].message


def test_length_and_charset_are_both_reported() -> None:
    result = validate_uscc("9122O202")
    assert [e.code for e in result.errors] == ["USCC_LENGTH", "USCC_CHARSET"]


def test_unknown_prefix_is_a_warning() -> None:
    code = make_uscc("B1", "220202", "MA0Y3K7Q")
    result = validate_uscc(code)
    assert result.ok
    assert [w.code for w in result.warnings] == ["USCC_UNKNOWN_PREFIX"]


@pytest.mark.parametrize("prefix", ["99", "Y2", "B1", "1A", "94"])
def test_prefixes_outside_the_table_warn(prefix: str) -> None:
    result = validate_uscc(make_uscc(prefix, "220202", "MA0Y3K7Q"))
    assert result.ok
    assert "USCC_UNKNOWN_PREFIX" in {w.code for w in result.warnings}


@pytest.mark.parametrize(
    "prefix", ["11", "12", "31", "35", "51", "53", "62", "72", "81", "91", "92", "93", "A1", "N3", "Y1"]
)
def test_prefixes_in_the_table_do_not_warn(prefix: str) -> None:
    assert validate_uscc(make_uscc(prefix, "220202", "MA0Y3K7Q")).warnings == ()


@pytest.mark.parametrize(
    "raw",
    [
        "９１２２０２０２ＭＡ０Ｙ３Ｋ７Ｑ６Ｌ",
        "91220202ma0y3k7q6l",
        "9122 0202 MA0Y 3K7Q 6L",
        "9122\u30000202\tMA0Y3K7Q6L\n",
        "91220202-MA0Y3K7Q6-L",
        "91220202‐MA0Y3K7Q6—L",
        "91220202–MA0Y3K7Q6－L",
        "9122.0202·MA0Y3K7Q6・L",
        " ９１２２０２０２－ｍａ０ｙ３ｋ７ｑ６ｌ ",
    ],
)
def test_normalization(raw: str) -> None:
    assert normalize_uscc(raw) == "91220202MA0Y3K7Q6L"
    assert validate_uscc(raw).ok
    assert validate_uscc(raw).raw == raw


def test_org_code_check_char_vectors() -> None:
    assert org_code_check_char("55138508") == "2"  # 小米: …551385082Q
    assert org_code_check_char("MA1K314J") == "7"
    assert org_code_check_char("00000000") == "0"  # 11 - 0 = 11 → '0'
    assert org_code_check_char("00000030") == "X"  # 3*4 = 12 ≡ 1, 11 - 1 = 10 → 'X'
    assert org_code_check_char("ZZZZZZZZ") in "0123456789X"  # Z is allowed in GB 11714


@pytest.mark.parametrize("bad", ["1234567", "123456789", "1234567a", "1234567*"])
def test_org_code_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        org_code_check_char(bad)


@pytest.mark.parametrize("bad", ["9135010", "91350100M000100Y4O", "91350100M000100Y"])
def test_compute_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        compute_check_char(bad)


def test_describe_uscc() -> None:
    info = describe_uscc("92220204L5B2C8D11M")
    assert info.registration_authority == "工商（市场监管）"
    assert info.org_category == "个体工商户"
    assert info.region_code == "220204"
    assert info.region_name == "船营区"
    other = describe_uscc("91110108551385082Q")
    assert other.org_category == "企业"
    assert other.region_name is None
    assert describe_uscc("N2220202MA0Y3K7Q64").org_category == "村级集体经济组织"
    assert describe_uscc("52220211MJ0A1B2C5E").region_name == "丰满区"


def test_describe_uscc_unknown_prefix_and_bad_length() -> None:
    info = describe_uscc(make_uscc("B1", "220200", "MA0Y3K7Q"))
    assert info.registration_authority == "未知"
    assert info.region_name == "吉林市"
    with pytest.raises(ValueError):
        describe_uscc("9122")


def test_jilin_regions() -> None:
    assert len(JILIN_REGIONS) == 10
    assert JILIN_REGIONS["220200"] == "吉林市"
    assert JILIN_REGIONS["220284"] == "磐石市"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("91", "220202", "MA0Y3K7Q"), "91220202MA0Y3K7Q6L"),
        (("92", "220204", "L5B2C8D1"), "92220204L5B2C8D11M"),
        (("N2", "220202", "MA0Y3K7Q"), "N2220202MA0Y3K7Q64"),
        (("12", "220200", "01234567"), "12220200012345671E"),
    ],
)
def test_make_uscc_reproduces_fixtures(args: tuple[str, str, str], expected: str) -> None:
    assert make_uscc(*args) == expected


@pytest.mark.parametrize(
    "args",
    [
        ("9", "220202", "MA0Y3K7Q"),
        ("9O", "220202", "MA0Y3K7Q"),
        ("91", "22020A", "MA0Y3K7Q"),
        ("91", "220202", "MA0Y3K7"),
        ("91", "220202", "MAOY3K7Q"),
    ],
)
def test_make_uscc_rejects_bad_parts(args: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError):
        make_uscc(*args)


def test_one_char_corrections_of_a_corrupted_example() -> None:
    corrections = one_char_corrections("91350100M000100Y44")
    assert "91350100M000100Y43" in corrections
    # One per position, less those that would need a letter in the region code (positions 3-8).
    assert 12 <= len(corrections) <= 18
    assert len(set(corrections)) == len(corrections)
    assert all(validate_uscc(c).ok for c in corrections)


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M0O0100Y4Z", "91350100M000100Y43"])
def test_one_char_corrections_empty_for_bad_format_or_valid_code(code: str) -> None:
    assert one_char_corrections(code) == []


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("91350100M000100Y4Z", "91350100M000100Y43"), ("91220202MAOY3K7Q6L", "91220202MA0Y3K7Q6L")],
)
def test_one_excluded_letter_is_corrected_to_the_single_valid_code(typed: str, meant: str) -> None:
    """Z in the check position, or O typed for 0: exactly one replacement makes the code valid."""
    assert one_char_corrections(typed) == [meant]


def test_pattern_finds_codes_in_chinese_text() -> None:
    text = "请帮我查一下91220202MA0Y3K7Q6L这家公司，还有92220204-L5B2C8D11M和9122 0202 MA0Y 3K7Q 6L"
    assert [normalize_uscc(m.group(0)) for m in USCC_PATTERN.finditer(text)] == [
        "91220202MA0Y3K7Q6L",
        "92220204L5B2C8D11M",
        "91220202MA0Y3K7Q6L",
    ]


def test_pattern_ignores_longer_runs_and_excluded_letters() -> None:
    assert USCC_PATTERN.search("账号12345678901234567890") is None
    assert USCC_PATTERN.search("91220202MA0Y3K7Q6LL") is None
    assert USCC_PATTERN.search("9122O202MA0Y3K7Q6L") is None
    assert USCC_PATTERN.search("91220202MA0Y3K7Q6") is None


def test_find_usccs_handles_full_width_and_lower_case() -> None:
    text = "代码是９１２２０２０２ＭＡ０Ｙ３Ｋ７Ｑ６Ｌ，另一家n2220202ma0y3k7q64。"
    assert find_usccs(text) == ["91220202MA0Y3K7Q6L", "N2220202MA0Y3K7Q64"]


# --- properties -----------------------------------------------------------------------------

_charset_chars = st.sampled_from(CHARSET)
_prefixes = st.text(_charset_chars, min_size=2, max_size=2)
_regions = st.text(st.sampled_from("0123456789"), min_size=6, max_size=6)
_bodies = st.text(_charset_chars, min_size=8, max_size=8)
_valid_codes = st.builds(make_uscc, _prefixes, _regions, _bodies)


@given(_prefixes, _regions, _bodies)
def test_make_uscc_always_validates(prefix: str, region: str, body: str) -> None:
    code = make_uscc(prefix, region, body)
    result = validate_uscc(code)
    assert result.ok
    assert result.errors == ()
    assert "USCC_ORG_CODE" not in {w.code for w in result.warnings}
    assert code.startswith(prefix + region + body)


@given(_valid_codes, st.integers(0, 17), st.integers(1, 30))
def test_single_substitution_is_detected_and_correctable(code: str, position: int, shift: int) -> None:
    replacement = CHARSET[(CHARSET.index(code[position]) + shift) % 31]
    corrupted = code[:position] + replacement + code[position + 1 :]
    result = validate_uscc(corrupted)
    assert not result.ok
    letter_in_region = 2 <= position <= 7 and not replacement.isdigit()
    assert [e.code for e in result.errors] == ["USCC_REGION"] * letter_in_region + ["USCC_CHECK_DIGIT"]
    corrections = one_char_corrections(corrupted)
    assert code in corrections
    assert len(corrections) <= 18
    for candidate in corrections:
        assert validate_uscc(candidate).ok
        assert sum(a != b for a, b in zip(candidate, corrupted, strict=True)) == 1


@given(_valid_codes)
def test_valid_code_has_no_corrections(code: str) -> None:
    assert one_char_corrections(code) == []


@given(
    _valid_codes,
    st.lists(st.sampled_from(["", "", " ", "-", "\u3000", "·"]), min_size=18, max_size=18),
    st.booleans(),
    st.booleans(),
)
def test_normalization_recovers_code(code: str, seps: list[str], lower: bool, full_width: bool) -> None:
    text = "".join(ch + sep for ch, sep in zip(code, seps, strict=True))
    if lower:
        text = text.lower()
    if full_width:
        text = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)
    assert normalize_uscc(text) == code
    assert validate_uscc(text).ok


@given(
    _valid_codes,
    st.text(st.sampled_from("查询公司代码是，。的"), max_size=5),
    st.text(st.sampled_from("查询公司，。"), max_size=5),
)
def test_pattern_finds_generated_codes(code: str, before: str, after: str) -> None:
    assert find_usccs(before + code + after) == [code]


def test_letters_in_the_region_code_are_an_error_even_with_a_right_check_character() -> None:
    """GB 32100-2015 §4: positions 3-8 are the GB/T 2260 region code (6 digits). A code with letters there and a
    recomputed check character passes the mod-31 check, so the region has to be checked on its own."""
    first17 = "92" + "2202AB" + "MA0Y3K7Q" + "1"
    code = first17 + compute_check_char(first17)
    result = validate_uscc(code)
    assert not result.ok
    assert [e.code for e in result.errors] == ["USCC_REGION"]
    assert result.errors[0].position == 7
    assert "第7位“A”、第8位“B”不是数字" in result.errors[0].message
