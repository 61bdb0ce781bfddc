"""A message that is nothing but an organisation's name answers "which entity?": intent ``inform``.

The classifiers are often unsure of a name typed alone (舒兰市法特镇中心卫生院, 「蛟河市老孙家豆腐坊」): it is no
sentence they learned, and every name is new. The labelling rule (data/nlu/inform.yml) and the forms agree that a name
alone informs the entity. When the classifiers were unsure (``nlu_fallback``), the intent becomes ``inform``: inside a
form the form takes the name at once instead of asking what was meant; outside one the assistant offers the query of
that name first (actions/disambiguation.py), as it did for the unsure message. A sure intent is left alone.

What counts as a name alone is the rule the actions apply (``named_alone`` in credit_backend/rules/org_names.py): no
service word, no punctuation inside, not a kind, a place or a nickname, and a name the NLU tagged whole or one that ends
like a name. Runs after the FallbackClassifier and the EntityCanonicalizer (which makes whole names of DIET's pieces).
Nothing here is trained: the rule applies to any model whose pipeline has this component.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from assistant_nlu.intent_rules import IntentRule
from credit_backend.rules.org_names import named_alone

INFORM = "inform"


def answers_a_name(intent: str | None, text: str, entities: list[dict[str, Any]]) -> bool:
    """Whether an unsure message is nothing but an organisation's name."""
    return intent == DEFAULT_NLU_FALLBACK_INTENT_NAME and named_alone(text, entities) is not None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NameAnswers(IntentRule):
    """Settles ``inform`` for an unsure message that is nothing but a name (see the module docstring)."""

    def settled(self, intent: str | None, message: Message) -> str | None:
        entities = message.get(ENTITIES) or []
        return INFORM if answers_a_name(intent, str(message.get(TEXT) or ""), entities) else None
