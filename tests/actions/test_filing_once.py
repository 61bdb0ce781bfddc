"""No application filed twice across replicas (issue 16): the actions' side of the Idempotency-Key.

* A backend that stores the application and dies before answering: the actions' client sends the filing again
  with the same key; behind a failover proxy (tests/support/failover_proxy.py) the retry reaches a second backend
  process on the same database, which answers with the application filed first — in the same turn.
* The confirming message processed twice (a Rasa server died mid-turn and the message came again, with a new
  message id): both runs send the key of the one summary the user confirmed.
"""

from __future__ import annotations

import copy
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.actions.conftest import use_backend
from tests.actions.flows import commitment_until_confirmed, yes
from tests.actions.harness import BackendProcess, Chat
from tests.support.failover_proxy import FailoverProxy, port_in_range
from tests.support.processes import BACKEND_PYTHON, Process


def numbers_in(text: str) -> list[str]:
    return re.findall(r"申请编号：([A-Z]{2}-\d{8}-\d{4})", text)


@pytest.fixture
def second_host(backend: BackendProcess, tmp_path: Path) -> Iterator[tuple[Process, str]]:
    """Another backend process on the session backend's database (another host of the same deployment)."""
    port = port_in_range()
    command = [str(BACKEND_PYTHON), "-m", "uvicorn", "credit_backend.main:app", "--host", "127.0.0.1"]
    process = Process("backend-2", [*command, "--port", str(port), "--log-level", "warning"], backend.env, tmp_path)
    url = f"http://127.0.0.1:{port}"
    process.start().wait_healthy(f"{url}/healthz", 60)
    try:
        yield process, url
    finally:
        process.stop()


def test_a_backend_that_dies_before_answering_files_once_and_the_user_gets_the_number(
    chat: Chat, backend: BackendProcess, second_host: tuple[Process, str]
) -> None:
    host, url = second_host
    commitment_until_confirmed(chat, backend, "食品经营许可")
    yes(chat)
    with FailoverProxy(port_in_range(), [url, backend.url]) as proxy:
        use_backend(proxy.url)
        proxy.drop_next(lambda: host.stop(signal.SIGKILL))
        turn = chat.run("action_submit_commitment")

    filed = backend.applications(chat.sender_id)
    assert proxy.dropped == 1 and [status for _, _, status in proxy.served] == [201, 200]
    assert len(filed) == 1, "filed twice"
    assert numbers_in(turn.text) == [filed[0]["application_no"]], turn.text
    print(f"backend killed after storing: {len(filed)} application, the user was told {numbers_in(turn.text)}")


def test_the_confirming_message_processed_twice_files_once(chat: Chat, backend: BackendProcess) -> None:
    commitment_until_confirmed(chat, backend, "特种设备安装维修")
    before = copy.deepcopy(chat)  # what Redis holds when a Rasa server dies during the next turn
    yes(chat)
    first = chat.run("action_submit_commitment")

    again = before  # the other Rasa server gets the same confirmation again, with a new message id
    yes(again)
    second = again.run("action_submit_commitment")

    filed = backend.applications(chat.sender_id)
    assert len(filed) == 1, "filed twice"
    assert numbers_in(first.text) == numbers_in(second.text) == [filed[0]["application_no"]]
