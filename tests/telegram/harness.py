"""Real processes and servers for the end-to-end tests: the backend, the bridge, a scripted Rasa."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.signing import verify
from tests.support.processes import DemoBackend, Process
from tests.telegram.servers import ThreadedServer

ROOT = Path(__file__).resolve().parents[2]
ASSISTANT_TOKEN = "tg-test-assistant"
STAFF_TOKEN = "tg-test-staff"
TG_SECRET = "tg-test-channel-secret"  # ASSISTANT_CHANNEL_SECRET_TG shared by the bridge and (fake) Rasa
JIANGCHENG = "91220202MA0Y3K7Q6L"  # demo case: 吉林市江城建材有限公司


class Backend(DemoBackend):
    """The real credit backend (uvicorn) on a temporary SQLite database with 200 demo entities."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp, {"assistant": ASSISTANT_TOKEN, "staff": STAFF_TOKEN, "admin": "tg-test-admin"})

    def start(self) -> Backend:
        super().start()
        return self

    def client(self, token: str = ASSISTANT_TOKEN) -> httpx.Client:
        return httpx.Client(base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)

    # -- flows through the public API -------------------------------------------------------------
    def bind(self, sender: str, uscc: str = JIANGCHENG) -> None:
        """Bind ``sender`` to ``uscc``: start, read the one-time code from the sms outbox as staff, verify."""
        with self.client() as api, self.client(STAFF_TOKEN) as staff:
            api.post("/bindings/start", json={"sender_id": sender, "uscc": uscc}).raise_for_status()
            sms = staff.get("/notifications", params={"channel": "sms", "limit": 200}).json()["items"]
            code = [n for n in sms if n["kind"] == "otp"][-1]["payload"]["code"]
            api.post("/bindings/verify", json={"sender_id": sender, "uscc": uscc, "code": code}).raise_for_status()

    def file_objection(self, sender: str, uscc: str = JIANGCHENG) -> dict[str, Any]:
        """A real objection by ``sender`` against the entity's first objectable record."""
        with self.client() as api:
            records = api.get(f"/entities/{uscc}/records").json()["items"]
            for record in records:
                resp = api.post(
                    "/applications/objections",
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                    json={
                        "sender_id": sender,
                        "uscc": uscc,
                        "record_id": record["id"],
                        "reason": "该记录的处罚对象不是本单位，请核实。",
                    },
                )
                if resp.status_code == 201:
                    return resp.json()
            raise AssertionError(f"no objectable record for {uscc}: {resp.text}")

    def decide(self, application_no: str, action: str, note: str | None = None) -> dict[str, Any]:
        with self.client(STAFF_TOKEN) as staff:
            resp = staff.post(f"/applications/{application_no}/decision", json={"action": action, "note": note})
            resp.raise_for_status()
            return resp.json()

    def application(self, application_no: str) -> dict[str, Any]:
        """The application as staff see it (the assistant's token sees only its sender's applications)."""
        with self.client(STAFF_TOKEN) as staff:
            return staff.get(f"/applications/{application_no}").json()

    def notifications(self, channel: str = "tg") -> list[dict[str, Any]]:
        with self.client(STAFF_TOKEN) as staff:
            params = {"channel": channel, "include_delivered": "true", "limit": 200}
            return staff.get("/notifications", params=params).json()["items"]


@dataclass
class FakeRasa:
    """Rasa's trusted channel with scripted answers: ``script[message]`` → the answer list.

    Checks the signature as the real channel does (401 otherwise, counted in ``refused``) and records each
    body with the sender Rasa would build, ``<channel>:<user>``. Unknown messages get an echo. While
    ``available`` is False it answers 503 like a proxy in front of a stopped Rasa.
    """

    script: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    available: bool = True
    secret: str = TG_SECRET
    refused: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.server: ThreadedServer | None = None

    async def _webhook(self, request: Request) -> JSONResponse:
        raw = await request.body()
        channel = request.headers.get("X-Channel", "")
        timestamp = request.headers.get("X-Timestamp", "")
        signature = request.headers.get("X-Signature", "")
        if not (
            channel == "tg"
            and timestamp.isdigit()
            and verify(self.secret, channel, int(timestamp), raw, signature, time.time())
        ):
            with self._lock:
                self.refused += 1
            return JSONResponse({"error": {"code": "BAD_SIGNATURE", "message": "签名无效、缺失或已过期。"}}, 401)
        body = json.loads(raw)
        body["sender"] = f"{channel}:{body['user']}"
        with self._lock:
            self.received.append(body)
        if not self.available:
            return JSONResponse({"error": "unavailable"}, 503)
        answers = self.script.get(body["message"], [{"text": f"收到：{body['message']}"}])
        return JSONResponse([{"recipient_id": body["sender"], **a} for a in answers])

    def start(self) -> FakeRasa:
        app = Starlette(routes=[Route("/webhooks/trusted/webhook", self._webhook, methods=["POST"])])
        self.server = ThreadedServer(app).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def messages_from(self, sender: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.received if r["sender"] == sender]


class Bridge:
    """``python -m bot.telegram`` as a subprocess, pointed at the fake Bot API through TELEGRAM_BASE_URL."""

    def __init__(
        self, tmp: Path, bot_api_base: str, token: str, rasa_url: str, backend_url: str, rasa_secret: str = TG_SECRET
    ) -> None:
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": token,
            "ASSISTANT_CHANNEL_SECRET_TG": rasa_secret,
            "TELEGRAM_MODE": "polling",
            "TELEGRAM_BASE_URL": bot_api_base,
            "RASA_URL": rasa_url,
            "CREDIT_BACKEND_URL": backend_url,
            "CREDIT_BACKEND_TOKEN": ASSISTANT_TOKEN,
            "TELEGRAM_STATE_DB": str(tmp / "telegram-state.db"),
            "TELEGRAM_NOTIFY_INTERVAL": "0.3",
        }
        self.tmp = tmp
        self.process: Process | None = None

    def start(self) -> Bridge:
        self.process = Process("bridge", [sys.executable, "-m", "bot.telegram"], self.env, self.tmp).start()
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process:
            self.process.stop(sig)

    def log(self) -> str:
        return self.process.log() if self.process else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.proc is not None and self.process.proc.poll() is None
