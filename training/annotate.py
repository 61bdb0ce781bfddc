"""Admins' corrections written into the training data (issue 14: Annotate).

An annotated message (its intent or FAQ topic, its entity spans) becomes one example in Rasa's YAML, appended as
a block of its own at the end of the ``data/`` file that already holds that intent, with where it came from in
the block's ``metadata`` (Rasa 3.6 reads metadata on an intent block). The rest of the file is left byte for
byte. Personal data is replaced first (``training.pii``). Nothing is written when the example is already there
("duplicate"), is there under another intent ("conflict"), is in a held-out evaluation set (``tests/nlu/*.yml``:
training and evaluation stay apart, scripts/check_eval_overlap.py), or is not valid ("invalid"). Writes are
atomic (temporary file + ``os.replace``) and one at a time across processes (a lock file in ``var/``).
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, Literal

import yaml

from training import pii
from training.examples import Span, comparable, markup, parse_markup, span_problems

__all__ = ["Annotation", "Outcome", "Span", "annotate", "choices", "preview"]

FAQ_INTENT = "faq"  # the retrieval intent (config.yml's ResponseSelector); topics are faq/<topic>
FAQ_RESPONSE_PREFIX = "utter_faq/"
NOT_ANNOTATABLE = frozenset({"nlu_fallback"})  # the FallbackClassifier's verdict, never a training label
NEW_INTENT_FILE = "data/nlu/annotated.yml"  # for a domain intent that has no example anywhere yet
MAX_CHARS = 1000  # ASSISTANT_MAX_MESSAGE_CHARS: longer messages never reach the NLU
# scripts/check_eval_overlap.py fails a training example this similar to an evaluation example.
EVAL_SIMILARITY = 0.8
EVAL_MIN_CHARS = 5
LOCK_FILE = "var/annotate.lock"
LOCK_TIMEOUT_S = 10.0
CHINA = timezone(timedelta(hours=8))

Status = Literal["written", "duplicate", "conflict", "invalid"]


@dataclass(frozen=True)
class Annotation:
    text: str  # the user's message as typed
    intent: str  # e.g. "query_credit", or "faq" with faq_topic (or "faq/<topic>")
    faq_topic: str | None
    entities: tuple[Span, ...]
    source: str  # provenance, e.g. "conversation 42 message 7 (tg), annotated by admin01, 2026-11-29"
    annotator: str = ""  # the admin's account, kept in the metadata
    annotated_on: date | None = None  # default: today in China


@dataclass(frozen=True)
class Outcome:
    status: Status
    path: str | None  # data file (relative to the project root) written, or where the duplicate/conflict is
    example: str  # the example as it would be written: scrubbed, with [span](entity) markup
    message: str  # Chinese, for the admin


@dataclass(frozen=True)
class _Example:
    path: str  # relative to the root
    intent: str  # full name: faq/<topic> for the retrieval intent
    text: str  # without markup
    key: str  # comparable(text)


# -- reading the project's data ------------------------------------------------------------------------------


# libyaml's loader when PyYAML was built with it (ten times faster on the data files), else the Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def _names(items: Any) -> list[str]:
    """Names of a domain list whose items are ``name`` or ``{name: {...}}``."""
    names = []
    for item in items or []:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            names.extend(str(key) for key in item)
    return names


def _domain(root: Path) -> tuple[list[str], list[str]]:
    """The domain's intents and entities (domain/ is a directory of files read as one)."""
    domain = root / "domain"
    files = _yaml_files(domain) if domain.is_dir() else [root / "domain.yml"]
    intents: list[str] = []
    entities: list[str] = []
    for path in files:
        data = _yaml(path)
        intents += [i for i in _names(data.get("intents")) if i not in intents]
        entities += [e for e in _names(data.get("entities")) if e not in entities]
    return intents, entities


