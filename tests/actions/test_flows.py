"""The flow declarations (actions/flows/) are what the actions use: one label per flow, everywhere."""

from __future__ import annotations

import pytest

from actions import flows
from actions.binding import BOUND_MARK
from actions.common import help_text
from actions.handoff import conversation_summary
from actions.submission import submitter, summary_builder
from tests.actions.harness import ACTIONS, Chat

BINDING_FLOWS = [flow for flow in flows.FLOWS if flow.needs_binding]


@pytest.mark.parametrize("flow", BINDING_FLOWS, ids=lambda f: f.name)
def test_resume_after_binding_uses_the_flow_label(chat: Chat, flow: flows.Flow) -> None:
    """The resume message and the hand-off summary name a flow alike (they had drifted: 信用修复申请 / 信用修复)."""
    chat.set_slots(otp_code=BOUND_MARK, pending_form=flow.form, uscc="91220202MA0Y3K7Q6L")
    assert chat.run("action_complete_binding").text == f"好的，我们继续办理{flow.label}。"
    assert f"正在办理：{flow.label}" in conversation_summary([], {"pending_form": flow.form}, None)


def test_repair_is_called_the_same_when_resumed_and_handed_off(chat: Chat) -> None:
    chat.set_slots(otp_code=BOUND_MARK, pending_form="repair_form", uscc="91220202MA0Y3K7Q6L")
    assert chat.run("action_complete_binding").text == "好的，我们继续办理信用修复。"
    assert "正在办理：信用修复\n" in conversation_summary([], {}, "repair_form") + "\n"


@pytest.mark.parametrize("flow", flows.FLOWS, ids=lambda f: f.name)
def test_every_flow_is_wired_to_its_actions(flow: flows.Flow) -> None:
    assert f"您正在办理“{flow.label}”" in help_text(flow.form)
    assert f"validate_{flow.form}" in ACTIONS and flow.final_action in ACTIONS
    assert all(f"action_ask_{slot}" in ACTIONS for slot in flow.slots)
    if flow.submission:
        action = submitter(flow.form)
        assert action is ACTIONS[flow.final_action]
        assert flows.submission_of(action().name()) == (flow, flow.submission)
        builder = summary_builder(flow.form)
        assert builder is not None and builder({}).startswith("业务：")
    else:
        assert submitter(flow.form) is None and summary_builder(flow.form) is None


def test_binding_is_asked_for_exactly_where_declared() -> None:
    validators = {flow.form: ACTIONS[f"validate_{flow.form}"]() for flow in flows.FLOWS}
    assert {form for form, v in validators.items() if v.needs_binding} == {f.form for f in BINDING_FLOWS}
