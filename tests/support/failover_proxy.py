"""A small reverse proxy in front of several backend processes, for the tests of filing once (issue 16).

It does what a reverse proxy configured to fail over does (nginx ``proxy_next_upstream error``): a request goes to
the first upstream that accepts the connection. ``drop_next()`` makes it stand in for a backend that dies after
storing a request and before answering: the next request is forwarded and answered by the upstream (so it is
stored), then ``on_drop`` runs (the test kills that backend) and the client's connection is closed without an
answer. Standard library only: it runs in both environments.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
# The ports the tests of this helper may use (the machine's share for them).
PORTS = range(7200, 7300)


def port_in_range(ports: range = PORTS) -> int:
    """A free TCP port on 127.0.0.1 from ``ports``."""
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}–{ports.stop - 1}")


class FailoverProxy:
    """``with FailoverProxy(port, [url_a, url_b]) as proxy:`` — ``proxy.url`` is what the client uses."""

    def __init__(self, port: int, upstreams: list[str]) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.upstreams = [urlsplit(u) for u in upstreams]
        self.served: list[tuple[str, str, int]] = []  # (method, upstream netloc, status) of every forwarded request
        self.dropped = 0
        self._drops = 0
        self._on_drop: Callable[[], None] | None = None
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                answer = proxy.forward(self.command, self.path, body, headers)
                if answer is None:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, reply_headers, data = answer
                if proxy.take_drop():
                    self.close_connection = True  # the backend died before its answer left
                    return
                self.send_response(status)
                for name, value in reply_headers:
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def drop_next(self, on_drop: Callable[[], None]) -> None:
        """The next request is stored by its upstream, then ``on_drop`` runs and the client gets no answer."""
        with self._lock:
            self._drops, self._on_drop = 1, on_drop

    def take_drop(self) -> bool:
        with self._lock:
            if not self._drops:
                return False
            self._drops -= 1
            self.dropped += 1
            on_drop = self._on_drop
        if on_drop is not None:
            on_drop()
        return True

    def forward(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The answer of the first upstream that takes the connection; None when none does."""
        for upstream in self.upstreams:
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except ConnectionRefusedError:
                continue  # this upstream is down: the next one (proxy_next_upstream error)
            finally:
                connection.close()
            with self._lock:
                self.served.append((method, upstream.netloc, response.status))
            return response.status, response.getheaders(), data
        return None

    def __enter__(self) -> FailoverProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
