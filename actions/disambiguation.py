"""What to offer when the NLU is unsure: its top two (or three) intents as buttons instead of a guess.

The FallbackClassifier (config.yml) turns a message whose best intent is below the threshold, or whose two best
intents are closer than the ambiguity threshold, into ``nlu_fallback`` and keeps the classifier's ranking after it.
Each offered intent becomes a button whose payload is that intent with the message's entities, so a tap continues
exactly as if the user had typed it; an FAQ question becomes its topic (``faq_topic``). A tap is a payload, not
typed text, so nothing is learned from it (the archive marks it untyped, and no training data is written here).

A message that is nothing but an organisation's name (永吉县老张烟酒商店) is mostly not understood as anything by
the classifier; it asks about that organisation, so the query of that name is offered first, whatever the intent.

Pure functions over the message's parse data (``tracker.latest_message``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from actions import flows, texts
from actions.faq import FAQ_INTENT, faq_payload, selected_topic
from actions.flows.labels import faq_title, intent_title
from credit_backend.rules.org_names import named_alone

FALLBACK_INTENT = "nlu_fallback"
QUERY_INTENT = "query_credit"
#: Entities a choice carries over from the message: a tap then continues with them, as typed ("查一下9122…").
CARRIED_ENTITIES = (
    "uscc",
    "org_name",
    "application_id",
    "report_no",
    "verification_code",
    "info_category",
    "commitment_type",
    "record_type",
)
#: Only intents the classifier ranked this high are offered (two, or three when the third is close).
CONSIDERED = 3
#: The third intent is offered when its confidence is at least this share of the second's.
THIRD_SHARE = 0.5
#: The ways out under the choices.
WAYS_OUT = [{"title": texts.NONE_OF_THESE, "payload": "/help"}, {"title": "转人工", "payload": "/human_handoff"}]


@dataclass(frozen=True)
class Choice:
    """One intent offered as a button."""

    title: str
    payload: str
    confidence: float


def payload(intent: str, entities: dict[str, str]) -> str:
    """``/intent{"entity":"value"}``: Rasa reads it as that intent with those entities (no NLU)."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def carried_entities(message: dict[str, Any]) -> dict[str, str]:
    """The message's entities that a choice carries (the first value of each)."""
    carried: dict[str, str] = {}
    for entity in message.get("entities") or []:
        name, value = entity.get("entity"), entity.get("value")
        if name in CARRIED_ENTITIES and isinstance(value, str) and value and name not in carried:
            carried[name] = value
    return carried


def choice_for(intent: str, confidence: float, message: dict[str, Any], remembered_form: str | None) -> Choice | None:
    """The button for one ranked intent, or None when it is not something a user asks for (greet, affirm, …)."""
    if intent == FAQ_INTENT:
        topic = selected_topic(message)
        title = faq_title(topic)
        return Choice(title, faq_payload(topic), confidence) if title and topic else None
    if intent == flows.START_THAT_SERVICE:
        flow = flows.flow_of(remembered_form)  # "那就办吧" means the service of the last FAQ answer
        return Choice(flow.title, f"/{flows.START_THAT_SERVICE}", confidence) if flow else None
    title = intent_title(intent)
    if title is None or intent == "help":  # help is the way out below the choices
        return None
    return Choice(title, payload(intent, carried_entities(message)), confidence)


def named_query(message: dict[str, Any]) -> Choice | None:
    """The query of the organisation the message names, when the message is nothing but its name."""
    name = named_alone(str(message.get("text") or ""), message.get("entities") or [])
    if name is None:
        return None
    return Choice(texts.QUERY_NAMED.format(name=name), payload(QUERY_INTENT, {"org_name": name}), 1.0)


def choices(message: dict[str, Any], remembered_form: str | None = None) -> list[Choice]:
    """The intents to offer for an unclear message (empty when the NLU was not unsure, or offered nothing usable);
    the query of a name said alone comes first, even when the NLU was sure of an intent no rule answers."""
    named = named_query(message)
    found: list[Choice] = [named] if named else []
    if ((message.get("intent") or {}).get("name")) != FALLBACK_INTENT:
        return found
    ranking = [item for item in message.get("intent_ranking") or [] if item.get("name") != FALLBACK_INTENT]
    if named:  # the named query already stands for the classifier's query
        ranking = [item for item in ranking if item.get("name") != QUERY_INTENT]
    for item in ranking[:CONSIDERED]:
        choice = choice_for(str(item.get("name")), float(item.get("confidence") or 0.0), message, remembered_form)
        if choice and all(choice.title != seen.title for seen in found):
            found.append(choice)
    del found[CONSIDERED:]
    if len(found) == 3 and found[2].confidence < THIRD_SHARE * found[1].confidence:
        found.pop()
    return found


def buttons(offered: list[Choice]) -> list[dict[str, str]]:
    """The choices, then the ways out (without repeating one that is already a choice)."""
    chosen = [{"title": c.title, "payload": c.payload} for c in offered]
    return chosen + [way for way in WAYS_OUT if way["payload"] not in {c.payload for c in offered}]
