"""The application state machines: pure transitions, then each kind's lifecycle over HTTP."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from credit_backend.rules.states import (
    COMMITMENT,
    MACHINES,
    OBJECTION,
    REGISTRATION,
    REPAIR,
    IllegalTransition,
    Machine,
    step,
)
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    assert_error,
    bind,
    commitment_body,
    decide,
    objection_body,
    registration_body,
    repair_body,
    submit,
)
from tests.backend.conftest import ADMIN, ASSISTANT, STAFF

# --- pure machines --------------------------------------------------------------------------------

EXPECTED_TERMINAL = {
    "registration": {"verified", "rejected"},
    "commitment": {"fulfilled", "breached", "withdrawn"},
    "objection": {"rejected_incomplete", "corrected", "withdrawn", "upheld"},
    "repair": {"rejected", "approved", "denied", "revoked"},  # approved: closed, yet revocable,
}

LEGAL = [pytest.param(m, t, id=f"{m.kind}:{t.source}-{t.action}") for m in MACHINES.values() for t in m.transitions]
ILLEGAL = [
    pytest.param(m, state, action, id=f"{m.kind}:{state}-{action}")
    for m in MACHINES.values()
    for state in m.states
    for action in sorted({t.action for t in m.transitions})
    if action not in m.allowed(state)
]


def own_labels(machine: Machine) -> dict[str, str]:
    return {t.action: t.label for t in machine.transitions}


def test_the_four_kinds_and_their_number_prefixes():
    assert {k: m.type_code for k, m in MACHINES.items()} == {
        "registration": "ZC",
        "commitment": "CN",
        "objection": "YY",
        "repair": "XF",
    }
    assert (REGISTRATION.initial, COMMITMENT.initial, OBJECTION.initial, REPAIR.initial) == (
        "submitted",
        "in_force",
        "submitted",
        "submitted",
    )


@pytest.mark.parametrize(("machine", "transition"), LEGAL)
def test_every_legal_transition_reaches_its_target(machine: Machine, transition):
    t = step(machine, transition.source, transition.action)
    assert t.target == transition.target
    assert t.target in machine.states
    assert t.label


@pytest.mark.parametrize(("machine", "state", "action"), ILLEGAL)
def test_every_illegal_pair_is_refused_naming_state_and_allowed_actions(machine: Machine, state: str, action: str):
    with pytest.raises(IllegalTransition) as info:
        step(machine, state, action)
    exc = info.value
    assert (exc.state, exc.action) == (state, action)
    message = str(exc)
    assert machine.label in message
    assert f"“{machine.states[state]}”" in message
    labels = own_labels(machine)
    # The refused action and every allowed action are named as this machine calls them.
    assert f"“{labels[action]}”" in message, message
    allowed = machine.allowed(state)
    if allowed:
        for a in allowed:
            assert labels[a] in message, (labels[a], message)
    else:
        assert "无（已办结）" in message


def test_allowed_actions_are_listed_with_this_machines_labels():
    """Regression for shared action names: reject/accept mean different things per kind."""
    for machine, state, action, expected in (
        (REGISTRATION, "submitted", "fulfil", "核验通过、核验不通过"),
        (OBJECTION, "submitted", "uphold", "受理并核查、材料不全不予受理"),
        (REPAIR, "submitted", "approve", "受理、不予受理"),
    ):
        with pytest.raises(IllegalTransition) as info:
            step(machine, state, action)
        assert expected in str(info.value), str(info.value)


@pytest.mark.parametrize("machine", list(MACHINES.values()), ids=list(MACHINES))
def test_unknown_and_foreign_actions_are_refused(machine: Machine):
    for action in ("launch", "fulfil" if machine is not COMMITMENT else "verify"):
        with pytest.raises(IllegalTransition) as info:
            step(machine, machine.initial, action)
        assert f"未知操作“{action}”" in str(info.value)


@pytest.mark.parametrize("machine", list(MACHINES.values()), ids=list(MACHINES))
def test_terminal_states_allow_nothing(machine: Machine):
    assert machine.terminal == EXPECTED_TERMINAL[machine.kind]
    assert machine.is_open(machine.initial)
    for state in machine.terminal - machine.closed:
        assert machine.allowed(state) == ()
        assert not machine.is_open(state)
        for action in {t.action for t in machine.transitions}:
            with pytest.raises(IllegalTransition, match="无（已办结）"):
                step(machine, state, action)


@pytest.mark.parametrize("machine", list(MACHINES.values()), ids=list(MACHINES))
def test_every_state_is_reachable_from_the_initial_one(machine: Machine):
    seen, frontier = {machine.initial}, [machine.initial]
    while frontier:
        state = frontier.pop()
        for t in machine.transitions:
            if t.source == state and t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    assert seen == set(machine.states)


# --- lifecycles over HTTP -------------------------------------------------------------------------

SENDER = "tg:3001"


def instant(text: str) -> datetime:
    """A datetime from the API as an aware instant (a missing zone is read as UTC; see test_api_applications)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def decision_notifications(client, application_no: str) -> list[dict]:
    r = client.get(
        f"{API}/notifications", params={"channel": "tg", "include_delivered": True, "limit": 200}, headers=STAFF
    )
    assert r.status_code == 200, r.text
    return [n for n in r.json()["items"] if n["payload"].get("application_no") == application_no]


