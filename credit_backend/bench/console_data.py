"""Applications in bulk for the console benchmark: a realistic spread of kinds, statuses, departments and
deadlines over a demo city, inserted fast (COPY on PostgreSQL, batched inserts on SQLite).

    python -m credit_backend.bench.console_data --database-url URL [--applications 100000] [--entities 50000]
        [--today 2026-11-26]

``fill(engine_or_url, applications)`` is what the console benchmark calls on a migrated database: it loads a
demo city first when the database has no entities, then ``insert_applications``. Objections and repairs act
on the city's negative records (at most one open of each kind per record, as the database requires) and go
to the record's authority; the other kinds go to the credit centre. About a third are open (in the work
queue), with deadlines counted on the backend's calendar from days of receipt spread over the last weeks, so
the queue shows overdue, due-soon and later rows; the rest were decided over the past year. Each application
has its history (the submission and, if decided, the decision) so the case view has something to show.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, Engine, func, insert, select, text

from credit_backend.db import make_engine
from credit_backend.models import (
    Application,
    ApplicationCounter,
    ApplicationEvent,
    Commitment,
    CreditRecord,
    Entity,
    Objection,
    Registration,
    RepairApplication,
)
from credit_backend.policy.calendar import default_calendar
from credit_backend.policy.loader import load_policy
from credit_backend.rules.appno import format_application_no
from credit_backend.rules.states import MACHINES

__all__ = ["InsertStats", "insert_applications", "main"]

BATCH = 5000
KIND_WEIGHTS = {"registration": 25, "commitment": 30, "objection": 20, "repair": 25}
# Status weights per kind: open states first.
STATUS_WEIGHTS: dict[str, dict[str, int]] = {
    "registration": {"submitted": 30, "verified": 55, "rejected": 15},
    "commitment": {"in_force": 40, "fulfilled": 40, "breached": 5, "withdrawn": 15},
    "objection": {
        "submitted": 15,
        "under_verification": 20,
        "rejected_incomplete": 10,
        "corrected": 20,
        "withdrawn": 10,
        "upheld": 25,
    },
    "repair": {"submitted": 15, "accepted": 20, "rejected": 10, "approved": 40, "denied": 15},
}
# Working days of the deadline of each open state (policy.yaml), counted from the day of receipt.
OPEN_DAYS = {
    ("registration", "submitted"): 10,
    ("objection", "submitted"): 15,
    ("objection", "under_verification"): 15,
    ("repair", "submitted"): 3,
    ("repair", "accepted"): 10,
}
RONGQUE_SHARE = 0.3  # commitments in force with a date for the missing materials
OPEN_DAYS_BACK = 30  # open applications were received within this many days
CLOSED_DAYS_BACK = 365


@dataclass
class InsertStats:
    applications: int = 0
    open: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _utc(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(480))


class _Builder:
    """Rows of one application and its kind table and history."""

    def __init__(self, engine: Engine, today: date, seed: int) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.policy = load_policy()
        self.centre = self.policy.departments.credit_centre
        self.calendar = default_calendar()
        self._due: dict[tuple[date, int], date] = {}
        with engine.connect() as conn:
            self.entity_ids = list(conn.scalars(select(Entity.id).order_by(Entity.id).limit(200_000)))
            self.records = [
                tuple(r)
                for r in conn.execute(
                    select(CreditRecord.id, CreditRecord.entity_id, CreditRecord.authority)
                    .where(CreditRecord.polarity == "negative")
                    .order_by(CreditRecord.id)
                    .limit(400_000)
                )
            ]
            taken = {
                name: set(conn.scalars(select(model.record_id).where(model.is_open)))
                for name, model in (("objection", Objection), ("repair", RepairApplication))
            }
            self.seq = {(c.type_code, c.day): c.last_seq for c in conn.execute(select(ApplicationCounter))}
            self.next_id = (conn.scalar(select(func.max(Application.id))) or 0) + 1
        if not self.entity_ids:
            raise SystemExit("no entities: load a city first (python -m credit_backend.demo)")
        self.rng.shuffle(self.records)
        # Records free for an open objection / repair (one open application of each kind per record).
        self.free = {kind: [r for r in self.records if r[0] not in taken[kind]] for kind in taken}

    def due(self, start: date, days: int) -> date:
        key = (start, days)
        if key not in self._due:
            self._due[key] = self.calendar.add_working_days(start, days).due
        return self._due[key]

    def one(self) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | None:
        rng = self.rng
        kind = _pick(rng, KIND_WEIGHTS)
        status = _pick(rng, STATUS_WEIGHTS[kind])
        machine = MACHINES[kind]
        is_open = machine.is_open(status)
        record = None
        if kind in ("objection", "repair"):
            if not self.records:
                return None
            if is_open:
                if not self.free[kind]:
                    status = next(s for s in STATUS_WEIGHTS[kind] if not machine.is_open(s))
                    is_open = False
                else:
                    record = self.free[kind].pop()
            if record is None:
                record = rng.choice(self.records)
        received = self.today - timedelta(days=rng.randrange(OPEN_DAYS_BACK if is_open else CLOSED_DAYS_BACK))
        due_on, days = None, None
        if is_open and (kind, status) in OPEN_DAYS:
            days = OPEN_DAYS[(kind, status)]
            due_on = self.due(received, days)
        materials_due = None
        if kind == "commitment" and is_open and rng.random() < RONGQUE_SHARE:
            days = self.policy.commitments.rongque_materials_due.working_days
            due_on = materials_due = self.due(received, days)
        key = (machine.type_code, received)
        self.seq[key] = self.seq.get(key, 0) + 1
        app_id = self.next_id
        self.next_id += 1
        received_at = _utc(received, rng)
        decided_at = None if is_open else received_at + timedelta(days=rng.randrange(1, 20))
        sender = f"tg:{rng.randrange(10**8, 10**9)}"
        entity_id = record[1] if record else rng.choice(self.entity_ids)
        base = {
            "id": app_id,
            "application_no": format_application_no(machine.type_code, received, self.seq[key]),
            "kind": kind,
            "status": status,
            "entity_id": entity_id,
            "sender_id": sender,
            "received_at": received_at,
            "received_on": received,
            "due_on": due_on,
            "due_working_days": days if due_on else None,
            "due_provisional": False,
            "idempotency_key": uuid.UUID(int=rng.getrandbits(128)).hex,
            "request_hash": "0" * 64,
            "decided_at": decided_at,
            "decision_note": None if is_open else "经审核，依法作出决定",
            "updated_at": decided_at or received_at,
            "department": record[2] if record else self.centre,
            "identity_check": None,
            "in_queue": is_open,
        }
        detail = self._detail(kind, app_id, record, is_open, materials_due)
        events = [
            {
                "application_id": app_id,
                "from_status": None,
                "to_status": machine.initial,
                "action": "submit",
                "actor": sender,
                "note": None,
                "at": received_at,
            }
        ]
        if status != machine.initial:
            step = next((t for t in machine.transitions if t.target == status), None)
            if step is not None:
                events.append(
                    {
                        "application_id": app_id,
                        "from_status": step.source,
                        "to_status": status,
                        "action": step.action,
                        "actor": "staff:bench",
                        "note": "经审核，依法作出决定",
                        "at": decided_at or received_at + timedelta(hours=2),
                    }
                )
        return base, detail, events

    def _detail(
        self, kind: str, app_id: int, record: tuple[int, int, str] | None, is_open: bool, materials_due: date | None
    ) -> dict[str, Any]:
        if kind == "registration":
            return {
                "id": app_id,
                "category": "资质证照",
                "fields": {
                    "license_name": "建筑业企业资质证书",
                    "license_no": f"D2{app_id:08d}",
                    "issuer": "吉林市住房和城乡建设局",
                },
                "truthful": True,
                "verified_on": None,
            }
        if kind == "commitment":
            return {
                "id": app_id,
                "commitment_type": "容缺受理型" if materials_due else "主动型",
                "matter": "守法诚信经营",
                "text_items": list(self.policy.commitment_items("主动型")),
                "missing_materials": "消防验收意见书" if materials_due else None,
                "materials_due": materials_due,
                "record_id": None,
            }
        assert record is not None
        if kind == "objection":
            return {
                "id": app_id,
                "record_id": record[0],
                "reason": "处罚决定书记载的违法事实与实际不符",
                "requested_outcome": "更正",
                "contact_phone": None,
                "correct_due": None,
                "is_open": is_open,
            }
        return {
            "id": app_id,
            "record_id": record[0],
            "corrective_action": "已按要求完成整改并缴清罚款",
            "obligations_fulfilled": True,
            "commitment_text": list(self.policy.commitment_items("信用修复型")),
            "regime": self.policy.regime_for(self.today).display_name,
            "is_open": is_open,
        }


KIND_TABLES = {
    "registration": Registration.__table__,
    "commitment": Commitment.__table__,
    "objection": Objection.__table__,
    "repair": RepairApplication.__table__,
}


def _copy(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY the rows (JSON values as text), an order of magnitude faster than INSERT."""
    columns = list(rows[0])
    json_columns = {c.key for c in table.c if isinstance(c.type, JSON)}
    cursor = conn.connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c], ensure_ascii=False) if c in json_columns and row[c] is not None else row[c]
                    for c in columns
                ]
            )


