"""The entity panel's data: profile, records with publicity windows, repair eligibility, applications, bindings.

All from the backend as the logged-in staff account; ``viewer=staff:<account>`` makes the backend audit the
view of personal data (view_personal_data) — the backend decides what is unmasked.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bot.console.backend import Backend, BackendUnavailable, ConsoleBackendError
from credit_backend.rules.uscc import USCC_PATTERN, find_usccs, validate_uscc

SEARCH_LIMIT = 10


def find_uscc(said: str, *answers: str) -> str | None:
    """The 统一社会信用代码 a counter exchange is about: the first valid code the staff member typed, else the
    last valid code in the assistant's answers. Codes that fail the check character are skipped, so an 18-digit
    ID number in an unmasked answer is never taken for the entity."""

    def valid(text: str) -> list[str]:
        return [code for code in find_usccs(text or "") if validate_uscc(code).ok]

    typed = valid(said)
    if typed:
        return typed[0]
    named = [code for answer in answers for code in valid(answer)]
    return named[-1] if named else None


def normalize_query(text: str) -> str:
    """Trim, drop inner spaces/hyphens of a code-like query, full-width → half-width."""
    text = (text or "").strip()
    text = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)
    compact = re.sub(r"[\s-]+", "", text).upper()
    return compact if USCC_PATTERN.fullmatch(compact) else text


@dataclass
class RecordRow:
    """A record with its repair eligibility (negative records whose route is repair)."""

    record: dict[str, Any]
    eligibility: dict[str, Any] | None = None
    eligibility_error: str | None = None


@dataclass
class EntityPanel:
    """Everything the panel shows; ``errors`` name the parts the backend could not give."""

    uscc: str
    profile: dict[str, Any]
    records: list[RecordRow] = field(default_factory=list)
    applications: list[dict[str, Any]] = field(default_factory=list)
    bindings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def search(backend: Backend, query: str) -> list[dict[str, Any]]:
    """Entities whose name or code matches ``query``."""
    data = await backend.get("/api/v1/entities", q=query, limit=SEARCH_LIMIT)
    return list((data or {}).get("items") or [])


async def _part(coro: Any, what: str, errors: list[str]) -> Any:
    try:
        return await coro
    except ConsoleBackendError as exc:
        if exc.session_ended:
            raise
        errors.append(f"{what}：{exc.message}")
    except BackendUnavailable:
        errors.append(f"{what}：后台服务暂时无法访问。")
    return None


async def _bindings(backend: Backend, uscc: str) -> list[dict[str, Any]]:
    data = await backend.get("/api/v1/bindings", uscc=uscc)
    return list((data or {}).get("items") or [])


def needs_eligibility(record: dict[str, Any]) -> bool:
    """Negative records whose route is 信用修复 get their repair eligibility."""
    return record.get("polarity") == "negative" and bool(record.get("repair_applies", True))


async def load(backend: Backend, uscc: str, account: str) -> EntityPanel:
    """The panel for ``uscc`` (a 404 from the profile propagates: no such entity)."""
    viewer = f"staff:{account}"
    errors: list[str] = []
    profile = await backend.get(f"/api/v1/entities/{quote(uscc, safe='')}", viewer=viewer)
    code = str(profile.get("uscc") or uscc)
    records, applications, bindings = await asyncio.gather(
        _part(backend.get(f"/api/v1/entities/{quote(code, safe='')}/records", viewer=viewer), "信用记录", errors),
        _part(backend.get("/api/v1/applications", uscc=code), "申请", errors),
        _part(_bindings(backend, code), "绑定", errors),
    )
    rows = [RecordRow(r) for r in (records or {}).get("items") or []]
    checks = [row for row in rows if needs_eligibility(row.record)]
    results = await asyncio.gather(
        *(backend.get(f"/api/v1/records/{int(row.record['id'])}/repair-eligibility") for row in checks),
        return_exceptions=True,
    )
    for row, result in zip(checks, results, strict=True):
        if isinstance(result, ConsoleBackendError):
            row.eligibility_error = result.message
        elif isinstance(result, BaseException):
            row.eligibility_error = "暂时无法判断可否修复。"
        else:
            row.eligibility = result
    return EntityPanel(
        uscc=code,
        profile=profile,
        records=rows,
        applications=list((applications or {}).get("items") or []),
        bindings=bindings or [],
        errors=errors,
    )
