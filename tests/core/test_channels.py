"""The channels of the Rasa server (assistant_core/channels.py): who may speak as whom, and what every user gets.

The HTTP tests run the real Rasa server with the trained model, started with the command `make up` uses
(bot.runner.services), conversations in memory (endpoints.local.yml), the action server's URL pointing at a
port where nothing listens and the hand-off relay asking a real backend (over an empty database). The relay tests
without the server run the channel with a stand-in agent against that backend. .venv-rasa/bin/python -m pytest tests/core
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from assistant_core.channels import (
    JWT_AUDIENCE,
    TOO_LONG,
    TRY_AGAIN,
    Relay,
    TrustedInput,
    Turn,
    in_arrival_order,
    owned,
    visible,
)
from bot import runner
from bot.signing import sign, signed_headers, verify
from tests.core.support import MODEL
from tests.support.hung_server import HungServer
from tests.support.processes import BACKEND_PYTHON, ROOT, DemoBackend, Process, free_port
from tests.support.rasa_stack import model_server_settings, start_model_server

GREETING = "你好"
QUERY = "帮我查一下91220202MA0Y3K7Q6L的信用情况"  # runs a custom action


# -- order of arrival -------------------------------------------------------------------------------------------
def test_a_turn_waiting_for_the_action_server_keeps_its_place() -> None:
    log: list[str] = []

    async def turn(message: UserMessage) -> None:
        log.append(f"start {message.text}")
        await asyncio.sleep(0.02)  # the action-server call: without the channel's order, others start here
        log.append(f"end {message.text}")

    async def three_messages() -> None:
        handle = in_arrival_order(turn)
        messages = [
            UserMessage(text, CollectingOutputChannel(), sender) for text, sender in zip("abc", "xyz", strict=True)
        ]
        await asyncio.gather(*(handle(message) for message in messages))

    asyncio.run(three_messages())
    assert log == ["start a", "end a", "start b", "end b", "start c", "end c"]


def test_the_channels_of_a_worker_share_one_line() -> None:
    log: list[str] = []

    async def turn(message: UserMessage) -> None:
        log.append(f"start {message.text}")
        await asyncio.sleep(0.02)
        log.append(f"end {message.text}")

    async def two_channels() -> None:
        web, trusted = in_arrival_order(turn), in_arrival_order(turn)
        out = CollectingOutputChannel()
        await asyncio.gather(web(UserMessage("a", out)), trusted(UserMessage("b", out)))

    asyncio.run(two_channels())
    assert log == ["start a", "end a", "start b", "end b"]


def test_a_failed_turn_does_not_block_the_next() -> None:
    log: list[str] = []

    async def turn(message: UserMessage) -> None:
        if message.text == "boom":
            raise RuntimeError("turn failed")
        log.append(message.text)

    async def two_messages() -> list[object]:
        handle = in_arrival_order(turn)
        out = CollectingOutputChannel()
        return await asyncio.gather(
            handle(UserMessage("boom", out)), handle(UserMessage("ok", out)), return_exceptions=True
        )

    results = asyncio.run(two_messages())
    assert isinstance(results[0], RuntimeError) and log == ["ok"]


# -- pieces -----------------------------------------------------------------------------------------------------
def test_empty_parts_never_reach_the_user() -> None:
    # Rasa's collector splits a text at blank lines: "a\n\n\n\nb" gives an empty part between a and b.
    parts = [{"recipient_id": "u", "text": "a"}, {"recipient_id": "u", "text": ""}, {"recipient_id": "u", "text": "b"}]
    assert [m["text"] for m in visible(parts, "u")] == ["a", "b"]
    with_buttons = [{"recipient_id": "u", "text": " ", "buttons": [{"title": "是", "payload": "/affirm"}]}]
    assert visible(with_buttons, "u") == [{"recipient_id": "u", "buttons": [{"title": "是", "payload": "/affirm"}]}]
    assert visible([], "u") == [{"recipient_id": "u", "text": TRY_AGAIN}]
    assert visible([{"recipient_id": "u", "text": "\n"}], "u") == [{"recipient_id": "u", "text": TRY_AGAIN}]


def test_owned_namespaces() -> None:
    assert all(owned(s) for s in ("tg:1", "wx:o1", "staff:li", "web:abc", " TG:1", "Web :x"))
    assert not any(owned(s) for s in ("cli:me", "bench:1", "dev:tg:1", "tg", "telegram:1"))


def test_signatures() -> None:
    body = b'{"user": "1", "message": "hi"}'
    signature = sign("s3cret", "tg", 1_700_000_000, body)
    assert verify("s3cret", "tg", 1_700_000_000, body, signature, now=1_700_000_100)
    assert not verify("s3cret", "tg", 1_700_000_000, body, signature, now=1_700_000_301)  # too old
    assert not verify("s3cret", "tg", 1_700_000_000, body, signature, now=1_699_999_699)  # from the future
    assert not verify("s3cret", "wx", 1_700_000_000, body, signature, now=1_700_000_000)  # another channel
    assert not verify("s3cret", "tg", 1_700_000_000, body + b" ", signature, now=1_700_000_000)
    assert not verify("other", "tg", 1_700_000_000, body, signature, now=1_700_000_000)
    assert not verify("", "tg", 1_700_000_000, body, sign("", "tg", 1_700_000_000, body), now=1_700_000_000)
    assert not verify("s3cret", "tg", 1_700_000_000, body, "签名", now=1_700_000_000)
    headers = signed_headers("s3cret", "tg", body, now=1_700_000_000)
    assert headers == {"X-Channel": "tg", "X-Timestamp": "1700000000", "X-Signature": signature}


# -- the real server --------------------------------------------------------------------------------------------
class Rasa:
    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url, self.env = url, env

    def post(self, path: str, body: Any = None, raw: bytes | None = None, **headers: str) -> requests.Response:
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        return requests.post(
            f"{self.url}/webhooks/{path}",
            data=data,
            headers={"Content-Type": "application/json", **headers},
            timeout=120,
        )

    def trusted(
        self, body: dict[str, Any], channel: str = "tg", secret: str | None = None, **kw: Any
    ) -> requests.Response:
        raw = json.dumps(body, ensure_ascii=False).encode()
        secret = self.env[f"ASSISTANT_CHANNEL_SECRET_{channel.upper()}"] if secret is None else secret
        return self.post("trusted/webhook", raw=raw, **{**signed_headers(secret, channel, raw, **kw)})

    def session(self) -> dict[str, Any]:
        resp = self.post("web/session", {})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def web(self, token: str, body: dict[str, Any]) -> requests.Response:
        return self.post("web/webhook", body, Authorization=f"Bearer {token}")


@pytest.fixture(scope="module")
def rasa(tmp_path_factory: pytest.TempPathFactory, desk: DemoBackend) -> Iterator[Rasa]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    tmp = tmp_path_factory.mktemp("rasa")
    env = {**os.environ, **{name: secrets.token_urlsafe(32) for name in runner.SECRET_NAMES}}
    env.update(
        ASSISTANT_CHANNEL_SECRET_WX="",  # a channel without a secret is refused
        ASSISTANT_BIND_HOST="127.0.0.1",
        RASA_PORT=str(free_port()),
        RASA_ACTIONS_URL=f"http://127.0.0.1:{free_port()}/webhook",  # nothing listens there
        CREDIT_BACKEND_URL=desk.url,  # the hand-off relay asks a real backend
        CREDIT_BACKEND_TOKEN=DESK_TOKENS["assistant"],
        RASA_ENDPOINTS="endpoints.local.yml",
        SANIC_WORKERS="1",
        **model_server_settings(tmp),
    )
    runner.model_server_settings(env)
    for name in ("RASA_API_TOKEN", "ASSISTANT_MAX_MESSAGE_CHARS", "ASSISTANT_WEB_SESSION_TTL"):
        env.pop(name, None)
    services = {s.name: s for s in runner.services(env)}
    service = services["rasa"]
    assert "--enable-api" not in service.command
    models = start_model_server(services, env, tmp)
    process = Process("rasa", service.command, env, tmp).start()
    try:
        process.wait_healthy(service.health_url, 600)
        yield Rasa(service.health_url.rstrip("/"), env)
    finally:
        process.stop()
        models.stop()
        print(f"--- rasa log ---\n{process.log()[-4000:]}", file=sys.stderr)


def texts(resp: requests.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    answers = resp.json()
    assert answers and all(a.get("text", "").strip() or a.get("buttons") for a in answers), answers
    return [a.get("text", "") for a in answers]


def refused(resp: requests.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    return resp.json()["error"]["message"]


def test_health_answers_and_the_http_api_is_off(rasa: Rasa) -> None:
    assert requests.get(f"{rasa.url}/", timeout=10).status_code == 200
    for path in ("/status", "/conversations/tg:1/tracker", "/version"):
        assert requests.get(f"{rasa.url}{path}", timeout=10).status_code == 404
    assert requests.post(f"{rasa.url}/conversations/tg:1/tracker/events", json=[], timeout=10).status_code == 404


def test_trusted_channel_answers_a_signed_message_as_its_namespace(rasa: Rasa) -> None:
    resp = rasa.trusted({"user": "930001", "message": GREETING, "metadata": {"display_name": "王建国"}})
    assert texts(resp)
    assert {a["recipient_id"] for a in resp.json()} == {"tg:930001"}
    assert texts(rasa.trusted({"user": 930001, "message": GREETING}))  # a numeric id, as Telegram's


def test_trusted_channel_refuses_bad_signatures(rasa: Rasa) -> None:
    body = {"user": "930001", "message": GREETING}
    assert "签名" in refused(rasa.trusted(body, secret="guessed"), 401)
    assert "签名" in refused(rasa.trusted(body, now=time.time() - 600), 401)  # replayed later
    assert "签名" in refused(rasa.trusted(body, now=time.time() + 600), 401)
    assert "签名" in refused(rasa.trusted(body, channel="wx", secret=""), 401)  # no secret configured for wx
    assert "签名" in refused(rasa.trusted(body, channel="web", secret=rasa.env["ASSISTANT_CHANNEL_SECRET_TG"]), 401)
    assert "签名" in refused(rasa.post("trusted/webhook", body), 401)  # unsigned
    # A signature is for one body: another user's id under the same headers is refused.
    raw = json.dumps(body).encode()
    headers = signed_headers(rasa.env["ASSISTANT_CHANNEL_SECRET_TG"], "tg", raw)
    assert "签名" in refused(rasa.post("trusted/webhook", raw=raw.replace(b"930001", b"930002"), **headers), 401)


def test_trusted_channel_checks_the_user_and_the_body(rasa: Rasa) -> None:
    for user in ("tg:1 2", "930001\n", "", "王", True, None):
        assert refused(rasa.trusted({"user": user, "message": GREETING}), 400)
    assert refused(rasa.trusted({"message": GREETING}), 400)
    raw = b"[1, 2]"
    headers = signed_headers(rasa.env["ASSISTANT_CHANNEL_SECRET_TG"], "tg", raw)
    assert refused(rasa.post("trusted/webhook", raw=raw, **headers), 400)
    staff = rasa.trusted({"user": "li.hua", "message": GREETING}, channel="staff")
    assert {a["recipient_id"] for a in staff.json()} == {"staff:li.hua"}


def test_rest_channel_refuses_owned_namespaces_and_shared_conversations(rasa: Rasa) -> None:
    for sender in ("tg:930001", "web:abc", "staff:li", "wx:o1", " TG:930001"):
        assert "认证" in refused(rasa.post("rest/webhook", {"sender": sender, "message": GREETING}), 403)
    assert "sender" in refused(rasa.post("rest/webhook", {"message": GREETING}), 400)
    assert "sender" in refused(rasa.post("rest/webhook", {"sender": "", "message": GREETING}), 400)
    assert refused(rasa.post("rest/webhook", {"sender": ["tg:1"], "message": GREETING}), 400)
    resp = rasa.post("rest/webhook", {"sender": "cli:tester", "message": GREETING})
    assert texts(resp) and {a["recipient_id"] for a in resp.json()} == {"cli:tester"}


@pytest.mark.parametrize("raw", [b"[]", b'[{"sender": "cli:x", "message": "hi"}]', b"{not json", b"", b'"text"'])
def test_malformed_bodies_are_400_json_errors(rasa: Rasa, raw: bytes) -> None:
    assert "JSON" in refused(rasa.post("rest/webhook", raw=raw), 400)
    token = rasa.session()["token"]
    assert "JSON" in refused(rasa.post("web/webhook", raw=raw, Authorization=f"Bearer {token}"), 400)


def test_rest_message_without_text_is_refused(rasa: Rasa) -> None:
    assert "message" in refused(rasa.post("rest/webhook", {"sender": "cli:tester"}), 400)
    assert "message" in refused(rasa.post("rest/webhook", {"sender": "cli:tester", "message": {"a": 1}}), 400)


def test_web_session_gives_the_sender(rasa: Rasa) -> None:
    session = rasa.session()
    assert session["sender"].startswith("web:") and session["expires_in"] == 24 * 3600
    other = rasa.session()
    assert other["sender"] != session["sender"]
    # The client cannot choose who it is: a sender in the body is ignored.
    resp = rasa.web(session["token"], {"message": GREETING, "sender": "tg:930001"})
    assert texts(resp) and {a["recipient_id"] for a in resp.json()} == {session["sender"]}


def test_web_channel_refuses_forged_and_expired_tokens(rasa: Rasa) -> None:
    secret = rasa.env["ASSISTANT_WEB_SESSION_SECRET"]
    now = int(time.time())
    claims = {"sub": "web:" + uuid.uuid4().hex, "aud": JWT_AUDIENCE, "iat": now, "exp": now + 3600}
    forged = jwt.encode(claims, "guessed-secret", algorithm="HS256")
    expired = jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, secret, algorithm="HS256")
    other_namespace = jwt.encode({**claims, "sub": "tg:930001"}, secret, algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (forged, expired, other_namespace, unsigned, "not-a-token"):
        assert "会话" in refused(rasa.web(token, {"message": GREETING}), 401)
    assert "会话" in refused(rasa.post("web/webhook", {"message": GREETING}), 401)  # no token
    genuine = jwt.encode(claims, secret, algorithm="HS256")
    assert texts(rasa.web(genuine, {"message": GREETING}))


@pytest.mark.parametrize("channel", ["trusted", "web", "rest"])
def test_a_long_message_is_answered_without_the_nlu(rasa: Rasa, channel: str) -> None:
    message = "查" * 5000
    if channel == "trusted":
        resp = rasa.trusted({"user": "930009", "message": message})
    elif channel == "web":
        resp = rasa.web(rasa.session()["token"], {"message": message})
    else:
        resp = rasa.post("rest/webhook", {"sender": "cli:long", "message": message})
    assert texts(resp) == [TOO_LONG.format(length=5000, limit=1000)]


def test_a_message_at_the_limit_is_understood(rasa: Rasa) -> None:
    resp = rasa.post("rest/webhook", {"sender": "cli:limit", "message": GREETING + " " * 998})
    assert texts(resp) != [TOO_LONG.format(length=1000, limit=1000)]


def test_a_conversation_held_by_a_person_gets_an_empty_answer(rasa: Rasa, desk: DemoBackend) -> None:
    """Over the signed webhook: no "please try again", nothing for the bridge to send; the person has the message."""
    handoff_id = hand_off(desk, "tg:930020")
    resp = rasa.trusted({"user": "930020", "message": "我们的罚款已经交了"})
    assert resp.status_code == 200 and resp.json() == [], resp.text
    messages = call(desk, "GET", f"/handoffs/{handoff_id}")["messages"]
    assert messages[-1]["role"] == "user" and messages[-1]["text"] == "我们的罚款已经交了"
    call(desk, "POST", f"/handoffs/{handoff_id}/close")
    assert texts(rasa.trusted({"user": "930020", "message": GREETING}))  # the assistant answers again


def test_action_server_down_still_gets_a_polite_answer(rasa: Rasa) -> None:
    # Rasa logs the failed action and ends the turn without a word; the channel says "please try again".
    assert texts(rasa.trusted({"user": "930010", "message": QUERY})) == [TRY_AGAIN]


# -- hand-off relay (a real backend, no model: the agent is a stand-in that answers every message) ------------
DESK_TOKENS = {"assistant": "relay-test-assistant", "staff": "relay-test-staff", "admin": "relay-test-admin"}
AGENT_ANSWER = "智能助手的回答"


class Desk(DemoBackend):
    """The backend over an empty migrated database: hand-offs need no demo city."""

    def start(self) -> Desk:
        migrate = [str(BACKEND_PYTHON), "-m", "credit_backend.migrate"]
        subprocess.run(migrate, cwd=ROOT, env=self.env, check=True, capture_output=True)
        self.process.start().wait_healthy(f"{self.url}/healthz", 60)
        return self


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBackend]:
    server = Desk(tmp_path_factory.mktemp("desk"), DESK_TOKENS).start()
    try:
        yield server
    finally:
        server.stop()


def call(desk: DemoBackend, method: str, path: str, role: str = "staff", body: Any = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {DESK_TOKENS[role]}", "X-Actor": "counter01"}
    resp = requests.request(method, f"{desk.url}/api/v1{path}", json=body, headers=headers, timeout=10)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


def hand_off(desk: DemoBackend, sender: str, claim: bool = True) -> int:
    body = {"sender_id": sender, "summary": "用户要求人工服务", "transcript": [{"role": "user", "text": "转人工"}]}
    handoff_id = int(call(desk, "POST", "/handoffs", "assistant", body)["id"])
    if claim:
        call(desk, "POST", f"/handoffs/{handoff_id}/claim")
    return handoff_id


class StandIn:
    """The agent: records what reached it and answers each message once (or not at all when ``silent``)."""

    def __init__(self, silent: bool = False) -> None:
        self.heard: list[str] = []
        self.silent = silent

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message.text)
        if not self.silent:
            await message.output_channel.send_text_message(message.sender_id, AGENT_ANSWER)


def say(channel: TrustedInput, agent: StandIn, sender: str, text: str, **metadata: Any) -> list[dict[str, Any]]:
    async def one() -> list[dict[str, Any]]:
        try:
            return await channel.answer(agent, Turn(sender, text, metadata))
        finally:
            await channel.relay.close()

    return asyncio.run(one())


def relay_to(url: str, token: str = DESK_TOKENS["assistant"]) -> TrustedInput:
    return TrustedInput(relay=Relay(url, token))


def test_while_a_person_holds_the_conversation_the_assistant_is_silent(desk: DemoBackend) -> None:
    channel, agent, sender = relay_to(desk.url), StandIn(), "tg:880001"
    assert [a["text"] for a in say(channel, agent, sender, "你好")] == [AGENT_ANSWER]  # no hand-off: the agent

    handoff_id = hand_off(desk, sender, claim=False)
    assert [a["text"] for a in say(channel, agent, sender, "有人吗")] == [AGENT_ANSWER]  # waiting: still the agent
    call(desk, "POST", f"/handoffs/{handoff_id}/claim")

    assert say(channel, agent, sender, "我们的罚款已经交了") == []  # the person answers, through notifications
    assert say(channel, agent, sender, "/affirm", button_title="是") == []
    assert agent.heard == ["你好", "有人吗"]
    said = [(m["role"], m["text"]) for m in call(desk, "GET", f"/handoffs/{handoff_id}")["messages"]]
    assert said[-2:] == [("user", "我们的罚款已经交了"), ("user", "是")]

    call(desk, "POST", f"/handoffs/{handoff_id}/close")
    assert [a["text"] for a in say(channel, agent, sender, "谢谢")] == [AGENT_ANSWER]  # the assistant is back
    assert agent.heard[-1] == "谢谢"


def test_staff_senders_and_long_messages_are_not_relayed(desk: DemoBackend) -> None:
    channel, agent = relay_to(desk.url), StandIn()
    hand_off(desk, "staff:li.hua")  # a counter account that asked for a person still talks to the assistant
    assert [a["text"] for a in say(channel, agent, "staff:li.hua", "你好")] == [AGENT_ANSWER]
    hand_off(desk, "wx:o880002")
    long = "查" * (channel.max_chars + 1)
    assert [a["text"] for a in say(channel, agent, "wx:o880002", long)] == [
        TOO_LONG.format(length=len(long), limit=channel.max_chars)
    ]
    assert say(channel, agent, "wx:o880002", "在吗") == []


def test_an_agent_without_an_answer_still_says_try_again(desk: DemoBackend) -> None:
    """Only a relayed message gets the empty answer; a turn that produced nothing still gets "please try again"."""
    assert say(relay_to(desk.url), StandIn(silent=True), "tg:880003", "你好") == [
        {"recipient_id": "tg:880003", "text": TRY_AGAIN}
    ]


def test_backend_down_hung_or_refusing_the_assistant_answers(
    desk: DemoBackend, caplog: pytest.LogCaptureFixture
) -> None:
    sender = "tg:880004"
    hand_off(desk, sender)
    agent = StandIn()
    with caplog.at_level("WARNING", logger="assistant_core.channels"):
        closed = f"http://127.0.0.1:{free_port()}"
        assert [a["text"] for a in say(relay_to(closed), agent, sender, "一")] == [AGENT_ANSWER]
        with HungServer() as hung:
            started = time.monotonic()
            assert [a["text"] for a in say(relay_to(hung.url), agent, sender, "二")] == [AGENT_ANSWER]
            waited = time.monotonic() - started
        assert 0.9 <= waited < 2.0, waited  # the relay's 1 s timeout, then the answer
        with HungServer(answer_503=True) as failing:
            assert [a["text"] for a in say(relay_to(failing.url), agent, sender, "三")] == [AGENT_ANSWER]
        assert [a["text"] for a in say(relay_to(desk.url, "wrong-token"), agent, sender, "四")] == [AGENT_ANSWER]
    assert agent.heard == ["一", "二", "三", "四"]
    warnings = [r.getMessage() for r in caplog.records if "relay" in r.getMessage()]
    assert len(warnings) == 4, warnings
    assert say(relay_to(desk.url), agent, sender, "五") == []  # the real backend: relayed


def test_relay_cost_on_localhost(desk: DemoBackend) -> None:
    """What every tg/wx message pays: one keep-alive request to the backend (printed; generous bound)."""
    relay, rounds = Relay(desk.url, DESK_TOKENS["assistant"]), 200

    async def measure() -> list[float]:
        times = []
        try:
            for i in range(rounds):
                started = time.perf_counter()
                assert await relay.relayed(f"tg:77{i % 50:04d}", "你好") is False
                times.append(time.perf_counter() - started)
        finally:
            await relay.close()
        return sorted(times)

    times = asyncio.run(measure())
    p50, p95 = times[rounds // 2] * 1000, times[int(rounds * 0.95)] * 1000
    print(f"hand-off relay on localhost: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {rounds} calls")
    assert p50 < 50, (p50, p95)