def _faq_topics(root: Path) -> list[str]:
    topics: list[str] = []
    for path in _yaml_files(root / "data") + _yaml_files(root / "domain"):
        responses = _yaml(path).get("responses")
        if isinstance(responses, dict):
            topics += [k[len(FAQ_RESPONSE_PREFIX) :] for k in responses if str(k).startswith(FAQ_RESPONSE_PREFIX)]
    return sorted(set(topics))


def _block_examples(block: dict[str, Any]) -> list[str]:
    raw = block.get("examples")
    if isinstance(raw, str):
        lines = [line.strip() for line in raw.splitlines()]
        return [line[2:].strip() for line in lines if line.startswith("- ")]
    if isinstance(raw, list):  # examples with their own metadata: [{text: …, metadata: …}]
        return [str(item.get("text", "")) for item in raw if isinstance(item, dict)]
    return []


def _examples(root: Path, files: list[Path]) -> list[_Example]:
    found = []
    for path in files:
        for block in _yaml(path).get("nlu") or []:
            if not isinstance(block, dict) or "intent" not in block:
                continue
            rel = path.relative_to(root).as_posix()
            for example in _block_examples(block):
                text, _ = parse_markup(example)
                found.append(_Example(rel, str(block["intent"]), text, comparable(text)))
    return found


def _training(root: Path) -> list[_Example]:
    return _examples(root, _yaml_files(root / "data"))


def _held_out(root: Path) -> list[_Example]:
    evaluation = root / "tests" / "nlu"
    return _examples(root, _yaml_files(evaluation)) if evaluation.is_dir() else []


def choices(root: Path) -> dict[str, list[str]]:
    """What an admin may choose: intents (the domain's, plus ``faq``), FAQ topics, and the entities the NLU learns
    (the domain's entities that training examples annotate; the rest only come from button payloads)."""
    intents, entities = _domain(root)
    topics = _faq_topics(root)
    annotated: set[str] = set()
    for path in _yaml_files(root / "data"):
        for block in _yaml(path).get("nlu") or []:
            if isinstance(block, dict) and "intent" in block:
                for example in _block_examples(block):
                    annotated.update(span.entity for span in parse_markup(example)[1])
    listed = [i for i in intents if i not in NOT_ANNOTATABLE]
    if topics and FAQ_INTENT not in listed:
        listed.append(FAQ_INTENT)
    return {"intents": listed, "faq_topics": topics, "entities": [e for e in entities if e in annotated]}


# -- checking ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    outcome: Outcome
    intent: str = ""  # full intent name of the block to append
    findings: tuple[pii.Finding, ...] = ()


def _invalid(message: str, example: str = "") -> _Plan:
    return _Plan(Outcome("invalid", None, example, message))


def _intent_key(a: Annotation, options: dict[str, list[str]]) -> tuple[str | None, str]:
    """The full intent name (faq/<topic>), or None and the reason (Chinese)."""
    intent = a.intent.strip()
    topic = (a.faq_topic or "").strip() or None
    if intent.startswith(FAQ_INTENT + "/"):
        intent, topic = FAQ_INTENT, topic or intent[len(FAQ_INTENT) + 1 :]
    if intent == FAQ_INTENT:
        if topic is None:
            return None, "请选择政策问答的主题（faq 需要一个主题）。"
        if topic not in options["faq_topics"]:
            return (
                None,
                f"没有名为“{topic}”的政策问答主题，请从列表中选择（新主题需先在 data/responses/faq.yml 写好答案）。",
            )
        return f"{FAQ_INTENT}/{topic}", ""
    if intent not in options["intents"]:
        return None, f"没有名为“{intent or '（空）'}”的意图，请从列表中选择。"
    if topic is not None:
        return None, f"只有政策问答（faq）才有主题；意图“{intent}”不需要选主题。"
    return intent, ""


def _text_problem(text: str) -> str | None:
    if not text.strip():
        return "例句不能为空。"
    if "\n" in text or "\r" in text:
        return "例句不能包含换行，请拆成几句分别标注。"
    if len(text) > MAX_CHARS:
        return f"例句超过 {MAX_CHARS} 个字，助手不会处理这么长的消息。"
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text):
        return "例句里有不可见的控制字符，请删除后再试。"
    return None


