"""Start, health-check and stop the services of a local deployment (``make up`` / ``make down``).

Services: the credit backend (uvicorn), the Rasa action server, the model server (``training.model_server``: the
registry's model in service, which Rasa's workers pull and swap without a restart), the Rasa server, the staff console
(``bot.console``), with TELEGRAM_BOT_TOKEN the Telegram bridge and, with WECHAT_TOKEN, WECHAT_APPID and
WECHAT_APPSECRET, the WeChat channel (``bot.wechat``, on WECHAT_LISTEN:WECHAT_PORT, 127.0.0.1:8700 by default, for a
reverse proxy in front). Each runs in the background with its
log in var/log and its pid in var/run; ``up`` returns once every one is healthy. The shared secrets
(action-server token, channel secrets, web-session key, the console's CSRF key) come from the environment
or var/secrets.env, generated on first use; every service gets them, with the addresses of the backend
and of Rasa (CREDIT_BACKEND_URL, RASA_URL).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bot import procfs

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "var" / "run"
LOG = ROOT / "var" / "log"
SECRETS = ROOT / "var" / "secrets.env"
SECRET_NAMES = (
    "ACTION_SERVER_TOKEN",
    "ASSISTANT_CHANNEL_SECRET_TG",
    "ASSISTANT_CHANNEL_SECRET_STAFF",
    "ASSISTANT_CHANNEL_SECRET_WX",
    "ASSISTANT_WEB_SESSION_SECRET",
    "CONSOLE_SECRET",
    "MODEL_SERVER_TOKEN",
)


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    health_url: str
    timeout: float


def redis_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def read_secrets(path: Path = SECRETS) -> dict[str, str]:
    """The ``NAME=value`` lines of ``path`` (none if it does not exist)."""
    saved: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.strip().startswith("#"):
                saved[name.strip()] = value.strip()
    return saved


def load_secrets(env: dict[str, str], path: Path = SECRETS) -> None:
    """Fills ``env`` with the SECRET_NAMES it lacks, from ``path`` (readable by its owner only); names missing
    there too get a new random value, saved to ``path``."""
    if all(env.get(name) for name in SECRET_NAMES):
        return
    saved = read_secrets(path)
    new = {name: secrets.token_urlsafe(32) for name in SECRET_NAMES if not saved.get(name)}
    if new:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as out:
            if not saved:
                out.write("# Secrets shared by the services of `make up` (bot/runner.py); generated on first use.\n")
            out.writelines(f"{name}={value}\n" for name, value in new.items())
        saved.update(new)
    for name in SECRET_NAMES:
        if not env.get(name):
            env[name] = saved[name]


def bind_host(env: dict[str, str]) -> str:
    """The interface the services listen on: ASSISTANT_BIND_HOST, 127.0.0.1 by default."""
    return env.get("ASSISTANT_BIND_HOST", "").strip() or "127.0.0.1"


def _reachable(host: str) -> str:
    """The URL host that reaches a server listening on ``host`` from this machine."""
    if host == "0.0.0.0":
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def console_host(env: dict[str, str]) -> str:
    """The interface the staff console listens on: CONSOLE_BIND_HOST, 127.0.0.1 by default."""
    return env.get("CONSOLE_BIND_HOST", "").strip() or "127.0.0.1"


def console_url(env: dict[str, str]) -> str:
    """The console's address as a browser on this machine opens it."""
    return f"http://{_reachable(console_host(env))}:{env.get('CONSOLE_PORT', '8600')}/"


def wechat_url(env: dict[str, str]) -> str:
    """The WeChat channel's local address: WECHAT_LISTEN (127.0.0.1 by default: a reverse proxy serves it to
    WeChat, docs/security.md) and WECHAT_PORT (8700)."""
    host = env.get("WECHAT_LISTEN", "").strip() or "127.0.0.1"
    return f"http://{_reachable(host)}:{env.get('WECHAT_PORT', '8700')}/"


