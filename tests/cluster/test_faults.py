"""Faults survived (issue 16): while 16 scripted conversations run through the Rasa proxy, one Rasa server is killed
and restarted, one action server is killed, one backend is killed, Redis is restarted and PostgreSQL is restarted
(the cluster's own instances, SIGKILL each: a host lost, a crash).

Each conversation greets, queries its own entity, files a 信用承诺 (the sender bound beforehand through the backend,
as the binding form would) and thanks. A user who gets a polite "please try again" (the channel's, or the actions'
"system unavailable", or the proxy's answer for a server that died mid-turn) sends the same message again, as a
user would. Checked and printed: every message got an answer (never silence); every turn answered stays stored
(Redis across its restart); every conversation filed its application exactly once, with the number it was told;
and afterwards every part is back, in the proxy's rotation, without a manual step (the killed processes are
started again as their supervisor would).
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import redis
from sqlalchemy import create_engine, text

from bot.cluster import Cluster

CONVERSATIONS = 16
MAX_MESSAGES = 40  # per conversation, retries included
PAUSE = 0.4  # seconds between a user's messages
RETRY_PAUSE = 1.5  # seconds before sending a message again after a polite "try again"
POLITE = ("请稍后再试", "稍后重新发送", "暂时无法连接", "系统暂时繁忙", "请稍后回复")
NUMBER = re.compile(r"申请编号：([A-Z]{2}-\d{8}-\d{4})")


@dataclass
class Conversation:
    sender: str
    uscc: str
    name: str
    sent: int = 0
    polite: int = 0  # answers that asked to try again
    proxy_errors: int = 0  # the proxy answered for a Rasa server that died mid-turn
    silent: int = 0  # 200 with no answer at all: must stay 0
    impolite: list[str] = field(default_factory=list)  # error answers without a polite message: must stay empty
    answered: list[str] = field(default_factory=list)  # the messages whose turn was answered, in order
    numbers: list[str] = field(default_factory=list)
    finished: bool = False
    unexpected: list[str] = field(default_factory=list)


def tokens(cluster: Cluster, name: str) -> str:
    return cluster.env[name].split(",")[0].strip()


def pick_entities(cluster: Cluster) -> list[tuple[str, str]]:
    """Entities of the demo city without records (nothing refuses them a commitment), one per conversation: each
    binding sends one one-time code, and an entity gets only a few per hour."""
    engine = create_engine(cluster.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT e.uscc, e.name FROM entities e WHERE NOT EXISTS "
                "(SELECT 1 FROM credit_records r WHERE r.entity_id = e.id) AND e.uscc LIKE '91%' "
                "ORDER BY e.id LIMIT :n"
            ),
            {"n": CONVERSATIONS},
        ).all()
    engine.dispose()
    assert len(rows) == CONVERSATIONS, rows
    return [(r[0], r[1]) for r in rows]


def bind(cluster: Cluster, sender: str, uscc: str) -> None:
    """Binds ``sender`` to ``uscc`` through the backend proxy: start, the code from the SMS outbox (staff), verify."""
    api = f"{cluster.backend_url}/api/v1"
    assistant = {"Authorization": f"Bearer {tokens(cluster, 'CREDIT_TOKENS_ASSISTANT')}"}
    staff = {"Authorization": f"Bearer {tokens(cluster, 'CREDIT_TOKENS_STAFF')}"}
    r = httpx.post(f"{api}/bindings/start", json={"sender_id": sender, "uscc": uscc}, headers=assistant, timeout=30)
    assert r.status_code == 200, r.text
    sms = httpx.get(f"{api}/notifications", params={"channel": "sms", "limit": 200}, headers=staff, timeout=30)
    codes = [n["payload"]["code"] for n in sms.json()["items"] if n["kind"] == "otp" and n["payload"]["uscc"] == uscc]
    body = {"sender_id": sender, "uscc": uscc, "code": codes[-1]}
    r = httpx.post(f"{api}/bindings/verify", json=body, headers=assistant, timeout=30)
    assert r.status_code == 200, r.text


def say(cluster: Cluster, talk: Conversation, message: str) -> tuple[str, list[dict]] | None:
    """One message through the Rasa proxy, on a new connection; None when the answer is a polite retry."""
    talk.sent += 1
    try:
        resp = httpx.post(
            f"{cluster.rasa_url}/webhooks/rest/webhook", json={"sender": talk.sender, "message": message}, timeout=120
        )
    except httpx.TransportError:
        talk.proxy_errors += 1  # never seen through HAProxy: it always answers
        return None
    if resp.status_code >= 500:
        # A Rasa server that died mid-turn: HAProxy does not replay a POST (the turn may be stored) and answers
        # for it, with the same polite message as the channels (http-error in the proxy's configuration).
        talk.proxy_errors += 1
        if not any(p in resp.text for p in POLITE):
            talk.impolite.append(f"HTTP {resp.status_code}: {resp.text[:120]}")
        return None
    assert resp.status_code == 200, resp.text
    answers = resp.json()
    reply = "\n".join(a.get("text", "") for a in answers)
    if not answers:
        talk.silent += 1
        return None
    if any(p in reply for p in POLITE) and not NUMBER.search(reply):
        talk.polite += 1
        return None
    talk.answered.append(message)
    return reply, [b for a in answers for b in a.get("buttons", [])]


def next_message(talk: Conversation, reply: str, buttons: list[dict]) -> str | None:
    """What the user sends next in the commitment flow; None when the flow is over."""
    if found := NUMBER.findall(reply):
        talk.numbers += found
        return None
    if "请选择承诺类型" in reply:
        return '/inform{"commitment_type":"主动型"}'
    if "承诺对应的办理事项" in reply:
        return f"守法诚信经营承诺{talk.uscc[-4:]}"
    if any(q in reply for q in ("确认提交吗", "是否同意以上承诺内容", "回复“重试”")) or reply.startswith("为「"):
        return "/affirm"
    if "统一社会信用代码" in reply:
        return talk.uscc
    talk.unexpected.append(reply[:80])
    return "/affirm" if any(b.get("payload") == "/affirm" for b in buttons) else None


def converse(cluster: Cluster, talk: Conversation) -> Conversation:
    def until_answered(message: str) -> tuple[str, list[dict]]:
        while talk.sent < MAX_MESSAGES:
            answer = say(cluster, talk, message)
            if answer is not None:
                time.sleep(PAUSE)
                return answer
            time.sleep(RETRY_PAUSE)
        raise AssertionError(f"{talk.sender}: no answer to {message!r} after {MAX_MESSAGES} messages")

    until_answered("你好")
    reply, _ = until_answered(f"查一下{talk.uscc}")
    assert talk.name in reply, reply
    message: str | None = "我要做信用承诺"
    while message is not None:
        reply, buttons = until_answered(message)
        message = next_message(talk, reply, buttons)
    until_answered("谢谢")
    talk.finished = True
    return talk


def faults(cluster: Cluster, log: list[str]) -> None:
    """The fault sequence, a few seconds apart; killed replicas are started again as a supervisor would."""
    restarts: list[threading.Thread] = []

    def later(name: str) -> None:
        thread = threading.Thread(target=cluster.start_replica, args=(name,))
        thread.start()
        restarts.append(thread)

    steps = [
        ("kill and restart rasa-1", lambda: (cluster.kill("rasa-1", signal.SIGKILL), later("rasa-1"))),
        ("kill actions-1", lambda: cluster.kill("actions-1", signal.SIGKILL)),
        ("kill backend-1", lambda: cluster.kill("backend-1", signal.SIGKILL)),
        ("restart redis", lambda: cluster.restart("redis", signal.SIGKILL)),
        ("restart postgres", lambda: cluster.restart("postgres", signal.SIGKILL)),
    ]
    for what, step in steps:
        time.sleep(4)
        step()
        log.append(what)
    for name in ("actions-1", "backend-1"):
        later(name)
    for thread in restarts:
        thread.join(300)


RASA = ("rasa-1", "rasa-2")
RECOVERY_SECONDS = 120  # the actions' circuit breaker fails fast for 20 s after the backend's last failure


def answers_a_query(cluster: Cluster, name: str, talk: Conversation, sender: str) -> float:
    """Sends a query to the Rasa server ``name`` (its own address) until it is answered with the entity; returns
    how many seconds that took. The breaker and the connection pools recover by themselves: nothing is done here
    but asking again."""
    started = time.monotonic()
    while True:
        resp = httpx.post(
            f"{cluster.replica_url(name)}/webhooks/rest/webhook",
            json={"sender": sender, "message": f"查一下{talk.uscc}"},
            timeout=120,
        )
        reply = "\n".join(a.get("text", "") for a in resp.json()) if resp.status_code == 200 else resp.text
        if talk.name in reply:
            return round(time.monotonic() - started, 1)
        assert time.monotonic() - started < RECOVERY_SECONDS, f"{name} still answers {reply!r}"
        time.sleep(2)


def stored_user_texts(cluster: Cluster, sender: str) -> list[str]:
    client = redis.Redis.from_url(cluster.redis_url)
    events = [json.loads(e) for e in client.lrange(f"credit:events:{sender}", 0, -1)]
    return [e.get("text") or "" for e in events if e.get("event") == "user"]


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    it = iter(whole)
    return all(any(x == y for y in it) for x in part)


def test_sixteen_conversations_survive_the_faults(healthy_cluster: Cluster) -> None:
    cluster = healthy_cluster
    run = uuid.uuid4().hex[:6]
    talks = [
        Conversation(f"cluster:fault-{run}-{i}", uscc, name) for i, (uscc, name) in enumerate(pick_entities(cluster))
    ]
    for talk in talks:
        bind(cluster, talk.sender, talk.uscc)

    log: list[str] = []
    with ThreadPoolExecutor(CONVERSATIONS + 1) as pool:
        fault_run = pool.submit(faults, cluster, log)
        done = list(pool.map(lambda t: converse(cluster, t), talks))
        fault_run.result()

    # Everything is back without a manual step: every replica in rotation, every Rasa server answering.
    for name in cluster.replica_ports():
        cluster.wait_proxy_status(name, up=True, timeout=120)
    recovered = {name: answers_a_query(cluster, name, talks[0], f"cluster:after-{run}-{name}") for name in RASA}
    lost = [t.sender for t in done if not is_subsequence(t.answered, stored_user_texts(cluster, t.sender))]
    engine = create_engine(cluster.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT sender_id, application_no FROM applications WHERE sender_id LIKE :p"),
            {"p": f"cluster:fault-{run}-%"},
        ).all()
    engine.dispose()
    filed = Counter(r[0] for r in rows)
    impolite = [m for t in done for m in t.impolite]
    print(
        f"\nfaults: {', '.join(log)}\n"
        f"{len(done)} conversations, {sum(t.sent for t in done)} messages sent, "
        f"{sum(len(t.answered) for t in done)} answered turns checked in Redis ({len(lost)} conversations lost one), "
        f"{sum(t.polite for t in done)} polite retry answers, {sum(t.proxy_errors for t in done)} proxy 5xx "
        f"(server died mid-turn; {len(impolite)} without a polite message), {sum(t.silent for t in done)} silent; "
        f"applications: {len(rows)} for {len(done)} conversations, {sum(1 for n in filed.values() if n > 1)} filed "
        f"twice; unexpected answers: {[u for t in done for u in t.unexpected]}; seconds until each Rasa server answered "
        f"a query again after the faults: {recovered}"
    )

    # Never silence; every conversation finished its filing.
    assert [t.sender for t in done if t.silent] == [], "a turn was answered with nothing"
    assert all(t.finished for t in done)
    # No stored turn lost: every answered message is in the stored conversation, in order.
    assert lost == [], f"stored turns lost in {lost}"
    # Filed once each, with the number the user was told.
    assert [s for s, n in filed.items() if n > 1] == [], f"filed twice: {filed}"
    for talk in done:
        assert filed[talk.sender] == 1, f"{talk.sender} filed {filed[talk.sender]}"
        assert {r[1] for r in rows if r[0] == talk.sender} == set(talk.numbers)
    # A turn lost with its Rasa server is answered by the proxy, politely (http-error of the proxy's configuration).
    assert impolite == [], "an error answer without a polite message"
