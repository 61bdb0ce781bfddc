"""Evidence files for objections and repairs: size capped while reading, type read from the bytes,
names sanitised, stored under their content hash (never under the name the user gave)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Protocol

import filetype
from sqlalchemy.orm import Session

from credit_backend.errors import DomainError, Forbidden, NotFound
from credit_backend.models import Attachment
from credit_backend.rules.vocabulary import EVIDENCE_KINDS
from credit_backend.services.applications import get_application
from credit_backend.services.common import audit
from credit_backend.settings import get_settings

READ_CHUNK = 64 * 1024
# What the user may call each accepted type, and the extension added when the name has none of them.
EXTENSIONS = {"image/jpeg": ("jpg", "jpeg"), "image/png": ("png",), "application/pdf": ("pdf",)}
TYPE_LABELS = {"image/jpeg": "JPG 图片", "image/png": "PNG 图片", "application/pdf": "PDF 文件"}
MAX_NAME_CHARS = 100
MAX_EXTENSION_CHARS = 10
MULTIPART_ALLOWANCE = 64 * 1024


class AsyncReadable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


class FileTooLarge(DomainError):
    status = 413
    code = "FILE_TOO_LARGE"


def _size_label(size: int) -> str:
    """10485760 → 10MB, 1572864 → 1.5MB, 102400 → 100KB."""
    if size >= 1024 * 1024:
        return f"{round(size / (1024 * 1024), 1):g}MB"
    return f"{max(1, round(size / 1024))}KB"


def too_large_message() -> str:
    limit = _size_label(get_settings().attachment_max_bytes)
    return f"文件太大：每个文件不能超过{limit}，请压缩或分成几个文件后再上传。"


def too_large() -> FileTooLarge:
    return FileTooLarge(too_large_message(), limit_bytes=get_settings().attachment_max_bytes)


def upload_body_limit() -> int:
    """The largest upload request body: the largest file plus room for the multipart framing and fields."""
    return get_settings().attachment_max_bytes + MULTIPART_ALLOWANCE


async def read_capped(upload: AsyncReadable) -> bytes:
    """The upload's bytes, read in chunks; stops with FILE_TOO_LARGE as soon as the limit is passed."""
    limit = get_settings().attachment_max_bytes
    data = bytearray()
    while chunk := await upload.read(READ_CHUNK):
        data += chunk
        if len(data) > limit:
            raise too_large()
    return bytes(data)


def accepted_types() -> list[str]:
    return sorted(t.strip() for t in get_settings().attachment_types.split(",") if t.strip())


def detect_type(data: bytes) -> str:
    """The content type from the file's signature (JPEG/PNG/PDF magic bytes); what the client declared is ignored."""
    allowed = accepted_types()
    detected = filetype.guess_mime(data)
    if detected not in allowed:
        names = "、".join(TYPE_LABELS.get(t, t) for t in allowed)
        raise DomainError(
            f"只支持上传 JPG、PNG 图片或 PDF 文件（按文件内容识别，可接受：{names}）。"
            "这个文件的内容不是其中任何一种，请换成扫描件、照片或 PDF 后再上传。",
            code="ATTACHMENT_TYPE",
            allowed=allowed,
        )
    return detected


def safe_filename(raw: str, content_type: str, fallback: str) -> str:
    """A display name: no path, no control or invisible characters, bounded, with an extension fitting the type."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]  # both separators: a Windows path arrives with backslashes
    name = "".join(" " if ch.isspace() else ch for ch in name if unicodedata.category(ch)[0] != "C" or ch.isspace())
    name = re.sub(r" {2,}", " ", name).strip().lstrip(".").strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    fitting = EXTENSIONS.get(content_type, ())
    if extension.lower() not in fitting:
        stem = name  # keep what the user typed, then add the type's own extension
        extension = fitting[0] if fitting else "bin"
    stem = stem.strip() or fallback
    extension = extension[:MAX_EXTENSION_CHARS]
    return f"{stem[: MAX_NAME_CHARS - len(extension) - 1]}.{extension}"


def _store(data: bytes, digest: str) -> Path:
    """Write the bytes under their hash (atomically: a half-written file never takes the final name)."""
    path = Path(get_settings().attachments_dir) / digest[:2] / digest
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def add(
    session: Session, application_no: str, sender_id: str, filename: str, declared_type: str, data: bytes, role: str
) -> dict[str, Any]:
    """Attach ``data`` to the sender's objection or repair. ``declared_type`` is only recorded in the audit."""
    app = get_application(session, application_no)
    if app.sender_id != sender_id:
        raise Forbidden("只能为自己提交的申请上传材料。", code="FORBIDDEN")
    if app.kind not in EVIDENCE_KINDS:
        raise DomainError("只有异议申请和信用修复申请可以上传证明材料。", code="ATTACHMENT_NOT_ALLOWED")
    if not data:
        raise DomainError("文件是空的，请重新上传。", code="ATTACHMENT_EMPTY")
    if len(data) > get_settings().attachment_max_bytes:
        raise too_large()
    content_type = detect_type(data)
    digest = hashlib.sha256(data).hexdigest()
    path = _store(data, digest)
    safe_name = safe_filename(filename, content_type, f"evidence-{digest[:8]}")
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
    audit(
        session,
        role,
        sender_id,
        "attachment",
        app.application_no,
        sha256=digest,
        size=len(data),
        content_type=content_type,
        declared_type=declared_type[:100],
    )
    session.commit()
    return {
        "id": attachment.id,
        "application_no": app.application_no,
        "filename": safe_name,
        "content_type": content_type,
        "size": len(data),
        "sha256": digest,
    }


def stored_file(session: Session, application_no: str, attachment_id: int) -> tuple[Attachment, Path]:
    """An attachment of the application and the path of its bytes (staff reading the evidence).

    ATTACHMENT_NOT_FOUND for an id of another application, or when the bytes are missing on disk.
    """
    app = get_application(session, application_no)
    attachment = session.get(Attachment, attachment_id)
    # The path is the one ``_store`` wrote (under the content hash), never a name a user gave.
    path = Path(attachment.storage_path) if attachment is not None else None
    if attachment is None or attachment.application_id != app.id or path is None or not path.is_file():
        raise NotFound(f"申请 {app.application_no} 没有编号为 {attachment_id} 的材料。", code="ATTACHMENT_NOT_FOUND")
    return attachment, path
