"""When the held-out sets change after the model in service was evaluated, its stored figures no longer compare with
a candidate's: the retrain measures the model in service again, on today's sets, before it judges."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.retrain.conftest import RASA_PYTHON, SERVICE_MODEL, Retrained
from tests.support.processes import ROOT
from training.registry import Registry
from training.retrain import held_out_fingerprint

ADDED = "\n- intent: greet\n  examples: |\n    - 各位老师早上好呀\n"
# The retrain's step that finds the model in service and its report, run as `make retrain` runs it (in .venv-rasa).
BASELINE = """
import sys
from pathlib import Path
from training.registry import Registry
from training.retrain import Run
project, registry, model, log = map(Path, sys.argv[1:])
print("baseline:", Run(project, Registry(project, registry), log, "2026-11-30T00:00:00+00:00").baseline(model))
"""


def baseline(project: Path, registry: Registry, log: Path) -> str:
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", BASELINE, str(project), str(registry.directory), str(SERVICE_MODEL), str(log)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, (
        f"{done.stdout}\n{done.stderr}\n{log.read_text(encoding='utf-8') if log.exists() else ''}"
    )
    return done.stdout


def test_a_baseline_measured_on_other_sets_is_measured_again(retrained: Retrained, tmp_path: Path) -> None:
    # Copies: the session's registry and project stay as the other tests of the suite expect them.
    project = tmp_path / "project"
    shutil.copytree(retrained.registry.root, project)
    registry = Registry(project, tmp_path / "registry")
    shutil.copytree(retrained.registry.directory, registry.directory)
    service = registry.current()
    assert service is not None and service.report is not None
    assert service.report["held_out"] == held_out_fingerprint(project)
    log = tmp_path / "retrain.log"

    out = baseline(project, registry, log)  # the same sets: the stored report stands
    assert f"baseline: {service.id}" in out and "重新评测" not in out
    assert registry.entry(service.id).report == service.report

    eval_set = project / "tests" / "nlu" / "eval_intents.yml"
    eval_set.write_text(eval_set.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    out = baseline(project, registry, log)
    assert f"评测集或测试对话已变更：重新评测当前在用的模型 {service.id}" in out and f"baseline: {service.id}" in out
    report = registry.entry(service.id).report
    assert report is not None and report["held_out"] == held_out_fingerprint(project) != service.report["held_out"]
    assert report["nlu"]["examples"] == service.report["nlu"]["examples"] + 1
