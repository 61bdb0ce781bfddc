"""Codes, application and report numbers in message text, and their canonical forms (no Rasa imports).

Application numbers are found with the rules module's APPNO_PATTERN, credit report numbers and their
verification codes with the report rules' patterns (credit_backend/rules/report_no.py) and codes with a
loosened USCC_PATTERN, on width-folded text so that full-width input is found too; offsets refer to the
text as given. ``mask_codes`` hides them from the classifiers without changing the length.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from assistant_nlu.text import fold_width
from credit_backend.rules.appno import APPNO_PATTERN, parse_application_no
from credit_backend.rules.report_no import CODE_PATTERN, REPORT_NO_PATTERN, canonical_report_no, parse_code
from credit_backend.rules.uscc import normalize_uscc

USCC = "uscc"
APPLICATION_ID = "application_id"
REPORT_NO = "report_no"
VERIFICATION_CODE = "verification_code"
CODE_TYPES = frozenset({USCC, APPLICATION_ID, REPORT_NO, VERIFICATION_CODE})

# Any 18 ASCII letters/digits with optional single separators (a superset of the rules module's
# USCC_PATTERN): also catches codes typed with letters the code never uses (O for 0, I for 1…).
# Accepted only when positions 3-8 (the region code) are digits, so words and numbers are not taken.
_LOOSE_USCC_RE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z](?:[ \-‐‑–—]?[0-9A-Za-z]){17}(?![0-9A-Za-z])")
_APPNO_SHAPE_RE = re.compile(r"([A-Z]{2})[\s\-‐‑–—_]*([0-9]{8})[\s\-‐‑–—_]*([0-9]{4})")
_APPNO_CHARS_RE = re.compile(r"[A-Z0-9\-]+")
_ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CARD_CHECK = "10X98765432"
_MASK = "\x00"


@dataclass(frozen=True)
class CodeSpan:
    """A code or application number found in the text."""

    start: int
    end: int
    entity: str
    value: str


def canonical_application_id(raw: str) -> str:
    """``<TYPE>-<YYYYMMDD>-<NNNN>``; an invalid date or sequence keeps that shape for the backend."""
    parsed = parse_application_no(raw)
    if parsed is not None:
        return str(parsed)
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    shape = _APPNO_SHAPE_RE.fullmatch(text)
    if shape is not None:
        return "-".join(shape.groups())
    return re.sub(r"\s+", "", text)


def canonical_value(entity: str, raw: str) -> str:
    """Canonical value of a code-like entity; other entity types are returned unchanged."""
    if entity == USCC:
        return normalize_uscc(raw)
    if entity == APPLICATION_ID:
        return canonical_application_id(raw)
    if entity == REPORT_NO:
        return canonical_report_no(raw) or unicodedata.normalize("NFKC", raw).strip().upper()
    if entity == VERIFICATION_CODE:
        return parse_code(raw) or unicodedata.normalize("NFKC", raw).strip().upper()
    return raw


def is_resident_id_number(code: str) -> bool:
    """True for a valid 18-digit resident identity card number (checksum and birth date)."""
    if len(code) != 18 or not code[:17].isdigit() or code[17] not in "0123456789X":
        return False
    total = sum(int(ch) * w for ch, w in zip(code[:17], _ID_CARD_WEIGHTS, strict=True))
    if _ID_CARD_CHECK[total % 11] != code[17]:
        return False
    try:
        date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return False
    return True


def _looks_like_uscc(span_text: str) -> bool:
    code = normalize_uscc(span_text)
    if len(code) != 18:
        return False
    if is_resident_id_number(code):
        return False
    # Every real code has the 6-digit region code at positions 3-8.
    return code[2:8].isdigit()


def _looks_like_verification_code(token: str, in_context: bool) -> bool:
    """An 8-character token is a verification code when it is printed as ``ABCD-EFGH`` or follows a report
    number; otherwise only when it mixes letters and digits (so English words are never taken)."""
    chars = [ch for ch in token if ch.isalnum()]
    if in_context:
        return True
    return any(ch.isdigit() for ch in chars) and any(ch.isalpha() for ch in chars)


def find_code_spans(text: str) -> list[CodeSpan]:
    """Application numbers, report numbers, codes and (next to a report number, or printed as ``ABCD-EFGH``)
    verification codes in ``text``, non-overlapping, offsets into ``text``."""
    folded = fold_width(text)
    spans: list[CodeSpan] = []
    masked = list(folded)
    for match in APPNO_PATTERN.finditer(folded):
        spans.append(CodeSpan(match.start(), match.end(), APPLICATION_ID, canonical_application_id(match.group(0))))
        masked[match.start() : match.end()] = _MASK * (match.end() - match.start())
    for match in REPORT_NO_PATTERN.finditer("".join(masked)):
        spans.append(CodeSpan(match.start(), match.end(), REPORT_NO, canonical_report_no(match.group(0)) or ""))
        masked[match.start() : match.end()] = _MASK * (match.end() - match.start())
    rest = "".join(masked)
    for match in _LOOSE_USCC_RE.finditer(rest):
        if _looks_like_uscc(match.group(0)):
            spans.append(CodeSpan(match.start(), match.end(), USCC, normalize_uscc(match.group(0))))
            masked[match.start() : match.end()] = _MASK * (match.end() - match.start())
    # Verification codes last: 8 characters inside a code typed in groups ("9322 0211 MAJU 8A6C 6T") are the code's.
    has_report_no = any(s.entity == REPORT_NO for s in spans)
    for match in CODE_PATTERN.finditer("".join(masked)):
        printed = match.group(0)[4:5] in "-‐‑–—"  # typed as printed on the report
        if _looks_like_verification_code(match.group(0), printed or has_report_no):
            value = parse_code(match.group(0)) or ""
            spans.append(CodeSpan(match.start(), match.end(), VERIFICATION_CODE, value))
    return sorted(spans, key=lambda s: s.start)


def plausible_code(entity: str, canonical: str) -> bool:
    """Whether a canonical code-like value an extractor tagged can be a (possibly mistyped) code of that type."""
    if entity == USCC:
        # A valid resident ID number is a person's, never an organisation's code (find_code_spans skips it too).
        return (
            15 <= len(canonical) <= 20
            and canonical.isascii()
            and canonical.isalnum()
            and not is_resident_id_number(canonical)
        )
    if entity == APPLICATION_ID:
        # Every number starts with its type code: digits alone are a phone or another number, never one of ours.
        return (
            bool(_APPNO_CHARS_RE.fullmatch(canonical))
            and canonical[:1].isalpha()
            and sum(ch.isdigit() for ch in canonical) >= 8
        )
    if entity == REPORT_NO:
        return canonical_report_no(canonical) is not None
    if entity == VERIFICATION_CODE:
        return parse_code(canonical) is not None
    return True


def mask_codes(text: str) -> str:
    """Codes and verification codes → ``X`` per character, application and report numbers → their letters
    and ``0`` digits (same length)."""
    chars = list(text)
    for span in find_code_spans(text):
        numbered = span.entity in (APPLICATION_ID, REPORT_NO)
        for i in range(span.start, span.end):
            if chars[i].isascii() and chars[i].isalnum():
                chars[i] = (chars[i].upper() if chars[i].isalpha() else "0") if numbered else "X"
    return "".join(chars)
