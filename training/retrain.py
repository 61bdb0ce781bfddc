"""Retrain with a gate: validate, train into the registry, evaluate, compare with the model in service, promote
or refuse (``make retrain``); and ``rollback`` (``make rollback``). Runs in .venv-rasa::

    python -m training.retrain [run] [--project-root DIR] [--registry DIR]
    python -m training.retrain rollback [--registry DIR]
    python -m training.retrain status [--registry DIR]

Exit status of ``run``: 0 promoted, 3 refused by the gate (kept in the registry with its report and verdict),
1 failed (invalid data, training or evaluation error, another retrain running).

``start_retrain`` / ``retrain_status`` are the console's button: a detached run, one at a time (an flock held
for the run's lifetime), its state in ``<registry>/retrain.json``.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from training.gate import judge
from training.registry import MODEL_FILE, SERVICE_MODEL, Registry, RegistryError, read_json, write_json

CODE_ROOT = Path(__file__).resolve().parent.parent  # scripts/nlu_eval.py, assistant_nlu, .venv-rasa
RASA_PYTHON = CODE_ROOT / ".venv-rasa" / "bin" / "python"
PROMOTED, FAILED, REFUSED = 0, 1, 3
# The held-out NLU sets, as scripts/nlu_eval.py and scripts/check_eval_overlap.py find them, and the test stories.
EVAL_SETS = "tests/nlu/eval_*.yml"
TEST_STORIES = "tests/stories"
STATUS_FILE, LOCK_FILE = "retrain.json", "retrain.lock"


@dataclass(frozen=True)
class RetrainStatus:
    state: str  # idle | running | promoted | refused | failed
    started: str | None = None
    finished: str | None = None
    candidate: str | None = None
    reasons: tuple[str, ...] = ()
    log: str | None = None
    step: str | None = None  # what a running retrain is doing, in Chinese


class RetrainFailed(Exception):
    """A step failed; the message is Chinese."""


def held_out_fingerprint(project: Path) -> str:
    """A digest of what a report is measured on (the held-out sets and the test stories): two reports compare only
    when it is the same."""
    digest = hashlib.sha256()
    files = [*project.glob(EVAL_SETS), *(project / TEST_STORIES).rglob("*.yml")]
    for path in sorted(files):
        digest.update(f"{path.relative_to(project)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- status and lock (shared with the console) --------------------------------------------------------------


def _status_path(registry: Registry) -> Path:
    return registry.directory / STATUS_FILE


def _write_status(registry: Registry, status: RetrainStatus) -> None:
    write_json(_status_path(registry), {**asdict(status), "reasons": list(status.reasons)})


def _try_lock(registry: Registry) -> IO[str] | None:
    """The retrain lock's handle when we got it, None when a retrain holds it."""
    registry.directory.mkdir(parents=True, exist_ok=True)
    handle = (registry.directory / LOCK_FILE).open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def retrain_status(root: Path, registry_dir: Path | None = None) -> RetrainStatus:
    """The last (or running) retrain; a run whose process died is reported as failed."""
    registry = Registry(root, registry_dir)
    data = read_json(_status_path(registry))
    if not isinstance(data, dict):
        return RetrainStatus("idle")
    status = RetrainStatus(**{**data, "reasons": tuple(data.get("reasons", ()))})
    if status.state == "running":
        handle = _try_lock(registry)
        if handle is not None:  # nobody holds the lock: the run ended without saying so
            handle.close()
            return RetrainStatus(
                "failed", status.started, None, status.candidate, ("训练进程意外中止，详见日志",), status.log
            )
    return status


def start_retrain(root: Path, registry_dir: Path | None = None) -> RetrainStatus:
    """Starts ``python -m training.retrain`` in .venv-rasa, detached; while one runs, returns its status."""
    registry = Registry(root, registry_dir)
    handle = _try_lock(registry)
    if handle is None:
        return retrain_status(root, registry_dir)
    try:
        logs = registry.directory / "runs"
        logs.mkdir(parents=True, exist_ok=True)
        started = _now()
        log = logs / f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.log"
        status = RetrainStatus("running", started, log=str(log), step="启动中")
        _write_status(registry, status)
        command = [
            str(RASA_PYTHON), "-m", "training.retrain", "run",
            "--project-root", str(root), "--registry", str(registry.directory),
            "--lock-fd", str(handle.fileno()), "--started", started, "--log", str(log),
        ]  # fmt: skip
        with log.open("ab") as out:
            subprocess.Popen(
                command,
                cwd=CODE_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                pass_fds=(handle.fileno(),),  # the child holds the lock until it ends
            )
        return status
    finally:
        handle.close()


# --- the run ------------------------------------------------------------------------------------------------


