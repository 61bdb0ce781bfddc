"""Documents and photos as evidence for the sender's open objection or repair application.

Checks run before anything is downloaded (declared type and size), then the bytes are sniffed, so
a renamed file is refused too; the backend repeats its own checks on upload.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from bot.telegram import texts
from bot.telegram.backend_client import BackendClient, BackendError, BackendUnavailable
from credit_backend.rules.vocabulary import APPLICATION_KINDS, EVIDENCE_KINDS

log = logging.getLogger(__name__)

MIME_BY_EXTENSION = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}
ALLOWED_MIME = {"image/jpeg", "image/png", "application/pdf"}
MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "application/x-pdf": "application/pdf"}
MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "application/pdf": (b"%PDF-",)}
_EVIDENCE_CODES = "|".join(k.type_code for k in APPLICATION_KINDS if k.takes_evidence)  # YY|XF
_APP_NO = re.compile(rf"(?<![A-Za-z0-9])({_EVIDENCE_CODES})[-_ ]?(\d{{8}})[-_ ]?(\d{{4}})(?![0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class IncomingFile:
    """A file as Telegram announces it, before download."""

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
    """Type and size limits on what Telegram announces (nothing downloaded yet)."""
    content_type = content_type_of(file.filename, file.mime_type)
    if content_type is None:
        return FileCheck(None, texts.EVIDENCE_TYPE.format(filename=file.filename))
    if file.size is not None and file.size > limit:
        return FileCheck(
            None,
            texts.EVIDENCE_TOO_LARGE.format(
                filename=file.filename, size=format_size(file.size), limit=format_size(limit)
            ),
        )
    return FileCheck(content_type)


def check_content(file: IncomingFile, content_type: str, data: bytes, limit: int) -> str | None:
    """The downloaded bytes: empty, too large, or not what the type claims → the Chinese answer."""
    if not data:
        return texts.EVIDENCE_EMPTY.format(filename=file.filename)
    if len(data) > limit:
        return texts.EVIDENCE_TOO_LARGE.format(
            filename=file.filename, size=format_size(len(data)), limit=format_size(limit)
        )
    if not data.startswith(MAGIC[content_type]):
        return texts.EVIDENCE_TYPE.format(filename=file.filename)
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
    def __init__(self, backend: BackendClient, limit: int = 10 * 1024 * 1024) -> None:
        self.backend = backend
        self.limit = limit

    async def receive(
        self, sender: str, file: IncomingFile, caption: str | None, download: Callable[[], Awaitable[bytes]]
    ) -> str:
        """Store one file as evidence; returns the Chinese answer for the user."""
        check = check_file(file, self.limit)
        if check.content_type is None:
            return check.problem or texts.UNSUPPORTED
        requested = application_no_in(caption)
        try:
            # Evidence goes to the sender's own filings (the list also has those of entities it is bound to).
            own = [a for a in await self.backend.applications(sender) if a.get("sender_id") == sender]
            application = target_application(own, requested)
        except BackendUnavailable as exc:
            log.warning("backend unavailable while looking up applications: %s", exc)
            return texts.EVIDENCE_BACKEND_DOWN
        if application is None:
            if requested:
                return texts.EVIDENCE_NOT_YOURS.format(application_no=requested)
            return texts.EVIDENCE_NO_APPLICATION
        try:
            data = await download()
        except Exception as exc:  # any Telegram/network failure while downloading
            log.warning("download of %s failed: %s", file.file_id, exc)
            return texts.EVIDENCE_DOWNLOAD_FAILED
        problem = check_content(file, check.content_type, data, self.limit)
        if problem:
            return problem
        try:
            stored = await self.backend.upload_attachment(
                application["application_no"], sender, file.filename, check.content_type, data
            )
        except BackendUnavailable as exc:
            log.warning("backend unavailable while uploading: %s", exc)
            return texts.EVIDENCE_BACKEND_DOWN
        except BackendError as exc:
            return texts.EVIDENCE_REJECTED.format(message=exc.message)
        return texts.EVIDENCE_SAVED.format(
            filename=stored.get("filename", file.filename),
            size=format_size(int(stored.get("size", len(data)))),
            kind_label=application.get("kind_label", "申请"),
            application_no=application["application_no"],
        )
