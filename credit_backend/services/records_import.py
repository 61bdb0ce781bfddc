"""Import of many 双公示 records from a CSV (UTF-8, with or without BOM, or GBK) or XLSX file.

All or nothing: every row is checked with the entry form's own check (records_entry.check_entry), and
if any row is bad nothing is stored and the answer names each bad row (as the spreadsheet numbers it,
the header being row 1), its column (the Chinese header) and the reason.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import DomainError
from credit_backend.policy.loader import load_policy
from credit_backend.services import evaluation
from credit_backend.services.common import audit
from credit_backend.services.records_entry import (
    FIELD_LABELS,
    FieldProblem,
    RecordDraft,
    check_entry,
    duplicate_problem,
    existing_decisions,
    find_entities,
    store_record,
)

__all__ = [
    "COLUMNS",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "ImportInvalid",
    "import_records",
    "parse_table",
    "template_csv",
]

# The column layout (docs/console.md "记录导入格式"): field → header, in the template's order.
COLUMNS: dict[str, str] = {
    name: FIELD_LABELS[name]
    for name in (
        "uscc",
        "record_type",
        "decision_no",
        "title",
        "decided_on",
        "authority",
        "severity",
        "legal_basis",
        "content",
    )
}
OPTIONAL_COLUMNS = frozenset({"title", "severity"})
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
_HEADER_FIELDS = {header: name for name, header in COLUMNS.items()}
_XLSX_MAGIC = b"PK\x03\x04"


class ImportInvalid(DomainError):
    """400 IMPORT_INVALID: the file or some rows are bad; nothing was imported."""

    status = 400
    code = "IMPORT_INVALID"


def _invalid(errors: list[dict[str, Any]], summary: str | None = None) -> ImportInvalid:
    bad_rows = sorted({e["row"] for e in errors})
    message = summary or (
        f"文件中有{len(bad_rows)}行有误（第{'、'.join(str(r) for r in bad_rows[:10])}行"
        f"{'等' if len(bad_rows) > 10 else ''}），全部记录均未导入。请按提示修改后重新导入整个文件。"
    )
    return ImportInvalid(message, code="IMPORT_INVALID", errors=errors)


def file_problem(reason: str) -> ImportInvalid:
    """A problem with the file as a whole (row 1: the header row, or the file itself)."""
    return _invalid([{"row": 1, "column": None, "reason": reason}], f"{reason}。全部记录均未导入。")


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK, as Excel saves "CSV" on Chinese Windows
    except UnicodeDecodeError:
        raise file_problem("无法识别文件的文字编码，请将文件另存为 UTF-8 或 GBK 编码的 CSV") from None


def _cell(value: Any) -> Any:
    """An XLSX cell as the entry check reads it: dates as dates, whole numbers without “.0”."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise file_problem("文件不是有效的 Excel（.xlsx）文件，请检查后重新导入") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def parse_table(filename: str, data: bytes) -> list[list[Any]]:
    """The rows of the uploaded file (the header first), by its kind: .xlsx or .csv."""
    name = (filename or "").lower()
    if not data:
        raise file_problem("文件是空的，请选择填好的导入文件")
    if len(data) > MAX_IMPORT_BYTES:
        raise file_problem(f"文件太大：导入文件不能超过{MAX_IMPORT_BYTES // (1024 * 1024)}MB，请分成几个文件导入")
    if name.endswith(".xlsx") or data.startswith(_XLSX_MAGIC):
        return _xlsx_rows(data)
    if name.endswith(".xls"):
        raise file_problem("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后导入")
    if not name.endswith(".csv") and name:
        raise file_problem("只能导入 CSV（.csv）或 Excel（.xlsx）文件")
    text = _decode(data)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error:
        raise file_problem("CSV 文件格式有误（如引号未闭合），请用表格软件重新另存为 CSV") from None


def _blank(row: list[Any]) -> bool:
    return all(str(v).strip() == "" for v in row if v is not None)


