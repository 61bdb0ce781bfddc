"""The task-start suite and how scripts/task_start_eval.py judges a turn (no assistant needed).

.venv-rasa/bin/python -m pytest tests/nlu/test_task_start.py

The run itself (the real assistant) is `make evaluate-task-start`.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from actions.flows import FLOWS

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("task_start_eval", ROOT / "scripts/task_start_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


TASK_START = _script()


def _faq_topics() -> set[str]:
    responses = yaml.safe_load((ROOT / "data/responses/faq.yml").read_text(encoding="utf-8"))["responses"]
    return {name.removeprefix("utter_") for name in responses if name.startswith("utter_faq/")}


def test_suite_has_300_first_messages_for_every_service() -> None:
    cases = TASK_START.load_suite(TASK_START.DEFAULT_SUITE)
    labels = Counter(case.label for case in cases)
    assert len(cases) >= 300
    assert {flow.intent for flow in FLOWS} <= set(labels)
    assert set(TASK_START.ACTION_OF) <= set(labels)
    assert all("[" not in case.text and "](" not in case.text for case in cases)


def test_every_label_can_be_judged() -> None:
    known = {flow.intent for flow in FLOWS} | set(TASK_START.ACTION_OF) | _faq_topics()
    unknown = {case.label for case in TASK_START.load_suite(TASK_START.DEFAULT_SUITE)} - known
    assert not unknown


def _user(intent: str, topic: str | None = None) -> dict[str, Any]:
    parse: dict[str, Any] = {"intent": {"name": intent}}
    if topic:
        parse["response_selector"] = {"faq": {"response": {"intent_response_key": topic}}}
    return {"event": "user", "parse_data": parse}


def _action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def _buttons(*payloads: str) -> dict[str, Any]:
    return {"event": "bot", "data": {"buttons": [{"title": p, "payload": p} for p in payloads]}}


def test_a_started_form_is_a_task_start() -> None:
    events = [_user("apply_repair"), _action("repair_form"), {"event": "active_loop", "name": "repair_form"}]
    assert TASK_START.judge("apply_repair", events)[0]
    assert not TASK_START.judge("file_objection", events)[0]


def test_an_answer_at_once_is_a_task_start() -> None:
    events = [_user("query_credit"), _action("action_query_credit")]
    assert TASK_START.judge("query_credit", events)[0]


def test_the_clarifying_question_offering_it_is_a_task_start() -> None:
    buttons = _buttons('/apply_repair{"org_name": "江城建材"}', "/file_objection", "/help", "/human_handoff")
    events = [_user("nlu_fallback"), _action("action_clarify"), buttons]
    assert TASK_START.judge("file_objection", events)[0]
    assert TASK_START.judge("apply_repair", events)[0]
    assert not TASK_START.judge("query_credit", events)[0]
    # Its ways out are always there: they offer nothing.
    assert not TASK_START.judge("human_handoff", events)[0]


def test_an_faq_topic_offered_by_the_clarifying_question_counts() -> None:
    buttons = _buttons('/faq{"faq_topic": "repair_fee"}', "/apply_repair", "/help", "/human_handoff")
    events = [_user("nlu_fallback"), _action("action_clarify"), buttons]
    assert TASK_START.judge("faq/repair_fee", events)[0]
    assert not TASK_START.judge("faq/repair_periods", events)[0]


def test_the_button_after_an_faq_answer_is_not_a_disambiguation() -> None:
    events = [_user("faq", "faq/repair_process"), _action("utter_faq"), _action("action_after_faq")]
    events.append(_buttons("/apply_repair"))
    assert not TASK_START.judge("apply_repair", events)[0]


def test_a_menu_of_every_service_is_not_a_task_start() -> None:
    menu = _buttons(*(f"/{flow.intent}" for flow in FLOWS))
    assert not TASK_START.judge("apply_repair", [_user("inform"), _action("action_clarify"), menu])[0]


@pytest.mark.parametrize(
    ("label", "topic", "right"),
    [("faq/repair_fee", "faq/repair_fee", True), ("faq/repair_fee", "faq/repair_periods", False)],
)
def test_an_faq_topic_needs_the_right_answer(label: str, topic: str, right: bool) -> None:
    events = [_user("faq", topic), _action("utter_faq")]
    assert TASK_START.judge(label, events)[0] is right


def test_out_of_scope_and_handoff_need_their_answers() -> None:
    assert TASK_START.judge("out_of_scope", [_user("out_of_scope"), _action("utter_out_of_scope")])[0]
    assert not TASK_START.judge("human_handoff", [_user("faq", "faq/data_security"), _action("utter_faq")])[0]
