"""Domain errors: a stable code, an HTTP status and a Chinese message that says what to do."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"


class Forbidden(DomainError):
    status = 403
    code = "FORBIDDEN"


def invalid_field(field: str, message: str, hint: str | None = None) -> DomainError:
    """A VALIDATION_ERROR about one field, shaped like the request-validation errors."""
    return DomainError(message, code="VALIDATION_ERROR", fields=[{"field": field, "message": hint or message}])