def _target_file(root: Path, intent: str, training: list[_Example]) -> str:
    """The file holding most examples of the intent; for a new FAQ topic the file of the FAQ; else a new file."""
    for wanted in (intent, FAQ_INTENT + "/" if intent.startswith(FAQ_INTENT + "/") else None):
        if wanted is None:
            continue
        counts: dict[str, int] = {}
        for ex in training:
            if ex.intent == wanted or (wanted.endswith("/") and ex.intent.startswith(wanted)):
                counts[ex.path] = counts.get(ex.path, 0) + 1
        if counts:
            return max(sorted(counts), key=lambda p: counts[p])
    return NEW_INTENT_FILE


def _eval_clash(key: str, held_out: list[_Example]) -> tuple[_Example, bool] | None:
    """The evaluation example equal to the key (True) or too similar to it (False)."""
    close: tuple[_Example, bool] | None = None
    for ex in held_out:
        if not ex.key or not key:
            continue
        if ex.key == key:
            return ex, True
        if close is None and min(len(ex.key), len(key)) >= EVAL_MIN_CHARS:
            matcher = SequenceMatcher(None, ex.key, key, autojunk=False)
            if matcher.real_quick_ratio() >= EVAL_SIMILARITY and matcher.ratio() >= EVAL_SIMILARITY:
                close = (ex, False)
    return close


def _plan(root: Path, a: Annotation) -> _Plan:
    """Everything preview and annotate decide, reading the files once."""
    problem = _text_problem(a.text)
    if problem:
        return _invalid(problem)
    options = choices(root)
    intent, reason = _intent_key(a, options)
    if intent is None:
        return _invalid(reason)
    spans = tuple(sorted(a.entities, key=lambda s: s.start))
    problems = span_problems(a.text, spans, options["entities"])
    if problems:
        return _invalid("实体标注有误：" + "".join(problems))
    # Rasa strips each example line: strip here too, so the spans keep pointing at the same characters.
    lead = len(a.text) - len(a.text.lstrip())
    spans = tuple(replace(s, start=s.start - lead, end=s.end - lead) for s in spans)
    text, spans, findings = pii.scrub(a.text.strip(), spans)
    example = markup(text, spans)
    back_text, back_spans = parse_markup(example)
    expected = [(s.start, s.end, s.entity, s.value if s.value != text[s.start : s.end] else None) for s in spans]
    got = [(s.start, s.end, s.entity, s.value if s.value != back_text[s.start : s.end] else None) for s in back_spans]
    if back_text != text or got != expected:
        return _invalid("这句话里的方括号和括号会被 Rasa 当成实体标注，无法原样写入；请去掉这些符号后再标注。", example)
    scrubbed = pii.summary(findings)
    note = f"（{scrubbed}）" if scrubbed else ""
    key = comparable(text)
    if not key:
        return _invalid("例句只有标点或空格，不能作为训练数据。", example)
    training = _training(root)
    for ex in training:
        if ex.key != key:
            continue
        if ex.intent == intent:
            return _Plan(
                Outcome("duplicate", ex.path, example, f"{ex.path} 中意图 {intent} 已有这条例句，无需重复添加。")
            )
        return _Plan(
            Outcome(
                "conflict",
                ex.path,
                example,
                f"{ex.path} 中已有这条例句，但标注的意图是 {ex.intent}，与您选的 {intent} 不一致。"
                "请先确定哪个意图正确，再修改数据。",
            )
        )
    clash = _eval_clash(key, _held_out(root))
    if clash is not None:
        ex, same = clash
        how = "相同" if same else "过于相似"
        return _Plan(
            Outcome(
                "conflict",
                ex.path,
                example,
                f"这句话与评估集 {ex.path} 中的例句“{ex.text}”（意图 {ex.intent}）{how}。训练数据与评估集必须分开，"
                "否则评估结果不可信，所以不能写入训练数据。",
            )
        )
    path = _target_file(root, intent, training)
    return _Plan(Outcome("written", path, example, f"将写入 {path}（意图 {intent}）。{note}"), intent, findings)


