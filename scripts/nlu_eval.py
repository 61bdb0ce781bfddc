"""Evaluate a trained Rasa NLU model on the held-out sets in tests/nlu/.

Run with the Rasa environment from the project root::

    .venv-rasa/bin/python scripts/nlu_eval.py [--model models/xxx.tar.gz] [--json out.json] [--check]

Loads the model in-process (``Agent.load``) and parses the examples in batches through the model's
NLU graph. Prints, for each evaluation set and for all of them together, intent accuracy and
macro-F1 (``faq`` counted as one intent), FAQ topic accuracy from the response selector and entity
F1 per type (an entity is correct when type and canonical value match); then the details of all
sets together (per intent, per entity, the most frequent confusions, the errors). The goals of
issue 13: intent accuracy ≥ 0.96 on each set, ``uscc`` and ``application_id`` F1 = 1.0, ``org_name``
F1 ≥ 0.90 (all sets together). With ``--check`` the exit status is 1 when a set's intent accuracy is
below the bar (``--min-intent-accuracy``, default the goal) or a code's F1 below 1.0. ``--stories DIR`` also runs
the test stories with the model already loaded (Rasa's own ``rasa test core``, reports in ``--stories-out``), and
``--check`` then fails on a failed story: one model load instead of two (about a minute each on a slow machine).

The sets (every tests/nlu/eval_*.yml): eval_intents.yml and eval_faq.yml, written intent by intent,
eval_personas.yml, written persona by persona, and eval_scenarios.yml, written scenario by scenario from the
policy's items by a hand that had seen neither the training data nor the other sets (see their headers);
scripts/check_eval_overlap.py keeps them apart from the training data.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Every held-out NLU set is a tests/nlu/eval_*.yml (scripts/check_eval_overlap.py and training/retrain.py read the same).
DEFAULT_FILES = tuple(sorted((ROOT / "tests/nlu").glob("eval_*.yml")))
GOAL_INTENT_ACCURACY = 0.96  # on each set
GOAL_CODE_F1 = 1.0  # uscc and application_id
CODE_ENTITIES = ("uscc", "application_id")
GOAL_ORG_NAME_F1 = 0.90
RETRIEVAL_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"
BATCH_SIZE = 64
HIGHLIGHTED_ENTITIES = ("uscc", "application_id", "report_no", "verification_code")


@dataclass
class Example:
    """One held-out example with its gold labels."""

    source: str
    text: str
    intent: str
    topic: str | None
    entities: list[tuple[str, str]]
    # False for files without any entity annotation (eval_faq.yml): no gold standard for entities.
    score_entities: bool = True


@dataclass
class Prediction:
    """What the model said about one example."""

    intent: str
    confidence: float
    # Best intent other than nlu_fallback (what the classifier said before the FallbackClassifier).
    raw_intent: str
    topic: str | None
    entities: list[tuple[str, str]]


@dataclass
class Counts:
    """True positives, false positives and false negatives of one label."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def scores(self) -> dict[str, float]:
        """Precision, recall and F1 (0 when undefined)."""
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "support": self.tp + self.fn}


@dataclass
class Report:
    """All figures of one evaluation run."""

    figures: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _quiet() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    warnings.filterwarnings("ignore")
    import jieba
    import structlog

    jieba.setLogLevel(logging.ERROR)
    # Rasa's structured log (the rule policy's states at every prediction of the test stories): warnings only.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for name in ("rasa", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


def newest_model(models_dir: Path) -> Path:
    """The most recently modified ``*.tar.gz`` in ``models_dir``."""
    candidates = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise SystemExit(f"no trained model in {models_dir}; run `rasa train nlu` first")
    return candidates[-1]


def canonical_entity(entity: str, value: str) -> str:
    """Value used for comparison: canonical codes, normalised text for everything else."""
    from assistant_nlu.codes import CODE_TYPES, canonical_value
    from assistant_nlu.text import normalize_text

    if entity in CODE_TYPES:
        return canonical_value(entity, value)
    return normalize_text(str(value)).strip()


