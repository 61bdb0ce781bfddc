"""Annotating a message writes one example into the right data file (training/annotate.py), on a copy of the
project's data/, domain/ and tests/nlu/ (never the repository's files)."""

from __future__ import annotations

import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
import yaml

from training.annotate import Annotation, Span, annotate, choices, preview

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 30)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for part in ("data", "domain", "tests/nlu"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "data").rglob("*")) if p.is_file()}


def note(text: str, intent: str, entities: tuple[Span, ...] = (), topic: str | None = None) -> Annotation:
    return Annotation(text, intent, topic, entities, "conversation 42 message 7 (tg)", "admin01", DAY)


def blocks(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]


def holder(root: Path, intent: str) -> str:
    """The data file that holds most examples of the intent in the copy (several files may hold some)."""
    counts: dict[str, int] = {}
    for path in sorted((root / "data").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        examples = [str(b.get("examples") or "") for b in data.get("nlu") or [] if b.get("intent") == intent]
        count = sum(line.lstrip().startswith("- ") for text in examples for line in text.splitlines())
        if count:
            counts[path.relative_to(root).as_posix()] = count
    assert counts, intent
    return max(counts, key=lambda name: counts[name])


def first_example(path: Path, prefix: str = "") -> tuple[str, str]:
    """(intent, text) of the first example of an evaluation file whose intent starts with prefix."""
    for block in blocks(path):
        if str(block.get("intent", "")).startswith(prefix):
            line = block["examples"].splitlines()[0]
            return block["intent"], line[2:].strip()
    raise AssertionError(prefix)


def test_choices_are_the_domains_intents_the_faq_topics_and_the_learned_entities(project: Path):
    options = choices(project)
    assert {"query_credit", "inform", "greet", "faq"} <= set(options["intents"])
    assert "nlu_fallback" not in options["intents"]
    responses = yaml.safe_load((project / "data/responses/faq.yml").read_text(encoding="utf-8"))["responses"]
    assert options["faq_topics"] == sorted(k.removeprefix("utter_faq/") for k in responses)
    assert {"uscc", "org_name", "application_id", "record_type"} <= set(options["entities"])
    assert "record_id" not in options["entities"]  # only button payloads carry it


def test_an_example_lands_in_the_file_of_its_intent_scrubbed_with_its_provenance(project: Path):
    target = project / holder(project, "query_credit")
    before = target.read_text(encoding="utf-8")
    typed = "我叫王建国，手机13912345678，想看看吉林市松江源木业有限公司上没上黑名单"
    org, record = typed.index("吉林市松江源木业有限公司"), typed.index("黑名单")
    entities = (Span(org, org + 12, "org_name"), Span(record, record + 3, "record_type", "严重失信主体名单"))
    outcome = annotate(project, note(typed, "query_credit", entities))
    assert outcome.status == "written", outcome.message
    assert outcome.path == holder(project, "query_credit")
    expected = (
        "我叫张三丰，手机13800000000，想看看[吉林市松江源木业有限公司](org_name)上没上"
        '[黑名单]{"entity": "record_type", "value": "严重失信主体名单"}'
    )
    assert outcome.example == expected
    assert outcome.message.startswith(f"已写入 {outcome.path}") and "手机号 1 处" in outcome.message
    after = target.read_text(encoding="utf-8")
    assert after.startswith(before)  # the rest of the file byte for byte, comments included
    assert blocks(target)[-1] == {
        "intent": "query_credit",
        "metadata": {"source": "conversation 42 message 7 (tg)", "annotator": "admin01", "date": "2026-11-30"},
        "examples": f"- {expected}\n",
    }
    everything = "".join(p.read_text(encoding="utf-8") for p in (project / "data").rglob("*.yml"))
    assert "13912345678" not in everything and "王建国" not in everything


def test_a_faq_topic_example_lands_in_the_file_of_the_faq(project: Path):
    topic = choices(project)["faq_topics"][0]
    outcome = annotate(project, note("麻烦问下这个到底咋整，讲讲呗老师", "faq", topic=topic))
    assert outcome.status == "written", outcome.message
    assert outcome.path == holder(project, f"faq/{topic}")
    assert blocks(project / outcome.path)[-1]["intent"] == f"faq/{topic}"
    same = annotate(project, note("麻烦问下这个到底咋整，讲讲呗老师", f"faq/{topic}"))  # the topic in the intent
    assert same.status == "duplicate"


def test_a_duplicate_is_flagged_and_nothing_is_written(project: Path):
    assert annotate(project, note("我们厂想查查自己有没有被罚过款", "query_credit")).status == "written"
    before = snapshot(project)
    # Spaces, full-width characters, punctuation and case do not make a new example.
    outcome = annotate(project, note("我们厂想查查 自己有没有被罚过款！", "query_credit"))
    assert outcome.status == "duplicate"
    assert outcome.path == holder(project, "query_credit")
    assert "已有这条例句" in outcome.message
    assert snapshot(project) == before


def test_the_same_example_under_another_intent_is_a_conflict_naming_both(project: Path):
    assert annotate(project, note("ＡＢＣ公司那个事儿咋样了", "check_application")).status == "written"
    before = snapshot(project)
    outcome = annotate(project, note("abc公司那个事儿咋样了", "query_credit"))
    assert outcome.status == "conflict"
    assert outcome.path == holder(project, "check_application")
    assert "check_application" in outcome.message and outcome.path in outcome.message
    assert snapshot(project) == before


@pytest.mark.parametrize("eval_file", ["tests/nlu/eval_intents.yml", "tests/nlu/eval_faq.yml"])
def test_an_evaluation_example_never_enters_the_training_data(project: Path, eval_file: str):
    intent, text = first_example(project / eval_file)
    base, _, topic = intent.partition("/")
    before = snapshot(project)
    for typed in (text, text + "呀呀"):  # the example itself, and one too similar (check_eval_overlap.py)
        outcome = annotate(project, note(typed, base, topic=topic or None))
        assert outcome.status == "conflict", typed
        assert outcome.path == eval_file
        assert "评估集" in outcome.message and "不能写入训练数据" in outcome.message
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("annotation", "words"),
    [
        (note("帮我看看这个", "no_such_intent"), "没有名为“no_such_intent”的意图"),
        (note("信用修复要多久", "faq"), "请选择政策问答的主题"),
        (note("信用修复要多久", "faq", topic="no_such_topic"), "没有名为“no_such_topic”的政策问答主题"),
        (note("查下江城建材", "query_credit", topic="repair_duration"), "只有政策问答"),
        (note("   ", "greet"), "例句不能为空"),
        (note("第一行\n第二行", "greet"), "不能包含换行"),
        (note("查下江城建材", "query_credit", (Span(3, 99, "org_name"),)), "不在这句话的范围内"),
        (note("查下江城建材", "query_credit", (Span(2, 6, "org_name"), Span(4, 6, "org_name"))), "重叠"),
        (note("查下江城建材", "query_credit", (Span(2, 6, "company"),)), "没有名为“company”的实体类型"),
        (note("查下江城建材", "query_credit", (Span(2, 6, "record_id"),)), "没有名为“record_id”的实体类型"),
        (note("查下[江城](建材)", "query_credit"), "方括号"),
    ],
)
def test_invalid_annotations_are_explained_in_chinese_and_nothing_is_written(project, annotation, words):
    before = snapshot(project)
    outcome = annotate(project, annotation)
    assert outcome.status == "invalid"
    assert words in outcome.message
    assert snapshot(project) == before


