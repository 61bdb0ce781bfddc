"""A TCP server that accepts connections and never answers (a hung backend), or answers every request with 503.

Standard library only, usable from both environments. It records the client port of every connection it
accepted, so a test can tell how many connections a client made without measuring time.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

from tests.support.processes import wait_until


class HungServer:
    """Listens on 127.0.0.1; ``answer_503`` makes it a failing backend instead of a hung one."""

    def __init__(self, answer_503: bool = False) -> None:
        self.answer_503 = answer_503
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted: list[int] = []  # client ports, in the order the connections were accepted
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.sock.close()
        with self._lock:
            for conn in self._held:
                conn.close()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self.accepted)

    def _serve(self) -> None:
        while True:
            try:
                conn, (_, port) = self.sock.accept()
            except OSError:  # closed
                return
            with self._lock:
                self.accepted.append(port)
                self._held.append(conn)
            if self.answer_503:
                threading.Thread(target=self._fail, args=(conn,), daemon=True).start()

    @staticmethod
    def _fail(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            body = b'{"error":{"code":"UNAVAILABLE","message":"","details":{}}}'
            conn.sendall(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
        except OSError:
            pass
        finally:
            conn.close()

    def connections_before_probe(self) -> int:
        """Connects once itself and returns how many connections were accepted before that one.

        Connections are accepted in the order they arrive, so every connection a client made before this call
        is counted, however late the server thread gets to it."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as probe:
            probe_port = int(probe.getsockname()[1])
            wait_until(lambda: probe_port in self.accepted, 10, "the probe connection to be accepted")
            with self._lock:
                before = self.accepted.index(probe_port)
                self.accepted.remove(probe_port)
            return before
