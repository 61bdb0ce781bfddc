"""Hand-off conversations (issue 11): a user asks for a person, staff claim, reply and close; the user hears each
step once on their channel, and while a person holds the conversation the user's messages go to them."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from credit_backend import clock, db, migrate
from credit_backend.errors import DomainError
from credit_backend.models import AuditEntry, Base, Handoff, HandoffMessage, Notification
from credit_backend.policy.calendar import default_calendar
from credit_backend.services import handoffs, messaging
from tests.backend.api_helpers import API, JIANGCHENG, assert_error, count, fresh
from tests.backend.conftest import ADMIN, ASSISTANT, STAFF

CST = timezone(timedelta(hours=8))
USER = "tg:7001"
ZHANG = {**STAFF, "X-Actor": "zhang.li"}
WANG = {**STAFF, "X-Actor": "wang.fang"}
HOURS = handoffs.parse_hours("09:00-12:00,13:30-17:00")
TRANSCRIPT = [
    {"role": "user", "text": "我要查一下江城建材的失信记录"},
    {"role": "bot", "text": "吉林市江城建材有限公司目前有1条行政处罚记录。"},
    {"role": "user", "text": "验证码是******，还是不行，转人工"},
]


def beijing(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch):
    """Pin the backend's clock: ``pinned(datetime)``."""

    def pin(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment.astimezone(timezone.utc))

    pin(beijing(2026, 11, 26, 10))  # a Thursday morning: staffed
    return pin


def ask(client, sender: str = USER, transcript=TRANSCRIPT, **extra) -> dict:
    body = {
        "sender_id": sender,
        "summary": "用户询问失信记录，要求人工服务",
        "uscc": JIANGCHENG,
        "transcript": transcript,
    }
    r = client.post(f"{API}/handoffs", json={**body, **extra}, headers=ASSISTANT)
    assert r.status_code == 201, r.text
    return r.json()


