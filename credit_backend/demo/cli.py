"""Fill a database with the synthetic 吉林市 demo city.

    python -m credit_backend.demo.cli [--entities 2000] [--seed 42] [--reset] [--database-url URL]

Without --reset the command refuses to load into a database that already holds entities.
"today" is --today, else CREDIT_TODAY, else the current date in China.
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import Engine, select

from credit_backend.clock import today as clock_today
from credit_backend.db import make_engine
from credit_backend.demo.generator import NAMED_CASES, CityGenerator
from credit_backend.demo.load import LoadStats, entity_count, load_city, reset_database
from credit_backend.demo.staff import DEFAULT_DEMO_PASSWORD, DEMO_ACCOUNTS, seed_staff_accounts
from credit_backend.migrate import upgrade
from credit_backend.models import CreditRecord, Entity
from credit_backend.rules import vocabulary
from credit_backend.rules.periods import add_months
from credit_backend.settings import get_settings


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table that lines up Chinese (double-width) characters."""
    widths = [max(_width(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(_pad(str(cell), w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def named_case_rows(engine: Engine) -> list[list[str]]:
    """One row per named case, with the key record date read back from the database."""
    rows = []
    with engine.connect() as conn:
        for case in NAMED_CASES:
            entity_id = conn.scalar(select(Entity.id).where(Entity.uscc == case.uscc))
            if entity_id is None:
                rows.append([case.uscc, case.name, case.contact_phone, case.grade, "（未找到！）"])
                continue
            key = conn.execute(
                select(CreditRecord.category, CreditRecord.severity, CreditRecord.decision_date)
                .where(CreditRecord.entity_id == entity_id)
                .where(CreditRecord.category.in_((vocabulary.PENALTY, vocabulary.SEVERE_LIST, vocabulary.REDLIST)))
                .order_by(CreditRecord.decision_date.desc())
                .limit(1)
            ).first()
            detail = case.flow
            if key is not None:
                category, severity, decided = key
                label = f"{severity}{category}" if category == vocabulary.PENALTY else category
                detail += f"（{label} {decided.isoformat()}"
                if category == vocabulary.PENALTY and severity == vocabulary.ORDINARY:
                    detail += f"，最早可修复 {add_months(decided, 3).isoformat()}"
                detail += "）"
            rows.append([case.uscc, case.name, case.contact_phone, case.grade, detail])
    return rows


def _progress(total: int) -> Callable[[LoadStats], None]:
    step = max(total // 10, 1000)
    state = {"next": step}

    def report(stats: LoadStats) -> None:
        if stats.entities >= state["next"] or stats.entities == total:
            rate = stats.entities / stats.insert_seconds if stats.insert_seconds else 0.0
            print(
                f"  已导入 {stats.entities:,}/{total:,} 个主体，{stats.records:,} 条信用记录"
                f"（{stats.insert_seconds:.1f} 秒，{rate:,.0f} 个主体/秒）",
                flush=True,
            )
            state["next"] = stats.entities + step

    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m credit_backend.demo.cli", description="生成并导入吉林市演示数据（全部为虚构数据）"
    )
    parser.add_argument("--entities", type=int, default=2000, help="主体数量（含6个固定演示案例），默认2000")
    parser.add_argument("--seed", type=int, default=42, help="随机种子；相同种子生成相同数据，默认42")
    parser.add_argument("--reset", action="store_true", help="先删除数据库中的全部数据并重建表结构")
    parser.add_argument("--database-url", help="SQLAlchemy 数据库地址，默认取 CREDIT_DATABASE_URL")
    parser.add_argument("--today", type=date.fromisoformat, help="以哪一天为“今天”（YYYY-MM-DD）")
    parser.add_argument("--batch", type=int, default=5000, help="每批导入的主体数，默认5000")
    args = parser.parse_args(argv)
    if args.entities < len(NAMED_CASES):
        parser.error(f"--entities 至少为 {len(NAMED_CASES)}（固定演示案例的数量）")

    url = args.database_url or get_settings().database_url
    today = args.today or clock_today()
    engine = make_engine(url)
    print(f"数据库：{engine.url.render_as_string(hide_password=True)}")
    print(f"今天：{today.isoformat()}；主体数：{args.entities:,}；随机种子：{args.seed}")

    started = time.perf_counter()
    if args.reset:
        reset_database(engine)
        print(f"已清空数据库并重建表结构（{time.perf_counter() - started:.1f} 秒）")
    else:
        upgrade(engine)
    existing = entity_count(engine)
    if existing:
        print(
            f"数据库中已有 {existing:,} 个主体，未导入任何数据。"
            "如需清空后重新生成，请加 --reset（将删除该数据库中的全部数据）。",
            file=sys.stderr,
        )
        return 2

    generator = CityGenerator(args.entities, args.seed, today)
    stats = load_city(engine, generator, batch_entities=args.batch, progress=_progress(args.entities))
    total = time.perf_counter() - started
    print()
    print(f"导入完成：{stats.entities:,} 个主体，{stats.records:,} 条信用记录，{stats.evaluations:,} 条信用评价")
    rows_per_s = (stats.entities + stats.records + stats.evaluations) / stats.insert_seconds
    print(f"  生成并写入：{stats.insert_seconds:.1f} 秒（{rows_per_s:,.0f} 行/秒）")
    print(f"  名称检索索引与统计信息：{stats.index_seconds:.1f} 秒")
    print(f"  合计（含建表）：{total:.1f} 秒")
    print()
    print("固定演示案例（一次性验证码发送到登记的联系电话）：")
    print(format_table(["统一社会信用代码", "名称", "联系电话", "评价", "演示流程"], named_case_rows(engine)))
    seed_staff_accounts(engine)
    print()
    password = get_settings().demo_staff_password
    shown = password if password == DEFAULT_DEMO_PASSWORD else "CREDIT_DEMO_STAFF_PASSWORD 设置的密码"
    print(f"工作台演示账号（密码：{shown}；仅供演示）：")
    print(
        format_table(
            ["账号", "姓名", "角色", "部门", "用途"],
            [
                [a.name, a.display_name, "管理员" if a.role == "admin" else "工作人员", a.department, a.duty]
                for a in DEMO_ACCOUNTS
            ],
        )
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
