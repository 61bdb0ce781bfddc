"""Promotion without downtime: a real Rasa server with two workers pulls its model from the model server; while
16 scripted conversations talk to it over the REST channel, another model is promoted (then rolled back) in the
registry. No request fails, no reply is empty, conversations in the middle of a form finish it, and afterwards
both workers answer with the new model.

The model server runs in this process (training.model_server.ModelServer, the class `make up` runs), so the
test sees each archive it sends and the model each worker (by pid) says it serves at its pulls. Rasa's
``GET /status`` (API on, with a token) names the model the answering worker has loaded (``model_file``: the
model server's ``filename``, ``<id>.tar.gz``).
"""

from __future__ import annotations

import os
import re
import secrets
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import redis
import requests

from bot import runner
from tests.retrain.conftest import Retrained
from tests.support.processes import DemoBackend, Process, free_port, wait_until
from training.model_server import ModelServer
from training.registry import Registry

REDIS_DB = "13"
TOKENS = {"assistant": "retrain-assistant", "staff": "retrain-staff", "admin": "retrain-admin"}
JIANGCHENG = "91220202MA0Y3K7Q6L"
MID_FORM = 8  # conversations that start 核验报告 before the switch and finish it after
TRAFFIC = 8  # conversations that keep querying (query_form) and greeting through the switch
WORKERS = 2


@dataclass
class Stack:
    rasa_url: str
    api_token: str
    server: ModelServer
    registry: Registry
    latencies: list[float] = field(default_factory=list)

    def say(self, sender: str, text: str) -> str:
        """One turn over the REST channel, on a new connection (so turns spread over both workers)."""
        started = time.monotonic()
        resp = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=600
        )
        self.latencies.append(time.monotonic() - started)
        assert resp.status_code == 200, f"{text!r} → HTTP {resp.status_code}: {resp.text[:300]}"
        answers = resp.json()
        assert answers, f"{text!r} got no reply"
        for answer in answers:
            assert answer.get("text", "").strip() or answer.get("buttons") or answer.get("custom"), answers
        return "\n".join(a.get("text", "") for a in answers)

    def model_file(self) -> str:
        resp = requests.get(f"{self.rasa_url}/status", params={"token": self.api_token}, timeout=300)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["model_file"])


@pytest.fixture(scope="module")
def stack(retrained: Retrained, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    registry = retrained.registry
    assert retrained.result.returncode != 1, f"the retrain failed:\n{retrained.result.stdout}"
    tmp = tmp_path_factory.mktemp("promotion")
    backend = DemoBackend(tmp, TOKENS).start()
    token = secrets.token_urlsafe(32)
    server = ModelServer(("127.0.0.1", 0), registry, token)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, **{name: secrets.token_urlsafe(32) for name in runner.SECRET_NAMES}}
    env.update(
        ASSISTANT_BIND_HOST="127.0.0.1",
        ACTIONS_PORT=str(free_port()),
        RASA_PORT=str(free_port()),
        RASA_REDIS_DB=REDIS_DB,
        SANIC_WORKERS=str(WORKERS),
        RASA_API_TOKEN=secrets.token_urlsafe(24),
        CREDIT_BACKEND_URL=backend.url,
        CREDIT_BACKEND_TOKEN=TOKENS["assistant"],
        RASA_MODEL_SERVER_URL=server.url,
        MODEL_SERVER_TOKEN=token,
        RASA_MODEL_PULL_SECONDS="2",
    )
    env["RASA_ENDPOINTS"] = runner.rasa_endpoints(env)
    assert env["RASA_ENDPOINTS"] == "endpoints.yml", "Redis must be running at 127.0.0.1:6379"
    red = redis.Redis(host="127.0.0.1", port=6379, db=int(REDIS_DB))
    red.flushdb()
    services = {s.name: s for s in runner.services(env)}
    actions = Process("actions", services["actions"].command, env, tmp).start()
    rasa = Process("rasa", services["rasa"].command, env, tmp).start()
    try:
        actions.wait_healthy(services["actions"].health_url, 180)
        rasa.wait_healthy(services["rasa"].health_url, 600)
        yield Stack(services["rasa"].health_url.rstrip("/"), env["RASA_API_TOKEN"], server, registry)
    finally:
        rasa.stop()
        actions.stop()
        backend.stop()
        server.shutdown()
        server.server_close()
        red.flushdb()
        print(f"--- rasa log ---\n{rasa.log()[-4000:]}", file=sys.stderr)


