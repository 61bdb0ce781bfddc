"""Every error leaves as {"error": {"code", "message", "details"}} with a Chinese message."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credit_backend.errors import DomainError
from credit_backend.schemas import ErrorBody
from credit_backend.services.attachments import too_large_message
from credit_backend.services.records_entry import FIELD_LABELS as RECORD_FIELD_LABELS

log = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "系统内部出现错误，您的请求未能完成。请稍后再试；如果问题持续，请联系工作人员。"

# What each documented error status means, for the OpenAPI description of every route.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Invalid request: a field failed validation (code VALIDATION_ERROR, details.fields) or a business rule refused it",
    401: (
        "Missing or unknown bearer token (AUTH_REQUIRED), an ended or expired console session (SESSION_EXPIRED), "
        "or a wrong console log-in (LOGIN_FAILED)"
    ),
    403: "The token's role or the sender may not do this (FORBIDDEN)",
    404: "No such entity, record, application or notification",
    409: "Conflicts with the current state, e.g. an open application or a reused Idempotency-Key",
    410: "The one-time code has expired (OTP_EXPIRED)",
    413: "The uploaded file (FILE_TOO_LARGE) or the request body (REQUEST_TOO_LARGE) is too large",
    423: (
        "Identity verification is locked after too many wrong codes (OTP_LOCKED), or a console account "
        "after too many wrong passwords (ACCOUNT_LOCKED)"
    ),
    429: "Too many one-time codes or wrong codes (OTP_RATE_LIMITED, REPORT_CHECK_LIMITED)",
    500: "Unexpected error (INTERNAL_ERROR); logged on the server, no internals in the answer",
    503: "The database is unavailable (SERVICE_UNAVAILABLE)",
}
# Every /api/v1 route can answer these: validation, authentication, the catch-all and a database outage.
COMMON_ERRORS = (400, 401, 500, 503)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route or router: each status documented with the ErrorBody schema."""
    return {status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]} for status in sorted(statuses)}


