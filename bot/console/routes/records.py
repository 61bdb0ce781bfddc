"""信用记录录入 (双公示): one 行政许可 / 行政处罚 at a time, or many from a CSV / XLSX file.

- GET/POST /records/new — the form; the backend checks every field (errors shown next to each field, the
  values kept) and computes the publicity window shown on success.
- GET/POST /records/import — the file import: all rows or none; a bad file lists each bad row and column.
- GET /records/import-template.csv — the backend's template (header row), through the console.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, File, Form, Response, UploadFile

from bot.console.backend import BackendUnavailable, ConsoleBackendError
from bot.console.casework import field_errors, import_errors
from bot.console.security import Console, StaffPage, StaffPost

router = APIRouter()
RECORD_TYPES = ("行政许可", "行政处罚")
SEVERITIES = ("轻微", "一般", "严重")
FIELDS = (
    "uscc",
    "record_type",
    "decision_no",
    "decided_on",
    "authority",
    "severity",
    "legal_basis",
    "content",
    "title",
)
IMPORT_TYPES = (".csv", ".xlsx")
# The backend refuses files over its own limit (5MB); the console reads a little more so that it can say so.
MAX_UPLOAD = 6 * 1024 * 1024
NOTHING_IMPORTED = "未导入任何记录"


def record_form(ctx: Console, status_code: int = 200, **values: Any) -> Response:
    form = {name: "" for name in FIELDS}
    form["authority"] = ctx.account.department
    form.update(values.pop("form", {}))
    return ctx.render(
        "record_new.html",
        status_code=status_code,
        form=form,
        record_types=RECORD_TYPES,
        severities=SEVERITIES,
        field_errors=values.pop("field_errors", {}),
        **values,
    )


@router.get("/records/new", include_in_schema=False)
async def new_record(ctx: StaffPage) -> Response:
    return record_form(ctx)


@router.post("/records/new", include_in_schema=False)
async def enter_record(
    ctx: StaffPost,
    uscc: str = Form(""),
    record_type: str = Form(""),
    decision_no: str = Form(""),
    decided_on: str = Form(""),
    authority: str = Form(""),
    severity: str = Form(""),
    legal_basis: str = Form(""),
    content: str = Form(""),
    title: str = Form(""),
) -> Response:
    form = {
        "uscc": uscc.strip().upper(),
        "record_type": record_type.strip(),
        "decision_no": decision_no.strip(),
        "decided_on": decided_on.strip(),
        "authority": authority.strip(),
        "severity": severity.strip(),
        "legal_basis": legal_basis.strip(),
        "content": content.strip(),
        "title": title.strip(),
    }
    # Empty fields are left out, so that the backend names each as missing; a licence has no severity
    # (what the form kept from an earlier choice of 行政处罚 is not sent).
    body: dict[str, Any] = {k: v for k, v in form.items() if v}
    if form["record_type"] == "行政许可":
        body.pop("severity", None)
    try:
        record = await ctx.backend.post("/api/v1/records", json=body)
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 403):
            raise
        return record_form(
            ctx, exc.status, error=f"记录未保存：{exc.message}", form=form, field_errors=field_errors(exc.details)
        )
    return ctx.render("record_created.html", status_code=201, record=record, uscc=form["uscc"])


async def template_columns(ctx: Console) -> list[str]:
    """The column names of the backend's import template (shown on the page; empty if it cannot be read)."""
    try:
        resp = await ctx.backend.request("GET", "/api/v1/records/import-template.csv")
        header = next(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))), [])
    except (ConsoleBackendError, BackendUnavailable, UnicodeDecodeError, csv.Error):
        return []
    return [name.strip() for name in header if name.strip()]


async def import_page(ctx: Console, status_code: int = 200, **values: Any) -> Response:
    return ctx.render("records_import.html", status_code=status_code, columns=await template_columns(ctx), **values)


@router.get("/records/import", include_in_schema=False)
async def import_form(ctx: StaffPage) -> Response:
    return await import_page(ctx)


@router.post("/records/import", include_in_schema=False)
async def import_records(ctx: StaffPost, file: UploadFile | None = File(None)) -> Response:  # noqa: B008
    name = (file.filename or "").strip() if file is not None else ""
    if file is None or not name:
        return await import_page(ctx, 400, error="请选择要导入的 CSV 或 XLSX 文件。")
    if not name.lower().endswith(IMPORT_TYPES):
        message = f"只能导入 .csv 或 .xlsx 文件，所选文件为“{name}”。"
        return await import_page(ctx, 400, error=message, filename=name, failed=True)
    data = await file.read(MAX_UPLOAD + 1)
    content_type = file.content_type or "application/octet-stream"
    try:
        result = await ctx.backend.post("/api/v1/records/import", files={"file": (name, data, content_type)})
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 403):
            raise
        return await import_page(
            ctx,
            exc.status,
            error=exc.message,
            errors=import_errors(exc.details),
            filename=name,
            failed=True,
        )
    imported = int((result or {}).get("imported") or 0)
    return await import_page(
        ctx,
        201,
        notice=f"导入成功：已导入{imported}条记录。",
        imported=imported,
        filename=name,
    )


@router.get("/records/import-template.csv", include_in_schema=False)
async def import_template(ctx: StaffPage) -> Response:
    resp = await ctx.backend.request("GET", "/api/v1/records/import-template.csv")
    return Response(
        resp.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": resp.headers.get("content-disposition") or 'attachment; filename="template.csv"'
        },
    )
