"""Grades A–D and their recomputation after a record changes (seed items 6–7).

The evaluation itself comes from the national and provincial platforms; what the city platform
does is keep it consistent with the records it publishes: an entity on the 严重失信主体名单 cannot
stay above D, an active 一般 failure or a 重点关注名单 entry caps it at C, and a repaired or
withdrawn record stops dragging it down, restoring the platform's base evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from credit_backend.rules.vocabulary import ABNORMAL, MINOR, ORDINARY, SERIOUS, SEVERE_LIST, WATCH_LIST

GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class ActiveRecord:
    category: str
    severity: str | None


def grade_cap(active: Iterable[ActiveRecord]) -> str:
    """The best grade the active published records allow."""
    cap = "A"
    for r in active:
        if r.category == SEVERE_LIST or r.severity == SERIOUS:
            return "D"
        if r.category == WATCH_LIST or r.severity == ORDINARY:
            cap = max(cap, "C")
        elif r.severity == MINOR or r.category == ABNORMAL:
            cap = max(cap, "B")
    return cap


def recompute_grade(base_grade: str, active: Iterable[ActiveRecord]) -> str:
    """The base evaluation, lowered to what the active records allow (``max`` is the worse grade)."""
    return max(base_grade, grade_cap(active))
