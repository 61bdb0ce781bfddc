"""The topology of ``make up-cluster`` (issue 16): a conversation through the Rasa proxy reaches the demo city over
the actions and backend proxies, the proxy spreads turns over both Rasa servers, and a Rasa server killed in the
middle of a form leaves the conversation to the other, which carries it on from Redis without a failed turn."""

from __future__ import annotations

import signal
import time
import uuid

import httpx
import redis

from bot.cluster import Cluster

JIANGCHENG = "91220202MA0Y3K7Q6L"
JIANGCHENG_NAME = "江城建材"


def say(cluster: Cluster, sender: str, text: str) -> str:
    """One turn over the REST channel through the Rasa proxy, on a new connection (as the bridges send)."""
    resp = httpx.post(
        f"{cluster.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120
    )
    assert resp.status_code == 200, f"{text!r} → HTTP {resp.status_code}: {resp.text[:300]}"
    answers = resp.json()
    assert answers, f"{text!r} got no reply"
    return "\n".join(a.get("text", "") for a in answers)


def sessions(cluster: Cluster) -> dict[str, int]:
    """Requests each server answered with a 2xx, as the proxy counts them (a connection refused by a dead server and
    sent to another counts for the other only)."""
    return {name: s.responses_2xx for name, s in cluster.proxy_stats().items()}


def served_by(before: dict[str, int], after: dict[str, int], group: str) -> list[str]:
    return [name for name in after if name.startswith(group + "-") and after[name] > before.get(name, 0)]


def stored_events(cluster: Cluster, sender: str) -> int:
    client = redis.Redis.from_url(cluster.redis_url)
    return int(client.llen(f"credit:events:{sender}"))


def test_a_query_through_the_proxies_reaches_the_demo_city(healthy_cluster: Cluster) -> None:
    cluster = healthy_cluster
    before = sessions(cluster)
    answer = say(cluster, f"cluster:{uuid.uuid4().hex[:10]}", f"帮我查一下{JIANGCHENG}的信用情况")
    after = sessions(cluster)
    assert JIANGCHENG_NAME in answer, answer
    # Rasa → actions proxy → an action server → backend proxy → a backend over the cluster's PostgreSQL.
    for group in ("rasa", "actions", "backend"):
        assert served_by(before, after, group), f"no {group} server got the turn: {before} → {after}"
    print(
        f"\nturn served by {served_by(before, after, 'rasa')}, {served_by(before, after, 'actions')}, "
        f"{served_by(before, after, 'backend')}"
    )


def test_turns_are_spread_over_both_rasa_servers(healthy_cluster: Cluster) -> None:
    cluster = healthy_cluster
    before = sessions(cluster)
    sender = f"cluster:{uuid.uuid4().hex[:10]}"
    for i in range(8):
        say(cluster, sender, "你好" if i % 2 == 0 else f"查一下{JIANGCHENG}")
    after = sessions(cluster)
    counts = {name: after[name] - before.get(name, 0) for name in cluster.layout.replica_ports("rasa")}
    print(f"\n8 turns of one conversation: {counts}")
    assert sum(counts.values()) == 8, counts
    assert all(n > 0 for n in counts.values()), f"one Rasa server got none of the turns: {counts}"


def test_a_killed_rasa_server_leaves_the_conversation_to_the_other(healthy_cluster: Cluster) -> None:
    cluster = healthy_cluster
    sender = f"cluster:{uuid.uuid4().hex[:10]}"
    assert say(cluster, sender, "你好")
    before = sessions(cluster)
    assert "统一社会信用代码" in say(cluster, sender, "查信用")  # the form asks for the entity
    [asked_by] = served_by(before, sessions(cluster), "rasa")
    events = stored_events(cluster, sender)

    cluster.kill(asked_by, signal.SIGKILL)  # the host that asked the question is lost
    killed_at = time.monotonic()
    # Right away, before the health checks notice: the proxy's connection to the dead server is refused and the
    # turn goes to the other server, which finds the form in Redis.
    before = sessions(cluster)
    answer = say(cluster, sender, JIANGCHENG)
    answered_after = time.monotonic() - killed_at
    assert JIANGCHENG_NAME in answer, answer
    [answered_by] = served_by(before, sessions(cluster), "rasa")
    assert answered_by != asked_by
    assert stored_events(cluster, sender) > events, "the answer's turn was not stored"
    for text in ("你好", f"查一下{JIANGCHENG}"):
        assert say(cluster, sender, text)
    cluster.wait_proxy_status(asked_by, up=False, timeout=10)
    dead = cluster.proxy_stats()[asked_by]
    print(
        f"\n{asked_by} killed; {answered_by} answered the form's next turn {answered_after:.2f} s later; the proxy "
        f"now shows {asked_by} {dead.status} (connection retries {dead.retries}, redispatched {dead.redispatches})"
    )

    cluster.start_replica(asked_by)  # and it comes back into rotation without a manual step on the proxy
    cluster.wait_proxy_status(asked_by, up=True, timeout=60)
