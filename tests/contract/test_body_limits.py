"""Body limits on the wire, against the real backend: refused by Content-Length before the body is sent,
and refused mid-stream when a chunked body passes the limit, both with the JSON error format."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

from tests.contract.conftest import TOKENS

BOUNDARY = "contractboundary"
UPLOAD_PATH = "/api/v1/applications/XX-20261126-0001/attachments"


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=20)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body[:length]


def _head(path: str, extra: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: backend\r\nAuthorization: Bearer {TOKENS['assistant']}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{extra}\r\n"
    ).encode()


def _part_start() -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="sender_id"\r\n\r\ntg:1\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n"
    ).encode("latin-1")


def test_a_declared_oversize_upload_is_refused_before_its_body_is_sent(backend):
    with _connect(backend.url) as sock:
        sock.sendall(_head(UPLOAD_PATH, "Content-Length: 524288000\r\n"))  # 500 MB announced, none sent
        status, headers, body = _read_response(sock)
    assert status == 413
    error = json.loads(body)["error"]
    assert error["code"] == "FILE_TOO_LARGE" and "不能超过10MB" in error["message"]
    assert headers["content-type"] == "application/json"


def test_a_chunked_upload_is_cut_off_once_it_passes_the_limit(backend):
    chunk = b"\x00" * (256 * 1024)
    sent = 0
    with _connect(backend.url) as sock:
        sock.sendall(_head(UPLOAD_PATH, "Transfer-Encoding: chunked\r\n"))
        first = _part_start()
        sock.sendall(b"%x\r\n%s\r\n" % (len(first), first))
        sock.settimeout(0.05)
        answer = b""
        # Keep streaming (up to 200 MB) until the server answers: it stops reading just past 10 MB, so
        # the answer comes once that and what the socket buffers hold (a few MB) are sent.
        while sent < 200 * 1024 * 1024:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            except OSError:
                break  # the server closed the connection after answering
            try:
                answer = sock.recv(65536)
                if answer:
                    break
            except TimeoutError:
                continue
        sock.settimeout(20)
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 40 * 1024 * 1024, f"{sent} bytes were sent before the server answered"
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"] == "FILE_TOO_LARGE"


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def test_a_declared_oversize_json_body_is_refused_at_once(backend):
    with _connect(backend.url) as sock:
        sock.sendall(
            (
                f"POST /api/v1/handoffs HTTP/1.1\r\nHost: backend\r\nAuthorization: Bearer {TOKENS['assistant']}\r\n"
                "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
            ).encode()
        )
        status, _, body = _read_response(sock)
    assert status == 413
    assert json.loads(body)["error"]["code"] == "REQUEST_TOO_LARGE"
