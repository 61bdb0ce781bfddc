"""Choose the ensembles' weights and the FallbackClassifier's thresholds on a validation split of the training data,
never on the evaluation sets.

Run with the Rasa environment from the project root (trains the NLU pipeline once per seed, ~8 minutes each)::

    .venv-rasa/bin/python scripts/fallback_threshold.py [--split 0.8] [--seeds 7] [--weights 0.5]

Splits data/ (NLU examples and FAQ responses) into a training part and a validation part per intent, trains
config.yml's pipeline on the training part and parses the validation part twice: once with the weights of the
IntentEnsemble and the TopicEnsemble set to 0 (DIET's and the ResponseSelector's rankings alone) and once to 1 (the
linear models' alone). Each weight asked for is then the average of the two, as the components compute it. For each
weight it prints the FAQ topic accuracy among the validation part's faq examples, and for each weight and each pair
of thresholds (``threshold``, ``ambiguity_threshold``) the intent accuracy when a message below them counts as wrong
(it gets a clarifying question instead of an answer), the share of messages that would get one, and how many of those
the model would have answered wrongly (a question is worth asking where that share is high), then the same summed
over the seeds. The FallbackClassifier is trained with thresholds of 0 and the rules after it (CodeIntents,
NameAnswers, which settle a few messages whatever the weight) are left out, so the rankings are the classifiers' own.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant_nlu.intent_ensemble import IntentEnsemble, TopicEnsemble, averaged  # noqa: E402

THRESHOLDS = (0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6)
AMBIGUITIES = (0.0, 0.05, 0.1, 0.15)
FALLBACK = "nlu_fallback"

Ranking = list[tuple[str, float]]
#: (weight, threshold, ambiguity) → right answers, clarifying questions, wrong answers among those, messages; and
#: (weight, "topics") → FAQ topics right, (weight, "faq") → faq examples.
Tally = Counter[tuple[Any, ...]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", type=float, default=0.8, help="share of each intent's examples to train on")
    parser.add_argument("--seeds", type=int, nargs="+", default=[7], help="one split (and training) per seed")
    parser.add_argument("--weights", type=float, nargs="+", default=[0.5], help="the linear model's shares to try")
    args = parser.parse_args()
    total: Tally = Counter()
    for seed in args.seeds:
        tally = tally_split(args.split, seed, args.weights)
        print_table(tally, args.weights, f"seed {seed}")
        total.update(tally)
    if len(args.seeds) > 1:
        print_table(total, args.weights, f"seeds {' '.join(map(str, args.seeds))} together")


def tally_split(split: float, seed: int, weights: list[float]) -> Tally:
    """Trains on one split and counts, for every weight and pair of thresholds, how its validation part fares."""
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data/nlu")).merge(load_data(str(ROOT / "data/responses")))
    train, validation = data.train_test_split(train_frac=split, random_seed=seed)
    texts = [m.get("text") for m in validation.intent_examples]
    gold = [m.get("intent").split("/", 1)[0] for m in validation.intent_examples]
    topics = [m.get("intent_response_key") for m in validation.intent_examples]
    with tempfile.TemporaryDirectory(prefix="fallback-threshold-") as tmp:
        train_file = Path(tmp) / "nlu.yml"
        train.persist_nlu(str(train_file))
        config_file = Path(tmp) / "config.yml"
        write_config_without_fallback(config_file)
        model = train_nlu(str(config_file), str(train_file), tmp, domain=str(ROOT / "domain"))
        agent = Agent.load(model)
        ensembles = _ensembles(agent)
        for ensemble in ensembles:
            ensemble.config["weight"] = 0.0
        diet = asyncio.run(_rankings(agent, texts))
        for ensemble in ensembles:
            ensemble.config["weight"] = 1.0
        linear = asyncio.run(_rankings(agent, texts))
    print(f"seed {seed}: {len(train.intent_examples)} training / {len(gold)} validation examples")
    tally: Tally = Counter()
    for weight in weights:
        config = {**ensembles[0].config, "weight": weight}
        for (first, first_topics), (second, second_topics), intent, topic in zip(
            diet, linear, gold, topics, strict=True
        ):
            if topic:
                tally[(weight, "faq")] += 1
                tally[(weight, "topics")] += averaged(dict(first_topics), dict(second_topics), config)[0][0] == topic
            ranking = averaged(dict(first), dict(second), config)
            for threshold in THRESHOLDS:
                for ambiguity in AMBIGUITIES:
                    key = (weight, threshold, ambiguity)
                    tally[(*key, "messages")] += 1
                    top, runner_up = ranking[0], ranking[1] if len(ranking) > 1 else ("", 0.0)
                    if top[1] < threshold or top[1] - runner_up[1] < ambiguity:
                        tally[(*key, "clarified")] += 1
                        tally[(*key, "wrong clarified")] += top[0] != intent
                    else:
                        tally[(*key, "right")] += top[0] == intent
    return tally


def print_table(tally: Tally, weights: list[float], title: str) -> None:
    """Accuracy (questions count as wrong), share of questions, and the share of those that would have been wrong."""
    print(f"\n{title}\nFAQ topic accuracy by weight (of {tally[(weights[0], 'faq')]} faq examples):")
    for weight in weights:
        print(f"  {weight:4.2f}  {tally[(weight, 'topics')] / max(tally[(weight, 'faq')], 1):8.4f}")
    print("intents:\nweight  threshold  ambiguity  accuracy  clarified  wrong among clarified")
    for weight in weights:
        for threshold in THRESHOLDS:
            for ambiguity in AMBIGUITIES:
                key = (weight, threshold, ambiguity)
                messages, clarified = tally[(*key, "messages")], tally[(*key, "clarified")]
                wrong_share = tally[(*key, "wrong clarified")] / clarified if clarified else 0.0
                print(
                    f"  {weight:4.2f}  {threshold:9.2f}  {ambiguity:9.2f}  {tally[(*key, 'right')] / messages:8.4f}"
                    f"  {clarified / messages:9.4f}  {wrong_share:21.4f}"
                )


def write_config_without_fallback(target: Path) -> None:
    """config.yml with the FallbackClassifier's thresholds at 0 and without the rules after it: the rankings are the
    classifiers' own."""
    from rasa.shared.utils.io import read_yaml_file, write_yaml

    config = read_yaml_file(str(ROOT / "config.yml"))
    names = [component["name"] for component in config["pipeline"]]
    fallback = names.index("FallbackClassifier")
    config["pipeline"][fallback].update(threshold=0.0, ambiguity_threshold=0.0)
    del config["pipeline"][fallback + 1 :]
    write_yaml(config, target)


