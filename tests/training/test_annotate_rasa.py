"""Rasa 3.6 reads what annotate wrote: ``rasa data validate`` (warnings fail, as ``make validate``) on a copy of the
project after an intent example with entities and a faq/<topic> example were written, and Rasa's own loader finds
both with their entities and provenance. Runs in .venv-rasa (``-k rasa``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

from training.annotate import Annotation, Span, annotate, choices

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


def test_rasa_validates_and_reads_the_annotated_data(tmp_path: Path):
    for part in ("data", "domain", "tests/nlu"):
        shutil.copytree(ROOT / part, tmp_path / part)
    shutil.copy(ROOT / "config.yml", tmp_path / "config.yml")
    typed = "帮我瞧瞧吉林市松江源木业有限公司是否进了黑名单，我叫王建国"
    org, record = typed.index("吉林市松江源木业有限公司"), typed.index("黑名单")
    spans = (Span(org, org + 12, "org_name"), Span(record, record + 3, "record_type", "严重失信主体名单"))
    source = "conversation 42 message 7 (tg)"
    first = annotate(tmp_path, Annotation(typed, "query_credit", None, spans, source, "admin01", date(2026, 11, 30)))
    assert first.status == "written", first.message
    topic = choices(tmp_path)["faq_topics"][0]
    second = annotate(tmp_path, Annotation("这个事情大概要办多长时间嘞", "faq", topic, (), source, "admin01"))
    assert second.status == "written", second.message

    result = subprocess.run(
        [str(RASA), "data", "validate", "--domain", "domain", "--data", "data", "--fail-on-warnings"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    from rasa.shared.nlu.training_data.loading import load_data

    loaded = {m.get("text"): m for m in load_data(str(tmp_path / "data" / "nlu")).training_examples}
    example = loaded["帮我瞧瞧吉林市松江源木业有限公司是否进了黑名单，我叫张三丰"]
    assert example.get("intent") == "query_credit"
    assert [(e["entity"], e["value"]) for e in example.get("entities")] == [
        ("org_name", "吉林市松江源木业有限公司"),
        ("record_type", "严重失信主体名单"),
    ]
    assert example.get("metadata")["intent"] == {"source": source, "annotator": "admin01", "date": "2026-11-30"}
    faq = loaded["这个事情大概要办多长时间嘞"]
    assert (faq.get("intent"), faq.get("intent_response_key")) == ("faq", f"faq/{topic}")
