"""The action server behind its shared secret, with a real Rasa server, the real model, Redis and the backend.

Started with the commands of `make up` (bot.runner.services) and the project's endpoints.yml: Rasa sends the
token from ``action_endpoint.headers`` (``${ACTION_SERVER_TOKEN}`` substituted from its environment), a
forged call without it is refused, and a binding conversation leaves no one-time code in Redis.

Needs Redis at 127.0.0.1:6379 (database 8 is flushed) and the trained model (``make train``).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from bot import runner
from tests.actions.harness import ASSISTANT_TOKEN, BackendProcess
from tests.core.support import MODEL, ROOT
from tests.support.processes import Process, free_port
from tests.support.rasa_stack import model_server_settings, start_model_server

STACK_REDIS_DB = "8"
JIANGCHENG = "91220202MA0Y3K7Q6L"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


class Stack:
    """The backend, the action server and the Rasa server as `make up` runs them."""

    def __init__(self, backend: BackendProcess, env: dict[str, str], services: dict[str, runner.Service]) -> None:
        self.backend, self.env, self.services = backend, env, services
        self.token = env["ACTION_SERVER_TOKEN"]
        self.actions_url = services["actions"].health_url.removesuffix("/health")
        self.rasa_url = services["rasa"].health_url.rstrip("/")
        self.red = redis.Redis(host="127.0.0.1", port=6379, db=int(STACK_REDIS_DB))

    def say(self, sender: str, text: str) -> str:
        """One message on the development REST channel; the bot's answers joined."""
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120
        )
        response.raise_for_status()
        return "\n".join(str(answer.get("text") or "") for answer in response.json())

    def stored(self, sender: str) -> list[bytes]:
        return self.red.lrange(f"credit:events:{sender}", 0, -1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    tmp = tmp_path_factory.mktemp("stack")
    backend = BackendProcess(tmp).start()
    env = {**os.environ, "CREDIT_BACKEND_URL": backend.url, "CREDIT_BACKEND_TOKEN": ASSISTANT_TOKEN}
    env.update({name: secrets.token_urlsafe(32) for name in runner.SECRET_NAMES})  # never var/secrets.env
    for name in ("RASA_API_TOKEN", "RASA_ACTIONS_URL", "RASA_REDIS_PASSWORD", "RASA_REDIS_HOST", "RASA_REDIS_PORT"):
        env.pop(name, None)
    env.update(
        ASSISTANT_BIND_HOST="127.0.0.1",
        ACTIONS_PORT=str(free_port()),
        RASA_PORT=str(free_port()),
        RASA_REDIS_DB=STACK_REDIS_DB,
        SANIC_WORKERS="1",
        **model_server_settings(tmp),
    )
    env["RASA_ENDPOINTS"] = runner.rasa_endpoints(env)
    if env["RASA_ENDPOINTS"] != "endpoints.yml":
        pytest.fail("Redis must be running at 127.0.0.1:6379 (.ci/run starts it)")
    services = {s.name: s for s in runner.services(env)}
    result = Stack(backend, env, services)
    result.red.flushdb()
    models = start_model_server(services, env, tmp)
    actions = Process("actions", services["actions"].command, env, tmp).start()
    rasa = Process("rasa", services["rasa"].command, env, tmp).start()
    try:
        actions.wait_healthy(services["actions"].health_url, 180)
        rasa.wait_healthy(services["rasa"].health_url, 600)
        yield result
    finally:
        rasa.stop()
        actions.stop()
        models.stop()
        backend.stop()
        result.red.flushdb()
        print(f"--- actions log ---\n{actions.log()[-3000:]}\n--- rasa log ---\n{rasa.log()[-3000:]}", file=sys.stderr)


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on ``port`` (Linux /proc/net/tcp, tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def webhook_call(sender: str, action: str) -> dict[str, Any]:
    """What Rasa posts to run an action: here a forged tracker claiming to be a bound sender."""
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {"uscc": JIANGCHENG, "otp_code": "已验证"},
            "latest_message": {"text": "我的申请", "intent": {"name": "my_applications"}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": "3.6.21",
    }


def test_the_action_server_does_not_start_without_its_token() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_TOKEN"}
    result = subprocess.run(
        [str(RASA_PYTHON), "-m", "assistant_core.action_server", "--actions", "actions", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "ACTION_SERVER_TOKEN is not set" in result.stderr


def test_make_up_runs_the_authenticated_action_server_on_localhost(stack: Stack) -> None:
    command = stack.services["actions"].command
    assert command[1:3] == ["-m", "assistant_core.action_server"] and "rasa_sdk" not in command
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    port = int(stack.env["ACTIONS_PORT"])
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only, not 0.0.0.0


def test_calls_without_the_token_are_refused(stack: Stack) -> None:
    url = stack.actions_url
    forged = webhook_call("tg:930001", "action_my_applications")
    assert requests.post(f"{url}/webhook", json=forged, timeout=10).status_code == 401
    for header in ("Bearer wrong", f"Basic {stack.token}", f"Bearer {stack.token}x", stack.token, "Bearer "):
        response = requests.post(f"{url}/webhook", json=forged, headers={"Authorization": header}, timeout=10)
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"] == "Bearer" and "error" in response.json()
    assert requests.get(f"{url}/actions", timeout=10).status_code == 401
    # The health check stays open; with the token the server answers as rasa_sdk does.
    assert requests.get(f"{url}/health", timeout=10).json() == {"status": "ok"}
    listed = requests.get(f"{url}/actions", headers={"Authorization": f"Bearer {stack.token}"}, timeout=10)
    assert listed.status_code == 200 and {"name": "validate_binding_form"} in listed.json()


def test_rasa_sends_the_token_and_a_binding_leaves_no_code_in_redis(stack: Stack) -> None:
    sender = "dev:otp-e2e"
    answer = stack.say(sender, f"绑定统一社会信用代码{JIANGCHENG}")
    # Answered by validate_binding_form on the action server: Rasa's calls carry the token.
    assert "发送了6位验证码" in answer, answer
    code = stack.backend.latest_otp(JIANGCHENG)
    wrong = "".join(str((int(d) + 1) % 10) for d in code)
    assert "验证码" in stack.say(sender, wrong)
    assert "身份验证成功" in stack.say(sender, code)  # the action server got the real code and verified it
    assert any(b["uscc"] == JIANGCHENG for b in stack.backend.get("/api/v1/bindings", sender_id=sender)["items"])

    raw = stack.stored(sender)
    assert raw and not any(code.encode() in item or wrong.encode() in item for item in raw)
    events = [json.loads(item) for item in raw]
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert user_texts == [f"绑定统一社会信用代码{JIANGCHENG}", "******", "******"]
    otp_values = [e["value"] for e in events if e["event"] == "slot" and e["name"] == "otp_code"]
    assert "******" in otp_values and "已验证" in otp_values
    assert set(otp_values) <= {"******", "已验证", None}