FIELD_LABELS = {
    "sender_id": "会话标识",
    "uscc": "统一社会信用代码",
    "code": "验证码",
    "category": "信息类别",
    "fields": "填报内容",
    "truthful": "真实性承诺",
    "commitment_type": "承诺类型",
    "matter": "承诺事项",
    "missing_materials": "所缺材料",
    "materials_due": "补齐材料日期",
    "accepted": "承诺确认",
    "record_id": "信用记录",
    "reason": "异议理由",
    "requested_outcome": "请求处理方式",
    "contact_phone": "联系电话",
    "corrective_action": "整改情况",
    "obligations_fulfilled": "义务履行情况",
    "commitment_signed": "信用修复承诺",
    "action": "处理操作",
    "note": "说明",
    "summary": "问题摘要",
    "q": "查询内容",
    "limit": "数量",
    "on": "评估日期",
    "notification_id": "通知编号",
    "after_id": "起始编号",
    "application_no": "申请编号",
    "file": "文件",
    "channel": "渠道",
    "status": "状态",
    "account": "账号",
    "name": "账号名",
    "display_name": "姓名",
    "role": "角色",
    "department": "所属部门",
    "password": "密码",
    "actor": "操作人",
    "target": "操作对象",
    "date_from": "起始日期",
    "date_to": "截止日期",
    "page": "页码",
    "per_page": "每页条数",
    "expected_status": "办理状态",
    **RECORD_FIELD_LABELS,  # an entered record's fields: the same words as its form and import columns
    "kind": "申请类型",
    "overdue": "是否超期",
    "text": "消息内容",
    "transcript": "对话记录",
    "query.code": "统一社会信用代码",  # GET /uscc/check?code=…; in bodies `code` is the one-time code
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": jsonable_encoder(details or {})}}


def _field_message(err: dict[str, Any]) -> tuple[str, str]:
    where = str(err.get("loc", ("",))[0])
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = loc[-1] if loc else ""
    label = FIELD_LABELS.get(f"{where}.{field}") or FIELD_LABELS.get(field, field or "请求内容")
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    messages = {
        "missing": f"缺少“{label}”",
        "string_too_short": f"“{label}”至少需要{ctx.get('min_length')}个字符",
        "string_too_long": f"“{label}”不能超过{ctx.get('max_length')}个字符",
        "string_pattern_mismatch": f"“{label}”格式不正确",
        "bool_type": f"“{label}”应为 true 或 false",
        "bool_parsing": f"“{label}”应为 true 或 false",
        "int_parsing": f"“{label}”应为整数",
        "int_type": f"“{label}”应为整数",
        "date_parsing": f"“{label}”应为日期，格式如 2026-11-26",
        "date_from_datetime_parsing": f"“{label}”应为日期，格式如 2026-11-26",
        "extra_forbidden": f"不认识的字段“{field}”",
        "literal_error": f"“{label}”只能是：{ctx.get('expected', '')}",
        "json_invalid": "请求内容不是有效的 JSON",
        "model_attributes_type": "请求内容应为 JSON 对象",
        "dict_type": f"“{label}”应为对象",
        "string_type": f"“{label}”应为文字",
        "greater_than_equal": f"“{label}”不能小于{ctx.get('ge')}",
        "less_than_equal": f"“{label}”不能大于{ctx.get('le')}",
        "int_from_float": f"“{label}”应为整数",
        "value_error": f"“{label}”含有不允许的控制字符" if "NUL" in str(ctx.get("error", "")) else f"“{label}”填写有误",
    }
    return field, messages.get(kind, f"“{label}”填写有误")


def too_large_error(uploading: bool) -> tuple[str, str]:
    """Code and message of a 413: a file upload (multipart) or any other body."""
    if uploading:
        return "FILE_TOO_LARGE", too_large_message()
    return "REQUEST_TOO_LARGE", "请求内容太大，请精简后再提交。"


def internal_error_response() -> JSONResponse:
    return JSONResponse(error_body("INTERNAL_ERROR", INTERNAL_ERROR_MESSAGE), status_code=500)


class TrackedSend:
    """``send`` that remembers whether the response has started: after that, an error can no longer be answered."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class CatchAllMiddleware:
    """Turns any unexpected exception into the JSON 500 and logs it with its traceback, once.

    Starlette's own handler for ``Exception`` re-raises after answering (the server logs it again, and the
    test client raises); this pure ASGI middleware sits inside it and ends the request instead.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except StarletteHTTPException:
            raise  # BodyTooLarge from outside a route: RequestLimitsMiddleware (api/limits.py) answers it
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if tracked.started:
                raise
            await internal_error_response()(scope, receive, send)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [dict(zip(("field", "message"), _field_message(e), strict=True)) for e in exc.errors()]
        message = "；".join(f["message"] for f in fields) + "。请修改后重新提交。"
        return JSONResponse(error_body("VALIDATION_ERROR", message, {"fields": fields}), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        uploading = request.headers.get("content-type", "").lower().startswith("multipart/")
        known = {
            # FastAPI's "There was an error parsing the body": not JSON/UTF-8, too deeply nested, bad multipart.
            400: (
                "VALIDATION_ERROR",
                "请求内容无法解析：JSON 须为 UTF-8 编码的有效 JSON，上传文件须为 multipart/form-data。请检查后重新提交。",
            ),
            404: ("NOT_FOUND", "没有这个接口，请核对地址。"),
            405: ("METHOD_NOT_ALLOWED", "接口不支持该请求方法。"),
            413: too_large_error(uploading),
        }
        code, message = known.get(exc.status_code, ("HTTP_ERROR", "请求无法处理。"))
        return JSONResponse(error_body(code, message), status_code=exc.status_code)

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return JSONResponse(error_body("SERVICE_UNAVAILABLE", "系统暂时无法访问数据库，请稍后再试。"), status_code=503)

    @app.exception_handler(DataError)
    async def _bad_data(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the validation let through (e.g. a character PostgreSQL cannot
        # store): the request's fault, so a 400, but logged so that the missing validation gets added.
        log.warning("database refused a value in %s %s: %s", request.method, request.url.path, exc.orig)
        message = "请求中有无法处理的内容（如控制字符或超出范围的数值），请检查后重新提交。"
        return JSONResponse(error_body("VALIDATION_ERROR", message), status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Only reached when CatchAllMiddleware could not answer (an error outside it); the server logs it.
        return internal_error_response()

    app.add_middleware(CatchAllMiddleware)
