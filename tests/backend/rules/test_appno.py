"""Application numbers <TYPE>-<YYYYMMDD>-<NNNN>."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit_backend.rules.appno import (
    APPLICATION_TYPES,
    APPNO_PATTERN,
    ApplicationNo,
    find_application_nos,
    format_application_no,
    parse_application_no,
)


def test_types() -> None:
    assert APPLICATION_TYPES == {"ZC": "自愿注册", "CN": "信用承诺", "YY": "异议", "XF": "信用修复"}


def test_format() -> None:
    assert format_application_no("YY", date(2026, 11, 26), 3) == "YY-20261126-0003"
    assert format_application_no("XF", date(2026, 11, 3), 9999) == "XF-20261103-9999"


@pytest.mark.parametrize(("type_code", "seq"), [("AB", 1), ("yy", 1), ("YY", 0), ("YY", 10000), ("YY", -1)])
def test_format_rejects_bad_input(type_code: str, seq: int) -> None:
    with pytest.raises(ValueError):
        format_application_no(type_code, date(2026, 11, 26), seq)


@pytest.mark.parametrize(
    "raw",
    [
        "YY-20261126-0003",
        "yy-20261126-0003",
        "YY202611260003",
        "yy 20261126 0003",
        "  Yy - 20261126 - 0003  ",
        "ＹＹ－２０２６１１２６－０００３",
        "YY—20261126—0003",
        "YY_20261126_0003",
    ],
)
def test_parse_variants(raw: str) -> None:
    parsed = parse_application_no(raw)
    assert parsed == ApplicationNo("YY", date(2026, 11, 26), 3)
    assert str(parsed) == "YY-20261126-0003"
    assert parsed is not None and parsed.type_name == "异议"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "YY-20260230-0001",  # no 30 February
        "YY-20261301-0001",  # no month 13
        "YY-20261100-0001",
        "AB-20261126-0003",  # unknown type
        "YY-20261126-0000",  # sequences start at 1
        "YY-2026112-0003",
        "YY-20261126-00031",
        "XF-20261103-0007 进度",
        "YY-٢٠٢٦١١٢٦-0003",  # non-ASCII digits that NFKC keeps
    ],
)
def test_parse_rejects(raw: str) -> None:
    assert parse_application_no(raw) is None


def test_pattern_in_free_text() -> None:
    text = "我的XF-20261103-0007进度怎么样？另外 zc20261101 0012 也查一下"
    found = [m.group(0) for m in APPNO_PATTERN.finditer(text)]
    assert found == ["XF-20261103-0007", "zc20261101 0012"]
    assert [str(a) for a in find_application_nos(text)] == ["XF-20261103-0007", "ZC-20261101-0012"]


def test_pattern_needs_clean_edges() -> None:
    assert APPNO_PATTERN.search("XF-20261103-00071") is None
    assert APPNO_PATTERN.search("AXF-20261103-0007") is None


def test_find_skips_impossible_dates_and_reads_full_width() -> None:
    text = "XF-20260230-0001和ＣＮ－２０２６１１２０－００１５"
    assert [str(a) for a in find_application_nos(text)] == ["CN-20261120-0015"]


_apps = st.builds(
    ApplicationNo,
    st.sampled_from(sorted(APPLICATION_TYPES)),
    st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    st.integers(1, 9999),
)


@given(_apps)
def test_round_trip(app: ApplicationNo) -> None:
    assert parse_application_no(str(app)) == app


@given(_apps, st.sampled_from(["", " ", "-", "－", " - "]), st.booleans(), st.booleans())
def test_round_trip_through_user_spellings(app: ApplicationNo, sep: str, lower: bool, full_width: bool) -> None:
    text = f"{app.type_code}{sep}{app.day:%Y%m%d}{sep}{app.seq:04d}"
    if lower:
        text = text.lower()
    if full_width:
        text = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)
    assert parse_application_no(text) == app


@given(_apps, st.text(st.sampled_from("我的申请进度，。"), max_size=6))
def test_found_in_text(app: ApplicationNo, prefix: str) -> None:
    assert find_application_nos(f"{prefix}{app}吗？") == [app]
