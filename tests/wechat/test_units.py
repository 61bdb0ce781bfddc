"""The channel's settings, menu file, template fields, and its shared state in Redis (database 10): the
access token fetched once for many concurrent callers, message states, choices and the 48-hour window."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot import runner
from bot.wechat.config import ConfigError, load
from bot.wechat.mapping import Choice
from bot.wechat.menu import MenuError, parse
from bot.wechat.menu import load as load_menu
from bot.wechat.notifier import status_label, template_data
from bot.wechat.store import ASYNC, PASSIVE, WINDOW, Store
from bot.wechat.token import TokenCache
from tests.wechat.harness import REDIS_DB

BASE = {
    "WECHAT_TOKEN": "JilinCredit2026",
    "WECHAT_APPID": "wx0123456789abcdef",
    "WECHAT_APPSECRET": "secret",
    "ASSISTANT_CHANNEL_SECRET_WX": "s",
}
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_settings() -> None:
    config = load(BASE)
    assert (config.mode, config.port, config.listen, config.path) == ("plaintext", 8700, "127.0.0.1", "/wechat")
    assert config.template_fields[0] == ("first", "title")
    assert load({**BASE, "WECHAT_MODE": "safe", "WECHAT_ENCODING_AES_KEY": AES}).aes_key == AES
    for bad, words in [
        ({"WECHAT_APPID": ""}, "WECHAT_APPID"),
        ({"WECHAT_TOKEN": "a b"}, "WECHAT_TOKEN"),
        ({"WECHAT_MODE": "safe"}, "EncodingAESKey"),
        ({"WECHAT_MODE": "secret"}, "WECHAT_MODE"),
        ({"ASSISTANT_CHANNEL_SECRET_WX": ""}, "ASSISTANT_CHANNEL_SECRET_WX"),
        ({"WECHAT_PASSIVE_BUDGET": "5"}, "WECHAT_PASSIVE_BUDGET"),
        ({"WECHAT_PORT": "x"}, "WECHAT_PORT"),
        ({"WECHAT_TEMPLATE_FIELDS": "keyword1=nothing"}, "WECHAT_TEMPLATE_FIELDS"),
    ]:
        with pytest.raises(ConfigError, match=words):
            load({**BASE, **bad})


def test_make_up_starts_the_channel_only_when_configured() -> None:
    assert not runner.wechat_configured({"WECHAT_TOKEN": "t", "WECHAT_APPID": "wx1"})
    assert runner.wechat_configured(BASE)
    [wechat] = [s for s in runner.services({}) if s.name == "wechat"]
    assert wechat.command[-2:] == ["-m", "bot.wechat"]
    assert wechat.health_url == "http://127.0.0.1:8700/healthz"  # 127.0.0.1 by default: a proxy in front
    [moved] = [s for s in runner.services({"WECHAT_PORT": "8800", "WECHAT_LISTEN": "10.0.0.5"}) if s.name == "wechat"]
    assert moved.health_url == "http://10.0.0.5:8800/healthz"


def test_the_menu_file() -> None:
    menu = load_menu(Path(__file__).resolve().parents[2] / "bot" / "wechat" / "menu.json")
    assert [b["name"] for b in menu.body["button"]] == ["查信用", "办业务", "我的申请"]
    assert menu.payloads["QUERY_CREDIT"] == "/query_credit"
    assert menu.payloads["MY_APPLICATIONS"] == "/check_application"
    assert "payload" not in json.dumps(menu.body)
    click = {"type": "click", "name": "查", "key": "K", "payload": "/p"}
    with pytest.raises(MenuError, match="1-3 buttons"):
        parse({"button": [click] * 4})
    with pytest.raises(MenuError, match="unique"):
        parse({"button": [click, click]})
    with pytest.raises(MenuError, match="bytes"):
        parse({"button": [{**click, "name": "信用服务助手菜单"}]})  # 24 bytes > 16
    with pytest.raises(MenuError, match="payload"):
        parse({"button": [{"type": "click", "name": "查", "key": "K"}]})
    with pytest.raises(MenuError, match="sub-buttons"):
        parse({"button": [{"name": "办", "sub_button": [{**click, "key": f"K{i}"} for i in range(6)]}]})


def test_template_fields() -> None:
    config = load({**BASE, "WECHAT_TEMPLATE_ID": "T1"})
    notification = {
        "kind": "decision",
        "body": "您的异议申请（YY-20261126-0001）有了新进展：核查中。" + "说明" * 200,
        "payload": {"application_no": "YY-20261126-0001", "status": "under_verification"},
        "created_at": "2026-11-26T09:30:00",
    }
    data = template_data(config, notification)
    assert data["first"] == "申请办理进度通知"
    assert (data["keyword1"], data["keyword2"], data["keyword3"]) == ("YY-20261126-0001", "核查中", "2026-11-26 09:30")
    assert len(data["remark"]) == 200 and data["remark"].endswith("…")
    assert status_label("XF-20261126-0001", "approved") == "修复完成"
    assert status_label("", "whatever") == "whatever"


@pytest.fixture
def redis_client() -> Redis:
    return Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}")


def test_one_fetch_for_many_concurrent_callers(redis_client: Redis) -> None:
    fetched: list[int] = []

    async def fetch() -> tuple[str, int]:
        fetched.append(1)
        await asyncio.sleep(0.2)  # the platform takes its time: every caller is waiting meanwhile
        return f"token-{len(fetched)}", 7200

    async def scenario() -> None:
        prefix = f"test-{secrets.token_hex(4)}:"  # keys of its own: the end-to-end tests share the database
        caches = [TokenCache(redis_client, "wxappid", fetch, prefix=prefix) for _ in range(5)]  # five processes
        tokens = await asyncio.gather(*(c.get() for c in caches for _ in range(4)))
        assert set(tokens) == {"token-1"} and len(fetched) == 1
        ttl = await redis_client.ttl(f"{prefix}token:wxappid")
        assert 7200 - 300 - 5 < ttl <= 7200 - 300  # refreshed five minutes before the platform's expiry
        await caches[0].invalidate("token-0")  # not the cached one: kept
        assert await caches[1].get() == "token-1"
        await caches[0].invalidate("token-1")
        assert await caches[1].get() == "token-2" and len(fetched) == 2
        await redis_client.aclose()

    asyncio.run(scenario())


def test_message_states_choices_and_window(redis_client: Redis) -> None:
    async def scenario() -> None:
        store = Store(redis_client, prefix=f"test-{secrets.token_hex(4)}:")
        assert await store.claim("msg:1") and not await store.claim("msg:1")
        assert await store.move("msg:1", PASSIVE, reply="<xml>答</xml>")
        assert not await store.move("msg:1", ASYNC)  # decided once
        assert (await store.state("msg:1"), await store.passive_reply("msg:1")) == (PASSIVE, "<xml>答</xml>")
        assert await store.claim("msg:2") and await store.move("msg:2", ASYNC)
        assert not await store.move("msg:2", PASSIVE, reply="<xml/>") and await store.passive_reply("msg:2") is None

        choices = [Choice("异议", "/file_objection"), Choice("修复", "/apply_repair")]
        await store.set_choices("o1", choices)
        assert await store.choices("o1") == choices
        await store.set_choices("o1", [])
        assert await store.choices("o1") == []
        item = await store.put_menu_item("o1", choices[1])
        assert item.isdigit() and await store.menu_item("o1", item) == choices[1]
        assert await store.menu_item("o2", item) is None

        assert not await store.in_window("o1")
        await store.touch("o1", now=1_000_000.0)
        assert await store.in_window("o1", now=1_000_000.0 + WINDOW - 3600)
        assert not await store.in_window("o1", now=1_000_000.0 + WINDOW)

        assert await store.lead_notifier("a", 30) and await store.lead_notifier("a", 30)
        assert not await store.lead_notifier("b", 30)
        await store.resign_notifier("a")
        assert await store.lead_notifier("b", 30)
        await redis_client.aclose()

    asyncio.run(scenario())
