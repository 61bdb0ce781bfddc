"""A reviewed conversation saved as a Rasa test story (issue 14), so every later model must still handle it.

The input is the backend's GET /api/v1/conversations/{id} answer: its ``messages`` (each user message with its
prediction and entities) and ``steps`` (the conversation's events in order: user messages, the assistant's
actions, slots set, forms activated and deactivated). The story has each user message as typed (``user: |``,
entities as ``[text](entity)``) with its intent (an admin's correction where there is one), then the actions,
``slot_was_set`` and ``active_loop`` steps as they happened, which is what ``rasa test core --stories tests/stories
--fail-on-prediction-errors`` replays. Personal data in messages and slot values is replaced (``training.pii``).
Stories are saved under ``tests/stories/reviewed/<date>_<conversation id>.yml``.

``rasa test core`` gives each user turn's intent to the policies (the text is not parsed without ``--e2e``) and
checks the actions. A correction changes only the intent; the actions stay as recorded. Correct a message whose
recorded actions were the right ones (the dialogue recovered, or only the label was wrong): a story whose actions
followed a wrong prediction cannot replay under the corrected intent, and the retraining gate would refuse every
model until the story is fixed by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from training import pii
from training.annotate import FAQ_INTENT, data_lock, write_atomically
from training.examples import Span, markup

REVIEWED_DIR = "tests/stories/reviewed"
STORIES_DIR = "tests/stories"
CHINA = timezone(timedelta(hours=8))
# Brackets in a message would be read as entity markup: outside the entities they become full-width.
_BRACKETS = str.maketrans({"[": "［", "]": "］", "{": "｛", "}": "｝"})


class StoryError(ValueError):
    """A story that cannot be saved; the message is Chinese, for the admin."""


def _intent(message: Mapping[str, Any], corrections: Mapping[int, str]) -> str:
    """The corrected intent, else the predicted one; a retrieval intent's topic is left to the NLU tests."""
    intent = corrections.get(int(message["id"])) or message.get("intent") or "nlu_fallback"
    return FAQ_INTENT if intent.startswith(FAQ_INTENT + "/") else intent


def _spans(text: str, entities: Any) -> list[Span]:
    """The message's entities that point into its text, without overlaps (the first extractor's wins)."""
    spans: list[Span] = []
    for item in entities or []:
        if not isinstance(item, dict):
            continue
        start, end, entity = item.get("start"), item.get("end"), item.get("entity")
        if not (isinstance(start, int) and isinstance(end, int) and entity and 0 <= start < end <= len(text)):
            continue
        if any(start < s.end and s.start < end for s in spans):
            continue
        value = item.get("value")
        value = None if value is None or str(value) == text[start:end] else str(value)
        spans.append(Span(start, end, str(entity), value))
    return sorted(spans, key=lambda s: s.start)


def _scrubbed_value(value: Any) -> Any:
    """Slot and entity values with their personal data replaced, whatever their shape."""
    if isinstance(value, str):
        return pii.scrub(value)[0]
    if isinstance(value, list):
        return [_scrubbed_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrubbed_value(v) for k, v in value.items()}
    return value


