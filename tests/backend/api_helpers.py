"""Shared steps of the API test modules: named codes, binding through the outbox, submissions, checks."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit_backend.models import (
    Application,
    ApplicationCounter,
    AuditEntry,
)
from tests.backend.conftest import ASSISTANT, STAFF

API = "/api/v1"
JIANGCHENG = "91220202MA0Y3K7Q6L"
LAOWANG = "92220204L5B2C8D11M"
QIHANG = "52220211MJ0A1B2C5E"
BLACKLISTED = "N2220202MA0Y3K7Q64"
REDLIST = "12220200012345671E"
OBJECTING = "93220221MA14XK2F29"
UNKNOWN_VALID = "91220202MA1ABCDE8G"  # passes every check, but no such entity exists


# --- shared helpers -------------------------------------------------------------------------------


def fresh(session: Session) -> None:
    """End the test session's transaction and forget loaded state, so that it sees what the app committed."""
    session.rollback()
    session.expire_all()  # rollback() is a no-op (no expiry) when no transaction is open


def count(session: Session, model: type, *where: Any) -> int:
    fresh(session)
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def otp_for(client, uscc: str) -> str:
    """The newest one-time code sent for ``uscc``, read from the SMS outbox with staff rights."""
    r = client.get(
        f"{API}/notifications", params={"channel": "sms", "include_delivered": True, "limit": 200}, headers=STAFF
    )
    assert r.status_code == 200, r.text
    codes = [n["payload"]["code"] for n in r.json()["items"] if n["kind"] == "otp" and n["payload"]["uscc"] == uscc]
    assert codes, "no one-time code in the outbox"
    return codes[-1]


def bind(client, sender: str, uscc: str) -> dict[str, Any]:
    r = client.post(f"{API}/bindings/start", json={"sender_id": sender, "uscc": uscc}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    r = client.post(
        f"{API}/bindings/verify",
        json={"sender_id": sender, "uscc": uscc, "code": otp_for(client, uscc)},
        headers=ASSISTANT,
    )
    assert r.status_code == 200, r.text
    return r.json()


def submit(client, path: str, body: dict[str, Any], key: str | None = None, headers: dict[str, str] | None = None):
    """POST a submission with an Idempotency-Key (a fresh one unless given)."""
    hdrs = {**(headers or ASSISTANT), "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post(f"{API}/applications/{path}", json=body, headers=hdrs)


def decide(
    client,
    application_no: str,
    action: str,
    note: str | None = None,
    headers: dict[str, str] | None = None,
    **extra_headers: str,
):
    body: dict[str, Any] = {"action": action}
    if note is not None:
        body["note"] = note
    return client.post(
        f"{API}/applications/{application_no}/decision", json=body, headers={**(headers or STAFF), **extra_headers}
    )


def registration_body(sender: str, uscc: str = JIANGCHENG, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender_id": sender,
        "uscc": uscc,
        "category": "资质证照",
        "fields": {
            "license_name": "建筑业企业资质证书",
            "license_no": "D222012345",
            "issuer": "吉林市住房和城乡建设局",
            "valid_until": "2028-12-31",
        },
        "truthful": True,
    }
    body.update(kw)
    return body


def commitment_body(sender: str, uscc: str = JIANGCHENG, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender_id": sender,
        "uscc": uscc,
        "commitment_type": "主动型",
        "matter": "守法诚信经营",
        "accepted": True,
    }
    body.update(kw)
    return body


def objection_body(sender: str, record_id: int, uscc: str = JIANGCHENG, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender_id": sender,
        "uscc": uscc,
        "record_id": record_id,
        "reason": "处罚决定书记载的违法事实与实际不符",
    }
    body.update(kw)
    return body


def repair_body(sender: str, record_id: int, uscc: str = JIANGCHENG, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender_id": sender,
        "uscc": uscc,
        "record_id": record_id,
        "corrective_action": "已按要求补正产品标识并缴清罚款",
        "obligations_fulfilled": True,
        "commitment_signed": True,
    }
    body.update(kw)
    return body


def assert_error(r, status: int, code: str, *fragments: str) -> dict[str, Any]:
    """The response is the stable error body; its Chinese message contains every fragment."""
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error["message"]
    for fragment in fragments:
        assert fragment in error["message"], (fragment, error["message"])
    return error


def nothing_submitted(session: Session) -> None:
    """No application, no number taken, no submission audited."""
    assert count(session, Application) == 0
    assert count(session, ApplicationCounter) == 0
    assert count(session, AuditEntry, AuditEntry.action.like("submit_%")) == 0