def _write(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, rows)
    else:
        conn.execute(insert(table), rows)


def _flush(
    conn: Any, bases: list[dict[str, Any]], details: dict[str, list[dict[str, Any]]], events: list[dict[str, Any]]
) -> None:
    _write(conn, Application.__table__, bases)
    for kind, rows in details.items():
        _write(conn, KIND_TABLES[kind], rows)
    _write(conn, ApplicationEvent.__table__, events)


def insert_applications(engine: Engine, count: int, *, today: date | None = None, seed: int = 11) -> InsertStats:
    """Insert ``count`` applications (ids after the existing ones) and keep the number counters in step."""
    started = time.perf_counter()
    today = today or date.today()
    builder = _Builder(engine, today, seed)
    stats = InsertStats()
    with engine.begin() as conn:
        bases: list[dict[str, Any]] = []
        details: dict[str, list[dict[str, Any]]] = {k: [] for k in KIND_TABLES}
        events: list[dict[str, Any]] = []
        for _ in range(count):
            built = builder.one()
            if built is None:
                continue
            base, detail, history = built
            bases.append(base)
            details[base["kind"]].append(detail)
            events.extend(history)
            stats.applications += 1
            stats.open += bool(base["in_queue"])
            stats.by_kind[base["kind"]] += 1
            if len(bases) >= BATCH:
                _flush(conn, bases, details, events)
                bases, events = [], []
                details = {k: [] for k in KIND_TABLES}
        _flush(conn, bases, details, events)
        counters = ApplicationCounter.__table__
        conn.execute(counters.delete())
        rows = [{"type_code": t, "day": d, "last_seq": s} for (t, d), s in builder.seq.items()]
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(counters), rows[start : start + BATCH])
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('applications', 'id'), (SELECT max(id) FROM applications))")
            )
            conn.execute(text("ANALYZE applications"))
            for table in ("registrations", "commitments", "objections", "repair_applications", "application_events"):
                conn.execute(text(f"ANALYZE {table}"))
        else:
            conn.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # Index-only scans need the visibility map: VACUUM outside a transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM applications"))
    stats.seconds = time.perf_counter() - started
    return stats


