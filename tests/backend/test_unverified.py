"""Deadlines built on numbers nobody has checked say so (issue 12 #1).

policy.yaml's header: “Answers built on such a value [verified: false] must say that it is provisional
and that the official text prevails.” The repair time limits of 令2025年第36号 (CREDIT_DOMAIN.md 2.3),
the 15/5-working-day objection rule of 吉市信用办发〔2020〕3号 第17项, the 容缺 materials default and the
registration check are such values: each deadline label built on one ends with the one note
(vocabulary.UNVERIFIED_NOTE) and the API says ``deadline_unverified: true``; flip the value to verified
and both go away.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from credit_backend.models import CreditRecord, Notification
from credit_backend.policy.loader import DEFAULT_POLICY_PATH, POLICY_ENV, clear_policy_cache, load_policy
from credit_backend.rules import vocabulary
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE
from credit_backend.rules.workdays import Deadline
from credit_backend.services.common import deadline_label
from tests.backend.api_helpers import (
    JIANGCHENG,
    bind,
    commitment_body,
    decide,
    fresh,
    objection_body,
    registration_body,
    repair_body,
    submit,
)

SENDER = "tg:6130"


def test_one_note_for_every_unverified_label() -> None:
    d = Deadline(start=date(2026, 11, 26), working_days=15, due=date(2026, 12, 17), provisional=False)
    assert deadline_label(d, "核查并书面答复：") == "核查并书面答复：2026年12月17日前（15个工作日）"
    assert deadline_label(d, "核查并书面答复：", unverified=True) == (
        "核查并书面答复：2026年12月17日前（15个工作日）" + UNVERIFIED_NOTE
    )


def test_every_kind_flags_its_unverified_deadline_policy_yaml_verified_false(client, world) -> None:
    """Each first deadline is flagged exactly as its policy.yaml value's ``verified`` says."""
    policy = load_policy()
    bind(client, SENDER, JIANGCHENG)
    rec = world.records["repairable"].id
    cases = [
        ("registrations", registration_body(SENDER), policy.voluntary_registration.staff_verification),
        (
            "commitments",
            commitment_body(SENDER, commitment_type="容缺受理型", missing_materials="环评批复"),
            policy.commitments.rongque_materials_due,
        ),
        ("objections", objection_body(SENDER, rec), policy.objection.verification),
    ]
    for path, body, rule in cases:
        r = submit(client, path, body)
        assert r.status_code == 201, r.text
        deadline = r.json()["deadline"]
        assert deadline["working_days"] == rule.working_days
        assert deadline["deadline_unverified"] is (not rule.verified), path
        assert deadline["label"].endswith(UNVERIFIED_NOTE) is (not rule.verified), path


def test_repair_decision_limit_is_provisional_in_label_and_message_令2025年第36号(client, world, session) -> None:
    """The 令36号 repair decision limit (10 working days, CREDIT_DOMAIN.md 2.3, verified: false): the
    staff decision's notification to the business carries the note, as the application's label does."""
    # A penalty of a department outside market regulation (whose records follow the regulator's own channel).
    record = CreditRecord(
        entity=world.entities["jiangcheng"],
        category=vocabulary.PENALTY,
        title="施工扬尘未采取防治措施",
        document_no="吉市环罚〔2026〕7号",
        authority="吉林市生态环境局",
        decision_date=date(2026, 6, 26),
        severity="一般",
        obligations_fulfilled=True,
        **({"polarity": "negative"} if hasattr(CreditRecord, "polarity") else {}),
    )
    session.add(record)
    session.commit()
    bind(client, SENDER, JIANGCHENG)
    r = submit(client, "repairs", repair_body(SENDER, record.id))
    assert r.status_code == 201, r.text
    r = decide(client, r.json()["application_no"], "accept")
    assert r.status_code == 200, r.text
    deadline = r.json()["deadline"]
    assert deadline["working_days"] == 10 and deadline["deadline_unverified"] is True
    assert deadline["label"] == "修复决定：2026年12月10日前（10个工作日）" + UNVERIFIED_NOTE
    fresh(session)
    message = session.scalars(select(Notification.body).where(Notification.kind == "decision")).all()[-1]
    assert "修复决定：2026年12月10日前（10个工作日）" + UNVERIFIED_NOTE in message


@pytest.fixture
def verified_objection_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    data = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    data["objection"]["verification"]["verified"] = True
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(POLICY_ENV, str(path))
    clear_policy_cache()
    yield
    monkeypatch.delenv(POLICY_ENV)
    clear_policy_cache()


def test_verified_value_gives_a_plain_deadline(client, world, verified_objection_policy) -> None:
    """Once the 15-day objection check is confirmed (verified: true) its label states it plainly."""
    bind(client, SENDER, JIANGCHENG)
    r = submit(client, "objections", objection_body(SENDER, world.records["repairable"].id))
    assert r.status_code == 201, r.text
    assert r.json()["deadline"]["deadline_unverified"] is False
    assert r.json()["deadline"]["label"] == "核查并书面答复：2026年12月17日前（15个工作日）"
