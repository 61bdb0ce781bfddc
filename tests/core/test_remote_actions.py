"""assistant_core/remote_actions.py: the action server's answers are checked as Rasa checks them, the requests
of one worker keep their connection, against a real HTTP server on a free port, and a call carries the recent turns
from which the actions read the same as from the whole conversation.

.venv-rasa/bin/python -m pytest tests/core/test_remote_actions.py
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
import yaml
from aiohttp import web
from rasa.core import run as rasa_run
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk import Tracker as SdkTracker

from actions import common, forms_base, handoff
from assistant_core import remote_actions
from tests.core.support import LOOP, ROOT, run
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


def test_install_puts_all_four_in_rasas_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    monkeypatch.setattr(EndpointConfig, "request", EndpointConfig.request)
    monkeypatch.setattr(rasa_run, "close_resources", rasa_run.close_resources)
    remote_actions.install()
    assert RemoteAction._validate_action_result is remote_actions.validate_action_result
    assert RemoteAction._action_call_format is remote_actions.action_call_format
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


# -- the conversation sent with a call -------------------------------------------------------------------------

CODE, OTHER_CODE = "91220202MA0Y3K7Q6L", "91220204MA84R2XF4W"
DOMAIN = Domain.load(str(ROOT / "domain"))


def _user(text: str, intent: str, **entities: str) -> UserUttered:
    found = [{"entity": kind, "value": value, "start": 0, "end": len(value)} for kind, value in entities.items()]
    ranking = [{"name": intent, "confidence": 0.9}, *({"name": f"other_{n}", "confidence": 0.01} for n in range(9))]
    parse = {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": found}
    return UserUttered(text, ranking[0], found, parse_data=parse)


def _turn(text: str, intent: str, action: str, answer: str, *after: Any, **entities: str) -> list[Any]:
    return [_user(text, intent, **entities), ActionExecuted(action), *after, BotUttered(answer), _listen()]


def _listen() -> ActionExecuted:
    return ActionExecuted("action_listen")


def conversation(queries: int, *, revert_early: bool = False) -> DialogueStateTracker:
    """A session of ``queries`` credit queries, then a repair form whose entity was given several turns before the
    latest message, which names another entity."""
    events: list[Any] = [ActionExecuted("action_session_start"), SessionStarted(), _listen()]
    for n in range(queries):
        events += _turn(
            f"查一下{CODE}",
            "query_credit",
            "action_query_credit",
            f"第{n}次查询结果",
            SlotSet("last_uscc", CODE),
            uscc=CODE,
        )
        if revert_early and n == 0:
            events += [_user("撤回", "back"), UserUtteranceReverted(), _listen()]
    events += _turn(
        "申请信用修复",
        "apply_repair",
        "repair_form",
        "请问是哪家企业？",
        ActiveLoop("repair_form"),
        SlotSet("requested_slot", "uscc"),
    )
    events += _turn(
        CODE,
        "inform",
        "repair_form",
        "请选择要修复的记录",
        SlotSet("uscc", CODE),
        SlotSet("requested_slot", "record_id"),
        uscc=CODE,
    )
    for question in ("修复要多久", "要交钱吗", "修复后多久撤下公示"):
        events += _turn(
            question, "faq", "utter_faq", "……", ActionExecuted("repair_form"), SlotSet("requested_slot", "record_id")
        )
    events += [
        _user(f"不对，换成{OTHER_CODE}", "inform", uscc=OTHER_CODE),
        ActionExecuted("repair_form"),
        SlotSet("uscc", OTHER_CODE),
    ]
    tracker = DialogueStateTracker.from_events("s", [], slots=DOMAIN.slots)
    for event in events:
        tracker.update(event)
    return tracker


def sent(tracker: DialogueStateTracker, action: str = "validate_repair_form", **options: Any) -> dict[str, Any]:
    """What the Rasa server sends to the action server for ``action``, as read by rasa_sdk."""
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", **options)
    return remote_actions.action_call_format(RemoteAction(action, endpoint), tracker, DOMAIN)


def sdk_tracker(call: dict[str, Any]) -> SdkTracker:
    return SdkTracker.from_dict(json.loads(json.dumps(call["tracker"])))


def test_a_call_carries_the_recent_turns_and_the_actions_read_the_same() -> None:
    tracker = conversation(20)
    whole, recent = sent(tracker), sent(tracker, recent_turns=3)
    assert whole == RemoteAction._action_call_format(RemoteAction("validate_repair_form", None), tracker, DOMAIN)
    full, cut = sdk_tracker(whole), sdk_tracker(recent)
    assert len(cut.events) < 30 < 100 < len(full.events)
    # Rasa's own state goes as before.
    assert {k: v for k, v in recent["tracker"].items() if k != "events"} == {
        k: v for k, v in whole["tracker"].items() if k != "events"
    }
    # What the actions read from the events: the same.
    assert forms_base.previous_slot_value(cut, "uscc") == forms_base.previous_slot_value(full, "uscc") == CODE
    assert forms_base.typed_text(cut) == forms_base.typed_text(full) == f"不对，换成{OTHER_CODE}"
    assert not forms_base.started_this_turn(cut, "repair_form") and not forms_base.started_this_turn(
        full, "repair_form"
    )
    assert common.filed_in_last_turn(cut) is common.filed_in_last_turn(full) is None
    assert cut.slots_to_validate() == full.slots_to_validate() == {"uscc": OTHER_CODE}
    recent_lines = handoff.transcript(cut.events)
    assert recent_lines and recent_lines == handoff.transcript(full.events)[-len(recent_lines) :]
    # However long the conversation, the call does not grow.
    assert len(sent(conversation(60), recent_turns=3)["tracker"]["events"]) == len(recent["tracker"]["events"])


def test_the_hand_off_and_an_endpoint_without_the_option_get_every_event() -> None:
    tracker = conversation(20)
    every = [event.as_dict() for event in tracker.events]
    assert (
        sent(tracker, "action_handoff", recent_turns=3, whole_conversation_actions=["action_handoff"])["tracker"][
            "events"
        ]
        == every
    )
    assert sent(tracker)["tracker"]["events"] == every


def test_a_reverted_turn_before_the_cut_sends_every_event() -> None:
    tracker = conversation(20, revert_early=True)
    assert sent(tracker, recent_turns=3)["tracker"]["events"] == [event.as_dict() for event in tracker.events]


def test_the_values_before_the_cut_start_from_the_latest_session() -> None:
    events = list(conversation(3).events)
    restarted = [*events, Restarted(), _listen(), *_turn("查一下", "query_credit", "action_query_credit", "哪家？")]
    for n in range(4):
        restarted += _turn(f"第{n}句", "faq", "utter_faq", "……")
    recent = remote_actions.recent_events(restarted, 3)
    names = [event.type_name for event in recent[: recent.index(next(e for e in recent if isinstance(e, UserUttered)))]]
    assert names == ["restart"]  # nothing set before the restart is carried over


@pytest.mark.parametrize("path", ["endpoints.yml", "endpoints.local.yml"])
def test_the_actions_that_get_every_event_exist(path: str) -> None:
    options = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))["action_endpoint"]
    assert options["recent_turns"] >= 2  # filed_in_last_turn reads the previous turn's answer
    assert set(options["whole_conversation_actions"]) <= set(DOMAIN.user_actions)
