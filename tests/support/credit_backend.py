"""The real credit backend as the channel tests drive it: a DemoBackend with the flows they need, through the
public API (bind a sender, file an objection, decide as staff, read applications and the outbox)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import DemoBackend

JIANGCHENG = "91220202MA0Y3K7Q6L"  # demo case: 吉林市江城建材有限公司


class ChannelBackend(DemoBackend):
    """The real credit backend (uvicorn) on a temporary SQLite database with 200 demo entities."""

    def __init__(self, tmp: Path, assistant_token: str, staff_token: str, admin_token: str) -> None:
        super().__init__(tmp, {"assistant": assistant_token, "staff": staff_token, "admin": admin_token})
        self.assistant_token, self.staff_token = assistant_token, staff_token

    def start(self) -> ChannelBackend:
        super().start()
        return self

    def client(self, token: str | None = None) -> httpx.Client:
        token = token or self.assistant_token
        return httpx.Client(base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def bind(self, sender: str, uscc: str = JIANGCHENG) -> None:
        """Bind ``sender`` to ``uscc``: start, read the one-time code from the sms outbox as staff, verify."""
        with self.client() as api, self.client(self.staff_token) as staff:
            api.post("/bindings/start", json={"sender_id": sender, "uscc": uscc}).raise_for_status()
            sms = staff.get("/notifications", params={"channel": "sms", "limit": 200}).json()["items"]
            code = [n for n in sms if n["kind"] == "otp"][-1]["payload"]["code"]
            api.post("/bindings/verify", json={"sender_id": sender, "uscc": uscc, "code": code}).raise_for_status()

    def file_objection(self, sender: str, uscc: str = JIANGCHENG) -> dict[str, Any]:
        """A real objection by ``sender`` against the entity's first objectable record."""
        with self.client() as api:
            records = api.get(f"/entities/{uscc}/records").json()["items"]
            for record in records:
                resp = api.post(
                    "/applications/objections",
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                    json={
                        "sender_id": sender,
                        "uscc": uscc,
                        "record_id": record["id"],
                        "reason": "该记录的处罚对象不是本单位，请核实。",
                    },
                )
                if resp.status_code == 201:
                    return resp.json()
            raise AssertionError(f"no objectable record for {uscc}: {resp.text}")

    def decide(self, application_no: str, action: str, note: str | None = None) -> dict[str, Any]:
        with self.client(self.staff_token) as staff:
            resp = staff.post(f"/applications/{application_no}/decision", json={"action": action, "note": note})
            resp.raise_for_status()
            return resp.json()

    def application(self, application_no: str) -> dict[str, Any]:
        """The application as staff see it (the assistant's token sees only its sender's applications)."""
        with self.client(self.staff_token) as staff:
            return staff.get(f"/applications/{application_no}").json()

    def notifications(self, channel: str) -> list[dict[str, Any]]:
        with self.client(self.staff_token) as staff:
            params = {"channel": channel, "include_delivered": "true", "limit": 200}
            return staff.get("/notifications", params=params).json()["items"]
