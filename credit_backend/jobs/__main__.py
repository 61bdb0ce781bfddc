"""Run the daily jobs: ``python -m credit_backend.jobs daily [--today YYYY-MM-DD] [--database-url URL]``.

Meant for cron or a systemd timer, once a day after midnight China time (README: Daily jobs). "today" is
--today, else CREDIT_TODAY, else the current date in China. Prints each job's counts as one JSON line.

However many hosts start it, one run does a day's jobs (credit_backend/jobs/once.py): the others wait for
the jobs' lock, find the day done and print zero counts with ``"skipped": "already_done"`` and a note.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date

from credit_backend import clock
from credit_backend.db import get_engine, make_engine
from credit_backend.jobs import daily
from credit_backend.jobs.once import DEFAULT_WAIT_SECONDS, run_daily_once


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m credit_backend.jobs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "daily", help="end publicity whose window closed (grades, lists); reminders, 容缺 breaches, staff deadlines"
    )
    run.add_argument(
        "--today", type=date.fromisoformat, help="the day to run for (default: CREDIT_TODAY or today in China)"
    )
    run.add_argument("--database-url", help="default: CREDIT_DATABASE_URL")
    run.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        help="seconds to wait for a run of another host to finish (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    engine = make_engine(args.database_url) if args.database_url else get_engine()
    today = args.today or clock.today()
    outcome = run_daily_once(engine, today, daily, wait=args.wait)
    print(json.dumps(outcome.as_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
