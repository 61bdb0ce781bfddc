"""Read the policy in force (GET /api/v1/policy) with a short in-process cache."""

from __future__ import annotations

import re
import time
from typing import Any

from actions import api_types as api
from actions.backend import get_client

CACHE_SECONDS = 300.0
_cache: dict[str, Any] = {"at": 0.0, "data": None}


def load_policy() -> api.Policy:
    """The policy document; raises BackendUnavailable/BackendError like any call."""
    now = time.monotonic()
    if _cache["data"] is None or now - _cache["at"] > CACHE_SECONDS:
        _cache["data"] = get_client().policy()
        _cache["at"] = now
    return _cache["data"]  # type: ignore[no-any-return]


def clear_cache() -> None:
    """Forget the cached policy (tests)."""
    _cache["data"] = None


def registration_categories(policy: api.Policy) -> dict[str, api.RegistrationCategory]:
    """Voluntary-registration categories → {description, fields: [{key, label, type, required, hint}]}."""
    return policy["voluntary_registration"]["categories"]


def registration_fields(policy: api.Policy, category: str) -> list[api.RegistrationField]:
    """The fields of one voluntary-registration category (none for an unknown category)."""
    known = registration_categories(policy).get(category)
    return list(known["fields"]) if known else []


TRUTHFULNESS_FALLBACK = "本单位承诺所填报信息真实、准确、完整；如有虚假，愿意承担相应责任并记入信用记录。"


def truthfulness_commitment(policy: api.Policy | None) -> str:
    """The truthfulness commitment text of voluntary registration; without a policy, a fallback."""
    text = policy["voluntary_registration"]["truthfulness_commitment"] if policy else ""
    return re.sub(r"\s+", "", text) if text else TRUTHFULNESS_FALLBACK


def commitment_types(policy: api.Policy) -> dict[str, api.CommitmentType]:
    """Commitment types → {description, extra_items, source, verified}."""
    return policy["commitments"]["types"]


def commitment_items(policy: api.Policy, commitment_type: str) -> list[str]:
    """The standard text items of one commitment type, as the backend assembles them (``commitments.texts``)."""
    return list(policy["commitments"]["texts"].get(commitment_type, []))


def rongque_due_days(policy: api.Policy) -> int:
    """Default working days to supply missing materials for 容缺受理型."""
    return int(policy["commitments"]["rongque_materials_due"]["working_days"])


def rongque_due_verified(policy: api.Policy) -> bool:
    """Whether that default is checked against an official text (else answers say it is provisional)."""
    return bool(policy["commitments"]["rongque_materials_due"]["verified"])


def repair_promise_items(policy: api.Policy) -> list[str]:
    """Items of the 信用修复承诺书 (the 信用修复型 commitment text)."""
    return commitment_items(policy, "信用修复型")
