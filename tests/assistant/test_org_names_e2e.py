"""Names as users write them, through the real assistant (issue 13).

The real Rasa model from models/, the real action server and the real backend over the demo city of ``make demo``
(2,000 entities, seed 42), conversations in Redis database 14. More than 200 entities are picked deterministically
from the demo generator: the six named cases (昌邑区桦皮厂村股份经济合作社 among them), then one entity of each kind,
region and form of region prefix in turn. Each is asked for by its full registered name and by its name without
the region prefix, in a request ("查询…的信用"), bare as the answer to the entity question, and bare as the first
message of a conversation (a name said alone is a query); the answer must be that entity's profile, not a list. A
name without its prefix that several entities share (老孙饭店 in two districts) must instead be asked about, with the
entity among the choices.

Needs the trained model and .venv-rasa (``make train``); without them the test FAILS with the reason. Prints the
hit rate of each way of writing the name.
"""

from __future__ import annotations

import itertools
import secrets
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from credit_backend.demo.generator import NAMED_CASES
from tests.assistant.cases import CITY_SIZE, WANTED, Case, pick_cases
from tests.support.processes import DemoBackend
from tests.support.rasa_stack import rasa_stack

pytestmark = pytest.mark.rasa_e2e

REDIS_DB = "14"
ASK = "查询信用"
CONCURRENT = 4  # conversations at once (Rasa runs two workers)
_senders = itertools.count(1)


ALONE, SHARED = pick_cases()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Rasa's URL: the real stack over a real backend holding the demo city."""
    token = secrets.token_urlsafe(16)
    tokens = {"assistant": token, "staff": secrets.token_urlsafe(16), "admin": secrets.token_urlsafe(16)}
    backend = DemoBackend(tmp_path_factory.mktemp("backend"), tokens, entities=CITY_SIZE).start()
    try:
        with rasa_stack(tmp_path_factory.mktemp("rasa"), backend.url, token, {}, REDIS_DB) as url:
            yield url
    finally:
        backend.stop()


def say(client: httpx.Client, url: str, sender: str, text: str) -> list[dict]:
    response = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
    response.raise_for_status()
    return response.json()


def answers_with(replies: list[dict], case: Case) -> bool:
    """The reply is the entity's profile (its name and code), with no list to choose from."""
    text = "\n".join(str(r.get("text") or "") for r in replies)
    listed = [b for r in replies for b in r.get("buttons") or [] if '"uscc"' in str(b.get("payload"))]
    return f"【{case.name}】" in text and case.uscc in text and not listed


def offers(replies: list[dict], case: Case) -> bool:
    """The reply asks which entity is meant, with this one among the choices."""
    payloads = [str(b.get("payload")) for r in replies for b in r.get("buttons") or []]
    return len(payloads) > 1 and any(case.uscc in p for p in payloads)


REQUEST, ANSWER, FIRST = "请求", "单独回答", "第一句"


def run_case(url: str, case: Case, text: str, how: str) -> list[dict]:
    """One conversation: the request with the name, the request, the question and the bare name, or the bare name
    as the first message."""
    sender = f"e2e-names-{next(_senders)}"
    with httpx.Client(timeout=120) as client:
        if how == REQUEST:
            return say(client, url, sender, f"查询{text}的信用")
        if how == FIRST:
            return say(client, url, sender, text)
        question = say(client, url, sender, ASK)
        assert any("主体名称" in str(r.get("text")) for r in question), (
            f"{ASK!r} did not ask for the entity: {question}"
        )
        return say(client, url, sender, text)


def test_full_names_and_names_without_the_region_prefix_find_that_entity(assistant: str, tmp_path: Path) -> None:
    ways = {f"{written}·{how}": (written, how) for written in ("全称", "无前缀") for how in (REQUEST, ANSWER, FIRST)}
    jobs = [(way, case) for case in ALONE for way in ways]
    shared_jobs = [(way, case) for case in SHARED for way in ways if way.startswith("无前缀")]

    def run(job: tuple[str, Case]) -> tuple[str, Case, list[dict]]:
        way, case = job
        written, how = ways[way]
        return way, case, run_case(assistant, case, case.name if written == "全称" else case.rest, how)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(run, jobs))
        shared_results = list(pool.map(run, shared_jobs))

    hits, totals, misses = Counter(), Counter(), []
    for way, case, replies in results:
        totals[way] += 1
        if answers_with(replies, case):
            hits[way] += 1
        else:
            misses.append((way, case.name, [r.get("text") for r in replies][:2]))
    for way, case, replies in shared_results:
        totals[f"{way}·多个同名"] += 1
        if offers(replies, case):
            hits[f"{way}·多个同名"] += 1
        else:
            misses.append((f"{way}·多个同名", case.name, [r.get("text") for r in replies][:2]))
    kinds = Counter(c.kind for c in ALONE + SHARED)
    regions = Counter(c.region for c in ALONE + SHARED)
    report = [f"{len(ALONE)} 个主体（另 {len(SHARED)} 个无前缀名称不唯一）；类型 {dict(kinds)}；地区 {dict(regions)}"]
    report += [f"{way}：{hits[way]}/{totals[way]} = {hits[way] / totals[way]:.3f}" for way in totals]
    all_hits, all_total = sum(hits.values()), sum(totals.values())
    report.append(f"合计：{all_hits}/{all_total} = {all_hits / all_total:.3f}")
    print("\n".join(report))
    lines = [*report, "未命中：", *(str(miss) for miss in misses)]
    (tmp_path / "report.txt").write_text("\n".join(lines), encoding="utf-8")
    assert len(ALONE) >= WANTED and {c.uscc for c in NAMED_CASES} <= {c.uscc for c in ALONE + SHARED}
    assert not misses, "\n".join(report) + "\n未命中（前20个）：\n" + "\n".join(map(str, misses[:20]))