class Run:
    """One retrain: every command's output goes to ``log``; progress to stdout and the status file."""

    def __init__(self, project: Path, registry: Registry, log: Path, started: str) -> None:
        self.project, self.registry, self.log, self.started = project, registry, log, started
        self.candidate: str | None = None
        self.env = {
            **os.environ,
            # The project's Rasa components and importer come from the code, whatever the training inputs' root.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(CODE_ROOT), os.environ.get("PYTHONPATH", "")])),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }

    def step(self, text: str) -> None:
        print(text, flush=True)
        _write_status(
            self.registry,
            RetrainStatus("running", self.started, candidate=self.candidate, log=str(self.log), step=text),
        )

    def command(self, args: list[str], what: str) -> None:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"\n$ {' '.join(args)}\n")
            out.flush()
            done = subprocess.run(
                args, cwd=self.project, env=self.env, stdout=out, stderr=subprocess.STDOUT, check=False
            )
        if done.returncode != 0:
            raise RetrainFailed(f"{what}失败（退出码 {done.returncode}），详见日志 {self.log}")

    def rasa(self) -> str:
        return str(Path(sys.executable).parent / "rasa")

    def validate(self) -> None:
        """The generated flow files are up to date (``python -m actions.flows --check``) and Rasa's data is valid."""
        from actions.flows.generate import stale_files

        stale = stale_files(self.project)
        if stale:
            names = "、".join(str(p) for p in stale)
            raise RetrainFailed(f"流程生成文件已过期：{names}（请先运行 make flows）")
        self.command(
            [self.rasa(), "data", "validate", "--domain", "domain", "--fail-on-warnings"],
            "训练数据校验（rasa data validate）",
        )

    def train(self, model_id: str) -> Path:
        folder = self.registry.folder(model_id)
        self.command(
            [self.rasa(), "train", "--domain", "domain", "--out", str(folder), "--fixed-model-name", "model"],
            "模型训练（rasa train）",
        )
        shutil.copyfile(self.log, folder / "train.log")
        model = folder / MODEL_FILE
        if not model.exists():
            raise RetrainFailed(f"训练没有生成模型文件 {model}")
        return model

    def evaluate(self, model: Path) -> dict[str, Any]:
        """The report the gate reads: the NLU figures on the held-out sets and the test stories' results."""
        with tempfile.TemporaryDirectory(prefix="retrain-eval-") as tmp:
            figures, core = Path(tmp) / "nlu.json", Path(tmp) / "core"
            # One process, one model load, for the held-out sets and the test stories.
            self.command(
                [
                    sys.executable, str(CODE_ROOT / "scripts" / "nlu_eval.py"), "--model", str(model),
                    "--data", *(str(f) for f in sorted(self.project.glob(EVAL_SETS))),
                    "--json", str(figures), "--show-errors", "0",
                    "--stories", str(self.project / TEST_STORIES), "--stories-out", str(core),
                ],
                "评测（scripts/nlu_eval.py：留出集与测试对话）",
            )  # fmt: skip
            nlu = json.loads(figures.read_text(encoding="utf-8"))
            stories = story_results(core)
        # The per-example error lists are long and say nothing the gate reads.
        for key in ("intent_errors", "entity_errors"):
            nlu.pop(key, None)
        return {
            "model": str(model),
            "evaluated": _now(),
            "held_out": held_out_fingerprint(self.project),
            "nlu": nlu,
            "stories": stories,
        }

    def baseline(self, service_model: Path) -> str | None:
        """The id of the model in service, with its report; the registry's first entry is the model `make
        train` put in service (imported and evaluated)."""
        current = self.registry.current()
        if current is None:
            if not service_model.exists():
                return None
            self.step(f"模型库为空：导入当前在用的模型 {service_model} 并评测")
            model_id = self.registry.import_model(service_model)
            self.registry.write_verdict(
                model_id, {"promote": True, "reasons": [f"由 {service_model.name} 导入（模型库建立前在用的模型）"]}
            )
            current = self.registry.entry(model_id)
        # Figures measured on other held-out sets do not compare: the model in service is measured again on today's.
        stale = current.report is not None and current.report.get("held_out") != held_out_fingerprint(self.project)
        if current.report is None or stale:
            self.step(("评测集或测试对话已变更：重新评测" if stale else "评测") + f"当前在用的模型 {current.id}")
            self.registry.write_report(current.id, self.evaluate(current.path))
        return current.id

    def run(self, service_model: Path) -> tuple[int, RetrainStatus]:
        self.step("1/4 校验训练数据")
        self.validate()
        baseline = self.baseline(service_model)
        self.candidate = self.registry.reserve()
        self.step(f"2/4 训练候选模型 {self.candidate}")
        try:
            model = self.train(self.candidate)
        except RetrainFailed:
            shutil.rmtree(self.registry.folder(self.candidate), ignore_errors=True)  # no model: nothing to keep
            raise
        self.step("3/4 评测候选模型（留出集与测试对话）")
        report = self.evaluate(model)
        self.registry.write_report(self.candidate, report)
        self.step("4/4 与在用模型比较")
        current_report = self.registry.entry(baseline).report if baseline else None
        verdict = judge(report, current_report)
        self.registry.write_verdict(self.candidate, {**verdict.to_dict(), "compared_with": baseline})
        if verdict.promote:
            self.registry.promote(self.candidate)
        state = "promoted" if verdict.promote else "refused"
        return (
            PROMOTED if verdict.promote else REFUSED,
            RetrainStatus(state, self.started, _now(), self.candidate, tuple(verdict.reasons), str(self.log)),
        )


