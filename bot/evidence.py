"""Files sent by a user as evidence for their open objection or repair, the same rules on every channel.

Checks run before anything is downloaded (declared type and size, when the channel announces them), then the
bytes are sniffed, so a renamed file is refused too; the backend repeats its own checks on upload. The channel
bridges (bot/telegram, bot/wechat) only say how a file is announced and downloaded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Protocol

from bot.backend_client import BackendError, BackendUnavailable
from credit_backend.rules.vocabulary import APPLICATION_KINDS, EVIDENCE_KINDS

log = logging.getLogger(__name__)

MIME_BY_EXTENSION = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}
ALLOWED_MIME = {"image/jpeg", "image/png", "application/pdf"}
MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "application/x-pdf": "application/pdf"}
MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "application/pdf": (b"%PDF-",)}
DEFAULT_LIMIT = 10 * 1024 * 1024
_EVIDENCE_CODES = "|".join(k.type_code for k in APPLICATION_KINDS if k.takes_evidence)  # YY|XF
_APP_NO = re.compile(rf"(?<![A-Za-z0-9])({_EVIDENCE_CODES})[-_ ]?(\d{{8}})[-_ ]?(\d{{4}})(?![0-9])", re.IGNORECASE)

# What users read (Simplified Chinese); {channel} is the channel's name in EVIDENCE_DOWNLOAD_FAILED.
EVIDENCE_SAVED = (
    "已收到证明材料“{filename}”（{size}），已作为{kind_label} {application_no} 的附件保存。工作人员审核时会一并查看。"
)
EVIDENCE_NO_APPLICATION = (
    "您目前没有正在办理的异议申请或信用修复申请，所以无法保存这份材料。"
    "请先提交异议或信用修复申请，拿到申请编号后再发送证明材料。"
)
EVIDENCE_NOT_YOURS = "没有找到您名下正在办理的申请 {application_no}，材料未保存。请检查申请编号，或直接发送文件（会保存到您最新的异议或修复申请）。"
EVIDENCE_TYPE = "只支持上传 JPG、PNG 图片或 PDF 文件，您发送的“{filename}”格式不支持，请转换后重新发送。"
EVIDENCE_TOO_LARGE = "文件“{filename}”大小为{size}，超过了{limit}的上限，请压缩后重新发送。"
EVIDENCE_EMPTY = "文件“{filename}”是空的，请重新发送。"
EVIDENCE_BACKEND_DOWN = "材料上传服务暂时不可用，文件未保存，请稍后重新发送。"
EVIDENCE_REJECTED = "材料未保存：{message}"
EVIDENCE_DOWNLOAD_FAILED = "暂时无法从 {channel} 下载您发送的文件，请稍后重新发送。"


class EvidenceBackend(Protocol):
    """The two calls of the backend's API the rules need (bot/backend_client.py has them)."""

    async def applications(self, sender_id: str) -> list[dict[str, Any]]: ...

    async def upload_attachment(
        self, application_no: str, sender_id: str, filename: str, content_type: str, data: bytes
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class IncomingFile:
    """A file as the channel announces it, before download (size and type None when not announced)."""

    file_id: str
    filename: str
    mime_type: str | None
    size: int | None


@dataclass(frozen=True)
class FileCheck:
    content_type: str | None  # None: refused
    problem: str | None = None  # the Chinese answer when refused


def format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}MB"
    if size >= 1024:
        return f"{size / 1024:.0f}KB"
    return f"{size}字节"


def content_type_of(filename: str, mime_type: str | None) -> str | None:
    """JPG/PNG/PDF by declared MIME type, else by extension; None for anything else."""
    mime = MIME_ALIASES.get((mime_type or "").lower(), (mime_type or "").lower())
    if mime in ALLOWED_MIME:
        return mime
    return MIME_BY_EXTENSION.get(PurePosixPath(filename.lower()).suffix)


