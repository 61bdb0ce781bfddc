"""Alembic environment: runs against CREDIT_DATABASE_URL, or the connection handed in by migrate.py."""

from __future__ import annotations

from alembic import context

from credit_backend.db import make_engine
from credit_backend.models import Base
from credit_backend.settings import get_settings

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """Hide the search index objects that migration 0002 manages by hand from autogenerate."""
    if type_ == "table" and name and name.startswith("entity_search"):
        return False
    return not (type_ == "index" and name and name.endswith("_trgm"))


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=include_object,
    )


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run against a database.")
run_migrations()
