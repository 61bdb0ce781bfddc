"""The console's retrain button: start_retrain runs the retrain detached, one at a time; retrain_status follows it.

Uses a copy of the training inputs with a stale generated flow file, so the run stops at its first check, in
seconds, without training (the gate and the training are tested in test_retrain_refuses_worse.py)."""

from __future__ import annotations

from pathlib import Path

from tests.retrain.conftest import copy_training_inputs
from tests.support.processes import wait_until
from training.retrain import retrain_status, start_retrain


def test_a_retrain_started_from_the_console_runs_once_and_reports_its_failure(tmp_path: Path) -> None:
    project = copy_training_inputs(tmp_path)
    generated = project / "domain" / "flows.generated.yml"
    generated.write_text(generated.read_text(encoding="utf-8") + "\n# edited by hand\n", encoding="utf-8")
    registry = tmp_path / "registry"
    assert retrain_status(project, registry).state == "idle"

    first = start_retrain(project, registry)
    assert first.state == "running" and first.started and first.log
    # A second press while it runs starts nothing: it shows the running retrain.
    second = start_retrain(project, registry)
    assert second.state in ("running", "failed") and second.started == first.started

    done = wait_until(
        lambda: (s := retrain_status(project, registry)).state != "running" and s, 120, "the retrain to end"
    )
    assert done.state == "failed" and done.finished and done.started == first.started
    assert done.reasons == ("流程生成文件已过期：domain/flows.generated.yml（请先运行 make flows）",)
    assert "结果：失败" in Path(first.log).read_text(encoding="utf-8")
    # Nothing was trained, nothing kept.
    assert not [p for p in registry.iterdir() if p.is_dir() and p.name != "runs"]