def check_file(file: IncomingFile, limit: int) -> FileCheck:
    """Type and size limits on what the channel announces (nothing downloaded yet)."""
    content_type = content_type_of(file.filename, file.mime_type)
    if content_type is None:
        return FileCheck(None, EVIDENCE_TYPE.format(filename=file.filename))
    if file.size is not None and file.size > limit:
        return FileCheck(
            None,
            EVIDENCE_TOO_LARGE.format(filename=file.filename, size=format_size(file.size), limit=format_size(limit)),
        )
    return FileCheck(content_type)


def check_content(file: IncomingFile, content_type: str, data: bytes, limit: int) -> str | None:
    """The downloaded bytes: empty, too large, or not what the type claims → the Chinese answer."""
    if not data:
        return EVIDENCE_EMPTY.format(filename=file.filename)
    if len(data) > limit:
        return EVIDENCE_TOO_LARGE.format(filename=file.filename, size=format_size(len(data)), limit=format_size(limit))
    if not data.startswith(MAGIC[content_type]):
        return EVIDENCE_TYPE.format(filename=file.filename)
    return None


def application_no_in(caption: str | None) -> str | None:
    """An objection/repair number mentioned in the caption, normalised (``yy20261126 0003`` → ``YY-20261126-0003``)."""
    m = _APP_NO.search(caption or "")
    return f"{m.group(1).upper()}-{m.group(2)}-{m.group(3)}" if m else None


def target_application(applications: list[dict[str, Any]], requested: str | None) -> dict[str, Any] | None:
    """The open objection/repair to attach to: the one named in the caption, else the newest."""
    candidates = [a for a in applications if a.get("kind") in EVIDENCE_KINDS and a.get("open", False)]
    if requested:
        return next((a for a in candidates if a.get("application_no") == requested), None)
    return candidates[0] if candidates else None


class EvidenceService:
    """Stores one file as evidence of the sender's own open objection/repair; ``channel`` names the channel in
    the answer when the download fails ("Telegram", "微信")."""

    def __init__(self, backend: EvidenceBackend, limit: int = DEFAULT_LIMIT, channel: str = "Telegram") -> None:
        self.backend = backend
        self.limit = limit
        self.channel = channel

    async def receive(
        self, sender: str, file: IncomingFile, caption: str | None, download: Callable[[], Awaitable[bytes]]
    ) -> str:
        """Store one file as evidence; returns the Chinese answer for the user."""
        check = check_file(file, self.limit)
        if check.content_type is None:
            return check.problem or EVIDENCE_TYPE.format(filename=file.filename)
        requested = application_no_in(caption)
        try:
            # Evidence goes to the sender's own filings (the list also has those of entities it is bound to).
            own = [a for a in await self.backend.applications(sender) if a.get("sender_id") == sender]
            application = target_application(own, requested)
        except BackendUnavailable as exc:
            log.warning("backend unavailable while looking up applications: %s", exc)
            return EVIDENCE_BACKEND_DOWN
        if application is None:
            if requested:
                return EVIDENCE_NOT_YOURS.format(application_no=requested)
            return EVIDENCE_NO_APPLICATION
        try:
            data = await download()
        except Exception as exc:  # any channel/network failure while downloading
            log.warning("download of %s failed: %s", file.file_id, exc)
            return EVIDENCE_DOWNLOAD_FAILED.format(channel=self.channel)
        problem = check_content(file, check.content_type, data, self.limit)
        if problem:
            return problem
        try:
            stored = await self.backend.upload_attachment(
                application["application_no"], sender, file.filename, check.content_type, data
            )
        except BackendUnavailable as exc:
            log.warning("backend unavailable while uploading: %s", exc)
            return EVIDENCE_BACKEND_DOWN
        except BackendError as exc:
            return EVIDENCE_REJECTED.format(message=exc.message)
        return EVIDENCE_SAVED.format(
            filename=stored.get("filename", file.filename),
            size=format_size(int(stored.get("size", len(data)))),
            kind_label=application.get("kind_label", "申请"),
            application_no=application["application_no"],
        )
