"""Bulk loading of generated bundles: Core-compiled INSERT with executemany on SQLite, COPY on PostgreSQL.

SQLite: the FTS5 triggers of migration 0002 are dropped for the load and the search index is rebuilt
once at the end, then the triggers are recreated from the migration's own SQL. PostgreSQL: the pg_trgm
indexes are dropped for the load and rebuilt afterwards, the id sequences are moved past the loaded ids.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from types import ModuleType
from typing import Any

from sqlalchemy import Date, DateTime, Engine, Table, func, insert, inspect, select
from sqlalchemy.dialects import sqlite

from credit_backend.demo.generator import EntityBundle
from credit_backend.migrate import MIGRATIONS, upgrade
from credit_backend.models import Base, CreditRecord, Entity, Evaluation

__all__ = ["LoadStats", "database_is_empty", "entity_count", "load_city", "reset_database", "search_sql"]

# SQLAlchemy's storage format for DateTime on SQLite (sqlalchemy.dialects.sqlite.DATETIME).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
TABLES: tuple[Table, ...] = (Entity.__table__, CreditRecord.__table__, Evaluation.__table__)  # type: ignore[assignment]


@dataclass
class LoadStats:
    """Row counts and where the time went."""

    entities: int = 0
    records: int = 0
    evaluations: int = 0
    insert_seconds: float = 0.0  # generation and inserts, interleaved (streaming)
    index_seconds: float = 0.0  # search index rebuild, triggers, statistics
    total_seconds: float = 0.0


@lru_cache
def search_sql() -> ModuleType:
    """Migration 0002 as a module, for its SQLITE_UP/SQLITE_DOWN/PG_UP/PG_DOWN statements."""
    path = MIGRATIONS / "versions" / "0002_entity_name_search.py"
    spec = importlib.util.spec_from_file_location("credit_backend_migration_0002", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sqlite_triggers(kind: str) -> list[str]:
    """The migration's CREATE TRIGGER (kind='create') or DROP TRIGGER (kind='drop') statements."""
    sql = search_sql()
    if kind == "create":
        return [s for s in sql.SQLITE_UP if s.lstrip().upper().startswith("CREATE TRIGGER")]
    return [s for s in sql.SQLITE_DOWN if s.lstrip().upper().startswith("DROP TRIGGER")]


def reset_database(engine: Engine) -> None:
    """Drop every table and search object, then migrate to the newest schema."""
    sql = search_sql()
    statements = sql.SQLITE_DOWN if engine.dialect.name == "sqlite" else sql.PG_DOWN
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)


def entity_count(engine: Engine) -> int:
    """Number of entities; 0 when the table does not exist yet."""
    if not inspect(engine).has_table("entities"):
        return 0
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Entity.__table__)) or 0)


def database_is_empty(engine: Engine) -> bool:
    return entity_count(engine) == 0


def _batches(bundles: Iterable[EntityBundle], size: int) -> Iterable[tuple[list[Any], list[Any], list[Any]]]:
    entities: list[Any] = []
    records: list[Any] = []
    evaluations: list[Any] = []
    for bundle in bundles:
        entities.append(bundle.entity)
        records.extend(bundle.records)
        evaluations.extend(bundle.evaluations)
        if len(entities) >= size:
            yield entities, records, evaluations
            entities, records, evaluations = [], [], []
    if entities:
        yield entities, records, evaluations


def load_city(
    engine: Engine,
    bundles: Iterable[EntityBundle],
    *,
    batch_entities: int = 5000,
    progress: Callable[[LoadStats], None] | None = None,
) -> LoadStats:
    """Insert every bundle (ids included) into a migrated, empty database."""
    if engine.dialect.name == "postgresql":
        return _load_postgres(engine, bundles, batch_entities, progress)
    if engine.dialect.name == "sqlite":
        return _load_sqlite(engine, bundles, batch_entities, progress)
    raise ValueError(f"unsupported database {engine.dialect.name}")


@lru_cache(maxsize=8)
def _column_defaults(table: Table) -> tuple[tuple[str, Any], ...]:
    """Each column's value when a generated row leaves it out: its scalar Python default, else NULL.

    Columns added after the generator was written (e.g. a new nullable column) then load without a change here.
    """
    defaults = []
    for column in table.c:
        default = column.default
        value = default.arg if default is not None and default.is_scalar else None  # type: ignore[attr-defined]
        defaults.append((column.key, value))
    return tuple(defaults)


