"""The conversation archive's commands (docs/archive.md):

    python -m credit_backend.archive consume [--once]         # the archiver (make up starts it)
    python -m credit_backend.archive review [filters] [--show ID]
    python -m credit_backend.archive stats [--from DAY] [--to DAY] [--channel CH] [--csv FILE]
    python -m credit_backend.archive purge [--days N] [--dry-run]   # for cron

Reading conversations from the host is audited like reading them in the console (actor ``host:<user>``). Times
are Beijing time.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from credit_backend import clock
from credit_backend.archive import consumer, queries, retention
from credit_backend.db import get_sessionmaker
from credit_backend.errors import DomainError
from credit_backend.services import conversations
from credit_backend.settings import get_settings

FLAG_NAMES = {
    "had_fallback": "兜底",
    "had_handoff": "转人工",
    "form_cancelled": "取消",
    "form_abandoned": "中途离开",
    "explained_after_failures": "两次失败后解释",
}


def _actor() -> str:
    try:
        return f"host:{getpass.getuser()}"
    except (KeyError, OSError):
        return "host:unknown"


def consume(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.archive_enabled:
        print("会话归档未启用（CREDIT_ARCHIVE_ENABLED=0）。/ The archive is off.", flush=True)
        if not args.once:
            consumer.stop_on_signals().wait()  # under `make up`: stay up, idle, until `make down`
        return 0
    archiver = consumer.Archiver(
        consumer.redis_client(settings),
        get_sessionmaker(),
        settings.archive_stream,
        settings.archive_group,
        args.consumer,
        settings.archive_batch,
        settings.archive_linger_ms / 1000,
    )
    if args.once:
        totals = archiver.drain()
    else:
        logging.getLogger("credit_backend.archive").info("archiving %s into the database", settings.archive_stream)
        # Off the request path also on a shared host: when the CPU is short, the Rasa workers come first and the
        # archive catches up when they are idle.
        os.nice(settings.archive_nice)
        totals = archiver.run(consumer.stop_on_signals())
    print(
        f"已归档事件 {totals.stored} 条（重复 {totals.duplicates} 条，无法识别 {totals.malformed} 条，{totals.batches} 批）。"
        f" / Archived {totals.stored} events."
    )
    return 0


def _flags(item: dict[str, Any]) -> str:
    return "、".join(label for key, label in FLAG_NAMES.items() if item[key]) or "—"


def review(args: argparse.Namespace) -> int:
    now = clock.now()
    with get_sessionmaker()() as session:  # the services commit their audit entries
        if args.show:
            d = conversations.detail(session, args.show, role="admin", actor=_actor(), now=now)
            print(
                f"会话 {d['id']}  {d['sender_id']}（{d['channel']}）  {d['started_at'].astimezone(clock.CST):%Y-%m-%d %H:%M} 起，{d['turns']} 轮"
            )
            print(f"标记：{_flags(d)}  已复核：{d['reviewed_by'] or '否'}")
            for m in d["messages"]:
                runner_up = f"，次选 {m['second_intent']} {m['second_confidence']:.2f}" if m["second_intent"] else ""
                marks = "".join(
                    mark
                    for key, mark in (
                        ("fallback", " [兜底]"),
                        ("low_confidence", " [低置信]"),
                        ("small_margin", " [差距小]"),
                    )
                    if m[key]
                )
                top = f"{m['top_intent']} {m['top_confidence']:.2f}" if m["top_confidence"] is not None else "—"
                faq = f"，问答 {m['faq_topic']}" if m["faq_topic"] else ""
                print(
                    f"  {m['at'].astimezone(clock.CST):%H:%M:%S} 「{m['text']}」 → {m['intent']}（最佳 {top}{runner_up}{faq}）{marks}"
                )
            for r in d["forms"]:
                print(f"  表单 {r['label']}：{queries.OUTCOME_LABELS.get(r['outcome'], r['outcome'])}，{r['turns']} 轮")
            return 0
        f = queries.ConversationFilter(
            fallback=args.fallback,
            low_confidence=args.low_confidence,
            small_margin=args.small_margin,
            handoff=args.handoff,
            cancelled=args.cancelled,
            abandoned=args.abandoned,
            explained=args.explained,
            reviewed=False if args.unreviewed else None,
            channel=args.channel,
            date_from=args.date_from,
            date_to=args.date_to,
        )
        page = conversations.search(session, f, 1, args.limit, role="admin", actor=_actor(), now=now)
    print(f"共 {page['total']} 段会话符合条件（显示 {len(page['items'])} 段）。")
    for item in page["items"]:
        print(
            f"{item['id']:>7}  {item['last_event_at'].astimezone(clock.CST):%Y-%m-%d %H:%M}  {item['channel']:<5} {item['turns']:>3} 轮  "
            f"{_flags(item)}  {item['sender_id']}  「{item['preview']}」"
        )
    return 0


def stats(args: argparse.Namespace) -> int:
    period = queries.Period(args.date_from, args.date_to, args.channel)
    with get_sessionmaker()() as session:
        figures = conversations.analytics(session, period, clock.now())
    if args.csv:
        Path(args.csv).write_bytes(queries.analytics_csv(figures))
        print(f"已写入 {args.csv}。")
        return 0
    f = figures
    print(f"统计期间：{f['date_from'] or '最早'} 至 {f['date_to'] or '最近'}  渠道：{f['channel'] or '全部'}")
    print(f"会话 {f['conversations']} 段，用户消息 {f['messages']} 条")
    fb, ho = f["fallback"], f["handoff"]
    print(
        f"兜底消息 {fb['messages']} 条（{fb['message_rate']:.1%}），含兜底的会话 {fb['conversations']} 段（{fb['conversation_rate']:.1%}）"
    )
    print(f"转人工会话 {ho['conversations']} 段（{ho['rate']:.1%}）")
    print("每日会话数：")
    for row in f["per_day"]:
        print(f"  {row['day']}  {row['channel']:<5} {row['conversations']}")
    print("各意图消息数：")
    for row in f["intents"]:
        print(f"  {row['intent']:<28} {row['messages']}")
    print("各项服务（发起 / 完成 / 取消 / 中途离开 / 转人工 / 完成所需轮次中位数）：")
    for row in f["services"]:
        median = "—" if row["median_turns_to_complete"] is None else f"{row['median_turns_to_complete']:g}"
        print(
            f"  {row['label']:<6} {row['started']:>5} {row['completed']:>5} {row['cancelled']:>5} "
            f"{row['abandoned']:>5} {row['handed_off']:>5}  {median}"
        )
    busiest = sorted(f["hours"], key=lambda h: (-h["messages"], h["hour"]))[:3]
    hours = "、".join(f"{h['hour']:02d}时（{h['messages']} 条）" for h in busiest if h["messages"])
    print(f"最繁忙时段：{hours or '—'}")
    return 0


def purge(args: argparse.Namespace) -> int:
    settings = get_settings()
    days = args.days if args.days is not None else settings.archive_retention_days
    cutoff = clock.now() - timedelta(days=days)
    report = retention.PurgeReport(cutoff)
    with get_sessionmaker()() as session, session.begin():
        report.archive = retention.purge_archive(session, cutoff, dry_run=args.dry_run)
    red = consumer.redis_client(settings)
    report.stream_entries = retention.purge_stream(red, settings.archive_stream, cutoff, dry_run=args.dry_run)
    report.live, report.busy = retention.purge_live(red, settings.archive_tracker_prefix, cutoff, dry_run=args.dry_run)
    print("\n".join(report.lines(args.dry_run)))
    return 0


def _positive_days(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("保存天数至少为 1。/ At least 1 day.")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m credit_backend.archive",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("consume", help="write the Rasa server's event stream into the archive")
    c.add_argument("--once", action="store_true", help="what is in the stream now, then exit (tests, cron)")
    c.add_argument("--consumer", help="this archiver's name in the consumer group (default: <host>-archiver)")

    r = sub.add_parser("review", help="conversations to review (every filter given must hold)")
    for flag, what in (
        ("--fallback", "a message got a fallback"),
        ("--low-confidence", "a typed message below CREDIT_ARCHIVE_LOW_CONFIDENCE"),
        ("--small-margin", "a typed message whose best two intents are close"),
        ("--handoff", "handed to a person"),
        ("--cancelled", "a form cancelled"),
        ("--abandoned", "a form left unfinished"),
        ("--explained", "a question explained after two failures"),
        ("--unreviewed", "not yet marked reviewed"),
    ):
        r.add_argument(flag, action="store_true", help=what)
    r.add_argument("--limit", type=int, default=50)
    r.add_argument("--show", type=int, metavar="ID", help="one conversation with each message's prediction")
    for q in (r, s := sub.add_parser("stats", help="the analytics figures")):
        q.add_argument("--from", dest="date_from", type=date.fromisoformat, help="first day (Beijing time)")
        q.add_argument("--to", dest="date_to", type=date.fromisoformat, help="last day")
        q.add_argument("--channel", choices=("tg", "wx", "web", "staff", "rest"))
    s.add_argument("--csv", metavar="FILE", help="write the figures as CSV instead")

    g = sub.add_parser("purge", help="delete conversations older than the retention limit (archive and live store)")
    g.add_argument("--days", type=_positive_days, help="default: CREDIT_ARCHIVE_RETENTION_DAYS (30)")
    g.add_argument("--dry-run", action="store_true", help="only print what would be deleted")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        return {"consume": consume, "review": review, "stats": stats, "purge": purge}[args.command](args)
    except DomainError as error:
        print(f"错误 / Error: {error.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
