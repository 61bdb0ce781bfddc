"""The FAQ answers quote numbers that live in policy.yaml; this keeps the two from drifting apart."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from credit_backend.policy.loader import DEFAULT_POLICY_PATH
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE

ROOT = Path(__file__).resolve().parents[2]
FACTS = yaml.safe_load((ROOT / "tests" / "faq_facts.yml").read_text(encoding="utf-8"))
RESPONSES = yaml.safe_load((ROOT / "data" / "responses" / "faq.yml").read_text(encoding="utf-8"))["responses"]
POLICY = yaml.safe_load(Path(DEFAULT_POLICY_PATH).read_text(encoding="utf-8"))


def resolve(data: Any, dotted: str) -> Any:
    """Follow a dotted path; inside a list, a segment names the element by its ``id``."""
    for part in dotted.split("."):
        data = next(item for item in data if item.get("id") == part) if isinstance(data, list) else data[part]
    return data


def verified(data: Any, dotted: str) -> bool:
    """The ``verified`` flag nearest to the value: on the value's own mapping or its closest ancestor."""
    parts = dotted.split(".")
    flag = True
    for depth in range(len(parts)):
        node = resolve(data, ".".join(parts[:depth])) if depth else data
        if isinstance(node, dict) and "verified" in node:
            flag = bool(node["verified"])
    return flag


def answer_texts(topic: str) -> list[str]:
    return [r["text"] for r in RESPONSES[f"utter_faq/{topic}"]]


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f"{f['topic']}:{f['text_contains']}")
def test_faq_number_matches_policy(fact: dict[str, Any]) -> None:
    assert resolve(POLICY, fact["policy_key"]) == fact["value"], "policy.yaml changed: update the FAQ answer"
    assert any(fact["text_contains"] in text for text in answer_texts(fact["topic"]))


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f"{f['topic']}:{f['text_contains']}")
def test_faq_number_from_an_unverified_value_says_so(fact: dict[str, Any]) -> None:
    """Issue 12 #1: a number built on a ``verified: false`` value carries the one note (vocabulary.UNVERIFIED_NOTE)
    in the same line of the answer; a verified one does not need it."""
    lines = [
        line for text in answer_texts(fact["topic"]) for line in text.splitlines() if fact["text_contains"] in line
    ]
    assert lines
    if not verified(POLICY, fact["policy_key"]):
        assert all(UNVERIFIED_NOTE in line for line in lines), lines


# Working-day counts in answers that are not policy values (seed item 15 is a duty of other departments).
NOT_POLICY = {("information_disclosure", "7个工作日")}


def test_every_working_day_count_in_faq_is_tied_to_policy() -> None:
    listed = {(f["topic"], f["text_contains"]) for f in FACTS}
    for key, variants in RESPONSES.items():
        topic = key.split("/", 1)[1]
        for text in (v["text"] for v in variants):
            for match in re.finditer(r"\d+个工作日", text):
                covered = (topic, match.group()) in NOT_POLICY or any(
                    t == topic and match.group() in snippet and snippet in text for t, snippet in listed
                )
                assert covered, f"utter_faq/{topic} says {match.group()} without a policy link in tests/faq_facts.yml"
