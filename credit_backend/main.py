"""The FastAPI application: ``uvicorn credit_backend.main:app``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from credit_backend.api import applications, bindings, entities, errors, messaging
from credit_backend.api.errors import error_body
from credit_backend.db import get_sessionmaker


def create_app() -> FastAPI:
    app = FastAPI(
        title="信用中国（吉林市）信用服务后台",
        version="1.0",
        description="System of record for the credit-service assistant. See docs/api.md.",
    )
    errors.install(app)
    for router in (entities.router, bindings.router, applications.router, messaging.router):
        app.include_router(router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> Any:
        try:
            with get_sessionmaker()() as session:
                session.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse(error_body("SERVICE_UNAVAILABLE", "数据库不可用"), status_code=503)
        return {"status": "ok", "database": "ok"}

    return app


app = create_app()
