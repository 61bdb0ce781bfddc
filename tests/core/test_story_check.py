"""The test stories as `make test-rasa` and the retrain run them (scripts/nlu_eval.py ``run_stories``: Rasa's own story
test, with the model the NLU evaluation loaded): a story the model does not follow is counted as failed and written to
failed_test_stories.yml. (The project's stories themselves run where they are checked: `make test-rasa`'s
nlu_eval.py --stories --check, and the retrain's gate.)"""

from __future__ import annotations

import sys
from pathlib import Path

from rasa.core.agent import Agent

from tests.core.support import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from nlu_eval import run_stories

WRONG = """version: "3.1"
stories:
- story: a greeting answered with goodbye
  steps:
  - intent: greet
  - action: utter_goodbye
- story: a greeting answered with a greeting
  steps:
  - intent: greet
  - action: utter_greet
"""


def test_a_story_the_model_does_not_follow_is_counted_failed(agent: Agent, tmp_path: Path) -> None:
    stories = tmp_path / "stories.yml"
    stories.write_text(WRONG, encoding="utf-8")
    assert run_stories(agent, stories, tmp_path / "out") == (2, 1)
    assert "a greeting answered with goodbye" in (tmp_path / "out" / "failed_test_stories.yml").read_text("utf-8")
