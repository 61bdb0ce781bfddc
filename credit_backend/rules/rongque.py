"""Who may have a file accepted on a 容缺受理型 commitment (吉市信用办发〔2020〕3号 第1项).

The seed plan gives 容缺受理 to applicants whose credit is good: “申请人信用状况较好、部分申报材料不齐备
但书面承诺在规定期限内提供的，应当实行容缺受理”. The platform reads “信用状况较好” from what it publishes:
an applicant on the 严重失信主体名单 (失信被执行人 included) or the 重点关注名单, or with an active
“严重”失信信息, is not in good credit standing. Pure: the caller passes the entity's active records.
"""

from __future__ import annotations

from collections.abc import Iterable

from credit_backend.rules.grades import ActiveRecord
from credit_backend.rules.vocabulary import SEVERE_LIST, SEVERITIES, WATCH_LIST

__all__ = ["POLICY_SOURCE", "POLICY_TEXT", "SEVERE_FAILURE", "rongque_obstacle"]

POLICY_SOURCE = "吉市信用办发〔2020〕3号 第1项"
POLICY_TEXT = "申请人信用状况较好、部分申报材料不齐备但书面承诺在规定期限内提供的，应当实行容缺受理"
SEVERE_FAILURE = "严重失信信息"  # what an active “严重” record outside the two lists is called in an answer


def rongque_obstacle(active: Iterable[ActiveRecord]) -> str | None:
    """What keeps the applicant from 容缺受理 — the list it is on, or SEVERE_FAILURE — or None.

    The gravest one is named: the 严重失信主体名单, then a “严重” record, then the 重点关注名单.
    """
    found: set[str] = set()
    for r in active:
        if r.category == SEVERE_LIST:
            found.add(SEVERE_LIST)
        elif r.severity == SEVERITIES[-1]:  # 严重
            found.add(SEVERE_FAILURE)
        elif r.category == WATCH_LIST:
            found.add(WATCH_LIST)
    for name in (SEVERE_LIST, SEVERE_FAILURE, WATCH_LIST):
        if name in found:
            return name
    return None
