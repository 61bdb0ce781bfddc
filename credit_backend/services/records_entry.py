"""Records entered by departments (双公示, seed item 15): one check for the form and the import, the
publicity window from the backend's rules, stored and audited, visible to the assistant at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import DomainError
from credit_backend.models import CreditRecord, Entity, RepairApplication
from credit_backend.policy.loader import Policy, load_policy
from credit_backend.rules.periods import format_cn_date, publicity_window
from credit_backend.rules.publicity import PublicityFacts, publicity_over
from credit_backend.rules.uscc import validate_uscc
from credit_backend.rules.vocabulary import PENALTY, PERMIT, SEVERITIES, record_polarity
from credit_backend.services import evaluation
from credit_backend.services.common import audit
from credit_backend.services.records import open_application_for, record_view

__all__ = [
    "ENTRY_TYPES",
    "FIELD_LABELS",
    "FieldProblem",
    "RecordDraft",
    "check_entry",
    "enter_record",
    "existing_decisions",
    "find_entities",
    "record_detail_view",
    "store_record",
]

# What a department enters under 双公示: administrative licences and penalties (vocabulary categories).
ENTRY_TYPES: tuple[str, ...] = (PERMIT, PENALTY)
# Each field of an entered record in Chinese: the form's labels, the import's column headers.
FIELD_LABELS: dict[str, str] = {
    "uscc": "统一社会信用代码",
    "record_type": "信息类别",
    "decision_no": "决定文书号",
    "decided_on": "决定日期",
    "authority": "决定机关",
    "severity": "失信程度",
    "legal_basis": "依据",
    "content": "内容",
    "title": "决定文书名称",
}
MAX_LENGTHS = {
    "uscc": 60,
    "decision_no": 100,
    "authority": 100,
    "legal_basis": 2000,
    "content": 4000,
    "title": 200,
}
REQUIRED = ("uscc", "record_type", "decision_no", "decided_on", "authority", "legal_basis", "content")


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of an entry, in Chinese."""

    field: str
    reason: str

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.field]


@dataclass(frozen=True)
class RecordDraft:
    """A checked entry, ready to store."""

    entity: Entity
    record_type: str
    decision_no: str
    decided_on: date
    authority: str
    severity: str | None
    legal_basis: str
    content: str
    title: str


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _date(value: Any) -> date | None:
    """A date from a date or an ISO / 2026/11/26 / 2026年11月26日 string; None when it is not one."""
    if isinstance(value, date):
        return value
    raw = _text(value)
    for sep in ("/", "."):
        raw = raw.replace(sep, "-")
    if raw.endswith("日") and "年" in raw and "月" in raw:
        raw = raw[:-1].replace("年", "-").replace("月", "-")
    try:
        year, month, day = (int(part) for part in raw.split("-"))
        return date(year, month, day)
    except ValueError:
        return None


def find_entities(session: Session, raw_codes: Iterable[str]) -> dict[str, Entity]:
    """Entities by their normalised code, for the valid codes among ``raw_codes`` (one query)."""
    codes = {r.code for r in (validate_uscc(c) for c in raw_codes if c) if r.ok}
    if not codes:
        return {}
    return {e.uscc: e for e in session.scalars(select(Entity).where(Entity.uscc.in_(codes)))}


