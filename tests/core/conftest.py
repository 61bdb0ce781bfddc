"""Shared fixtures of the Rasa-server extension tests: the trained model and Redis database 6.

Needs Redis at 127.0.0.1:6379 and the trained model (``make train``); without them the tests FAIL.
"""

from __future__ import annotations

import pytest
import redis
from rasa.core.agent import Agent

from tests.core.support import MODEL, REDIS_DB
from tests.support.rasa_stack import redis_db


@pytest.fixture(scope="session")
def red() -> redis.Redis:
    return redis_db(REDIS_DB)


@pytest.fixture(scope="session")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    return Agent.load(str(MODEL))
