"""A fake Telegram Bot API server over real HTTP, for end-to-end tests of the bridge.

Implements what the bridge calls (getMe, getUpdates, deleteWebhook, setWebhook, sendMessage,
sendPhoto, sendDocument (multipart upload: the file's name, type and bytes are kept), sendChatAction, answerCallbackQuery, editMessageText, editMessageReplyMarkup, getFile and
file download) with the Bot API's request and answer shapes. Tests inject updates (a user typing,
pressing a button, sending a file) and read every call the bot made.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.processes import wait_until
from tests.support.servers import ThreadedServer

BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "信用助手", "username": "jl_credit_test_bot"}
# Bot API parameters that are strings even when they look like JSON (PTB sends them raw).
STRING_PARAMS = {"text", "caption", "callback_query_id", "file_id", "url", "secret_token", "photo", "action"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded (e.g. sendDocument's ``document``)."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class User:
    id: int
    first_name: str = "测试"
    last_name: str = "用户"
    language_code: str = "zh-hans"
    username: str = "tester"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "language_code": self.language_code,
            "username": self.username,
        }

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1


@dataclass
class FakeBotAPI:
    token: str = "123456:TEST-TOKEN"
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    blocked_chats: set[int] = field(default_factory=set)
    failures: dict[str, Failure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.server: ThreadedServer | None = None

    # -- server ----------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )

    def start(self) -> FakeBotAPI:
        self.server = ThreadedServer(self.app()).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/bot"

    # -- test side ---------------------------------------------------------------------------------
    def _push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update = {"update_id": next(self._update_ids), kind: payload}
            self.updates.append(update)
        return update

    def _user_message(self, user: User, **content: Any) -> dict[str, Any]:
        with self._lock:
            message_id = next(self._ids)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": user.chat(),
            "from": user.as_dict(),
            **content,
        }

    def send_text(self, user: User, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push("message", self._user_message(user, **content))

    def send_document(
        self, user: User, filename: str, mime_type: str, data: bytes, caption: str | None = None
    ) -> dict[str, Any]:
        file_id = self._store_file(f"documents/{filename}", data)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self._push("message", self._user_message(user, **content))

    def send_photo(self, user: User, data: bytes) -> dict[str, Any]:
        file_id = self._store_file(f"photos/file_{len(self.files)}.jpg", data)
        photo = [
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600, "file_size": len(data)}
        ]
        return self._push("message", self._user_message(user, photo=photo))

    def press(self, user: User, message: dict[str, Any], callback_data: str) -> dict[str, Any]:
        with self._lock:
            query_id = str(next(self._ids))
        query = {
            "id": query_id,
            "from": user.as_dict(),
            "chat_instance": f"ci{user.id}",
            "data": callback_data,
            "message": message,
        }
        return self._push("callback_query", query)

    def _store_file(self, path: str, data: bytes) -> str:
        with self._lock:
            file_id = f"F{next(self._ids)}"
            self.files[file_id] = (path, data)
        return file_id

    def fail(self, method: str, status: int, description: str, retry_after: int | None = None, times: int = 1) -> None:
        with self._lock:
            self.failures[method] = Failure(status, description, retry_after, times)

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def delivered(self, chat_id: int) -> list[Call]:
        """The sendMessage calls to ``chat_id`` that succeeded (refused ones stay in ``calls``)."""
        return [c for c in self.calls_of("sendMessage", chat_id) if "_result" in c.params]

    def sent_texts(self, chat_id: int) -> list[str]:
        return [c.params.get("text", "") for c in self.delivered(chat_id)]

    def wait_for_message(
        self, chat_id: int, contains: str, after: int = 0, timeout: float = 60.0
    ) -> tuple[int, dict[str, Any]]:
        """Wait for a sendMessage to ``chat_id`` whose text contains ``contains``, among those after
        index ``after``; returns (its index, the message as the bot got it back)."""

        def find() -> tuple[int, dict[str, Any]] | None:
            for i, call in enumerate(self.delivered(chat_id)):
                if i >= after and contains in call.params.get("text", ""):
                    return i, call.params["_result"]
            return None

        return wait_until(
            find, timeout, f"a message to {chat_id} containing {contains!r}; sent: {self.sent_texts(chat_id)}"
        )

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
        """(title, callback_data) of an inline keyboard, row by row."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    # -- Bot API -------------------------------------------------------------------------------------
    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            if ctype.startswith("application/json"):
                params.update(await request.json())
            else:
                form = await request.form()
                for key, value in form.items():
                    if isinstance(value, str):
                        params[key] = value
                    else:  # an uploaded file (multipart): kept whole for the tests
                        params[key] = UploadedFile(value.filename or "", value.content_type or "", await value.read())
        for key, value in list(params.items()):
            if isinstance(value, str) and key not in STRING_PARAMS:
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        return params

    async def _endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = request.path_params["method"]
        params = await self._params(request)
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
            failure = self.failures.get(method)
            if failure:
                failure.times -= 1
                if failure.times <= 0:
                    del self.failures[method]
        if failure:
            body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return JSONResponse(body, failure.status)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found: method not found"}, 404)
        result = await handler(params)
        if isinstance(result, Response):
            return result
        params["_result"] = copy.deepcopy(result)  # set last: a call with a result succeeded
        return JSONResponse({"ok": True, "result": result})

    async def _m_getMe(self, p: dict[str, Any]) -> Any:
        return {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_deleteWebhook(self, p: dict[str, Any]) -> Any:
        return True

    async def _m_setWebhook(self, p: dict[str, Any]) -> Any:
        return True

    async def _m_getUpdates(self, p: dict[str, Any]) -> Any:
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 1.0)  # short polls: quick shutdowns
        while True:
            with self._lock:
                if offset:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed ones go
                pending = list(self.updates[: int(p.get("limit") or 100)])
            if pending or time.monotonic() >= deadline:
                return pending
            await anyio.sleep(0.05)

    def _bot_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        if chat_id in self.blocked_chats:
            return {"_error": (403, "Forbidden: bot was blocked by the user")}
        with self._lock:
            message_id = next(self._ids)
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                **{k: v for k, v in content.items() if v is not None},
            }
            self._messages[(chat_id, message_id)] = message
        return message

    async def _send(self, chat_id: int, **content: Any) -> Any:
        message = self._bot_message(chat_id, **content)
        if "_error" in message:
            status, description = message["_error"]
            return JSONResponse({"ok": False, "error_code": status, "description": description}, status)
        return message

    async def _m_sendMessage(self, p: dict[str, Any]) -> Any:
        if len(p.get("text", "").encode("utf-16-le")) // 2 > 4096:
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}, 400
            )
        return await self._send(int(p["chat_id"]), text=p["text"], reply_markup=p.get("reply_markup"))

    async def _m_sendPhoto(self, p: dict[str, Any]) -> Any:
        photo = [{"file_id": "P1", "file_unique_id": "uP1", "width": 1, "height": 1}]
        return await self._send(
            int(p["chat_id"]), photo=photo, caption=p.get("caption"), reply_markup=p.get("reply_markup")
        )

    async def _m_sendDocument(self, p: dict[str, Any]) -> Any:
        upload = p.get("document")
        if not isinstance(upload, UploadedFile) or not upload.data:
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request: there is no document in the request"},
                400,
            )
        if len(str(p.get("caption") or "").encode("utf-16-le")) // 2 > 1024:
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request: message caption is too long"}, 400
            )
        with self._lock:
            file_id = f"D{next(self._ids)}"
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": upload.filename,
            "mime_type": upload.content_type,
            "file_size": len(upload.data),
        }
        return await self._send(int(p["chat_id"]), document=document, caption=p.get("caption"))

    def sent_documents(self, chat_id: int) -> list[tuple[UploadedFile, str | None]]:
        """The files sent to ``chat_id`` with sendDocument that succeeded, with their captions."""
        return [
            (c.params["document"], c.params.get("caption"))
            for c in self.calls_of("sendDocument", chat_id)
            if "_result" in c.params
        ]

    async def _m_sendChatAction(self, p: dict[str, Any]) -> Any:
        return True

    async def _m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        return True

    def _edit(self, p: dict[str, Any], **changes: Any) -> Any:
        key = (int(p["chat_id"]), int(p["message_id"]))
        with self._lock:
            message = self._messages.get(key)
            if message is None:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"}, 400
                )
            message.update(changes)
            if changes.get("reply_markup") is None:
                message.pop("reply_markup", None)
            return dict(message)

    async def _m_editMessageText(self, p: dict[str, Any]) -> Any:
        return self._edit(p, text=p["text"], reply_markup=p.get("reply_markup"))

    async def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        return self._edit(p, reply_markup=p.get("reply_markup"))

    async def _m_getFile(self, p: dict[str, Any]) -> Any:
        file_id = p["file_id"]
        if file_id not in self.files:
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}, 400)
        path, data = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data), "file_path": path}

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        path = request.path_params["path"]
        for stored_path, data in self.files.values():
            if stored_path == path:
                return Response(data, media_type="application/octet-stream")
        return Response(status_code=404)
