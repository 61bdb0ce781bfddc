"""Which department decides an application (the work queue's department column).

Pure: the caller passes the application's kind, the record it concerns (if any) and the credit centre's
name from policy.yaml ``departments.credit_centre``.
"""

from __future__ import annotations

from credit_backend.rules.vocabulary import COMMITMENT

__all__ = ["RECORD_KINDS", "deciding_department"]

# Kinds that act on a record made by a department: that department verifies or repairs it.
RECORD_KINDS: frozenset[str] = frozenset({"objection", "repair"})


def deciding_department(
    kind: str, record_authority: str | None, record_category: str | None, credit_centre: str
) -> str:
    """The department that decides an application.

    - 异议 and 信用修复: the authority that made the record concerned;
    - 信用承诺 linked to a department's record (not merely its own publication in the 信用承诺 section):
      that record's authority;
    - otherwise (自愿注册, other commitments): the credit centre.
    """
    authority = (record_authority or "").strip()
    if authority:
        if kind in RECORD_KINDS:
            return authority
        if kind == "commitment" and record_category != COMMITMENT:
            return authority
    return credit_centre
