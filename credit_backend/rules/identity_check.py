"""The in-person identity check at the counter (issue 11): what staff record instead of a one-time code.

Pure functions: the documents a representative may show, the last four characters of a document number,
and whether they agree with the legal representative's ID number on file.
"""

from __future__ import annotations

import re
import unicodedata

from credit_backend.rules.vocabulary import DOCUMENT_TYPES, RESIDENT_ID

__all__ = ["DOCUMENT_TYPES", "contradicts_legal_rep", "normalise_last4"]

LAST4 = re.compile(r"^[0-9X]{4}$")


def normalise_last4(value: str) -> str | None:
    """``"12 3x"`` / full-width ``１２３Ｘ`` → ``"123X"``; None unless exactly four digits or X."""
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", value or "")).upper()
    return text if LAST4.match(text) else None


def contradicts_legal_rep(document_type: str, last4: str, legal_rep_id: str | None, letter: bool) -> bool:
    """True when nobody may act this way: without a letter of authorisation only the legal representative
    may act, so a 居民身份证 whose last four differ from the legal representative's ID on file is refused.
    Other documents and unknown ID numbers cannot be compared and are taken as the staff member saw them."""
    if letter or document_type != RESIDENT_ID or not legal_rep_id or len(legal_rep_id) < 4:
        return False
    return legal_rep_id[-4:].upper() != last4
