"""Exponential backoff shared by the HTTP clients and the channels' notifiers, and the notifiers' polling loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5
    factor: float = 2.0
    maximum: float = 60.0

    def delay(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (0-based)."""
        return min(self.first * self.factor**attempt, self.maximum)


async def poll_forever(
    run_once: Callable[[], Awaitable[int | None]],
    backoff: Backoff,
    interval: float,
    transient: tuple[type[BaseException], ...],
    log: logging.Logger,
    page: int,
) -> None:
    """Call ``run_once`` for ever: again at once after a full ``page``, after ``interval`` otherwise (also when it
    returns None: nothing to do here now), after a growing delay when it fails. Failures of the ``transient``
    kinds are warnings, anything else an error with its traceback; none stops the loop."""
    failures = 0
    while True:
        try:
            handled = await run_once()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep running whatever happens
            delay = backoff.delay(failures)
            failures += 1
            level = logging.WARNING if isinstance(exc, transient) else logging.ERROR
            log.log(level, "notification delivery paused for %.0fs: %s", delay, exc, exc_info=level == logging.ERROR)
            await asyncio.sleep(delay)
            continue
        failures = 0
        if handled is None or handled < page:
            await asyncio.sleep(interval)
