"""模型管理 in the browser: the registry's models with their reports and the gate's verdicts, the one in service,
a rollback to the model promoted before; a retrain started with the button that fails on stale data and says why;
a staff account kept out.

The registry is a real one (training.registry) in a copy of the project; its entries are the model in service
copied in with evaluation reports written for the page to show, and verdicts from the real gate
(training.gate.judge). Training a model takes far longer than a browser test should (tests/retrain trains and
promotes for real); the retrain here is the real background run of training.retrain, stopped by its first check.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.console.admin_loop import admins_only, audited, console_root, project_copy
from tests.console.harness import ADMIN, COUNTER, DEMO_PASSWORD, ConsoleStack, shot, visible_text
from tests.console.pages import log_in
from tests.support.processes import ROOT, wait_until
from training.gate import CODE_ENTITIES, judge
from training.registry import MODEL_FILE, SERVICE_MODEL, Registry

STALE_FLOWS = Path("data/rules/flows.generated.yml")


def report(accuracy: float, macro_f1: float, failed_stories: int = 0) -> dict[str, Any]:
    """An evaluation report as training.retrain writes it (scripts/nlu_eval.py's figures, the stories' results)."""
    intents = {"query_credit": {"f1": macro_f1}, "greet": {"f1": macro_f1}}
    return {
        "nlu": {
            "intent_accuracy": accuracy,
            "intent_macro_f1": macro_f1,
            "per_intent": intents,
            "entities": {name: {"f1": 1.0, "support": 10} for name in CODE_ENTITIES},
        },
        "stories": {
            "total": 40,
            "failed": failed_stories,
            "failed_stories": [f"story {i}" for i in range(failed_stories)],
        },
    }


def add_model(registry: Registry, origin: str, figures: dict[str, Any], against: dict[str, Any] | None) -> str:
    """The model in service copied in as an entry, with ``figures`` as its report and the gate's verdict."""
    model_id = registry.reserve(origin)
    shutil.copyfile(ROOT / SERVICE_MODEL, registry.folder(model_id) / MODEL_FILE)
    registry.write_report(model_id, figures)
    registry.write_verdict(model_id, judge(figures, against).to_dict())
    return model_id


@pytest.fixture(scope="module")
def root(stack: ConsoleStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with console_root(stack, project_copy(tmp_path_factory.mktemp("models-root"))) as copy:
        yield copy


def row(page: Page, model_id: str) -> str:
    return page.locator(f'#models-table tr[data-model-id="{model_id}"]').inner_text()


def in_service(page: Page, model_id: str) -> bool:
    return "在用" in page.locator(f'#models-table tr[data-model-id="{model_id}"] td.in-service').inner_text()


def test_an_admin_sees_the_models_and_rolls_back(page: Page, stack: ConsoleStack, root: Path) -> None:
    registry = Registry(root)
    first_report, second_report = report(0.9612, 0.9480), report(0.9655, 0.9521)
    first = add_model(registry, "imported", first_report, None)
    registry.promote(first)
    second = add_model(registry, "trained", second_report, first_report)
    registry.promote(second)
    refused = add_model(registry, "trained", report(0.9401, 0.9302, failed_stories=2), second_report)

    log_in(page, stack, ADMIN, DEMO_PASSWORD)
    page.get_by_role("link", name="模型管理").click()
    page.wait_for_load_state()
    assert in_service(page, second) and not in_service(page, first), visible_text(page)
    assert "0.9655" in row(page, second) and "40/40" in row(page, second) and "通过" in row(page, second)
    assert "未通过" in row(page, refused) and "38/40" in row(page, refused)
    assert "意图准确率 0.9401 低于当前模型的 0.9655" in row(page, refused), row(page, refused)
    shot(page, "65-admin-models", full_page=True)

    page.get_by_role("button", name="回滚到上一个模型").click()  # confirmed in the dialog (conftest accepts it)
    page.wait_for_load_state()
    assert f"已回滚到模型 {first}" in page.locator("#notice").inner_text(), visible_text(page)
    assert in_service(page, first) and not in_service(page, second)
    assert registry.current_id() == first
    assert [(e["target"], e["details"]["previous"]) for e in audited(stack, f"staff:{ADMIN}", "rollback_model")] == [
        (first, second)
    ]
    # Nothing older to go back to: the button says so instead of failing.
    assert page.get_by_role("button", name="回滚到上一个模型").is_disabled()
    assert "暂无可回滚的模型" in visible_text(page)


def test_a_retrain_on_stale_data_fails_and_says_why(page: Page, stack: ConsoleStack, root: Path) -> None:
    flows = root / STALE_FLOWS
    flows.write_text(flows.read_text("utf-8") + "# edited by hand\n", "utf-8")
    log_in(page, stack, ADMIN, DEMO_PASSWORD)
    page.goto(stack.url("/admin/models"))
    page.get_by_role("button", name="重新训练").click()
    page.wait_for_load_state()
    assert "已开始重新训练" in page.locator("#notice").inner_text(), visible_text(page)
    assert len(audited(stack, f"staff:{ADMIN}", "start_retrain")) == 1

    def finished() -> bool:
        page.goto(stack.url("/admin/models"))
        return page.locator("#retrain-status").get_attribute("data-state") not in ("running", "idle")

    wait_until(finished, 180, "the retrain to end")
    assert page.locator("#retrain-status").get_attribute("data-state") == "failed"
    reasons = page.locator("#retrain-reasons").inner_text()
    assert "流程生成文件已过期" in reasons and str(STALE_FLOWS) in reasons, reasons
    assert page.get_by_role("button", name="重新训练").is_enabled()
    shot(page, "66-admin-models-retrain-failed")


def test_staff_cannot_manage_models(page: Page, stack: ConsoleStack, root: Path) -> None:
    log_in(page, stack, COUNTER, DEMO_PASSWORD)
    admins_only(page, stack, "模型管理", "/admin/models")
    # Not even with the form posted by hand, with their own valid CSRF token: nothing changes.
    before = Registry(root).current_id()
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    for action in ("rollback", "retrain"):
        response = page.request.post(stack.url(f"/admin/models/{action}"), form={"csrf_token": str(token)})
        assert response.status == 403, action
    assert Registry(root).current_id() == before
