"""The stack as ``make up`` starts it, and the tools an attacker on the same network would use against it.

``Stack`` takes the commands from ``bot.runner.services(env)`` (the exact commands ``make up`` runs) and
starts the backend, the action server and the Rasa server on free ports, with the deployment's settings a
production host would use: its own (non-``dev-``) backend tokens, no ``CREDIT_DEMO``, shared secrets for
the channels and the action server, conversations in Redis (database 7, emptied first), the trained model
in models/. Each process runs under ``tests.support.processes.Process`` with its log in the test's
temporary directory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import redis

from bot import runner
from tests.support.processes import BACKEND_PYTHON, ROOT, TODAY, Process, free_port
from tests.support.rasa_stack import model_server_settings

REDIS_DB = 7  # the security suite's own Redis database, emptied when the stack starts
MODEL = ROOT / "models" / "assistant.tar.gz"
ASSISTANT_TOKEN = "sec-assistant-" + uuid.uuid4().hex
STAFF_TOKEN = "sec-staff-" + uuid.uuid4().hex
ADMIN_TOKEN = "sec-admin-" + uuid.uuid4().hex
# The shared secrets bot/runner.py would otherwise load from (or create in) var/secrets.env, plus the
# Rasa API token `make up` leaves unset.
SECRETS = {
    "ACTION_SERVER_TOKEN": "sec-actions-" + uuid.uuid4().hex,
    "ASSISTANT_CHANNEL_SECRET_TG": "sec-tg-" + uuid.uuid4().hex,
    "ASSISTANT_CHANNEL_SECRET_STAFF": "sec-staff-" + uuid.uuid4().hex,
    "ASSISTANT_CHANNEL_SECRET_WX": "sec-wx-" + uuid.uuid4().hex,
    "ASSISTANT_WEB_SESSION_SECRET": "sec-web-" + uuid.uuid4().hex,
    # The Rasa HTTP API is on, behind this token (without it, the API is off altogether).
    "RASA_API_TOKEN": "sec-rasa-api-" + uuid.uuid4().hex,
}

# The named cases of the demo city (credit_backend/demo/generator.py); each test uses its own.
JIANGCHENG = "91220202MA0Y3K7Q6L"  # 吉林市江城建材有限公司: the victim business of findings 1, 6, 10
LAOWANG = "92220204L5B2C8D11M"  # 船营区老王烧烤店: the objection race of finding 7
QIHANG = "52220211MJ0A1B2C5E"  # 丰满区启航职业培训学校: the one-time code guessing of finding 5
HUAPICHANG = "N2220202MA0Y3K7Q64"  # 昌邑区桦皮厂村股份经济合作社: same-key retries of finding 7
JIAOYI = "12220200012345671E"  # 吉林市公共资源交易中心: the one-time code typed in a conversation (finding 13)
VICTIM_TG_USER = "930001"  # the Telegram user bound to JIANGCHENG

SIX_DIGITS = re.compile(rb"(?<![0-9])[0-9]{6}(?![0-9])")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def has_chinese(text: str) -> bool:
    return bool(CHINESE.search(text))


def stack_env(tmp: Path) -> dict[str, str]:
    """The environment of a production-like deployment on free ports (no demo flag, no dev tokens)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDIT_", "ASSISTANT_", "RASA_"))}
    env.pop("ACTION_SERVER_TOKEN", None)
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.update(
        BACKEND_PORT=str(free_port()),
        ACTIONS_PORT=str(free_port()),
        RASA_PORT=str(free_port()),
        CREDIT_DATABASE_URL=f"sqlite:///{tmp / 'credit.db'}",
        CREDIT_TODAY=TODAY,
        CREDIT_ATTACHMENTS_DIR=str(tmp / "attachments"),
        CREDIT_TOKENS_ASSISTANT=ASSISTANT_TOKEN,
        CREDIT_TOKENS_STAFF=STAFF_TOKEN,
        CREDIT_TOKENS_ADMIN=ADMIN_TOKEN,
        CREDIT_BACKEND_TOKEN=ASSISTANT_TOKEN,
        RASA_REDIS_DB=str(REDIS_DB),
        SANIC_WORKERS="2",
        **SECRETS,
    )
    env.update(model_server_settings(tmp))
    env["CREDIT_BACKEND_URL"] = f"http://127.0.0.1:{env['BACKEND_PORT']}"
    return env


