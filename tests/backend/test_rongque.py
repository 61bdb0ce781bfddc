"""容缺受理 only for applicants in good credit standing (issue 12 #6).

吉市信用办发〔2020〕3号 第1项: “申请人信用状况较好、部分申报材料不齐备但书面承诺在规定期限内提供的，应当
实行容缺受理”. An entity on the 严重失信主体名单 or the 重点关注名单, or with an active 严重 失信信息, is
refused with the plan's words and told what it can do instead; the others are accepted as before.
"""

from __future__ import annotations

from datetime import date

from credit_backend.models import Application, CreditRecord
from credit_backend.rules import vocabulary
from credit_backend.rules.grades import ActiveRecord
from credit_backend.rules.rongque import SEVERE_FAILURE, rongque_obstacle
from tests.backend.api_helpers import (
    BLACKLISTED,
    JIANGCHENG,
    QIHANG,
    assert_error,
    bind,
    commitment_body,
    count,
    fresh,
    submit,
)

SENDER = "tg:6120"


def rongque(uscc: str) -> dict:
    return commitment_body(SENDER, uscc=uscc, commitment_type="容缺受理型", missing_materials="环评批复")


def test_rule_names_the_gravest_obstacle_吉市信用办发2020_3号_第1项() -> None:
    assert rongque_obstacle([]) is None
    assert (
        rongque_obstacle([ActiveRecord(vocabulary.PENALTY, "一般"), ActiveRecord(vocabulary.ABNORMAL, "一般")]) is None
    )
    assert rongque_obstacle([ActiveRecord(vocabulary.WATCH_LIST, "一般")]) == vocabulary.WATCH_LIST
    assert (
        rongque_obstacle([ActiveRecord(vocabulary.PENALTY, "严重"), ActiveRecord(vocabulary.WATCH_LIST, "一般")])
        == SEVERE_FAILURE
    )
    assert (
        rongque_obstacle([ActiveRecord(vocabulary.WATCH_LIST, "一般"), ActiveRecord(vocabulary.SEVERE_LIST, "严重")])
        == vocabulary.SEVERE_LIST
    )


def test_entity_on_the_severe_list_is_refused_rongque_吉市信用办发2020_3号_第1项(client, world, session) -> None:
    bind(client, SENDER, BLACKLISTED)
    r = submit(client, "commitments", rongque(BLACKLISTED))
    err = assert_error(
        r, 409, "RONGQUE_NOT_ELIGIBLE", "信用状况较好", "已列入严重失信主体名单", "补齐全部申报材料", "信用修复"
    )
    assert err["details"]["obstacle"] == vocabulary.SEVERE_LIST
    assert err["details"]["alternatives"]
    assert count(session, Application) == 0
    # Other commitment types stay open to it (a 主动型 commitment is no 容缺受理).
    assert submit(client, "commitments", commitment_body(SENDER, uscc=BLACKLISTED)).status_code == 201


def test_active_severe_failure_is_refused_rongque_吉市信用办发2020_3号_第1项(client, world) -> None:
    bind(client, SENDER, QIHANG)
    err = assert_error(submit(client, "commitments", rongque(QIHANG)), 409, "RONGQUE_NOT_ELIGIBLE", "严重失信信息")
    assert err["details"]["obstacle"] == SEVERE_FAILURE


def test_watch_list_is_refused_and_ended_listing_is_not_吉市信用办发2020_3号_第1项(client, world, session) -> None:
    """A 重点关注名单 entry refuses 容缺受理 while published; once it has ended (已到期) it no longer does."""
    entity = world.entities["jiangcheng"]
    entry = CreditRecord(
        entity=entity,
        category=vocabulary.WATCH_LIST,
        title="多次违规",
        authority="吉林市市场监督管理局",
        decision_date=date(2026, 9, 1),
        severity="一般",
    )
    session.add(entry)
    session.commit()
    bind(client, SENDER, JIANGCHENG)
    assert_error(submit(client, "commitments", rongque(JIANGCHENG)), 409, "RONGQUE_NOT_ELIGIBLE", "已列入重点关注名单")
    fresh(session)
    entry.status = "expired"
    session.commit()
    assert submit(client, "commitments", rongque(JIANGCHENG)).status_code == 201


def test_creditworthy_entity_still_gets_rongque(client, world) -> None:
    """An ordinary 一般 penalty does not take away 容缺受理 (the plan asks for 信用状况较好, not a clean file)."""
    bind(client, SENDER, JIANGCHENG)
    assert submit(client, "commitments", rongque(JIANGCHENG)).status_code == 201
