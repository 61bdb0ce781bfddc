"""Choose the linear models' n-gram range and C by cross-validation on the training data alone.

Run with the Rasa environment from the project root::

    .venv-rasa/bin/python scripts/intent_ensemble_cv.py [--folds 5 | --by-file] [--topics] [--pinyin 0 2]
        [--class-weight none balanced] [--homophones]

Reads data/nlu (text normalised as the pipeline does before the classifiers) and prints the mean accuracy of each
setting over stratified folds: of the intents (retrieval intents as their base intent), or with ``--topics`` of the
FAQ topics among the faq examples. With ``--by-file`` each fold is one file of data/nlu (leave one file out): the
files were written by different hands from different briefs, so a setting is scored on phrasing the model was not
shaped on, where shuffled folds score it on the neighbours of the training sentences (it is still the project's data:
the balanced class weights it favoured lost on the held-out sets, see config.yml). With ``--homophones`` also the
accuracy on the held-out folds with one Han character of each example replaced by a common character of the same
toneless reading (chosen at random among the characters of jieba's frequent words), as a pinyin input method or
voice input gets it wrong. The evaluation sets in
tests/nlu are never read here: the settings of assistant_nlu/intent_ensemble.py's two components in config.yml come
from these tables.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant_nlu.codes import mask_codes  # noqa: E402
from assistant_nlu.intent_ensemble import LinearIntents, base_intent, masked_text  # noqa: E402
from assistant_nlu.pinyin import character_readings  # noqa: E402
from assistant_nlu.text import normalize_text  # noqa: E402

NGRAM_RANGES = ("1-2", "1-3", "1-4")
CS = (5.0, 20.0, 50.0, 100.0, 200.0)
FAQ = "faq"
HAN = re.compile(r"[\u4e00-\u9fff]")
COMMON_WORD_FREQUENCY = 2000  # jieba's dictionary: the words this frequent give the common characters


def homophone_typist(seed: int = 1) -> Callable[[str], str]:
    """A function that replaces one Han character of a text (at random) by a common one read the same way."""
    import jieba

    readings = character_readings()
    common: set[str] = set()
    with (Path(jieba.__file__).parent / "dict.txt").open(encoding="utf-8") as dictionary:
        for line in dictionary:
            word, frequency, *_ = line.split()
            if int(frequency) >= COMMON_WORD_FREQUENCY:
                common.update(ch for ch in word if HAN.match(ch))
    same_reading: dict[str, list[str]] = defaultdict(list)
    for ch in sorted(common):
        if ch in readings:
            same_reading[readings[ch]].append(ch)
    rng = random.Random(seed)

    def mistype(text: str) -> str:
        positions = [i for i, ch in enumerate(text) if HAN.match(ch)]
        rng.shuffle(positions)
        for i in positions:
            others = [ch for ch in same_reading.get(readings.get(text[i], ""), []) if ch != text[i]]
            if others:
                return text[:i] + rng.choice(others) + text[i + 1 :]
        return text

    return mistype


def main() -> None:
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.message import Message
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--ngrams", nargs="+", default=NGRAM_RANGES, help="character n-gram ranges, as 1-3")
    parser.add_argument("--c", nargs="+", type=float, default=CS, help="inverse regularisation strengths")
    parser.add_argument("--topics", action="store_true", help="the FAQ topics of the faq examples, not the intents")
    parser.add_argument(
        "--pinyin", nargs="+", type=int, default=(2,), help="longest n-grams of pinyin syllables read (0: none)"
    )
    parser.add_argument(
        "--class-weight", nargs="+", default=("none",), help="none (as written) or balanced (each label alike)"
    )
    parser.add_argument("--by-file", action="store_true", help="leave one file of data/nlu out per fold")
    parser.add_argument("--homophones", action="store_true", help="also score the folds with one homophone typed")
    args = parser.parse_args()
    examples, files = [], []
    for path in sorted((ROOT / "data/nlu").glob("*.yml")):
        loaded = load_data(str(path)).intent_examples
        if args.topics:
            loaded = [m for m in loaded if m.get("intent") == FAQ and m.get("intent_response_key")]
        examples += loaded
        files += [path.stem] * len(loaded)
    # As the pipeline gives the text to the linear model: normalised, codes masked, names one mark (same length).
    texts = [
        masked_text(Message(data={"text": mask_codes(normalize_text(m.get("text"))), "entities": m.get("entities")}))
        for m in examples
    ]
    intents = [m.get("intent_response_key") if args.topics else base_intent(m.get("intent")) for m in examples]
    if args.by_file:
        folds = list(LeaveOneGroupOut().split(texts, intents, groups=files))
    else:
        folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(texts, intents))
    mistype = homophone_typist() if args.homophones else None
    mistyped = [mistype(t) for t in texts] if mistype else []
    print(f"{len(texts)} examples, {len(set(intents))} intents, {len(folds)} folds")
    for ngrams in args.ngrams:
        low, high = (int(n) for n in ngrams.split("-"))
        for pinyin in args.pinyin:
            for c, weighting in itertools.product(args.c, args.class_weight):
                config = {
                    "min_ngram": low,
                    "max_ngram": high,
                    "pinyin_max_ngram": pinyin,
                    "C": c,
                    "class_weight": None if weighting == "none" else weighting,
                    "random_seed": 42,
                }
                right = right_mistyped = 0
                for train, test in folds:
                    model = LinearIntents.fit([texts[i] for i in train], [intents[i] for i in train], config)
                    right += _right(model, [texts[i] for i in test], [intents[i] for i in test])
                    if mistyped:
                        right_mistyped += _right(model, [mistyped[i] for i in test], [intents[i] for i in test])
                line = f"  n-grams {low}-{high}  pinyin {pinyin}  C {c:>5}  {weighting:>8}: accuracy {right / len(texts):.4f}"
                if mistyped:
                    line += f"  with a homophone {right_mistyped / len(texts):.4f}"
                print(line, flush=True)


def _right(model: LinearIntents, texts: list[str], labels: list[str]) -> int:
    predicted = model.probabilities(texts).argmax(axis=1)
    return sum(model.classes[p] == label for p, label in zip(predicted, labels, strict=True))


if __name__ == "__main__":
    main()