def run_decisions(client, application_no: str, steps: list[tuple[str, str, str]], machine: Machine) -> dict:
    """Apply (action, expected status, expected deadline due or '') and check history and notifications."""
    app: dict = {}
    for i, (action, status, due) in enumerate(steps, start=1):
        r = decide(client, application_no, action, note=f"第{i}步说明", **{"X-Actor": "li.na"})
        assert r.status_code == 200, r.text
        app = r.json()
        assert app["status"] == status
        assert app["status_label"] == machine.states[status]
        assert app["allowed_actions"] == list(machine.allowed(status))
        assert app["open"] is machine.is_open(status)
        if due:
            assert app["deadline"]["due"] == due
        else:
            assert app["deadline"] is None
        notes = decision_notifications(client, application_no)
        assert len(notes) == i, notes  # exactly one per decision
        assert notes[-1]["recipient"] == SENDER
        assert notes[-1]["kind"] == "decision"
        assert notes[-1]["payload"]["status"] == status
        assert application_no in notes[-1]["body"] and machine.states[status] in notes[-1]["body"]
        assert f"第{i}步说明" in notes[-1]["body"]
    history = app["history"]
    assert [h["action"] for h in history] == ["submit"] + [a for a, _, _ in steps]
    assert [h["status"] for h in history] == [machine.initial] + [s for _, s, _ in steps]
    assert [h["status_label"] for h in history] == [machine.states[h["status"]] for h in history]
    assert history[0]["actor"] == SENDER
    assert all(h["actor"] == "staff:li.na" for h in history[1:])
    assert [h["note"] for h in history[1:]] == [f"第{i}步说明" for i in range(1, len(steps) + 1)]
    assert [instant(h["at"]) for h in history] == sorted(instant(h["at"]) for h in history)
    assert app["decided_at"] is not None and app["decision_note"] == f"第{len(steps)}步说明"
    # A GET returns the same story.
    again = client.get(f"{API}/applications/{application_no}", headers=STAFF).json()
    assert again["status"] == app["status"]
    assert [{**h, "at": instant(h["at"])} for h in again["history"]] == [{**h, "at": instant(h["at"])} for h in history]
    return app


def refused(client, application_no: str, action: str, state: str, machine: Machine) -> None:
    before = len(decision_notifications(client, application_no))
    r = decide(client, application_no, action)
    err = assert_error(r, 409, "ILLEGAL_TRANSITION", machine.states[state])
    assert err["details"] == {"from": state, "action": action, "allowed": list(machine.allowed(state))}
    r = decide(client, application_no, machine.transitions[0].action, headers=ASSISTANT)
    assert_error(r, 403, "FORBIDDEN", "权限")
    after = client.get(f"{API}/applications/{application_no}", headers=STAFF).json()
    assert after["status"] == state
    assert len(decision_notifications(client, application_no)) == before  # a refusal notifies nobody


