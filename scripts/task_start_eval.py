"""Task-start accuracy: does the real assistant start the service a first message asks for?

Run with the backend environment from the project root (needs the trained model in models/, .venv-rasa and
Redis at 127.0.0.1:6379; uses Redis database 11, which it empties)::

    .venv/bin/python scripts/task_start_eval.py [--suite tests/nlu/task_start.yml] [--json out.json] [--check 0.97]

Starts the credit backend over a demo city, the action server and the Rasa server (two workers, conversations in
Redis) the way the end-to-end tests do (tests/support/rasa_stack.py), sends every message of the suite as the
first message of a new conversation through the REST channel and reads the conversation's stored events back
from Redis. A message is right when, in that turn:

* a service flow's label (the flow's intent): its form became active or its final action ran (a query or report
  with a code is answered at once, without the form);
* another service label (check_application, subscribe_reminders, unsubscribe_reminders, human_handoff, help):
  its action ran;
* ``faq/<topic>``: the FAQ answer was given and the response selector chose that topic;
* ``out_of_scope``: the out-of-scope answer was given;
* or the clarifying question (action_clarify) offered the label as a button (payload ``/<label>``, an FAQ topic
  ``/faq{"faq_topic": …}``); its fixed ways out (help, hand-off) and a menu of every service do not count, nor
  does the button after an FAQ answer about a service.

Prints the accuracy, the accuracy per label and every miss with what happened instead.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.flows import FLOWS  # noqa: E402

DEFAULT_SUITE = ROOT / "tests/nlu/task_start.yml"
REDIS_DB = "11"
KEY_PREFIX = "credit"  # endpoints.yml, tracker_store.key_prefix
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
# Labels answered by one action, outside the flows of actions/flows.
ACTION_OF = {
    "check_application": "action_check_application",
    "subscribe_reminders": "action_subscribe_reminders",
    "unsubscribe_reminders": "action_unsubscribe_reminders",
    "human_handoff": "action_handoff",
    "help": "action_show_help",
    "out_of_scope": "utter_out_of_scope",
}
FAQ_ACTION = "utter_faq"
CLARIFY_ACTION = "action_clarify"
# action_clarify offers the top two intents, then always "都不是，查看全部服务" and "转人工": those two offer nothing.
WAYS_OUT = frozenset({"help", "human_handoff"})
# More intents than this offered at once is a menu, not a disambiguation.
MAX_OFFERED = 3


@dataclass(frozen=True)
class Case:
    """One first message and the label of what the user wants."""

    label: str
    text: str


@dataclass
class Outcome:
    """What the assistant did with one first message."""

    case: Case
    right: bool
    how: str  # why it counts as right, or what happened instead


def load_suite(path: Path) -> list[Case]:
    """The cases of a suite in Rasa's NLU YAML format (annotations stripped)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    cases = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                cases.append(Case(str(block["intent"]), _ANNOTATION.sub(r"\1", line[2:].strip())))
    return cases


def clarify_payloads(events: list[dict[str, Any]]) -> list[str]:
    """Payloads of the buttons of the clarifying question (the bot messages after action_clarify); the button
    that follows an FAQ answer about a service (action_after_faq) is not a disambiguation and is left out."""
    payloads: list[str] = []
    action = None
    for event in events:
        if event.get("event") == "action":
            action = event.get("name")
        elif event.get("event") == "bot" and action == CLARIFY_ACTION:
            payloads.extend(str(b.get("payload") or "") for b in (event.get("data") or {}).get("buttons") or [])
    return payloads


def offered(label: str, payloads: list[str]) -> bool:
    """Whether the clarifying question offered ``label``: ``/<intent>`` or ``/<intent>{…}``, an FAQ topic as
    ``/faq{"faq_topic": "<topic>"}``. Its fixed ways out (help, hand-off) offer nothing, and a menu of more than
    MAX_OFFERED intents is no disambiguation."""
    choices: set[str] = set()
    for payload in payloads:
        name, _, raw = payload.removeprefix("/").partition("{")
        if name == "faq" and raw:
            try:
                name = f"faq/{json.loads('{' + raw).get('faq_topic')}"
            except ValueError:
                continue
        if name not in WAYS_OUT:
            choices.add(name)
    return label in choices and len(choices) <= MAX_OFFERED


