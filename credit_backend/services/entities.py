"""Entity lookup, name search and the public profile."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session

from credit_backend.errors import DomainError, NotFound
from credit_backend.models import CreditRecord, Entity, Evaluation, Registration, RepairApplication
from credit_backend.models.record import CATEGORIES
from credit_backend.policy.loader import load_policy
from credit_backend.rules.masking import mask_id_number, mask_phone
from credit_backend.rules.states import REPAIR
from credit_backend.rules.uscc import JILIN_REGIONS, one_char_corrections, validate_uscc

LIST_CATEGORIES = ("严重失信主体名单", "重点关注名单", "守信激励", "经营异常")
SEARCH_TOTAL_CAP = 1000  # counting every match of a common fragment like 有限公司 is not worth a scan


def check_code(session: Session, raw: str) -> dict[str, Any]:
    """Validate a code and, when it fails the check digit, offer entities one character away."""
    result = validate_uscc(raw)
    suggestions: list[dict[str, str]] = []
    entity = None
    if result.ok:
        found = session.scalar(select(Entity).where(Entity.uscc == result.code))
        entity = {"uscc": found.uscc, "name": found.name} if found else None
    else:
        candidates = one_char_corrections(result.code)
        if candidates:
            rows = session.execute(select(Entity.uscc, Entity.name).where(Entity.uscc.in_(candidates)))
            suggestions = [{"uscc": u, "name": n} for u, n in rows]
    return {
        "code": result.code,
        "ok": result.ok,
        "errors": [p.__dict__ for p in result.errors],
        "warnings": [p.__dict__ for p in result.warnings],
        "suggestions": suggestions,
        "entity": entity,
    }


def get_entity(session: Session, raw: str) -> Entity:
    """The entity with this code, or a USCC_INVALID / ENTITY_NOT_FOUND error that says why."""
    check = check_code(session, raw)
    if not check["ok"]:
        message = check["errors"][0]["message"]
        if check["suggestions"]:
            names = "、".join(f"{s['name']}（{s['uscc']}）" for s in check["suggestions"])
            message += f"。您要找的是否是：{names}？"
        raise DomainError(message, code="USCC_INVALID", problems=check["errors"], suggestions=check["suggestions"])
    entity = session.scalar(select(Entity).where(Entity.uscc == check["code"]))
    if entity is None:
        raise NotFound(
            f"平台上没有统一社会信用代码为 {check['code']} 的主体。请核对代码，或改用名称查询。",
            code="ENTITY_NOT_FOUND",
        )
    return entity


def _prefix(column: Any, term: str) -> Any:
    """``column`` starts with ``term``, as a range both databases answer from a B-tree index."""
    return and_(column >= term, column < term + "\U0010ffff")


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_entities(session: Session, q: str, limit: int = 10) -> dict[str, Any]:
    """Substring search on full and short names through the trigram index of each database."""
    term = "".join(q.split())
    if not term:
        raise DomainError("请输入要查询的主体名称或简称。", code="VALIDATION_ERROR")
    if len(term) < 3:
        # Trigram indexes need three characters; shorter input matches the start of a name or short name.
        ids_query = select(Entity.id).where(or_(_prefix(Entity.name, term), _prefix(Entity.short_name, term)))
    elif session.get_bind().dialect.name == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'
        ids_query = (
            select(text("rowid AS id"))
            .select_from(text("entity_search"))
            .where(text("entity_search MATCH :phrase").bindparams(phrase=phrase))
        )
    else:
        pattern = f"%{_escape_like(term)}%"
        ids_query = select(Entity.id).where(
            or_(Entity.name.like(pattern, escape="\\"), Entity.short_name.like(pattern, escape="\\"))
        )
    capped = ids_query.limit(SEARCH_TOTAL_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0
    # Fetch a few more than asked, then rank exact and shorter names first.
    ids = [row[0] for row in session.execute(ids_query.limit(max(limit * 5, 50)))]
    entities = list(session.scalars(select(Entity).where(Entity.id.in_(ids)))) if ids else []
    entities.sort(key=lambda e: (term not in (e.short_name, e.name), len(e.name), e.name))
    grades = _latest_grades(session, [e.id for e in entities[:limit]])
    items = [
        {
            "uscc": e.uscc,
            "name": e.name,
            "short_name": e.short_name,
            "region_name": JILIN_REGIONS.get(e.region_code),
            "status": e.status,
            "grade": grades.get(e.id),
        }
        for e in entities[:limit]
    ]
    return {"items": items, "total": min(total, SEARCH_TOTAL_CAP), "total_capped": total > SEARCH_TOTAL_CAP}


def _latest_grades(session: Session, entity_ids: list[int]) -> dict[int, str]:
    if not entity_ids:
        return {}
    rows = session.execute(
        select(Evaluation.entity_id, Evaluation.grade)
        .where(Evaluation.entity_id.in_(entity_ids))
        .order_by(Evaluation.entity_id, Evaluation.evaluated_on, Evaluation.id)
    )
    return {entity_id: grade for entity_id, grade in rows}  # later rows win: the newest per entity


def latest_evaluation(session: Session, entity: Entity) -> Evaluation | None:
    return session.scalar(
        select(Evaluation)
        .where(Evaluation.entity_id == entity.id)
        .order_by(Evaluation.evaluated_on.desc(), Evaluation.id.desc())
        .limit(1)
    )


def open_repair_record_ids(session: Session, record_ids: list[int]) -> set[int]:
    if not record_ids:
        return set()
    rows = session.scalars(
        select(RepairApplication.record_id).where(
            RepairApplication.record_id.in_(record_ids), RepairApplication.status.in_(REPAIR.open_states)
        )
    )
    return set(rows)


def record_view(record: CreditRecord, under_repair: bool = False) -> dict[str, Any]:
    return {
        "id": record.id,
        "category": record.category,
        "title": record.title,
        "document_no": record.document_no,
        "authority": record.authority,
        "decision_date": record.decision_date,
        "severity": record.severity,
        "content": record.content,
        "publicity_end": record.publicity_end,
        "status": record.status,
        "status_label": record.status_label,
        "under_objection": record.under_objection,
        "under_repair": under_repair,
        "obligations_fulfilled": record.obligations_fulfilled,
    }


def entity_records(
    session: Session, entity: Entity, category: str | None = None, active_only: bool = False
) -> list[CreditRecord]:
    query = select(CreditRecord).where(CreditRecord.entity_id == entity.id)
    if category:
        canonical = load_policy().resolve_category(category) or category
        if canonical not in CATEGORIES:
            raise DomainError(f"没有“{category}”这一类信用记录。可选：{'、'.join(CATEGORIES)}", code="VALIDATION_ERROR")
        query = query.where(CreditRecord.category == canonical)
    if active_only:
        query = query.where(CreditRecord.status == "active")
    return list(session.scalars(query.order_by(CreditRecord.decision_date.desc(), CreditRecord.id.desc())))


def grade_view(grade: str, evaluated_on: date | None = None) -> dict[str, Any]:
    info = load_policy().evaluation.grades[grade]  # type: ignore[index]
    return {
        "grade": grade,
        "label": info.label,
        "supervision_class": info.supervision_class,
        "inspection": info.inspection,
        "evaluated_on": evaluated_on,
    }


def profile(session: Session, entity: Entity, *, unmasked: bool) -> dict[str, Any]:
    """The public profile: what a 信用中国 page shows for the entity, in one response."""
    policy = load_policy()
    records = entity_records(session, entity)
    repairing = open_repair_record_ids(session, [r.id for r in records])
    counts: dict[str, int] = defaultdict(int)
    latest: dict[str, list[dict[str, Any]]] = defaultdict(list)
    lists = []
    for r in records:  # newest first
        counts[r.category] += 1
        if len(latest[r.category]) < 3:
            latest[r.category].append(record_view(r, r.id in repairing))
        if r.category in LIST_CATEGORIES and r.status == "active" and r.punishment_lifted_at is None:
            consequence = policy.consequences.get(r.category)
            lists.append(
                {
                    "list_type": r.category,
                    "since": r.decision_date,
                    "until": r.publicity_end,
                    "record_id": r.id,
                    "consequences": list(consequence.measures) if consequence else [],
                }
            )
    evaluation = latest_evaluation(session, entity)
    phone = entity.contact_phone if unmasked else mask_phone(entity.contact_phone)
    return {
        "uscc": entity.uscc,
        "name": entity.name,
        "short_name": entity.short_name,
        "entity_type": entity.entity_type,
        "region_code": entity.region_code,
        "region_name": JILIN_REGIONS.get(entity.region_code),
        "legal_representative": entity.legal_representative,  # public on 信用中国 as well
        "legal_rep_id_number": entity.legal_rep_id_number if unmasked else mask_id_number(entity.legal_rep_id_number),
        "registered_contact": phone,
        "address": entity.address,
        "status": entity.status,
        "established_on": entity.established_on,
        "evaluation": grade_view(evaluation.grade, evaluation.evaluated_on) if evaluation else None,
        "lists": lists,
        "record_counts": {c: counts[c] for c in CATEGORIES if counts[c]},
        "latest_records": dict(latest),
        "under_objection": [record_view(r, r.id in repairing) for r in records if r.under_objection],
        "under_repair": [record_view(r, True) for r in records if r.id in repairing],
        "voluntary_info": _verified_registrations(session, entity),
    }


def _verified_registrations(session: Session, entity: Entity) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Registration)
        .where(Registration.entity_id == entity.id, Registration.status == "verified")
        .order_by(Registration.verified_on.desc())
    )
    return [
        {"application_no": r.application_no, "category": r.category, "fields": r.fields, "verified_on": r.verified_on}
        for r in rows
    ]
