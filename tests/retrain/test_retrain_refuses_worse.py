"""A deliberately worse model, trained by the real retrain command, is refused, kept with its report and verdict,
and the model in service stays the same."""

from __future__ import annotations

from tests.retrain.conftest import WEAKENED, Retrained
from training.registry import MODEL_FILE
from training.retrain import REFUSED


def test_a_worse_model_is_refused_and_kept_with_its_report(retrained: Retrained) -> None:
    result, registry = retrained.result, retrained.registry
    print(f"retrain took {retrained.seconds:.0f} s\n{result.stdout}")
    assert result.returncode == REFUSED, f"{result.stdout}\n{result.stderr}"

    entries = registry.entries()
    assert len(entries) == 2
    candidate, service = entries  # newest first
    # The registry began empty: the model of `make train` was imported, evaluated, and is still in service.
    assert service.origin == "imported" and service.current and registry.current_id() == service.id
    assert registry.history() == [service.id]
    assert service.report is not None and service.report["stories"]["total"] > 0

    # The candidate is kept, with its archive, report, training log and the gate's reasons.
    assert not candidate.current and candidate.origin == "trained"
    assert (registry.folder(candidate.id) / MODEL_FILE).stat().st_size > 1_000_000
    assert (registry.folder(candidate.id) / "train.log").read_text(encoding="utf-8").strip()
    assert candidate.report is not None and candidate.verdict is not None
    assert candidate.verdict["promote"] is False and candidate.verdict["compared_with"] == service.id
    weakened_f1 = {i: candidate.report["nlu"]["per_intent"][i]["f1"] for i in WEAKENED}
    before_f1 = {i: service.report["nlu"]["per_intent"][i]["f1"] for i in WEAKENED}
    assert any(before_f1[i] - weakened_f1[i] > 0.05 for i in WEAKENED), (before_f1, weakened_f1)
    reasons = "\n".join(candidate.verdict["reasons"])
    assert "以下意图的 F1 下降超过 0.05" in reasons and any(i in reasons for i in WEAKENED), reasons
    # The summary the admin reads says so.
    assert "未通过比较，未上线" in result.stdout and f"在用模型：{service.id}" in result.stdout
    assert registry.serving_path() == (service.id, service.path)
