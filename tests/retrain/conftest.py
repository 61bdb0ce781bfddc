"""The one training run of the suite: the real retrain command on a copy of the training inputs with most examples
of two intents removed and one admin's correction annotated in (``training.annotate``, as the console writes it),
into a registry of its own (session-scoped: the promotion test reuses its models).

The copy also trains DIET and the ResponseSelector for TRAINING_EPOCHS instead of config.yml's 60: a quarter of
the suite's longest step on two cores; the model stays good enough to hold the promotion test's conversations."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.processes import ROOT
from training.annotate import Annotation, Outcome, annotate
from training.registry import Registry

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
SERVICE_MODEL = ROOT / "models" / "assistant.tar.gz"
# Intents the promotion test's conversations never use (they query, issue and verify reports, and greet).
WEAKENED = ("subscribe_reminders", "unsubscribe_reminders")
KEPT_EXAMPLES = 2  # `rasa data validate --fail-on-warnings` refuses an intent without examples
TRAINING_EPOCHS = 15
# The held-out set the suite's retrain evaluates (four times: the model in service, the candidate, and the model in
# service again in two runs of the stale-baseline test): it holds every intent, the weakened ones too, and every
# code entity the gate checks. The other five sets would make each evaluation ~1,300 examples longer and change
# nothing the suite checks; `make test-rasa` measures all of them on the model in service.
HELD_OUT = ("eval_intents.yml",)
# An admin's correction of a message the model of `make train` gets wrong (colloquial "can that black mark be
# wiped off?", taken as inform or fallback): the retrained model must take it as a repair, from this one example.
TAUGHT = Annotation(
    text="那条黑记录能抹了不",
    intent="apply_repair",
    faq_topic=None,
    entities=(),
    source="retrain test: conversation 1 message 1 (tg), annotated by admin01",
    annotator="admin01",
)


@dataclass(frozen=True)
class Retrained:
    registry: Registry
    result: subprocess.CompletedProcess[str]
    seconds: float
    taught: Outcome  # TAUGHT, annotated into the copy before the training


_NOT_DATA = shutil.ignore_patterns("*.py", "__pycache__")


def left_out(folder: str, names: list[str]) -> set[str]:
    """What the copy leaves out: Python files, and the held-out sets besides HELD_OUT."""
    held_out_elsewhere = {n for n in names if n.startswith("eval_") and n.endswith(".yml") and n not in HELD_OUT}
    return set(_NOT_DATA(folder, names)) | held_out_elsewhere


def copy_training_inputs(target: Path) -> Path:
    """config.yml, domain/, data/, tests/nlu/ (of its held-out sets HELD_OUT only) and tests/stories/ (assistant_nlu
    is imported from the repo)."""
    shutil.copy2(ROOT / "config.yml", target / "config.yml")
    for folder in ("domain", "data", "tests/nlu", "tests/stories"):
        shutil.copytree(ROOT / folder, target / folder, ignore=left_out)
    return target


def weaken(project: Path) -> None:
    """Keeps KEPT_EXAMPLES examples of each WEAKENED intent (in data/nlu/services.yml; its examples in every other
    file are dropped: the linear model of the intent ensemble learns an intent well from the dozens that would be
    left there); TRAINING_EPOCHS."""
    config = project / "config.yml"
    text, edits = re.subn(r"(?m)^(    epochs: )\d+$", rf"\g<1>{TRAINING_EPOCHS}", config.read_text(encoding="utf-8"))
    assert edits >= 2, "config.yml no longer sets the epochs of DIET and the ResponseSelector"
    config.write_text(text, encoding="utf-8")
    kept = 0
    for path in sorted((project / "data" / "nlu").glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        blocks = content.get("nlu") or []
        weakened = [block for block in blocks if block.get("intent") in WEAKENED]
        if not weakened:
            continue
        if path.name == "services.yml":
            for block in weakened:
                lines = [line for line in block["examples"].splitlines() if line.strip()]
                assert len(lines) > 10, f"{block['intent']} has too few examples to weaken"
                block["examples"] = "\n".join(lines[:KEPT_EXAMPLES]) + "\n"
                kept += 1
        else:
            content["nlu"] = [block for block in blocks if block.get("intent") not in WEAKENED]
        path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert kept == len(WEAKENED), "data/nlu/services.yml no longer holds the weakened intents"


@pytest.fixture(scope="session")
def retrained(tmp_path_factory: pytest.TempPathFactory) -> Retrained:
    """`make retrain`'s command on the weakened copy; the registry starts empty, so the retrain first imports
    and evaluates models/assistant.tar.gz (the model in service), then trains, evaluates and gates the candidate."""
    if not SERVICE_MODEL.exists():
        pytest.fail(f"{SERVICE_MODEL} is missing: run `make train` first")
    tmp = tmp_path_factory.mktemp("retrain")
    (tmp / "project").mkdir()
    project = copy_training_inputs(tmp / "project")
    weaken(project)
    taught = annotate(project, TAUGHT)
    assert taught.status == "written", taught.message
    registry = Registry(project, tmp / "registry")
    started = time.monotonic()
    result = subprocess.run(
        [
            str(RASA_PYTHON), "-m", "training.retrain", "run",
            "--project-root", str(project), "--registry", str(registry.directory),
            "--service-model", str(SERVICE_MODEL),
        ],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=3600,
    )  # fmt: skip
    return Retrained(registry, result, time.monotonic() - started, taught)