def load_examples(paths: list[Path]) -> list[Example]:
    """Examples of Rasa NLU YAML files; ``faq/<topic>`` intents keep the topic separately."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: list[Example] = []
    for path in paths:
        if not path.is_file():
            raise SystemExit(f"evaluation file not found: {path}")
        data = load_data(str(path))
        annotated = any(message.get("entities") for message in data.intent_examples)
        for message in data.intent_examples:
            full_intent = message.get("intent_response_key") or message.get("intent")
            intent, _, topic = str(full_intent).partition("/")
            entities = [
                (e["entity"], canonical_entity(e["entity"], str(e["value"]))) for e in message.get("entities") or []
            ]
            examples.append(Example(path.name, message.get("text"), intent, topic or None, entities, annotated))
    return examples


def load_agent(model_path: Path) -> Any:
    """The Rasa agent of ``model_path`` (its NLU graph for the sets, its policies for the test stories)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    if agent.processor is None:
        raise SystemExit(f"could not load a model from {model_path}")
    return agent


def parse_all(agent: Any, texts: list[str]) -> list[Prediction]:
    """Parse ``texts`` in batches through the agent's NLU graph."""
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = agent.processor
    target = processor.model_metadata.nlu_target
    tracker = DialogueStateTracker("nlu_eval", [])
    predictions: list[Prediction] = []
    for offset in range(0, len(texts), BATCH_SIZE):
        batch = [UserMessage(text) for text in texts[offset : offset + BATCH_SIZE]]
        results = processor.graph_runner.run(
            inputs={PLACEHOLDER_MESSAGE: batch, PLACEHOLDER_TRACKER: tracker}, targets=[target]
        )
        for message in results[target]:
            predictions.append(_prediction(message.as_dict(only_output_properties=True)))
    return predictions


def run_stories(agent: Any, stories: Path, out: Path) -> tuple[int, int]:
    """``rasa test core`` with the agent already loaded (one model load for the sets and the stories): writes
    ``story_report.json`` and ``failed_test_stories.yml`` to ``out``; returns (stories, failed)."""
    import asyncio

    from rasa.core.test import test

    out.mkdir(parents=True, exist_ok=True)
    asyncio.run(test(str(stories), agent, out_directory=str(out), disable_plotting=True))
    report = json.loads((out / "story_report.json").read_text(encoding="utf-8"))
    conversations = report.get("conversation_accuracy") or {}
    total = int(conversations.get("total", 0))
    return total, total - int(conversations.get("correct", 0))


