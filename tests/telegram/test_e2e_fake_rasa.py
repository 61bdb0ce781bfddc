"""End to end without Rasa: the real bridge (``python -m bot.telegram``) between the fake Telegram Bot
API server and a scripted Rasa trusted channel (which checks the signature like the real one), with the
real backend, all over real HTTP.

Covers the bridge's own paths: commands, buttons (tokens, answers, edits), long answers, evidence
files, notifications (once, across a restart), Rasa being down or refusing the bridge's signature, and
Telegram's flood control.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from bot import evidence
from bot.telegram import texts
from bot.telegram.mapping import CALLBACK_DATA_LIMIT, MESSAGE_LIMIT, utf16_len
from tests.support.processes import free_port, wait_until
from tests.telegram.fake_bot_api import FakeBotAPI, User
from tests.telegram.harness import JIANGCHENG, Backend, Bridge, FakeRasa

LONG_PAYLOAD = '/inform{"uscc":"91220202MA0Y3K7Q6L","org_name":"吉林市江城建材有限公司","record_type":"行政处罚"}'
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))


def rasa_got(fake_rasa: FakeRasa, sender: str, message: str) -> dict:
    def find() -> dict | None:
        return next((r for r in fake_rasa.messages_from(sender) if r["message"] == message), None)

    return wait_until(find, 30, f"Rasa to receive {message!r} from {sender}")


def test_start_buttons_and_long_answers(bot_api: FakeBotAPI, fake_rasa: FakeRasa, bridge: Bridge) -> None:
    user = User(920001, first_name="建国", last_name="王")
    sender = "tg:920001"
    report_lines = [
        f"{i:03d}. 行政处罚：未按规定标注产品信息（吉市监处罚〔2026〕{i}号），罚款已缴清。" for i in range(200)
    ]
    fake_rasa.script.update(
        {
            "/greet": [
                {
                    "text": "您好！我是信用服务助手。",
                    "buttons": [
                        {"title": "查询信用状况", "payload": "/query_credit"},
                        {"title": "吉林市江城建材有限公司（91220202MA0Y3K7Q6L）", "payload": LONG_PAYLOAD},
                    ],
                }
            ],
            LONG_PAYLOAD: [{"text": "\n".join(report_lines)}],
            # Nothing the bridge can show (an empty list is kept for a claimed hand-off): it confirms by itself.
            "/cancel": [{"custom": {"cancelled": True}}],
        }
    )

    bot_api.send_text(user, "/start")
    _, welcome = bot_api.wait_for_message(user.id, "您好！我是信用服务助手")
    greet = rasa_got(fake_rasa, sender, "/greet")
    assert greet["metadata"]["display_name"] == "建国 王"
    assert greet["metadata"]["language"] == "zh-hans"
    assert greet["metadata"]["telegram"]["chat_id"] == user.id
    assert any(c.params.get("action") == "typing" for c in bot_api.calls_of("sendChatAction", user.id))

    buttons = FakeBotAPI.buttons(welcome)
    assert [title for title, _ in buttons] == ["查询信用状况", "吉林市江城建材有限公司（91220202MA0Y3K7Q6L）"]
    assert all(0 < len(data.encode()) <= CALLBACK_DATA_LIMIT for _, data in buttons)
    assert LONG_PAYLOAD not in [data for _, data in buttons]

    press = bot_api.press(user, welcome, buttons[1][1])
    query_id = press["callback_query"]["id"]
    wait_until(lambda: bot_api.calls_of("answerCallbackQuery"), 30, "answerCallbackQuery")
    assert [c.params["callback_query_id"] for c in bot_api.calls_of("answerCallbackQuery")] == [query_id]
    [edit] = wait_until(lambda: bot_api.calls_of("editMessageText", user.id), 30, "the pressed message to be edited")
    assert edit.params["message_id"] == welcome["message_id"]
    assert edit.params["text"].endswith("您选择了：吉林市江城建材有限公司（91220202MA0Y3K7Q6L）")
    assert "reply_markup" not in edit.params  # the keyboard is gone, no double presses
    pressed = rasa_got(fake_rasa, sender, LONG_PAYLOAD)
    assert pressed["metadata"]["button_title"] == "吉林市江城建材有限公司（91220202MA0Y3K7Q6L）"

    first, _ = bot_api.wait_for_message(user.id, report_lines[0])
    last, _ = bot_api.wait_for_message(user.id, report_lines[-1])
    chunks = bot_api.sent_texts(user.id)[first : last + 1]
    assert len(chunks) > 1
    assert all(utf16_len(c) <= MESSAGE_LIMIT for c in chunks)
    assert "\n".join(chunks) == "\n".join(report_lines)

    bot_api.send_text(user, "/help")
    rasa_got(fake_rasa, sender, "/help")
    bot_api.send_text(user, "/cancel")
    rasa_got(fake_rasa, sender, "/cancel")
    bot_api.wait_for_message(user.id, texts.CANCELLED)


def test_stale_button_is_answered_too(bot_api: FakeBotAPI, fake_rasa: FakeRasa, bridge: Bridge) -> None:
    user = User(920002)
    bot_api.send_text(user, "在吗")
    _, reply = bot_api.wait_for_message(user.id, "收到：在吗")
    bot_api.press(user, reply, "not-a-token")
    [answer] = wait_until(lambda: bot_api.calls_of("answerCallbackQuery"), 30, "answerCallbackQuery")
    assert answer.params["text"] == texts.BUTTON_EXPIRED
    assert [r["message"] for r in fake_rasa.messages_from("tg:920002")] == ["在吗"]


def test_rasa_down_then_back(bot_api: FakeBotAPI, fake_rasa: FakeRasa, bridge: Bridge) -> None:
    user = User(920003)
    fake_rasa.available = False
    bot_api.send_text(user, "帮我查一下江城建材")
    bot_api.wait_for_message(user.id, texts.RASA_DOWN)
    assert len(fake_rasa.messages_from("tg:920003")) > 1  # retried with backoff before giving up
    fake_rasa.available = True
    bot_api.send_text(user, "你好")
    bot_api.wait_for_message(user.id, "收到：你好")
    assert bridge.alive()


def test_a_bridge_with_the_wrong_secret_is_refused(
    tmp_path: Path, bot_api: FakeBotAPI, fake_rasa: FakeRasa, backend: Backend
) -> None:
    impostor = Bridge(tmp_path, bot_api.base_url, bot_api.token, fake_rasa.url, backend.url, rasa_secret="guessed")
    impostor.start()
    try:
        user = User(920005)
        bot_api.send_text(user, "你好")
        bot_api.wait_for_message(user.id, texts.RASA_DOWN)
        assert fake_rasa.refused == 1
        assert fake_rasa.messages_from("tg:920005") == []  # and not retried: a 401 does not change by itself
    finally:
        impostor.stop()


def test_flood_control_is_respected(bot_api: FakeBotAPI, fake_rasa: FakeRasa, bridge: Bridge) -> None:
    user = User(920004)
    bot_api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    bot_api.send_text(user, "谢谢")
    bot_api.wait_for_message(user.id, "收到：谢谢")
    attempts = [c for c in bot_api.calls_of("sendMessage", user.id) if c.params["text"] == "收到：谢谢"]
    assert len(attempts) == 2  # refused once with retry_after, sent again by the rate limiter


def test_documents_and_photos_become_evidence(
    bot_api: FakeBotAPI, fake_rasa: FakeRasa, bridge: Bridge, backend: Backend
) -> None:
    user, stranger = User(920010), User(920011)
    backend.bind("tg:920010")
    objection = backend.file_objection("tg:920010")
    no = objection["application_no"]

    bot_api.send_document(user, "缴款凭证.pdf", "application/pdf", PDF, caption="罚款缴纳凭证")
    bot_api.wait_for_message(user.id, f"已作为异议申请 {no} 的附件保存")
    bot_api.send_photo(user, JPEG)
    bot_api.wait_for_message(user.id, "已收到证明材料“photo_")
    stored = backend.application(no)["attachments"]
    assert [(a["filename"], a["content_type"], a["sha256"]) for a in stored] == [
        ("缴款凭证.pdf", "application/pdf", hashlib.sha256(PDF).hexdigest()),
        (stored[1]["filename"], "image/jpeg", hashlib.sha256(JPEG).hexdigest()),
    ]

    bot_api.send_document(user, "情况说明.docx", "application/msword", b"PK\x03\x04")
    bot_api.wait_for_message(user.id, evidence.EVIDENCE_TYPE.format(filename="情况说明.docx"))
    big = bot_api.send_document(user, "扫描件.pdf", "application/pdf", PDF + b"0" * (10 * 1024 * 1024))
    bot_api.wait_for_message(user.id, "超过了10.0MB的上限")
    big_id = big["message"]["document"]["file_id"]
    assert big_id not in [c.params["file_id"] for c in bot_api.calls_of("getFile")]  # refused before download
    bot_api.send_document(user, "假的.pdf", "application/pdf", b"GIF89a not a pdf")
    bot_api.wait_for_message(user.id, evidence.EVIDENCE_TYPE.format(filename="假的.pdf"))
    assert len(backend.application(no)["attachments"]) == 2

    bot_api.send_photo(stranger, JPEG)
    bot_api.wait_for_message(stranger.id, evidence.EVIDENCE_NO_APPLICATION)
    assert fake_rasa.messages_from("tg:920010") == []  # files never go to Rasa


def test_notifications_arrive_once_even_across_a_restart(
    bot_api: FakeBotAPI, fake_rasa: FakeRasa, bridge: Bridge, backend: Backend
) -> None:
    user = User(920020)
    backend.bind("tg:920020")
    no = backend.file_objection("tg:920020")["application_no"]

    backend.decide(no, "accept", "已受理")
    _, notice = bot_api.wait_for_message(user.id, f"（{no}）有了新进展：核查中")
    [(title, data)] = FakeBotAPI.buttons(notice)
    assert title == "查看办理进度"
    wait_until(
        lambda: all(n["delivered_at"] for n in backend.notifications() if n["recipient"] == "tg:920020"),
        30,
        "the notification to be marked delivered",
    )

    bot_api.press(user, notice, data)
    rasa_got(fake_rasa, "tg:920020", f'/check_application{{"application_id":"{no}"}}')

    bridge.stop()
    backend.decide(no, "correct", "经核实，该记录有误，已更正")
    bridge.start()
    bot_api.wait_for_message(user.id, f"（{no}）有了新进展：已更正")
    # Notifications go out in id order, so the first one would have been resent by now.
    texts_sent = bot_api.sent_texts(user.id)
    assert sum("有了新进展：核查中" in t for t in texts_sent) == 1
    assert sum("有了新进展：已更正" in t for t in texts_sent) == 1


def test_webhook_mode_checks_the_secret_token(
    tmp_path: Path, bot_api: FakeBotAPI, fake_rasa: FakeRasa, backend: Backend
) -> None:
    port = free_port()
    webhook = Bridge(tmp_path, bot_api.base_url, bot_api.token, fake_rasa.url, backend.url)
    webhook.env.update(
        {
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/hook",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret-Token_42",
            "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "TELEGRAM_WEBHOOK_PORT": str(port),
        }
    )
    webhook.start()
    try:
        [registered] = wait_until(lambda: bot_api.calls_of("setWebhook"), 30, "setWebhook")
        assert registered.params["url"] == "https://bot.example.org/telegram/hook"
        assert registered.params["secret_token"] == "s3cret-Token_42"
        user = User(920030)
        update = {"update_id": 1, "message": bot_api._user_message(user, text="你好")}
        url = f"http://127.0.0.1:{port}/telegram/hook"
        wait_until(lambda: _reachable(url), 30, "the webhook server")

        forged = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert forged.status_code == 403
        assert httpx.post(url, json=update).status_code == 403
        genuine = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_42"})
        assert genuine.status_code == 200
        bot_api.wait_for_message(user.id, "收到：你好")
        assert [r["message"] for r in fake_rasa.messages_from("tg:920030")] == ["你好"]
    finally:
        webhook.stop()


def _reachable(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return False
    return True


def test_credit_report_arrives_as_a_document(
    bot_api: FakeBotAPI, fake_rasa: FakeRasa, bridge: Bridge, backend: Backend
) -> None:
    """Issue 12 (seed item 3): the document payload makes the bridge download the issued PDF from the backend with
    its own token and send it with sendDocument; a report it cannot fetch is said in text; unknown custom payloads
    are ignored."""
    user = User(920010)
    with backend.client() as client:
        r = client.post(f"/entities/{JIANGCHENG}/reports")
        assert r.status_code == 201, r.text
        issued = r.json()
        expected_pdf = client.get(backend.url + issued["download_path"]).content
    assert expected_pdf.startswith(b"%PDF")
    filename = f"信用报告-{issued['report_no']}.pdf"
    document = {
        "kind": "credit_report",
        "report_no": issued["report_no"],
        "code": issued["code"],
        "filename": filename,
        "caption": f"「{issued['name']}」公共信用信息报告（{issued['report_no']}）",
    }
    fake_rasa.script.update(
        {
            "出信用报告": [
                {"text": f"报告编号：{issued['report_no']}\n核验码：{issued['code']}"},
                {"custom": {"document": document}},
                {"custom": {"poll": {"question": "?"}}},  # unknown: ignored
                {"text": "还需要其他帮助吗？"},
            ],
            "再出一份": [
                {"custom": {"document": {**document, "code": "AAAA-AAAA"}}},  # not the report's code
            ],
        }
    )
    bot_api.send_text(user, "出信用报告")
    bot_api.wait_for_message(user.id, "还需要其他帮助吗？")
    [(upload, caption)] = wait_until(lambda: bot_api.sent_documents(user.id), 30, "the report as a document")
    assert upload.filename == filename
    assert upload.data == expected_pdf
    assert caption == document["caption"]
    texts_sent = bot_api.sent_texts(user.id)
    assert texts_sent.index(f"报告编号：{issued['report_no']}\n核验码：{issued['code']}") < texts_sent.index(
        "还需要其他帮助吗？"
    )
    assert not any("poll" in t for t in texts_sent)

    bot_api.send_text(user, "再出一份")
    bot_api.wait_for_message(user.id, texts.DOCUMENT_FAILED)
    assert len(bot_api.sent_documents(user.id)) == 1
    assert bridge.alive()
