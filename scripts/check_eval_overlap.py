"""Check that no training example equals or nearly equals a held-out evaluation example.

Run with the Rasa environment from the project root::

    .venv-rasa/bin/python scripts/check_eval_overlap.py [--threshold 0.8]

Texts are compared after stripping entity annotations, normalising (full width → ASCII,
Traditional → Simplified, typo table), lower-casing and removing punctuation and spaces; the
similarity is difflib's ratio. A pair fails when the texts are equal, or when the similarity
reaches the threshold and both texts have at least MIN_CHARS characters (for two- to four-character
chit-chat such as 您好 / 喂，您好 a ratio says nothing about copying; those pairs are only listed).
Exit status 1 when a pair fails.
"""

from __future__ import annotations

import argparse
import re
import sys
from difflib import SequenceMatcher
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant_nlu.text import normalize_text  # noqa: E402

TRAIN = sorted((ROOT / "data/nlu").glob("*.yml"))
# Every held-out set: the NLU evaluation sets (eval_*.yml) and the task-start suite (task_start.yml).
EVAL = [*sorted((ROOT / "tests/nlu").glob("eval_*.yml")), ROOT / "tests/nlu/task_start.yml"]
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
MIN_CHARS = 5
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def examples(path: Path) -> list[tuple[str, str, str]]:
    """(intent, raw text, comparable text) of every example in a Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    result = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            text = _ANNOTATION.sub(r"\1", line[2:].strip())
            key = _NOISE.sub("", normalize_text(text).lower())
            result.append((block["intent"], text, key))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    train = [ex for path in TRAIN for ex in examples(path)]
    held_out = [ex for path in EVAL for ex in examples(path)]
    hits = 0
    short = 0
    for e_intent, e_text, e_key in held_out:
        for t_intent, t_text, t_key in train:
            if not e_key or not t_key:
                continue
            matcher = SequenceMatcher(None, e_key, t_key, autojunk=False)
            if matcher.real_quick_ratio() < args.threshold or matcher.quick_ratio() < args.threshold:
                continue
            ratio = matcher.ratio()
            if ratio >= args.threshold:
                fails = e_key == t_key or min(len(e_key), len(t_key)) >= MIN_CHARS
                hits += fails
                short += not fails
                mark = "FAIL" if fails else "short"
                print(f"{mark:5s} {ratio:.2f}  eval [{e_intent}] {e_text}  ~  train [{t_intent}] {t_text}")
    print(
        f"{len(train)} training / {len(held_out)} evaluation examples; {hits} failing pairs, {short} short pairs listed only (similarity ≥ {args.threshold})"
    )
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
