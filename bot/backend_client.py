"""The credit backend's API as the channels (Telegram, WeChat) use it (docs/api.md): applications, attachments, outbox, reports."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx


class BackendUnavailable(Exception):
    """The backend could not be reached or failed (5xx); the caller retries later."""


class BackendError(Exception):
    """A 4xx answer: ``code`` is the backend's stable error code, ``message`` its Chinese text."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class BackendClient:
    def __init__(
        self, base_url: str, token: str, timeout: float = 30.0, client: httpx.AsyncClient | None = None
    ) -> None:
        self.client = client or httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout, connect=5.0),
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        return (await self._response(method, url, **kwargs)).json()

    async def _response(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            resp = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code >= 500:
            raise BackendUnavailable(f"HTTP {resp.status_code}: {resp.text[:200]}")
        if resp.status_code >= 400:
            try:
                error = resp.json()["error"]
                raise BackendError(resp.status_code, str(error["code"]), str(error["message"]))
            except (ValueError, KeyError, TypeError):
                raise BackendError(resp.status_code, "HTTP_ERROR", resp.text[:200]) from None
        return resp

    async def report_pdf(self, report_no: str, code: str) -> bytes:
        """An issued credit report's PDF, by its number and verification code (what the assistant handed out)."""
        resp = await self._response("GET", f"/reports/{quote(report_no)}.pdf", params={"code": code})
        if not resp.content.startswith(b"%PDF"):
            raise BackendUnavailable("the backend's report is not a PDF")
        return resp.content

    async def applications(self, sender_id: str) -> list[dict[str, Any]]:
        """The sender's applications, newest first."""
        data = await self._request("GET", "/applications", params={"sender_id": sender_id})
        return list(data.get("items", []))

    async def upload_attachment(
        self, application_no: str, sender_id: str, filename: str, content_type: str, data: bytes
    ) -> dict[str, Any]:
        return await self._request(
            "POST",
            f"/applications/{application_no}/attachments",
            data={"sender_id": sender_id},
            files={"file": (filename, data, content_type)},
        )

    async def notifications(self, channel: str, after_id: int, limit: int = 50) -> list[dict[str, Any]]:
        """Undelivered outbox messages of a channel with id > after_id, oldest first."""
        data = await self._request(
            "GET", "/notifications", params={"channel": channel, "after_id": after_id, "limit": limit}
        )
        return list(data.get("items", []))

    async def mark_delivered(self, notification_id: int) -> None:
        await self._request("POST", f"/notifications/{notification_id}/delivered")
