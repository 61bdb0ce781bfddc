"""An admin's correction, written into the training data by ``training.annotate``, is learned: the model of the
real retrain classifies the annotated message as the admin said, where the model of `make train` did not."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import yaml

from tests.retrain.conftest import RASA_PYTHON, SERVICE_MODEL, TAUGHT, Retrained
from tests.support.processes import ROOT

# scripts/nlu_eval.py's parser (the model's NLU graph, as Rasa runs it), one JSON line per model.
PARSE = """
import json, sys
from pathlib import Path
sys.path.insert(0, "scripts")
from nlu_eval import _quiet, load_agent, parse_all
_quiet()
text = sys.argv[1]
for model in sys.argv[2:]:
    [prediction] = parse_all(load_agent(Path(model)), [text])
    print(json.dumps({"model": model, "intent": prediction.intent, "raw": prediction.raw_intent,
                      "confidence": prediction.confidence}))
"""


def parse(text: str, *models: Path) -> list[dict[str, object]]:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", PARSE, text, *map(str, models)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def examples_per_file(project: Path, intent: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in sorted((project / "data").rglob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if block.get("intent") == intent:
                counts[str(path.relative_to(project))] += len(block["examples"].strip().splitlines())
    return counts


def test_an_annotated_message_is_classified_as_taught_by_the_retrained_model(retrained: Retrained) -> None:
    registry, taught = retrained.registry, retrained.taught
    assert retrained.result.returncode != 1, f"the retrain failed:\n{retrained.result.stdout}"
    # It landed in the file that holds most examples of its intent, with where it came from.
    counts = examples_per_file(registry.root, TAUGHT.intent)
    assert taught.path == counts.most_common(1)[0][0], (taught.path, counts)
    written = (registry.root / str(taught.path)).read_text(encoding="utf-8")
    assert f"- {TAUGHT.text}" in written and TAUGHT.source in written

    candidate = registry.entries()[0]  # newest first: the model trained on the annotated data
    assert candidate.origin == "trained"
    before, after = parse(TAUGHT.text, SERVICE_MODEL, candidate.path)
    print(f"{TAUGHT.text}: make train's model {before}, retrained {after}")
    assert before["raw"] != TAUGHT.intent, (
        f"the model of `make train` already takes {TAUGHT.text!r} as {TAUGHT.intent}: choose a message that "
        "data/ does not teach, so this test shows what the annotation taught"
    )
    assert after["intent"] == TAUGHT.intent, after
