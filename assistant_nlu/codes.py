"""Codes and application numbers in message text, and their canonical forms (no Rasa imports).

Application numbers are found with the rules module's APPNO_PATTERN and codes with a loosened
USCC_PATTERN, on width-folded text so that full-width input is found too; offsets refer to the
text as given. ``mask_codes`` hides them from the classifiers without changing the length.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from assistant_nlu.text import fold_width
from credit_backend.rules.appno import APPNO_PATTERN, parse_application_no
from credit_backend.rules.uscc import normalize_uscc

USCC = "uscc"
APPLICATION_ID = "application_id"
CODE_TYPES = frozenset({USCC, APPLICATION_ID})

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


def find_code_spans(text: str) -> list[CodeSpan]:
    """Application numbers and codes in ``text``, non-overlapping, offsets into ``text``."""
    folded = fold_width(text)
    spans: list[CodeSpan] = []
    masked = list(folded)
    for match in APPNO_PATTERN.finditer(folded):
        spans.append(CodeSpan(match.start(), match.end(), APPLICATION_ID, canonical_application_id(match.group(0))))
        masked[match.start() : match.end()] = _MASK * (match.end() - match.start())
    rest = "".join(masked)
    for match in _LOOSE_USCC_RE.finditer(rest):
        if _looks_like_uscc(match.group(0)):
            spans.append(CodeSpan(match.start(), match.end(), USCC, normalize_uscc(match.group(0))))
    return sorted(spans, key=lambda s: s.start)


def plausible_code(entity: str, canonical: str) -> bool:
    """Whether a canonical ``uscc``/``application_id`` value can be a (possibly mistyped) code."""
    if entity == USCC:
        return 15 <= len(canonical) <= 20 and canonical.isascii() and canonical.isalnum()
    if entity == APPLICATION_ID:
        return bool(_APPNO_CHARS_RE.fullmatch(canonical)) and sum(ch.isdigit() for ch in canonical) >= 8
    return True


def mask_codes(text: str) -> str:
    """Codes → ``X`` per character, application numbers → type letters and ``0`` digits (same length)."""
    chars = list(text)
    for span in find_code_spans(text):
        for i in range(span.start, span.end):
            if chars[i].isascii() and chars[i].isalnum():
                chars[i] = (chars[i].upper() if chars[i].isalpha() else "0") if span.entity == APPLICATION_ID else "X"
    return "".join(chars)
