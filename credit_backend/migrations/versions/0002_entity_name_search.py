"""Index-backed substring search on entity names.

SQLite: an external-content FTS5 table with the trigram tokenizer, kept in step by triggers.
PostgreSQL: pg_trgm GIN indexes on name and short name (works for Chinese under a UTF-8 ctype).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE entity_search USING fts5(
        name, short_name, content='entities', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER entities_search_ai AFTER INSERT ON entities BEGIN
        INSERT INTO entity_search(rowid, name, short_name) VALUES (new.id, new.name, new.short_name);
    END""",
    """CREATE TRIGGER entities_search_ad AFTER DELETE ON entities BEGIN
        INSERT INTO entity_search(entity_search, rowid, name, short_name)
        VALUES ('delete', old.id, old.name, old.short_name);
    END""",
    """CREATE TRIGGER entities_search_au AFTER UPDATE OF name, short_name ON entities BEGIN
        INSERT INTO entity_search(entity_search, rowid, name, short_name)
        VALUES ('delete', old.id, old.name, old.short_name);
        INSERT INTO entity_search(rowid, name, short_name) VALUES (new.id, new.name, new.short_name);
    END""",
    "INSERT INTO entity_search(entity_search) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS entities_search_au",
    "DROP TRIGGER IF EXISTS entities_search_ad",
    "DROP TRIGGER IF EXISTS entities_search_ai",
    "DROP TABLE IF EXISTS entity_search",
]
PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_entities_name_trgm ON entities USING gin (name gin_trgm_ops)",
    "CREATE INDEX ix_entities_short_name_trgm ON entities USING gin (short_name gin_trgm_ops)",
]
PG_DOWN = ["DROP INDEX IF EXISTS ix_entities_short_name_trgm", "DROP INDEX IF EXISTS ix_entities_name_trgm"]


def _run(statements: list[str]) -> None:
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(PG_UP)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(PG_DOWN)
