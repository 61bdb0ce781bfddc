"""Identity binding: a one-time code to the registered contact proves a sender represents an entity; at the
counter, a staff member's in-person check of the representative's documents does (issue 11)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import DomainError, Forbidden, invalid_field
from credit_backend.models import Binding, BindingChallenge, Entity
from credit_backend.policy.loader import load_policy
from credit_backend.rules.identity_check import DOCUMENT_TYPES, contradicts_legal_rep, normalise_last4
from credit_backend.rules.masking import mask_phone
from credit_backend.schemas import BindingInPerson
from credit_backend.services import otp_limits
from credit_backend.services.common import audit, notify
from credit_backend.services.entities import get_entity
from credit_backend.services.staff_viewer import staff_account
from credit_backend.settings import get_settings

# Before a code is sent: every limit (a sender or entity under a guessing attack gets no new codes either).
START_LIMITS = ("codes_per_hour_entity", "codes_per_hour_sender", "wrong_per_day_entity", "wrong_per_day_sender")
# Before a code is checked: the failure limits (no more guesses, right or wrong, once they are reached).
VERIFY_LIMITS = ("wrong_per_day_entity", "wrong_per_day_sender")

# Six digits have little entropy, so the hash is not what protects them (the 5-try lock, the per-entity
# and per-sender limits of otp_limits and the 10-minute expiry are); argon2 keeps a leaked table from handing out live codes directly.
# Light parameters: a code is hashed once and checked at most five times.
_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def deliver_code(session: Session, entity: Entity, code: str, minutes: int) -> None:
    """The default driver: the outbox, addressed to the registered phone (an SMS gateway reads it)."""
    notify(
        session,
        entity.contact_phone,
        "otp",
        f"【信用中国（吉林市）】您正在绑定{entity.name}的身份，验证码 {code}，{minutes}分钟内有效。如非本人操作请忽略。",
        channel="sms",
        uscc=entity.uscc,
        code=code,
    )


def start(session: Session, sender_id: str, raw_uscc: str, role: str) -> dict[str, Any]:
    rules = load_policy().identity_binding
    entity = get_entity(session, raw_uscc)
    otp_limits.serialize(session)
    otp_limits.enforce(session, entity, sender_id, role, START_LIMITS)
    now = clock.now()
    locked = session.scalar(
        select(BindingChallenge).where(
            BindingChallenge.sender_id == sender_id,
            BindingChallenge.entity_id == entity.id,
            BindingChallenge.locked.is_(True),
            BindingChallenge.created_at > now - timedelta(minutes=rules.lockout_minutes),
        )
    )
    if locked is not None:
        raise DomainError(
            f"验证码错误次数过多，已锁定。请{rules.lockout_minutes}分钟后再试，或联系工作人员。",
            code="OTP_LOCKED",
            status=423,
        )
    # A new code replaces any earlier one that is still pending, but keeps its wrong attempts:
    # otherwise asking for a fresh code every four guesses would dodge the lock.
    earlier_failures = session.scalar(
        select(func.coalesce(func.max(BindingChallenge.failed_attempts), 0)).where(
            BindingChallenge.sender_id == sender_id,
            BindingChallenge.entity_id == entity.id,
            BindingChallenge.locked.is_(False),
            BindingChallenge.consumed_at.is_(None),
            BindingChallenge.created_at > now - timedelta(minutes=rules.lockout_minutes),
        )
    )
    session.execute(
        delete(BindingChallenge).where(
            BindingChallenge.sender_id == sender_id,
            BindingChallenge.entity_id == entity.id,
            BindingChallenge.locked.is_(False),
        )
    )
    code = f"{secrets.randbelow(10**rules.otp_digits):0{rules.otp_digits}d}"
    challenge = BindingChallenge(
        sender_id=sender_id,
        entity_id=entity.id,
        code_hash=_HASHER.hash(code),
        expires_at=now + timedelta(minutes=rules.otp_ttl_minutes),
        failed_attempts=earlier_failures or 0,
    )
    session.add(challenge)
    deliver_code(session, entity, code, rules.otp_ttl_minutes)
    audit(session, role, sender_id, "binding_start", entity.uscc)
    session.commit()
    return {
        "challenge_id": challenge.id,
        "uscc": entity.uscc,
        "name": entity.name,
        "masked_contact": mask_phone(entity.contact_phone),
        "expires_at": challenge.expires_at,
    }


def verify(session: Session, sender_id: str, raw_uscc: str, code: str, role: str) -> dict[str, Any]:
    rules = load_policy().identity_binding
    entity = get_entity(session, raw_uscc)
    otp_limits.serialize(session)
    otp_limits.enforce(session, entity, sender_id, role, VERIFY_LIMITS)
    challenge = session.scalar(
        select(BindingChallenge)
        .where(
            BindingChallenge.sender_id == sender_id,
            BindingChallenge.entity_id == entity.id,
            BindingChallenge.consumed_at.is_(None),
        )
        .order_by(BindingChallenge.id.desc())
        .limit(1)
    )
    if challenge is None:
        raise DomainError("请先获取验证码：发送统一社会信用代码开始身份认证。", code="OTP_INVALID", attempts_left=0)
    if challenge.locked:
        raise DomainError("验证码错误次数过多，已锁定。请稍后重新获取验证码。", code="OTP_LOCKED", status=423)
    now = clock.now()
    if challenge.expires_at < now:
        raise DomainError(
            f"验证码已过期（有效期{rules.otp_ttl_minutes}分钟）。请重新获取验证码。", code="OTP_EXPIRED", status=410
        )
    try:
        _HASHER.verify(challenge.code_hash, code)
    except VerificationError:
        challenge.failed_attempts += 1
        left = rules.max_wrong_attempts - challenge.failed_attempts
        audit(session, role, sender_id, "binding_wrong_code", entity.uscc, attempts_left=left)
        if left <= 0:
            challenge.locked = True
            session.commit()
            raise DomainError(
                f"验证码错误次数已达{rules.max_wrong_attempts}次，已锁定{rules.lockout_minutes}分钟。",
                code="OTP_LOCKED",
                status=423,
            ) from None
        session.commit()
        raise DomainError(f"验证码不正确，还可以再试{left}次。", code="OTP_INVALID", attempts_left=left) from None
    challenge.consumed_at = now
    until = now + timedelta(days=rules.binding_days)
    binding = session.scalar(select(Binding).where(Binding.sender_id == sender_id, Binding.entity_id == entity.id))
    if binding is None:
        session.add(Binding(sender_id=sender_id, entity_id=entity.id, bound_until=until, method="otp"))
    else:
        binding.bound_until, binding.method, binding.identity_check = until, "otp", None
    audit(session, role, sender_id, "binding_verified", entity.uscc)
    session.commit()
    return {
        "sender_id": sender_id,
        "uscc": entity.uscc,
        "name": entity.name,
        "bound_until": until,
        "method": "otp",
        "identity_check": None,
    }


NOT_AT_COUNTER = "现场身份核验只能由已登录柜台工作台、账号在用的工作人员进行。"


def in_person_hours() -> int:
    """How long an in-person check binds the staff sender (CREDIT_IN_PERSON_BINDING_HOURS, default 2)."""
    return get_settings().in_person_binding_hours


def in_person(session: Session, body: BindingInPerson, role: str) -> dict[str, Any]:
    """A staff member at the counter checked the representative's identity document (and letter of
    authorisation) in person: bind the staff sender to the entity for a few hours, recording the check."""
    account = staff_account(session, body.sender_id)
    if account is None:
        raise Forbidden(NOT_AT_COUNTER, code="FORBIDDEN")
    entity = get_entity(session, body.uscc)
    if body.document_type not in DOCUMENT_TYPES:
        raise invalid_field("document_type", f"证件类型应为：{'、'.join(DOCUMENT_TYPES)}。")
    last4 = normalise_last4(body.id_last4)
    if last4 is None:
        raise invalid_field("id_last4", "证件号码后四位应为4个字符，只能是数字或字母X。")
    if contradicts_legal_rep(body.document_type, last4, entity.legal_rep_id_number, body.authorization_letter):
        audit(session, role, body.sender_id, "binding_in_person_refused", entity.uscc, document_type=body.document_type)
        session.commit()
        raise DomainError(
            f"证件号码后四位与「{entity.name}」登记的法定代表人身份证号码不一致。未持授权委托书时只能由法定代表人本人办理；"
            "如为经办人代办，请核验其授权委托书。",
            code="IDENTITY_MISMATCH",
        )
    now = clock.now()
    check = {
        "method": "in_person",
        "document_type": body.document_type,
        "id_last4": last4,
        "authorization_letter": body.authorization_letter,
        "staff_account": account.name,
        "staff_name": account.display_name,
        "checked_at": now.isoformat(),
    }
    until = now + timedelta(hours=in_person_hours())
    binding = session.scalar(select(Binding).where(Binding.sender_id == body.sender_id, Binding.entity_id == entity.id))
    if binding is None:
        session.add(
            Binding(
                sender_id=body.sender_id,
                entity_id=entity.id,
                bound_until=until,
                method="in_person",
                identity_check=check,
            )
        )
    else:
        binding.bound_until, binding.method, binding.identity_check = until, "in_person", check
    audit(session, role, body.sender_id, "binding_in_person", entity.uscc, **check)
    session.commit()
    return {
        "sender_id": body.sender_id,
        "uscc": entity.uscc,
        "name": entity.name,
        "bound_until": until,
        "method": "in_person",
        "identity_check": check,
    }


def identity_check_for(session: Session, sender_id: str, entity: Entity) -> dict[str, Any] | None:
    """The in-person check behind the sender's active binding to the entity (copied into the applications the
    sender files and their audit entries); None when the sender proved it by one-time code or is not bound."""
    binding = session.scalar(select(Binding).where(Binding.sender_id == sender_id, Binding.entity_id == entity.id))
    if binding is None or binding.method != "in_person" or binding.bound_until < clock.now():
        return None
    return dict(binding.identity_check or {}) or None


def binding_view(binding: Binding) -> dict[str, Any]:
    return {
        "sender_id": binding.sender_id,
        "uscc": binding.entity.uscc,
        "name": binding.entity.name,
        "bound_until": binding.bound_until,
        "method": binding.method,
        "identity_check": binding.identity_check,
    }


def active_bindings(session: Session, sender_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Binding)
        .where(Binding.sender_id == sender_id, Binding.bound_until > clock.now())
        .order_by(Binding.bound_until.desc())
    )
    return [binding_view(b) for b in rows]


def entity_bindings(
    session: Session, raw_uscc: str, sender_id: str | None, role: str, actor: str
) -> list[dict[str, Any]]:
    """Every active binding of an entity, newest expiry first (staff: the console's entity panel). Sender ids are
    personal data (a Telegram user id, a WeChat openid), so the view is audited ``view_personal_data``."""
    entity = get_entity(session, raw_uscc)
    query = select(Binding).where(Binding.entity_id == entity.id, Binding.bound_until > clock.now())
    if sender_id is not None:
        query = query.where(Binding.sender_id == sender_id)
    rows = [binding_view(b) for b in session.scalars(query.order_by(Binding.bound_until.desc()))]
    audit(session, role, actor, "view_personal_data", entity.uscc, view="bindings", count=len(rows))
    session.commit()
    return rows


def unbind(session: Session, sender_id: str, raw_uscc: str, role: str) -> None:
    entity = get_entity(session, raw_uscc)
    session.execute(delete(Binding).where(Binding.sender_id == sender_id, Binding.entity_id == entity.id))
    audit(session, role, sender_id, "unbind", entity.uscc)
    session.commit()


def require_binding(session: Session, sender_id: str, entity: Entity) -> None:
    binding = session.scalar(select(Binding).where(Binding.sender_id == sender_id, Binding.entity_id == entity.id))
    if binding is None or binding.bound_until < clock.now():
        raise Forbidden(
            f"代表{entity.name}办理业务前，需要先完成身份认证（向该主体登记的联系电话发送验证码）。",
            code="BINDING_REQUIRED",
            uscc=entity.uscc,
        )
