"""The WeChat channel as a real process (``python -m bot.wechat``) for the end-to-end tests, with the settings
that point it at the fake platform, a (scripted or real) Rasa and the real backend."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import redis

from tests.support.processes import Process, free_port

ASSISTANT_TOKEN = "wx-test-assistant"
STAFF_TOKEN = "wx-test-staff"
ADMIN_TOKEN = "wx-test-admin"
WX_SECRET = "wx-test-channel-secret"  # ASSISTANT_CHANNEL_SECRET_WX shared by the channel and (fake) Rasa
SERVER_TOKEN = "JilinCredit2026"  # the Token of the 公众号's server configuration
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the platform generates them
REDIS_DB = 10  # the WeChat tests' own Redis database (emptied by each test)


def redis_db() -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)


class WeChatChannel:
    """``python -m bot.wechat``, as ``instances`` processes on free ports sharing Redis and the delivery journal
    (several instances behind a proxy, as docs/wechat.md runs them)."""

    def __init__(
        self,
        tmp: Path,
        api_url: str,
        rasa_url: str,
        backend_url: str,
        mode: str = "plaintext",
        instances: int = 2,
        **extra: str,
    ) -> None:
        self.ports = [free_port() for _ in range(instances)]
        self.env = {
            **os.environ,
            "WECHAT_TOKEN": SERVER_TOKEN,
            "WECHAT_APPID": "wx0123456789abcdef",
            "WECHAT_APPSECRET": "test-app-secret-0123456789abcdef",
            "WECHAT_ENCODING_AES_KEY": AES_KEY,
            "WECHAT_MODE": mode,
            "WECHAT_API_BASE": api_url,
            "WECHAT_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "WECHAT_STATE_DB": str(tmp / "wechat-state.db"),
            "WECHAT_NOTIFY_INTERVAL": "0.3",
            "WECHAT_TEMPLATE_ID": "TPL-progress-0001",
            "ASSISTANT_CHANNEL_SECRET_WX": WX_SECRET,
            "RASA_URL": rasa_url,
            "CREDIT_BACKEND_URL": backend_url,
            "CREDIT_BACKEND_TOKEN": ASSISTANT_TOKEN,
            **extra,
        }
        self.tmp = tmp
        self.processes: list[Process] = []

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}/wechat" for port in self.ports]

    @property
    def url(self) -> str:
        return self.urls[0]

    def start(self) -> WeChatChannel:
        self.processes = [
            Process("wechat", [sys.executable, "-m", "bot.wechat"], {**self.env, "WECHAT_PORT": str(port)}, self.tmp)
            for port in self.ports
        ]
        for process in self.processes:
            process.start()
        try:
            for process, port in zip(self.processes, self.ports, strict=True):
                process.wait_healthy(f"http://127.0.0.1:{port}/healthz", 60)
        except BaseException:
            # A started instance left running would keep the delivery lease in Redis for the next test.
            self.stop()
            raise
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        for process in self.processes:
            process.stop(sig)

    def log(self) -> str:
        return "\n".join(p.log() for p in self.processes)
