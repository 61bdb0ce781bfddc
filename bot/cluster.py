"""Several replicas of each part on one machine, standing in for several hosts (``make up-cluster``, issue 16).

    python -m bot.cluster up [--rasa 2] [--actions 2] [--backends 2] [--entities 2000]
    python -m bot.cluster status
    python -m bot.cluster down [--purge]
    python -m bot.cluster proxy-config [--check]      # deploy/haproxy/*.cfg, from the same code

The topology: N Rasa servers (one Sanic worker each), N action servers, N credit backends, one model server and one
archive consumer, started with ``make up``'s own commands (``bot.runner.services``) on their own ports; HAProxy
(Debian's package) in front of each group, on 127.0.0.1 only; the cluster's OWN Redis (append-only file, so a
restart keeps the conversations) and its OWN PostgreSQL (``initdb`` + ``pg_ctl``), both under the state directory
(var/cluster/), so that either can be restarted without touching the shared 127.0.0.1:6379 and :5432. Every part
reaches the others through the proxies: Rasa → actions proxy → backend proxy.

Ports (offsets from the base port, 7100 for ``make up-cluster``): Rasa proxy +0, Rasa servers +1…+9, actions proxy
+10, action servers +11…+19, backend proxy +20, backends +21…+29, model server +30, Redis +31, PostgreSQL +32,
HAProxy's statistics +33 (``/stats``, ``/stats;csv``, ``/metrics``).

The proxy retries a request on another server when the connection was refused or failed (the request was never
sent), for any method; a GET or HEAD also when the server closed the connection without answering or answered 503.
A POST that reached a server is never replayed: it may have been processed (a filed application, a conversation
turn), and repeating it is the client's decision, made safe by idempotency keys.

Tests and benchmarks use ``Cluster`` (or ``running``) directly; docs/cluster.md describes the API.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot import runner
from bot.haproxy_config import deploy_files, haproxy_config, proxy_groups

ROOT = runner.ROOT
CLUSTER_DIR = ROOT / "var" / "cluster"
BASE_PORT = 7100
MAX_REPLICAS = 9
BACKEND_PYTHON = ROOT / ".venv" / "bin" / "python"

# Offsets from the base port.
RASA_PROXY, ACTIONS_PROXY, BACKEND_PROXY = 0, 10, 20
MODELS, REDIS, POSTGRES, STATS = 30, 31, 32, 33

# The backend's bearer tokens per role: the cluster runs with its own (never the public dev-… demo tokens).
TOKEN_NAMES = ("CREDIT_TOKENS_ASSISTANT", "CREDIT_TOKENS_STAFF", "CREDIT_TOKENS_ADMIN")


class ClusterError(RuntimeError):
    """A part of the cluster failed to start; the message names its log."""


# ---------------------------------------------------------------------------------------------------------------
# Layout (the proxy's configuration, shared with deploy/haproxy/, is bot/haproxy_config.py)


@dataclass(frozen=True)
class Layout:
    """How many replicas of each group, and the base of the port block."""

    rasa: int = 2
    actions: int = 2
    backends: int = 2
    base: int = BASE_PORT

    def __post_init__(self) -> None:
        for group in ("rasa", "actions", "backends"):
            if not 1 <= getattr(self, group) <= MAX_REPLICAS:
                raise ValueError(f"{group}: between 1 and {MAX_REPLICAS} replicas")

    def port(self, offset: int) -> int:
        return self.base + offset

    def replica_ports(self, group: str) -> dict[str, int]:
        """``{"rasa-1": 7101, …}`` for group "rasa", "actions" or "backend"."""
        count, proxy = {"rasa": (self.rasa, RASA_PROXY), "actions": (self.actions, ACTIONS_PROXY)}.get(
            group, (self.backends, BACKEND_PROXY)
        )
        return {f"{group}-{i}": self.port(proxy + i) for i in range(1, count + 1)}


# ---------------------------------------------------------------------------------------------------------------
# Redis and PostgreSQL of the cluster's own


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def postgres_bin() -> Path:
    """The newest Debian PostgreSQL's programs (/usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise ClusterError("PostgreSQL's programs are missing: apt-get install postgresql")
    return found[-1].parent