def mid_form(stack: Stack, sender: str, asked: threading.Semaphore, switched: threading.Event) -> None:
    """Gets a credit report, starts 核验报告 and gives the number; the code only once the model has changed."""
    issued = stack.say(sender, f"出一份{JIANGCHENG}的信用报告")
    number = re.search(r"报告编号：(XYBG-\d{8}-\d{5})", issued)
    code = re.search(r"核验码：([2-9A-Z]{4}-[2-9A-Z]{4})", issued)
    assert number and code, issued
    assert "报告编号" in stack.say(sender, "核验报告")
    question = stack.say(sender, number.group(1))
    assert "核验码" in question and "真实有效" not in question, question
    asked.release()
    # switch_during_traffic sets it, after the switch or when it gave up waiting (then it fails the test itself).
    switched.wait()
    assert "报告真实有效" in stack.say(sender, code.group(1).lower())


def traffic(stack: Stack, sender: str, switched: threading.Event) -> int:
    """Greets and queries (query_form: asked the entity, then the profile) until one round after the switch."""
    rounds, after = 0, 0
    while after < 1:
        after += switched.is_set()
        assert stack.say(sender, "你好")
        assert "统一社会信用代码" in stack.say(sender, "查信用")
        assert "江城建材" in stack.say(sender, JIANGCHENG)
        rounds += 1
    return rounds


def switch_during_traffic(stack: Stack, switch: Callable[[], str], phase: str) -> tuple[str, int]:
    """Runs the 16 conversations, calls ``switch`` (returns the id now in service) once every mid-form
    conversation waits for its last answer, waits until each worker has fetched that model, and checks
    /status on fresh connections. Returns (new id, traffic rounds)."""
    asked, switched = threading.Semaphore(0), threading.Event()
    ready = 0
    with ThreadPoolExecutor(MID_FORM + TRAFFIC) as pool:
        forms: list[Future[None]] = [
            pool.submit(mid_form, stack, f"retrain:{phase}-form-{i}-{uuid.uuid4().hex[:6]}", asked, switched)
            for i in range(MID_FORM)
        ]
        talks: list[Future[int]] = [
            pool.submit(traffic, stack, f"retrain:{phase}-talk-{i}-{uuid.uuid4().hex[:6]}", switched)
            for i in range(TRAFFIC)
        ]
        try:
            while ready < MID_FORM:
                if asked.acquire(timeout=5):
                    ready += 1
                for future in forms + talks:
                    if future.done():
                        future.result()  # raises what went wrong
                        raise AssertionError("a conversation ended before the switch")
            before = dict(stack.server.downloads)
            new_id = switch()
            # Each worker fetches it (one after the other), loads it while answering, then pulls naming it.
            wait_until(
                lambda: len(stack.server.workers) == WORKERS and set(stack.server.workers.values()) == {new_id},
                1800,
                f"both Rasa workers to serve {new_id}",
            )
        finally:
            switched.set()
        for future in forms:
            future.result()
        rounds = sum(future.result() for future in talks)
    assert stack.server.downloads.get(new_id, 0) - before.get(new_id, 0) == WORKERS
    assert {stack.model_file() for _ in range(20)} == {f"{new_id}.tar.gz"}
    return new_id, rounds


def test_promotion_and_rollback_during_16_conversations(stack: Stack, retrained: Retrained) -> None:
    registry = stack.registry
    previous = registry.current_id()
    [candidate] = [e.id for e in registry.entries() if not e.current]
    assert previous is not None and stack.model_file() == f"{previous}.tar.gz"
    started = time.monotonic()

    # The refused candidate is promoted by hand (an admin overriding the gate): what matters here is the switch.
    new_id, rounds = switch_during_traffic(stack, lambda: registry.promote(candidate).id, "promote")
    assert new_id == candidate and registry.current_id() == candidate
    # `make rollback` does the same through the registry: back to the model in service before.
    back_id, more = switch_during_traffic(stack, lambda: registry.rollback().id, "rollback")
    assert back_id == previous and registry.current_id() == previous

    lat = sorted(stack.latencies)
    print(
        f"\npromotion + rollback: {time.monotonic() - started:.0f} s, {len(lat)} turns "
        f"({rounds + more} query rounds), turn latency p50 {statistics.median(lat):.2f} s, max {lat[-1]:.2f} s"
    )