def detail(client, handoff_id: int, headers=STAFF) -> dict:
    r = client.get(f"{API}/handoffs/{handoff_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def relay(client, text_: str, sender: str = USER) -> dict:
    r = client.post(f"{API}/handoffs/relay", json={"sender_id": sender, "text": text_}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    return r.json()


def told(client, sender: str = USER) -> list[str]:
    """What the user's channel has been asked to deliver about the hand-off, in order."""
    items = client.get(
        f"{API}/notifications", params={"channel": sender.split(":")[0], "limit": 200}, headers=STAFF
    ).json()["items"]
    return [n["body"] for n in items if n["recipient"] == sender and n["kind"] == "handoff"]


# --- staffed hours (pure) -------------------------------------------------------------------------


def staffed_at(moment: datetime) -> datetime:
    return handoffs.next_staffed(moment.astimezone(timezone.utc), HOURS, default_calendar().is_workday)


@pytest.mark.parametrize(
    "asked, answered",
    [
        (beijing(2026, 11, 26, 9, 0), beijing(2026, 11, 26, 9, 0)),  # Thursday, the window opens: now
        (beijing(2026, 11, 26, 16, 59), beijing(2026, 11, 26, 16, 59)),
        (beijing(2026, 11, 26, 8, 15), beijing(2026, 11, 26, 9, 0)),  # early
        (beijing(2026, 11, 26, 12, 0), beijing(2026, 11, 26, 13, 30)),  # lunch break
        (beijing(2026, 11, 26, 17, 0), beijing(2026, 11, 27, 9, 0)),  # evening → Friday
        (beijing(2026, 11, 27, 18, 0), beijing(2026, 11, 30, 9, 0)),  # Friday evening → Monday
        (beijing(2026, 11, 28, 10, 0), beijing(2026, 11, 30, 9, 0)),  # Saturday
        (beijing(2026, 9, 30, 18, 0), beijing(2026, 10, 8, 9, 0)),  # National Day holiday
        (beijing(2026, 10, 9, 17, 30), beijing(2026, 10, 10, 9, 0)),  # a make-up working Saturday
        (beijing(2026, 9, 25, 10, 0), beijing(2026, 9, 28, 9, 0)),  # Mid-Autumn Festival (a Friday)
    ],
)
def test_next_staffed_follows_the_calendar_and_the_hours(asked, answered):
    assert staffed_at(asked) == answered.astimezone(timezone.utc)


def test_hours_setting_is_checked():
    assert handoffs.parse_hours(" 13:30-17:00 , 09:00-12:00") == HOURS  # any order, spaces
    for bad in ("", "9-12", "12:00-09:00", "09:00-12:00,11:00-13:00", "09:00"):
        with pytest.raises(ValueError):
            handoffs.parse_hours(bad)


def test_notice_says_when_someone_answers():
    now = beijing(2026, 11, 28, 10)  # Saturday
    monday = staffed_at(now)
    assert handoffs.notice(now, monday, HOURS) == (
        "已为您转接人工服务，刚才的对话内容已一并转交。现在是非工作时间（人工服务时间：工作日 09:00-12:00、13:30-17:00），"
        "工作人员将于11月30日（星期一）09:00后回复您。"
    )
    assert "明天（11月27日，星期五）09:00" in handoffs.notice(
        beijing(2026, 11, 26, 20), staffed_at(beijing(2026, 11, 26, 20)), HOURS
    )
    assert "今天13:30" in handoffs.notice(beijing(2026, 11, 26, 12, 5), staffed_at(beijing(2026, 11, 26, 12, 5)), HOURS)
    late = beijing(2026, 12, 31, 18)
    assert "2027年1月4日（星期一）09:00" in handoffs.notice(late, staffed_at(late), HOURS)
    now = beijing(2026, 11, 26, 10)
    assert handoffs.notice(now, staffed_at(now), HOURS) == handoffs.NOTICE_STAFFED


# --- creating -------------------------------------------------------------------------------------


def test_created_with_the_transcript_in_working_hours(client, world, pinned):
    created = ask(client)
    assert created["status"] == "open" and created["status_label"] == "待接入"
    assert created["channel"] == "tg" and created["entity_name"] == "吉林市江城建材有限公司"
    assert created["staffed_now"] is True
    assert datetime.fromisoformat(created["answer_by"]) == beijing(2026, 11, 26, 10)
    assert created["notice"] == handoffs.NOTICE_STAFFED
    assert created["message_count"] == 3 and created["claimed_by"] is None
    shown = detail(client, created["id"])
    assert [(m["role"], m["text"]) for m in shown["messages"]] == [(t["role"], t["text"]) for t in TRANSCRIPT]
    assert told(client) == []  # nothing is sent to the user until a person joins


@pytest.mark.parametrize(
    "moment, when",
    [
        (beijing(2026, 11, 28, 15), "11月30日（星期一）09:00"),  # Saturday afternoon
        (beijing(2026, 10, 1, 10), "10月8日（星期四）09:00"),  # National Day
    ],
)
def test_out_of_hours_the_user_is_told_when(client, world, pinned, moment, when):
    pinned(moment)
    created = ask(client)
    assert created["staffed_now"] is False
    assert datetime.fromisoformat(created["answer_by"]) == staffed_at(moment)
    assert "现在是非工作时间" in created["notice"] and f"工作人员将于{when}后回复您" in created["notice"]


def test_asking_again_keeps_one_conversation(client, world, session, pinned):
    first = ask(client)
    again = ask(client, transcript=[{"role": "user", "text": "还在吗？我要找人工"}])
    assert again["id"] == first["id"]
    texts = [m["text"] for m in detail(client, first["id"])["messages"]]
    assert texts[-2:] == [handoffs.AGAIN, "还在吗？我要找人工"]
    assert count(session, Handoff) == 1


def test_transcript_is_bounded_and_checked(client, world, session):
    too_many = [{"role": "user", "text": "你好"}] * 41
    r = client.post(
        f"{API}/handoffs", json={"sender_id": USER, "summary": "转人工", "transcript": too_many}, headers=ASSISTANT
    )
    assert_error(r, 400, "VALIDATION_ERROR", "对话记录")
    r = client.post(
        f"{API}/handoffs",
        json={"sender_id": USER, "summary": "转人工", "transcript": [{"role": "staff", "text": "冒充工作人员"}]},
        headers=ASSISTANT,
    )
    assert_error(r, 400, "VALIDATION_ERROR", "角色")
    r = client.post(
        f"{API}/handoffs",
        json={"sender_id": USER, "summary": "转人工", "transcript": [{"role": "user", "text": "x" * 2001}]},
        headers=ASSISTANT,
    )
    assert_error(r, 400, "VALIDATION_ERROR", "消息内容")
    assert count(session, Handoff) == 0 and count(session, HandoffMessage) == 0


# --- claim, reply, relay, close -------------------------------------------------------------------


def test_the_whole_conversation_reaches_the_user_once_and_in_order(client, world, session, pinned):
    created = ask(client)
    hid = created["id"]
    assert relay(client, "有人吗？") == {"relayed": False, "handoff_id": hid}  # nobody holds it yet: the bot answers

    r = client.post(f"{API}/handoffs/{hid}/claim", headers=ZHANG)
    assert r.status_code == 200, r.text
    claimed = r.json()
    assert (claimed["status"], claimed["status_label"], claimed["claimed_by"]) == ("claimed", "人工服务中", "zhang.li")
    assert claimed["claimed_at"] and claimed["messages"][-1]["role"] == "system"

    # A second staff member cannot take it, nor reply, nor close it.
    error = assert_error(client.post(f"{API}/handoffs/{hid}/claim", headers=WANG), 409, "HANDOFF_TAKEN", "zhang.li")
    assert "无法再接入" in error["message"]
    r = client.post(f"{API}/handoffs/{hid}/messages", json={"text": "我来回复"}, headers=WANG)
    assert_error(r, 403, "HANDOFF_NOT_YOURS", "只有接入的工作人员可以回复")
    assert_error(client.post(f"{API}/handoffs/{hid}/close", headers=WANG), 403, "HANDOFF_NOT_YOURS")
    # Claiming again by the holder changes nothing and sends nothing.
    assert client.post(f"{API}/handoffs/{hid}/claim", headers=ZHANG).status_code == 200

    # While a person holds it, the user's messages go to them.
    assert relay(client, "我们的罚款已经交了") == {"relayed": True, "handoff_id": hid}
    assert relay(client, "你好", sender="tg:7002") == {"relayed": False, "handoff_id": None}

    r = client.post(f"{API}/handoffs/{hid}/messages", json={"text": "您好，请提供缴款凭证的照片。"}, headers=ZHANG)
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "staff" and r.json()["author"] == "zhang.li"

    r = client.post(f"{API}/handoffs/{hid}/close", headers=ZHANG)
    assert r.status_code == 200, r.text
    closed = r.json()
    assert (closed["status"], closed["closed_by"]) == ("closed", "zhang.li") and closed["closed_at"]
    assert client.post(f"{API}/handoffs/{hid}/close", headers=ZHANG).status_code == 200  # again: nothing new
    assert relay(client, "谢谢") == {"relayed": False, "handoff_id": None}  # the assistant answers again

    assert told(client) == [
        "工作人员（zhang.li）已接入，接下来由人工为您服务。您可以直接发送消息。",
        "您好，请提供缴款凭证的照片。",
        handoffs.CLOSED,
    ]
    notes = session.scalars(select(Notification).where(Notification.kind == "handoff").order_by(Notification.id))
    assert [(n.channel, n.payload["event"], n.payload["handoff_id"]) for n in notes] == [
        ("tg", "claimed", hid),
        ("tg", "reply", hid),
        ("tg", "closed", hid),
    ]
    roles = [(m["role"], m["text"]) for m in detail(client, hid)["messages"]][3:]
    assert roles == [
        ("system", "工作人员（zhang.li）已接入，接下来由人工为您服务。您可以直接发送消息。"),
        ("user", "我们的罚款已经交了"),
        ("staff", "您好，请提供缴款凭证的照片。"),
        ("system", handoffs.CLOSED),
    ]
    audited = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("handoff%")).order_by(AuditEntry.id)
    )
    assert list(audited) == ["handoff", "handoff_claim", "handoff_reply", "handoff_close"]

    # Closed: no claim, no reply.
    assert_error(client.post(f"{API}/handoffs/{hid}/claim", headers=WANG), 409, "HANDOFF_CLOSED", "已结束")
    r = client.post(f"{API}/handoffs/{hid}/messages", json={"text": "还有一件事"}, headers=ZHANG)
    assert_error(r, 409, "HANDOFF_CLOSED", "已结束")
    assert len(told(client)) == 3