def _header(row: list[Any]) -> dict[int, str]:
    """Column index → field, or IMPORT_INVALID naming the unknown and missing headers."""
    fields: dict[int, str] = {}
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(row):
        header = str(raw or "").strip().lstrip("\ufeff")
        if not header:
            continue
        field = _HEADER_FIELDS.get(header)
        if field is None:
            errors.append({"row": 1, "column": header, "reason": f"不认识的列“{header}”，请使用导入模板的列名"})
        elif field in fields.values():
            errors.append({"row": 1, "column": header, "reason": f"列“{header}”出现了不止一次"})
        else:
            fields[index] = field
    for field, header in COLUMNS.items():
        if field not in fields.values() and field not in OPTIONAL_COLUMNS:
            errors.append({"row": 1, "column": header, "reason": f"缺少“{header}”列"})
    if errors:
        raise _invalid(errors, "导入文件的表头与导入模板不符，全部记录均未导入。请使用导入模板的列名。")
    return fields


def _problem(row: int, problem: FieldProblem) -> dict[str, Any]:
    return {"row": row, "column": problem.label, "reason": problem.reason}


def check_rows(session: Session, rows: list[list[Any]], today: date) -> list[RecordDraft]:
    """Every data row checked; the drafts when all are good, else IMPORT_INVALID with every problem."""
    if not rows or _blank(rows[0]):
        raise file_problem("文件第1行应为表头（列名），请使用导入模板")
    fields = _header(rows[0])
    numbered = [(number, row) for number, row in enumerate(rows[1:], start=2) if not _blank(row)]
    if not numbered:
        raise file_problem("文件中没有要导入的记录（表头以下都是空行）")
    if len(numbered) > MAX_IMPORT_ROWS:
        raise file_problem(f"一次最多导入{MAX_IMPORT_ROWS}条记录，这个文件有{len(numbered)}条，请分成几个文件导入")
    entries = [
        (number, {field: row[index] if index < len(row) else "" for index, field in fields.items()})
        for number, row in numbered
    ]
    policy = load_policy()
    entities = find_entities(session, [str(entry.get("uscc") or "").strip() for _, entry in entries])
    errors: list[dict[str, Any]] = []
    drafts: list[tuple[int, RecordDraft]] = []
    for number, entry in entries:
        draft, problems = check_entry(entry, entities, today, policy)
        errors.extend(_problem(number, p) for p in problems)
        if draft is not None:
            drafts.append((number, draft))
    stored = existing_decisions(session, [(d.authority, d.decision_no) for _, d in drafts])
    first_row: dict[tuple[str, str], int] = {}
    for number, draft in drafts:
        key = (draft.authority, draft.decision_no)
        if key in stored:
            errors.append(_problem(number, duplicate_problem(draft)))
        elif key in first_row:
            reason = f"与第{first_row[key]}行的决定文书号“{draft.decision_no}”（{draft.authority}）重复"
            errors.append({"row": number, "column": FIELD_LABELS["decision_no"], "reason": reason})
        else:
            first_row[key] = number
    if errors:
        errors.sort(key=lambda e: (e["row"], list(FIELD_LABELS.values()).index(e["column"])))
        raise _invalid(errors)
    return [d for _, d in drafts]


def import_records(session: Session, filename: str, data: bytes, actor: str, role: str) -> dict[str, Any]:
    """Store every record of the file in one transaction, or none (IMPORT_INVALID)."""
    today = clock.today()
    policy = load_policy()
    drafts = check_rows(session, parse_table(filename, data), today)
    records = [store_record(session, draft, today, policy) for draft in drafts]
    session.flush()
    for entity_id in sorted({r.entity_id for r in records if r.is_negative}):
        evaluation.recompute(session, entity_id, today, "批量导入行政处罚信息")
    for record in records:
        audit(
            session,
            role,
            actor,
            "enter_record",
            record.entity.uscc,
            record_id=record.id,
            category=record.category,
            document_no=record.document_no,
            authority=record.authority,
            via="import",
        )
    audit(session, role, actor, "import_records", filename[:200] or "-", imported=len(records))
    session.commit()
    return {"imported": len(records)}


def template_csv() -> bytes:
    """The import template: the header row, UTF-8 with BOM so that Excel opens it correctly."""
    out = io.StringIO(newline="")
    csv.writer(out).writerow(COLUMNS.values())
    return ("\ufeff" + out.getvalue()).encode("utf-8")
