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

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE
from rasa.shared.nlu.training_data.message import Message

from assistant_nlu.codes import REPORT_NO, VERIFICATION_CODE
from assistant_nlu.intent_rules import IntentRule

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
class CodeIntents(IntentRule):
    """Sets the intent a message's codes settle (see the module docstring)."""

    def settled(self, intent: str | None, message: Message) -> str | None:
        return settled_intent(intent, {str(e.get(ENTITY_ATTRIBUTE_TYPE)) for e in message.get(ENTITIES) or []})
