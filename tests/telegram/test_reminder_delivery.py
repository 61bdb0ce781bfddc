"""信用提醒 through the real bridge (seed items 9 and 16; issue 12 "Shown by"): the daily job, run as the
cron command against the real backend's database, queues a reminder; the bridge delivers it to the user once,
across a second job run and a bridge restart; after 退订 (unsubscribe) no reminder is queued for the sender.

The reminder is the 容缺受理 one (吉市信用办发〔2020〕3号; CREDIT_DOMAIN.md 4.1): materials due within three
working days → the filer, who subscribed, is told.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import date, timedelta

from tests.support.processes import BACKEND_PYTHON, ROOT, TODAY, wait_until
from tests.telegram.fake_bot_api import FakeBotAPI, User
from tests.telegram.harness import JIANGCHENG, STAFF_TOKEN, Backend, Bridge

SENDER = "tg:920040"


def run_daily(backend: Backend, day: date) -> dict:
    out = subprocess.run(
        [str(BACKEND_PYTHON), "-m", "credit_backend.jobs", "daily", "--today", day.isoformat()],
        env=backend.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_reminder_reaches_the_user_once_across_a_restart(
    bot_api: FakeBotAPI, bridge: Bridge, backend: Backend
) -> None:
    user = User(920040)
    backend.bind(SENDER)
    today = date.fromisoformat(TODAY)
    due = today + timedelta(days=14)
    with backend.client() as api:
        api.post("/subscriptions", json={"sender_id": SENDER, "uscc": JIANGCHENG}).raise_for_status()
        resp = api.post(
            "/applications/commitments",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "sender_id": SENDER,
                "uscc": JIANGCHENG,
                "commitment_type": "容缺受理型",
                "matter": "建筑施工许可",
                "missing_materials": "消防设计审查意见",
                "materials_due": due.isoformat(),
                "accepted": True,
            },
        )
        assert resp.status_code == 201, resp.text
        no = resp.json()["application_no"]

    first = run_daily(backend, due - timedelta(days=1))
    assert first["jobs"]["reminders"]["commitment_due"] >= 1
    _, notice = bot_api.wait_for_message(user.id, f"（{no}")
    assert "信用承诺提醒" in notice["text"]
    with backend.client(STAFF_TOKEN) as staff:

        def delivered() -> bool:
            items = staff.get("/notifications", params={"channel": "tg", "include_delivered": True, "limit": 200})
            mine = [n for n in items.json()["items"] if n["recipient"] == SENDER and n["kind"] == "reminder"]
            return bool(mine) and all(n["delivered_at"] for n in mine)

        wait_until(delivered, 30, "the reminder to be marked delivered")

    bridge.stop()
    again = run_daily(backend, due - timedelta(days=1))
    assert again["jobs"]["reminders"]["commitment_due"] == 0
    bridge.start()
    with backend.client() as api:
        api.delete(f"/subscriptions/{JIANGCHENG}", params={"sender_id": SENDER}).raise_for_status()
        assert api.get("/subscriptions", params={"sender_id": SENDER}).json()["items"] == []
    # A decision after the restart arrives, so the bridge is polling again; the reminder did not come twice.
    backend.decide(no, "fulfil", "材料已补齐")
    bot_api.wait_for_message(user.id, f"（{no}）有了新进展")
    assert sum(f"（{no}" in t and "信用承诺提醒" in t for t in bot_api.sent_texts(user.id)) == 1
