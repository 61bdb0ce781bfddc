"""The channels the Rasa server serves (credentials.yml), each serving one worker's messages in order of arrival.

Who may speak as whom:

- ``trusted`` (``/webhooks/trusted/webhook``): the bridges of the authenticated channels (Telegram, WeChat,
  the staff console). A request is signed with the channel's shared secret (bot/signing.py); the server
  builds the sender ``<channel>:<user>`` itself, so the namespaces ``tg:``, ``wx:``, ``staff:`` are reachable
  only with their secret (``ASSISTANT_CHANNEL_SECRET_TG`` / ``_WX`` / ``_STAFF``; a channel without one is refused).
- ``web`` (``/webhooks/web/session``, ``/webhooks/web/webhook``): the public web chat. The server issues a
  session (a random ``web:`` id in a JWT signed with ``ASSISTANT_WEB_SESSION_SECRET``); the sender comes only
  from that token, never from the client.
- ``rest`` (``/webhooks/rest/webhook``): Rasa's REST protocol for local development and benchmarks. It refuses
  the namespaces the channels above own and a missing sender (instead of Rasa's shared ``default``).

Hand-off: while a person holds a ``tg:``/``wx:`` sender's conversation (a claimed hand-off in the backend), the
trusted channel passes the sender's messages to the backend (``POST /api/v1/handoffs/relay``) instead of the agent
and answers with an empty list: the person replies through the backend's notifications. The backend is asked
before every message of those senders, with a short timeout (``ASSISTANT_RELAY_TIMEOUT``, default 1 s); when it is
unreachable or slow the assistant answers as usual.

Every channel: a body that is not a JSON object is a 400 with a JSON error (never a 500); a message longer than
``ASSISTANT_MAX_MESSAGE_CHARS`` (default 1000) is answered with the limit and never reaches the NLU (its time
grows faster than the message, and in-order serving would make everyone behind it wait); a turn that produced
no answer (e.g. the action server is down) is answered with "please try again", so an empty reply never reaches
a user; a turn that failed (e.g. its conversation could not be read or stored) is answered with "please try again"
only, whatever it had said before failing. Answers are Rasa's REST channel format, collected by Rasa's
CollectingOutputChannel.

Order of arrival: a Rasa turn is CPU-bound Python except for its call to the action server. With several
messages in one worker, asyncio runs each until it waits: a turn that calls the action server goes to the back
of the queue when the answer arrives and waits for every turn that started meanwhile: with 16 conversations, a
credit query took 2.6–3 times as long as a greeting, while one at a time it takes about 1.6 times as long
(`make bench`). Served in arrival order, a turn waits once, for the turns ahead of it. While a worker waits for
the action server, the action server and the backend use the core (on one host, workers = cores); with the
action server elsewhere, run more workers. All channels of a worker share its one line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.signing import verify
from bot.texts import TRY_AGAIN

Handler = Callable[[UserMessage], Awaitable[Any]]
log = logging.getLogger(__name__)

OWNED_NAMESPACES = ("tg", "wx", "staff", "web")  # senders only authenticated channels may use
RELAYED_NAMESPACES = ("tg", "wx")  # the users' channels whose messages go to a person during a hand-off
DEFAULT_BACKEND_URL = "http://127.0.0.1:8000"  # the same variables and defaults as actions/backend.py
DEFAULT_BACKEND_TOKEN = "dev-assistant-token"
RELAY_MAX_CHARS = 4000  # the backend's limit of a relayed message
DEFAULT_RELAY_TIMEOUT = 1.0  # seconds: the backend is on the same host; a slow one must not hold a user up
TRUSTED_SECRETS = {  # namespace → the environment variable holding its shared secret
    "tg": "ASSISTANT_CHANNEL_SECRET_TG",
    "wx": "ASSISTANT_CHANNEL_SECRET_WX",
    "staff": "ASSISTANT_CHANNEL_SECRET_STAFF",
}
USER_PATTERN = re.compile(r"[A-Za-z0-9_.@-]{1,80}")  # the backend's sender pattern after "<channel>:" (fullmatch)
MAX_SENDER_CHARS = 100
DEFAULT_MAX_MESSAGE_CHARS = 1000
SIGNATURE_WINDOW = 300  # seconds a signed request stays valid
DEFAULT_SESSION_TTL = 24 * 3600
JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "credit-assistant-web"

# What users read (Simplified Chinese).
TOO_LONG = "您的消息共{length}个字，超过了单条消息{limit}字的上限。请精简后重新发送，或分成几条发送。"
BAD_BODY = "请求体必须是 JSON 对象。"
BAD_MESSAGE = "message 必须是非空文本。"
NO_SENDER = "缺少 sender（会话标识）：开发用 REST 通道不提供共用会话，请为每个会话指定一个标识，例如 cli:张三。"
BAD_SENDER = "sender 必须是不超过 100 个字符的文本。"
OWNED_SENDER = "开发用 REST 通道不能使用 tg:、wx:、staff:、web: 开头的会话标识，这些会话只能经过认证的通道访问。"
BAD_SIGNATURE = "签名无效、缺失或已过期。"
BAD_USER = "user 必须是 1–80 个字母、数字或 _.@- 字符。"
BAD_SESSION = "会话无效或已过期，请重新开始对话。"
NO_SESSION_SECRET = "网页对话暂不可用：服务器未配置会话密钥。"


def _worker_line() -> asyncio.Lock:
    """The one lock of the running event loop (one per Rasa worker), shared by every channel."""
    loop = asyncio.get_running_loop()
    lock = _LINES.get(loop)
    if lock is None:
        lock = _LINES[loop] = asyncio.Lock()
    return lock


_LINES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def in_arrival_order(on_new_message: Handler) -> Handler:
    """``on_new_message`` for one message at a time per worker, the waiting ones in order of arrival."""

    async def handle(message: UserMessage) -> None:
        async with _worker_line():
            await on_new_message(message)

    return handle


class Refused(Exception):
    """A request the channel will not pass to Rasa: answered with ``status`` and a JSON error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Turn:
    sender: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def max_message_chars() -> int:
    try:
        return max(1, int(os.environ.get("ASSISTANT_MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS)))
    except ValueError:
        return DEFAULT_MAX_MESSAGE_CHARS


def has_content(message: dict[str, Any]) -> bool:
    """True when an answer shows the user something (text that is not blank, buttons, an image, …)."""
    return any(
        (str(value).strip() if key == "text" else value) for key, value in message.items() if key != "recipient_id"
    )


def visible(messages: list[dict[str, Any]], sender: str) -> list[dict[str, Any]]:
    """The answers without empty parts (Rasa splits a text at blank lines); "please try again" if none is left."""
    kept = [
        {k: v for k, v in m.items() if not (k == "text" and not str(v).strip())} for m in messages if has_content(m)
    ]
    return kept or [{"recipient_id": sender, "text": TRY_AGAIN}]


def error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(400, "BAD_REQUEST", BAD_BODY) from exc
    if not isinstance(body, dict):
        raise Refused(400, "BAD_REQUEST", BAD_BODY)
    return body


def message_text(body: dict[str, Any]) -> str:
    text = body.get("message")
    if not isinstance(text, str) or not text.strip():
        raise Refused(400, "BAD_REQUEST", BAD_MESSAGE)
    return text


def metadata_of(body: dict[str, Any]) -> dict[str, Any]:
    metadata = body.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


class GuardedInput(InputChannel):
    """What every channel here shares: JSON errors, the length cap, no empty reply, order of arrival.

    A channel says who is speaking (``turn``); this class does the rest. Rasa's RestInput is not subclassed:
    its webhook lets the client pick the sender and the input channel, streams past the answer check and turns a
    malformed body into a 500; the answers are collected with Rasa's CollectingOutputChannel as RestInput does.
    """

    def __init__(self, max_chars: int | None = None) -> None:
        self.max_chars = max_chars or max_message_chars()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(**(credentials or {}))

    async def turn(self, request: Request) -> Turn:
        """Who says what: raises ``Refused`` for a request that must not reach Rasa."""
        raise NotImplementedError

    def add_routes(self, blueprint: Blueprint) -> None:
        """Routes besides ``GET /`` and ``POST /webhook`` (e.g. the web channel's session)."""

    async def answer(self, on_new_message: Handler, turn: Turn) -> list[dict[str, Any]]:
        if len(turn.text) > self.max_chars:
            return [{"recipient_id": turn.sender, "text": TOO_LONG.format(length=len(turn.text), limit=self.max_chars)}]
        collector = CollectingOutputChannel()
        message = UserMessage(turn.text, collector, turn.sender, input_channel=self.name(), metadata=turn.metadata)
        try:
            await on_new_message(message)
        except asyncio.CancelledError:
            log.error("%s channel: the turn of %s was cancelled (timeout)", self.name(), turn.sender)
        except Exception:
            log.exception("%s channel: the turn of %s failed", self.name(), turn.sender)
        else:
            return visible(collector.messages, turn.sender)
        # The failed turn's answers may already be collected, but the conversation did not keep the turn (e.g. its
        # store could not be written): answering them would tell the user what the assistant will not remember.
        return visible([], turn.sender)

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        ordered = in_arrival_order(on_new_message)
        blueprint = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                turn = await self.turn(request)
            except Refused as refused:
                return error(refused.status, refused.code, refused.message)
            return response.json(await self.answer(ordered, turn))

        self.add_routes(blueprint)
        return blueprint


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


class Relay:
    """Asks the backend whether a person holds the sender's conversation; if so the message is theirs.

    One HTTP session per event loop (each Rasa worker has its own), kept alive between messages, so a message
    costs one request to the backend (measured in tests/core/test_channels.py). Any failure (unreachable, timeout, an error answer) counts as "not
    relayed", so the assistant answers as it would without the hand-off desk.
    """

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None) -> None:
        base = url or os.environ.get("CREDIT_BACKEND_URL") or DEFAULT_BACKEND_URL
        self.url = f"{base.rstrip('/')}/api/v1/handoffs/relay"
        self.token = token if token is not None else os.environ.get("CREDIT_BACKEND_TOKEN", DEFAULT_BACKEND_TOKEN)
        self.timeout = timeout or _env_seconds("ASSISTANT_RELAY_TIMEOUT", DEFAULT_RELAY_TIMEOUT)
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
            weakref.WeakKeyDictionary()
        )

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            session = self._sessions[loop] = aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout)
            )
        return session

    async def relayed(self, sender: str, text: str) -> bool:
        """True when the backend took the message for the person holding the conversation."""
        try:
            try:
                answer = await self._ask(sender, text)
            except aiohttp.ServerDisconnectedError:  # a kept-alive connection the backend closed meanwhile
                answer = await self._ask(sender, text)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            log.warning("hand-off relay unavailable, the assistant answers %s: %s", sender, exc or type(exc).__name__)
            return False
        return isinstance(answer, dict) and answer.get("relayed") is True

    async def _ask(self, sender: str, text: str) -> Any:
        async with self._session().post(self.url, json={"sender_id": sender, "text": text}) as resp:
            if resp.status != 200:
                log.warning("hand-off relay: the backend answered HTTP %s for %s", resp.status, sender)
                return None
            return await resp.json()

    async def close(self) -> None:
        for session in list(self._sessions.values()):
            await session.close()
        self._sessions.clear()