def _ensembles(agent: Any) -> tuple[IntentEnsemble, TopicEnsemble]:
    """The loaded model's IntentEnsemble and TopicEnsemble, whose weights are read at each parse."""
    nodes = agent.processor.graph_runner._instantiated_nodes  # Rasa 3.6 keeps the components on its graph nodes
    components = [node._component for node in nodes.values()]
    intents = [c for c in components if type(c) is IntentEnsemble]
    topics = [c for c in components if type(c) is TopicEnsemble]
    if len(intents) != 1 or len(topics) != 1:
        raise SystemExit("config.yml's pipeline needs one IntentEnsemble and one TopicEnsemble to weigh")
    return intents[0], topics[0]


async def _rankings(agent: Any, texts: list[str]) -> list[tuple[Ranking, Ranking]]:
    """Each text's intent ranking as the classifiers left it (without the fallback's own entry), and its FAQ topic
    ranking."""
    found = []
    for text in texts:
        parsed = await agent.parse_message(text)
        intents = [(r["name"], float(r["confidence"])) for r in parsed["intent_ranking"] if r["name"] != FALLBACK]
        selected = (parsed.get("response_selector") or {}).get("faq") or {}
        topics = [(r["intent_response_key"], float(r["confidence"])) for r in selected.get("ranking") or []]
        found.append((intents, topics))
    return found


if __name__ == "__main__":
    main()
