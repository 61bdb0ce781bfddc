"""Issue 9, "Close the doors": each finding replayed as the attack someone on the same network would try.

One stack for the module, started from ``bot.runner.services`` as ``make up`` starts it, with production
settings (own backend tokens, no demo flag, shared secrets, Rasa's HTTP API behind a token). Every test
attacks, checks what the attacker sees, and then checks that the legitimate path still works. The tests that
stop or restart the action server come last.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import runner
from tests.security.harness import (
    ADMIN_TOKEN,
    HUAPICHANG,
    JIANGCHENG,
    JIAOYI,
    LAOWANG,
    OBJECTION_REASON,
    QIHANG,
    SECRETS,
    SIX_DIGITS,
    STAFF_TOKEN,
    HungServer,
    Stack,
    error_of,
    forged_jwt,
    has_chinese,
    listening,
    listening_on,
    raw_connection,
    read_http_response,
    texts,
    unsigned_jwt,
)
from tests.support.processes import Process, free_port, wait_until

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MY_APPLICATIONS = "查一下我的申请"
TOO_LONG_HINT = "1000"  # the answer to an over-long message names the limit


def _refused(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The attacker's view of a refusal: the status, a JSON error and, where a user may read it, Chinese."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:300]}"
    error = error_of(resp)
    if code is not None:
        assert error.get("code") == code, error
    return error


# -- 1. anyone could act as any verified business --------------------------------------------------------


def test_01_rest_channel_refuses_channel_senders_and_the_signed_channel_works(
    stack: Stack, victim: dict[str, Any]
) -> None:
    number = victim["application"]["application_no"]

    # The attack: claim to be the bound Telegram user (or any owned namespace) on the open REST channel.
    for claimed in (victim["sender"], "TG:" + victim["user"], " tg:" + victim["user"], "web:abc", "wx:1", "staff:1"):
        for message in (MY_APPLICATIONS, f"我要对{JIANGCHENG}的处罚记录提异议"):
            resp = stack.rest(claimed, message)
            error = _refused(resp, 403, "NAMESPACE_OWNED")
            assert has_chinese(error["message"]), error
            assert number not in resp.text

    # Forged signatures on the trusted channel: another secret, an old (replayed) timestamp, a tampered body,
    # a channel that has no secret, no signature at all.
    attempts = [
        stack.trusted("tg", victim["user"], MY_APPLICATIONS, secret="guessed-secret"),
        stack.trusted("tg", victim["user"], MY_APPLICATIONS, timestamp=int(time.time()) - 3600),
        stack.trusted("tg", victim["user"], MY_APPLICATIONS, tamper=True),
        stack.trusted("dev", victim["user"], MY_APPLICATIONS, secret=SECRETS["ASSISTANT_CHANNEL_SECRET_TG"]),
    ]
    with stack.rasa() as client:
        attempts.append(
            client.post("/webhooks/trusted/webhook", json={"user": victim["user"], "message": MY_APPLICATIONS})
        )
        attempts.append(
            client.post(
                "/webhooks/trusted/webhook",
                json={"user": victim["user"], "message": MY_APPLICATIONS},
                headers={"X-Channel": "tg", "X-Timestamp": str(int(time.time())), "X-Signature": "0" * 64},
            )
        )
    for resp in attempts:
        error = _refused(resp, 401, "BAD_SIGNATURE")
        assert has_chinese(error["message"]), error
        assert number not in resp.text

    # The web chat: a token the attacker signed, an unsigned token, a claimed sender in the body.
    for token in (
        forged_jwt({"sub": victim["sender"], "aud": "credit-assistant-web", "iat": 0, "exp": 4102444800}, "x"),
        unsigned_jwt({"sub": victim["sender"], "aud": "credit-assistant-web", "iat": 0, "exp": 4102444800}),
        "not.a.token",
    ):
        resp = stack.web(token, MY_APPLICATIONS)
        error = _refused(resp, 401, "BAD_SESSION")
        assert "重新开始" in error["message"], error  # the web page starts a new session
    session = stack.web_session()
    assert session["sender"].startswith("web:")
    resp = stack.web(session["token"], MY_APPLICATIONS, extra={"sender": victim["sender"]})
    answer = texts(resp)
    assert {m["recipient_id"] for m in resp.json()} == {session["sender"]}
    assert number not in answer and "没有查到您提交过的申请" in answer

    # Nothing was filed in the victim's name.
    with stack.api() as api:
        filed = api.get("/applications", params={"sender_id": victim["sender"]}).json()["items"]
    assert [a["application_no"] for a in filed] == [number]

    # The legitimate path: the Telegram bridge, signed with the channel's secret, speaks as the bound user.
    answer = texts(stack.trusted("tg", victim["user"], MY_APPLICATIONS))
    assert number in answer, answer


# -- 2. the Rasa HTTP API was open ----------------------------------------------------------------------------


def test_02_rasa_http_api_needs_its_token(stack: Stack, victim: dict[str, Any]) -> None:
    sender = victim["sender"]
    probes = [
        ("GET", f"/conversations/{sender}/tracker", None),
        ("POST", f"/conversations/{sender}/tracker/events", [{"event": "slot", "name": "uscc", "value": JIANGCHENG}]),
        ("PUT", f"/conversations/{sender}/tracker/events", []),
        ("POST", f"/conversations/{sender}/execute", {"name": "action_check_application"}),
        ("POST", f"/conversations/{sender}/trigger_intent", {"name": "check_application"}),
        ("POST", f"/conversations/{sender}/messages", {"text": MY_APPLICATIONS, "sender": "user"}),
        ("PUT", "/model", {"model_file": "/tmp/attacker.tar.gz"}),
        ("DELETE", "/model", None),
        ("GET", "/status", None),
        ("GET", "/domain", None),
    ]
    with stack.rasa() as client:
        for method, path, body in probes:
            for params in ({}, {"token": "guessed-token"}):
                resp = client.request(method, path, json=body, params=params)
                assert resp.status_code == 401, f"{method} {path} {params}: {resp.status_code} {resp.text[:200]}"
                assert victim["application"]["application_no"] not in resp.text
        # The operator, with the token, still reads the conversation.
        resp = client.get(f"/conversations/{sender}/tracker", params={"token": SECRETS["RASA_API_TOKEN"]})
        assert resp.status_code == 200, resp.text
        assert resp.json()["sender_id"] == sender

    # And as `make up` runs it by default (no RASA_API_TOKEN), the API is not enabled at all.
    env = {k: v for k, v in stack.env.items() if k != "RASA_API_TOKEN"}
    rasa = {s.name: s for s in runner.services(env)}["rasa"].command
    assert "--enable-api" not in rasa and "--auth-token" not in rasa, rasa


# -- 3. the action server ran any action for anyone ------------------------------------------------------------


def _forged_action_call(sender: str) -> dict[str, Any]:
    """What Rasa sends the action server, with a tracker the attacker wrote for the bound sender."""
    return {
        "next_action": "action_check_application",
        "sender_id": sender,
        "version": "3.6.2",
        "domain": {"slots": {}, "responses": {}, "forms": {}, "intents": [], "entities": [], "actions": []},
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {"text": MY_APPLICATIONS, "intent": {"name": "check_application"}, "entities": []},
            "latest_event_time": time.time(),
            "followup_action": None,
            "paused": False,
            "events": [],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
    }


def test_03_action_server_needs_the_shared_secret(stack: Stack, victim: dict[str, Any]) -> None:
    number = victim["application"]["application_no"]
    call = _forged_action_call(victim["sender"])
    with httpx.Client(base_url=stack.actions_url, timeout=60) as client:
        for headers in ({}, {"Authorization": "Bearer guessed"}, {"Authorization": SECRETS["ACTION_SERVER_TOKEN"]}):
            resp = client.post("/webhook", json=call, headers=headers)
            assert resp.status_code == 401, f"{headers}: {resp.status_code} {resp.text[:200]}"
            assert number not in resp.text
            assert client.get("/actions", headers=headers).status_code == 401
        # The health check stays open (make up and load balancers use it).
        assert client.get("/health").status_code == 200
        # Rasa holds the token: the same call with it is served (the legitimate path).
        resp = client.post("/webhook", json=call, headers={"Authorization": f"Bearer {SECRETS['ACTION_SERVER_TOKEN']}"})
        assert resp.status_code == 200, resp.text
        assert number in json.dumps(resp.json(), ensure_ascii=False)


def test_03_action_server_does_not_start_without_its_token(stack: Stack, tmp_path: Path) -> None:
    env = {k: v for k, v in stack.env.items() if k != "ACTION_SERVER_TOKEN"}
    env["ACTIONS_PORT"] = str(free_port())
    actions = stack.services(env)["actions"]
    proc = Process("actions-no-token", actions.command, env, tmp_path).start()
    assert proc.proc is not None
    wait_until(lambda: proc.proc.poll() is not None, 120, "the action server to refuse to start")
    assert proc.proc.returncode != 0 and "ACTION_SERVER_TOKEN" in proc.log(), proc.log()[-2000:]


def test_03_services_listen_on_loopback_only(stack: Stack) -> None:
    ports = {"rasa": stack.env["RASA_PORT"], "actions": stack.env["ACTIONS_PORT"], "backend": stack.env["BACKEND_PORT"]}
    for name, port in ports.items():
        process = stack.processes[name]
        assert process.proc is not None
        sockets = listening(process.proc.pid)
        assert (("127.0.0.1", int(port))) in sockets, (name, sockets)
        assert {host for host, _ in sockets} == {"127.0.0.1"}, (name, sockets)
    # Redis, which holds every conversation, is on loopback too.
    redis_hosts = listening_on(int(stack.env["RASA_REDIS_PORT"]))
    assert redis_hosts and redis_hosts <= {"127.0.0.1", "::1"}, redis_hosts
    # Nothing answers on this machine's other addresses.
    for address in _other_addresses():
        for port in ports.values():
            with pytest.raises(OSError):
                socket.create_connection((address, int(port)), timeout=2).close()


def _other_addresses() -> list[str]:
    """This host's non-loopback IPv4 addresses (from /proc/net/fib_trie's local host routes)."""
    found: set[str] = set()
    lines = Path("/proc/net/fib_trie").read_text().splitlines()
    for previous, line in itertools.pairwise(lines):
        if "/32 host LOCAL" in line:
            address = previous.split()[-1]
            if not address.startswith("127."):
                found.add(address)
    return sorted(found)


# -- 4. one long message froze a worker -------------------------------------------------------------------


def test_04_long_message_answered_politely_and_others_still_served(stack: Stack) -> None:
    huge = "我要查询企业信用" * 12_800  # 102,400 characters
    token = stack.web_session()["token"]
    # The attack and the other users' messages arrive together, on every channel, on both workers.
    with ThreadPoolExecutor(7) as pool:
        attacks = [
            pool.submit(stack.rest, f"dev:long-{uuid.uuid4().hex[:6]}", huge, 60),
            pool.submit(lambda: stack.web(token, huge, timeout=60)),
            pool.submit(lambda: stack.trusted("tg", "930004", huge, timeout=60)),
            pool.submit(stack.rest, f"dev:long-{uuid.uuid4().hex[:6]}", huge, 60),
        ]
        others = [
            pool.submit(stack.rest, f"dev:next-{i}-{uuid.uuid4().hex[:6]}", f"帮我查一下{JIANGCHENG}", 60)
            for i in range(3)
        ]
        for attack in attacks:
            answer = texts(attack.result())
            assert TOO_LONG_HINT in answer and "分成几条" in answer, answer
        for other in others:
            answer = texts(other.result())
            assert "江城建材" in answer, answer
    # A message at the limit still reaches the assistant.
    answer = texts(stack.rest(f"dev:edge-{uuid.uuid4().hex[:6]}", "你好" + "。" * 998, timeout=60))
    assert TOO_LONG_HINT not in answer, answer


# -- 5. the one-time code could be guessed by rotating sender ids ------------------------------------------------


def test_05_otp_limits_hold_across_rotating_senders(stack: Stack) -> None:
    sent_before = len(stack.sms(QIHANG))
    # Codes sent: every new web session is a new sender, each asks for a code to the victim's phone.
    answers: list[str] = []
    sessions: list[dict[str, Any]] = []
    for _ in range(6):
        session = stack.web_session()
        sessions.append(session)
        answers.append(texts(stack.web(session["token"], f"绑定统一社会信用代码{QIHANG}")))
    sent = len(stack.sms(QIHANG)) - sent_before
    assert 1 <= sent <= 3, (sent, answers)  # codes per entity per hour: 3 by default
    assert "139****0003" in answers[0], answers[0]  # the first asker was told where the code went
    assert "达到上限" in answers[-1] and "北京时间" in answers[-1], answers[-1]

    # Guessing: rotating senders each start a challenge over the API… (the limit above already holds them off)
    with stack.api() as api:
        resp = api.post("/bindings/start", json={"sender_id": f"dev:rotor-{uuid.uuid4().hex[:8]}", "uscc": QIHANG})
        error = _refused(resp, 429, "OTP_RATE_LIMITED")
        assert "达到上限" in error["message"]
        # …and the senders that did get a code guess until the per-entity wrong-code limit stops them.
        holders = [s["sender"] for s in sessions[:sent]]
        statuses: list[int] = []
        guesses = 0
        for sender in holders:
            for guess in range(5):
                resp = api.post("/bindings/verify", json={"sender_id": sender, "uscc": QIHANG, "code": f"{guess:06d}"})
                statuses.append(resp.status_code)
                if resp.status_code == 429:
                    break
                guesses += 1
            if statuses[-1] == 429:
                break
        if sent * 5 > 10:  # enough challenges to reach 10 wrong codes a day for the entity
            assert statuses[-1] == 429, statuses
            error = error_of(resp)
            assert error["code"] == "OTP_RATE_LIMITED" and "暂停验证码认证" in error["message"], error
            assert guesses <= 10, statuses
            # Even the right code is not checked any more: a lucky guess after the limit binds nothing.
            right = stack.latest_code(QIHANG)
            resp = api.post("/bindings/verify", json={"sender_id": holders[-1], "uscc": QIHANG, "code": right})
            _refused(resp, 429, "OTP_RATE_LIMITED")
            assert api.get("/bindings", params={"sender_id": holders[-1]}).json()["items"] == []
    # No more codes were texted to the victim than the limit allows.
    assert len(stack.sms(QIHANG)) - sent_before == sent
    # Staff can see it: the entity is listed as held back, and the audit log records every refusal.
    with stack.api(STAFF_TOKEN) as staff:
        throttles = staff.get("/bindings/throttles").json()["items"]
    assert {(t["scope"], t["key"]) for t in throttles} >= {("entity", QIHANG)}, throttles
    with stack.api() as api:
        _refused(api.get("/bindings/throttles"), 403)
    with stack.api(ADMIN_TOKEN) as admin:
        audit = admin.get("/audit", params={"limit": 1000}).json()["items"]
    assert any(a["action"] == "binding_rate_limited" and a["target"] == QIHANG for a in audit)


# -- 6. anyone could read any application by its number ------------------------------------------------------------


def test_06_application_only_told_to_its_filer(stack: Stack, victim: dict[str, Any]) -> None:
    number = victim["application"]["application_no"]
    missing = number[:-4] + "9999"
    with stack.api() as api:
        stranger = api.get(f"/applications/{number}", params={"sender_id": "dev:stranger"})
        nonexistent = api.get(f"/applications/{missing}", params={"sender_id": "dev:stranger"})
        error = _refused(stranger, 404)
        assert error["code"] == error_of(nonexistent)["code"] == "APPLICATION_NOT_FOUND"
        assert "江城建材" not in stranger.text
        # Without saying who asks, the assistant token learns nothing either.
        assert api.get(f"/applications/{number}").status_code in (400, 404)
        assert api.get("/applications").status_code == 400
        assert api.get("/applications", params={"sender_id": "dev:stranger"}).json()["items"] == []
        # The filer (and staff) still get it.
        mine = api.get(f"/applications/{number}", params={"sender_id": victim["sender"]})
        assert mine.status_code == 200 and mine.json()["application_no"] == number
    with stack.api(STAFF_TOKEN) as staff:
        assert staff.get(f"/applications/{number}").status_code == 200
    # Through the assistant: a stranger asking for the number is told nothing about it.
    answer = texts(stack.rest("dev:stranger", f"{number} 进度"))
    assert "江城建材" not in answer and "核查" not in answer, answer


# -- 7. the open-application check raced ------------------------------------------------------------------------


def _objectable(stack: Stack, uscc: str) -> dict[str, Any]:
    for record in stack.records(uscc):
        if record["status"] != "revoked" and not record["under_objection"]:
            return record
    raise AssertionError(f"{uscc} has no objectable record")


def test_07_one_open_objection_per_record_under_parallel_submissions(stack: Stack) -> None:
    sender = "dev:racer"
    stack.bind(sender, LAOWANG)
    record = _objectable(stack, LAOWANG)
    body = {"sender_id": sender, "uscc": LAOWANG, "record_id": record["id"], "reason": OBJECTION_REASON}

    def submit(key: str) -> httpx.Response:
        with stack.api() as api:
            return api.post("/applications/objections", json=body, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(submit, [uuid.uuid4().hex for _ in range(10)]))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9, [(r.status_code, r.text[:200]) for r in responses]
    for resp in responses:
        if resp.status_code == 409:
            error = error_of(resp)
            assert error["code"] == "DUPLICATE_APPLICATION" and has_chinese(error["message"]), error
    [created] = [r.json()["application_no"] for r in responses if r.status_code == 201]
    with stack.api() as api:
        mine = api.get("/applications", params={"sender_id": sender}).json()["items"]
    assert [a["application_no"] for a in mine if a["kind"] == "objection"] == [created]


def test_07_same_key_retries_get_the_first_answer(stack: Stack) -> None:
    sender = "dev:retrier"
    stack.bind(sender, HUAPICHANG)
    record = _objectable(stack, HUAPICHANG)
    body = {"sender_id": sender, "uscc": HUAPICHANG, "record_id": record["id"], "reason": OBJECTION_REASON}
    key = uuid.uuid4().hex

    def submit(_: int) -> httpx.Response:
        with stack.api() as api:
            return api.post("/applications/objections", json=body, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(submit, range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 9 + [201], [(r.status_code, r.text[:200]) for r in responses]
    numbers = {r.json()["application_no"] for r in responses}
    assert len(numbers) == 1, numbers
    with stack.api() as api:
        mine = [a for a in api.get("/applications", params={"sender_id": sender}).json()["items"]]
    assert [a["application_no"] for a in mine] == list(numbers)


# -- 9. 500s with a plain-text body ---------------------------------------------------------------------------


def test_09_malformed_requests_get_json_4xx(stack: Stack) -> None:
    huge = str(2**70)
    record = stack.records(JIANGCHENG)[0]
    with stack.api(STAFF_TOKEN) as api:
        probes = [
            api.get(f"/records/{record['id']}/repair-eligibility", params={"on": "1900-01-01"}),
            api.get(f"/records/{huge}/repair-eligibility"),
            api.get(f"/records/{huge}/repair-eligibility", params={"on": "2026-11-26"}),
            api.get("/notifications", params={"channel": "tg", "after_id": huge}),
            api.get("/notifications", params={"channel": "tg", "limit": huge}),
            api.post(f"/notifications/{huge}/delivered"),
            api.get("/entities", params={"q": "江城", "limit": huge}),
            api.get("/audit", params={"limit": huge}),
            api.get(f"/applications/YY-20261126-{huge}"),
            api.post(
                "/applications/objections",
                content=b"[1, 2]",
                headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
            ),
            api.post("/bindings/start", content=b"not json", headers={"Content-Type": "application/json"}),
            # A JSON body far beyond any real request (the summary field alone would be 2 MB).
            api.post("/handoffs", json={"sender_id": "dev:big", "summary": "长" * (2 << 20)}),
        ]
    for resp in probes:
        assert 400 <= resp.status_code < 500, f"{resp.request.url}: {resp.status_code} {resp.text[:300]}"
        error = error_of(resp)
        assert error.get("code") and has_chinese(error.get("message", "")), (resp.request.url, error)
    early = error_of(probes[0])
    assert probes[0].status_code == 400 and has_chinese(early["message"]), early

    # The channels: a body that is not a JSON object.
    with stack.rasa() as client:
        for path in ("/webhooks/rest/webhook", "/webhooks/trusted/webhook", "/webhooks/web/webhook"):
            for content in (b"[1, 2]", b'"text"', b"{", b"null"):
                resp = client.post(path, content=content, headers={"Content-Type": "application/json"})
                assert 400 <= resp.status_code < 500, (path, content, resp.status_code, resp.text[:200])
                assert has_chinese(error_of(resp)["message"]), (path, content, resp.text[:200])


# -- 10. uploads ------------------------------------------------------------------------------------------


def test_10_uploads_checked_by_size_bytes_and_name(stack: Stack, victim: dict[str, Any]) -> None:
    number = victim["application"]["application_no"]
    sender = victim["sender"]
    attachments_dir = Path(stack.env["CREDIT_ATTACHMENTS_DIR"])

    def upload(name: str, data: bytes, content_type: str) -> httpx.Response:
        with stack.api() as api:
            return api.post(
                f"/applications/{number}/attachments",
                data={"sender_id": sender},
                files={"file": (name, data, content_type)},
            )

    # HTML declared as a PDF (and as a JPEG) is refused: the type comes from the bytes.
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    for name, content_type in (("证明.pdf", "application/pdf"), ("photo.jpg", "image/jpeg")):
        resp = upload(name, html, content_type)
        assert resp.status_code in (400, 415), resp.text
        error = error_of(resp)
        assert error["code"] == "ATTACHMENT_TYPE" and has_chinese(error["message"]), error

    # A name that climbs out of the attachments directory is stored as a plain name.
    resp = upload("../../x.pdf", PDF, "application/pdf")
    assert resp.status_code == 201, resp.text
    stored = resp.json()["filename"]
    assert "/" not in stored and "\\" not in stored and ".." not in stored, stored
    assert not (attachments_dir.parent / "x.pdf").exists() and not (attachments_dir.parent.parent / "x.pdf").exists()

    # Over the size limit: refused before the body is read whole. The request announces 1 GiB and sends
    # 12 MiB; the answer comes while the rest has never been sent.
    port = int(stack.env["BACKEND_PORT"])
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="sender_id"\r\n\r\n{sender}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + PDF
    request = (
        f"POST /api/v1/applications/{number}/attachments HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {stack.env['CREDIT_TOKENS_ASSISTANT']}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {1 << 30}\r\n\r\n"
    ).encode() + head
    with raw_connection(port, timeout=30) as sock:
        sock.sendall(request)
        chunk = b"0" * (1 << 20)
        try:
            for _ in range(12):
                sock.sendall(chunk)
        except OSError:
            pass  # the server stopped reading: it has answered already
        status, headers, body = read_http_response(sock)
    assert status == 413, (status, body[:300])
    assert headers.get("content-type", "").startswith("application/json"), (headers, body[:300])
    error = json.loads(body)["error"]
    assert error["code"] == "FILE_TOO_LARGE" and has_chinese(error["message"]), error

    # The legitimate upload still works, under its own name.
    resp = upload("缴款凭证.pdf", PDF, "application/pdf")
    assert resp.status_code == 201 and resp.json()["filename"] == "缴款凭证.pdf", resp.text
    with stack.api() as api:
        names = [
            a["filename"]
            for a in api.get(f"/applications/{number}", params={"sender_id": sender}).json()["attachments"]
        ]
    assert names == [stored, "缴款凭证.pdf"], names
    # Nothing was written outside the attachments directory.
    written = [p for p in Path(stack.tmp).rglob("*") if p.is_file() and p.suffix == ".pdf"]
    assert all(attachments_dir in p.parents for p in written), written


# -- 11. OTP notifications, dev tokens, the shared default conversation ----------------------------------------------


def test_11_assistant_token_cannot_touch_one_time_codes(stack: Stack, victim: dict[str, Any]) -> None:
    otp = stack.sms(JIANGCHENG)[-1]
    with stack.api() as api:
        _refused(api.get("/notifications", params={"channel": "sms"}), 403)
        _refused(api.post(f"/notifications/{otp['id']}/delivered"), 403)
        assert api.get("/notifications", params={"channel": "tg"}).status_code == 200
    with stack.api(STAFF_TOKEN) as staff:
        pending = staff.get("/notifications", params={"channel": "sms", "limit": 200}).json()["items"]
        assert otp["id"] in [n["id"] for n in pending]  # still waiting for the SMS gateway
        resp = staff.post(f"/notifications/{otp['id']}/delivered")
        assert resp.status_code == 200, resp.text


def test_11_backend_refuses_dev_tokens_without_demo_flag(stack: Stack, tmp_path: Path) -> None:
    backend = {s.name: s for s in runner.services(stack.env)}["backend"]
    base = {k: v for k, v in stack.env.items() if not k.startswith("CREDIT_TOKENS_") and k != "CREDIT_DEMO"}
    for tokens in ({}, {"CREDIT_TOKENS_STAFF": "dev-staff-token"}):
        port = str(free_port())
        command = [*backend.command[:-1], port]
        proc = Process("backend-dev", command, {**base, **tokens}, tmp_path).start()
        assert proc.proc is not None
        wait_until(lambda p=proc: p.proc.poll() is not None, 60, "the backend to refuse to start")
        assert proc.proc.returncode != 0
        assert "dev-" in proc.log() and "CREDIT_DEMO" in proc.log(), proc.log()[-2000:]
    # `make up`/`make demo` set CREDIT_DEMO=1: the same tokens then start the demo.
    port = str(free_port())
    demo = Process("backend-demo", [*backend.command[:-1], port], {**base, "CREDIT_DEMO": "1"}, tmp_path).start()
    try:
        demo.wait_healthy(f"http://127.0.0.1:{port}/healthz", 60)
    finally:
        demo.stop()


def test_11_rest_channel_has_no_shared_default_conversation(stack: Stack) -> None:
    for body in ({"message": "你好"}, {"sender": "", "message": "你好"}, {"sender": "  ", "message": "你好"}):
        with stack.rasa() as client:
            resp = client.post("/webhooks/rest/webhook", json=body)
        error = _refused(resp, 400)
        assert has_chinese(error["message"]), error
    assert texts(stack.rest("cli:张三", "你好"))


# -- 12. OpenAPI documented 422 ------------------------------------------------------------------------------


def test_12_openapi_lists_the_real_errors(stack: Stack) -> None:
    with httpx.Client(base_url=stack.backend_url, timeout=30) as client:
        schema = client.get("/openapi.json").json()
    documented: dict[str, set[str]] = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation.get("responses", {}))
            assert "422" not in codes, f"{method.upper()} {path} documents 422"
            documented[f"{method.upper()} {path}"] = codes
    assert {"400", "401", "403", "404", "409"} <= documented["POST /api/v1/applications/objections"]
    assert {"400", "401", "429"} <= documented["POST /api/v1/bindings/start"]
    assert {"400", "401", "403", "404", "413"} <= documented["POST /api/v1/applications/{application_no}/attachments"]
    assert "500" in documented["GET /api/v1/entities/{uscc}"]
    assert "401" in documented["GET /api/v1/applications/{application_no}"]


# -- 13. conversations kept one-time codes ----------------------------------------------------------------------


def test_13_typed_code_not_stored_in_redis(stack: Stack) -> None:
    user = "930013"
    sender = f"tg:{user}"
    answer = texts(stack.trusted("tg", user, f"绑定统一社会信用代码{JIAOYI}"))
    assert "139****0005" in answer, answer
    code = stack.latest_code(JIAOYI)
    answer = texts(stack.trusted("tg", user, code))
    assert "身份验证成功" in answer, answer  # the turn itself saw the real code
    with stack.api() as api:
        assert [b["uscc"] for b in api.get("/bindings", params={"sender_id": sender}).json()["items"]] == [JIAOYI]

    r = stack.redis()
    stored = b""
    for key in r.scan_iter(match=f"*{sender}*"):
        kind = r.type(key)
        if kind == b"list":
            stored += b"\n".join(r.lrange(key, 0, -1))
        elif kind == b"string":
            stored += r.get(key) or b""
    assert stored, "the conversation is not in Redis db 7"
    assert code.encode() not in stored
    user_texts = [
        json.loads(e).get("text") or "" for e in r.lrange(f"credit:events:{sender}", 0, -1) if b'"event":"user"' in e
    ]
    assert len(user_texts) >= 2 and not [t for t in user_texts if SIX_DIGITS.search(t.encode())], user_texts
    # Nor through the API (operator's token): the stored tracker has the code masked.
    with stack.rasa() as client:
        tracker = client.get(f"/conversations/{sender}/tracker", params={"token": SECRETS["RASA_API_TOKEN"]})
    assert tracker.status_code == 200 and code not in tracker.text


# -- 8. a hung backend stalled everyone; with the action server down the reply was empty (these restart actions) --


def test_08_action_server_down_still_answers_politely(stack: Stack) -> None:
    stack.stop_service("actions")
    try:
        answer = texts(stack.rest("dev:down", f"帮我查一下{JIANGCHENG}"))
        assert answer.strip() and "稍后再试" in answer, answer
        answer = texts(stack.trusted("tg", "930008", f"帮我查一下{JIANGCHENG}"))
        assert answer.strip() and "稍后再试" in answer, answer
    finally:
        stack.start_service("actions")
    answer = texts(stack.rest("dev:down", f"帮我查一下{JIANGCHENG}"))
    assert "江城建材" in answer, answer


def test_08_hung_backend_opens_the_circuit_breaker(stack: Stack) -> None:
    hung = HungServer().start()
    stack.stop_service("actions")
    try:
        stack.start_service("actions", {**stack.env, "CREDIT_BACKEND_URL": hung.url})
        seen: list[int] = []
        for i in range(6):
            answer = texts(stack.rest(f"dev:hung-{i}", f"帮我查一下{JIANGCHENG}"))
            assert "稍后再试" in answer and "江城建材" not in answer, answer
            seen.append(hung.connections)
        # Three calls waited for the stuck backend; then the breaker opened and no call reached it.
        assert seen[-1] <= 3 and seen[-1] == seen[-3], seen
    finally:
        stack.stop_service("actions")
        hung.stop()
        stack.start_service("actions")
    answer = texts(stack.rest("dev:after-hung", f"帮我查一下{JIANGCHENG}"))
    assert "江城建材" in answer, answer
