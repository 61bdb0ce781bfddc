"""The pure mapping: pushed XML fields → what the channel does; Rasa's answers → passive and customer-service
messages within WeChat's limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.wechat import texts
from bot.wechat.mapping import (
    TEXT_LIMIT,
    Choice,
    Reply,
    choice_number,
    customer_service,
    dedup_key,
    inbound,
    numbered,
    openid_of,
    passive_text,
    replies,
    sender_id,
    split_text,
    utf8_len,
)

MENU = {"QUERY_CREDIT": "/query_credit"}
USER = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"


def fields(msg_type: str, **kw: str) -> dict[str, str]:
    return {"ToUserName": "gh_x", "FromUserName": USER, "CreateTime": "1795900000", "MsgType": msg_type, **kw}


def test_text_voice_and_menu_messages() -> None:
    text = inbound(fields("text", Content="查一下江城建材", MsgId="101"), MENU)
    assert (text.kind, text.text, text.dedup_key, text.menu_id) == ("text", "查一下江城建材", "msg:101", "")
    clicked = inbound(fields("text", Content="查询信用状况", MsgId="102", bizmsgmenuid="77"), MENU)
    assert clicked.menu_id == "77"
    voice = inbound(fields("voice", MediaId="m", Format="amr", Recognition="我要修复信用", MsgId="103"), MENU)
    assert (voice.kind, voice.text) == ("text", "我要修复信用")
    silent = inbound(fields("voice", MediaId="m", Format="amr", MsgId="104"), MENU)
    assert (silent.kind, silent.reply) == ("unsupported", texts.VOICE_UNCLEAR)
    assert inbound(fields("text", Content="  ", MsgId="105"), MENU).kind == "ignore"


def test_events() -> None:
    subscribe = inbound(fields("event", Event="subscribe"), MENU)
    assert (subscribe.kind, subscribe.text) == ("text", "/greet")
    assert subscribe.dedup_key == f"event:{USER}:1795900000:subscribe"
    scanned = inbound(fields("event", Event="subscribe", EventKey="qrscene_42"), MENU)
    assert scanned.text == "/greet"
    click = inbound(fields("event", Event="CLICK", EventKey="QUERY_CREDIT"), MENU)
    assert (click.kind, click.text) == ("text", "/query_credit")
    assert click.dedup_key != subscribe.dedup_key  # the same second, another event
    gone = inbound(fields("event", Event="CLICK", EventKey="REMOVED"), MENU)
    assert (gone.kind, gone.reply) == ("unsupported", texts.CHOICE_EXPIRED)
    for event in ("unsubscribe", "VIEW", "LOCATION", "TEMPLATESENDJOBFINISH"):
        assert inbound(fields("event", Event=event), MENU).kind == "ignore"


def test_images_and_files_are_evidence_and_the_rest_is_unsupported() -> None:
    image = inbound(fields("image", PicUrl="http://x/y.jpg", MediaId="media-1", MsgId="201"), MENU)
    assert image.kind == "file" and image.file is not None
    assert (image.file.file_id, image.file.filename, image.file.mime_type) == ("media-1", "photo_201.jpg", "image/jpeg")
    file = inbound(fields("file", Title="缴款凭证.pdf", MediaId="media-2", FileTotalLen="2048", MsgId="202"), MENU)
    assert file.file is not None and (file.file.filename, file.file.size) == ("缴款凭证.pdf", 2048)
    for msg_type in ("video", "shortvideo", "location", "link"):
        other = inbound(fields(msg_type, MsgId="203"), MENU)
        assert (other.kind, other.reply) == ("unsupported", texts.UNSUPPORTED)


def test_dedup_keys_and_senders() -> None:
    assert dedup_key({"MsgId": "9"}) == "msg:9"
    assert dedup_key({"FromUserName": "o1", "CreateTime": "5", "Event": "CLICK"}) == "event:o1:5:click"
    assert sender_id(USER) == f"wx:{USER}"
    assert openid_of(f"wx:{USER}") == USER
    assert openid_of("tg:123") is None and openid_of("wx:") is None and openid_of("wx:a b") is None


def test_answers_become_replies() -> None:
    answers = [
        {"recipient_id": "wx:o", "text": "您好！", "buttons": [{"title": "查询信用状况", "payload": "/query_credit"}]},
        {"recipient_id": "wx:o", "image": "https://example.org/chart.png"},
        {"recipient_id": "wx:o", "custom": {"document": {"kind": "credit_report", "report_no": "XYBG-1"}}},
        {"recipient_id": "wx:o", "buttons": [{"title": "政策原文", "url": "https://example.org/p"}]},
        {"recipient_id": "wx:o", "text": "   "},
    ]
    assert replies(answers) == [
        Reply("您好！", [Choice("查询信用状况", "/query_credit")]),
        Reply(texts.IMAGE_LINK.format(url="https://example.org/chart.png")),
        Reply(texts.CHOOSE, [Choice("政策原文：https://example.org/p", "政策原文")]),
    ]


def test_passive_text_numbers_the_choices_across_replies() -> None:
    items = [
        Reply("请选择业务：", [Choice("异议", "/file_objection"), Choice("修复", "/apply_repair")]),
        Reply("或者：", [Choice("转人工", "/human_handoff")]),
    ]
    expected = "请选择业务：\n请回复数字选择：\n1. 异议\n2. 修复\n\n或者：\n请回复数字选择：\n3. 转人工"
    assert numbered(items) == passive_text(items) == expected
    assert passive_text([Reply("字" * 700)]) is None  # 2100 bytes: not one passive reply
    assert passive_text([]) is None


def test_customer_service_messages_carry_menus_on_the_last_chunk() -> None:
    long = "\n".join(f"第{i}行：行政处罚记录说明。" for i in range(200))
    out = customer_service([Reply(long, [Choice("确认", "/affirm"), Choice("取消", "/cancel")]), Reply("好的")])
    assert len(out) > 2
    assert all(m.choices == () for m in out[:-2]) and out[-2].choices == (
        Choice("确认", "/affirm"),
        Choice("取消", "/cancel"),
    )
    assert out[-1].text == "好的"
    assert all(utf8_len(m.text) + sum(utf8_len(c.title) for c in m.choices) <= TEXT_LIMIT for m in out)
    assert "\n".join(m.text for m in out[:-1]) == long


@given(st.text(alphabet=st.sampled_from(["信", "用", "a", "\n", " ", "😀", "，"]), max_size=3000))
def test_split_keeps_everything_within_the_byte_limit(text: str) -> None:
    chunks = split_text(text, 300)
    assert all(0 < utf8_len(c) <= 300 for c in chunks)
    if text.strip():
        assert "".join("".join(chunks).split()) == "".join(text.split())


@pytest.mark.parametrize(
    ("typed", "count", "expected"),
    [("1", 2, 1), (" 2 ", 2, 2), ("2。", 2, 2), ("3", 2, None), ("0", 2, None), ("1", 0, None), ("12号", 20, None)],
)
def test_typed_numbers_pick_a_choice(typed: str, count: int, expected: int | None) -> None:
    assert choice_number(typed, count) == expected
