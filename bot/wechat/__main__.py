"""``python -m bot.wechat``: run the WeChat channel; ``python -m bot.wechat menu publish|show``: the custom menu."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from bot.wechat.config import ConfigError, load


async def publish_menu() -> int:
    from redis.asyncio import Redis

    from bot.wechat.api import WeChatAPI, WeChatError, WeChatUnavailable
    from bot.wechat.menu import load as load_menu

    config = load()
    menu = load_menu(config.menu_file)
    redis = Redis.from_url(config.redis_url)
    api = WeChatAPI(config.api_base, config.appid, config.appsecret, redis)
    try:
        await api.create_menu(menu.body)
    except (WeChatError, WeChatUnavailable) as exc:
        print(f"menu not published: {exc}", file=sys.stderr)
        return 1
    finally:
        await api.close()
        await redis.aclose()
    print(f"menu published from {config.menu_file}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.wechat", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    menu = sub.add_parser("menu", help="the custom menu of bot/wechat/menu.json (WECHAT_MENU_FILE)")
    menu.add_argument("action", choices=["publish", "show"])
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        config = load()
        if args.command == "menu":
            from bot.wechat.menu import load as load_menu

            if args.action == "show":
                print(json.dumps(load_menu(config.menu_file).body, ensure_ascii=False, indent=2))
                return 0
            return asyncio.run(publish_menu())
    except (ConfigError, ValueError) as exc:  # MenuError is a ValueError
        print(f"wechat channel: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    logging.getLogger(__name__).info(
        "wechat channel on %s:%s%s in %s mode", config.listen, config.port, config.path, config.mode
    )
    # One process per instance; more processes are more instances behind the proxy (docs/wechat.md), all sharing
    # the state in Redis. Shutdown is bounded: running turns get 10 s to send their answers.
    uvicorn.run(
        "bot.wechat.app:create_app",
        factory=True,
        host=config.listen,
        port=config.port,
        log_level="info",
        access_log=False,  # the query strings carry signatures; refused requests are logged by the app
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