def fill(
    engine_or_url: Engine | str,
    applications: int = 100_000,
    *,
    entities: int = 50_000,
    seed: int = 42,
    today: date | None = None,
) -> dict[str, Any]:
    """Everything the console benchmark needs in a migrated database: a city of ``entities`` entities with
    their records (demo generator, only when the database has none yet), then ``applications`` applications.
    Returns the counts and timings."""
    from credit_backend.demo.generator import CityGenerator
    from credit_backend.demo.load import entity_count, load_city

    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    today = today or date.today()
    city_seconds = 0.0
    if entity_count(engine) == 0:
        started = time.perf_counter()
        load_city(engine, CityGenerator(entities, seed, today=today))
        city_seconds = time.perf_counter() - started
    stats = insert_applications(engine, applications, today=today, seed=seed)
    return {
        "entities": entity_count(engine),
        "applications": stats.applications,
        "open": stats.open,
        "by_kind": dict(stats.by_kind),
        "city_seconds": round(city_seconds, 1),
        "applications_seconds": round(stats.seconds, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Insert applications in bulk for the console benchmark.")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument("--entities", type=int, default=50_000, help="city size, when the database has none")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    result = fill(args.database_url, args.applications, entities=args.entities, seed=args.seed, today=args.today)
    print(
        f"{result['entities']:,} entities (city loaded in {result['city_seconds']} s); "
        f"{result['applications']:,} applications ({result['open']:,} open) in {result['applications_seconds']} s: "
        + ", ".join(f"{k} {n:,}" for k, n in sorted(result["by_kind"].items()))
    )


if __name__ == "__main__":
    main()