def _prediction(parse: dict[str, Any]) -> Prediction:
    intent = parse.get("intent") or {}
    selector = (parse.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    key = (selector.get("response") or {}).get("intent_response_key")
    topic = str(key).partition("/")[2] if key else None
    entities = [
        (e["entity"], canonical_entity(e["entity"], str(e.get("value", "")))) for e in parse.get("entities") or []
    ]
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    raw = str(ranking[0]["name"]) if ranking else str(intent.get("name"))
    return Prediction(str(intent.get("name")), float(intent.get("confidence") or 0.0), raw, topic, entities)


def evaluate(examples: list[Example], predictions: list[Prediction]) -> Report:
    """Compute every figure from gold examples and aligned predictions."""
    report = Report()
    total = len(examples)
    correct = sum(ex.intent == pr.intent for ex, pr in zip(examples, predictions, strict=True))
    fallbacks = sum(pr.intent == FALLBACK_INTENT for pr in predictions)
    raw_correct = sum(ex.intent == pr.raw_intent for ex, pr in zip(examples, predictions, strict=True))
    wrong_not_caught = sum(
        ex.intent != pr.intent and pr.intent != FALLBACK_INTENT for ex, pr in zip(examples, predictions, strict=True)
    )
    fallback_on_right = sum(
        pr.intent == FALLBACK_INTENT and ex.intent == pr.raw_intent
        for ex, pr in zip(examples, predictions, strict=True)
    )
    has_selector = any(pr.topic is not None for pr in predictions)

    intent_counts: dict[str, Counts] = {ex.intent: Counts() for ex in examples}
    confusions: Counter[tuple[str, str]] = Counter()
    per_source: dict[str, list[int]] = {}
    for ex, pr in zip(examples, predictions, strict=True):
        hit = ex.intent == pr.intent
        per_source.setdefault(ex.source, [0, 0])
        per_source[ex.source][0] += hit
        per_source[ex.source][1] += 1
        if hit:
            intent_counts[ex.intent].tp += 1
            continue
        intent_counts[ex.intent].fn += 1
        if pr.intent in intent_counts:
            intent_counts[pr.intent].fp += 1
        confusions[(ex.intent, pr.intent)] += 1
        report.errors.append({"text": ex.text, "gold": ex.intent, "predicted": pr.intent, "confidence": pr.confidence})
    per_intent = {name: counts.scores() for name, counts in sorted(intent_counts.items())}
    macro_f1 = sum(s["f1"] for s in per_intent.values()) / len(per_intent) if per_intent else 0.0

    faq = [(ex, pr) for ex, pr in zip(examples, predictions, strict=True) if ex.intent == RETRIEVAL_INTENT]
    topic_hits = sum(ex.topic == pr.topic for ex, pr in faq)
    end_to_end = sum(ex.topic == pr.topic and pr.intent == RETRIEVAL_INTENT for ex, pr in faq)
    topic_confusions: Counter[tuple[str, str]] = Counter(
        (str(ex.topic), str(pr.topic)) for ex, pr in faq if ex.topic != pr.topic
    )

    entity_counts: dict[str, Counts] = {}
    entity_errors: list[dict[str, Any]] = []
    for ex, pr in zip(examples, predictions, strict=True):
        if not ex.score_entities:
            continue
        gold, found = Counter(ex.entities), Counter(pr.entities)
        for key in gold | found:
            entity_counts.setdefault(key[0], Counts())
            both = min(gold[key], found[key])
            counts = entity_counts[key[0]]
            counts.tp += both
            counts.fn += gold[key] - both
            counts.fp += found[key] - both
        if gold != found:
            entity_errors.append(
                {"text": ex.text, "gold": sorted(gold.elements()), "predicted": sorted(found.elements())}
            )
    per_entity = {name: counts.scores() for name, counts in sorted(entity_counts.items())}
    overall = Counts(
        sum(c.tp for c in entity_counts.values()),
        sum(c.fp for c in entity_counts.values()),
        sum(c.fn for c in entity_counts.values()),
    )

    report.figures = {
        "examples": total,
        "intent_accuracy": correct / total if total else 0.0,
        "intent_macro_f1": macro_f1,
        "fallback_rate": fallbacks / total if total else 0.0,
        # Accuracy of the classifier's best intent if the FallbackClassifier were not there.
        "intent_accuracy_without_fallback": raw_correct / total if total else 0.0,
        "wrong_intent_not_caught_by_fallback": wrong_not_caught,
        "fallback_on_right_intent": fallback_on_right,
        "intent_accuracy_by_file": {src: hit / n for src, (hit, n) in per_source.items()},
        "per_intent": per_intent,
        "top_confusions": [{"gold": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common(15)],
        "faq_examples": len(faq),
        "faq_topic_accuracy": topic_hits / len(faq) if faq and has_selector else None,
        "faq_end_to_end_accuracy": end_to_end / len(faq) if faq and has_selector else None,
        "faq_topic_confusions": [
            {"gold": g, "predicted": p, "count": n} for (g, p), n in topic_confusions.most_common(10)
        ],
        "entity_files": sorted({ex.source for ex in examples if ex.score_entities}),
        "entities": per_entity,
        "entities_micro": overall.scores(),
        "entity_errors": entity_errors,
    }
    return report


def set_summary(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures of one evaluation set that the summary table shows."""
    return {
        "examples": figures["examples"],
        "intent_accuracy": figures["intent_accuracy"],
        "intent_macro_f1": figures["intent_macro_f1"],
        "faq_topic_accuracy": figures["faq_topic_accuracy"],
        "entities_f1": {name: s["f1"] for name, s in figures["entities"].items() if s["support"]},
    }


def per_set(examples: list[Example], predictions: list[Prediction]) -> dict[str, dict[str, Any]]:
    """``set_summary`` of each evaluation file."""
    result = {}
    for source in dict.fromkeys(ex.source for ex in examples):
        pairs = [(ex, pr) for ex, pr in zip(examples, predictions, strict=True) if ex.source == source]
        result[source] = set_summary(evaluate([ex for ex, _ in pairs], [pr for _, pr in pairs]).figures)
    return result


def intent_accuracy_bars(values: list[str]) -> dict[str, float]:
    """``--min-intent-accuracy`` values: a bar for every set (``0.90``) and bars for named sets
    (``eval_scenarios.yml=0.87``); the key ``""`` holds the bar of the sets not named."""
    bars = {"": GOAL_INTENT_ACCURACY}
    for value in values:
        name, _, bar = value.rpartition("=")
        bars[name] = float(bar)
    return bars


def goals_missed(
    figures: dict[str, Any], min_intent_accuracy: dict[str, float] | None = None, with_org_name: bool = True
) -> list[str]:
    """Human-readable list of the goals this run misses (``figures["sets"]``: the figures of each set), with the
    intent-accuracy bars of ``intent_accuracy_bars`` (default: the goal on every set)."""
    bars = min_intent_accuracy or {"": GOAL_INTENT_ACCURACY}
    missed = []
    for source, summary in figures["sets"].items():
        bar = bars.get(source, bars[""])
        if summary["intent_accuracy"] < bar:
            missed.append(f"{source}: intent accuracy {summary['intent_accuracy']:.4f} < {bar}")
    for name in CODE_ENTITIES:
        scores = figures["entities"].get(name)
        if scores is None or scores["support"] == 0:
            missed.append(f"no gold {name} entities in the evaluation sets")
        elif scores["f1"] < GOAL_CODE_F1:
            missed.append(f"{name} F1 {scores['f1']:.4f} < {GOAL_CODE_F1}")
    org = figures["entities"].get("org_name")
    if with_org_name and org is not None and org["f1"] < GOAL_ORG_NAME_F1:
        missed.append(f"org_name F1 {org['f1']:.4f} < {GOAL_ORG_NAME_F1}")
    return missed


def print_sets(sets: dict[str, dict[str, Any]]) -> None:
    """One line per evaluation set, then all together."""
    print("\nper evaluation set (intent accuracy / macro-F1 / FAQ topic accuracy / entity F1):")
    for source, summary in sets.items():
        topic = summary["faq_topic_accuracy"]
        entities = "  ".join(f"{name} {f1:.3f}" for name, f1 in summary["entities_f1"].items())
        print(
            f"  {source:22s} {summary['examples']:4d} ex.  {summary['intent_accuracy']:.4f}  "
            f"{summary['intent_macro_f1']:.4f}  {'n/a' if topic is None else f'{topic:.4f}'}  {entities}"
        )


def print_report(report: Report, model: Path, show_errors: int) -> None:
    """Human-readable summary on stdout."""
    f = report.figures
    print(f"model: {model}")
    print(f"examples: {f['examples']}  (load {f['load_seconds']:.1f}s, parse {f['parse_seconds']:.1f}s)")
    print(
        f"intent accuracy: {f['intent_accuracy']:.4f}   macro-F1: {f['intent_macro_f1']:.4f}   "
        f"fallback rate: {f['fallback_rate']:.4f}"
    )
    for src, acc in f["intent_accuracy_by_file"].items():
        print(f"  {src}: {acc:.4f}")
    print("\nper intent (precision / recall / F1 / support):")
    for name, s in f["per_intent"].items():
        print(f"  {name:24s} {s['precision']:.3f} {s['recall']:.3f} {s['f1']:.3f} {s['support']:4d}")
    print(
        f"without the FallbackClassifier: {f['intent_accuracy_without_fallback']:.4f}   "
        f"fallbacks on a right intent: {f['fallback_on_right_intent']}   "
        f"wrong intents not caught: {f['wrong_intent_not_caught_by_fallback']}"
    )
    if f["faq_topic_accuracy"] is None:
        print("\nFAQ topic accuracy: n/a (no faq examples or no ResponseSelector in the model)")
    else:
        print(
            f"\nFAQ topic accuracy (response selector): {f['faq_topic_accuracy']:.4f}   "
            f"end to end (intent faq and right topic): {f['faq_end_to_end_accuracy']:.4f}"
        )
        for c in f["faq_topic_confusions"]:
            print(f"  faq/{c['gold']} → faq/{c['predicted']}: {c['count']}")
    print(f"\nentities (precision / recall / F1 / support) on {', '.join(f['entity_files'])}:")
    for name, s in f["entities"].items():
        mark = "  <==" if name in HIGHLIGHTED_ENTITIES else ""
        print(f"  {name:16s} {s['precision']:.3f} {s['recall']:.3f} {s['f1']:.3f} {s['support']:4d}{mark}")
    m = f["entities_micro"]
    print(f"  {'(micro)':16s} {m['precision']:.3f} {m['recall']:.3f} {m['f1']:.3f} {m['support']:4d}")
    for name in HIGHLIGHTED_ENTITIES:
        s = f["entities"].get(name)
        print(f"{name} F1: {s['f1']:.4f}" if s else f"{name} F1: n/a (no gold or predicted entities)")
    print("\nmost frequent confusions (gold → predicted):")
    for c in f["top_confusions"] or [{"gold": "-", "predicted": "-", "count": 0}]:
        print(f"  {c['gold']} → {c['predicted']}: {c['count']}")
    if show_errors:
        print(f"\nmisclassified examples (first {show_errors}):")
        for e in report.errors[:show_errors]:
            print(f"  [{e['gold']} → {e['predicted']} {e['confidence']:.2f}] {e['text']}")
        print(f"\nentity mismatches (first {show_errors}):")
        for e in f["entity_errors"][:show_errors]:
            print(f"  {e['text']}\n    gold {e['gold']}\n    pred {e['predicted']}")


def cv_summary(directory: Path) -> dict[str, Any]:
    """The figures of ``rasa test nlu --cross-validation --out <directory>`` (its reports pool the folds' test
    predictions): intent accuracy and macro-F1, FAQ topic accuracy, entity F1 per extractor and entity."""

    def load(name: str) -> dict[str, Any] | None:
        path = directory / name
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    intents = load("intent_report.json")
    if intents is None:
        raise SystemExit(f"no intent_report.json in {directory}: run `make evaluate-cv` first")
    selector = load("response_selection_report.json")
    entities: dict[str, dict[str, float]] = {}
    not_entities = {"intent_report.json", "response_selection_report.json"}
    for path in sorted(p for p in directory.glob("*_report.json") if p.name not in not_entities):
        report = json.loads(path.read_text(encoding="utf-8"))
        scores = {
            name: s["f1-score"]
            for name, s in report.items()
            if isinstance(s, dict) and "f1-score" in s and name not in ("no_entity",) and not name.endswith(" avg")
        }
        if scores:
            entities[path.name.removesuffix("_report.json")] = scores
    return {
        "intent_accuracy": intents.get("accuracy"),
        "intent_macro_f1": (intents.get("macro avg") or {}).get("f1-score"),
        "faq_topic_accuracy": selector.get("accuracy") if selector else None,
        "entities_f1": entities,
    }


def write_cv_config(source: Path, target: Path, epochs: int) -> None:
    """``source`` (config.yml) with the epochs of every component that has them set to ``epochs``: the pipeline of
    the cross-validation, trained once per fold (``make evaluate-cv``, CV_EPOCHS)."""
    import yaml

    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    for component in config.get("pipeline") or []:
        if "epochs" in component:
            component["epochs"] = epochs
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def print_cv_summary(figures: dict[str, Any], directory: Path) -> None:
    """Human-readable cross-validation figures."""
    print(
        f"cross-validation ({directory}): intent accuracy {figures['intent_accuracy']:.4f}   "
        f"macro-F1 {figures['intent_macro_f1']:.4f}   FAQ topic accuracy "
        + ("n/a" if figures["faq_topic_accuracy"] is None else f"{figures['faq_topic_accuracy']:.4f}")
    )
    for extractor, scores in figures["entities_f1"].items():
        print(f"  {extractor}: " + "  ".join(f"{name} {f1:.3f}" for name, f1 in sorted(scores.items())))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model archive (default: newest in models/)")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        default=list(DEFAULT_FILES),
        help="evaluation files (default: every tests/nlu/eval_*.yml)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument(
        "--show-errors", type=int, default=20, metavar="N", help="print the first N misclassified examples (0: none)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--cv-summary",
        type=Path,
        metavar="DIR",
        help="only print the figures of a `rasa test nlu --cross-validation --out DIR` run",
    )
    parser.add_argument(
        "--write-cv-config", type=Path, metavar="PATH", help="only write config.yml with --cv-epochs epochs to PATH"
    )
    parser.add_argument("--cv-epochs", type=int, default=60, help="epochs of the cross-validation's pipeline")
    parser.add_argument(
        "--min-intent-accuracy",
        nargs="+",
        default=[],
        metavar="[SET=]BAR",
        help="the intent-accuracy bars of --check: BAR for each set, SET=BAR for one set (e.g. 0.90 eval_scenarios.yml=0.87;"
        " default the goal; CI uses regression floors below the goal until it is met)",
    )
    parser.add_argument(
        "--stories",
        type=Path,
        help="also run these test stories (`rasa test core`) with the same loaded model; --check fails on a failed story",
    )
    parser.add_argument(
        "--stories-out", type=Path, default=ROOT / "results/core", help="where the stories' reports go (results/core)"
    )
    args = parser.parse_args(argv)
    if args.write_cv_config:
        write_cv_config(ROOT / "config.yml", args.write_cv_config, args.cv_epochs)
        return 0
    if args.cv_summary:
        print_cv_summary(cv_summary(args.cv_summary), args.cv_summary)
        return 0

    _quiet()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)  # the JiebaTokenizer and custom components resolve paths from the project root
    model = args.model or newest_model(args.models_dir)
    examples = load_examples(args.data)
    started = time.perf_counter()
    agent = load_agent(model)
    loaded = time.perf_counter()
    predictions = parse_all(agent, [ex.text for ex in examples])
    load_s, parse_s = loaded - started, time.perf_counter() - loaded
    report = evaluate(examples, predictions)
    sets = per_set(examples, predictions)
    sets["(all sets)"] = set_summary(report.figures)
    report.figures.update({"model": str(model), "load_seconds": load_s, "parse_seconds": parse_s, "sets": sets})
    missed = goals_missed(report.figures)
    report.figures["goals_missed"] = missed
    bars = intent_accuracy_bars(args.min_intent_accuracy)
    failed = goals_missed(report.figures, bars, with_org_name=False)
    print_report(report, model, args.show_errors)
    print_sets(sets)
    if args.json:
        payload = {**report.figures, "intent_errors": report.errors}
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    print("\ngoals: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    if args.stories:
        stories, failed_stories = run_stories(agent, args.stories, args.stories_out)
        print(
            f"test stories ({args.stories}): {stories - failed_stories}/{stories} passed; reports in {args.stories_out}"
        )
        if failed_stories or not stories:
            failed.append(f"{failed_stories} of {stories} test stories failed ({args.stories_out})")
    if args.check and args.min_intent_accuracy:
        named = "".join(f", {name} ≥ {bar}" for name, bar in bars.items() if name)
        every_story = ", every test story" if args.stories else ""
        print(
            f"check: intent accuracy ≥ {bars['']} on each set{named}, uscc and application_id F1 = 1.0{every_story} → "
            + ("FAILED: " + "; ".join(failed) if failed else "ok")
        )
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
