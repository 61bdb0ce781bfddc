"""The FastAPI application: ``uvicorn credit_backend.main:app``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from credit_backend.api import (
    accounts,
    applications,
    audit,
    bindings,
    console_auth,
    conversations,
    entities,
    errors,
    messaging,
    queue,
    records,
    reports,
    subscriptions,
)
from credit_backend.api.errors import error_body, error_responses
from credit_backend.api.limits import RequestLimitsMiddleware
from credit_backend.db import get_sessionmaker
from credit_backend.responses import Health
from credit_backend.services.attachments import upload_body_limit
from credit_backend.startup import lifespan

# JSON bodies are a few kilobytes at most (the longest field is 4,000 characters); uploads have their own
# limit. Larger bodies are refused (413) while they arrive, before they fill memory.
MAX_JSON_BODY_BYTES = 1024 * 1024


def _without_422(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop FastAPI's generated 422 answers: validation errors are 400 with the ErrorBody format."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def create_app() -> FastAPI:
    app = FastAPI(
        title="信用中国（吉林市）信用服务后台",
        version="1.0",
        description="System of record for the credit-service assistant. See docs/api.md.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(
        RequestLimitsMiddleware,
        default=MAX_JSON_BODY_BYTES,
        by_path={applications.UPLOAD_PATH: upload_body_limit, records.IMPORT_PATH: records.import_body_limit},
    )
    for router in (
        entities.router,
        bindings.router,
        applications.router,
        messaging.router,
        subscriptions.router,
        reports.router,
        console_auth.router,
        accounts.router,
        audit.router,
        queue.router,
        records.router,
        conversations.router,
    ):
        app.include_router(router)

    @app.get("/healthz", tags=["health"], response_model=Health, responses=error_responses(500, 503))
    def healthz() -> Any:
        try:
            with get_sessionmaker()() as session:
                session.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse(error_body("SERVICE_UNAVAILABLE", "数据库不可用"), status_code=503)
        return {"status": "ok", "database": "ok"}

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _without_422(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


app = create_app()
