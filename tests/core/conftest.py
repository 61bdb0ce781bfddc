"""Shared fixtures of the Rasa-server extension tests: the trained model and Redis database 6.

Needs Redis at 127.0.0.1:6379 and the trained model (``make train``); without them the tests FAIL.
"""

from __future__ import annotations

import pytest
import redis
from rasa.core.agent import Agent

from tests.core.support import MODEL, REDIS_DB


@pytest.fixture(scope="session")
def red() -> redis.Redis:
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis must be running at 127.0.0.1:6379 (.ci/run starts it)")
    return client


@pytest.fixture(scope="session")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    return Agent.load(str(MODEL))
