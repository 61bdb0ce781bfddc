"""What the rules that settle an intent share: a component that, after the classifiers, gives a message the intent a
rule of its own settles (assistant_nlu/code_intents.py, assistant_nlu/name_answers.py). Nothing in them is trained:
a rule applies to any model whose pipeline has its component."""

from __future__ import annotations

from typing import Any

from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from assistant_nlu.component import ProjectComponent


def settle(message: Message, intent: str) -> None:
    """Gives ``message`` the intent a rule settled, with full confidence, first in its ranking (the classifiers'
    other intents after it, in their order; no nlu_fallback)."""
    message.set(INTENT, {"name": intent, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
    ranking = message.get(INTENT_RANKING_KEY) or []
    kept = [item for item in ranking if item.get("name") not in (intent, DEFAULT_NLU_FALLBACK_INTENT_NAME)]
    message.set(INTENT_RANKING_KEY, [{"name": intent, PREDICTED_CONFIDENCE_KEY: 1.0}, *kept], add_to_output=True)


class IntentRule(ProjectComponent):
    """Settles the intent ``settled`` returns for a message (None: the classifiers' intent stands)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options."""
        return {}

    def settled(self, intent: str | None, message: Message) -> str | None:
        raise NotImplementedError

    def completed(self, message: Message) -> None:
        """Adds what else a message whose intent was settled needs (nothing, unless a rule says so)."""

    def process(self, messages: list[Message]) -> list[Message]:
        """Rewrites the intent of each message the rule settles; its ranking keeps the classifiers' order."""
        for message in messages:
            settled = self.settled((message.get(INTENT) or {}).get("name"), message)
            if settled is not None:
                settle(message, settled)
                self.completed(message)
        return messages
