"""How `make up` starts the Rasa server (bot/runner.py): its interface, its channels, its API, its secrets."""

from __future__ import annotations

import stat
from pathlib import Path

from bot import runner


def rasa_command(env: dict[str, str]) -> runner.Service:
    [service] = [s for s in runner.services(env) if s.name == "rasa"]
    return service


def flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_rasa_listens_on_localhost_with_the_channels_and_no_api() -> None:
    service = rasa_command({})
    assert flag(service.command, "--interface") == "127.0.0.1"
    assert flag(service.command, "--credentials") == "credentials.yml"
    assert "--enable-api" not in service.command and "--auth-token" not in service.command
    assert service.health_url == "http://127.0.0.1:5005/"


def test_the_api_needs_a_token() -> None:
    command = rasa_command({"RASA_API_TOKEN": "tok-123"}).command
    assert "--enable-api" in command and flag(command, "--auth-token") == "tok-123"


def test_bind_host() -> None:
    private = rasa_command({"ASSISTANT_BIND_HOST": "10.0.0.5", "RASA_PORT": "5100"})
    assert flag(private.command, "--interface") == "10.0.0.5"
    assert private.health_url == "http://10.0.0.5:5100/"
    assert rasa_command({"ASSISTANT_BIND_HOST": "0.0.0.0"}).health_url == "http://127.0.0.1:5005/"


def test_secrets_are_generated_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.env"
    first: dict[str, str] = {}
    runner.load_secrets(first, path)
    assert set(first) == set(runner.SECRET_NAMES) and all(len(v) >= 40 for v in first.values())
    assert len(set(first.values())) == len(runner.SECRET_NAMES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again: dict[str, str] = {}
    runner.load_secrets(again, path)
    assert again == first


def test_the_environment_wins_and_missing_names_are_added(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_text("ACTION_SERVER_TOKEN=from-file\n")
    env = {"ASSISTANT_CHANNEL_SECRET_TG": "from-env"}
    runner.load_secrets(env, path)
    assert env["ASSISTANT_CHANNEL_SECRET_TG"] == "from-env"
    assert env["ACTION_SERVER_TOKEN"] == "from-file"
    saved = runner.read_secrets(path)
    assert set(saved) == set(runner.SECRET_NAMES) and saved["ACTION_SERVER_TOKEN"] == "from-file"
    complete = {name: "x" for name in runner.SECRET_NAMES}
    runner.load_secrets(complete, tmp_path / "untouched.env")
    assert not (tmp_path / "untouched.env").exists()


def test_the_console_is_a_service_on_localhost_with_a_health_check() -> None:
    [console] = [s for s in runner.services({}) if s.name == "console"]
    assert console.command[1:] == ["-m", "bot.console"]
    assert console.health_url == "http://127.0.0.1:8600/healthz"
    [moved] = [
        s for s in runner.services({"CONSOLE_PORT": "8700", "CONSOLE_BIND_HOST": "0.0.0.0"}) if s.name == "console"
    ]
    assert moved.health_url == "http://127.0.0.1:8700/healthz"
    assert "CONSOLE_SECRET" in runner.SECRET_NAMES


def test_services_are_told_where_the_backend_and_rasa_are() -> None:
    env = {"BACKEND_PORT": "8100", "RASA_PORT": "5100"}
    runner.service_urls(env)
    assert env["CREDIT_BACKEND_URL"] == "http://127.0.0.1:8100" and env["RASA_URL"] == "http://127.0.0.1:5100"
    assert env["CONSOLE_BACKEND_URL"] == env["CREDIT_BACKEND_URL"] and env["CONSOLE_RASA_URL"] == env["RASA_URL"]
    kept = {"CREDIT_BACKEND_URL": "http://backend.internal:8000"}
    runner.service_urls(kept)
    assert kept["CREDIT_BACKEND_URL"] == "http://backend.internal:8000"


def test_the_assistant_uses_the_deployments_own_backend_token() -> None:
    """The actions and the Rasa server's hand-off relay call the backend as the assistant."""
    own = {"CREDIT_TOKENS_ASSISTANT": "tok-a1, tok-a2"}
    runner.service_urls(own)
    assert own["CREDIT_BACKEND_TOKEN"] == "tok-a1"
    chosen = {"CREDIT_TOKENS_ASSISTANT": "tok-a1,tok-a2", "CREDIT_BACKEND_TOKEN": "tok-a2"}
    runner.service_urls(chosen)
    assert chosen["CREDIT_BACKEND_TOKEN"] == "tok-a2"
    demo: dict[str, str] = {}
    runner.service_urls(demo)
    assert "CREDIT_BACKEND_TOKEN" not in demo  # the actions' default, dev-assistant-token, with CREDIT_DEMO=1


def test_the_banner_names_the_console_and_on_demo_data_its_accounts() -> None:
    demo = runner.console_banner({"CREDIT_DEMO": "1"})
    assert "http://127.0.0.1:8600/" in demo and all(a in demo for a in ("counter01", "reviewer01", "admin01"))
    assert "Jilin-Credit-2026" in demo
    assert "Another-Pass-1" in runner.console_banner(
        {"CREDIT_DEMO": "1", "CREDIT_DEMO_STAFF_PASSWORD": "Another-Pass-1"}
    )
    production = runner.console_banner({"CONSOLE_PORT": "9000"})
    assert "http://127.0.0.1:9000/" in production and "counter01" not in production