# -- writing -------------------------------------------------------------------------------------------------


@contextmanager
def data_lock(root: Path) -> Iterator[None]:
    """One writer of the project's data at a time, across processes (annotations, saved stories)."""
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError("另一位管理员正在写入训练数据，请稍后再试。") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomically(path: Path, content: str) -> None:
    """Replace ``path`` with ``content`` at once: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _metadata(a: Annotation) -> dict[str, str]:
    meta = {"source": a.source.strip() or "console"}
    if a.annotator.strip():
        meta["annotator"] = a.annotator.strip()
    meta["date"] = (a.annotated_on or datetime.now(CHINA).date()).isoformat()
    return meta


def _block(intent: str, example: str, metadata: dict[str, str], indent: str) -> str:
    # JSON strings are YAML double-quoted scalars: any text is safe as a value.
    meta = "".join(f"{indent}    {k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in metadata.items())
    return f"{indent}- intent: {intent}\n{indent}  metadata:\n{meta}{indent}  examples: |\n{indent}    - {example}\n"


def _appended(path: Path, intent: str, example: str, metadata: dict[str, str]) -> str:
    """The file's text with the new block at the end; the rest untouched."""
    if path.exists():
        old = path.read_text(encoding="utf-8")
    else:
        old = (
            '# Examples of intents that had none yet, added by admins (training/annotate.py).\nversion: "3.1"\n\nnlu:\n'
        )
    indent = ""
    for line in old.splitlines():
        stripped = line.lstrip(" ")
        if stripped.startswith("- intent:"):
            indent = line[: len(line) - len(stripped)]
            break
    separator = (
        "" if not old or old.endswith("\n\n") or old.endswith("nlu:\n") else ("\n" if old.endswith("\n") else "\n\n")
    )
    return old + separator + _block(intent, example, metadata, indent)


def _lands_as_expected(content: str, intent: str, example: str, metadata: dict[str, str]) -> bool:
    """The new file parses and its last NLU block is exactly the one appended (so the file's last top-level key
    was ``nlu`` and the indentation fits)."""
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError:
        return False
    blocks = data.get("nlu") if isinstance(data, dict) else None
    if not isinstance(blocks, list) or not blocks:
        return False
    return blocks[-1] == {"intent": intent, "metadata": metadata, "examples": f"- {example}\n"}


def preview(root: Path, annotation: Annotation) -> Outcome:
    """What ``annotate`` would do with the annotation; writes nothing."""
    return _plan(Path(root), annotation).outcome


def annotate(root: Path, annotation: Annotation) -> Outcome:
    """Writes the annotated example into the data file of its intent, unless it is a duplicate, a conflict or
    invalid (then nothing is written and the outcome says why)."""
    root = Path(root)
    try:
        with data_lock(root):
            plan = _plan(root, annotation)  # again under the lock: another admin may just have written it
            outcome = plan.outcome
            if outcome.status != "written" or outcome.path is None:
                return outcome
            path = root / outcome.path
            metadata = _metadata(annotation)
            content = _appended(path, plan.intent, outcome.example, metadata)
            if not _lands_as_expected(content, plan.intent, outcome.example, metadata):
                return replace(
                    outcome,
                    status="invalid",
                    message=f"{outcome.path} 的结构不是以 nlu 列表结尾，无法安全追加；请联系维护人员。",
                )
            write_atomically(path, content)
    except TimeoutError as exc:
        return _invalid(str(exc)).outcome
    scrubbed = pii.summary(plan.findings)
    note = f"（{scrubbed}）" if scrubbed else ""
    return replace(outcome, message=f"已写入 {outcome.path}（意图 {plan.intent}），重新训练后生效。{note}")