def judge(label: str, events: list[dict[str, Any]]) -> tuple[bool, str]:
    """Whether the events of one turn start what ``label`` asks for, and a short account of them."""
    actions = [e.get("name") for e in events if e.get("event") == "action"]
    loops = [e.get("name") for e in events if e.get("event") == "active_loop" and e.get("name")]
    payloads = clarify_payloads(events)
    user = next((e for e in events if e.get("event") == "user"), {})
    parse = user.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    selector = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    topic = selector.get("intent_response_key")
    account = (
        f"intent {intent}"
        + (f" ({topic})" if intent == "faq" else "")
        + f"; actions {[a for a in actions if a not in ('action_listen', 'action_session_start')]}"
        + (f"; loops {loops}" if loops else "")
        + (f"; buttons {payloads}" if payloads else "")
    )
    if offered(label, payloads):
        return True, f"offered as a button; {account}"
    flow = next((f for f in FLOWS if f.intent == label), None)
    if flow is not None:
        return flow.form in loops or flow.final_action in actions, account
    if label.startswith("faq/"):
        return FAQ_ACTION in actions and topic == label, account
    expected = ACTION_OF.get(label)
    if expected is None:
        raise SystemExit(f"unknown label {label!r} in the suite")
    return expected in actions, account


def turn_events(red: Any, sender: str) -> list[dict[str, Any]]:
    """The stored events of the sender's conversation (one turn: the first message)."""
    return [json.loads(raw) for raw in red.lrange(f"{KEY_PREFIX}:events:{sender}", 0, -1)]


def run(cases: list[Case], rasa_url: str, red: Any) -> list[Outcome]:
    """Send every case as a new conversation's first message and judge what happened."""
    import httpx  # the backend environment's HTTP client; the rest of this module also runs in .venv-rasa

    outcomes = []
    run_id = secrets.token_hex(3)
    with httpx.Client(timeout=120) as client:
        for number, case in enumerate(cases):
            sender = f"eval:{run_id}-{number}"  # a sender of the form every channel gives (<channel>:<user>)
            resp = client.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": case.text})
            resp.raise_for_status()
            right, how = judge(case.label, turn_events(red, sender))
            outcomes.append(Outcome(case, right, how))
    return outcomes


def report(outcomes: list[Outcome]) -> dict[str, Any]:
    """Figures: overall accuracy, accuracy per label, the misses."""
    per_label: dict[str, list[int]] = {}
    for outcome in outcomes:
        hits = per_label.setdefault(outcome.case.label, [0, 0])
        hits[0] += outcome.right
        hits[1] += 1
    right = sum(o.right for o in outcomes)
    return {
        "cases": len(outcomes),
        "accuracy": right / len(outcomes) if outcomes else 0.0,
        "by_button": sum(o.right and o.how.startswith("offered as a button") for o in outcomes),
        "per_label": {label: {"right": r, "cases": n} for label, (r, n) in sorted(per_label.items())},
        "misses": [
            {"label": o.case.label, "text": o.case.text, "what_happened": o.how} for o in outcomes if not o.right
        ],
    }


def print_report(figures: dict[str, Any]) -> None:
    """Human-readable summary on stdout."""
    print(
        f"task start: {figures['accuracy']:.4f} of {figures['cases']} first messages "
        f"({figures['by_button']} of them by a clarifying button)"
    )
    groups: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for label, counts in figures["per_label"].items():
        group = "faq" if label.startswith("faq/") else label
        groups[group] += counts["right"]
        totals[group] += counts["cases"]
    for group in sorted(totals):
        print(f"  {group:24s} {groups[group]:3d}/{totals[group]:3d}")
    print("misses:")
    for miss in figures["misses"]:
        print(f"  [{miss['label']}] {miss['text']}\n      → {miss['what_happened']}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, default=DEFAULT_SUITE)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--check", type=float, metavar="MIN", help="exit 1 when the accuracy is below MIN")
    args = parser.parse_args(argv)

    from tests.support.credit_backend import ChannelBackend
    from tests.support.rasa_stack import rasa_stack, redis_db

    cases = load_suite(args.suite)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="task-start-") as tmp_dir:
        tmp = Path(tmp_dir)
        tokens = {role: secrets.token_urlsafe(24) for role in ("assistant", "staff", "admin")}
        backend = ChannelBackend(tmp, tokens["assistant"], tokens["staff"], tokens["admin"]).start()
        try:
            with rasa_stack(tmp, backend.url, tokens["assistant"], {}, REDIS_DB) as rasa_url:
                ready = time.perf_counter()
                outcomes = run(cases, rasa_url, redis_db(REDIS_DB))
                finished = time.perf_counter()
        finally:
            backend.stop()
    figures = report(outcomes)
    figures.update({"start_seconds": ready - started, "run_seconds": finished - ready, "suite": str(args.suite)})
    print_report(figures)
    print(f"(stack ready in {figures['start_seconds']:.0f}s, {figures['run_seconds']:.0f}s for the messages)")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.check is not None and figures["accuracy"] < args.check:
        print(f"check: task start {figures['accuracy']:.4f} < {args.check} → FAILED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
