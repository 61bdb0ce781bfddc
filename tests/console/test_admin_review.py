"""会话复核 in the browser: real conversations with the assistant reach the archive; the admin finds the unclear
one with the low-confidence filter, reads each message's prediction, corrects a message whose text carries a
phone number, previews it, writes it into (a copy of) the training data with the number replaced, is told when
the same example is annotated again, marks the conversation reviewed and saves it as a test story. A staff
account is kept out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page

from tests.console.admin_loop import admins_only, archived, audited, console_root, new_user, project_copy, talk
from tests.console.harness import ADMIN, COUNTER, DEMO_PASSWORD, ConsoleStack, shot, visible_text
from tests.console.pages import log_in
from tests.support.processes import ROOT

# Vague first messages: the NLU is unsure of at least one of them whatever model is trained (which one varies).
UNCLEAR = ("我想问问那个什么情况", "就是上次说的那个事儿", "你看着办吧", "嗯那个咋整")
PHONE = "13904321234"
WITH_PHONE = f"我的手机号{PHONE}，帮我查一下信用记录"
CLEAR = "帮我查一下91220202MA0Y3K7Q6L"
INTENT = "query_credit"


@pytest.fixture(scope="module")
def root(stack: ConsoleStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The console writing into a copy of data/ and domain/."""
    with console_root(stack, project_copy(tmp_path_factory.mktemp("review-root"))) as copy:
        yield copy


@pytest.fixture(scope="module")
def conversations(assistant: ConsoleStack) -> dict[str, dict[str, Any]]:
    """An unclear conversation on Telegram (then a message with a phone number) and a clear one over REST."""
    unclear = talk(assistant, "tg", new_user(), *UNCLEAR, WITH_PHONE)
    clear = talk(assistant, "rest", f"review-{new_user()}", CLEAR)
    return {"unclear": archived(assistant, unclear, len(UNCLEAR) + 1), "clear": archived(assistant, clear, 1)}


def intent_files(intent: str) -> list[str]:
    """The data files (relative to the root) that hold ``intent``'s NLU examples in the repository's data."""
    found = []
    for path in sorted((ROOT / "data").rglob("*.yml")):
        blocks = (yaml.safe_load(path.read_text("utf-8")) or {}).get("nlu") or []
        if any(isinstance(b, dict) and b.get("intent") == intent for b in blocks):
            found.append(str(path.relative_to(ROOT)))
    assert found, intent
    return found


def message(detail: dict[str, Any], text: str) -> dict[str, Any]:
    return next(m for m in detail["messages"] if m["text"] == text)


def data_text(root: Path) -> str:
    return "\n".join(p.read_text("utf-8") for p in sorted((root / "data").rglob("*.yml")))


