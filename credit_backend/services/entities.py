"""Entity lookup, name search and the public profile."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, text
from sqlalchemy.orm import Session

from credit_backend.errors import DomainError, NotFound
from credit_backend.models import CreditRecord, Entity, Evaluation, Registration
from credit_backend.policy.loader import Policy, load_policy
from credit_backend.rules.masking import mask_id_number, mask_phone
from credit_backend.rules.org_names import (
    CITY_CODE,
    PREFIX_REGION,
    name_variants,
    names_match,
    one_char_patterns,
    split_region,
)
from credit_backend.rules.uscc import JILIN_REGIONS, one_char_corrections, validate_uscc
from credit_backend.rules.vocabulary import CATEGORY_NAMES, LIST_CATEGORIES
from credit_backend.services.records import UNDER_REPAIR, record_view

SEARCH_TOTAL_CAP = 1000  # counting every match of a common fragment like 有限公司 is not worth a scan


# Built once rather than per request: constructing and cache-keying a statement costs about as much
# as SQLite takes to answer it.
_ENTITY_BY_CODE = select(Entity).where(Entity.uscc == bindparam("uscc"))
_LATEST_EVALUATION = (
    select(Evaluation)
    .where(Evaluation.entity_id == bindparam("entity_id"))
    .order_by(Evaluation.evaluated_on.desc(), Evaluation.id.desc())
    .limit(1)
)
_VERIFIED_REGISTRATIONS = (
    select(Registration)
    .where(Registration.entity_id == bindparam("entity_id"), Registration.status == "verified")
    .order_by(Registration.verified_on.desc())
)
_ENTITY_RECORDS = (
    select(CreditRecord, UNDER_REPAIR)
    .where(CreditRecord.entity_id == bindparam("entity_id"))
    .order_by(CreditRecord.decision_date.desc(), CreditRecord.id.desc())
)


def _find_entity(session: Session, code: str) -> Entity | None:
    return session.scalar(_ENTITY_BY_CODE, {"uscc": code})


def _suggestions(session: Session, code: str) -> list[dict[str, str]]:
    """Existing entities one character away from a code that fails its check digit."""
    candidates = one_char_corrections(code)
    if not candidates:
        return []
    rows = session.execute(select(Entity.uscc, Entity.name).where(Entity.uscc.in_(candidates)))
    return [{"uscc": u, "name": n} for u, n in rows]


def check_code(session: Session, raw: str) -> dict[str, Any]:
    """Validate a code and, when it fails the check digit, offer entities one character away."""
    result = validate_uscc(raw)
    suggestions: list[dict[str, str]] = []
    entity = None
    if result.ok:
        found = _find_entity(session, result.code)
        entity = {"uscc": found.uscc, "name": found.name} if found else None
    else:
        suggestions = _suggestions(session, result.code)
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
    result = validate_uscc(raw)
    if not result.ok:
        errors = [p.__dict__ for p in result.errors]
        suggestions = _suggestions(session, result.code)
        message = errors[0]["message"]
        if suggestions:
            names = "、".join(f"{s['name']}（{s['uscc']}）" for s in suggestions)
            message += f"。您要找的是否是：{names}？"
        raise DomainError(message, code="USCC_INVALID", problems=errors, suggestions=suggestions)
    entity = _find_entity(session, result.code)
    if entity is None:
        raise NotFound(
            f"平台上没有统一社会信用代码为 {result.code} 的主体。请核对代码，或改用名称查询。",
            code="ENTITY_NOT_FOUND",
        )
    return entity


def _starts_with(column: Any) -> Any:
    """``column`` starts with the term, as a range (:lo, :hi) both databases answer from a B-tree index."""
    return and_(column >= bindparam("lo"), column < bindparam("hi"))


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Ids of matching entities, one more than the count reports. Prefix ranges serve input shorter than
# three characters on both databases; longer input goes to SQLite's FTS5 trigram table or to
# PostgreSQL's pg_trgm indexes.
_IDS_BY_PREFIX = (
    select(Entity.id).where(or_(_starts_with(Entity.name), _starts_with(Entity.short_name))).limit(SEARCH_TOTAL_CAP + 1)
)
_IDS_BY_FTS = (
    select(text("rowid AS id"))
    .select_from(text("entity_search"))
    .where(text("entity_search MATCH :phrase"))
    .limit(SEARCH_TOTAL_CAP + 1)
)
_LIKE_PATTERN = bindparam("pattern")
_IDS_BY_LIKE = (
    select(Entity.id)
    .where(or_(Entity.name.like(_LIKE_PATTERN, escape="\\"), Entity.short_name.like(_LIKE_PATTERN, escape="\\")))
    .limit(SEARCH_TOTAL_CAP + 1)
)
# Exact names (the term under every form of its region prefix) and exact short names: B-tree lookups.
_IDS_BY_EXACT = select(Entity.id).where(
    or_(Entity.name.in_(bindparam("names", expanding=True)), Entity.short_name == bindparam("term"))
)
_SEARCH_ROWS = select(Entity.id, Entity.uscc, Entity.name, Entity.short_name, Entity.region_code, Entity.status).where(
    Entity.id.in_(bindparam("ids", expanding=True))
)
_GRADES = (
    select(Evaluation.entity_id, Evaluation.grade)
    .where(Evaluation.entity_id.in_(bindparam("ids", expanding=True)))
    .order_by(Evaluation.entity_id, Evaluation.evaluated_on, Evaluation.id)
)
# Best first: the exact name or short name, the name under another form of its region prefix, a name holding
# the term, a name one character away.
_MATCH_RANK = {"exact": 0, "region": 1, "contains": 2, "one_char": 3}
_LIKE_META = ("%", "_", "\\")


def _ids_containing(session: Session, term: str) -> list[int]:
    """Ids of names or short names holding ``term`` (capped), through each database's trigram index."""
    if len(term) < 3:
        # Trigram indexes need three characters; shorter input matches the start of a name or short name.
        ids_query, params = _IDS_BY_PREFIX, {"lo": term, "hi": term + "\U0010ffff"}
    elif session.get_bind().dialect.name == "sqlite":
        ids_query, params = _IDS_BY_FTS, {"phrase": '"' + term.replace('"', '""') + '"'}
    else:
        ids_query, params = _IDS_BY_LIKE, {"pattern": f"%{_escape_like(term)}%"}
    return list(session.scalars(ids_query, params))


