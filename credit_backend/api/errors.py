"""Every error leaves as {"error": {"code", "message", "details"}} with a Chinese message."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from credit_backend.errors import DomainError

log = logging.getLogger(__name__)

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
    }
    return field, messages.get(kind, f"“{label}”填写有误")


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
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        known = {
            404: ("NOT_FOUND", "没有这个接口，请核对地址。"),
            405: ("METHOD_NOT_ALLOWED", "接口不支持该请求方法。"),
        }
        code, message = known.get(exc.status_code, ("HTTP_ERROR", "请求无法处理。"))
        return JSONResponse(error_body(code, message), status_code=exc.status_code)

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return JSONResponse(error_body("SERVICE_UNAVAILABLE", "系统暂时无法访问数据库，请稍后再试。"), status_code=503)