def test_preview_writes_nothing_and_announces_what_annotate_then_does(project: Path):
    annotation = note("  [2]号窗口说找你们查江城建材 ", "query_credit", (Span(13, 17, "org_name"),))
    before = snapshot(project)
    seen = preview(project, annotation)
    assert snapshot(project) == before
    assert seen.status == "written" and seen.message.startswith("将写入")
    done = annotate(project, annotation)
    assert (done.status, done.path, done.example) == (seen.status, seen.path, seen.example)
    assert seen.example == "[2]号窗口说找你们查[江城建材](org_name)"
    assert preview(project, annotation).status == "duplicate"


def test_an_intent_without_examples_gets_a_file_of_its_own(project: Path):
    domain = project / "domain" / "domain.yml"
    domain.write_text(domain.read_text(encoding="utf-8").replace("  - greet\n", "  - greet\n  - ask_hours\n", 1))
    outcome = annotate(project, note("你们几点下班", "ask_hours"))
    assert outcome.status == "written"
    assert outcome.path == "data/nlu/annotated.yml"
    assert blocks(project / outcome.path)[-1]["examples"] == "- 你们几点下班\n"
    assert annotate(project, note("周末你们上班不", "ask_hours")).path == "data/nlu/annotated.yml"
    assert [b["examples"] for b in blocks(project / outcome.path)] == ["- 你们几点下班\n", "- 周末你们上班不\n"]


def test_admins_writing_at_once_lose_nothing(project: Path):
    texts = [f"第{n}号窗口的同事让我来线上查一查我们的信用情况" for n in "一二三四五六七八"]
    outcomes = []

    def write(text: str) -> None:
        outcomes.append(annotate(project, note(text, "query_credit")))

    threads = [threading.Thread(target=write, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.status for o in outcomes) == ["written"] * len(texts)
    written = [b["examples"] for b in blocks(project / holder(project, "query_credit"))[-len(texts) :]]
    assert sorted(written) == sorted(f"- {t}\n" for t in texts)
    assert not [p for p in (project / "data").rglob("*") if p.name.endswith(".tmp")]
