"""Settings from the environment: polling by default, webhook only with https and a valid secret, and the
secret that signs the messages to Rasa's trusted channel."""

from __future__ import annotations

import pytest

from bot.telegram.config import ConfigError, load

BASE = {"TELEGRAM_BOT_TOKEN": "123:abc", "ASSISTANT_CHANNEL_SECRET_TG": "tg-secret"}


def test_polling_is_the_default() -> None:
    config = load(BASE)
    assert config.mode == "polling"
    assert config.rasa_url == "http://127.0.0.1:5005"
    assert config.rasa_secret == "tg-secret"
    assert config.base_url == ""


def test_token_is_required() -> None:
    with pytest.raises(ConfigError, match="BotFather"):
        load({})


def test_webhook_needs_https_and_a_secret() -> None:
    env = {**BASE, "TELEGRAM_MODE": "webhook"}
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_URL"):
        load(env)
    env["TELEGRAM_WEBHOOK_URL"] = "https://bot.example.org/tg/hook"
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        load(env)
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        load({**env, "TELEGRAM_WEBHOOK_SECRET": "has spaces!"})
    config = load({**env, "TELEGRAM_WEBHOOK_SECRET": "s3cret_token-1", "TELEGRAM_WEBHOOK_PORT": "8444"})
    assert (config.mode, config.webhook_path, config.webhook_port) == ("webhook", "tg/hook", 8444)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ConfigError, match="polling or webhook"):
        load({**BASE, "TELEGRAM_MODE": "push"})


def test_another_bot_api_server() -> None:
    config = load({**BASE, "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot"})
    assert config.file_base_url == "http://127.0.0.1:8081/file/bot"


def test_the_rasa_channel_secret_is_required() -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_CHANNEL_SECRET_TG"):
        load({"TELEGRAM_BOT_TOKEN": "123:abc"})