def existing_decisions(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (authority, decision number) pairs among ``keys`` that a stored record already has."""
    wanted = list(set(keys))
    found: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.execute(
            select(CreditRecord.authority, CreditRecord.document_no).where(
                tuple_(CreditRecord.authority, CreditRecord.document_no).in_(chunk)
            )
        )
        found.update((a, d) for a, d in rows if d is not None)
    return found


def check_entry(
    raw: Mapping[str, Any], entities: Mapping[str, Entity], today: date, policy: Policy
) -> tuple[RecordDraft | None, list[FieldProblem]]:
    """Check one entry (a form body or an import row): the draft, or every problem found.

    ``entities``: the entities by normalised code (``find_entities``). Duplicates of stored decisions
    are the caller's check (``existing_decisions``), which sees every entry at once.
    """
    problems: list[FieldProblem] = []
    values = {name: _text(raw.get(name)) for name in FIELD_LABELS if name != "decided_on"}
    for name in REQUIRED:
        if name != "decided_on" and not values[name]:
            problems.append(FieldProblem(name, f"“{FIELD_LABELS[name]}”不能为空"))
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            problems.append(FieldProblem(name, f"“{FIELD_LABELS[name]}”不能超过{limit}个字符"))

    entity = None
    if values["uscc"]:
        checked = validate_uscc(values["uscc"])
        if not checked.ok:
            problems.append(
                FieldProblem("uscc", f"统一社会信用代码“{values['uscc']}”无效：{checked.errors[0].message}")
            )
        else:
            entity = entities.get(checked.code)
            if entity is None:
                problems.append(FieldProblem("uscc", f"平台上没有统一社会信用代码为 {checked.code} 的主体"))

    record_type = values["record_type"]
    if record_type and record_type not in ENTRY_TYPES:
        problems.append(
            FieldProblem("record_type", f"信息类别应为“{'”或“'.join(ENTRY_TYPES)}”，填写的是“{record_type}”")
        )

    decided_on = None
    if raw.get("decided_on") in (None, ""):
        problems.append(FieldProblem("decided_on", f"“{FIELD_LABELS['decided_on']}”不能为空"))
    else:
        decided_on = _date(raw.get("decided_on"))
        if decided_on is None:
            problems.append(
                FieldProblem("decided_on", f"决定日期“{_text(raw.get('decided_on'))}”不是有效日期，格式如 2026-11-26")
            )
        elif decided_on > today:
            problems.append(FieldProblem("decided_on", f"决定日期不能晚于今天（{format_cn_date(today)}）"))

    severity = values["severity"] or None
    if record_type == PENALTY and severity is None:
        problems.append(FieldProblem("severity", f"行政处罚须填写失信程度：{'、'.join(SEVERITIES)}"))
    elif record_type == PENALTY and severity not in SEVERITIES:
        problems.append(FieldProblem("severity", f"失信程度应为{'、'.join(SEVERITIES)}之一，填写的是“{severity}”"))
    elif record_type == PERMIT and severity is not None:
        problems.append(FieldProblem("severity", "行政许可不填写失信程度"))

    if problems or entity is None or decided_on is None:
        return None, problems
    title = values["title"] or f"{record_type}决定（{values['decision_no']}）"
    return (
        RecordDraft(
            entity=entity,
            record_type=record_type,
            decision_no=values["decision_no"],
            decided_on=decided_on,
            authority=values["authority"],
            severity=severity if record_type == PENALTY else None,
            legal_basis=values["legal_basis"],
            content=values["content"],
            title=title,
        ),
        [],
    )


def duplicate_problem(draft: RecordDraft) -> FieldProblem:
    return FieldProblem("decision_no", f"{draft.authority}的决定文书号“{draft.decision_no}”已录入，不能重复录入")


def store_record(session: Session, draft: RecordDraft, today: date, policy: Policy) -> CreditRecord:
    """Add the record with its publicity window (rules.periods under the regime in force today)."""
    polarity = record_polarity(draft.record_type, draft.severity).value
    window = publicity_window(draft.record_type, draft.severity, draft.decided_on, today, policy, polarity=polarity)
    record = CreditRecord(
        entity=draft.entity,
        category=draft.record_type,
        title=draft.title,
        document_no=draft.decision_no,
        authority=draft.authority,
        decision_date=draft.decided_on,
        severity=draft.severity,
        polarity=polarity,
        published=window.published,
        publicity_end=window.max_end,
        content=draft.content,
        legal_basis=draft.legal_basis,
        status="active",
    )
    facts = PublicityFacts(
        draft.record_type, draft.severity, draft.decided_on, record.is_negative, stored_end=window.max_end
    )
    if publicity_over(facts, today, policy):
        record.status = "expired"  # entered after its publicity already ended: kept, not published as active
    session.add(record)
    return record


def enter_record(session: Session, body: Mapping[str, Any], actor: str, role: str) -> CreditRecord:
    """Check, store and audit one record from the entry form; VALIDATION_ERROR names every bad field."""
    today = clock.today()
    policy = load_policy()
    entities = find_entities(session, [_text(body.get("uscc"))])
    draft, problems = check_entry(body, entities, today, policy)
    if draft is not None and existing_decisions(session, [(draft.authority, draft.decision_no)]):
        problems = [duplicate_problem(draft)]
    if problems or draft is None:
        raise DomainError(
            "；".join(p.reason for p in problems) + "。请修改后重新提交。",
            code="VALIDATION_ERROR",
            fields=[{"field": p.field, "message": p.reason} for p in problems],
        )
    record = store_record(session, draft, today, policy)
    session.flush()
    if record.is_negative:
        evaluation.recompute(session, record.entity_id, today, f"录入{record.category}（{record.document_no}）")
    audit(
        session,
        role,
        actor,
        "enter_record",
        draft.entity.uscc,
        record_id=record.id,
        category=record.category,
        document_no=record.document_no,
        authority=record.authority,
    )
    session.commit()
    return record


def window_label(window: dict[str, Any] | None, record: CreditRecord) -> str:
    """The publicity window in one Chinese sentence."""
    if window is None or window["max_end"] is None:
        return "依法公开，不设公示期限"
    text = "" if window["published"] else "按规定原则上不公示（仅工作人员可见）；"
    if window["min_end"] is not None:
        text += f"最短公示期至{format_cn_date(window['min_end'])}（届满后可申请信用修复），"
    text += f"最长公示至{format_cn_date(window['max_end'])}"
    if record.publicity_end is not None and record.publicity_end != window["max_end"]:
        text += f"；本记录公示截止{format_cn_date(record.publicity_end)}"
    return text


def record_detail_view(session: Session, record: CreditRecord, today: date | None = None) -> dict[str, Any]:
    """A record in full for staff: the usual view, its legal basis and its publicity window."""
    today = today or clock.today()
    policy = load_policy()
    window: dict[str, Any] | None
    try:
        found = publicity_window(
            record.category, record.severity, record.decision_date, today, policy, polarity=record.polarity
        )
        window = {
            "regime": found.regime,
            "published": found.published,
            "min_end": found.min_end,
            "max_end": found.max_end,
        }
    except ValueError:  # a category or a day the policy does not cover
        window = None
    under_repair = open_application_for(session, RepairApplication, record.id) is not None
    return {
        **record_view(record, under_repair=under_repair),
        "legal_basis": record.legal_basis,
        "window": window,
        "window_label": window_label(window, record),
    }
