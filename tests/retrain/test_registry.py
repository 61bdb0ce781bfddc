"""The model registry (training/registry.py) and `make rollback` (python -m training.retrain rollback)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.processes import ROOT
from training.registry import MODEL_FILE, Registry, RegistryError
from training.retrain import FAILED

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def add(registry: Registry, content: bytes, report: dict | None = None) -> str:
    """An entry as a retrain leaves it (a stand-in archive: the registry never opens it)."""
    model_id = registry.reserve()
    (registry.folder(model_id) / MODEL_FILE).write_bytes(content)
    if report is not None:
        registry.write_report(model_id, report)
    return model_id


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path, tmp_path / "registry")


def test_an_empty_registry_serves_the_model_of_make_train(tmp_path: Path, registry: Registry) -> None:
    assert registry.entries() == [] and registry.current() is None and registry.serving_path() is None
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "assistant.tar.gz").write_bytes(b"trained by make train")
    model_id, path = registry.serving_path()  # type: ignore[misc]
    assert path == tmp_path / "models" / "assistant.tar.gz" and model_id.startswith("service-")


def test_every_model_is_kept_newest_first_with_its_report(registry: Registry) -> None:
    first = add(registry, b"one", {"nlu": {"intent_accuracy": 0.9}})
    second = add(registry, b"two")
    registry.write_verdict(second, {"promote": False, "reasons": ["意图准确率 0.8 低于当前模型的 0.9"]})
    entries = registry.entries()
    assert [e.id for e in entries] == [second, first]
    assert entries[1].report == {"nlu": {"intent_accuracy": 0.9}} and entries[1].path.read_bytes() == b"one"
    assert entries[0].verdict == {"promote": False, "reasons": ["意图准确率 0.8 低于当前模型的 0.9"]}
    assert not any(e.current for e in entries)


def test_import_makes_the_first_model_current_and_promotion_moves_current(registry: Registry, tmp_path: Path) -> None:
    archive = tmp_path / "assistant.tar.gz"
    archive.write_bytes(b"in service")
    imported = registry.import_model(archive)
    assert registry.current_id() == imported and registry.entry(imported).origin == "imported"
    assert registry.serving_path() == (imported, registry.folder(imported) / MODEL_FILE)
    candidate = add(registry, b"better")
    entry = registry.promote(candidate)
    assert entry.current and registry.current_id() == candidate and registry.history() == [imported, candidate]
    # A second import (never happens in a retrain, which imports only into an empty registry) changes nothing.
    registry.import_model(archive)
    assert registry.current_id() == candidate


def test_rollback_goes_back_one_promotion_at_a_time(registry: Registry) -> None:
    a, b, c = (add(registry, bytes([i])) for i in range(3))
    for model_id in (a, b, c):
        registry.promote(model_id)
    assert registry.rollback().id == b and registry.current_id() == b
    assert registry.rollback().id == a and registry.current_id() == a
    with pytest.raises(RegistryError, match="没有可以回退到的上一个模型"):
        registry.rollback()
    assert registry.current_id() == a
    # Every model is still there, promoted or rolled back.
    assert {e.id for e in registry.entries()} == {a, b, c}


def test_an_unknown_model_cannot_be_promoted(registry: Registry) -> None:
    with pytest.raises(RegistryError, match="不在模型库中"):
        registry.promote("20260101-000000-dead")


def rollback(registry: Registry) -> subprocess.CompletedProcess[str]:
    """What `make rollback` runs, on this registry."""
    return subprocess.run(
        [str(RASA_PYTHON), "-m", "training.retrain", "rollback", "--registry", str(registry.directory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_rollback_returns_to_the_previous_model(registry: Registry) -> None:
    first, second = add(registry, b"first"), add(registry, b"second")
    registry.promote(first)
    registry.promote(second)
    done = rollback(registry)
    assert done.returncode == 0, done.stderr
    assert f"已回退到模型 {first}" in done.stdout
    assert registry.current_id() == first
    assert registry.serving_path() == (first, registry.folder(first) / MODEL_FILE)

    again = rollback(registry)
    assert again.returncode == FAILED
    assert "无法回退：没有可以回退到的上一个模型" in again.stderr
    assert registry.current_id() == first
