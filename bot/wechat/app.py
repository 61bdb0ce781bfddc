"""The web server WeChat calls (FastAPI + uvicorn, the stack of the staff console).

- ``GET <path>``: the server URL check (``signature``, ``timestamp``, ``nonce``, ``echostr``): ``echostr`` back
  when the signature is right.
- ``POST <path>``: a user's message or event. Every request's ``signature`` is checked (SHA1 of the sorted
  token, timestamp and nonce) and its timestamp must be within WECHAT_SIGNATURE_WINDOW of the clock; encrypted
  messages (``encrypt_type=aes``, compatible and safe modes) also carry ``msg_signature``, over the ciphertext,
  and are answered encrypted. Safe mode refuses plaintext messages. A refused request is a 403, logged.
- ``GET /healthz``: for ``make up``.

The outbox notifier runs in the background of every instance; only one instance delivers at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import xmltodict
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from redis.asyncio import Redis
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from bot.backend_client import BackendClient
from bot.evidence import EvidenceService
from bot.rasa_client import RasaClient
from bot.wechat import texts
from bot.wechat.api import WeChatAPI
from bot.wechat.config import Config, load
from bot.wechat.journal import Journal
from bot.wechat.mapping import inbound
from bot.wechat.menu import MenuError
from bot.wechat.menu import load as load_menu
from bot.wechat.notifier import Notifier
from bot.wechat.service import Channel
from bot.wechat.store import Store

log = logging.getLogger(__name__)
SUCCESS = "success"  # WeChat then neither retries nor shows the user an error


class Refused(Exception):
    """A request that is not from WeChat (or not in the configured mode): 403, logged."""


def signature_of(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    signer = WeChatSigner()  # SHA1 of the sorted strings, as the platform computes it
    signer.add_data(token, timestamp, nonce, *extra)
    return str(signer.signature)


def check_signature(config: Config, params: dict[str, str], now: float | None = None) -> None:
    timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
    signature = params.get("signature", "")
    if not (timestamp.isdigit() and nonce and signature):
        raise Refused("signature, timestamp or nonce missing")
    if abs((time.time() if now is None else now) - int(timestamp)) > config.signature_window:
        raise Refused(f"timestamp {timestamp} outside the {config.signature_window} s window")
    expected = signature_of(config.token, timestamp, nonce)
    if not hmac.compare_digest(expected.encode(), signature.encode(errors="replace")):
        raise Refused("bad signature")


class Server:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.crypto = WeChatCrypto(config.token, config.aes_key, config.appid) if config.aes_key else None
        self.menu_payloads: dict[str, str] = {}
        try:
            self.menu_payloads = load_menu(config.menu_file).payloads
        except MenuError as exc:  # the channel still answers messages; clicks then say the option expired
            log.error("menu not loaded: %s", exc)

    def open(self) -> None:
        config = self.config
        self.redis = Redis.from_url(config.redis_url)
        self.store = Store(self.redis)
        self.api = WeChatAPI(config.api_base, config.appid, config.appsecret, self.redis)
        self.backend = BackendClient(config.backend_url, config.backend_token)
        self.rasa = RasaClient(config.rasa_url, config.rasa_secret, channel="wx")
        evidence = EvidenceService(self.backend, config.max_evidence_bytes, channel=texts.CHANNEL_NAME)
        self.channel = Channel(
            self.rasa, self.api, self.store, evidence, config.passive_budget, config.max_evidence_bytes
        )
        self.journal = Journal(config.state_db)
        self.notifier = Notifier(config, self.backend, self.api, self.store, self.journal)

    async def close(self) -> None:
        await self.channel.drain()
        with contextlib.suppress(Exception):  # Redis gone: the lease expires by itself
            await self.store.resign_notifier(self.notifier.holder)
        await self.rasa.close()
        await self.backend.close()
        await self.api.close()
        await self.redis.aclose()
        self.journal.close()

    # -- requests ------------------------------------------------------------------------------------
    def verify_url(self, params: dict[str, str]) -> str:
        check_signature(self.config, params)
        return params.get("echostr", "")

    def decode(self, params: dict[str, str], body: bytes) -> tuple[dict[str, Any], bool]:
        """The message's fields, and whether the answer must be encrypted."""
        check_signature(self.config, params)
        encrypted = params.get("encrypt_type", "").lower() == "aes"
        if encrypted:
            if self.crypto is None or self.config.mode == "plaintext":
                raise Refused("an encrypted message, but the channel runs in plaintext mode")
            try:
                xml = self.crypto.decrypt_message(
                    body, params.get("msg_signature", ""), params["timestamp"], params["nonce"]
                )
            except (InvalidSignatureException, InvalidAppIdException) as exc:
                raise Refused(f"bad msg_signature or AppID: {type(exc).__name__}") from exc
            except Exception as exc:  # malformed ciphertext: not from WeChat
                raise Refused(f"cannot decrypt: {type(exc).__name__}") from exc
        elif self.config.mode == "safe":
            raise Refused("a plaintext message, but the channel runs in safe mode")
        else:
            xml = body.decode("utf-8", errors="replace")
        try:
            data = xmltodict.parse(xml)["xml"]
        except Exception as exc:
            raise ValueError("not a WeChat XML message") from exc
        if not isinstance(data, dict):
            raise ValueError("not a WeChat XML message")
        return {k: v for k, v in data.items() if isinstance(v, str)}, encrypted

    async def on_message(self, params: dict[str, str], body: bytes) -> Response:
        try:
            data, encrypted = self.decode(params, body)
        except Refused as exc:
            log.warning("refused a POST: %s", exc)
            return PlainTextResponse("forbidden", status_code=403)
        except ValueError as exc:
            log.warning("bad request body: %s", exc)
            return PlainTextResponse("bad request", status_code=400)
        text = await self.channel.handle(inbound(data, self.menu_payloads))
        if text is None:
            return PlainTextResponse(SUCCESS)
        reply = TextReply(content=text, source=data.get("ToUserName", ""), target=data.get("FromUserName", ""))
        xml = reply.render()
        if encrypted and self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, params["nonce"], params["timestamp"])
        return Response(xml, media_type="application/xml")


def create_app(config: Config | None = None) -> FastAPI:
    """The ASGI app (``uvicorn --factory bot.wechat.app:create_app``); settings from the environment."""
    # Each uvicorn worker process builds its app here: its log lines go where the channel's go.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    server = Server(config or load())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server.open()
        notifier = asyncio.create_task(server.notifier.run_forever(), name="wechat-notifier")
        try:
            yield
        finally:
            notifier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await notifier
            await server.close()

    app = FastAPI(title="WeChat channel", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    path = server.config.path

    @app.get(path)
    async def verify(request: Request) -> Response:
        try:
            return PlainTextResponse(server.verify_url(dict(request.query_params)))
        except Refused as exc:
            log.warning("refused a URL check: %s", exc)
            return PlainTextResponse("forbidden", status_code=403)

    @app.post(path)
    async def message(request: Request) -> Response:
        return await server.on_message(dict(request.query_params), await request.body())

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.state.server = server
    return app
