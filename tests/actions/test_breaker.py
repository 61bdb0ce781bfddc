"""A hung or failing backend: short timeouts and a circuit breaker, so one outage does not stall every turn.

The breaker's state and the connections the backend saw are asserted, never durations.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from actions.backend import (
    DEFAULT_BREAKER_FAILURES,
    DEFAULT_BREAKER_RESET,
    BackendUnavailable,
    CreditBackend,
    default_timeout,
    new_breaker,
    set_client,
)
from actions.messages import unavailable_text
from credit_backend.rules.uscc import make_uscc
from tests.actions.harness import ASSISTANT_TOKEN, BackendProcess, Chat, Turn
from tests.support.hung_server import HungServer
from tests.support.processes import free_port

JIANGCHENG = "91220202MA0Y3K7Q6L"
UNKNOWN = make_uscc("91", "220202", "MA0Y9999")  # a valid code of no entity: the backend answers 404
RESET = 1.0  # seconds the test breaker stays open (20 in production)


def query(chat: Chat, code: str = JIANGCHENG) -> Turn:
    """One user turn that asks the backend once: a credit query by code."""
    chat.user(f"查一下{code}", "query_credit", {"uscc": code})
    return chat.run("action_query_credit")


def client_for(url: str) -> CreditBackend:
    """The actions' process-wide client at ``url``: a short read timeout (the backend is hung in these tests)."""
    client = CreditBackend(url, token=ASSISTANT_TOKEN, timeout=(1.0, 0.3), breaker=new_breaker(3, RESET))
    set_client(client)
    return client


def test_the_defaults_are_short_and_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_timeout() == (1.0, 5.0)
    assert (DEFAULT_BREAKER_FAILURES, DEFAULT_BREAKER_RESET) == (3, 20.0)
    breaker = CreditBackend("http://127.0.0.1:1").breaker
    assert (breaker.fail_max, breaker.reset_timeout) == (3, 20.0)

    monkeypatch.setenv("CREDIT_BACKEND_CONNECT_TIMEOUT", "0.5")
    monkeypatch.setenv("CREDIT_BACKEND_READ_TIMEOUT", "2")
    monkeypatch.setenv("CREDIT_BACKEND_BREAKER_FAILURES", "5")
    monkeypatch.setenv("CREDIT_BACKEND_BREAKER_RESET", "60")
    client = CreditBackend("http://127.0.0.1:1")
    assert client.timeout == (0.5, 2.0)
    assert (client.breaker.fail_max, client.breaker.reset_timeout) == (5, 60.0)


def test_a_hung_backend_opens_the_breaker_and_later_turns_fail_fast_until_it_recovers(
    backend: BackendProcess, new_chat: Callable[[], Chat]
) -> None:
    with HungServer() as hung:
        client = client_for(hung.url)
        first = new_chat()
        for attempt in range(1, 4):
            turn = query(first)
            # Each of these waited for the read timeout: a polite apology, the user's turn is kept.
            assert turn.text.startswith(unavailable_text()), turn.text
            assert hung.connections_before_probe() == attempt
        assert client.breaker.current_state == "open"

        # Another user's turn while the breaker is open: the same answer, without a connection to the backend.
        second = new_chat()
        turn = query(second)
        assert turn.text.startswith(unavailable_text())
        assert turn.slot_events() == {"uscc": None, "failed_attempts": None}
        assert hung.connections_before_probe() == 3
        with pytest.raises(BackendUnavailable, match="circuit open"):
            client.entity(JIANGCHENG)
        assert hung.connections_before_probe() == 3

        # The backend is back; after the breaker's pause the next turn is a trial call, and it closes it.
        client.base_url = backend.url
        time.sleep(RESET)
        turn = query(second)
        assert turn.text.startswith("【吉林市江城建材有限公司】")
        assert client.breaker.current_state == "closed" and client.breaker.fail_counter == 0
        assert hung.connections_before_probe() == 3


def test_a_failed_trial_call_opens_the_breaker_again(backend: BackendProcess, new_chat: Callable[[], Chat]) -> None:
    with HungServer(answer_503=True) as failing:
        client = client_for(failing.url)
        chat = new_chat()
        for _ in range(3):
            assert query(chat).text.startswith(unavailable_text())
        assert client.breaker.current_state == "open"
        assert failing.connections_before_probe() == 3

        time.sleep(RESET)
        assert query(chat).text.startswith(unavailable_text())  # the trial call: 503 again
        assert failing.connections_before_probe() == 4
        assert client.breaker.current_state == "open"
        assert query(chat).text.startswith(unavailable_text())  # failing fast again
        assert failing.connections_before_probe() == 4


def test_answers_of_the_backend_do_not_trip_the_breaker(backend: BackendProcess, new_chat: Callable[[], Chat]) -> None:
    client = client_for(backend.url)
    chat = new_chat()
    # A 404 (unknown entity) is an answer: the user is told so, again and again, and the breaker stays closed.
    for _ in range(5):
        turn = query(chat, UNKNOWN)
        assert not turn.text.startswith(unavailable_text()), turn.text
    assert client.breaker.current_state == "closed" and client.breaker.fail_counter == 0
    # Two failures, then an answer: failures must be consecutive to open it.
    client.base_url = f"http://127.0.0.1:{free_port()}"
    query(chat)
    query(chat)
    assert client.breaker.fail_counter == 2
    client.base_url = backend.url
    assert query(chat).text.startswith("【吉林市江城建材有限公司】")
    assert client.breaker.fail_counter == 0
    client.base_url = f"http://127.0.0.1:{free_port()}"
    query(chat)
    query(chat)
    assert client.breaker.current_state == "closed"
