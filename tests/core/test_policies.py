"""RecentTurnsRulePolicy builds the states of the last turns exactly as Rasa builds them for the whole session.

.venv-rasa/bin/python -m pytest tests/core
"""

from __future__ import annotations

from typing import Any

from rasa.core.agent import Agent
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Restarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant_core.policies import RecentTurnsRulePolicy, recent_states
from tests.core.support import converse, run

# A long session that needs no action server: every turn of it is predicted by the rules.
LONG_SESSION = ["你好", "信用修复需要多长时间", "谢谢", "什么是严重失信主体名单", "你是机器人吗", "好的"] * 5


def test_the_last_states_of_a_long_session_are_rasas(agent: Agent) -> None:
    store = InMemoryTrackerStore(agent.domain)
    converse(agent, store, "web:long", LONG_SESSION)
    tracker = run(store.retrieve("web:long"))
    everything = tracker.past_states(agent.domain)

    assert len(everything) > 60
    for turns in (1, 7, 20, len(everything), len(everything) + 5):
        assert recent_states(tracker, agent.domain, turns) == everything[-turns:]


def test_a_form_in_progress_keeps_its_slots_and_loop_in_the_window(agent: Agent) -> None:
    events = [ActionExecuted("action_listen")]
    for i in range(12):
        events += [UserUttered(f"第{i}句", {"name": "greet", "confidence": 1.0}), ActionExecuted("utter_greet")]
        events += [ActionExecuted("action_listen")]
    events += [
        UserUttered("我要申请信用修复", {"name": "apply_repair", "confidence": 1.0}),
        ActionExecuted("repair_form"),
        ActiveLoop("repair_form"),
        SlotSet("uscc", "91220202MA0Y3K7Q6L"),
        SlotSet("requested_slot", "record_id"),
        ActionExecuted("action_listen"),
    ]
    tracker = DialogueStateTracker.from_events("web:form", events, agent.domain.slots)

    window = recent_states(tracker, agent.domain, 3)
    assert window == tracker.past_states(agent.domain)[-3:]
    assert window[-1]["active_loop"] == {"name": "repair_form"}


def test_the_model_predicts_with_the_recent_turns_policy(agent: Agent) -> None:
    uses = {node.uses for node in agent.processor.model_metadata.predict_schema.nodes.values()}
    assert RecentTurnsRulePolicy in uses


def test_default_intents_still_trigger_their_actions(agent: Agent) -> None:
    # Rasa's training warns that "RulePolicy is not included" (it compares the class exactly); the
    # subclass keeps RulePolicy's default rules all the same.
    store = InMemoryTrackerStore(agent.domain)
    converse(agent, store, "web:restart", ["你好", "/restart"])
    tracker = run(store.retrieve_full_tracker("web:restart"))
    assert any(isinstance(event, Restarted) for event in tracker.events)


def next_action(agent: Agent, events: list[Any]) -> str:
    tracker = DialogueStateTracker.from_events("web:next", events, agent.domain.slots)
    prediction = agent.processor.predict_next_with_tracker(tracker)
    assert prediction is not None
    return str(max(prediction["scores"], key=lambda score: score["score"])["action"])


def test_after_the_fallback_for_a_turn_no_rule_covers_the_assistant_listens(agent: Agent) -> None:
    # An answer outside any form that names nothing (no entity): no rule covers it, so the fallback (action_clarify)
    # answers once; predicting it again ran it ten times in one turn.
    answer = UserUttered("就是那个", {"name": "inform", "confidence": 1.0}, [])
    events = [ActionExecuted("action_session_start"), ActionExecuted("action_listen"), answer]

    assert next_action(agent, events) == "action_clarify"
    assert next_action(agent, [*events, ActionExecuted("action_clarify")]) == "action_listen"


def test_a_name_said_alone_outside_any_form_starts_its_query(agent: Agent) -> None:
    name = UserUttered(
        "昌邑区桦皮厂村股份经济合作社",
        {"name": "inform", "confidence": 1.0},
        [{"entity": "org_name", "value": "昌邑区桦皮厂村股份经济合作社", "start": 0, "end": 14}],
    )
    events = [ActionExecuted("action_session_start"), ActionExecuted("action_listen"), name]

    assert next_action(agent, events) == "query_form"


def test_a_form_still_continues_after_the_fallback(agent: Agent) -> None:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("我要申请信用修复", {"name": "apply_repair", "confidence": 1.0}),
        ActionExecuted("repair_form"),
        ActiveLoop("repair_form"),
        SlotSet("requested_slot", "uscc"),
        ActionExecuted("action_listen"),
        UserUttered("嗯嗯", {"name": "nlu_fallback", "confidence": 1.0}),
        ActionExecuted("action_clarify"),
    ]

    assert next_action(agent, events) == "repair_form"
