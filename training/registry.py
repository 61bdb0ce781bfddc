"""The model registry: every trained model with its report, and which one is in service.

Layout under ``models/registry/`` (or another directory)::

    <id>/model.tar.gz    the Rasa model
    <id>/entry.json      when and how it got there (trained, or imported from models/assistant.tar.gz)
    <id>/report.json     its evaluation (training.retrain)
    <id>/verdict.json    the gate's verdict against the model in service at the time (training.gate)
    <id>/train.log       the training run's output
    current              the id in service (replaced atomically)
    history.json         the promotions, oldest first; the last one is ``current``; rollback pops it

A model is never deleted, promoted or not. Writers take ``.lock`` (flock), so the console's rollback and a
retrain cannot interleave. Standard library only: the console (.venv) and the retrain (.venv-rasa) import it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MODEL_FILE = "model.tar.gz"
SERVICE_MODEL = Path("models") / "assistant.tar.gz"  # what `make train` writes, in service until a promotion


class RegistryError(Exception):
    """An operation the registry refuses; the message is Chinese, for the admin."""


@dataclass(frozen=True)
class ModelEntry:
    id: str
    created: str  # ISO 8601, UTC
    path: Path  # the model archive
    report: dict[str, Any] | None
    verdict: dict[str, Any] | None
    current: bool
    origin: str = "trained"  # "trained" or "imported"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_json(path: Path, value: Any) -> None:
    write_atomic(path, json.dumps(value, ensure_ascii=False, indent=2) + "\n")


class Registry:
    def __init__(self, root: Path, directory: Path | None = None) -> None:
        """``root``: the project root; ``directory``: the registry (default ``<root>/models/registry``)."""
        self.root = Path(root)
        self.directory = Path(directory) if directory else self.root / "models" / "registry"

    # --- reading -------------------------------------------------------------------------------------------

    def entry(self, model_id: str) -> ModelEntry:
        folder = self.directory / model_id
        meta = read_json(folder / "entry.json")
        if not isinstance(meta, dict) or not (folder / MODEL_FILE).exists():
            raise RegistryError(f"模型 {model_id} 不在模型库中")
        return ModelEntry(
            id=model_id,
            created=str(meta.get("created", "")),
            path=folder / MODEL_FILE,
            report=read_json(folder / "report.json"),
            verdict=read_json(folder / "verdict.json"),
            current=model_id == self.current_id(),
            origin=str(meta.get("origin", "trained")),
        )

    def entries(self) -> list[ModelEntry]:
        """Every model with an archive, newest first."""
        if not self.directory.is_dir():
            return []
        ids = [p.name for p in self.directory.iterdir() if (p / "entry.json").exists() and (p / MODEL_FILE).exists()]
        return sorted((self.entry(i) for i in ids), key=lambda e: (e.created, e.id), reverse=True)

    def current_id(self) -> str | None:
        try:
            value = (self.directory / "current").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return value or None

    def current(self) -> ModelEntry | None:
        model_id = self.current_id()
        return self.entry(model_id) if model_id else None

    def history(self) -> list[str]:
        """The promotions still in effect, oldest first (the last is current)."""
        value = read_json(self.directory / "history.json")
        return [str(i) for i in value] if isinstance(value, list) else []

    def serving_path(self) -> tuple[str, Path] | None:
        """(id, archive) of the model in service: the current entry, else models/assistant.tar.gz (with the id
        ``service-<size>-<mtime>``, which changes when `make train` rewrites it), else None."""
        model_id = self.current_id()
        if model_id and (self.directory / model_id / MODEL_FILE).exists():
            return model_id, self.directory / model_id / MODEL_FILE
        service = self.root / SERVICE_MODEL
        if service.exists():
            stat = service.stat()
            return f"service-{stat.st_size}-{stat.st_mtime_ns}", service
        return None

    # --- writing -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialises writers (across processes)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_id(self) -> str:
        """Sortable by time, unique: ``YYYYMMDD-HHMMSS-xxxx`` (UTC)."""
        return f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"

    def reserve(self, origin: str = "trained") -> str:
        """A new entry's folder (without its archive yet); returns its id."""
        model_id = self.new_id()
        folder = self.directory / model_id
        folder.mkdir(parents=True)
        write_json(folder / "entry.json", {"id": model_id, "created": _now(), "origin": origin})
        return model_id

    def folder(self, model_id: str) -> Path:
        return self.directory / model_id

    def write_report(self, model_id: str, report: dict[str, Any]) -> None:
        write_json(self.folder(model_id) / "report.json", report)

    def write_verdict(self, model_id: str, verdict: dict[str, Any]) -> None:
        write_json(self.folder(model_id) / "verdict.json", verdict)

    def import_model(self, archive: Path) -> str:
        """Copies an existing model (the one in service before the registry existed) in as a new entry, made
        current when nothing is. Returns its id."""
        if not archive.exists():
            raise RegistryError(f"找不到模型文件 {archive}")
        model_id = self.reserve(origin="imported")
        shutil.copyfile(archive, self.folder(model_id) / MODEL_FILE)
        with self.locked():
            if self.current_id() is None:
                self._set_history([model_id])
        return model_id

    def promote(self, model_id: str) -> ModelEntry:
        """Puts ``model_id`` in service (the model server hands it to Rasa's workers on their next pull)."""
        self.entry(model_id)  # raises when unknown
        with self.locked():
            history = [i for i in self.history() if i != model_id] + [model_id]
            self._set_history(history)
        return self.entry(model_id)

    def rollback(self) -> ModelEntry:
        """Back to the model promoted before the current one."""
        with self.locked():
            history = self.history()
            if len(history) < 2:
                raise RegistryError("没有可以回退到的上一个模型：模型库中只有一次上线记录")
            previous = history[-2]
            if not (self.folder(previous) / MODEL_FILE).exists():
                raise RegistryError(f"上一个模型 {previous} 的文件已不存在，无法回退")
            self._set_history(history[:-1])
        return self.entry(previous)

    def _set_history(self, history: list[str]) -> None:
        # history first: after a crash between the two writes, `current` still names a model of the history.
        write_json(self.directory / "history.json", history)
        write_atomic(self.directory / "current", history[-1] + "\n")
