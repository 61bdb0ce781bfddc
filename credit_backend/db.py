"""Engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from credit_backend.settings import get_settings


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def get_read_sessionmaker() -> sessionmaker[Session]:
    """Sessions for requests that only read; they refuse to flush changes.

    On PostgreSQL they run in autocommit mode: no BEGIN before the first query and no ROLLBACK when
    the connection goes back to the pool, two of the seven round trips of a profile lookup. Under READ
    COMMITTED, PostgreSQL's default, each statement of a transaction takes its own snapshot anyway, so
    the answers are the same. SQLite's driver opens no transaction for plain reads to begin with, and
    switching its isolation level per checkout costs more than it saves.
    """
    return _read_sessionmaker(get_engine())


@lru_cache(maxsize=4)
def _read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    if is_postgres(engine):
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    maker = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(maker, "before_flush", _refuse_writes)
    return maker


def _refuse_writes(session: Session, _context: object, _instances: object) -> None:
    raise RuntimeError("a read-only session was asked to write; use the DbSession dependency")


@asynccontextmanager
async def _request_session(maker: sessionmaker[Session]) -> AsyncIterator[Session]:
    """One session per request, rolled back on error.

    A new session does no I/O until first used, so it is opened on the event loop; a sync dependency
    would cost a thread-pool hop on the way in and another on the way out. Rollback and close talk to
    the database, so they run in the thread pool like the (sync) endpoints that use the session.
    """
    session = maker()
    try:
        yield session
    except Exception:
        await run_in_threadpool(session.rollback)
        raise
    finally:
        await run_in_threadpool(session.close)


async def session_scope() -> AsyncIterator[Session]:
    """FastAPI dependency: the request's session."""
    async with _request_session(get_sessionmaker()) as session:
        yield session


async def read_session_scope() -> AsyncIterator[Session]:
    """FastAPI dependency: the session of a request that only reads (see get_read_sessionmaker)."""
    async with _request_session(get_read_sessionmaker()) as session:
        yield session