def short_story_name(name: str) -> str:
    """Rasa appends the story's file as `` (/abs/path/file.yml)``: keep the file's name only."""
    match = re.fullmatch(r"(.*) \((/[^()]*)\)", name)
    return f"{match.group(1)} ({Path(match.group(2)).name})" if match else name


def story_results(out: Path) -> dict[str, Any]:
    """Stories run and failed, from the files ``rasa test core --out`` writes."""
    import yaml

    report = read_json(out / "story_report.json") or {}
    accuracy = report.get("conversation_accuracy", {})
    failed_file = out / "failed_test_stories.yml"
    failed: list[str] = []
    if failed_file.exists():
        content = yaml.safe_load(failed_file.read_text(encoding="utf-8")) or {}
        failed = [short_story_name(str(s.get("story"))) for s in content.get("stories", []) if isinstance(s, dict)]
    total = int(accuracy.get("total", 0))
    return {
        "total": total,
        "failed": max(len(failed), total - int(accuracy.get("correct", total))),
        "failed_stories": failed,
    }


def summary(registry: Registry, status: RetrainStatus) -> str:
    """What ``make retrain`` prints at the end (Chinese)."""
    verdicts = {"promoted": "已上线", "refused": "未通过比较，未上线（模型与评测报告已保存）", "failed": "失败"}
    lines = [f"结果：{verdicts.get(status.state, status.state)}"]
    if status.candidate:
        lines.append(f"候选模型：{status.candidate}（{registry.folder(status.candidate)}）")
    lines += [f"  - {reason}" for reason in status.reasons]
    current = registry.current_id()
    lines.append(f"在用模型：{current or SERVICE_MODEL}")
    if status.log:
        lines.append(f"日志：{status.log}")
    return "\n".join(lines)


def run_command(args: argparse.Namespace) -> int:
    registry = Registry(args.project_root, args.registry)
    if args.lock_fd is None:
        handle = _try_lock(registry)
        if handle is None:
            print("已有一次重新训练正在进行，请稍后再试。", file=sys.stderr)
            return FAILED
    started = args.started or _now()
    if args.log:
        log = Path(args.log)
    else:
        (registry.directory / "runs").mkdir(parents=True, exist_ok=True)
        log = registry.directory / "runs" / f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.log"
    run = Run(Path(args.project_root), registry, log, started)
    try:
        code, status = run.run(Path(args.service_model))
    except (RetrainFailed, RegistryError) as error:
        code, status = FAILED, RetrainStatus("failed", started, _now(), run.candidate, (str(error),), str(log))
    except Exception as error:
        code = FAILED
        status = RetrainStatus("failed", started, _now(), run.candidate, (f"意外错误：{error!r}",), str(log))
    _write_status(registry, status)
    print(summary(registry, status))
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("run", "rollback", "status"), default="run")
    parser.add_argument(
        "--project-root", type=Path, default=CODE_ROOT, help="training inputs (config.yml, domain/, data/, tests/)"
    )
    parser.add_argument("--registry", type=Path, help="registry directory (default: <project root>/models/registry)")
    parser.add_argument(
        "--service-model", type=Path, default=CODE_ROOT / SERVICE_MODEL,
        help="the model in service before the registry existed (imported as its first entry)",
    )  # fmt: skip
    parser.add_argument("--lock-fd", type=int, help=argparse.SUPPRESS)  # start_retrain: lock held by the parent
    parser.add_argument("--started", help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_command(args)
    registry = Registry(args.project_root, args.registry)
    if args.command == "status":
        print(json.dumps(asdict(retrain_status(args.project_root, args.registry)), ensure_ascii=False, indent=2))
        return 0
    try:
        entry = registry.rollback()
    except RegistryError as error:
        print(f"无法回退：{error}", file=sys.stderr)
        return FAILED
    print(f"已回退到模型 {entry.id}（{entry.created}），Rasa 各工作进程将在下次拉取时切换。")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
