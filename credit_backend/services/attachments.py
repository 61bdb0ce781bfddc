"""Evidence files for objections and repairs: type and size limits, stored by content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from credit_backend.errors import DomainError, Forbidden
from credit_backend.models import Attachment
from credit_backend.services.applications import get_application
from credit_backend.services.common import audit
from credit_backend.settings import get_settings

EVIDENCE_KINDS = ("objection", "repair")


def add(
    session: Session, application_no: str, sender_id: str, filename: str, content_type: str, data: bytes, role: str
) -> dict[str, Any]:
    settings = get_settings()
    app = get_application(session, application_no)
    if app.sender_id != sender_id:
        raise Forbidden("只能为自己提交的申请上传材料。", code="FORBIDDEN")
    if app.kind not in EVIDENCE_KINDS:
        raise DomainError("只有异议申请和信用修复申请可以上传证明材料。", code="ATTACHMENT_NOT_ALLOWED")
    allowed = {t.strip() for t in settings.attachment_types.split(",")}
    if content_type not in allowed:
        raise DomainError("只支持上传 JPG、PNG 图片或 PDF 文件。", code="ATTACHMENT_TYPE", allowed=sorted(allowed))
    if not data:
        raise DomainError("文件是空的，请重新上传。", code="ATTACHMENT_EMPTY")
    if len(data) > settings.attachment_max_bytes:
        limit_mb = settings.attachment_max_bytes // (1024 * 1024)
        raise DomainError(f"文件超过{limit_mb}MB，请压缩后再上传。", code="ATTACHMENT_TOO_LARGE")
    digest = hashlib.sha256(data).hexdigest()
    path = Path(settings.attachments_dir) / digest[:2] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    safe_name = Path(filename).name[:255] or f"evidence-{digest[:8]}"
    attachment = Attachment(
        application=app,
        filename=safe_name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        storage_path=str(path),
        uploaded_by=sender_id,
    )
    session.add(attachment)
    audit(session, role, sender_id, "attachment", app.application_no, sha256=digest, size=len(data))
    session.commit()
    return {
        "id": attachment.id,
        "application_no": app.application_no,
        "filename": safe_name,
        "content_type": content_type,
        "size": len(data),
        "sha256": digest,
    }
