"""``python -m bot.console``: serve the console with uvicorn on CONSOLE_BIND_HOST:CONSOLE_PORT."""

from __future__ import annotations

import logging
import sys

import uvicorn

from bot.console.app import create_app
from bot.console.settings import ConsoleSettings


def main() -> int:
    settings = ConsoleSettings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not settings.secret:
        print("CONSOLE_SECRET 未设置：控制台无法生成防跨站请求令牌，拒绝启动。", file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=settings.bind_host, port=settings.port, proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