def test_registration_lifecycle(client, world):
    bind(client, SENDER, JIANGCHENG)
    r = submit(client, "registrations", registration_body(SENDER))
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["deadline"]["due"] == "2026-12-10" and app["deadline"]["working_days"] == 10
    assert app["deadline"]["label"] == "核验：2026年12月10日前（10个工作日）" + UNVERIFIED_NOTE
    no = app["application_no"]
    refused(client, no, "fulfil", "submitted", REGISTRATION)
    app = run_decisions(client, no, [("verify", "verified", "")], REGISTRATION)
    assert app["details"]["verified_on"] == "2026-11-26"
    refused(client, no, "reject", "verified", REGISTRATION)
    # Verified information shows in the public profile.
    profile = client.get(f"{API}/entities/{JIANGCHENG}", headers=ASSISTANT).json()
    assert profile["voluntary_info"] == [
        {
            "application_no": no,
            "category": "资质证照",
            "fields": [
                {"label": "证照名称", "value": "建筑业企业资质证书"},
                {"label": "证照编号", "value": "D222012345"},
                {"label": "发证机关", "value": "吉林市住房和城乡建设局"},
                {"label": "有效期至", "value": "2028-12-31"},
            ],
            "verified_on": "2026-11-26",
        }
    ]


def test_registration_rejected(client, world):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "registrations", registration_body(SENDER)).json()["application_no"]
    run_decisions(client, no, [("reject", "rejected", "")], REGISTRATION)
    refused(client, no, "verify", "rejected", REGISTRATION)
    assert client.get(f"{API}/entities/{JIANGCHENG}", headers=ASSISTANT).json()["voluntary_info"] == []


def test_commitment_lifecycle(client, world):
    bind(client, SENDER, JIANGCHENG)
    body = commitment_body(SENDER, commitment_type="容缺受理型", missing_materials="消防验收意见书")
    r = submit(client, "commitments", body)
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] == "in_force"
    assert app["deadline"]["due"] == "2026-12-24" and app["deadline"]["working_days"] == 20
    assert app["deadline"]["label"] == "补齐材料：2026年12月24日前（20个工作日）" + UNVERIFIED_NOTE
    no = app["application_no"]
    refused(client, no, "approve", "in_force", COMMITMENT)
    run_decisions(client, no, [("fulfil", "fulfilled", "")], COMMITMENT)
    refused(client, no, "breach", "fulfilled", COMMITMENT)


@pytest.mark.parametrize(("action", "status"), [("breach", "breached"), ("withdraw", "withdrawn")])
def test_commitment_other_endings(client, world, action, status):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "commitments", commitment_body(SENDER)).json()["application_no"]
    run_decisions(client, no, [(action, status, "")], COMMITMENT)
    refused(client, no, "fulfil", status, COMMITMENT)


def test_objection_lifecycle(client, world):
    bind(client, SENDER, JIANGCHENG)
    r = submit(client, "objections", objection_body(SENDER, world.records["repairable"].id))
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["deadline"]["due"] == "2026-12-17" and app["deadline"]["working_days"] == 15
    assert app["deadline"]["label"].endswith("2026年12月17日前（15个工作日）" + UNVERIFIED_NOTE)
    no = app["application_no"]
    refused(client, no, "correct", "submitted", OBJECTION)
    app = run_decisions(
        client, no, [("accept", "under_verification", "2026-12-17"), ("correct", "corrected", "2026-12-03")], OBJECTION
    )
    assert app["deadline"]["working_days"] == 5
    assert app["deadline"]["label"] == "更正信息报送：2026年12月3日前（5个工作日）" + UNVERIFIED_NOTE
    assert app["details"]["correct_due"] == "2026-12-03"
    refused(client, no, "uphold", "corrected", OBJECTION)


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        ([("reject_incomplete", "rejected_incomplete", "")], "rejected_incomplete"),
        ([("accept", "under_verification", "2026-12-17"), ("uphold", "upheld", "")], "upheld"),
        ([("accept", "under_verification", "2026-12-17"), ("withdraw_record", "withdrawn", "2026-12-03")], "withdrawn"),
    ],
)
def test_objection_other_endings(client, world, steps, final):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "objections", objection_body(SENDER, world.records["repairable"].id)).json()["application_no"]
    run_decisions(client, no, steps, OBJECTION)
    refused(client, no, "accept", final, OBJECTION)


