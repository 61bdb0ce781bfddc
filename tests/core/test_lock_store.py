"""The conversation lock across servers: Rasa's RedisLockStore races (Rasa issue 9213), OrderedRedisLockStore holds.

Every "server" here is its own lock store object, and in the cross-process tests its own process, on the real Redis
at 127.0.0.1:6379, database 15 (emptied before and after each test).
.venv-rasa/bin/python -m pytest tests/core/test_lock_store.py
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import read_endpoint_config

from assistant_core.lock_store import OrderedRedisLockStore
from tests.core.support import ROOT

DB = 15
CONVERSATION = "tg:4242"
FORK = multiprocessing.get_context("fork")


@pytest.fixture
def red() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379, db=DB)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis must be running at 127.0.0.1:6379 (.ci/run starts it)")
    client.flushdb()
    yield client
    client.flushdb()


def ours(lifetime: float = 60.0) -> OrderedRedisLockStore:
    return OrderedRedisLockStore(host="127.0.0.1", port=6379, db=DB, key_prefix="credit", lifetime=lifetime)


def test_rasas_redis_lock_store_serves_two_servers_at_once(red: redis.Redis) -> None:
    """Two servers receive a message of one conversation at the same moment. Rasa's issue_ticket is
    get_or_create_lock (GET), issue on the copy, save_lock (SET): replayed step by step as two processes
    interleave them, both get ticket 0 and both are let in."""
    server_a = RedisLockStore(host="127.0.0.1", port=6379, db=DB, key_prefix="credit")
    server_b = RedisLockStore(host="127.0.0.1", port=6379, db=DB, key_prefix="credit")

    lock_a = server_a.get_or_create_lock(CONVERSATION)
    lock_b = server_b.get_or_create_lock(CONVERSATION)
    ticket_a = lock_a.issue_ticket(60)
    ticket_b = lock_b.issue_ticket(60)
    server_a.save_lock(lock_a)
    server_b.save_lock(lock_b)  # overwrites server A's ticket

    assert ticket_a == ticket_b == 0
    # What each server's _acquire_lock then sees: the lock is not locked for its ticket, so both turns run.
    stored = server_a.get_lock(CONVERSATION)
    assert stored is not None and len(stored.tickets) == 1, "one of the two tickets was lost"
    assert not stored.is_locked(ticket_a) and not server_b.get_lock(CONVERSATION).is_locked(ticket_b)


def test_ours_issues_each_server_its_own_place_in_arrival_order(red: redis.Redis) -> None:
    """The same two servers with OrderedRedisLockStore: issuing is one atomic step, so the second ticket
    waits for the first, and is served once the first is released."""
    server_a, server_b = ours(), ours()
    first = server_a.issue(CONVERSATION)
    second = server_b.issue(CONVERSATION)

    assert second.number == first.number + 1
    assert server_a.poll(first) == 0  # served
    assert server_b.poll(second) == 1  # one ticket before it
    assert server_a.release(first)
    assert server_b.poll(second) == 0
    assert server_b.release(second)
    assert red.keys("*") == [], "an empty queue leaves no key behind"


def _turns(server: int, turns: int, started: multiprocessing.synchronize.Event) -> None:
    """One server: ``turns`` turns of the conversation, each a read-modify-write of the stored "conversation"
    inside the lock, recording which ticket was served and whether another turn was inside at the same time."""
    store = ours()
    red = redis.Redis(host="127.0.0.1", port=6379, db=DB)
    started.wait()

    async def turn(index: int) -> None:
        async with store.lock(CONVERSATION) as held:
            if red.incr("inside") != 1:
                red.incr("overlaps")
            length = int(red.get("turns") or 0)  # the turn reads the conversation…
            await asyncio.sleep(0.002)  # …works (a policy, an action)…
            red.set("turns", length + 1)  # …and stores it: lost if another turn ran meanwhile
            red.rpush("served", held.tickets[0].number)
            red.rpush("who", f"{server}:{index}")
            red.decr("inside")

    async def all_turns() -> None:
        await asyncio.gather(*(turn(index) for index in range(turns)))

    asyncio.run(all_turns())


def test_turns_from_three_servers_run_one_at_a_time_in_ticket_order(red: redis.Redis) -> None:
    servers, turns = 3, 20
    started = FORK.Event()
    processes = [FORK.Process(target=_turns, args=(server, turns, started)) for server in range(servers)]
    for process in processes:
        process.start()
    started.set()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0

    served = [int(number) for number in red.lrange("served", 0, -1)]
    print(f"{len(served)} turns from {servers} processes, overlaps {int(red.get('overlaps') or 0)}")
    assert int(red.get("turns") or 0) == servers * turns, "a turn's write was lost"
    assert red.get("overlaps") is None, "two turns of the conversation ran at once"
    assert served == sorted(served) and len(set(served)) == servers * turns, "not served in the order of arrival"
    assert len(set(red.lrange("who", 0, -1))) == servers * turns
    assert red.keys("credit:turnlock:*") == []


def _hold_forever(held: multiprocessing.synchronize.Event) -> None:
    store = ours(lifetime=1.0)

    async def hold() -> None:
        async with store.lock(CONVERSATION):
            held.set()
            await asyncio.sleep(3600)

    asyncio.run(hold())


def test_a_long_turn_keeps_the_lock_and_a_crashed_holder_lets_go_after_its_lifetime(red: redis.Redis) -> None:
    """A holder whose turn outlasts the lifetime renews its lease and keeps the lock; killed (SIGKILL: no
    release), its lease expires and the next turn is served without any manual step."""
    held = FORK.Event()
    holder = FORK.Process(target=_hold_forever, args=(held,))
    holder.start()
    try:
        assert held.wait(30)
        waiter = ours(lifetime=1.0)
        ticket = waiter.issue(CONVERSATION)
        deadline = time.monotonic() + 3.5  # three and a half lifetimes
        while time.monotonic() < deadline:
            assert waiter.poll(ticket) == 1, "the waiter got in while the holder was alive"
            time.sleep(0.1)
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(10)

        async def next_turn() -> int:
            await waiter.acquire(ticket)
            return waiter.poll(ticket)

        assert asyncio.run(asyncio.wait_for(next_turn(), 30)) == 0
        assert waiter.release(ticket)
    finally:
        if holder.is_alive():
            holder.kill()
            holder.join(10)


def test_a_waiter_that_stopped_polling_does_not_block_the_queue(red: redis.Redis) -> None:
    store = ours(lifetime=0.5)
    first = store.issue(CONVERSATION)
    gone = store.issue(CONVERSATION)  # its server dies while waiting: it never polls again
    time.sleep(0.3)
    assert store.poll(first) == 0  # the holder works on, renewing its lease
    last = store.issue(CONVERSATION)
    time.sleep(0.3)  # the dead waiter's lease has run out, the others' have not
    assert store.poll(last) == 1  # only the holder is before it
    assert store.release(first)
    assert store.poll(last) == 0
    assert store.poll(gone) == -1

    async def waits_for_a_lost_ticket() -> None:
        await store.acquire(gone)

    with pytest.raises(LockError):
        asyncio.run(waits_for_a_lost_ticket())


def test_a_lock_released_after_redis_lost_its_keys_is_harmless(red: redis.Redis) -> None:
    """Redis restarted without the lock's keys during a turn: the release finds nothing and the next turn runs."""
    store = ours()

    async def turn_across_a_redis_restart() -> None:
        async with store.lock(CONVERSATION):
            red.flushdb()

    asyncio.run(turn_across_a_redis_restart())
    assert asyncio.run(_one_turn(store)) == "served"


async def _one_turn(store: OrderedRedisLockStore) -> str:
    async with store.lock(CONVERSATION):
        return "served"


def test_endpoints_yml_configures_this_store(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "RASA_ACTIONS_URL": "http://127.0.0.1:5055/webhook",
        "ACTION_SERVER_TOKEN": "t",
        "RASA_MODEL_SERVER_URL": "http://127.0.0.1:5006/model",
        "MODEL_SERVER_TOKEN": "t",
        "RASA_MODEL_PULL_SECONDS": "10",
        "RASA_REDIS_HOST": "127.0.0.1",
        "RASA_REDIS_PORT": "6379",
        "RASA_REDIS_DB": str(DB),
        "RASA_REDIS_PASSWORD": "",
    }.items():
        monkeypatch.setenv(name, value)
    store = LockStore.create(read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store"))
    assert isinstance(store, OrderedRedisLockStore)
    assert store.key_prefix == "credit:turnlock" and store.lifetime == 10 and store.poll_interval == 0.05
    assert asyncio.run(_one_turn(store)) == "served"
    local = read_endpoint_config(str(ROOT / "endpoints.local.yml"), "lock_store")
    assert local is None, "endpoints.local.yml keeps Rasa's in-memory lock store (one worker)"
