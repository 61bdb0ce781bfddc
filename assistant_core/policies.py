"""RulePolicy that builds dialogue states only for the turns its rules can look at.

For every prediction Rasa's RulePolicy turns the whole session into states, twice (once with the
message's text, once with its intent), formats them all for a debug log and, when no rule applies,
serialises them all into a lookup key: a turn costs more the longer the session (`make bench`,
growth table). Its rules decide on the last ``n`` states only, ``n`` being the longest rule (a rule
is applicable once it has matched further back than its own length), so this policy builds the states
of the last ``n + 1`` turns and predicts exactly as RulePolicy does. One state more than the longest
rule keeps a ``conversation_start`` rule from matching a window that merely begins like a conversation.

Right after its fallback action (action_clarify) the policy waits for the user. RulePolicy would predict
the fallback again for a turn no rule covers (the state after it is just as unknown), up to Rasa's
limit of ten actions in one turn; Rasa's own fallback action escapes this by reverting the user's
message, ours answers and keeps it.

`rasa train` warns that "RulePolicy is not included": its check compares the policy class exactly. The
default rules (restart, back, session start) are RulePolicy's own and work here as well (tests/core).
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from assistant_core import rasa_compat

rasa_compat.require_rasa()


def recent_states(tracker: DialogueStateTracker, domain: Domain, turns: int) -> list[State]:
    """``tracker.past_states(domain)[-turns:]``, without building the states before them."""
    applied = tracker.applied_events()
    first = 1 + sum(isinstance(event, ActionExecuted) for event in applied) - turns
    replay = tracker.init_copy()
    states: list[State] = []
    index = 0
    # The same walk as DialogueStateTracker.generate_all_prior_trackers: a state before each action and
    # one at the end; only the last ``turns`` are built.
    for event in applied:
        if isinstance(event, ActionExecuted):
            if index >= first:
                states.append(rasa_compat.clean_state(domain, domain.get_active_state(replay)))
            index += 1
        replay.update(event)
    states.append(rasa_compat.clean_state(domain, domain.get_active_state(replay)))
    return states


class _RecentTurns:
    """What RulePolicy's featuriser reads of a tracker (its past states), limited to the last turns."""

    def __init__(self, tracker: DialogueStateTracker, turns: int) -> None:
        self._tracker, self._turns = tracker, turns

    def past_states(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        # RulePolicy asks for plain states; the options only ML policies use are not supported here.
        if omit_unset_slots or ignore_rule_only_turns:
            raise NotImplementedError("recent_states builds the states RulePolicy uses only")
        return recent_states(self._tracker, domain, self._turns)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RecentTurnsRulePolicy(RulePolicy):
    """RulePolicy predicting from the last turns only (see the module docstring)."""

    def window(self) -> int | None:
        """The number of states a prediction needs: the longest rule's, plus one (None before training)."""
        keys = [*self.lookup.get(RULES, {}), *self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
        return 1 + max(len(rasa_compat.rule_key_states(self, key)) for key in keys) if keys else None

    # A private hook of Rasa's Policy (rasa_compat.OVERRIDDEN_HOOKS): RulePolicy builds its states here.
    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        turns = self.window()
        # Training checks rules against the stories' trackers, which cache their states: only conversations
        # are cut to the window.
        if turns is not None and not isinstance(tracker, TrackerWithCachedStates):
            tracker = _RecentTurns(tracker, turns)  # type: ignore[assignment]
        return super()._prediction_states(tracker, domain, use_text_for_last_user_input, rule_only_data)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """RulePolicy's prediction, except action_listen instead of the fallback action right after it."""
        prediction = super().predict_action_probabilities(tracker, domain, rule_only_data, **kwargs)
        fallback = self.config["core_fallback_action_name"]
        if tracker.latest_action_name != fallback or prediction.max_confidence_index != domain.index_for_action(
            fallback
        ):
            return prediction
        listen = [0.0] * domain.num_actions
        listen[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return PolicyPrediction(listen, self.__class__.__name__, self.priority)
