"""The Rasa service's model loader (assistant_core/rasa_server.py ``load_for_inference``): the model it loads,
without Rasa's training step, parses every message exactly as the model of Rasa's own loader does."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.tensorflow.models import RasaModel

from assistant_core import rasa_server
from tests.core.support import MODEL, ROOT, run

HELD_OUT = ROOT / "tests" / "nlu" / "eval_personas.yml"  # messages written as businesses and staff write them


def parse(agent: Agent, text: str) -> dict[str, Any]:
    result = run(agent.parse_message(text))
    return {
        "intent": result["intent"],
        "ranking": result.get("intent_ranking"),
        "entities": [
            {key: entity.get(key) for key in ("entity", "value", "start", "end", "confidence_entity")}
            for entity in result.get("entities", [])
        ],
        "faq": (result.get("response_selector") or {}).get("faq", {}).get("ranking"),
    }


@pytest.fixture
def serving_agent(monkeypatch: pytest.MonkeyPatch) -> Agent:
    """The model loaded as the Rasa service loads it; Rasa's loader is back in place after the test."""
    monkeypatch.setattr(RasaModel, "load", RasaModel.__dict__["load"])
    monkeypatch.setattr(rasa_server, "RASA_LOAD", None)
    rasa_server.install_model_loader()
    assert RasaModel.__dict__["load"].__func__ is rasa_server.load_for_inference
    return Agent.load(str(MODEL))


def test_the_serving_loader_parses_exactly_as_rasas_loader(agent: Agent, serving_agent: Agent) -> None:
    texts = list(dict.fromkeys(m.get("text") for m in load_data(str(HELD_OUT)).training_examples))
    assert len(texts) > 300
    different = [t for t in texts if parse(agent, t) != parse(serving_agent, t)]
    assert different == [], f"{len(different)} of {len(texts)} messages parsed differently, e.g. {different[:3]}"