class TrustedInput(GuardedInput):
    """The signed channel of the bridges: ``X-Channel``/``X-Timestamp``/``X-Signature`` over the raw body."""

    def __init__(
        self,
        max_chars: int | None = None,
        window: int = SIGNATURE_WINDOW,
        relay: Relay | None = None,
    ) -> None:
        super().__init__(max_chars)
        self.window = window
        self.secrets = {channel: os.environ.get(name, "") for channel, name in TRUSTED_SECRETS.items()}
        self.relay = relay or Relay()

    @classmethod
    def name(cls) -> str:
        return "trusted"

    async def answer(self, on_new_message: Handler, turn: Turn) -> list[dict[str, Any]]:
        """A user's message while a person holds the conversation goes to them: no answer from the assistant."""
        namespace = turn.sender.partition(":")[0]
        if namespace in RELAYED_NAMESPACES and len(turn.text) <= self.max_chars:
            # A pressed button arrives as its payload; the person reads what the user saw: its title.
            shown = turn.metadata.get("button_title")
            said = shown if isinstance(shown, str) and shown.strip() else turn.text
            if await self.relay.relayed(turn.sender, said[:RELAY_MAX_CHARS]):
                return []  # deliberately empty: the bridges send nothing, the person answers
        return await super().answer(on_new_message, turn)

    def add_routes(self, blueprint: Blueprint) -> None:
        @blueprint.listener("after_server_stop")
        async def close_relay(*_: Any) -> None:
            await self.relay.close()

    async def turn(self, request: Request) -> Turn:
        channel = request.headers.get("X-Channel", "")
        secret = self.secrets.get(channel, "")
        try:
            timestamp = int(request.headers.get("X-Timestamp", ""))
        except ValueError:
            timestamp = 0
        signature = request.headers.get("X-Signature", "")
        if not (
            secret
            and signature
            and verify(secret, channel, timestamp, request.body, signature, time.time(), self.window)
        ):
            raise Refused(401, "BAD_SIGNATURE", BAD_SIGNATURE)
        body = json_object(request)
        user = body.get("user")
        if isinstance(user, int) and not isinstance(user, bool):
            user = str(user)
        if not isinstance(user, str) or not USER_PATTERN.fullmatch(user):
            raise Refused(400, "BAD_REQUEST", BAD_USER)
        return Turn(f"{channel}:{user}", message_text(body), metadata_of(body))


