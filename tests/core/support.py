"""Helpers of the Rasa-server extension tests: one event loop, and conversations through the real model."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rasa.core.agent import Agent
from rasa.core.tracker_store import TrackerStore

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"
REDIS_DB = 6
LOOP = asyncio.new_event_loop()


def run(coro: Any) -> Any:
    return LOOP.run_until_complete(coro)


def converse(agent: Agent, store: TrackerStore, sender: str, messages: list[str]) -> list[str]:
    """Runs the messages through the model with ``store``; returns the bot's texts."""
    agent.tracker_store = agent.processor.tracker_store = store
    texts: list[str] = []
    for message in messages:
        texts += [answer.get("text", "") for answer in run(agent.handle_text(message, sender_id=sender))]
    return texts