def _complete(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    defaults = _column_defaults(table)
    for row in rows:
        for key, value in defaults:
            if key not in row:
                row[key] = value
    return rows


def _stamp(rows: list[dict[str, Any]], created: datetime) -> list[dict[str, Any]]:
    for row in rows:
        row["created_at"] = created
    return rows


def _sqlite_insert_sql(table: Table) -> str:
    """``insert(table)`` compiled by SQLAlchemy for SQLite with named parameters (``:column``)."""
    dialect = sqlite.dialect(paramstyle="named")
    return str(insert(table).compile(dialect=dialect, column_keys=list(table.c.keys())))


def _sqlite_prepare(table: Table, rows: list[dict[str, Any]], created: str) -> list[dict[str, Any]]:
    """Stamp created_at and turn dates into the text SQLAlchemy stores for SQLite (its bind processors'
    output), so the rows go to the driver's executemany without per-value processing."""
    date_cols = [c.key for c in table.c if isinstance(c.type, Date) and c.key != "created_at"]
    datetime_cols = [c.key for c in table.c if isinstance(c.type, DateTime) and c.key != "created_at"]
    for row in _complete(table, rows):
        row["created_at"] = created
        for key in date_cols:
            value = row[key]
            if value is not None:
                row[key] = value.isoformat()
        for key in datetime_cols:
            value = row[key]
            if value is not None:
                row[key] = value.strftime(SQLITE_DATETIME)
    return rows


def _load_sqlite(
    engine: Engine,
    bundles: Iterable[EntityBundle],
    batch_entities: int,
    progress: Callable[[LoadStats], None] | None,
) -> LoadStats:
    stats = LoadStats()
    started = time.perf_counter()
    created = datetime.now(timezone.utc).strftime(SQLITE_DATETIME)
    statements = {t.name: _sqlite_insert_sql(t) for t in TABLES}
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.exec_driver_sql("PRAGMA cache_size=-524288")  # 512 MiB
        conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
        for statement in _sqlite_triggers("drop"):
            conn.exec_driver_sql(statement)
        conn.commit()
        try:
            for batch in _batches(bundles, batch_entities):
                for table, rows in zip(TABLES, batch, strict=True):
                    if rows:
                        conn.exec_driver_sql(statements[table.name], _sqlite_prepare(table, rows, created))
                conn.commit()
                stats.entities += len(batch[0])
                stats.records += len(batch[1])
                stats.evaluations += len(batch[2])
                if progress:
                    stats.insert_seconds = time.perf_counter() - started
                    progress(stats)
            stats.insert_seconds = time.perf_counter() - started
        finally:
            # Whatever happened, leave the search index consistent and its triggers in place.
            conn.rollback()
            index_started = time.perf_counter()
            conn.exec_driver_sql("INSERT INTO entity_search(entity_search) VALUES ('rebuild')")
            for statement in _sqlite_triggers("create"):
                conn.exec_driver_sql(statement)
            conn.commit()
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")  # back to make_engine's settings
            conn.exec_driver_sql("PRAGMA cache_size=-2000")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            stats.index_seconds = time.perf_counter() - index_started
    stats.total_seconds = time.perf_counter() - started
    return stats


def _load_postgres(
    engine: Engine,
    bundles: Iterable[EntityBundle],
    batch_entities: int,
    progress: Callable[[LoadStats], None] | None,
) -> LoadStats:
    stats = LoadStats()
    started = time.perf_counter()
    created = datetime.now(timezone.utc)
    sql = search_sql()
    columns = {t.name: list(t.c.keys()) for t in TABLES}
    copies = {name: f"COPY {name} ({', '.join(cols)}) FROM STDIN" for name, cols in columns.items()}
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection  # psycopg.Connection
        with pg.cursor() as cur:
            for statement in sql.PG_DOWN:
                cur.execute(statement)
        pg.commit()
        for batch in _batches(bundles, batch_entities):
            with pg.cursor() as cur:
                for table, rows in zip(TABLES, batch, strict=True):
                    if not rows:
                        continue
                    cols = columns[table.name]
                    with cur.copy(copies[table.name]) as copy:
                        for row in _stamp(_complete(table, rows), created):
                            copy.write_row([row[c] for c in cols])
            pg.commit()
            stats.entities += len(batch[0])
            stats.records += len(batch[1])
            stats.evaluations += len(batch[2])
            if progress:
                stats.insert_seconds = time.perf_counter() - started
                progress(stats)
        stats.insert_seconds = time.perf_counter() - started
        index_started = time.perf_counter()
        with pg.cursor() as cur:
            for table in TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                )
            cur.execute("SET maintenance_work_mem = '1GB'")
            for statement in sql.PG_UP:
                cur.execute(statement)
        pg.commit()
        pg.autocommit = True
        with pg.cursor() as cur:
            for table in TABLES:
                cur.execute(f"VACUUM ANALYZE {table.name}")
        pg.autocommit = False
        stats.index_seconds = time.perf_counter() - index_started
    except BaseException:
        # Leave the trigram indexes in place even after a failed load.
        pg.rollback()
        pg.autocommit = True
        with pg.cursor() as cur:
            for statement in sql.PG_UP:
                cur.execute(statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS "))
        pg.autocommit = False
        raise
    finally:
        raw.close()
    stats.total_seconds = time.perf_counter() - started
    return stats