def test_reply_needs_a_claim_first(client, world, pinned):
    hid = ask(client)["id"]
    r = client.post(f"{API}/handoffs/{hid}/messages", json={"text": "您好"}, headers=ZHANG)
    assert_error(r, 409, "HANDOFF_NOT_CLAIMED", "请先接入")
    r = client.post(f"{API}/handoffs/{hid}/messages", json={"text": " "}, headers=ZHANG)
    assert_error(r, 400, "VALIDATION_ERROR", "消息内容")
    assert told(client) == []


def test_an_open_handoff_may_be_closed_by_anyone_and_a_claimed_one_by_an_admin(client, world, pinned):
    first = ask(client)["id"]
    assert client.post(f"{API}/handoffs/{first}/close", headers=WANG).json()["status"] == "closed"
    second = ask(client)["id"]
    assert second != first
    assert client.post(f"{API}/handoffs/{second}/claim", headers=ZHANG).status_code == 200
    r = client.post(f"{API}/handoffs/{second}/close", headers={**ADMIN, "X-Actor": "admin01"})
    assert r.status_code == 200 and r.json()["closed_by"] == "admin01"
    assert told(client)[-1] == handoffs.CLOSED and told(client).count(handoffs.CLOSED) == 2


def test_the_inbox_lists_by_status(client, world, pinned):
    waiting = ask(client, "tg:7101")["id"]
    held = ask(client, "wx:o7102", transcript=[])["id"]
    client.post(f"{API}/handoffs/{held}/claim", headers=ZHANG)
    relay(client, "在吗", sender="wx:o7102")
    done = ask(client, "tg:7103")["id"]
    client.post(f"{API}/handoffs/{done}/close", headers=ZHANG)

    def ids(status: str | None = None) -> list[int]:
        params = {"status": status} if status else {}
        r = client.get(f"{API}/handoffs", params=params, headers=STAFF)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert ids() == [done, held, waiting]
    assert ids("active") == [held, waiting]
    assert ids("claimed") == [held] and ids("open") == [waiting] and ids("closed") == [done]
    item = client.get(f"{API}/handoffs", params={"status": "claimed"}, headers=STAFF).json()["items"][0]
    assert item["channel"] == "wx" and item["claimed_by_name"] == "zhang.li"
    assert item["message_count"] == 2 and item["last_message_at"]  # the "joined" line and the relayed message
    assert_error(client.get(f"{API}/handoffs", params={"status": "mine"}, headers=STAFF), 400, "VALIDATION_ERROR")


