"""Shared test configuration: which database the backend suite runs against.

CREDIT_TEST_DATABASE=sqlite (default) uses a temporary SQLite file; =postgres creates a fresh
database on TEST_POSTGRES_URL's server (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
and drops it afterwards. The Makefile runs the backend suite once with each.
"""

from __future__ import annotations

import os

# Pin the settings before any project module reads them.
os.environ.setdefault("CREDIT_TODAY", "2026-11-26")
os.environ["CREDIT_TOKENS_ASSISTANT"] = "test-assistant"
os.environ["CREDIT_TOKENS_STAFF"] = "test-staff"
os.environ["CREDIT_TOKENS_ADMIN"] = "test-admin"
