"""Start-up checks of the FastAPI application (its lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from credit_backend.settings import get_settings


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Refuse the public ``dev-…`` tokens outside a demo; uvicorn then logs the reason and exits non-zero."""
    get_settings().check_safe()
    yield
