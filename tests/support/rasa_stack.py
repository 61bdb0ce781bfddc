"""The real assistant for the channels' ``rasa_e2e`` tests: the action server and the Rasa server (two workers,
conversations in Redis), started with the commands of ``make up`` (bot.runner.services) on free ports.

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


def redis_db(db: str) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=6379, db=int(db))


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
    )
    env.pop("RASA_API_TOKEN", None)
    env["RASA_ENDPOINTS"] = runner.rasa_endpoints(env)
    assert env["RASA_ENDPOINTS"] == "endpoints.yml", "Redis must be running at 127.0.0.1:6379 (.ci/run starts it)"
    redis_db(redis_db_number).flushdb()
    services = {s.name: s for s in runner.services(env)}
    actions = Process("actions", services["actions"].command, env, tmp).start()
    rasa = Process("rasa", services["rasa"].command, env, tmp).start()
    try:
        actions.wait_healthy(services["actions"].health_url, 180)
        rasa.wait_healthy(services["rasa"].health_url, 600)
        yield services["rasa"].health_url.rstrip("/")
    finally:
        rasa.stop()
        actions.stop()
        print(f"--- actions log ---\n{actions.log()[-3000:]}\n--- rasa log ---\n{rasa.log()[-3000:]}", file=sys.stderr)
