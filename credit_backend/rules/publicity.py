"""When a record's publicity ends, and which records the daily job must end (issue 12 #4).

令2025年第36号 sets a maximum publication period for each class of 失信信息 (一般 1年, 严重 3年, 轻微
at most 3个月); once it has passed, the record stops being published without any application
(``repair_eligibility``'s PAST_MAX_END says so to the user). A record may also carry its own end
(``publicity_end``: a 守信激励 list entry's validity, or the end the publishing department set); the
earlier of the two ends it. Pure: the caller passes the record's facts and the loaded policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from credit_backend.rules.periods import publicity_window
from credit_backend.rules.vocabulary import LIST_CATEGORIES

if TYPE_CHECKING:
    from credit_backend.policy.loader import Policy

__all__ = ["PublicityFacts", "publicity_end", "publicity_over"]


@dataclass(frozen=True)
class PublicityFacts:
    """What decides when one active record stops being published."""

    category: str
    severity: str | None
    decision_date: date
    negative: bool  # 失信信息 (the record's own polarity)
    stored_end: date | None = None  # ``credit_records.publicity_end``

    @property
    def is_listing(self) -> bool:
        """A 名单/名录 entry: the entity is on the list while the record is published."""
        return self.category in LIST_CATEGORIES


def publicity_end(facts: PublicityFacts, today: date, policy: Policy) -> date | None:
    """The day the record stops being published (it is no longer published on that day), or None.

    For 失信信息: the end of the maximum period under the regime in force on ``today`` — the rule
    ``repair_eligibility`` applies — or the record's own earlier end. Other records end only on their own
    end. A category the policy does not know, or a day before every regime, leaves only the stored end.
    """
    ends = [facts.stored_end] if facts.stored_end is not None else []
    if facts.negative:
        try:
            window = publicity_window(facts.category, facts.severity, facts.decision_date, today, policy)
        except ValueError:
            window = None
        if window is not None and window.max_end is not None:
            ends.append(window.max_end)
    return min(ends) if ends else None


def publicity_over(facts: PublicityFacts, today: date, policy: Policy) -> bool:
    """Whether the record's publicity has ended by ``today`` (``today`` on or after its end)."""
    end = publicity_end(facts, today, policy)
    return end is not None and today >= end
