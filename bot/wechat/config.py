"""The WeChat channel's settings, read from the environment (docs/wechat.md lists every variable)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.runner import read_secrets, wechat_configured

ROOT = Path(__file__).resolve().parent.parent.parent
MODES = ("plaintext", "compatible", "safe")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9]{3,32}$")  # what the platform accepts as the server Token
AES_KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{43}$")  # EncodingAESKey: 43 characters of a-z, A-Z, 0-9
# The platform waits 5 s for the passive reply; the answer must be written and travel back within that.
MAX_PASSIVE_BUDGET = 4.5
# The template message's fields by default: the classic 业务进度 layout (first, keyword1…, remark).
DEFAULT_TEMPLATE_FIELDS = "first=title,keyword1=application_no,keyword2=status,keyword3=time,remark=body"
TEMPLATE_SOURCES = ("title", "application_no", "status", "time", "body")


class ConfigError(ValueError):
    """A missing or malformed setting; the message says which variable to fix."""


@dataclass(frozen=True)
class Config:
    token: str
    appid: str
    appsecret: str
    rasa_secret: str  # ASSISTANT_CHANNEL_SECRET_WX: signs the requests to Rasa's trusted channel
    mode: str = "plaintext"
    aes_key: str = ""
    api_base: str = "https://api.weixin.qq.com"
    listen: str = "127.0.0.1"
    port: int = 8700
    path: str = "/wechat"
    redis_url: str = "redis://127.0.0.1:6379/3"
    passive_budget: float = 3.0  # seconds the server waits for a turn before answering through the API
    signature_window: int = 300  # seconds a request's timestamp may be off
    template_id: str = ""
    template_fields: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (template key, source)
    template_url: str = ""
    rasa_url: str = "http://127.0.0.1:5005"
    backend_url: str = "http://127.0.0.1:8000"
    backend_token: str = "dev-assistant-token"
    state_db: Path = ROOT / "var" / "wechat.db"
    menu_file: Path = ROOT / "bot" / "wechat" / "menu.json"
    notify_interval: float = 3.0
    max_evidence_bytes: int = 10 * 1024 * 1024


def template_fields(spec: str) -> tuple[tuple[str, str], ...]:
    """``first=title,keyword1=application_no`` → ((first, title), (keyword1, application_no))."""
    pairs: list[tuple[str, str]] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, source = (s.strip() for s in part.partition("="))
        if not sep or not key or source not in TEMPLATE_SOURCES:
            raise ConfigError(
                f"WECHAT_TEMPLATE_FIELDS: {part!r} must be <template field>=<one of {', '.join(TEMPLATE_SOURCES)}>."
            )
        pairs.append((key, source))
    return tuple(pairs)


def _number(env: Mapping[str, str], name: str, default: str, kind: type) -> float | int:
    try:
        return kind(env.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {env.get(name)!r}.") from exc


def load(env: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from ``env`` (default: the process environment, then var/secrets.env) and
    validate it."""
    if env is None:  # the secrets `make up` generated, unless set in the environment
        env = {**read_secrets(), **os.environ}
    if not wechat_configured(dict(env)):
        raise ConfigError(
            "WECHAT_TOKEN, WECHAT_APPID and WECHAT_APPSECRET must be set: the server Token you enter in the "
            "公众号's 服务器配置 and the account's AppID/AppSecret (see docs/wechat.md)."
        )
    token = env["WECHAT_TOKEN"].strip()
    if not TOKEN_PATTERN.match(token):
        raise ConfigError("WECHAT_TOKEN must be 3-32 letters or digits, as the platform requires.")
    mode = env.get("WECHAT_MODE", "plaintext").strip().lower() or "plaintext"
    if mode not in MODES:
        raise ConfigError(f"WECHAT_MODE must be plaintext, compatible or safe, not {mode!r}.")
    aes_key = env.get("WECHAT_ENCODING_AES_KEY", "").strip()
    if mode != "plaintext" and not AES_KEY_PATTERN.match(aes_key):
        raise ConfigError(f"WECHAT_ENCODING_AES_KEY must be the account's 43-character EncodingAESKey in {mode} mode.")
    rasa_secret = env.get("ASSISTANT_CHANNEL_SECRET_WX", "").strip()
    if not rasa_secret:
        raise ConfigError(
            "ASSISTANT_CHANNEL_SECRET_WX is not set: the secret the channel signs its messages to Rasa's trusted "
            "channel with, the same as the Rasa server's (`make up` keeps it in var/secrets.env)."
        )
    budget = float(_number(env, "WECHAT_PASSIVE_BUDGET", "3.0", float))
    if not 0 < budget <= MAX_PASSIVE_BUDGET:
        raise ConfigError(
            f"WECHAT_PASSIVE_BUDGET must be above 0 and at most {MAX_PASSIVE_BUDGET} seconds (WeChat waits 5)."
        )
    path = "/" + env.get("WECHAT_PATH", "/wechat").strip().strip("/")
    return Config(
        token=token,
        appid=env["WECHAT_APPID"].strip(),
        appsecret=env["WECHAT_APPSECRET"].strip(),
        rasa_secret=rasa_secret,
        mode=mode,
        aes_key=aes_key,
        api_base=env.get("WECHAT_API_BASE", "https://api.weixin.qq.com").strip().rstrip("/"),
        listen=env.get("WECHAT_LISTEN", "127.0.0.1").strip() or "127.0.0.1",
        port=int(_number(env, "WECHAT_PORT", "8700", int)),
        path=path,
        redis_url=env.get("WECHAT_REDIS_URL", "redis://127.0.0.1:6379/3").strip(),
        passive_budget=budget,
        signature_window=int(_number(env, "WECHAT_SIGNATURE_WINDOW", "300", int)),
        template_id=env.get("WECHAT_TEMPLATE_ID", "").strip(),
        template_fields=template_fields(env.get("WECHAT_TEMPLATE_FIELDS", DEFAULT_TEMPLATE_FIELDS)),
        template_url=env.get("WECHAT_TEMPLATE_URL", "").strip(),
        rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
        backend_url=env.get("CREDIT_BACKEND_URL", "http://127.0.0.1:8000").rstrip("/"),
        backend_token=env.get("CREDIT_BACKEND_TOKEN", "dev-assistant-token"),
        state_db=Path(env.get("WECHAT_STATE_DB", str(ROOT / "var" / "wechat.db"))),
        menu_file=Path(env.get("WECHAT_MENU_FILE", str(ROOT / "bot" / "wechat" / "menu.json"))),
        notify_interval=float(_number(env, "WECHAT_NOTIFY_INTERVAL", "3", float)),
    )
