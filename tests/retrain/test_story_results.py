"""How the retrain counts test stories from what `rasa test core --out DIR` writes (story_report.json and
failed_test_stories.yml, in Rasa 3.6's format)."""

from __future__ import annotations

import json
from pathlib import Path

from training.retrain import story_results

FAILED = """version: "3.1"
stories:
- story: FAQ about repair, then 那就办吧 starts the repair (/tmp/p/tests/stories/test_context.yml)
  steps:
  - intent: faq
  - action: utter_faq  # predicted: action_listen
"""


def test_failed_stories_are_counted_and_named_by_file(tmp_path: Path) -> None:
    report = {"conversation_accuracy": {"accuracy": 41 / 42, "correct": 41, "with_warnings": 0, "total": 42}}
    (tmp_path / "story_report.json").write_text(json.dumps(report))
    (tmp_path / "failed_test_stories.yml").write_text(FAILED, encoding="utf-8")
    assert story_results(tmp_path) == {
        "total": 42,
        "failed": 1,
        "failed_stories": ["FAQ about repair, then 那就办吧 starts the repair (test_context.yml)"],
    }


def test_all_passing(tmp_path: Path) -> None:
    report = {"conversation_accuracy": {"accuracy": 1.0, "correct": 42, "with_warnings": 0, "total": 42}}
    (tmp_path / "story_report.json").write_text(json.dumps(report))
    (tmp_path / "failed_test_stories.yml").write_text("# None of the test stories failed - all good!")
    assert story_results(tmp_path) == {"total": 42, "failed": 0, "failed_stories": []}


def test_no_report_means_no_story_run(tmp_path: Path) -> None:
    assert story_results(tmp_path) == {"total": 0, "failed": 0, "failed_stories": []}
