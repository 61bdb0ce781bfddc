"""assistant_core/remote_actions.py: the action server's answers are checked as Rasa checks them, and the requests
of one worker keep their connection, against a real HTTP server on a free port.

.venv-rasa/bin/python -m pytest tests/core/test_remote_actions.py
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from rasa.core import run as rasa_run
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from assistant_core import remote_actions
from tests.core.support import LOOP, run
from tests.support.processes import free_port

VALID = {"events": [{"event": "slot", "name": "uscc", "value": "91220202MA0Y3K7Q6L"}], "responses": [{"text": "好"}]}
INVALID = [{"events": "not a list"}, {"events": [{"event": "no such event"}]}, {"responses": [1]}]


def test_a_valid_answer_passes() -> None:
    assert remote_actions.validate_action_result(RemoteAction("x", None), VALID)
    assert remote_actions.validate_action_result(RemoteAction("x", None), {})


@pytest.mark.parametrize("answer", INVALID)
def test_an_invalid_answer_fails_as_in_rasa(answer: dict[str, Any]) -> None:
    action = RemoteAction("x", None)
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        RemoteAction._validate_action_result(action, dict(answer))
    with pytest.raises(jsonschema.ValidationError) as ours:
        remote_actions.validate_action_result(action, dict(answer))
    assert ours.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in ours.value.message


class Server:
    """An HTTP server that records the client port and the Authorization header of every request."""

    def __init__(self) -> None:
        self.port = free_port()
        self.seen: list[tuple[int, str | None]] = []
        self.runner: web.AppRunner | None = None

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.seen.append((peer[1] if peer else -1, request.headers.get("Authorization")))
        body = await request.json()
        if body.get("fail"):
            return web.json_response({"error": "nope"}, status=400)
        if body.get("plain"):
            return web.Response(text="ok")
        return web.json_response({"echo": body, "params": dict(request.query)})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self.webhook)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
def server() -> Iterator[Server]:
    server = Server()
    run(server.start())
    yield server
    run(remote_actions.close_sessions())
    run(server.stop())


@pytest.fixture
def endpoint(server: Server) -> EndpointConfig:
    return EndpointConfig(f"http://127.0.0.1:{server.port}/webhook", headers={"Authorization": "Bearer t"}, token="k")


def test_requests_of_a_worker_share_one_connection(server: Server, endpoint: EndpointConfig) -> None:
    answers = [run(remote_actions.request(endpoint, json={"n": n})) for n in range(3)]
    assert [a["echo"] for a in answers] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert answers[0]["params"] == {"token": "k"}  # the endpoint's token parameter, as Rasa sends it
    ports = {port for port, _ in server.seen}
    assert len(server.seen) == 3 and len(ports) == 1, server.seen
    assert {auth for _, auth in server.seen} == {"Bearer t"}


def test_answers_other_than_json_and_errors_as_in_rasa(endpoint: EndpointConfig) -> None:
    assert run(remote_actions.request(endpoint, json={"plain": True})) is None
    with pytest.raises(ClientResponseError) as error:
        run(remote_actions.request(endpoint, json={"fail": True}))
    assert error.value.status == 400
    assert b"nope" in error.value.text


def test_a_restarted_server_gets_the_next_request(server: Server, endpoint: EndpointConfig) -> None:
    assert run(remote_actions.request(endpoint, json={"n": 1}))["echo"] == {"n": 1}
    run(server.stop())
    run(server.start())
    assert run(remote_actions.request(endpoint, json={"n": 2}))["echo"] == {"n": 2}
    assert len({port for port, _ in server.seen}) == 2  # a new connection after the restart


def test_install_puts_all_three_in_rasas_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(EndpointConfig, "request", EndpointConfig.request)
    monkeypatch.setattr(rasa_run, "close_resources", rasa_run.close_resources)
    remote_actions.install()
    assert RemoteAction._validate_action_result is remote_actions.validate_action_result
    assert EndpointConfig.request is remote_actions.request
    assert rasa_run.close_resources is remote_actions.close_resources


class Broker:
    """An event broker that records being closed, as the agent's tracker store holds one."""

    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


def test_a_stopping_worker_closes_what_rasa_closes_and_its_connections(
    server: Server, endpoint: EndpointConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rasa_run, "close_resources", rasa_run.close_resources)
    remote_actions.install()
    remote_actions.install()  # installing twice still calls Rasa's own once, not itself
    assert run(remote_actions.request(endpoint, json={"n": 1}))["echo"] == {"n": 1}
    (session,) = remote_actions._SESSIONS[LOOP].values()
    broker = Broker()
    app = SimpleNamespace(
        ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=SimpleNamespace(event_broker=broker)))
    )
    run(rasa_run.close_resources(app, LOOP))  # as serve_application registered it, for "after_server_stop"
    assert broker.closed and session.closed
    assert run(remote_actions.request(endpoint, json={"n": 2}))["echo"] == {"n": 2}
    assert len({port for port, _ in server.seen}) == 2  # the first connection was closed with its session