def wechat_configured(env: dict[str, str]) -> bool:
    """The account's settings are there (bot/wechat/config.py says which)."""
    return all(env.get(name, "").strip() for name in ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_APPSECRET"))


def service_urls(env: dict[str, str]) -> None:
    """Fills in where the services reach each other, unless set: the backend (the actions, the Rasa server's
    hand-off relay, the bridges, the console) and Rasa (the bridges, the console); and the assistant's backend
    token, the backend's first CREDIT_TOKENS_ASSISTANT when the deployment sets its own."""
    env.setdefault("CREDIT_BACKEND_URL", f"http://127.0.0.1:{env.get('BACKEND_PORT', '8000')}")
    if not env.get("CREDIT_BACKEND_TOKEN") and env.get("CREDIT_TOKENS_ASSISTANT", "").strip():
        env["CREDIT_BACKEND_TOKEN"] = env["CREDIT_TOKENS_ASSISTANT"].split(",")[0].strip()
    env.setdefault("RASA_URL", f"http://{_reachable(bind_host(env))}:{env.get('RASA_PORT', '5005')}")
    env.setdefault("CONSOLE_BACKEND_URL", env["CREDIT_BACKEND_URL"])  # bot/console/settings.py
    env.setdefault("CONSOLE_RASA_URL", env["RASA_URL"])


def rasa_endpoints(env: dict[str, str]) -> str:
    """endpoints.yml (Redis tracker and lock store, SANIC_WORKERS Rasa workers, 2 by default) when Redis answers;
    otherwise endpoints.local.yml (in memory, one worker). Fills in the Redis settings in ``env``."""
    env.setdefault("RASA_ACTIONS_URL", f"http://{_reachable(bind_host(env))}:{env.get('ACTIONS_PORT', '5055')}/webhook")
    env.setdefault("RASA_REDIS_HOST", "127.0.0.1")
    env.setdefault("RASA_REDIS_PORT", "6379")
    env.setdefault("RASA_REDIS_DB", "2")
    # Rasa refuses an endpoints file naming an unset variable; empty means a Redis without a password.
    env.setdefault("RASA_REDIS_PASSWORD", "")
    model_server_settings(env)
    if redis_reachable(env["RASA_REDIS_HOST"], int(env["RASA_REDIS_PORT"])):
        # A Rasa turn is CPU-bound Python: one worker per core (2 on the reference machine).
        env.setdefault("SANIC_WORKERS", "2")
        return "endpoints.yml"
    print(
        f"Redis is not reachable at {env['RASA_REDIS_HOST']}:{env['RASA_REDIS_PORT']}: Rasa keeps conversations "
        "in memory with one worker (endpoints.local.yml)."
    )
    env["SANIC_WORKERS"] = "1"
    return "endpoints.local.yml"


def model_server_settings(env: dict[str, str]) -> None:
    """Where Rasa's workers pull the model in service from (endpoints.yml ``models:``), unless set: the model server
    on 127.0.0.1:MODEL_SERVER_PORT (5006), every RASA_MODEL_PULL_SECONDS (10) seconds, with MODEL_SERVER_TOKEN."""
    env.setdefault("MODEL_SERVER_PORT", "5006")
    env.setdefault("RASA_MODEL_SERVER_URL", f"http://127.0.0.1:{env['MODEL_SERVER_PORT']}/model")
    env.setdefault("RASA_MODEL_PULL_SECONDS", "10")
    env.setdefault("MODEL_SERVER_TOKEN", "")  # the model server refuses to start without one: load_secrets sets it


def services(env: dict[str, str]) -> list[Service]:
    backend_port = env.get("BACKEND_PORT", "8000")
    actions_port = env.get("ACTIONS_PORT", "5055")
    rasa_port = env.get("RASA_PORT", "5005")
    rasa_bin = str(ROOT / ".venv-rasa" / "bin")
    host = bind_host(env)
    # The HTTP API (trackers, events, actions, model) only with a token; the channels and GET / are always served.
    api = ["--enable-api", "--auth-token", env["RASA_API_TOKEN"]] if env.get("RASA_API_TOKEN") else []
    models_port = env.get("MODEL_SERVER_PORT", "5006")
    # MODEL_REGISTRY_DIR: another registry than models/registry (the tests' own, empty: models/assistant.tar.gz).
    registry = ["--registry", env["MODEL_REGISTRY_DIR"]] if env.get("MODEL_REGISTRY_DIR") else []
    return [
        Service(
            "backend",
            [sys.executable, "-m", "uvicorn", "credit_backend.main:app", "--host", "127.0.0.1", "--port", backend_port],
            f"http://127.0.0.1:{backend_port}/healthz",
            60,
        ),
        Service(
            "actions",
            # rasa_sdk's server, on `host` only and answering only requests with ACTION_SERVER_TOKEN.
            [
                f"{rasa_bin}/python",
                "-m",
                "assistant_core.action_server",
                "--actions",
                "actions",
                "--interface",
                host,
                "--port",
                actions_port,
            ],
            f"http://{_reachable(host)}:{actions_port}/health",
            120,
        ),
        Service(
            "models",
            [sys.executable, "-m", "training.model_server", "--host", "127.0.0.1", "--port", models_port, *registry],
            f"http://127.0.0.1:{models_port}/healthz",
            30,
        ),
        Service(
            "rasa",
            [
                # `rasa run`, loading each model the model server hands it off the event loop (a switch never
                # stops the worker's answers; assistant_core/rasa_server.py).
                f"{rasa_bin}/python",
                "-m",
                "assistant_core.rasa_server",
                "run",
                "--interface",
                host,
                "--port",
                rasa_port,
                "--credentials",
                "credentials.yml",
                "--endpoints",
                env.get("RASA_ENDPOINTS", "endpoints.yml"),
                "--model",
                "models",
                *api,
            ],
            f"http://{_reachable(host)}:{rasa_port}/",
            300,
        ),
        Service(
            "console",
            [sys.executable, "-m", "bot.console"],
            f"{console_url(env)}healthz",
            60,
        ),
        # The conversation archive's consumer (docs/archive.md): Rasa's event stream → the backend's database.
        Service("archive", [sys.executable, "-m", "credit_backend.archive", "consume"], "", 30),
        Service("telegram", [sys.executable, "-m", "bot.telegram"], "", 30),
        Service("wechat", [sys.executable, "-m", "bot.wechat"], f"{wechat_url(env)}healthz", 60),
    ]


# The demo accounts' password unless CREDIT_DEMO_STAFF_PASSWORD is set (credit_backend/settings.py).
DEMO_STAFF_PASSWORD = "Jilin-Credit-2026"

WECHAT_HINT = (
    "微信公众号未启用：设置 WECHAT_TOKEN、WECHAT_APPID、WECHAT_APPSECRET 后再运行 make up（见 docs/wechat.md）"
)
TELEGRAM_HINT = (
    "Telegram 未启用：在 @BotFather 创建机器人后 export TELEGRAM_BOT_TOKEN=… 再运行 make demo（见 docs/telegram.md）"
)


def _healthy(url: str) -> bool:
    if not url:  # a service without an HTTP endpoint: alive is healthy
        return False
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _pid(name: str, run_dir: Path = RUN) -> int | None:
    path = run_dir / f"{name}.pid"
    if not path.exists():
        return None
    pid = int(path.read_text())
    try:
        os.kill(pid, 0)
    except OSError:
        path.unlink()
        return None
    if procfs.zombie(pid):  # exited, never reaped (its parent, `make up`, is gone and PID 1 may not reap)
        path.unlink()
        return None
    return pid


def launch_service(
    svc: Service, env: dict[str, str], run_dir: Path = RUN, log_dir: Path = LOG
) -> subprocess.Popen[bytes]:
    """Starts ``svc`` in the background: its own session, output appended to ``log_dir/<name>.log``, pid in
    ``run_dir/<name>.pid``."""
    with (log_dir / f"{svc.name}.log").open("ab") as log:
        proc = subprocess.Popen(
            svc.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    (run_dir / f"{svc.name}.pid").write_text(str(proc.pid))
    return proc


def wait_service(svc: Service, proc: subprocess.Popen[bytes], log_dir: Path = LOG) -> bool:
    """Waits until ``svc``'s health URL answers (a service without one: until it has run 3 s). False, with the
    reason printed, when it exits or stays unhealthy past its timeout."""
    deadline = time.monotonic() + svc.timeout
    if not svc.health_url:
        time.sleep(3)  # no health endpoint: give it time to fail on bad settings
        if proc.poll() is not None:
            print(f"{svc.name}: failed to start; see {log_dir / (svc.name + '.log')}", file=sys.stderr)
            return False
        print(f"{svc.name}: running")
        return True
    while not _healthy(svc.health_url):
        if proc.poll() is not None or time.monotonic() > deadline:
            print(f"{svc.name}: failed to start; see {log_dir / (svc.name + '.log')}", file=sys.stderr)
            return False
        time.sleep(0.5)
    print(f"{svc.name}: healthy at {svc.health_url}")
    return True


def start_service(svc: Service, env: dict[str, str], run_dir: Path = RUN, log_dir: Path = LOG) -> bool:
    """``launch_service`` then ``wait_service``."""
    return wait_service(svc, launch_service(svc, env, run_dir, log_dir), log_dir)


def stop_service(name: str, run_dir: Path = RUN) -> bool:
    """Stops the process group started for ``name`` (SIGTERM, SIGKILL after 10 s); False if it was not running."""
    pid = _pid(name, run_dir)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGTERM)
    for _ in range(50):
        if _pid(name, run_dir) is None and not procfs.group_running(pid):
            break
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    (run_dir / f"{name}.pid").unlink(missing_ok=True)
    return True


def up(names: list[str]) -> int:
    RUN.mkdir(parents=True, exist_ok=True)
    LOG.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    load_secrets(env)
    service_urls(env)
    if "rasa" in names and "models" not in names:
        names = [*names, "models"]  # Rasa loads its model from the model server
    if not names or "rasa" in names:
        env["RASA_ENDPOINTS"] = rasa_endpoints(env)
    model_server_settings(env)
    chosen = [s for s in services(env) if not names or s.name in names]
    if not env.get("TELEGRAM_BOT_TOKEN") and any(s.name == "telegram" for s in chosen):
        chosen = [s for s in chosen if s.name != "telegram"]
        print(TELEGRAM_HINT)
    if not wechat_configured(env) and any(s.name == "wechat" for s in chosen):
        chosen = [s for s in chosen if s.name != "wechat"]
        print(WECHAT_HINT)
    for svc in chosen:
        if _pid(svc.name) or _healthy(svc.health_url):
            print(f"{svc.name}: already running ({svc.health_url})")
            continue
        if not start_service(svc, env):
            return 1
    if any(s.name == "console" for s in chosen):
        print(console_banner(env))
    return 0


def console_banner(env: dict[str, str]) -> str:
    """What ``make up`` / ``make demo`` print about the staff console: its address and, on demo data, the
    demo accounts (credit_backend/demo seeds them with CREDIT_DEMO_STAFF_PASSWORD)."""
    lines = [f"工作人员控制台：{console_url(env)}"]
    if env.get("CREDIT_DEMO") == "1":
        password = env.get("CREDIT_DEMO_STAFF_PASSWORD") or DEMO_STAFF_PASSWORD
        lines.append(
            "  演示账号：counter01（窗口工作人员）、reviewer01（部门审核人员，吉林市生态环境局）、admin01（管理员）"
        )
        lines.append(f"  演示密码：{password}（仅限演示数据）")
    return "\n".join(lines)


def down(names: list[str]) -> int:
    if "rasa" in names and "models" not in names:
        names = [*names, "models"]
    for svc in reversed(services(dict(os.environ))):
        if names and svc.name not in names:
            continue
        if not stop_service(svc.name):
            continue
        print(f"{svc.name}: stopped")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument(
        "services", nargs="*", help="backend, actions, models, rasa, console, telegram, wechat (default: all)"
    )
    args = parser.parse_args()
    return up(args.services) if args.command == "up" else down(args.services)


if __name__ == "__main__":
    raise SystemExit(main())
