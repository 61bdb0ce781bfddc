"""The model server Rasa's workers pull from (endpoints.yml ``models:``): the registry's current model.

Rasa 3.6 (rasa/core/agent.py) pulls ``GET <url>`` with ``If-None-Match: <fingerprint of its model>`` every
``wait_time_between_pulls`` seconds, in every Sanic worker; on a 200 it loads the archive and takes the ETag as
its new fingerprint, on a 304 it keeps its model. So promoting or rolling back in the registry (training.registry
rewrites ``current``) switches every worker within one pull interval, without a restart: conversations and
their forms live in Redis, not in the model.

Loading a model takes a worker seconds to minutes of CPU (assistant_core/rasa_server.py loads it beside the
turns it keeps answering), so a switch is rolled out one worker at a time: the pulls of assistant_core.rasa_server
name their worker (``?worker=<pid>``); once the new model went to one worker, the others, asking with the model
they serve, hear 304 until that worker comes back asking with the new ETag (it has loaded it) or ``hold_seconds``
have passed (it died). A worker without a model yet (a fresh start: its fingerprint is no model's id) always gets
the model at once. ``GET /workers`` (same token) shows the model each worker last said it serves.

ETag = the registry id (quoted, as HTTP wants; Rasa sends back whatever it received). Before the first
promotion the model of ``make train`` (models/assistant.tar.gz) is served. Requests must carry
``Authorization: Bearer <MODEL_SERVER_TOKEN>`` (endpoints.yml sends it). Standard library only: a
ThreadingHTTPServer is enough for a handful of workers pulling a file every few seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
import os
import shutil
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from training.registry import Registry

DEFAULT_PORT = 5006
MODEL_PATH = "/model"
HOLD_SECONDS = 600.0  # longest a worker's load may take before the next worker gets the new model anyway


def etags(header: str | None) -> list[str]:
    """The entity tags of an ``If-None-Match`` header, unquoted (weak or not)."""
    return [tag.strip().removeprefix("W/").strip('"') for tag in (header or "").split(",") if tag.strip()]


def etag_matches(header: str | None, model_id: str) -> bool:
    """``If-None-Match`` names ``model_id`` (quoted or not, weak or not, one of a list, or ``*``)."""
    return any(tag in ("*", model_id) for tag in etags(header))


class ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], registry: Registry, token: str, hold_seconds: float = HOLD_SECONDS
    ) -> None:
        super().__init__(address, Handler)
        self.registry, self.token, self.hold_seconds = registry, token, hold_seconds
        self.downloads: dict[str, int] = {}  # model id → archives sent (a test sees every worker pull)
        # The model sent to a serving worker that has not come back with it yet: (model id, when, worker).
        self.rollout: tuple[str, float, str] | None = None
        self.workers: dict[str, str | None] = {}  # worker → the model it said it serves at its last pull
        self.lock = threading.Lock()

    def served_model(self, header: str | None) -> str | None:
        """The model a pull says it has loaded (a serving worker), None for a fresh start's random fingerprint."""
        for tag in etags(header):
            if tag.startswith("service-") or (
                tag
                and "/" not in tag
                and tag not in (".", "..")
                and (self.registry.folder(tag) / "entry.json").exists()
            ):
                return tag
        return None

    def decide(self, header: str | None, model_id: str, worker: str = "") -> int:
        """200 (send ``model_id``) or 304 (keep yours, for now or for good) for a pull naming ``header``."""
        with self.lock:
            now = time.monotonic()
            served = self.served_model(header)
            if worker:
                self.workers[worker] = served
            if etag_matches(header, model_id):
                if self.rollout and self.rollout[0] == model_id and self.rollout[2] == worker:
                    self.rollout = None  # that worker has loaded it: the next one may switch
                return 304
            if served is None:
                return 200
            if self.rollout and self.rollout[0] == model_id and now - self.rollout[1] < self.hold_seconds:
                return 304  # another worker is loading it: keep answering with yours meanwhile
            self.rollout = (model_id, now, worker)
            return 200

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{MODEL_PATH}"


class Handler(BaseHTTPRequestHandler):
    server: ModelServer

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._plain(200, "ok")
            return
        url = urlsplit(self.path)
        if url.path not in (MODEL_PATH, "/workers"):
            self._plain(404, "not found")
            return
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.server.token}".encode()):
            self._plain(401, "unauthorized")
            return
        if url.path == "/workers":
            with self.server.lock:
                self._plain(200, json.dumps(self.server.workers), "application/json")
            return
        worker = parse_qs(url.query).get("worker", [""])[0]
        serving = self.server.registry.serving_path()
        if serving is None:
            self._plain(404, "no model")  # Rasa keeps what it has and asks again at the next pull
            return
        model_id, path = serving
        if self.server.decide(self.headers.get("If-None-Match"), model_id, worker) == 304:
            self.send_response(304)
            self.end_headers()
            return
        try:
            archive = path.open("rb")
        except FileNotFoundError:  # replaced between the two reads: the next pull gets the new one
            self._plain(503, "model changing")
            return
        with self.server.lock:  # counted before sending: a client that got it is counted
            self.server.downloads[model_id] = self.server.downloads.get(model_id, 0) + 1
        with archive:
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(os.fstat(archive.fileno()).st_size))
            self.send_header("ETag", f'"{model_id}"')
            # Rasa names the downloaded archive after this header: GET /status then shows the id as model_file.
            self.send_header("filename", f"{model_id}.tar.gz")
            self.end_headers()
            shutil.copyfileobj(archive, self.wfile)

    def _plain(self, status: int, text: str, content_type: str = "text/plain") -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # Only what is worth a line: every pull that sent a model, and errors.
        if args and str(args[1]) not in ("304",):
            sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent, help="project root")
    parser.add_argument("--registry", type=Path, help="registry directory (default: <root>/models/registry)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    token = os.environ.get("MODEL_SERVER_TOKEN", "")
    if not token:
        print("MODEL_SERVER_TOKEN is not set: the model server refuses to start without it.", file=sys.stderr)
        return 1
    server = ModelServer((args.host, args.port), Registry(args.root, args.registry), token)
    print(f"Serving the model in service at {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
