"""Credit report numbers ``XYBG-<YYYYMMDD>-<NNNNN>`` and their verification codes (issue 12, seed item 3).

One place for both formats: the backend issues and checks them (services/issued_reports.py), the assistant's
NLU finds them in messages (assistant_nlu/codes.py) and its actions normalise what users type (lower case,
without hyphens, full-width characters).

Standard library only and Python 3.10-compatible: the Rasa actions environment imports it too.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "CODE_PATTERN",
    "MAX_SEQ",
    "PREFIX",
    "REPORT_NO_PATTERN",
    "REPORT_NO_RE",
    "canonical_report_no",
    "format_code",
    "normalize_code",
    "normalize_report_no",
    "parse_code",
]

PREFIX = "XYBG"  # 信用报告: its own prefix, so a report number never looks like an application number
MAX_SEQ = 99999
REPORT_NO_RE = re.compile(rf"{PREFIX}-[0-9]{{8}}-[0-9]{{5}}")
# No 0/O, 1/I/L: a code read off paper is typed back without guessing.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8

_SEP = r"[ \-‐‑–—_]?"
# A report number in (width-folded) free text, in any case, with or without separators.
REPORT_NO_PATTERN: re.Pattern[str] = re.compile(
    rf"(?<![0-9A-Za-z])(?i:{PREFIX}){_SEP}([0-9]{{8}}){_SEP}([0-9]{{5}})(?![0-9])"
)
_CODE_CHARS = f"[{CODE_ALPHABET}{CODE_ALPHABET.lower()}]"
# A verification code in free text: ABCD-EFGH as printed, or the 8 characters typed together.
CODE_PATTERN: re.Pattern[str] = re.compile(
    rf"(?<![0-9A-Za-z\-])({_CODE_CHARS}{{4}}){_SEP}({_CODE_CHARS}{{4}})(?![0-9A-Za-z])"
)


def normalize_report_no(raw: str) -> str:
    """Upper case, NFKC, separators as single hyphens (what the backend looks up; no format check)."""
    return re.sub(r"[\s‐‑–—_]+", "-", unicodedata.normalize("NFKC", raw).strip().upper())


def canonical_report_no(raw: str) -> str | None:
    """``XYBG-YYYYMMDD-NNNNN`` from a typed number (``xybg2026112900001``, full-width…), or None."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    match = REPORT_NO_PATTERN.search(text)
    if match is None:
        return None
    return f"{PREFIX}-{match.group(1)}-{match.group(2)}"


def normalize_code(raw: str) -> str:
    """Upper case, NFKC, without separators."""
    return re.sub(r"[\s\-‐‑–—_]", "", unicodedata.normalize("NFKC", raw).strip().upper())


def format_code(code: str) -> str:
    """``ABCDEFGH`` → ``ABCD-EFGH``, as printed."""
    return f"{code[:4]}-{code[4:]}"


def parse_code(raw: str) -> str | None:
    """The printed form of a verification code typed alone (any case, width, separators), or None."""
    code = normalize_code(raw or "")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return format_code(code)
