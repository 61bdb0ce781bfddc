"""Staff console accounts: create, disable, enable, reset passwords (argon2id), look up active ones."""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import Conflict, DomainError, NotFound, invalid_field
from credit_backend.models import ConsoleSession, StaffAccount
from credit_backend.models.staff import STAFF_ROLES
from credit_backend.rules.sessions import password_problem
from credit_backend.schemas import ACCOUNT_NAME_PATTERN
from credit_backend.services.common import audit
from credit_backend.settings import get_settings

ROLE_LABELS = {"staff": "工作人员", "admin": "管理员"}


def hasher() -> PasswordHasher:
    """argon2id with the configured cost (CREDIT_CONSOLE_PASSWORD_*)."""
    s = get_settings()
    return _hasher(s.console_password_time_cost, s.console_password_memory_kib, s.console_password_parallelism)


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def check_password(account: StaffAccount, password: str) -> bool:
    """Whether the password is right; a right one with outdated hash parameters is re-hashed (caller commits)."""
    current = hasher()
    try:
        current.verify(account.password_hash, password)  # the parameters come from the stored hash
    except (VerificationError, InvalidHashError):
        return False
    if current.check_needs_rehash(account.password_hash):
        account.password_hash = current.hash(password)
    return True


@lru_cache(maxsize=4)
def _dummy_hash(current: PasswordHasher) -> str:
    return current.hash("not-the-password-of-anyone")


def burn_time(password: str) -> None:
    """Spend the time of one password check, so that an unknown name takes as long as a wrong password."""
    current = hasher()
    with contextlib.suppress(VerificationError):
        current.verify(_dummy_hash(current), password)


def active_account(session: Session, name: str) -> StaffAccount | None:
    """The active (not disabled) account with this name, if any."""
    return session.scalar(select(StaffAccount).where(StaffAccount.name == name, StaffAccount.active.is_(True)))


def find_account(session: Session, name: str) -> StaffAccount | None:
    return session.scalar(select(StaffAccount).where(StaffAccount.name == name))


def get_account(session: Session, name: str) -> StaffAccount:
    account = find_account(session, name)
    if account is None:
        raise NotFound(f"没有名为“{name}”的工作台账号。", code="ACCOUNT_NOT_FOUND")
    return account


def list_accounts(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.active.desc(), StaffAccount.name)))


def check_new_password(password: str, name: str) -> None:
    problem = password_problem(password, name)
    if problem:
        raise invalid_field("password", f"密码不符合要求：{problem}", problem)


def _check_fields(name: str, role: str, display_name: str, department: str) -> None:
    if not re.fullmatch(ACCOUNT_NAME_PATTERN, name):
        raise invalid_field(
            "name",
            "账号名须为3～50个字符，以小写字母开头，只含小写字母、数字、下划线、点或连字符。",
            "账号名格式不正确",
        )
    if role not in STAFF_ROLES:
        raise invalid_field("role", "角色只能是 staff（工作人员）或 admin（管理员）。", "角色不正确")
    if not display_name.strip():
        raise invalid_field("display_name", "请填写姓名。", "姓名不能为空")
    if not department.strip():
        raise invalid_field("department", "请填写所属部门。", "部门不能为空")


def create_account(
    session: Session,
    *,
    name: str,
    display_name: str,
    role: str,
    department: str,
    password: str,
    by_role: str,
    by_actor: str,
) -> StaffAccount:
    """A new active account; a taken name is a 409 and nothing is stored."""
    _check_fields(name, role, display_name, department)
    check_new_password(password, name)
    if find_account(session, name) is not None:
        raise Conflict(f"账号名“{name}”已被使用，请换一个。", code="ACCOUNT_EXISTS")
    account = StaffAccount(
        name=name,
        display_name=display_name.strip(),
        role=role,
        department=department.strip(),
        password_hash=hash_password(password),
        active=True,
        failed_logins=0,
    )
    session.add(account)
    audit(session, by_role, by_actor, "account_create", name, account_role=role, department=account.department)
    session.commit()
    return account


def end_sessions(session: Session, account: StaffAccount, reason: str) -> int:
    """End every live session of the account (caller commits); the number ended."""
    result = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.account_id == account.id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=clock.now(), ended_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def disable_account(session: Session, name: str, *, by_role: str, by_actor: str) -> StaffAccount:
    """Disable the account and end its sessions at once. An admin cannot disable their own account."""
    account = get_account(session, name)
    if by_actor == f"staff:{name}":
        raise DomainError("不能停用自己正在使用的账号，请由其他管理员操作。", code="CANNOT_DISABLE_SELF", status=409)
    if account.active:
        account.active = False
        account.disabled_at = clock.now()
    ended = end_sessions(session, account, "disabled")
    audit(session, by_role, by_actor, "account_disable", name, sessions_ended=ended)
    session.commit()
    return account


def enable_account(session: Session, name: str, *, by_role: str, by_actor: str) -> StaffAccount:
    account = get_account(session, name)
    if not account.active:
        account.active = True
        account.disabled_at = None
        account.failed_logins = 0
        account.locked_until = None
    audit(session, by_role, by_actor, "account_enable", name)
    session.commit()
    return account


def set_password(session: Session, name: str, password: str, *, by_role: str, by_actor: str) -> StaffAccount:
    """Set a new password, clear the lock and end the account's sessions (they were opened with the old one)."""
    account = get_account(session, name)
    check_new_password(password, name)
    account.password_hash = hash_password(password)
    account.failed_logins = 0
    account.locked_until = None
    ended = end_sessions(session, account, "password_reset")
    audit(session, by_role, by_actor, "account_password_reset", name, sessions_ended=ended)
    session.commit()
    return account


def account_view(account: StaffAccount) -> dict[str, Any]:
    """An account as the admin pages show it (never the hash)."""
    now = clock.now()
    return {
        "name": account.name,
        "display_name": account.display_name,
        "role": account.role,
        "role_label": ROLE_LABELS.get(account.role, account.role),
        "department": account.department,
        "active": account.active,
        "locked_until": account.locked_until if account.locked_until and account.locked_until > now else None,
        "created_at": account.created_at,
        "disabled_at": account.disabled_at,
    }
