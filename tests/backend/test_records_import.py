"""Import of 双公示 records from CSV (UTF-8, UTF-8 with BOM, GBK) and XLSX: all rows or none, each bad row
named by its spreadsheet row number, its Chinese column header and the reason."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from credit_backend.models import AuditEntry, CreditRecord
from credit_backend.services import records_import
from tests.backend.api_helpers import API, JIANGCHENG, LAOWANG, assert_error, count
from tests.backend.conftest import ASSISTANT, STAFF
from tests.backend.console_cases import pinned_day

HEADER = [
    "统一社会信用代码",
    "信息类别",
    "决定文书号",
    "决定文书名称",
    "决定日期",
    "决定机关",
    "失信程度",
    "依据",
    "内容",
]
PENALTY_ROW = [
    JIANGCHENG,
    "行政处罚",
    "吉市环罚〔2026〕61号",
    "",
    "2026-11-20",
    "吉林市生态环境局",
    "一般",
    "《中华人民共和国大气污染防治法》第一百零八条",
    "未采取有效措施防止扬尘污染，罚款人民币二万元",
]
LICENCE_ROW = [
    LAOWANG,
    "行政许可",
    "吉市审批〔2026〕402号",
    "食品经营许可决定书",
    "2026/11/19",
    "吉林市市场监督管理局",
    "",
    "《中华人民共和国食品安全法》第三十五条",
    "准予食品经营许可",
]


@pytest.fixture
def pin_day(monkeypatch):
    yield from pinned_day(monkeypatch)


@pytest.fixture(autouse=True)
def today(pin_day) -> date:
    day = date(2026, 11, 26)
    pin_day(day)
    return day


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", header: list[str] = HEADER) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode(encoding)


def upload(client, data: bytes, name: str = "records.csv", headers=STAFF):
    return client.post(
        f"{API}/records/import", files={"file": (name, data, "application/octet-stream")}, headers=headers
    )


def documents(client, uscc: str) -> set[str]:
    r = client.get(f"{API}/entities/{uscc}/records", headers=ASSISTANT)
    assert r.status_code == 200, r.text
    return {item["document_no"] for item in r.json()["items"]}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_good_csv_imports_every_row(client, world, session, encoding):
    r = upload(client, csv_bytes([PENALTY_ROW, LICENCE_ROW], encoding))
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 2}
    assert "吉市环罚〔2026〕61号" in documents(client, JIANGCHENG)
    assert "吉市审批〔2026〕402号" in documents(client, LAOWANG)
    assert count(session, AuditEntry, AuditEntry.action == "enter_record") == 2
    assert count(session, AuditEntry, AuditEntry.action == "import_records") == 1


def test_a_good_xlsx_imports_every_row(client, world):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([*PENALTY_ROW[:4], datetime(2026, 11, 20), *PENALTY_ROW[5:]])  # a date cell, as Excel keeps it
    sheet.append(LICENCE_ROW)
    data = io.BytesIO()
    book.save(data)
    r = upload(client, data.getvalue(), "双公示.xlsx")
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 2}
    r = client.get(f"{API}/entities/{JIANGCHENG}/records", headers=ASSISTANT)
    entered = next(i for i in r.json()["items"] if i["document_no"] == "吉市环罚〔2026〕61号")
    assert entered["decision_date"] == "2026-11-20" and entered["publicity_end"] == "2027-11-20"


def test_one_bad_row_imports_nothing_and_is_named(client, world, session):
    before = count(session, CreditRecord)
    bad = [*PENALTY_ROW[:2], "吉市环罚〔2026〕62号", "", "2026-12-01", *PENALTY_ROW[5:]]
    error = assert_error(
        upload(client, csv_bytes([PENALTY_ROW, bad, LICENCE_ROW])), 400, "IMPORT_INVALID", "第3行", "全部记录均未导入"
    )
    assert error["details"]["errors"] == [
        {"row": 3, "column": "决定日期", "reason": "决定日期不能晚于今天（2026年11月26日）"}
    ]
    assert count(session, CreditRecord) == before
    assert "吉市环罚〔2026〕61号" not in documents(client, JIANGCHENG)


def test_every_problem_of_every_row_is_listed(client, world):
    rows = [
        ["91220202MA0Y3K7Q6X", "行政处罚", "A-1", "", "2026-11-01", "吉林市生态环境局", "很严重", "依据", "内容"],
        [JIANGCHENG, "行政强制", "A-2", "", "昨天", "吉林市生态环境局", "", "", "内容"],
    ]
    errors = upload(client, csv_bytes(rows)).json()["error"]["details"]["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "统一社会信用代码"),
        (2, "失信程度"),
        (3, "信息类别"),
        (3, "决定日期"),
        (3, "依据"),
    ]
    assert "校验位不符" in errors[0]["reason"] and "“昨天”不是有效日期" in errors[3]["reason"]


def test_duplicates_in_the_file_and_of_stored_records(client, world, session):
    stored = world.records["repairable"]  # 吉市环罚〔2026〕1号 of 吉林市生态环境局, already on the platform
    again = [*PENALTY_ROW[:2], stored.document_no, "", "2026-11-20", stored.authority, *PENALTY_ROW[6:]]
    error = assert_error(upload(client, csv_bytes([PENALTY_ROW, PENALTY_ROW, again])), 400, "IMPORT_INVALID")
    assert error["details"]["errors"] == [
        {
            "row": 3,
            "column": "决定文书号",
            "reason": "与第2行的决定文书号“吉市环罚〔2026〕61号”（吉林市生态环境局）重复",
        },
        {
            "row": 4,
            "column": "决定文书号",
            "reason": f"吉林市生态环境局的决定文书号“{stored.document_no}”已录入，不能重复录入",
        },
    ]
    assert count(session, CreditRecord, CreditRecord.document_no == PENALTY_ROW[2]) == 0
    # Imported once, the same file is refused the second time.
    assert upload(client, csv_bytes([PENALTY_ROW])).status_code == 201
    assert_error(upload(client, csv_bytes([PENALTY_ROW])), 400, "IMPORT_INVALID", "第2行")


def test_a_wrong_header_is_named(client, world):
    header = [h for h in HEADER if h != "依据"] + ["备注"]
    rows = [[v for h, v in zip(HEADER, PENALTY_ROW, strict=True) if h != "依据"] + [""]]
    error = assert_error(upload(client, csv_bytes(rows, header=header)), 400, "IMPORT_INVALID", "表头")
    assert error["details"]["errors"] == [
        {"row": 1, "column": "备注", "reason": "不认识的列“备注”，请使用导入模板的列名"},
        {"row": 1, "column": "依据", "reason": "缺少“依据”列"},
    ]


def test_files_that_cannot_be_imported(client, world, monkeypatch):
    assert_error(upload(client, b""), 400, "IMPORT_INVALID", "文件是空的")
    assert_error(upload(client, csv_bytes([])), 400, "IMPORT_INVALID", "没有要导入的记录")
    assert_error(upload(client, b"\xd0\xcf\x11\xe0old", "records.xls"), 400, "IMPORT_INVALID", ".xls")
    assert_error(upload(client, b"PK\x03\x04broken", "records.xlsx"), 400, "IMPORT_INVALID", "不是有效的 Excel")
    assert_error(upload(client, b"a,b", "records.txt"), 400, "IMPORT_INVALID", "只能导入 CSV")
    monkeypatch.setattr(records_import, "MAX_IMPORT_ROWS", 1)
    assert_error(upload(client, csv_bytes([PENALTY_ROW, LICENCE_ROW])), 400, "IMPORT_INVALID", "一次最多导入1条")
    monkeypatch.setattr(records_import, "MAX_IMPORT_BYTES", 100)
    assert_error(upload(client, csv_bytes([PENALTY_ROW])), 400, "IMPORT_INVALID", "文件太大")
    assert_error(upload(client, csv_bytes([PENALTY_ROW]), headers=ASSISTANT), 403, "FORBIDDEN")


def test_the_template_has_the_documented_columns(client, world):
    r = client.get(f"{API}/records/import-template.csv", headers=STAFF)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    assert next(csv.reader(io.StringIO(r.content.decode("utf-8-sig")))) == HEADER
    # The filled-in template imports.
    filled = r.content + csv_bytes([PENALTY_ROW], header=[])[2:]
    assert upload(client, filled).json() == {"imported": 1}


def test_the_documented_layout_is_the_importer_s():
    from credit_backend.settings import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "console.md").read_text(encoding="utf-8")
    section = doc.split("## 记录导入格式", 1)[1].split("\n## ", 1)[0]
    for header in HEADER:
        assert f"| {header} |" in section, header


def test_workbook_reader_ignores_empty_rows(client, world):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([None] * len(HEADER))
    sheet.append(PENALTY_ROW)
    data = io.BytesIO()
    book.save(data)
    assert load_workbook(io.BytesIO(data.getvalue())).active.max_row == 3
    r = upload(client, data.getvalue(), "records.xlsx")
    assert r.status_code == 201, r.text