def _ids_one_char_away(session: Session, term: str) -> list[int]:
    """Candidates for a name, a name without its region prefix or a short name with one wrong character: LIKE
    patterns with ``_`` at each position, which both trigram indexes answer (FTS5's trigram tokenizer serves LIKE
    on its columns; pg_trgm serves LIKE). Callers keep only the candidates really one character away."""
    if len(term) < 4 or any(c in term for c in _LIKE_META):
        return []
    patterns = one_char_patterns(term)
    if not patterns:
        return []
    if session.get_bind().dialect.name == "sqlite":
        # One indexed LIKE per statement: FTS5 plans an OR of LIKEs as a full scan.
        found: dict[int, None] = {}
        for pattern in patterns:
            for column, like in (("name", f"%{pattern}"), ("short_name", pattern)):
                sql = f"SELECT rowid FROM entity_search WHERE {column} LIKE :p LIMIT {SEARCH_TOTAL_CAP + 1}"
                found.update(dict.fromkeys(session.scalars(text(sql), {"p": like})))
        return list(found)
    conditions = [Entity.name.like(f"%{p}") for p in patterns] + [Entity.short_name.like(p) for p in patterns]
    return list(session.scalars(select(Entity.id).where(or_(*conditions)).limit(SEARCH_TOTAL_CAP + 1)))


def _matching_ids(session: Session, term: str) -> tuple[list[int], bool]:
    """Ids of the entities ``term`` names, exact matches first, and whether they are only candidates of the
    one-character search (which runs only when the exact and substring searches find nothing)."""
    ids = dict.fromkeys(session.scalars(_IDS_BY_EXACT, {"names": name_variants(term), "term": term}))
    ids.update(dict.fromkeys(_ids_containing(session, term)))
    prefix, rest = split_region(term)
    if not ids and prefix is not None and PREFIX_REGION[prefix] == CITY_CODE:
        ids.update(dict.fromkeys(_ids_containing(session, rest)))  # 吉林市老王烧烤店 for 船营区老王烧烤店
    if ids:
        return list(ids), False
    return _ids_one_char_away(session, term), True


def search_entities(session: Session, q: str, limit: int = 10) -> dict[str, Any]:
    """Entities by full name (with, without or with another form of its region prefix), short name, part of
    either, or a name with one wrong character; the exact name or short name first."""
    term = "".join(unicodedata.normalize("NFKC", q).split())
    if not term:
        raise DomainError("请输入要查询的主体名称或简称。", code="VALIDATION_ERROR")
    # One capped fetch gives both the total and the candidates. A second query for just the first
    # few ids would let PostgreSQL's planner, which often overestimates how many names match a
    # trigram pattern, choose a sequential scan that reads the whole table when only a handful match.
    ids, candidates_only = _matching_ids(session, term)
    # Rank a few more than asked (exact matches come first in ``ids``); every candidate of the one-character
    # search, since most are not one character away.
    wanted = ids if candidates_only else ids[: max(limit * 5, 50)]
    rows = list(session.execute(_SEARCH_ROWS, {"ids": wanted})) if ids else []
    ranked = []
    for row in rows:
        # Found by the substring searches but matched by none of names_match's rules: the name without the
        # term's region prefix holds the rest of the term.
        match = names_match(term, row.name, row.short_name) or (None if candidates_only else "contains")
        if match is not None:
            ranked.append((_MATCH_RANK[match], len(row.name), row.name, row))
    total = len(ranked) if candidates_only else len(ids)
    ranked.sort(key=lambda item: item[:3])
    found = [item[3] for item in ranked[:limit]]
    grades = _latest_grades(session, [e.id for e in found])
    items = [
        {
            "uscc": e.uscc,
            "name": e.name,
            "short_name": e.short_name,
            "region_name": JILIN_REGIONS.get(e.region_code),
            "status": e.status,
            "grade": grades.get(e.id),
        }
        for e in found
    ]
    return {"items": items, "total": min(total, SEARCH_TOTAL_CAP), "total_capped": total > SEARCH_TOTAL_CAP}


