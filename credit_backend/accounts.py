"""Manage staff console accounts from the command line (issue 11).

    python -m credit_backend.accounts create NAME --role staff|admin --department 部门 --display-name 姓名 [--password-stdin]
    python -m credit_backend.accounts set-password NAME [--password-stdin]
    python -m credit_backend.accounts disable NAME
    python -m credit_backend.accounts enable NAME
    python -m credit_backend.accounts list

Without --password-stdin the password is asked for twice (not echoed). Exit codes: 0 done, 1 refused
(name taken, no such account, password not accepted), 2 wrong usage, 3 database unavailable.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError, ProgrammingError

from credit_backend.db import get_sessionmaker
from credit_backend.errors import DomainError
from credit_backend.services import accounts

OK, REFUSED, USAGE, NO_DATABASE = 0, 1, 2, 3


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:100]
    except Exception:  # no user name in a bare container
        return "cli"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("新密码 / New password: ")
    second = getpass.getpass("再次输入 / Repeat: ")
    if first != second:
        raise DomainError("两次输入的密码不一致。/ The passwords do not match.")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m credit_backend.accounts", description="管理工作台账号 / Manage staff console accounts"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="创建账号 / create an account")
    create.add_argument("name", help="账号名，如 counter01 / account name")
    create.add_argument("--role", choices=("staff", "admin"), required=True, help="staff 工作人员 / admin 管理员")
    create.add_argument("--department", required=True, help="所属部门 / department")
    create.add_argument("--display-name", required=True, help="姓名 / display name")
    create.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读取密码 / read the password from stdin"
    )
    reset = sub.add_parser("set-password", help="重置密码 / set a new password")
    reset.add_argument("name")
    reset.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读取密码 / read the password from stdin"
    )
    for command, text in (("disable", "停用账号 / disable an account"), ("enable", "启用账号 / enable an account")):
        sub.add_parser(command, help=text).add_argument("name")
    sub.add_parser("list", help="列出账号 / list accounts")
    return parser


def _list(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "尚无工作台账号。/ No accounts yet."
    lines = ["账号 name | 姓名 | 角色 role | 部门 | 状态 status"]
    for a in rows:
        status = "启用 active" if a["active"] else "已停用 disabled"
        if a["locked_until"]:
            status += f"，锁定至 locked until {a['locked_until']:%Y-%m-%d %H:%M} UTC"
        lines.append(
            f"{a['name']} | {a['display_name']} | {a['role_label']} {a['role']} | {a['department']} | {status}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    actor = _actor()
    with get_sessionmaker()() as session:
        if args.command == "list":
            print(_list([accounts.account_view(a) for a in accounts.list_accounts(session)]))
            return OK
        if args.command == "create":
            password = _read_password(args.password_stdin)
            account = accounts.create_account(
                session,
                name=args.name,
                display_name=args.display_name,
                role=args.role,
                department=args.department,
                password=password,
                by_role="admin",
                by_actor=actor,
            )
            label = accounts.ROLE_LABELS[account.role]
            print(f"已创建账号 {account.name}（{label}，{account.department}）。/ Created account {account.name}.")
        elif args.command == "set-password":
            accounts.get_account(session, args.name)  # an unknown name fails before the password is asked for
            accounts.set_password(
                session, args.name, _read_password(args.password_stdin), by_role="admin", by_actor=actor
            )
            print(f"已为账号 {args.name} 设置新密码，其登录会话已结束。/ New password set for {args.name}.")
        elif args.command == "disable":
            accounts.disable_account(session, args.name, by_role="admin", by_actor=actor)
            print(f"已停用账号 {args.name}，其登录会话已结束。/ Disabled {args.name}.")
        elif args.command == "enable":
            accounts.enable_account(session, args.name, by_role="admin", by_actor=actor)
            print(f"已启用账号 {args.name}。/ Enabled {args.name}.")
    return OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits with 2 on wrong usage
    try:
        return run(args)
    except DomainError as exc:
        print(f"错误 / Error: {exc.message}", file=sys.stderr)
        return REFUSED
    except (OperationalError, ProgrammingError) as exc:
        print(
            "错误 / Error: 无法访问数据库或数据库尚未初始化（请先运行 python -m credit_backend.migrate，"
            f"并检查 CREDIT_DATABASE_URL）。/ Database unavailable or not migrated: {exc.orig}",
            file=sys.stderr,
        )
        return NO_DATABASE
    except (KeyboardInterrupt, EOFError):
        print("\n已取消。/ Cancelled.", file=sys.stderr)
        return REFUSED


if __name__ == "__main__":
    sys.exit(main())
