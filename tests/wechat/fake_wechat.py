"""A fake of WeChat's side, over real HTTP, for the channel's end-to-end tests.

Two halves, as on the real platform:

- ``FakeWeChatAPI``: the HTTP APIs the channel calls (``WECHAT_API_BASE``): ``/cgi-bin/token`` (counting
  fetches, tokens expiring on demand), customer-service messages (``message/custom/send``: text and msgmenu),
  template messages, ``menu/create`` and ``media/get``. It checks the access token of every call and records it.
- ``WeChatServerSide``: the platform pushing a user's messages to the channel's server URL: signed XML in
  plaintext, compatible or safe mode (wechatpy's crypto, as the platform encrypts), retries of the same
  message included, and the passive replies decoded back.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import xmltodict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from tests.support.servers import ThreadedServer

APPID = "wx0123456789abcdef"
APPSECRET = "test-app-secret-0123456789abcdef"
ACCOUNT = "gh_1234567890ab"  # the 公众号's own id (ToUserName)


@dataclass
class Call:
    path: str
    body: dict[str, Any]


@dataclass
class FakeWeChatAPI:
    """The platform's HTTP APIs; ``sent`` holds every accepted customer-service and template message."""

    media_files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # media_id → (bytes, content type)
    token_fetches: int = 0
    calls: list[Call] = field(default_factory=list)
    refuse_custom: dict[str, int] = field(default_factory=dict)  # msgtype → errcode to answer (e.g. 45015)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self.server: ThreadedServer | None = None

    # -- endpoints ---------------------------------------------------------------------------------------
    async def _token(self, request: Request) -> JSONResponse:
        q = request.query_params
        if q.get("appid") != APPID or q.get("secret") != APPSECRET or q.get("grant_type") != "client_credential":
            return JSONResponse({"errcode": 40013, "errmsg": "invalid appid"})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.token_fetches += 1
            self._tokens = {token}  # a new token retires the previous one (here at once)
        return JSONResponse({"access_token": token, "expires_in": 7200})

    def _authorised(self, request: Request) -> bool:
        with self._lock:
            return request.query_params.get("access_token", "") in self._tokens

    async def _record(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        body = await request.json()
        path = request.url.path
        if path.endswith("custom/send") and body.get("msgtype") in self.refuse_custom:
            return JSONResponse({"errcode": self.refuse_custom[body["msgtype"]], "errmsg": "refused by the test"})
        with self._lock:
            self.calls.append(Call(path, body))
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": len(self.calls)})

    async def _media(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        media = self.media_files.get(request.query_params.get("media_id", ""))
        if media is None:
            return JSONResponse({"errcode": 40007, "errmsg": "invalid media_id"})
        with self._lock:
            self.calls.append(Call("/cgi-bin/media/get", {"media_id": request.query_params["media_id"]}))
        return Response(media[0], media_type=media[1])

    def start(self) -> FakeWeChatAPI:
        routes = [
            Route("/cgi-bin/token", self._token),
            Route("/cgi-bin/message/custom/send", self._record, methods=["POST"]),
            Route("/cgi-bin/message/template/send", self._record, methods=["POST"]),
            Route("/cgi-bin/menu/create", self._record, methods=["POST"]),
            Route("/cgi-bin/media/get", self._media),
        ]
        self.server = ThreadedServer(Starlette(routes=routes)).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    # -- for the tests -----------------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        """Every issued token becomes invalid (as after a fetch elsewhere, or two hours)."""
        with self._lock:
            self._tokens = set()

    def calls_to(self, suffix: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path.endswith(suffix)]

    def custom_to(self, openid: str) -> list[dict[str, Any]]:
        """The customer-service messages to ``openid``, in order."""
        return [c.body for c in self.calls_to("custom/send") if c.body.get("touser") == openid]

    def texts_to(self, openid: str) -> list[str]:
        """What ``openid`` read from customer-service messages (a menu's head text and options as lines)."""
        result = []
        for body in self.custom_to(openid):
            if body["msgtype"] == "text":
                result.append(body["text"]["content"])
            elif body["msgtype"] == "msgmenu":
                menu = body["msgmenu"]
                result.append("\n".join([menu["head_content"], *(i["content"] for i in menu["list"])]))
        return result

    def templates_to(self, openid: str) -> list[dict[str, Any]]:
        return [c.body for c in self.calls_to("template/send") if c.body.get("touser") == openid]


_msg_ids = itertools.count(int(time.time()) * 1000)


@dataclass
class WeChatServerSide:
    """The platform pushing to the channel's server: ``post`` signs (and in compatible/safe mode encrypts); the
    deliveries go to the channel's instances in turn, so a retry usually reaches another process."""

    urls: list[str]  # the channel's server URL behind each address a proxy would use, taken in turn
    token: str
    mode: str = "plaintext"
    aes_key: str = ""

    def __post_init__(self) -> None:
        self.crypto = WeChatCrypto(self.token, self.aes_key, APPID) if self.aes_key else None
        self._next = itertools.cycle(self.urls)
        self._lock = threading.Lock()

    def sign(self, timestamp: str, nonce: str, *extra: str) -> str:
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce, *extra)
        return str(signer.signature)

    def xml(self, openid: str, msg_type: str, create_time: int | None = None, **fields: Any) -> dict[str, Any]:
        data = {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": str(create_time or int(time.time())),
            "MsgType": msg_type,
            **{k: str(v) for k, v in fields.items()},
        }
        if msg_type != "event" and "MsgId" not in data:
            data["MsgId"] = str(next(_msg_ids))
        return data

    def post(self, data: dict[str, Any], signature: str | None = None, timeout: float = 10.0) -> httpx.Response:
        """One delivery of ``data`` (the message's fields), as the platform makes it."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        plain = xmltodict.unparse({"xml": data}, full_document=False)
        params = {"signature": signature or self.sign(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        params["openid"] = data["FromUserName"]
        body = plain
        if self.mode in ("compatible", "safe"):
            assert self.crypto is not None
            encrypted = xmltodict.parse(self.crypto.encrypt_message(plain, nonce, timestamp))["xml"]
            params.update(encrypt_type="aes", msg_signature=encrypted["MsgSignature"])
            envelope = {"ToUserName": ACCOUNT, "Encrypt": encrypted["Encrypt"]}
            if self.mode == "compatible":  # the plaintext fields travel beside the ciphertext
                envelope = {**data, "Encrypt": encrypted["Encrypt"]}
            body = xmltodict.unparse({"xml": envelope}, full_document=False)
        with self._lock:
            url = next(self._next)  # round robin, as the proxy in front of several instances
        resp = httpx.post(url, params=params, content=body.encode(), timeout=timeout)
        resp.request_params = params  # type: ignore[attr-defined]
        return resp

    def reply_of(self, resp: httpx.Response) -> dict[str, Any] | None:
        """The passive reply's fields (decrypted and its signature checked in compatible/safe mode); None for an
        empty or ``success`` answer."""
        assert resp.status_code == 200, resp.text
        if resp.text in ("", "success"):
            return None
        data = xmltodict.parse(resp.text)["xml"]
        if "Encrypt" in data:
            assert self.crypto is not None
            params = resp.request_params  # type: ignore[attr-defined]
            assert data["TimeStamp"] == params["timestamp"] and data["Nonce"] == params["nonce"]
            plain = self.crypto.decrypt_message(resp.text, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
            data = xmltodict.parse(plain)["xml"]
        return dict(data)
