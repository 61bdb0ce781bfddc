"""Choose the FallbackClassifier's thresholds on a validation split of the training data, never on the evaluation sets.

Run with the Rasa environment from the project root (trains the NLU pipeline once, ~6 minutes)::

    .venv-rasa/bin/python scripts/fallback_threshold.py [--split 0.8] [--seed 7]

Splits data/ (NLU examples and FAQ responses) into a training part and a validation part per intent, trains
config.yml's pipeline on the training part, parses the validation part and prints, for each pair of thresholds
(``threshold``, ``ambiguity_threshold``), the intent accuracy when a message below them counts as wrong (it gets a
clarifying question instead of an answer), the share of messages that would get one, and how many of those the
model would have answered wrongly: a question is worth asking where that share is high.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THRESHOLDS = (0.2, 0.3, 0.4, 0.45, 0.5, 0.55)
AMBIGUITIES = (0.0, 0.05, 0.1)
FALLBACK = "nlu_fallback"


def main() -> None:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.loading import load_data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", type=float, default=0.8, help="share of each intent's examples to train on")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    data = load_data(str(ROOT / "data/nlu")).merge(load_data(str(ROOT / "data/responses")))
    train, validation = data.train_test_split(train_frac=args.split, random_seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="fallback-threshold-") as tmp:
        train_file = Path(tmp) / "nlu.yml"
        train.persist_nlu(str(train_file))
        model = train_nlu(str(ROOT / "config.yml"), str(train_file), tmp, domain=str(ROOT / "domain"))
        agent = Agent.load(model)
        rankings = asyncio.run(_rankings(agent, [m.get("text") for m in validation.intent_examples]))
    gold = [m.get("intent").split("/", 1)[0] for m in validation.intent_examples]
    print(f"{len(train.intent_examples)} training / {len(gold)} validation examples (seed {args.seed})")
    print("threshold  ambiguity  accuracy  clarified  wrong among clarified")
    for threshold in THRESHOLDS:
        for ambiguity in AMBIGUITIES:
            right = clarified = wrong_clarified = 0
            for ranking, intent in zip(rankings, gold, strict=True):
                top, second = ranking[0], ranking[1] if len(ranking) > 1 else ("", 0.0)
                if top[1] < threshold or top[1] - second[1] < ambiguity:
                    clarified += 1
                    wrong_clarified += top[0] != intent
                else:
                    right += top[0] == intent
            wrong_share = wrong_clarified / clarified if clarified else 0.0
            print(
                f"  {threshold:7.2f}  {ambiguity:9.2f}  {right / len(gold):8.4f}  {clarified / len(gold):9.4f}"
                f"  {wrong_share:21.4f}"
            )


async def _rankings(agent: object, texts: list[str]) -> list[list[tuple[str, float]]]:
    """Each text's intent ranking as the classifiers left it, without the fallback's own entry."""
    found = []
    for text in texts:
        parsed = await agent.parse_message(text)  # type: ignore[attr-defined]
        ranking = [(r["name"], float(r["confidence"])) for r in parsed["intent_ranking"] if r["name"] != FALLBACK]
        found.append(ranking)
    return found


if __name__ == "__main__":
    main()
