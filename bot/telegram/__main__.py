"""``python -m bot.telegram``: run the Telegram bridge (settings from the environment)."""

from __future__ import annotations

import logging
import sys

from bot.telegram.config import ConfigError, load


def main() -> int:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per getUpdates otherwise
    try:
        config = load()
    except ConfigError as exc:
        print(f"telegram bridge: {exc}", file=sys.stderr)
        return 2
    from bot.telegram.app import run

    logging.getLogger(__name__).info("telegram bridge starting in %s mode", config.mode)
    run(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
