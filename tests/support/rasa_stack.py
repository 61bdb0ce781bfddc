"""The real assistant for the channels' ``rasa_e2e`` tests: the action server, the model server and the Rasa server
(two workers, conversations in Redis), started with the commands of ``make up`` (bot.runner.services) on free ports.

Needs the trained model in models/ and .venv-rasa; without them the test FAILS with the reason, it does not skip.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot import runner
from tests.support.processes import ROOT, Process, free_port

RASA_BIN = ROOT / ".venv-rasa" / "bin"


def model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz")) if (ROOT / "models").is_dir() else []
    if not (RASA_BIN / "rasa").exists():
        pytest.fail(".venv-rasa/bin/rasa is missing: run `make install` (Rasa 3.6 needs Python 3.10).")
    if not models:
        pytest.fail("No trained Rasa model in models/: run `make train` before the rasa_e2e tests.")
    return models[-1]


def model_server_settings(tmp: Path) -> dict[str, str]:
    """The environment of a test's model server (service "models"): a free port and an empty registry of the
    test's own, so Rasa is served models/assistant.tar.gz whatever the developer promoted in models/registry.
    Set it before ``runner.rasa_endpoints(env)``, which derives Rasa's RASA_MODEL_SERVER_URL from it."""
    return {"MODEL_SERVER_PORT": str(free_port()), "MODEL_REGISTRY_DIR": str(tmp / "model-registry")}


def start_model_server(services: dict[str, runner.Service], env: dict[str, str], tmp: Path) -> Process:
    """Starts the model server and waits until it answers: Rasa loads its first model from it."""
    process = Process("models", services["models"].command, env, tmp).start()
    process.wait_healthy(services["models"].health_url, services["models"].timeout)
    return process


def redis_db(db: int | str) -> redis.Redis:
    """A client of database ``db`` of the Redis every suite uses; FAILS the test when that Redis is down."""
    client = redis.Redis(host="127.0.0.1", port=6379, db=int(db))
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis must be running at 127.0.0.1:6379 (.ci/run starts it)")
    return client


@contextlib.contextmanager
def rasa_stack(
    tmp: Path, backend_url: str, assistant_token: str, channel_secrets: dict[str, str], redis_db_number: str
) -> Iterator[str]:
    """Yields Rasa's URL. ``channel_secrets``: e.g. {"ASSISTANT_CHANNEL_SECRET_WX": "…"} (the bridge's secret);
    the other secrets are random, never var/secrets.env's. The Redis database is emptied first."""
    model()
    env = {**os.environ, "CREDIT_BACKEND_URL": backend_url, "CREDIT_BACKEND_TOKEN": assistant_token}
    env.update({name: secrets.token_urlsafe(32) for name in runner.SECRET_NAMES})
    env.update(channel_secrets)
    # The deployment's own endpoints: conversations in Redis shared by two Rasa workers, so every turn of the
    # conversation may land on either worker.
    env.update(
        ASSISTANT_BIND_HOST="127.0.0.1",
        ACTIONS_PORT=str(free_port()),
        RASA_PORT=str(free_port()),
        RASA_REDIS_DB=redis_db_number,
        SANIC_WORKERS="2",
        **model_server_settings(tmp),
    )
    env.pop("RASA_API_TOKEN", None)
    env["RASA_ENDPOINTS"] = runner.rasa_endpoints(env)
    assert env["RASA_ENDPOINTS"] == "endpoints.yml", "Redis must be running at 127.0.0.1:6379 (.ci/run starts it)"
    redis_db(redis_db_number).flushdb()
    services = {s.name: s for s in runner.services(env)}
    models = start_model_server(services, env, tmp)
    actions = Process("actions", services["actions"].command, env, tmp).start()
    rasa = Process("rasa", services["rasa"].command, env, tmp).start()
    try:
        actions.wait_healthy(services["actions"].health_url, 180)
        rasa.wait_healthy(services["rasa"].health_url, 600)
        yield services["rasa"].health_url.rstrip("/")
    finally:
        rasa.stop()
        actions.stop()
        models.stop()
        print(f"--- actions log ---\n{actions.log()[-3000:]}\n--- rasa log ---\n{rasa.log()[-3000:]}", file=sys.stderr)
