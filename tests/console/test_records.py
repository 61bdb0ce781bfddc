"""信用记录录入 (双公示): a department reviewer enters a penalty, which the assistant finds at once; and a CSV
import with one bad row imports nothing and names the row, the column and the reason."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.console.harness import COUNTER, DEMO_PASSWORD, ConsoleStack, shot, visible_text
from tests.console.pages import Chat, log_in
from tests.security.harness import JIAOYI

FENGSHOU = "93220221MA14XK2F29"  # 永吉县丰收农民专业合作社
REVIEWER = "reviewer01"  # the demo department reviewer, 吉林市生态环境局
PENALTY_NO = "吉市环罚〔2026〕601号"
HEADER = "统一社会信用代码,信息类别,决定文书号,决定文书名称,决定日期,决定机关,失信程度,依据,内容"
IMPORTED = ("吉市环罚〔2026〕611号", "吉市环许〔2026〕612号", "吉市环罚〔2026〕613号")


def enter_penalty(page: Page, stack: ConsoleStack, uscc: str, decision_no: str) -> None:
    """The 单条录入 form, filled as a reviewer of 吉林市生态环境局 would."""
    log_in(page, stack, REVIEWER, DEMO_PASSWORD)
    page.get_by_role("link", name="信用记录录入").click()
    page.wait_for_load_state()
    page.get_by_label("统一社会信用代码").fill(uscc)
    page.get_by_label("行政处罚", exact=True).check()
    page.get_by_label("决定文书号").fill(decision_no)
    page.get_by_label("决定日期").fill("2026-11-20")
    assert page.get_by_label("决定机关").input_value() == "吉林市生态环境局"  # the reviewer's department
    page.get_by_label("严重程度（失信程度，仅行政处罚填写）").select_option("一般")
    page.get_by_label("决定文书名称（选填）").fill("未采取有效措施防止扬尘污染")
    page.get_by_label("法律依据").fill("《中华人民共和国大气污染防治法》第一百零八条")
    page.get_by_label("内容").fill("施工工地未采取有效覆盖措施防止扬尘污染，责令改正，罚款人民币二万元。")
    shot(page, "40-record-entry")
    with page.expect_navigation():
        page.get_by_role("button", name="保存记录").click()


def test_a_penalty_entered_is_stored_with_its_publicity_window(page: Page, stack: ConsoleStack) -> None:
    enter_penalty(page, stack, JIAOYI, PENALTY_NO)
    saved = page.locator("#record-saved").inner_text()
    assert PENALTY_NO in page.locator("#saved-document-no").inner_text(), saved
    # 一般 penalty decided 2026-11-20: published at least 3 months and at most a year (令2025年第36号).
    window = page.locator("#saved-window").inner_text()
    assert "2027年2月20日" in window and "2027年11月20日" in window, window
    shot(page, "41-record-saved")
    # The entity panel of the counter helper shows it among the entity's records.
    page.locator("#saved-lookup").click()
    page.wait_for_load_state()
    assert PENALTY_NO in page.locator("#entity-records").inner_text()
    records = stack.records(JIAOYI)
    assert [r for r in records if r.get("document_no") == PENALTY_NO], records


def test_the_assistant_finds_an_entered_penalty_at_once(page: Page, assistant: ConsoleStack) -> None:
    enter_penalty(page, assistant, FENGSHOU, "吉市环罚〔2026〕602号")
    page.locator("#saved-lookup").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    log_in(page, assistant, COUNTER, DEMO_PASSWORD)
    answers = "\n".join(Chat(page).say(f"查一下{FENGSHOU}的行政处罚记录"))
    assert "未采取有效措施防止扬尘污染" in answers and "吉市环罚〔2026〕602号" in answers, answers
    page.locator("#chat-log li", has_text="吉市环罚〔2026〕602号").first.scroll_into_view_if_needed()
    shot(page, "42-counter-finds-entered-penalty")


def test_an_import_with_one_bad_row_imports_nothing_and_names_the_row(page: Page, stack: ConsoleStack) -> None:
    rows = [
        f"{FENGSHOU},行政处罚,{IMPORTED[0]},,2026-11-18,吉林市生态环境局,一般,《中华人民共和国大气污染防治法》第一百零八条,未采取扬尘防治措施，罚款人民币一万元",
        f"{FENGSHOU},行政许可,{IMPORTED[1]},排污许可决定书,2026-11-19,吉林市生态环境局,,《排污许可管理条例》第十四条,准予排污许可",
        f"{FENGSHOU},行政处罚,{IMPORTED[2]},,2026-13-40,吉林市生态环境局,一般,《中华人民共和国水污染防治法》第八十三条,超标排放水污染物，罚款人民币五万元",
    ]
    before = {r.get("document_no") for r in stack.records(FENGSHOU)}
    log_in(page, stack, REVIEWER, DEMO_PASSWORD)
    page.goto(stack.url("/records/import"))
    shot(page, "43-records-import")
    page.get_by_label("导入文件").set_input_files(
        {"name": "双公示记录.csv", "mimeType": "text/csv", "buffer": "\n".join([HEADER, *rows]).encode("utf-8-sig")}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="导入", exact=True).click()
    assert "未导入任何记录" in page.locator("#import-failed").inner_text(), visible_text(page)
    errors = page.locator("#import-errors").inner_text()
    # Row 4 of the spreadsheet (the header is row 1): the date column, and why.
    assert "第4行" in errors and "决定日期" in errors, errors
    assert "第2行" not in errors and "第3行" not in errors, errors
    shot(page, "44-records-import-refused")
    after = {r.get("document_no") for r in stack.records(FENGSHOU)}
    assert after == before and not set(IMPORTED) & after

    # With the row fixed, the same file imports all three.
    rows[2] = rows[2].replace("2026-13-40", "2026-11-20")
    page.get_by_label("导入文件").set_input_files(
        {"name": "双公示记录.csv", "mimeType": "text/csv", "buffer": "\n".join([HEADER, *rows]).encode("utf-8-sig")}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="导入", exact=True).click()
    assert "3" in page.locator("#import-count").inner_text(), visible_text(page)
    assert set(IMPORTED) <= {r.get("document_no") for r in stack.records(FENGSHOU)}
    shot(page, "45-records-imported")
