"""Application numbers ``<TYPE>-<YYYYMMDD>-<NNNN>`` (see shared CONVERSATION.md).

Standard library only and Python 3.10-compatible: the Rasa actions environment imports it too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from credit_backend.rules.vocabulary import APPLICATION_KINDS

__all__ = [
    "APPLICATION_TYPES",
    "APPNO_PATTERN",
    "MAX_SEQ",
    "ApplicationNo",
    "find_application_nos",
    "format_application_no",
    "parse_application_no",
]

# Type code → short Chinese name of the kind (the vocabulary owns both).
APPLICATION_TYPES: dict[str, str] = {k.type_code: k.name for k in APPLICATION_KINDS}

MAX_SEQ = 9999

_TYPES_RE = "|".join(APPLICATION_TYPES)
# Separators users type between the parts; NFKC has already turned full-width forms into ASCII.
_SEP = r"[\s\-‐‑–—_]*"
_FULL_RE = re.compile(rf"({_TYPES_RE}){_SEP}([0-9]{{8}}){_SEP}([0-9]{{4}})")

# Finds a number in (NFKC-normalised) free text. Guards are ASCII-only: Chinese text has no word
# boundaries, but "XF-20261103-00071" or "AXF…" must not yield a number.
APPNO_PATTERN: re.Pattern[str] = re.compile(
    rf"(?<![0-9A-Za-z])(?i:{_TYPES_RE})[ \-‐‑–—_]?[0-9]{{8}}[ \-‐‑–—_]?[0-9]{{4}}(?![0-9])"
)


@dataclass(frozen=True)
class ApplicationNo:
    """A parsed application number; ``str()`` gives the canonical form."""

    type_code: str
    day: date
    seq: int

    @property
    def type_name(self) -> str:
        """Chinese name of the application type."""
        return APPLICATION_TYPES[self.type_code]

    def __str__(self) -> str:
        return format_application_no(self.type_code, self.day, self.seq)


def format_application_no(type_code: str, day: date, seq: int) -> str:
    """Canonical number, e.g. ``YY-20261126-0003``."""
    if type_code not in APPLICATION_TYPES:
        raise ValueError(f"unknown application type {type_code!r}")
    if not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"sequence must be 1..{MAX_SEQ}")
    return f"{type_code}-{day:%Y%m%d}-{seq:04d}"


def parse_application_no(raw: str) -> ApplicationNo | None:
    """Parse user input (any case, full-width, spaces or hyphens optional); None if not a valid number."""
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    match = _FULL_RE.fullmatch(text)
    if match is None:
        return None
    type_code, ymd, seq_text = match.groups()
    try:
        day = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
    except ValueError:
        return None
    seq = int(seq_text)
    if seq < 1:
        return None
    return ApplicationNo(type_code, day, seq)


def find_application_nos(text: str) -> list[ApplicationNo]:
    """Valid application numbers mentioned in free text, in order of appearance."""
    normalized = unicodedata.normalize("NFKC", text)
    found: list[ApplicationNo] = []
    for match in APPNO_PATTERN.finditer(normalized):
        parsed = parse_application_no(match.group(0))
        if parsed is not None:
            found.append(parsed)
    return found
