"""The platform's HTTP APIs as the channel uses them, over httpx (async): access token, customer-service messages
(text and msgmenu), template messages, the custom menu and media download."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from bot.wechat.token import TokenCache

log = logging.getLogger(__name__)
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / malformed / expired access_token
OUT_OF_WINDOW = 45015  # "response out of time limit": the user has not written within 48 hours
REFUSED_FOR_GOOD = {40003, 43004, 43019}  # unknown openid, unsubscribed, blocked: retrying will not help


class WeChatError(Exception):
    """An answer with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class WeChatUnavailable(Exception):
    """The platform could not be reached or failed (5xx); the caller retries later."""


class WeChatAPI:
    def __init__(
        self,
        base_url: str,
        appid: str,
        appsecret: str,
        redis: Any,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.appid, self.appsecret = appid, appsecret
        self.client = client or httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout))
        self.tokens = TokenCache(redis, appid, self._fetch_token)

    async def close(self) -> None:
        await self.client.aclose()

    @staticmethod
    def _check(resp: httpx.Response) -> dict[str, Any]:
        if resp.status_code >= 500:
            raise WeChatUnavailable(f"HTTP {resp.status_code}")
        try:
            data = resp.json()
        except ValueError as exc:
            raise WeChatUnavailable(f"not JSON (HTTP {resp.status_code}): {resp.text[:200]}") from exc
        if int(data.get("errcode") or 0) != 0:
            raise WeChatError(int(data["errcode"]), str(data.get("errmsg", "")))
        return data

    async def _fetch_token(self) -> tuple[str, int]:
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.appsecret}
        try:
            resp = await self.client.get("/cgi-bin/token", params=params)
        except httpx.HTTPError as exc:
            raise WeChatUnavailable(f"{type(exc).__name__}: {exc}") from exc
        data = self._check(resp)
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call with the shared token; once more with a new token when the platform says it is invalid."""
        for attempt in range(2):
            token = await self.tokens.get()
            params = {**kwargs.pop("params", {}), "access_token": token}
            try:
                resp = await self.client.request(method, path, params=params, **kwargs)
            except httpx.HTTPError as exc:
                raise WeChatUnavailable(f"{type(exc).__name__}: {exc}") from exc
            if resp.headers.get("content-type", "").startswith(("application/json", "text/plain")):
                try:
                    errcode = int(resp.json().get("errcode") or 0)
                except (ValueError, AttributeError):
                    errcode = 0
                if errcode in TOKEN_ERRORS and attempt == 0:
                    log.warning("access_token refused (errcode %s): fetching a new one", errcode)
                    await self.tokens.invalidate(token)
                    kwargs["params"] = {k: v for k, v in params.items() if k != "access_token"}
                    continue
            return resp
        return resp

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        # ensure_ascii=False: UTF-8 as the platform's own examples (and half the bytes of \uXXXX escapes).
        content = json.dumps(body, ensure_ascii=False).encode()
        resp = await self._request("POST", path, content=content, headers={"Content-Type": "application/json"})
        return self._check(resp)

    # -- messages ----------------------------------------------------------------------------------
    async def send_text(self, openid: str, text: str) -> None:
        await self._post(
            "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}}
        )

    async def send_menu(self, openid: str, head: str, items: list[tuple[str, str]], tail: str = "") -> None:
        """A customer-service menu message: ``items`` are (id, content); a click comes back as a text message
        with the content and ``bizmsgmenuid`` = id."""
        menu = {"head_content": head, "list": [{"id": i, "content": c} for i, c in items], "tail_content": tail}
        await self._post("/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "msgmenu", "msgmenu": menu})

    async def send_template(self, openid: str, template_id: str, data: dict[str, str], url: str = "") -> int:
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if url:
            body["url"] = url
        return int((await self._post("/cgi-bin/message/template/send", body)).get("msgid") or 0)

    # -- menu and media --------------------------------------------------------------------------------
    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self._post("/cgi-bin/menu/create", menu)

    async def media(self, media_id: str, limit: int) -> tuple[bytes, str | None]:
        """A user's media file and its Content-Type; the bytes are cut at ``limit`` + 1, so the evidence rules refuse
        a file over the limit (the platform's own limit for a user's image is 10 MB)."""
        resp = await self._request("GET", "/cgi-bin/media/get", params={"media_id": media_id})
        content_type = resp.headers.get("content-type", "")
        if content_type.startswith(("application/json", "text/plain")):
            self._check(resp)  # an error such as 40007 invalid media_id
        if resp.status_code != 200:
            raise WeChatUnavailable(f"HTTP {resp.status_code}")
        return resp.content[: limit + 1], content_type.split(";")[0].strip() or None