def _scalar(value: Any) -> str:
    """A YAML flow value (JSON is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _user_lines(message: Mapping[str, Any], corrections: Mapping[int, str]) -> list[str]:
    intent = _intent(message, corrections)
    text = str(message.get("text") or "")
    if not message.get("typed", True) or text.startswith("/"):
        # A button's payload: the intent and entities it carries, no text to understand.
        lines = [f"  - intent: {intent}"]
        entities = [e for e in message.get("entities") or [] if isinstance(e, dict) and e.get("entity")]
        if entities:
            lines.append("    entities:")
            lines += [f"    - {e['entity']}: {_scalar(_scrubbed_value(e.get('value')))}" for e in entities]
        return lines
    stripped = text.strip()
    offset = len(text) - len(text.lstrip())
    spans = [Span(s.start - offset, s.end - offset, s.entity, s.value) for s in _spans(text, message.get("entities"))]
    spans = [s for s in spans if 0 <= s.start < s.end <= len(stripped)]
    clean, clean_spans, _ = pii.scrub(stripped, spans)
    pieces, at = [], 0
    for span in clean_spans:  # escape brackets outside the entities only
        pieces.append(clean[at : span.start].translate(_BRACKETS))
        pieces.append(clean[span.start : span.end])
        at = span.end
    pieces.append(clean[at:].translate(_BRACKETS))
    escaped = "".join(pieces)
    example = markup(escaped, clean_spans)
    body = [f"      {line}" if line.strip() else "" for line in example.splitlines()] or ["      "]
    return ["  - user: |", *body, f"    intent: {intent}"]


def story_from_conversation(detail: dict, name: str, corrections: dict[int, str] | None = None) -> str:
    """The YAML of one test story of the conversation (personal data replaced). Raises StoryError when the
    conversation has no user message or the detail lacks its steps."""
    corrections = {int(k): v for k, v in (corrections or {}).items()}
    messages = {int(m["id"]): m for m in detail.get("messages") or [] if isinstance(m, dict) and "id" in m}
    steps = detail.get("steps")
    if steps is None:
        raise StoryError("会话详情里没有事件步骤（steps），无法生成测试故事；请升级后台。")
    if not name.strip() or "\n" in name:
        raise StoryError("请给测试故事起一个名字（一行）。")
    lines: list[str] = []
    slots: list[str] = []
    started = False

    def flush_slots() -> None:
        if slots:
            lines.append("  - slot_was_set:")
            lines.extend(slots)
            slots.clear()

    for step in steps:
        kind = step.get("kind")
        if kind == "user" and step.get("message_id") in messages:
            flush_slots()
            lines += _user_lines(messages[step["message_id"]], corrections)
            started = True
        elif not started:
            continue  # the session's start: slots carried over, before anyone spoke
        elif kind == "action" and step.get("name"):
            flush_slots()
            lines.append(f"  - action: {step['name']}")
        elif kind == "slot" and step.get("name"):
            slots.append(f"    - {step['name']}: {_scalar(_scrubbed_value(step.get('value')))}")
        elif kind == "active_loop":
            flush_slots()
            lines.append(f"  - active_loop: {step.get('name') or 'null'}")
    flush_slots()
    if not started:
        raise StoryError("这段会话里没有用户消息，不能保存为测试故事。")
    head = [
        f"# Reviewed conversation {detail.get('id')} ({detail.get('channel', '?')}), saved from the admin console",
        "# (training/stories.py); personal data replaced.",
        'version: "3.1"',
        "",
        "stories:",
        f"- story: {_scalar(name.strip())}",
        "  steps:",
    ]
    return "\n".join(head + lines) + "\n"


def _conversation_day(detail: Mapping[str, Any]) -> date:
    raw = detail.get("started_at")
    try:
        at = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(CHINA).date()
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(CHINA).date()


def story_names(root: Path) -> dict[str, str]:
    """Every story name under tests/stories → the file (relative to root) that has it."""
    names: dict[str, str] = {}
    directory = root / STORIES_DIR
    for path in sorted(directory.rglob("*.yml")) if directory.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for story in data.get("stories") or [] if isinstance(data, dict) else []:
            if isinstance(story, dict) and story.get("story"):
                names.setdefault(str(story["story"]), path.relative_to(root).as_posix())
    return names


def story_path(root: Path, detail: Mapping[str, Any]) -> Path:
    """Where the conversation's story is saved: tests/stories/reviewed/<date>_<conversation id>.yml."""
    return Path(root) / REVIEWED_DIR / f"{_conversation_day(detail):%Y-%m-%d}_{int(detail['id'])}.yml"


def save_story(root: Path, detail: dict, name: str, corrections: dict[int, str] | None = None) -> Path:
    """Writes the conversation's test story under tests/stories/reviewed/ and returns its path. Raises
    StoryError (Chinese) when there is no user message, the conversation was saved already, or another story
    has that name."""
    root = Path(root)
    content = story_from_conversation(detail, name, corrections)
    path = story_path(root, detail)
    try:
        with data_lock(root):
            if path.exists():
                raise StoryError(f"这段会话已保存为测试故事：{path.relative_to(root).as_posix()}。")
            taken = story_names(root).get(name.strip())
            if taken:
                raise StoryError(f"已有名为“{name.strip()}”的测试故事（{taken}），请换一个名字。")
            write_atomically(path, content)
    except TimeoutError as exc:
        raise StoryError(str(exc)) from None
    return path
