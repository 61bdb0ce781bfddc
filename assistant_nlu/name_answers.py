"""A message that is nothing but an organisation's name answers "which entity?": intent ``inform``.

The classifiers are often unsure of a name typed alone (舒兰市法特镇中心卫生院, 「蛟河市老孙家豆腐坊」): it is no
sentence they learned, and every name is new. The labelling rule (data/nlu/inform.yml) and the forms agree that a name
alone informs the entity. When the classifiers were unsure (``nlu_fallback``), or sure of an intent that asks for
no service (世纪烧烤店 taken as out of scope, 疾病预防控制中心 as a no, 吉林市政务服务中心 as a policy question: a
greeting, thanks, goodbye, yes, no, out of scope or FAQ, which a message that is only a name cannot be) when the NLU
also tagged the whole message as the name, the intent becomes ``inform``: inside a form the form takes the name at once
instead of asking what was meant; outside one the name's query starts (data/rules/conversation.yml). An intent that
asks for a service (a query, a binding, …) is left alone.

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
from credit_backend.rules.org_names import ORG_NAME, named_alone, tagged_names

INFORM = "inform"


#: Intents that ask for no service, which a message that is only a name cannot be (吉林市政务服务中心 is no policy
#: question).
ASKS_NOTHING = frozenset({"out_of_scope", "greet", "goodbye", "thank", "affirm", "deny", "faq"})


def answers_a_name(intent: str | None, text: str, entities: list[dict[str, Any]]) -> bool:
    """Whether a message that asks for nothing in particular is nothing but an organisation's name: for an unsure
    message, by ``named_alone``; against a sure intent, only a name the NLU also tagged whole (给我推荐一家火锅店 ends
    like a name and is no answer)."""
    name = named_alone(text, entities)
    if name is None:
        return False
    if intent == DEFAULT_NLU_FALLBACK_INTENT_NAME:
        return True
    return intent in ASKS_NOTHING and name in tagged_names(entities)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NameAnswers(IntentRule):
    """Settles ``inform`` for a message that is nothing but a name and asks for nothing else (module docstring)."""

    def settled(self, intent: str | None, message: Message) -> str | None:
        entities = message.get(ENTITIES) or []
        return INFORM if answers_a_name(intent, str(message.get(TEXT) or ""), entities) else None

    def completed(self, message: Message) -> None:
        """The whole message is the name: an ``org_name`` entity of it when the NLU tagged none (龙潭区孙姐饺子馆
        ends like a name), so the forms and the query take it as typed."""
        entities = message.get(ENTITIES) or []
        if any(e.get("entity") == ORG_NAME for e in entities):
            return
        text = str(message.get(TEXT) or "")
        name = named_alone(text, entities)
        if name is None:
            return
        start = max(text.find(name), 0)
        entity = {
            "entity": ORG_NAME,
            "value": name,
            "start": start,
            "end": start + len(name),
            "extractor": type(self).__name__,
        }
        message.set(ENTITIES, [*entities, entity], add_to_output=True)