def _latest_grades(session: Session, entity_ids: list[int]) -> dict[int, str]:
    if not entity_ids:
        return {}
    rows = session.execute(_GRADES, {"ids": entity_ids})
    return {entity_id: grade for entity_id, grade in rows}  # later rows win: the newest per entity


def latest_evaluation(session: Session, entity: Entity) -> Evaluation | None:
    return session.scalar(_LATEST_EVALUATION, {"entity_id": entity.id})


def entity_records(
    session: Session,
    entity: Entity,
    category: str | None = None,
    active_only: bool = False,
    *,
    include_unpublished: bool = False,
) -> list[tuple[CreditRecord, bool]]:
    """The entity's records, newest first, each with whether a repair application for it is open.

    Unpublished records (轻微 失信信息 by default, 令2025年第36号; policy.yaml ``published_by_default``)
    are left out unless ``include_unpublished`` (staff views, where each says ``published: false``).
    """
    query = _ENTITY_RECORDS
    if not include_unpublished:
        query = query.where(CreditRecord.published.is_(True))
    if category:
        canonical = load_policy().resolve_category(category) or category
        if canonical not in CATEGORY_NAMES:
            raise DomainError(
                f"没有“{category}”这一类信用记录。可选：{'、'.join(CATEGORY_NAMES)}", code="VALIDATION_ERROR"
            )
        query = query.where(CreditRecord.category == canonical)
    if active_only:
        query = query.where(CreditRecord.status == "active")
    rows = session.execute(query, {"entity_id": entity.id})
    return [(record, bool(under_repair)) for record, under_repair in rows]


def grade_view(grade: str, evaluated_on: date | None = None, *, policy: Policy | None = None) -> dict[str, Any]:
    info = (policy or load_policy()).evaluation.grades[grade]  # type: ignore[index]
    return {
        "grade": grade,
        "label": info.label,
        "supervision_class": info.supervision_class,
        "inspection": info.inspection,
        "evaluated_on": evaluated_on,
    }


def profile(session: Session, entity: Entity, *, unmasked: bool) -> dict[str, Any]:
    """The public profile: what a 信用中国 page shows for the entity, in one response. Staff
    (``unmasked``) also see unpublished records, marked ``published: false``; they put no one on a list."""
    policy = load_policy()
    records = entity_records(session, entity, include_unpublished=unmasked)
    counts: dict[str, int] = defaultdict(int)
    latest: dict[str, list[dict[str, Any]]] = defaultdict(list)
    lists = []
    for r, under_repair in records:  # newest first
        counts[r.category] += 1
        if len(latest[r.category]) < 3:
            latest[r.category].append(record_view(r, under_repair, policy=policy))
        if r.category in LIST_CATEGORIES and r.status == "active" and r.punishment_lifted_at is None and r.published:
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
        "evaluation": grade_view(evaluation.grade, evaluation.evaluated_on, policy=policy) if evaluation else None,
        "lists": lists,
        "record_counts": {c: counts[c] for c in CATEGORY_NAMES if counts[c]},
        "latest_records": dict(latest),
        "under_objection": [
            record_view(r, under_repair, policy=policy) for r, under_repair in records if r.under_objection
        ],
        "under_repair": [record_view(r, True, policy=policy) for r, under_repair in records if under_repair],
        "voluntary_info": _verified_registrations(session, entity, policy),
    }


def _verified_registrations(session: Session, entity: Entity, policy: Policy) -> list[dict[str, Any]]:
    """自愿注册 information staff have verified (seed item 5: 经验证的自愿注册信息 … 生成信用报告的重要依据);
    submitted and rejected registrations never show. Fields in the policy's order, with its labels."""
    rows = session.scalars(_VERIFIED_REGISTRATIONS, {"entity_id": entity.id})
    categories = policy.voluntary_registration.categories
    out = []
    for r in rows:
        spec = categories.get(r.category)
        order = [f.key for f in spec.fields] if spec else []
        labels = {f.key: f.label for f in spec.fields} if spec else {}
        keys = [k for k in order if r.fields.get(k)] + [k for k in r.fields if k not in order and r.fields[k]]
        out.append(
            {
                "application_no": r.application_no,
                "category": r.category,
                "fields": [{"label": labels.get(k, k), "value": str(r.fields[k])} for k in keys],
                "verified_on": r.verified_on,
            }
        )
    return out
