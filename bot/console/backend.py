"""The backend as the console sees it: JSON over HTTP with the user's ``X-Console-Session``.

One ``httpx.AsyncClient`` (connection pool) lives on the app; each request gets a :class:`Backend` bound to
the user's session token. A backend error body ``{"error": {"code", "message", "details"}}`` becomes a
:class:`ConsoleBackendError` carrying the Chinese message; an unreachable backend is :class:`BackendUnavailable`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)

SESSION_HEADER = "X-Console-Session"
UNAVAILABLE_MESSAGE = "后台服务暂时无法访问，请稍后重试；如果问题持续，请联系系统管理员。"
GENERIC_MESSAGE = "后台服务返回了错误，操作未完成。"
AUDIT_EVENTS = "/api/v1/audit/events"  # the admin actions the console performs itself (issue 14)
# Codes that mean "the console session is gone": the user must log in again.
SESSION_CODES = {"SESSION_EXPIRED", "AUTH_REQUIRED"}


@dataclass
class ConsoleBackendError(Exception):
    """The backend refused a request; ``message`` is its Chinese message for the user."""

    status: int
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    @property
    def session_ended(self) -> bool:
        """True when the console session is no longer valid (log in again)."""
        return self.status == 401 and self.code in SESSION_CODES


class BackendUnavailable(Exception):
    """The backend could not be reached or answered with something that is not its API."""


def error_from_response(resp: httpx.Response) -> ConsoleBackendError:
    """The :class:`ConsoleBackendError` for a non-2xx backend answer."""
    code, message, details = f"HTTP_{resp.status_code}", GENERIC_MESSAGE, {}
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        code = str(err.get("code") or code)
        message = str(err.get("message") or message)
        details = err.get("details") if isinstance(err.get("details"), dict) else {}
    return ConsoleBackendError(resp.status_code, code, message, details)


class Backend:
    """The backend API for one console request (``token`` is the user's session token, or None)."""

    def __init__(self, client: httpx.AsyncClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers[SESSION_HEADER] = self.token
        if extra:
            headers.update(extra)
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request; a non-2xx answer raises :class:`ConsoleBackendError`. Returns the raw response."""
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            resp = await self.client.request(
                method, path, params=clean, json=json, files=files, data=data, headers=self._headers(headers)
            )
        except httpx.HTTPError as exc:
            log.warning("backend %s %s unreachable: %s: %s", method, path, type(exc).__name__, exc)
            raise BackendUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code >= 400:
            error = error_from_response(resp)
            if resp.status_code in (502, 503, 504) and error.code.startswith("HTTP_"):
                raise BackendUnavailable(f"HTTP {resp.status_code} without an API error body")
            raise error
        return resp

    async def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` with query ``params`` → the decoded JSON."""
        return _json(await self.request("GET", path, params=params))

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """POST ``json`` → the decoded JSON (None for an empty answer, e.g. 204)."""
        return _json(await self.request("POST", path, json=json, **kwargs))

    async def audit(self, action: str, target: str, **details: Any) -> None:
        """Record in the backend's audit log an admin action the console performs itself (writing training data,
        a test story, starting a retrain, a rollback), as the signed-in admin."""
        await self.request("POST", AUDIT_EVENTS, json={"action": action, "target": target, "details": details})

    async def delete(self, path: str) -> Any:
        """DELETE ``path`` → the decoded JSON (None for 204)."""
        return _json(await self.request("DELETE", path))


def _json(resp: httpx.Response) -> Any:
    if resp.status_code == 204 or not resp.content:
        return None
    try:
        return resp.json()
    except ValueError as exc:
        raise BackendUnavailable("the backend answered with something that is not JSON") from exc


def make_client(base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The shared connection pool to the backend (``transport`` lets tests plug the backend app in)."""
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout, connect=5.0), transport=transport
    )