def as_postgres_user() -> list[str]:
    """initdb and the server refuse to run as root: under root (CI) they run as Debian's ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return not f.read().rsplit(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def _processes(field: int, value: int) -> list[int]:
    """The processes whose /proc stat field ``field`` (counted after the command: 1 parent, 2 process group) is
    ``value``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(") ", 1)[1].split()[field]) == value:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    return _processes(1, pid)


def group(pgid: int) -> list[int]:
    """The processes of the process group ``pgid``."""
    return _processes(2, pgid)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------------------------
# The cluster


@dataclass(frozen=True)
class ServerStats:
    """One server as the proxy sees it (HAProxy's CSV statistics)."""

    group: str
    name: str
    status: str  # UP, DOWN, MAINT, "UP 1/2"…
    sessions: int  # requests sent to it (stot)
    responses_2xx: int
    responses_5xx: int
    retries: int  # wretr: connections retried
    redispatches: int  # wredis: requests moved to another server


@dataclass
class Cluster:
    """The cluster's processes, addresses and state directory. ``start()`` then ``stop()``; or ``running(...)``."""

    layout: Layout = field(default_factory=Layout)
    state_dir: Path = CLUSTER_DIR
    entities: int = 2000
    model_registry: Path | None = None  # None: models/registry, as make up; a test passes its own (empty) one
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. RASA_ENDPOINTS, CREDIT_TODAY
    env: dict[str, str] = field(default_factory=dict, init=False)

    # -- addresses -------------------------------------------------------------------------------------------
    def url(self, offset: int) -> str:
        return f"http://127.0.0.1:{self.layout.port(offset)}"

    @property
    def rasa_url(self) -> str:
        """The Rasa proxy: ``{rasa_url}/webhooks/rest/webhook`` etc."""
        return self.url(RASA_PROXY)

    @property
    def actions_url(self) -> str:
        return self.url(ACTIONS_PROXY)

    @property
    def backend_url(self) -> str:
        return self.url(BACKEND_PROXY)

    @property
    def models_url(self) -> str:
        return self.url(MODELS)

    @property
    def stats_url(self) -> str:
        return f"{self.url(STATS)}/stats"

    @property
    def redis_port(self) -> int:
        return self.layout.port(REDIS)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{self.env.get('RASA_REDIS_DB', '0')}"

    @property
    def postgres_port(self) -> int:
        return self.layout.port(POSTGRES)

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.postgres_port}/credit"

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "log"

    @property
    def pg_dir(self) -> Path:
        return self.state_dir / "pg"

    @property
    def proxy_config_path(self) -> Path:
        return self.state_dir / "haproxy.cfg"

    @property
    def admin_socket(self) -> Path:
        return self.state_dir / "haproxy.sock"

    def replica_ports(self) -> dict[str, int]:
        """Every Rasa server, action server and backend: ``{"rasa-1": 7101, …, "backend-2": 7122}``."""
        return {
            **self.layout.replica_ports("rasa"),
            **self.layout.replica_ports("actions"),
            **self.layout.replica_ports("backend"),
        }

    def replica_url(self, name: str) -> str:
        """A replica's own address, bypassing the proxy (e.g. to send two messages to two given Rasa servers)."""
        return f"http://127.0.0.1:{self.replica_ports()[name]}"

    def names(self) -> list[str]:
        """Every process the cluster runs, in start order."""
        return ["redis", "postgres", "proxy", "models", *self.replica_ports(), "archive"]

    # -- environment and services ----------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """What every process gets: the cluster's own secrets and tokens (state_dir/secrets.env, generated on first
        use), its Redis and PostgreSQL, and the proxies as the addresses of the other groups."""
        env = {**os.environ, **self.extra_env}
        for name in ("CREDIT_DEMO", "RASA_API_TOKEN", "CREDIT_BACKEND_TOKEN", "CREDIT_DATABASE_URL"):
            if name not in self.extra_env:
                env.pop(name, None)
        cluster_secrets(env, self.state_dir / "secrets.env")
        env.update(
            ASSISTANT_BIND_HOST="127.0.0.1",
            CREDIT_DATABASE_URL=self.database_url,
            CREDIT_ATTACHMENTS_DIR=str(self.state_dir / "attachments"),  # shared storage on real hosts
            CREDIT_BACKEND_URL=self.backend_url,
            RASA_URL=self.rasa_url,
            RASA_ACTIONS_URL=f"{self.actions_url}/webhook",
            RASA_REDIS_HOST="127.0.0.1",
            RASA_REDIS_PORT=str(self.redis_port),
            RASA_REDIS_PASSWORD="",
            MODEL_SERVER_PORT=str(self.layout.port(MODELS)),
            RASA_MODEL_SERVER_URL=f"{self.models_url}/model",
            SANIC_WORKERS="1",  # one worker per Rasa server: the servers are the replicas
        )
        env.setdefault("RASA_REDIS_DB", "0")
        env.setdefault("RASA_ENDPOINTS", "endpoints.yml")
        env.setdefault("RASA_MODEL_PULL_SECONDS", "10")
        if self.model_registry is not None:
            env["MODEL_REGISTRY_DIR"] = str(self.model_registry)
        runner.service_urls(env)  # CREDIT_BACKEND_TOKEN: the first assistant token
        return env

    def service(self, name: str) -> runner.Service:
        """``make up``'s definition of ``name`` (e.g. "rasa-2"), on the replica's port."""
        group, _, _ = name.partition("-")
        env = dict(self.env)
        if name in self.replica_ports():
            port = str(self.replica_ports()[name])
            env.update(
                {"rasa": {"RASA_PORT": port}, "actions": {"ACTIONS_PORT": port}}.get(group, {"BACKEND_PORT": port})
            )
        definitions = {s.name: s for s in runner.services(env)}
        return dataclasses.replace(definitions[group], name=name)

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Starts every part (those already running are left alone) and returns when each is healthy."""
        for d in (self.state_dir, self.run_dir, self.log_dir, self.state_dir / "redis"):
            d.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o755)  # PostgreSQL's user must reach pg/
        self.env = self.environment()
        self.start_redis()
        self.start_postgres()
        self.prepare_database()
        self.proxy_config_path.write_text(self.proxy_config())
        self.start_replica("proxy")
        self.start_replica("models")
        launched = {}
        for name in self.replica_ports():
            if self.pid(name) is None:
                launched[name] = runner.launch_service(self.service(name), self.env, self.run_dir, self.log_dir)
        for name, proc in launched.items():  # loaded side by side; waited for in turn
            if not runner.wait_service(self.service(name), proc, self.log_dir):
                raise ClusterError(f"{name} did not start: {self.log_dir / (name + '.log')}")
        self.start_replica("archive")

    def stop(self) -> None:
        """Stops every part, the stores last (Redis writes its append-only file, PostgreSQL shuts down cleanly)."""
        started = sorted(p.stem for p in self.run_dir.glob("*.pid")) if self.run_dir.exists() else []
        names = self.names()
        for name in reversed(names[:4] + [n for n in started if n not in names] + names[4:]):
            if name == "postgres":
                self.stop_postgres()
            elif self.pid(name) is not None and runner.stop_service(name, self.run_dir):
                print(f"{name}: stopped")

    def pid(self, name: str) -> int | None:
        """The process id of ``name`` (the postmaster for "postgres"), None when it is not running."""
        if name == "postgres":
            pidfile = self.pg_dir / "postmaster.pid"
            if not pidfile.exists():
                return None
            pid = int(pidfile.read_text().split()[0])
            return pid if alive(pid) else None
        pid = runner._pid(name, self.run_dir)
        if pid is not None and not alive(pid):  # exited, not yet reaped by this process (its parent)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
            return None
        return pid

    def pids(self) -> dict[str, int | None]:
        return {name: self.pid(name) for name in self.names()}

    def kill(self, name: str, sig: int = signal.SIGKILL, timeout: float = 30) -> None:
        """Sends ``sig`` to ``name``'s whole process group (SIGKILL: a host lost; SIGTERM: a clean shutdown) and
        waits until it is gone. For "postgres", the postmaster and its backends (SIGKILL: a crash of its host).
        Restart it with ``start_replica``."""
        pid = self.pid(name)
        if pid is None:
            return
        if name == "postgres":
            # Its backends run in sessions of their own; left alive after a SIGKILL of the postmaster they would
            # hold its shared memory and keep a new postmaster from starting.
            pids = [pid, *(children(pid) if sig == signal.SIGKILL else [])]
            for each in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(each, sig)
        else:
            pids = [pid, *group(pid)]  # e.g. Redis's rewrite child, holding the port too
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig)

        def gone() -> bool:
            for each in pids:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(each, os.WNOHANG)  # reap it when this process started it
            return all(not alive(each) for each in pids)

        wait_for(gone, timeout, f"{name} to exit")

    def start_replica(self, name: str) -> None:
        """Starts ``name`` (any of ``names()``) unless it runs, and waits until it is healthy."""
        if name == "redis":
            return self.start_redis()
        if name == "postgres":
            return self.start_postgres()
        if self.pid(name) is not None:
            return None
        svc = self.proxy_service() if name == "proxy" else self.service(name)
        if not runner.start_service(svc, self.env, self.run_dir, self.log_dir):
            raise ClusterError(f"{name} did not start: {self.log_dir / (name + '.log')}")
        return None

    def restart(self, name: str, sig: int = signal.SIGKILL) -> None:
        """``kill`` then ``start_replica``."""
        self.kill(name, sig)
        self.start_replica(name)

    # -- Redis -------------------------------------------------------------------------------------------------
    def start_redis(self) -> None:
        if self.pid("redis") is not None and redis_ping(self.redis_port):
            return
        # appendonly + appendfsync always: every write is on disk before Redis answers, so a restart, even a crash,
        # keeps every stored turn (measured cost: docs/capacity.md).
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.state_dir / "redis"),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--daemonize",
            "no",
        ]
        runner.launch_service(runner.Service("redis", command, "", 10), self.env, self.run_dir, self.log_dir)
        wait_for(lambda: redis_ping(self.redis_port), 20, f"Redis on port {self.redis_port}")
        print(f"redis: ready on 127.0.0.1:{self.redis_port}")

    # -- PostgreSQL --------------------------------------------------------------------------------------------
    def _pg(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*as_postgres_user(), str(postgres_bin() / program), *args], capture_output=True, text=True, check=check
        )

    def start_postgres(self) -> None:
        if self.pid("postgres") is not None:
            return
        if not (self.pg_dir / "PG_VERSION").exists():
            self.pg_dir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.pg_dir, "postgres", "postgres")
            self.pg_dir.chmod(0o700)
            # UTF-8 ctype: pg_trgm (name search) needs it.
            self._pg(
                "initdb", "-D", str(self.pg_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"
            )
        # Lock files of a killed postmaster: its pid may be a zombie that nobody reaps (PID 1 here does not), which
        # PostgreSQL takes for a running server. It is dead (pid() said so): remove them, as a reboot would.
        for stale in (self.pg_dir / "postmaster.pid", self.pg_dir / f".s.PGSQL.{self.postgres_port}.lock"):
            stale.unlink(missing_ok=True)
        options = f"-p {self.postgres_port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.pg_dir}"
        done = self._pg(
            "pg_ctl",
            "-D",
            str(self.pg_dir),
            "-l",
            str(self.pg_dir / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if done.returncode != 0:
            raise ClusterError(f"PostgreSQL did not start ({done.stdout}{done.stderr}): {self.pg_dir / 'server.log'}")
        print(f"postgres: ready on 127.0.0.1:{self.postgres_port}")

    def stop_postgres(self, mode: str = "fast") -> None:
        """pg_ctl stop (``fast``: roll back open transactions, clean shutdown; ``immediate``: like a crash)."""
        if self.pid("postgres") is None:
            return
        self._pg("pg_ctl", "-D", str(self.pg_dir), "-m", mode, "-w", "stop", check=False)
        print("postgres: stopped")

    def prepare_database(self) -> None:
        """Run once, before any backend: create the database, migrate it (Alembic, ``credit_backend.migrate``) and,
        when it holds no entity yet, load the demo city (``credit_backend.demo.cli``)."""
        exists = self._pg(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.postgres_port),
            "-U",
            "postgres",
            "-tAc",
            "SELECT 1 FROM pg_database WHERE datname = 'credit'",
        )
        if exists.stdout.strip() != "1":
            self._pg("createdb", "-h", "127.0.0.1", "-p", str(self.postgres_port), "-U", "postgres", "credit")
        self._backend_command(["-m", "credit_backend.migrate"], "migrate")
        count = self._pg(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.postgres_port),
            "-U",
            "postgres",
            "-d",
            "credit",
            "-tAc",
            "SELECT count(*) FROM entities",
        )
        if count.stdout.strip() == "0":
            self._backend_command(["-m", "credit_backend.demo.cli", "--entities", str(self.entities)], "demo data")
        print(f"database: migrated, {count.stdout.strip() or self.entities} entities before this start")

    def _backend_command(self, args: list[str], what: str) -> None:
        log = self.log_dir / "prepare.log"
        with log.open("ab") as out:
            done = subprocess.run(
                [str(BACKEND_PYTHON), *args], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        if done.returncode != 0:
            raise ClusterError(f"{what} failed: {log}")

    # -- the proxy -----------------------------------------------------------------------------------------------
    def proxy_config(self) -> str:
        servers = {
            group: {name: f"127.0.0.1:{port}" for name, port in self.layout.replica_ports(group).items()}
            for group in ("rasa", "actions", "backend")
        }
        ports = {
            "rasa": self.layout.port(RASA_PROXY),
            "actions": self.layout.port(ACTIONS_PROXY),
            "backend": self.layout.port(BACKEND_PROXY),
        }
        return haproxy_config(
            proxy_groups("127.0.0.1", ports, servers),
            f"127.0.0.1:{self.layout.port(STATS)}",
            str(self.admin_socket),
            threads=1,  # a few hundred requests per second at most here: one thread is plenty
        )

    def proxy_service(self) -> runner.Service:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise ClusterError("HAProxy is missing: apt-get install haproxy")
        return runner.Service("proxy", [haproxy, "-db", "-f", str(self.proxy_config_path)], self.stats_url, 15)

    def proxy_stats(self) -> dict[str, ServerStats]:
        """Each server as the proxy sees it, by name ("rasa-1", …)."""
        with urllib.request.urlopen(f"{self.stats_url};csv", timeout=5) as resp:
            text = resp.read().decode().lstrip("# ")
        stats = {}
        for row in csv.DictReader(io.StringIO(text)):
            if row["svname"] in ("FRONTEND", "BACKEND") or row["pxname"] == "stats":
                continue

            def number(key: str, row: dict[str, str] = row) -> int:
                return int(row.get(key) or 0)

            stats[row["svname"]] = ServerStats(
                row["pxname"],
                row["svname"],
                row["status"],
                number("stot"),
                number("hrsp_2xx"),
                number("hrsp_5xx"),
                number("wretr"),
                number("wredis"),
            )
        return stats

    def wait_proxy_status(self, name: str, up: bool = True, timeout: float = 30) -> None:
        """Waits until the proxy's health checks have put ``name`` in (``up``) or out of rotation."""

        def seen() -> bool:
            status = self.proxy_stats()[name].status
            return status.startswith("UP") and "/" not in status if up else not status.startswith("UP")

        wait_for(seen, timeout, f"the proxy to see {name} {'up' if up else 'down'}")

    def admin(self, command: str) -> str:
        """A command on HAProxy's runtime API, e.g. ``set server rasa/rasa-1 state maint`` (a rolling upgrade)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.admin_socket))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def status(self) -> str:
        lines = []
        stats = {}
        with contextlib.suppress(OSError):
            stats = self.proxy_stats()
        for name in self.names():
            pid = self.pid(name)
            seen = stats.get(name)
            extra = f"   proxy: {seen.status}, {seen.sessions} requests" if seen else ""
            lines.append(f"  {name:10s} {'pid ' + str(pid) if pid else 'stopped':12s}{extra}")
        return "\n".join(lines)


def cluster_secrets(env: dict[str, str], path: Path) -> None:
    """The services' shared secrets (runner.SECRET_NAMES) and the backend's tokens per role, from ``env`` or
    ``path`` (readable by its owner only), generated there on first use."""
    names = (*runner.SECRET_NAMES, *TOKEN_NAMES)
    saved = runner.read_secrets(path)
    new = {name: secrets.token_urlsafe(32) for name in names if not saved.get(name)}
    if new:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as out:
            out.writelines(f"{name}={value}\n" for name, value in new.items())
        saved.update(new)
    for name in names:
        if not env.get(name) or name in TOKEN_NAMES:
            env[name] = saved[name]


@contextlib.contextmanager
def running(cluster: Cluster) -> Iterator[Cluster]:
    """Starts ``cluster``, yields it, stops it (also when the start failed half-way)."""
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def from_environment(state_dir: Path = CLUSTER_DIR) -> Cluster:
    """The cluster of ``make up-cluster``: CLUSTER_RASA, CLUSTER_ACTIONS, CLUSTER_BACKENDS (2 each),
    CLUSTER_ENTITIES (2000), CLUSTER_BASE_PORT (7100)."""
    layout = Layout(
        rasa=int(os.environ.get("CLUSTER_RASA", "2")),
        actions=int(os.environ.get("CLUSTER_ACTIONS", "2")),
        backends=int(os.environ.get("CLUSTER_BACKENDS", "2")),
        base=int(os.environ.get("CLUSTER_BASE_PORT", str(BASE_PORT))),
    )
    return Cluster(layout, state_dir, entities=int(os.environ.get("CLUSTER_ENTITIES", "2000")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down", "status", "proxy-config"])
    parser.add_argument("--rasa", type=int)
    parser.add_argument("--actions", type=int)
    parser.add_argument("--backends", type=int)
    parser.add_argument("--entities", type=int)
    parser.add_argument("--purge", action="store_true", help="down: also delete the state (var/cluster/)")
    parser.add_argument("--check", action="store_true", help="proxy-config: fail when deploy/ is stale")
    args = parser.parse_args()
    if args.command == "proxy-config":
        stale = [path for path, text in deploy_files().items() if not path.exists() or path.read_text() != text]
        if args.check:
            for path in stale:
                print(f"{path} is stale: run `python -m bot.cluster proxy-config`", file=sys.stderr)
            return 1 if stale else 0
        for path, text in deploy_files().items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
        return 0
    cluster = from_environment()
    counts = {k: v for k, v in (("rasa", args.rasa), ("actions", args.actions), ("backends", args.backends)) if v}
    cluster.layout = dataclasses.replace(cluster.layout, **counts)
    if args.entities:
        cluster.entities = args.entities
    if args.command == "up":
        try:
            cluster.start()
        except ClusterError as exc:
            print(f"up-cluster failed: {exc}", file=sys.stderr)
            return 1
        print(f"\nRasa (proxy): {cluster.rasa_url}/webhooks/rest/webhook\nproxy statistics: {cluster.stats_url}")
        print(cluster.status())
        return 0
    if args.command == "status":
        print(cluster.status())
        return 0
    cluster.stop()
    if args.purge:
        shutil.rmtree(cluster.state_dir, ignore_errors=True)
        print(f"removed {cluster.state_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