def test_staff_only_and_unknown(client, world, pinned):
    hid = ask(client)["id"]
    for method, path in (
        ("get", f"/handoffs/{hid}"),
        ("post", f"/handoffs/{hid}/claim"),
        ("post", f"/handoffs/{hid}/close"),
    ):
        assert_error(client.request(method, f"{API}{path}", headers=ASSISTANT), 403, "FORBIDDEN", "权限")
        assert_error(client.request(method, f"{API}{path}"), 401, "AUTH_REQUIRED")
    r = client.post(f"{API}/handoffs/{hid}/messages", json={"text": "hi"}, headers=ASSISTANT)
    assert_error(r, 403, "FORBIDDEN")
    assert_error(client.get(f"{API}/handoffs/424242", headers=STAFF), 404, "HANDOFF_NOT_FOUND", "424242")
    assert_error(client.post(f"{API}/handoffs/424242/claim", headers=STAFF), 404, "HANDOFF_NOT_FOUND")
    r = client.post(f"{API}/handoffs/relay", json={"sender_id": "nobody", "text": "x"}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "会话标识")
    assert_error(
        client.post(f"{API}/handoffs/{hid}/claim", headers={**STAFF, "X-Actor": "zhang li"}), 400, "VALIDATION_ERROR"
    )


def test_two_staff_claiming_at_once_one_wins(client, world, session, pinned):
    hid = ask(client)["id"]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(account: str) -> None:
        with db.get_sessionmaker()() as own:
            barrier.wait()
            try:
                messaging.claim(own, hid, account, "staff")
                outcomes[account] = "claimed"
            except DomainError as exc:
                outcomes[account] = exc.code

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("a.one", "b.two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()) == ["HANDOFF_TAKEN", "claimed"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "claimed")
    assert detail(client, hid)["claimed_by"] == winner
    assert len(told(client)) == 1


# --- the migration --------------------------------------------------------------------------------


def test_migration_matches_the_models(engine):
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if "handoff" in repr(d)]
    assert mine == []


def test_migration_0009_fills_the_channel_of_existing_handoffs(client, world, session, engine):
    fresh(session)
    session.close()
    migrate.downgrade(engine, "0008")
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO handoffs (sender_id, uscc, summary, status, created_at) "
                    "VALUES ('wx:o123', NULL, '旧的转人工请求', 'open', :at)"
                ),
                {"at": datetime(2026, 11, 20, tzinfo=timezone.utc)},
            )
    finally:
        migrate.upgrade(engine)
    [(channel, status)] = session.execute(select(Handoff.channel, Handoff.status)).all()
    assert (channel, status) == ("wx", "open")


def test_every_day_of_two_years_has_a_next_staffed_moment():
    """No gap in the calendar breaks the search (Spring Festival, the years beyond the package)."""
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):
        moment = datetime.combine(day, time(17, 30), CST)
        answer = staffed_at(moment)
        assert answer > moment and (answer - moment) < timedelta(days=12)
        day += timedelta(days=1)
