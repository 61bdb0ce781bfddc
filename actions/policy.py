"""Read the policy in force (GET /api/v1/policy) with a short in-process cache."""

from __future__ import annotations

import re
import time
from typing import Any

from actions.backend import get_client

CACHE_SECONDS = 300.0
_cache: dict[str, Any] = {"at": 0.0, "data": None}


def load_policy() -> dict[str, Any]:
    """The policy document; raises BackendUnavailable/BackendError like any call."""
    now = time.monotonic()
    if _cache["data"] is None or now - _cache["at"] > CACHE_SECONDS:
        _cache["data"] = get_client().policy()
        _cache["at"] = now
    return _cache["data"]


def clear_cache() -> None:
    """Forget the cached policy (tests)."""
    _cache["data"] = None


def _named(collection: Any, key_field: str = "name") -> dict[str, dict[str, Any]]:
    """Accept both {name: {...}} and [{name: ..., ...}] layouts."""
    if isinstance(collection, dict):
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in collection.items()}
    result: dict[str, dict[str, Any]] = {}
    for item in collection or []:
        if isinstance(item, dict):
            name = item.get(key_field) or item.get("name") or item.get("type") or item.get("category")
            if name:
                result[str(name)] = item
    return result


def registration_categories(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Voluntary-registration categories → {description, fields: [{key, label, type, required, hint}]}."""
    section = policy.get("voluntary_registration") or {}
    return _named(section.get("categories"), "category")


def registration_fields(policy: dict[str, Any], category: str) -> list[dict[str, Any]]:
    """The fields of one voluntary-registration category."""
    return list(registration_categories(policy).get(category, {}).get("fields") or [])


def truthfulness_commitment(policy: dict[str, Any]) -> str:
    """The truthfulness commitment text of voluntary registration."""
    section = policy.get("voluntary_registration") or {}
    text = section.get("truthfulness_commitment")
    return (
        re.sub(r"\s+", "", str(text))
        if text
        else "本单位承诺所填报信息真实、准确、完整；如有虚假，愿意承担相应责任并记入信用记录。"
    )


def commitment_types(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Commitment types → {description, extra_items, items?}."""
    section = policy.get("commitments") or {}
    return _named(section.get("types"), "type")


def commitment_items(policy: dict[str, Any], commitment_type: str) -> list[str]:
    """The standard text items of one commitment type (base items + its own)."""
    section = policy.get("commitments") or {}
    info = commitment_types(policy).get(commitment_type, {})
    if info.get("items"):
        return [str(i) for i in info["items"]]
    base = [str(i) for i in section.get("base_items") or []]
    return base + [str(i) for i in info.get("extra_items") or []]


def rongque_due_days(policy: dict[str, Any]) -> int | None:
    """Default working days to supply missing materials for 容缺受理型."""
    section = (policy.get("commitments") or {}).get("rongque_materials_due") or {}
    days = section.get("working_days")
    return int(days) if days else None


REPAIR_PROMISE_FALLBACK = [
    "已纠正失信行为、消除不良影响",
    "已履行完毕法定责任和义务",
    "如承诺不实或违背承诺，愿意接受撤销信用修复决定、恢复公示及相应惩戒",
]


def repair_promise_items(policy: dict[str, Any]) -> list[str]:
    """Items of the 信用修复承诺书 (the 信用修复型 commitment text)."""
    items = commitment_items(policy, "信用修复型")
    return items or REPAIR_PROMISE_FALLBACK
