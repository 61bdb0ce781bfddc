"""Demo console accounts (issue 11), created with the demo city only.

Their password is CREDIT_DEMO_STAFF_PASSWORD (default Jilin-Credit-2026): public, so demo use only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from credit_backend.models import StaffAccount
from credit_backend.services.accounts import hash_password
from credit_backend.settings import get_settings

DEFAULT_DEMO_PASSWORD = "Jilin-Credit-2026"
CREDIT_CENTRE = "吉林市发展和改革委员会（市信用中心）"


@dataclass(frozen=True)
class DemoAccount:
    name: str
    display_name: str
    role: str
    department: str
    duty: str  # what to show the account for in the demo


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("counter01", "李晓梅", "staff", CREDIT_CENTRE, "信用窗口工作人员（柜台助手、待办、人工服务）"),
    DemoAccount("admin01", "张立新", "admin", CREDIT_CENTRE, "管理员（账号、验证码发件箱、审计日志）"),
    DemoAccount("reviewer01", "王海燕", "staff", "吉林市生态环境局", "部门审核人员（本部门的异议与修复）"),
)


def seed_staff_accounts(engine: Engine, password: str | None = None) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; the ones created."""
    password = password or get_settings().demo_staff_password
    created: list[DemoAccount] = []
    with Session(engine) as session:
        existing = set(session.scalars(select(StaffAccount.name)))
        digest = hash_password(password)
        for demo in DEMO_ACCOUNTS:
            if demo.name in existing:
                continue
            session.add(
                StaffAccount(
                    name=demo.name,
                    display_name=demo.display_name,
                    role=demo.role,
                    department=demo.department,
                    password_hash=digest,
                    active=True,
                    failed_logins=0,
                )
            )
            created.append(demo)
        session.commit()
    return created
