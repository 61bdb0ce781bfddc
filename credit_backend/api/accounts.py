"""Console accounts, managed by admins (issue 11)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from credit_backend.api.deps import AdminCaller, DbSession
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.responses import AccountList, AccountView
from credit_backend.schemas import ACCOUNT_NAME_PATTERN, AccountIn, PasswordIn
from credit_backend.services import accounts

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"], responses=error_responses(*COMMON_ERRORS, 403))
AccountName = Annotated[str, Path(pattern=ACCOUNT_NAME_PATTERN, description="the account name, e.g. counter01")]


@router.get("", response_model=AccountList)
def list_accounts(session: DbSession, _: AdminCaller) -> dict[str, Any]:
    """Every account, active ones first."""
    return {"items": [accounts.account_view(a) for a in accounts.list_accounts(session)]}


@router.post("", status_code=201, response_model=AccountView, responses=error_responses(409, 413))
def create_account(session: DbSession, who: AdminCaller, body: AccountIn) -> dict[str, Any]:
    """A new account (password at least 10 characters, not containing the name). A taken name: 409 ACCOUNT_EXISTS."""
    account = accounts.create_account(
        session,
        name=body.name,
        display_name=body.display_name,
        role=body.role,
        department=body.department,
        password=body.password,
        by_role=who.role,
        by_actor=who.actor,
    )
    return accounts.account_view(account)


@router.post("/{name}/disable", response_model=AccountView, responses=error_responses(404, 409))
def disable_account(session: DbSession, who: AdminCaller, name: AccountName) -> dict[str, Any]:
    """Disable the account: it can no longer log in and its open sessions end at once. Not one's own (409)."""
    return accounts.account_view(accounts.disable_account(session, name, by_role=who.role, by_actor=who.actor))


@router.post("/{name}/enable", response_model=AccountView, responses=error_responses(404))
def enable_account(session: DbSession, who: AdminCaller, name: AccountName) -> dict[str, Any]:
    """Enable a disabled account again (its lock and wrong-password count are cleared)."""
    return accounts.account_view(accounts.enable_account(session, name, by_role=who.role, by_actor=who.actor))


@router.post("/{name}/password", response_model=AccountView, responses=error_responses(404, 413))
def reset_password(session: DbSession, who: AdminCaller, name: AccountName, body: PasswordIn) -> dict[str, Any]:
    """Set a new password: the lock is cleared and the account's open sessions end."""
    return accounts.account_view(
        accounts.set_password(session, name, body.password, by_role=who.role, by_actor=who.actor)
    )
