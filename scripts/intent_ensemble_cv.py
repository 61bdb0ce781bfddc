"""Choose the linear models' n-gram range and C by cross-validation on the training data alone.

Run with the Rasa environment from the project root::

    .venv-rasa/bin/python scripts/intent_ensemble_cv.py [--folds 5] [--topics]

Reads data/nlu (text normalised as the pipeline does before the classifiers) and prints the mean accuracy of each
setting over stratified folds: of the intents (retrieval intents as their base intent), or with ``--topics`` of the
FAQ topics among the faq examples. The evaluation sets in tests/nlu are never read here: the settings of
assistant_nlu/intent_ensemble.py's two components in config.yml come from these tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant_nlu.codes import mask_codes  # noqa: E402
from assistant_nlu.intent_ensemble import LinearIntents, base_intent, masked_text  # noqa: E402
from assistant_nlu.text import normalize_text  # noqa: E402

NGRAM_RANGES = ("1-2", "1-3", "1-4")
CS = (5.0, 20.0, 50.0, 100.0, 200.0)
FAQ = "faq"


def main() -> None:
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.message import Message
    from sklearn.model_selection import StratifiedKFold

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--ngrams", nargs="+", default=NGRAM_RANGES, help="character n-gram ranges, as 1-3")
    parser.add_argument("--c", nargs="+", type=float, default=CS, help="inverse regularisation strengths")
    parser.add_argument("--topics", action="store_true", help="the FAQ topics of the faq examples, not the intents")
    args = parser.parse_args()
    examples = load_data(str(ROOT / "data/nlu")).intent_examples
    if args.topics:
        examples = [m for m in examples if m.get("intent") == FAQ and m.get("intent_response_key")]
    # As the pipeline gives the text to the linear model: normalised, codes masked, names one mark (same length).
    texts = [
        masked_text(Message(data={"text": mask_codes(normalize_text(m.get("text"))), "entities": m.get("entities")}))
        for m in examples
    ]
    intents = [m.get("intent_response_key") if args.topics else base_intent(m.get("intent")) for m in examples]
    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(texts, intents))
    print(f"{len(texts)} examples, {len(set(intents))} intents, {args.folds} folds")
    for ngrams in args.ngrams:
        low, high = (int(n) for n in ngrams.split("-"))
        for c in args.c:
            config = {"min_ngram": low, "max_ngram": high, "C": c, "random_seed": 42}
            right = 0
            for train, test in folds:
                model = LinearIntents.fit([texts[i] for i in train], [intents[i] for i in train], config)
                predicted = model.probabilities([texts[i] for i in test]).argmax(axis=1)
                right += sum(model.classes[p] == intents[i] for p, i in zip(predicted, test, strict=True))
            print(f"  n-grams {low}-{high}  C {c:>4}: accuracy {right / len(texts):.4f}", flush=True)


if __name__ == "__main__":
    main()