class WebInput(GuardedInput):
    """The public web chat: ``POST /session`` issues a ``web:`` sender in a signed token; the sender comes from it."""

    def __init__(self, max_chars: int | None = None, ttl: int | None = None) -> None:
        super().__init__(max_chars)
        self.secret = os.environ.get("ASSISTANT_WEB_SESSION_SECRET", "")
        self.ttl = ttl or int(os.environ.get("ASSISTANT_WEB_SESSION_TTL", DEFAULT_SESSION_TTL))

    @classmethod
    def name(cls) -> str:
        return "web"

    def issue(self, now: float | None = None) -> dict[str, Any]:
        """A new session: a random sender and its token."""
        issued = int(time.time() if now is None else now)
        sender = f"web:{secrets.token_hex(16)}"
        claims = {"sub": sender, "aud": JWT_AUDIENCE, "iat": issued, "exp": issued + self.ttl}
        return {
            "token": jwt.encode(claims, self.secret, algorithm=JWT_ALGORITHM),
            "sender": sender,
            "expires_in": self.ttl,
        }

    def sender_of(self, authorization: str) -> str:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(401, "BAD_SESSION", BAD_SESSION)
        try:
            claims = jwt.decode(
                token.strip(),
                self.secret,
                algorithms=[JWT_ALGORITHM],
                audience=JWT_AUDIENCE,
                options={"require": ["sub", "exp", "iat", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Refused(401, "BAD_SESSION", BAD_SESSION) from exc
        sender = claims["sub"]
        namespace, _, user = sender.partition(":") if isinstance(sender, str) else ("", "", "")
        if namespace != "web" or not USER_PATTERN.fullmatch(user):
            raise Refused(401, "BAD_SESSION", BAD_SESSION)
        return sender

    async def turn(self, request: Request) -> Turn:
        if not self.secret:
            raise Refused(503, "UNAVAILABLE", NO_SESSION_SECRET)
        sender = self.sender_of(request.headers.get("Authorization", ""))
        return Turn(sender, message_text(json_object(request)))

    def add_routes(self, blueprint: Blueprint) -> None:
        @blueprint.route("/session", methods=["POST"])
        async def session(request: Request) -> HTTPResponse:
            if not self.secret:
                return error(503, "UNAVAILABLE", NO_SESSION_SECRET)
            return response.json(self.issue())


class DevRestInput(GuardedInput):
    """Rasa's REST protocol (``{"sender", "message", "metadata"}``) for development, tests and benchmarks.

    The client names the sender, so it may not use a namespace an authenticated channel owns, nor none at all.
    Keep it off the public network (the server listens on ASSISTANT_BIND_HOST; a reverse proxy forwards only
    ``/webhooks/web/`` and, for the bridges, ``/webhooks/trusted/``; see docs/security.md).
    """

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def turn(self, request: Request) -> Turn:
        body = json_object(request)
        sender = body.get("sender")
        if sender is None or (isinstance(sender, str) and not sender.strip()):
            raise Refused(400, "SENDER_REQUIRED", NO_SENDER)
        if not isinstance(sender, str) or len(sender) > MAX_SENDER_CHARS:
            raise Refused(400, "BAD_REQUEST", BAD_SENDER)
        if owned(sender):
            raise Refused(403, "NAMESPACE_OWNED", OWNED_SENDER)
        return Turn(sender, message_text(body), metadata_of(body))


def owned(sender: str) -> bool:
    """True for a sender in a namespace that only an authenticated channel may use (``tg:1``, `` WEB:x`` …)."""
    namespace, colon, _ = sender.strip().partition(":")
    return bool(colon) and namespace.strip().lower() in OWNED_NAMESPACES