def test_repair_lifecycle(client, world):
    bind(client, SENDER, JIANGCHENG)
    r = submit(client, "repairs", repair_body(SENDER, world.records["repairable"].id))
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["deadline"]["due"] == "2026-12-01" and app["deadline"]["working_days"] == 3
    assert app["deadline"]["label"] == "受理决定：2026年12月1日前（3个工作日）" + UNVERIFIED_NOTE
    no = app["application_no"]
    refused(client, no, "approve", "submitted", REPAIR)
    app = run_decisions(
        client, no, [("accept", "accepted", "2026-12-10"), ("approve", "approved", "2026-12-01")], REPAIR
    )
    assert app["deadline"]["label"] == "结果同步：2026年12月1日前（3个工作日）" + UNVERIFIED_NOTE
    refused(client, no, "deny", "approved", REPAIR)


@pytest.mark.parametrize(
    "steps",
    [
        [("reject", "rejected", "")],
        [("accept", "accepted", "2026-12-10"), ("deny", "denied", "")],
    ],
)
def test_repair_other_endings(client, world, steps):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "repairs", repair_body(SENDER, world.records["repairable"].id)).json()["application_no"]
    run_decisions(client, no, steps, REPAIR)
    refused(client, no, "accept", steps[-1][1], REPAIR)


def test_accept_notification_carries_the_next_deadline(client, world):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "repairs", repair_body(SENDER, world.records["repairable"].id)).json()["application_no"]
    assert decide(client, no, "accept").status_code == 200
    [note] = decision_notifications(client, no)
    assert "修复决定：2026年12月10日前（10个工作日）" in note["body"]


def test_unknown_action_is_an_illegal_transition(client, world):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "registrations", registration_body(SENDER)).json()["application_no"]
    err = assert_error(decide(client, no, "approve"), 409, "ILLEGAL_TRANSITION", "未知操作“approve”", "核验通过")
    assert err["details"]["allowed"] == ["verify", "reject"]


def test_admin_may_decide_and_decisions_need_a_token(client, world):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "registrations", registration_body(SENDER)).json()["application_no"]
    r = client.post(f"{API}/applications/{no}/decision", json={"action": "verify"})
    assert_error(r, 401, "AUTH_REQUIRED")
    r = decide(client, no, "verify", headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "verified"


def test_decision_on_unknown_or_garbage_number(client, world):
    assert_error(decide(client, "ZC-20261126-0042", "verify"), 404, "APPLICATION_NOT_FOUND", "ZC-20261126-0042")
    assert_error(decide(client, "not-a-number", "verify"), 400, "APPLICATION_NO_INVALID", "not-a-number")


def test_decision_body_is_validated(client, world):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "registrations", registration_body(SENDER)).json()["application_no"]
    r = client.post(f"{API}/applications/{no}/decision", json={"note": "x"}, headers=STAFF)
    err = assert_error(r, 400, "VALIDATION_ERROR", "缺少“处理操作”")
    assert err["details"]["fields"] == [{"field": "action", "message": "缺少“处理操作”"}]
    assert client.get(f"{API}/applications/{no}", headers=STAFF).json()["status"] == "submitted"


def test_long_actor_name_does_not_break_the_decision(client, world):
    """X-Actor accepts up to 100 characters; the stored actor is 'staff:' + it (columns hold 100)."""
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "registrations", registration_body(SENDER)).json()["application_no"]
    r = decide(client, no, "verify", **{"X-Actor": "a" * 100})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.json()["history"][-1]["actor"].endswith("a" * 100)