def test_an_admin_reviews_and_annotates_a_conversation(
    page: Page, stack: ConsoleStack, root: Path, conversations: dict[str, dict[str, Any]]
) -> None:
    unclear, clear = conversations["unclear"], conversations["clear"]
    unsure = [m for m in unclear["messages"] if m["text"] in UNCLEAR and m["low_confidence"]]
    assert unsure, ("the model is sure of every vague message: add another to UNCLEAR", unclear["messages"])
    assert not any(m["low_confidence"] for m in clear["messages"]), clear["messages"]

    log_in(page, stack, ADMIN, DEMO_PASSWORD)
    page.get_by_role("link", name="会话复核").click()
    page.get_by_label("意图置信度低").check()
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    rows = page.locator("#review-table tbody tr")
    senders = [rows.nth(i).get_attribute("data-sender") for i in range(rows.count())]
    assert unclear["sender_id"] in senders and clear["sender_id"] not in senders, (senders, visible_text(page))
    shot(page, "60-admin-review")

    page.locator(f'tr[data-sender="{unclear["sender_id"]}"] a.conversation-link').click()
    page.wait_for_load_state()
    target = message(unclear, WITH_PHONE)
    item = page.locator(f"#message-{target['id']}")
    assert target["intent"] in item.locator(".predicted-intent").inner_text()
    assert unsure[0]["ranking"][1]["name"] in page.locator(f"#message-{unsure[0]['id']}").inner_text()
    item.scroll_into_view_if_needed()
    shot(page, "61-admin-conversation", full_page=True)

    # Changing the words, not only the marks, is refused and writes nothing.
    before = data_text(root)
    assert PHONE not in before, "pick a PHONE no training file holds: the checks below look for it there"
    item.get_by_text("纠正并写入训练数据").click()
    item.get_by_label("正确的意图").select_option(INTENT)
    item.get_by_label("实体标注").fill(WITH_PHONE.replace("信用记录", "信用"))
    item.get_by_role("button", name="预览").click()
    page.wait_for_load_state()
    item = page.locator(f"#message-{target['id']}")
    assert "去掉实体标记后与用户原话不一致" in item.inner_text(), visible_text(page)
    assert data_text(root) == before

    # The preview shows exactly what will be written, the phone number already replaced; it writes nothing.
    item.get_by_label("实体标注").fill(WITH_PHONE)
    item.get_by_role("button", name="预览").click()
    page.wait_for_load_state()
    preview = page.locator(f"#preview-result-{target['id']}")
    expected_file = preview.locator(".outcome-path").inner_text().strip()
    assert expected_file in intent_files(INTENT), visible_text(page)
    example = preview.locator(".outcome-example").inner_text().strip()
    assert PHONE not in example and "帮我查一下信用记录" in example, example
    assert data_text(root) == before
    preview.scroll_into_view_if_needed()
    shot(page, "62-admin-annotate-preview")

    page.get_by_role("button", name="写入训练数据").click()
    page.wait_for_load_state()
    outcome = page.locator(f"#outcome-{target['id']}")
    assert outcome.get_attribute("data-status") == "written", visible_text(page)
    assert expected_file in outcome.inner_text()
    written = (root / expected_file).read_text("utf-8")
    assert f"- {example}" in written, written[-500:]
    assert PHONE not in data_text(root) and PHONE not in (root / "domain").joinpath("domain.yml").read_text("utf-8")
    outcome.scroll_into_view_if_needed()
    shot(page, "63-admin-annotate-written")

    # The same example again: flagged, not written twice.
    item = page.locator(f"#message-{target['id']}")
    item.get_by_label("正确的意图").select_option(INTENT)
    item.get_by_role("button", name="预览").click()
    page.wait_for_load_state()
    preview = page.locator(f"#preview-result-{target['id']}")
    assert preview.get_attribute("data-status") == "duplicate", visible_text(page)
    assert page.get_by_role("button", name="写入训练数据").count() == 0
    assert (root / expected_file).read_text("utf-8").count(f"- {example}") == 1

    page.get_by_role("button", name="标记为已复核").click()
    page.wait_for_load_state()
    assert (
        "已复核" in page.locator("#reviewed-state").inner_text()
        and ADMIN in page.locator("#reviewed-state").inner_text()
    )

    page.get_by_label("测试故事名称").fill("复核：查询时先说了手机号")
    page.get_by_role("button", name="另存为测试故事").click()
    page.wait_for_load_state()
    notice = page.locator("#notice").inner_text()
    saved = re.search(r"tests/stories/reviewed/\S+\.yml", notice)
    assert saved, notice
    story = (root / saved.group(0)).read_text("utf-8")
    assert "复核：查询时先说了手机号" in story and PHONE not in story, story

    # Reading went through the backend, which logged it; so did what the console wrote.
    actor = f"staff:{ADMIN}"
    assert any(e["target"] == f"conversation:{unclear['id']}" for e in audited(stack, actor, "view_conversation")), (
        actor
    )
    annotated = audited(stack, actor, "annotate_example")
    assert [e["details"]["path"] for e in annotated if e["target"].endswith(f"message:{target['id']}")] == [
        expected_file
    ]
    assert [e["details"]["path"] for e in audited(stack, actor, "save_test_story")] == [saved.group(0)]


def test_staff_cannot_review_conversations(page: Page, stack: ConsoleStack) -> None:
    log_in(page, stack, COUNTER, DEMO_PASSWORD)
    admins_only(page, stack, "会话复核", "/admin/conversations", "/admin/conversations/1")
