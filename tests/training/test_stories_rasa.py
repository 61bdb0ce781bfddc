"""A saved story replays: ``rasa test core --fail-on-prediction-errors`` (as ``make test-rasa`` runs it) against the
trained model in models/ passes on the stories save_story wrote. Runs in .venv-rasa (``-k rasa``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests.training.conversations import binding_conversation, chat_conversation
from training.stories import save_story

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "assistant.tar.gz"


def test_rasa_replays_the_saved_stories(tmp_path: Path):
    assert MODEL.exists(), "models/assistant.tar.gz is missing: run `make train` first"
    binding = binding_conversation(42)
    corrected = {binding.data["messages"][0]["id"]: "bind_entity"}  # the NLU took it for a query
    paths = [
        save_story(tmp_path, binding.data, "会话42：认证时输错一次验证码", corrected),
        save_story(tmp_path, chat_conversation(43).data, "会话43：问候与政策问答"),
    ]
    result = subprocess.run(
        [
            str(RASA),
            "test",
            "core",
            "--model",
            str(MODEL),
            "--stories",
            str(tmp_path / "tests/stories"),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path / "results"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = yaml.safe_load((tmp_path / "results" / "story_report.json").read_text(encoding="utf-8"))
    assert report["conversation_accuracy"]["correct"] == len(paths)
    assert report["conversation_accuracy"]["total"] == len(paths)
