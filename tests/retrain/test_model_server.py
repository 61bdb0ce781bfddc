"""The model server (training/model_server.py) speaks the protocol Rasa's workers pull with (rasa/core/agent.py):
the archive with its ETag, 304 while If-None-Match names the model in service, nothing without the token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from training.model_server import ModelServer, etag_matches
from training.registry import MODEL_FILE, Registry

TOKEN = "model-server-test-token"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ModelServer, Registry]]:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "assistant.tar.gz").write_bytes(b"model of make train")
    registry = Registry(tmp_path, tmp_path / "registry")
    server = ModelServer(("127.0.0.1", 0), registry, TOKEN)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, registry
    finally:
        server.shutdown()
        server.server_close()


def pull(server: ModelServer, etag: str | None = None, token: str = TOKEN, worker: str = "") -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if etag is not None:
        headers["If-None-Match"] = etag
    return requests.get(server.url, headers=headers, params={"worker": worker} if worker else None, timeout=10)


def test_before_any_promotion_the_model_of_make_train_is_served(served: tuple[ModelServer, Registry]) -> None:
    server, _ = served
    first = pull(server)
    assert first.status_code == 200 and first.content == b"model of make train"
    assert first.headers["ETag"].startswith('"service-')
    # Rasa sends back the ETag it got: nothing new.
    assert pull(server, first.headers["ETag"]).status_code == 304


def test_a_promotion_changes_the_etag_and_the_archive(served: tuple[ModelServer, Registry]) -> None:
    server, registry = served
    old = pull(server).headers["ETag"]
    model_id = registry.reserve()
    (registry.folder(model_id) / MODEL_FILE).write_bytes(b"promoted model")
    assert pull(server, old).status_code == 304  # kept, not promoted: nothing changes
    registry.promote(model_id)
    new = pull(server, old)
    assert new.status_code == 200 and new.content == b"promoted model"
    assert new.headers["ETag"] == f'"{model_id}"' and new.headers["filename"] == f"{model_id}.tar.gz"
    assert pull(server, new.headers["ETag"]).status_code == 304
    assert pull(server, model_id).status_code == 304  # unquoted, as some clients send it
    assert server.downloads[model_id] == 1


def test_without_the_token_nothing_is_served(served: tuple[ModelServer, Registry]) -> None:
    server, _ = served
    assert pull(server, token="wrong").status_code == 401
    assert requests.get(server.url, timeout=10).status_code == 401
    assert requests.get(server.url.replace("/model", "/healthz"), timeout=10).text == "ok"


def test_if_none_match_forms() -> None:
    assert etag_matches('"a1"', "a1") and etag_matches("a1", "a1") and etag_matches('W/"a1"', "a1")
    assert etag_matches('"x", "a1"', "a1") and etag_matches("*", "a1")
    assert not etag_matches(None, "a1") and not etag_matches('"a2"', "a1") and not etag_matches("", "a1")


def test_a_switch_reaches_one_serving_worker_at_a_time(served: tuple[ModelServer, Registry]) -> None:
    """While one worker loads the new model, the others keep theirs (and keep answering)."""
    server, registry = served
    old = pull(server).headers["ETag"]
    model_id = registry.reserve()
    (registry.folder(model_id) / MODEL_FILE).write_bytes(b"promoted model")
    registry.promote(model_id)
    assert pull(server, old, worker="1").status_code == 200  # worker 1 switches
    assert pull(server, old, worker="2").status_code == 304  # worker 2 waits: worker 1 is loading
    assert pull(server, old, worker="3").status_code == 304
    assert (
        pull(server, "a-fresh-worker-without-a-model", worker="4").status_code == 200
    )  # a starting worker never waits
    assert pull(server, f'"{model_id}"', worker="4").status_code == 304  # that one does not release the others
    assert pull(server, old, worker="2").status_code == 304
    assert pull(server, f'"{model_id}"', worker="1").status_code == 304  # worker 1 is back with the new model
    assert pull(server, old, worker="2").status_code == 200  # now worker 2 switches
    assert pull(server, old, worker="3").status_code == 304  # and worker 3 waits for it
    workers = requests.get(server.url.replace("/model", "/workers"), headers={"Authorization": f"Bearer {TOKEN}"})
    assert workers.json() == {"1": model_id, "2": old.strip('"'), "3": old.strip('"'), "4": model_id}
    assert server.downloads[model_id] == 3


def test_a_worker_that_never_comes_back_holds_the_others_only_so_long(tmp_path: Path) -> None:
    registry = Registry(tmp_path, tmp_path / "registry")
    first, second = registry.reserve(), registry.reserve()
    for model_id in (first, second):
        (registry.folder(model_id) / MODEL_FILE).write_bytes(model_id.encode())
    registry.promote(first)
    registry.promote(second)
    server = ModelServer(("127.0.0.1", 0), registry, TOKEN, hold_seconds=0)
    assert server.decide(f'"{first}"', second) == 200
    assert server.decide(f'"{first}"', second) == 200  # the hold is over at once
    server.server_close()
