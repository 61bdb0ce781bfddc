"""Intents the codes of a message settle when the classifiers could not.

A message that carries a credit report number and a verification code can only be about verifying that report:
nothing else the assistant offers takes a verification code. When the classifiers were unsure (the
FallbackClassifier's ``nlu_fallback``: low confidence or two intents too close) or took the message for an FAQ
question (编号… 核验码… 这个怎么核验), the user is not asked what they meant, nor told how verification works: the
verification starts with both values filled.

Runs after the FallbackClassifier and the EntityCanonicalizer (which finds the codes with the backend's own
patterns). Nothing here is trained: the rule applies to any model whose pipeline has this component.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

from assistant_nlu.codes import REPORT_NO, VERIFICATION_CODE
from assistant_nlu.component import ProjectComponent

VERIFY_REPORT = "verify_report"
FAQ = "faq"
# What the classifiers may have said for the rule to decide instead: unsure, or a question about the service.
UNDECIDED = frozenset({DEFAULT_NLU_FALLBACK_INTENT_NAME, FAQ})


def settled_intent(intent: str | None, entity_types: set[str]) -> str | None:
    """The intent the codes settle (None: the classifiers' intent stands)."""
    if intent in UNDECIDED and {REPORT_NO, VERIFICATION_CODE} <= entity_types:
        return VERIFY_REPORT
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CodeIntents(ProjectComponent):
    """Sets the intent a message's codes settle (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options."""
        return {}

    def process(self, messages: list[Message]) -> list[Message]:
        """Rewrites the intent of each message whose codes settle it; its ranking keeps the classifiers' order."""
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            types = {str(e.get(ENTITY_ATTRIBUTE_TYPE)) for e in message.get(ENTITIES) or []}
            settled = settled_intent(intent, types)
            if settled is not None:
                settle(message, settled)
        return messages


def settle(message: Message, intent: str) -> None:
    """Gives ``message`` the intent a rule settled, with full confidence, first in its ranking (the classifiers'
    other intents after it, in their order; no nlu_fallback)."""
    message.set(INTENT, {"name": intent, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
    ranking = message.get(INTENT_RANKING_KEY) or []
    kept = [item for item in ranking if item.get("name") not in (intent, DEFAULT_NLU_FALLBACK_INTENT_NAME)]
    message.set(INTENT_RANKING_KEY, [{"name": intent, PREDICTED_CONFIDENCE_KEY: 1.0}, *kept], add_to_output=True)