def make_demo_city(env: dict[str, str]) -> None:
    """A fresh demo city of 200 entities, with the pinned date (as tests/support/processes.DemoBackend)."""
    done = subprocess.run(
        [
            str(BACKEND_PYTHON),
            "-m",
            "credit_backend.demo.cli",
            "--reset",
            "--entities",
            "200",
            "--database-url",
            env["CREDIT_DATABASE_URL"],
            "--today",
            TODAY,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")


class Stack:
    """Backend, action server and Rasa server started from ``bot.runner.services(env)``."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.env = stack_env(tmp)
        self.processes: dict[str, Process] = {}

    # -- lifecycle -------------------------------------------------------------------------------
    def services(self, env: dict[str, str] | None = None) -> dict[str, runner.Service]:
        return {s.name: s for s in runner.services(env or self.env)}

    def start(self) -> Stack:
        if not (ROOT / ".venv-rasa" / "bin" / "rasa").exists():
            raise AssertionError(".venv-rasa/bin/rasa is missing: run `make install`.")
        if not MODEL.exists():
            raise AssertionError(f"{MODEL} is missing: run `make train` before the security suite.")
        # As `make up` (bot/runner.py up): the shared secrets, then the endpoints. The secrets file is the test's
        # own; it only receives secrets this harness did not set (none today).
        runner.load_secrets(self.env, self.tmp / "secrets.env")
        self.env["RASA_ENDPOINTS"] = runner.rasa_endpoints(self.env)
        assert self.env["RASA_ENDPOINTS"] == "endpoints.yml", "Redis must run at 127.0.0.1:6379 (.ci/run starts it)"
        self.redis().flushdb()
        make_demo_city(self.env)
        for name in ("backend", "actions", "models", "rasa"):
            self.start_service(name)
        return self

    def start_service(self, name: str, env: dict[str, str] | None = None) -> Process:
        service = self.services(env)[name]
        process = Process(name, service.command, env or self.env, self.tmp).start()
        self.processes[name] = process
        process.wait_healthy(service.health_url, max(service.timeout, 600 if name == "rasa" else 180))
        return process

    def stop_service(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            process.stop()

    def stop(self) -> None:
        for name in ("rasa", "models", "actions", "backend"):
            self.stop_service(name)

    def logs(self) -> str:
        return "\n".join(f"--- {n} log ---\n{p.log()[-4000:]}" for n, p in self.processes.items())

    # -- addresses -------------------------------------------------------------------------------
    @property
    def backend_url(self) -> str:
        return f"http://127.0.0.1:{self.env['BACKEND_PORT']}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.env['ACTIONS_PORT']}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RASA_PORT']}"

    def redis(self) -> redis.Redis:
        return redis.Redis(
            host=self.env.get("RASA_REDIS_HOST", "127.0.0.1"), port=int(self.env.get("RASA_REDIS_PORT", "6379")),
            db=REDIS_DB,
        )  # fmt: skip

    # -- the backend's API -------------------------------------------------------------------------
    def api(self, token: str | None = ASSISTANT_TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=f"{self.backend_url}/api/v1", headers=headers, timeout=60)

    def sms(self, uscc: str | None = None) -> list[dict[str, Any]]:
        """One-time codes in the SMS outbox (read as staff), oldest first, optionally for one entity."""
        with self.api(STAFF_TOKEN) as staff:
            resp = staff.get("/notifications", params={"channel": "sms", "limit": 200, "include_delivered": "true"})
        assert resp.status_code == 200, resp.text
        items = [n for n in resp.json()["items"] if n["kind"] == "otp"]
        return [n for n in items if uscc is None or n["payload"].get("uscc") == uscc]

    def latest_code(self, uscc: str) -> str:
        return str(self.sms(uscc)[-1]["payload"]["code"])

    def bind(self, sender: str, uscc: str) -> None:
        """The legitimate binding: ask for a code, read it from the outbox (the phone), type it."""
        with self.api() as api:
            resp = api.post("/bindings/start", json={"sender_id": sender, "uscc": uscc})
            assert resp.status_code == 200, resp.text
            resp = api.post(
                "/bindings/verify", json={"sender_id": sender, "uscc": uscc, "code": self.latest_code(uscc)}
            )
            assert resp.status_code == 200, resp.text

    def records(self, uscc: str) -> list[dict[str, Any]]:
        with self.api() as api:
            resp = api.get(f"/entities/{uscc}/records")
        assert resp.status_code == 200, resp.text
        return list(resp.json()["items"])

    def file_objection(self, sender: str, uscc: str) -> dict[str, Any]:
        with self.api() as api:
            for record in self.records(uscc):
                resp = api.post(
                    "/applications/objections",
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                    json={"sender_id": sender, "uscc": uscc, "record_id": record["id"], "reason": OBJECTION_REASON},
                )
                if resp.status_code == 201:
                    return dict(resp.json())
        raise AssertionError(f"no objectable record for {uscc}")

    # -- the channels --------------------------------------------------------------------------------
    def rasa(self, timeout: float = 120) -> httpx.Client:
        return httpx.Client(base_url=self.rasa_url, timeout=timeout)

    def rest(self, sender: str | None, message: str, timeout: float = 120) -> httpx.Response:
        """The open development REST channel, with whatever sender the caller claims."""
        body: dict[str, Any] = {"message": message}
        if sender is not None:
            body["sender"] = sender
        with self.rasa(timeout) as client:
            return client.post("/webhooks/rest/webhook", json=body)

    def trusted(
        self,
        channel: str,
        user: str,
        message: str,
        secret: str | None = None,
        timestamp: int | None = None,
        tamper: bool = False,
        timeout: float = 120,
    ) -> httpx.Response:
        """The signed channel the Telegram bridge (tg), the console (staff) and WeChat (wx) use."""
        from bot import signing

        body = json.dumps({"user": user, "message": message, "metadata": {}}, ensure_ascii=False).encode()
        secret = secret if secret is not None else SECRETS[f"ASSISTANT_CHANNEL_SECRET_{channel.upper()}"]
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": "application/json",
            "X-Channel": channel,
            "X-Timestamp": str(ts),
            "X-Signature": signing.sign(secret, channel, ts, body),
        }
        if tamper:  # the signed body, then one more claim added on the way
            body = body.replace(b'"metadata"', b'"sender": "tg:1", "metadata"')
        with self.rasa(timeout) as client:
            return client.post("/webhooks/trusted/webhook", content=body, headers=headers)

    def web_session(self) -> dict[str, Any]:
        with self.rasa() as client:
            resp = client.post("/webhooks/web/session")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def web(
        self, token: str, message: str, extra: dict[str, Any] | None = None, timeout: float = 120
    ) -> httpx.Response:
        with self.rasa(timeout) as client:
            return client.post(
                "/webhooks/web/webhook",
                json={"message": message, **(extra or {})},
                headers={"Authorization": f"Bearer {token}"},
            )


OBJECTION_REASON = "该记录的处罚对象不是本单位，请核实更正。"


def texts(resp: httpx.Response) -> str:
    """Everything the user would read in a channel's answer (texts and button titles)."""
    assert resp.status_code == 200, f"{resp.status_code} {resp.text[:500]}"
    answers = resp.json()
    assert isinstance(answers, list), answers
    parts: list[str] = []
    for answer in answers:
        parts.append(str(answer.get("text") or ""))
        parts.extend(str(b.get("title", "")) for b in answer.get("buttons") or [])
    return "\n".join(p for p in parts if p)


def error_of(resp: httpx.Response) -> dict[str, Any]:
    """The JSON error a refused request carries: the backend's ``{"error": {...}}`` or a channel's."""
    assert resp.headers.get("content-type", "").startswith("application/json"), (resp.status_code, resp.text[:300])
    body = resp.json()
    assert isinstance(body, dict) and "error" in body, body
    error = body["error"]
    return error if isinstance(error, dict) else {"message": str(error)}


def forged_jwt(claims: dict[str, Any], secret: str) -> str:
    """An HS256 token signed with a secret of the attacker's choosing."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def unsigned_jwt(claims: dict[str, Any]) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}."


# -- listening sockets --------------------------------------------------------------------------------


def _process_tree(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = set(), [pid]
    while todo:
        p = todo.pop()
        if p not in tree:
            tree.add(p)
            todo.extend(children.get(p, []))
    return tree


def _socket_inodes(pids: set[int]) -> set[str]:
    inodes: set[str] = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _address(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc/net/tcp6 stores the address as four host-order (little-endian) 32-bit words.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def _listeners() -> list[tuple[str, int, str]]:
    """(address, port, socket inode) of every TCP socket in LISTEN state on this host."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A":  # LISTEN
                host, port = cols[1].split(":")
                found.append((_address(host), int(port, 16), cols[9]))
    return found


def listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket held by ``pid`` or its descendants."""
    inodes = _socket_inodes(_process_tree(pid))
    return {(host, port) for host, port, inode in _listeners() if inode in inodes}


def listening_on(port: int) -> set[str]:
    """The addresses some process listens on at ``port`` (any owner, e.g. the Redis server)."""
    return {host for host, p, _ in _listeners() if p == port}


# -- a backend that accepts connections and never answers ------------------------------------------------


class HungServer:
    """A TCP server that accepts every connection and never sends a byte (a stuck backend)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self.accepted)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepted.append(conn)

    def start(self) -> HungServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.sock.close()
        with self._lock:
            for conn in self.accepted:
                conn.close()


@contextmanager
def raw_connection(port: int, timeout: float = 30) -> Iterator[socket.socket]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        yield sock
    finally:
        sock.close()


def read_http_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one HTTP/1.1 response read from ``sock`` (Content-Length bodies)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body
