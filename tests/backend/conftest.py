"""Fixtures for the backend suite: a migrated database (SQLite or PostgreSQL), a client, a small world."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from credit_backend import db, migrate
from credit_backend.models import Base
from credit_backend.settings import get_settings
from tests.backend.world import World, build_world

ASSISTANT = {"Authorization": "Bearer test-assistant"}
STAFF = {"Authorization": "Bearer test-staff"}
ADMIN = {"Authorization": "Bearer test-admin"}


def _postgres_database() -> Iterator[str]:
    server = make_url(os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    name = f"credit_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    kind = os.environ.get("CREDIT_TEST_DATABASE", "sqlite")
    if kind == "postgres":
        yield from _postgres_database()
    elif kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'credit.db'}"
    else:
        raise pytest.UsageError(f"CREDIT_TEST_DATABASE must be sqlite or postgres, not {kind!r}")


@pytest.fixture(scope="session")
def engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    os.environ["CREDIT_DATABASE_URL"] = database_url
    os.environ["CREDIT_ATTACHMENTS_DIR"] = str(tmp_path_factory.mktemp("attachments"))
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    engine = db.get_engine()
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    # DELETE beats TRUNCATE on a handful of rows: PostgreSQL's TRUNCATE rewrites every table file.
    with engine.begin() as conn:
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    _truncate(engine)
    with db.get_sessionmaker()() as s:
        yield s


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, today=date(2026, 11, 26))


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    from credit_backend.main import create_app

    with TestClient(create_app(), raise_server_exceptions=True) as c:
        yield c


@pytest.fixture
def attachments_dir() -> Path:
    return Path(get_settings().attachments_dir)
