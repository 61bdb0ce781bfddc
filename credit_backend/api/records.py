"""Records entered by departments (双公示): one at a time, or imported from a CSV / XLSX file."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from credit_backend.api.deps import DbSession, StaffCaller
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.responses import ImportResult, RecordDetailView
from credit_backend.schemas import RecordIn
from credit_backend.services import records_entry, records_import

router = APIRouter(prefix="/api/v1/records", tags=["console"], responses=error_responses(*COMMON_ERRORS, 403))
# The import route's path: its body may reach import_body_limit() (api/limits.py, wired in main.py).
IMPORT_PATH = re.compile(r"^/api/v1/records/import/?$")
TEMPLATE_NAME = "credit-records-import-template.csv"


def import_body_limit() -> int:
    """The largest import request: the largest file plus room for the multipart framing."""
    return records_import.MAX_IMPORT_BYTES + 64 * 1024


async def _read_capped(upload: UploadFile, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes: enough for the import to say that the file is too large."""
    data = bytearray()
    while len(data) <= limit and (chunk := await upload.read(64 * 1024)):
        data += chunk
    return bytes(data)


@router.post("", status_code=201, response_model=RecordDetailView)
def enter_record(session: DbSession, who: StaffCaller, body: RecordIn) -> dict[str, Any]:
    """A 行政许可 or 行政处罚 decision; the publicity window is computed by the backend's rules and the
    record is visible to the assistant at once. Bad fields: 400 VALIDATION_ERROR naming each one."""
    actor = who.actor
    record = records_entry.enter_record(session, body.model_dump(), actor, who.role)
    return records_entry.record_detail_view(session, record)


@router.post("/import", status_code=201, response_model=ImportResult, responses=error_responses(413))
async def import_records(session: DbSession, who: StaffCaller, file: UploadFile) -> dict[str, Any]:
    """Import every row of a .csv (UTF-8 with or without BOM, or GBK) or .xlsx file in the stated column
    layout (docs/console.md “记录导入格式”), or none: 400 IMPORT_INVALID with errors [{row, column, reason}]."""
    data = await _read_capped(file, records_import.MAX_IMPORT_BYTES)
    actor = who.actor
    return await run_in_threadpool(records_import.import_records, session, file.filename or "", data, actor, who.role)


@router.get(
    "/import-template.csv",
    response_class=Response,
    responses={
        200: {
            "description": "The import template (UTF-8 with BOM)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def import_template(_: StaffCaller) -> Response:
    """The header row of the import file, to fill in with Excel or WPS."""
    return Response(
        records_import.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}"'},
    )
