"""End to end without Rasa: the real channel (``python -m bot.wechat``, two instances) between the fake
WeChat platform and a scripted Rasa trusted channel (which checks the signature like the real one), with the real
backend, all over real HTTP.

Covers: URL verification and refused signatures, passive replies with numbered choices, the same message
delivered three times answered once, a slow turn answered through the customer-service API with a menu message
and a click on it, the custom menu, voice and subscribe, long answers, the document payload, evidence (PDF and
photo), notifications (once across a restart; a template outside the 48-hour window), the shared access token,
the safe and compatible modes and the menu publishing command.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bot.evidence import EVIDENCE_NO_APPLICATION, EVIDENCE_TYPE
from bot.wechat import texts
from bot.wechat.mapping import TEXT_LIMIT, utf8_len
from tests.support.credit_backend import ChannelBackend
from tests.support.fake_rasa import FakeRasa
from tests.support.processes import ROOT, wait_until
from tests.wechat.fake_wechat import FakeWeChatAPI, WeChatServerSide
from tests.wechat.harness import AES_KEY, SERVER_TOKEN, WeChatChannel

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))
SLOW = 4.0  # seconds the scripted Rasa takes for a slow turn: more than the channel's passive budget (3 s)
GREETING = [
    {
        "text": "您好！我是信用服务助手。",
        "buttons": [
            {"title": "查询信用状况", "payload": "/query_credit"},
            {"title": "我能办什么", "payload": "/help"},
        ],
    }
]


def platform(channel: WeChatChannel, mode: str = "plaintext") -> WeChatServerSide:
    return WeChatServerSide(channel.urls, SERVER_TOKEN, mode, AES_KEY)


def openid() -> str:
    return "o" + secrets.token_urlsafe(20).replace("-", "x").replace("_", "y")


def rasa_got(fake_rasa: FakeRasa, sender: str, message: str) -> dict:
    def find() -> dict | None:
        return next((r for r in fake_rasa.messages_from(sender) if r["message"] == message), None)

    return wait_until(find, 30, f"Rasa to receive {message!r} from {sender}")


def test_url_check_and_forged_requests(channel: WeChatChannel, fake_rasa: FakeRasa) -> None:
    wx = platform(channel)
    timestamp, nonce = str(int(time.time())), "n0nce"
    good = {"signature": wx.sign(timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": "e-42"}
    resp = httpx.get(channel.url, params=good)
    assert (resp.status_code, resp.text) == (200, "e-42")
    assert httpx.get(channel.url, params={**good, "signature": "0" * 40}).status_code == 403
    assert httpx.get(channel.url, params={k: v for k, v in good.items() if k != "signature"}).status_code == 403
    old = str(int(time.time()) - 3600)  # a replayed request of an hour ago
    assert (
        httpx.get(channel.url, params={**good, "timestamp": old, "signature": wx.sign(old, nonce)}).status_code == 403
    )

    user = openid()
    forged = wx.post(wx.xml(user, "text", Content="你好"), signature="f" * 40)
    assert forged.status_code == 403
    time.sleep(0.5)  # nothing may arrive: give a wrongly accepted message the time to reach Rasa
    assert fake_rasa.messages_from(f"wx:{user}") == []
    assert "refused a POST: bad signature" in channel.log()
    encrypted = WeChatServerSide(channel.urls, SERVER_TOKEN, "safe", AES_KEY).post(wx.xml(user, "text", Content="你好"))
    assert encrypted.status_code == 403  # the channel runs in plaintext mode


def test_passive_reply_with_numbered_choices(channel: WeChatChannel, fake_rasa: FakeRasa) -> None:
    wx, user = platform(channel), openid()
    fake_rasa.script["你好"] = GREETING
    reply = wx.reply_of(wx.post(wx.xml(user, "text", Content="你好")))
    assert reply is not None and reply["MsgType"] == "text"
    assert reply["ToUserName"] == user and reply["FromUserName"] == "gh_1234567890ab"
    assert reply["Content"] == "您好！我是信用服务助手。\n请回复数字选择：\n1. 查询信用状况\n2. 我能办什么"
    greet = rasa_got(fake_rasa, f"wx:{user}", "你好")
    assert greet["metadata"]["channel"] == "wechat" and greet["metadata"]["wechat"]["openid"] == user

    wx.post(wx.xml(user, "text", Content="2"))
    picked = rasa_got(fake_rasa, f"wx:{user}", "/help")
    assert picked["metadata"]["button_title"] == "我能办什么"
    wx.post(wx.xml(user, "text", Content="2"))  # the echo had no buttons: a plain "2" now
    rasa_got(fake_rasa, f"wx:{user}", "2")


def test_the_same_message_three_times_is_answered_once(
    channel: WeChatChannel, fake_rasa: FakeRasa, wechat_api: FakeWeChatAPI
) -> None:
    wx = platform(channel)
    # A fast turn: the passive reply; the retries (the first answer got lost) get the same reply, no new turn.
    fast_user = openid()
    message = wx.xml(fast_user, "text", Content="在吗")
    replies = [wx.reply_of(wx.post(message)) for _ in range(3)]
    assert [r["Content"] for r in replies if r] == ["收到：在吗"] * 3
    assert [r["message"] for r in fake_rasa.messages_from(f"wx:{fast_user}")] == ["在吗"]

    # A slow turn: WeChat gives up on the first delivery and tries twice more while the turn runs; the three
    # deliveries reach the two instances in turn.
    slow_user = openid()
    fake_rasa.delay["慢慢说"] = SLOW
    message = wx.xml(slow_user, "text", Content="慢慢说")
    answers: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(wx.post(message))) for _ in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.2)
    for t in threads:
        t.join()
    passive = [wx.reply_of(r) for r in answers if wx.reply_of(r)]
    wait_until(lambda: passive or wechat_api.texts_to(slow_user), 30, "the answer")
    time.sleep(1)  # a second answer would come right after the first
    assert len(passive) + len(wechat_api.texts_to(slow_user)) == 1
    assert [r["message"] for r in fake_rasa.messages_from(f"wx:{slow_user}")] == ["慢慢说"]


def test_a_slow_turn_is_answered_through_the_customer_service_api(
    channel: WeChatChannel, fake_rasa: FakeRasa, wechat_api: FakeWeChatAPI
) -> None:
    wx, user = platform(channel), openid()
    fake_rasa.script["查一下江城建材"] = [
        {"text": "查询结果：吉林市江城建材有限公司，存在1条行政处罚记录。"},
        *GREETING,
    ]
    fake_rasa.delay["查一下江城建材"] = SLOW
    assert wx.reply_of(wx.post(wx.xml(user, "text", Content="查一下江城建材"))) is None  # "success"
    wait_until(lambda: len(wechat_api.custom_to(user)) == 2, 30, "two customer-service messages")
    first, menu = wechat_api.custom_to(user)
    assert first == {
        "touser": user,
        "msgtype": "text",
        "text": {"content": fake_rasa.script["查一下江城建材"][0]["text"]},
    }
    assert menu["msgtype"] == "msgmenu" and menu["msgmenu"]["head_content"] == "您好！我是信用服务助手。"
    options = {i["content"]: i["id"] for i in menu["msgmenu"]["list"]}
    assert list(options) == ["查询信用状况", "我能办什么"]

    # The user clicks an option: a text message with its content and bizmsgmenuid.
    wx.post(wx.xml(user, "text", Content="查询信用状况", bizmsgmenuid=options["查询信用状况"]))
    picked = rasa_got(fake_rasa, f"wx:{user}", "/query_credit")
    assert picked["metadata"]["button_title"] == "查询信用状况"
    # Another user cannot use this user's option ids: their click is their text.
    other = openid()
    wx.post(wx.xml(other, "text", Content="查询信用状况", bizmsgmenuid=options["我能办什么"]))
    rasa_got(fake_rasa, f"wx:{other}", "查询信用状况")


def test_menu_clicks_voice_subscribe_and_other_messages(
    channel: WeChatChannel, fake_rasa: FakeRasa, wechat_api: FakeWeChatAPI
) -> None:
    wx, user = platform(channel), openid()
    fake_rasa.script["/greet"] = GREETING
    welcome = wx.reply_of(wx.post(wx.xml(user, "event", Event="subscribe")))
    assert welcome is not None and "1. 查询信用状况" in welcome["Content"]
    rasa_got(fake_rasa, f"wx:{user}", "/greet")

    click = wx.reply_of(
        wx.post(wx.xml(user, "event", create_time=int(time.time()) + 1, Event="CLICK", EventKey="MY_APPLICATIONS"))
    )
    assert click is not None and click["Content"] == "收到：/check_application"
    wx.post(wx.xml(user, "event", create_time=int(time.time()) + 2, Event="CLICK", EventKey="FILE_OBJECTION"))
    rasa_got(fake_rasa, f"wx:{user}", "/file_objection")
    stale = wx.reply_of(
        wx.post(wx.xml(user, "event", create_time=int(time.time()) + 3, Event="CLICK", EventKey="GONE"))
    )
    assert stale is not None and stale["Content"] == texts.CHOICE_EXPIRED

    voice = wx.reply_of(wx.post(wx.xml(user, "voice", MediaId="m-voice", Format="amr", Recognition="我要申请信用修复")))
    assert voice is not None and voice["Content"] == "收到：我要申请信用修复"
    unclear = wx.reply_of(wx.post(wx.xml(user, "voice", MediaId="m-voice2", Format="amr", Recognition="")))
    assert unclear is not None and unclear["Content"] == texts.VOICE_UNCLEAR
    location = wx.reply_of(
        wx.post(wx.xml(user, "location", Location_X="43.8", Location_Y="126.5", Scale="15", Label="吉林市"))
    )
    assert location is not None and location["Content"] == texts.UNSUPPORTED
    assert wx.reply_of(wx.post(wx.xml(user, "event", create_time=int(time.time()) + 4, Event="unsubscribe"))) is None
    assert [r["message"] for r in fake_rasa.messages_from(f"wx:{user}")] == [
        "/greet",
        "/check_application",
        "/file_objection",
        "我要申请信用修复",
    ]


def test_long_answers_and_the_document_payload(
    channel: WeChatChannel, fake_rasa: FakeRasa, wechat_api: FakeWeChatAPI
) -> None:
    wx, user = platform(channel), openid()
    lines = [f"{i:03d}. 行政处罚：未按规定标注产品信息（吉市监处罚〔2026〕{i}号），罚款已缴清。" for i in range(120)]
    fake_rasa.script["全部记录"] = [{"text": "\n".join(lines)}]
    assert wx.reply_of(wx.post(wx.xml(user, "text", Content="全部记录"))) is None  # too long for one passive reply
    wait_until(lambda: lines[-1] in "".join(wechat_api.texts_to(user)), 30, "the whole answer")
    chunks = wechat_api.texts_to(user)
    assert len(chunks) > 1 and all(utf8_len(c) <= TEXT_LIMIT for c in chunks)
    assert "\n".join(chunks) == "\n".join(lines)

    report = {
        "document": {
            "kind": "credit_report",
            "report_no": "XYBG-20261129-00001",
            "code": "AB12CD34",
            "filename": "信用报告-XYBG-20261129-00001.pdf",
            "caption": "信用报告",
        }
    }
    text = "信用报告已出具：编号 XYBG-20261129-00001，验证码 AB12CD34，30日内有效。核验请发送“核验报告”。"
    fake_rasa.script["出具信用报告"] = [{"text": text}, {"custom": report}, {"custom": {"something": "new"}}]
    reply = wx.reply_of(wx.post(wx.xml(user, "text", Content="出具信用报告")))
    assert reply is not None and reply["Content"] == text


def test_pdf_and_photo_become_evidence(
    channel: WeChatChannel, fake_rasa: FakeRasa, wechat_api: FakeWeChatAPI, backend: ChannelBackend
) -> None:
    wx, user, stranger = platform(channel), openid(), openid()
    backend.bind(f"wx:{user}")
    no = backend.file_objection(f"wx:{user}")["application_no"]
    wechat_api.media_files.update(
        {"m-pdf": (PDF, "application/pdf"), "m-jpg": (JPEG, "image/jpeg"), "m-fake": (b"GIF89a", "application/pdf")}
    )

    reply = wx.reply_of(wx.post(wx.xml(user, "file", Title="缴款凭证.pdf", MediaId="m-pdf", FileTotalLen=len(PDF))))
    assert reply is not None and f"已作为异议申请 {no} 的附件保存" in reply["Content"]
    photo = wx.reply_of(wx.post(wx.xml(user, "image", PicUrl="http://mmbiz.example/x.jpg", MediaId="m-jpg")))
    assert photo is not None and "已收到证明材料“photo_" in photo["Content"]
    stored = backend.application(no)["attachments"]
    assert [(a["filename"], a["content_type"], a["sha256"]) for a in stored] == [
        ("缴款凭证.pdf", "application/pdf", hashlib.sha256(PDF).hexdigest()),
        (stored[1]["filename"], "image/jpeg", hashlib.sha256(JPEG).hexdigest()),
    ]

    docx = wx.reply_of(wx.post(wx.xml(user, "file", Title="情况说明.docx", MediaId="m-docx", FileTotalLen=100)))
    assert docx is not None and docx["Content"] == EVIDENCE_TYPE.format(filename="情况说明.docx")
    big = wx.reply_of(wx.post(wx.xml(user, "file", Title="扫描件.pdf", MediaId="m-big", FileTotalLen=11 * 1024 * 1024)))
    assert big is not None and "超过了10.0MB的上限" in big["Content"]
    fake = wx.reply_of(wx.post(wx.xml(user, "file", Title="假的.pdf", MediaId="m-fake", FileTotalLen=6)))
    assert fake is not None and fake["Content"] == EVIDENCE_TYPE.format(filename="假的.pdf")
    downloaded = [c.body["media_id"] for c in wechat_api.calls_to("media/get")]
    assert "m-docx" not in downloaded and "m-big" not in downloaded  # refused before download
    assert len(backend.application(no)["attachments"]) == 2

    nothing = wx.reply_of(wx.post(wx.xml(stranger, "image", PicUrl="http://mmbiz.example/y.jpg", MediaId="m-jpg")))
    assert nothing is not None and nothing["Content"] == EVIDENCE_NO_APPLICATION
    assert fake_rasa.messages_from(f"wx:{user}") == []  # files never go to Rasa


def test_notifications_arrive_once_across_a_restart(
    channel: WeChatChannel, fake_rasa: FakeRasa, wechat_api: FakeWeChatAPI, backend: ChannelBackend
) -> None:
    wx, user, silent = platform(channel), openid(), openid()
    backend.bind(f"wx:{user}")
    no = backend.file_objection(f"wx:{user}")["application_no"]
    wx.post(wx.xml(user, "text", Content="我提交了异议"))  # the user wrote: the 48-hour window is open

    backend.decide(no, "accept", "已受理")
    wait_until(lambda: any("有了新进展：核查中" in t for t in wechat_api.texts_to(user)), 30, "the decision")
    wait_until(
        lambda: all(n["delivered_at"] for n in backend.notifications("wx") if n["recipient"] == f"wx:{user}"),
        30,
        "the notification to be marked delivered",
    )

    channel.stop()
    backend.decide(no, "correct", "经核实，该记录有误，已更正")
    channel.start()
    wait_until(lambda: any("有了新进展：已更正" in t for t in wechat_api.texts_to(user)), 30, "the second decision")
    time.sleep(1)  # the first would have been sent again in the same round
    sent = wechat_api.texts_to(user)
    assert sum("有了新进展：核查中" in t for t in sent) == 1
    assert sum("有了新进展：已更正" in t for t in sent) == 1

    # A user who never wrote (outside the 48-hour window): a template message with the configured id.
    backend.bind(f"wx:{silent}")
    other = backend.file_objection(f"wx:{silent}")["application_no"]
    backend.decide(other, "accept", "已受理")
    [template] = wait_until(lambda: wechat_api.templates_to(silent), 30, "the template message")
    assert wechat_api.custom_to(silent) == []
    assert template["template_id"] == "TPL-progress-0001"
    fields = {k: v["value"] for k, v in template["data"].items()}
    assert fields["first"] == "申请办理进度通知"
    assert fields["keyword1"] == other and fields["keyword2"] == "核查中"
    assert "有了新进展：核查中" in fields["remark"]


def test_one_access_token_for_every_process(
    channel: WeChatChannel, fake_rasa: FakeRasa, wechat_api: FakeWeChatAPI
) -> None:
    wx = platform(channel)
    fake_rasa.delay["慢"] = SLOW
    users = [openid() for _ in range(4)]
    threads = [threading.Thread(target=wx.post, args=(wx.xml(u, "text", Content="慢"),)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until(lambda: all(wechat_api.texts_to(u) for u in users), 30, "the four answers")
    assert wechat_api.token_fetches == 1

    wechat_api.expire_tokens()  # the platform refuses the cached token: fetched again once, message still sent
    user = openid()
    wx.post(wx.xml(user, "text", Content="慢"))
    wait_until(lambda: wechat_api.texts_to(user), 30, "the answer after the token expired")
    assert wechat_api.token_fetches == 2


def test_safe_and_compatible_modes(
    tmp_path: Path, wechat_api: FakeWeChatAPI, fake_rasa: FakeRasa, backend: ChannelBackend
) -> None:
    for mode in ("safe", "compatible"):
        channel = WeChatChannel(tmp_path / mode, wechat_api.url, fake_rasa.url, backend.url, mode=mode, instances=1)
        (tmp_path / mode).mkdir()
        channel.start()
        try:
            wx, user = platform(channel, mode), openid()
            resp = wx.post(wx.xml(user, "text", Content="加密的你好"))
            assert "<Encrypt>" in resp.text  # the reply is encrypted too
            reply = wx.reply_of(resp)
            assert reply is not None and reply["Content"] == "收到：加密的你好" and reply["ToUserName"] == user
            if mode == "safe":
                assert platform(channel).post(wx.xml(user, "text", Content="明文")).status_code == 403
            else:
                assert platform(channel).reply_of(platform(channel).post(wx.xml(user, "text", Content="明文")))
            bad = WeChatServerSide(channel.urls, SERVER_TOKEN, mode, "B" * 43)  # someone without the account's key
            assert bad.post(wx.xml(user, "text", Content="伪造")).status_code == 403
            assert "伪造" not in [r["message"] for r in fake_rasa.messages_from(f"wx:{user}")]
        finally:
            channel.stop()


def test_the_menu_is_published_from_the_file(tmp_path: Path, wechat_api: FakeWeChatAPI) -> None:
    env = WeChatChannel(tmp_path, wechat_api.url, "http://127.0.0.1:9", "http://127.0.0.1:9").env
    done = subprocess.run(
        [sys.executable, "-m", "bot.wechat", "menu", "publish"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    [call] = wechat_api.calls_to("menu/create")
    assert [b["name"] for b in call.body["button"]] == ["查信用", "办业务", "我的申请"]
    assert call.body["button"][0] == {"type": "click", "name": "查信用", "key": "QUERY_CREDIT"}
    assert "payload" not in json.dumps(call.body)
