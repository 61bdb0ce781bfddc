"""Rasa answers → Telegram messages: text splitting, button tokens and keyboards, ids and metadata."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram import texts
from bot.telegram.mapping import (
    CALLBACK_DATA_LIMIT,
    MESSAGE_LIMIT,
    Choice,
    MemoryButtonStore,
    chat_id_of,
    chosen_text,
    metadata,
    notification_markup,
    outgoing,
    sender_id,
    split_text,
    utf16_len,
)

LONG_PAYLOAD = '/inform{"uscc":"91220202MA0Y3K7Q6L","org_name":"吉林市江城建材有限公司","record_type":"行政处罚"}'


def test_short_text_is_one_message() -> None:
    assert split_text("您好") == ["您好"]
    assert split_text("   ") == []


def test_long_text_splits_on_line_boundaries() -> None:
    lines = [f"第{i}条记录：吉林市江城建材有限公司未按规定标注产品信息，罚款已缴清。" for i in range(400)]
    text = "\n".join(lines)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(utf16_len(c) <= MESSAGE_LIMIT for c in chunks)
    assert "\n".join(chunks) == text  # no line was broken, nothing lost
    assert all(line in lines for c in chunks for line in c.split("\n"))


def test_a_single_overlong_line_is_cut_hard() -> None:
    text = "信" * 10000
    chunks = split_text(text)
    assert [len(c) for c in chunks] == [4096, 4096, 1808]
    assert "".join(chunks) == text


def test_limit_counts_utf16_units() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units, 3000 code points
    chunks = split_text(text)
    assert len(chunks) == 2
    assert all(utf16_len(c) <= MESSAGE_LIMIT for c in chunks)


@given(st.lists(st.text(alphabet=st.sampled_from("信用中国吉林ab1 😀"), max_size=300), max_size=60))
def test_split_keeps_every_character(lines: list[str]) -> None:
    text = "\n".join(lines)
    chunks = split_text(text, limit=100)
    assert all(utf16_len(c) <= 100 for c in chunks)
    # Only whitespace-only chunks are dropped: every other character survives, in order.
    assert "".join("".join(chunks).split()) == "".join(text.split())


def test_buttons_become_short_tokens_that_resolve_to_the_payload() -> None:
    store = MemoryButtonStore()
    answers = [
        {
            "recipient_id": "tg:1",
            "text": "找到多个主体，请选择：",
            "buttons": [{"title": "吉林市江城建材有限公司（91220202MA0Y3K7Q6L）", "payload": LONG_PAYLOAD}],
        }
    ]
    assert len(LONG_PAYLOAD.encode()) > CALLBACK_DATA_LIMIT  # too long for Telegram as it is
    [message] = outgoing(answers, store)
    [[button]] = message.reply_markup.inline_keyboard
    assert button.text == "吉林市江城建材有限公司（91220202MA0Y3K7Q6L）"
    assert len(button.callback_data.encode()) <= CALLBACK_DATA_LIMIT
    assert button.callback_data != LONG_PAYLOAD
    assert store.get(button.callback_data) == Choice(button.text, LONG_PAYLOAD)
    assert message.buttons == [Choice(button.text, LONG_PAYLOAD)]


def test_short_titles_share_rows_long_titles_get_their_own() -> None:
    store = MemoryButtonStore()
    short = [{"title": t, "payload": f"/{t}"} for t in ("同意", "不同意", "转人工")]
    [m] = outgoing([{"text": "请确认", "buttons": short}], store)
    assert [[b.text for b in row] for row in m.reply_markup.inline_keyboard] == [["同意", "不同意"], ["转人工"]]
    long = [{"title": "查询企业信用状况和信用记录", "payload": "/query_credit"}, {"title": "好", "payload": "/affirm"}]
    [m] = outgoing([{"text": "请选择", "buttons": long}], store)
    assert [len(row) for row in m.reply_markup.inline_keyboard] == [1, 1]


def test_keyboard_goes_under_the_last_chunk_and_buttons_only_get_a_prompt() -> None:
    store = MemoryButtonStore()
    text = "\n".join("记录" * 100 for _ in range(60))
    msgs = outgoing([{"text": text, "buttons": [{"title": "继续", "payload": "/affirm"}]}], store)
    assert len(msgs) > 1
    assert [m.reply_markup is not None for m in msgs] == [False] * (len(msgs) - 1) + [True]
    [only] = outgoing([{"buttons": [{"title": "继续", "payload": "/affirm"}]}], store)
    assert only.text == texts.CHOOSE


def test_images_and_url_buttons() -> None:
    store = MemoryButtonStore()
    msgs = outgoing(
        [
            {"image": "https://example.org/grade.png"},
            {"text": "详见官网", "buttons": [{"title": "信用中国", "url": "https://www.creditchina.gov.cn"}]},
        ],
        store,
    )
    assert msgs[0].photo == "https://example.org/grade.png"
    [[link]] = msgs[1].reply_markup.inline_keyboard
    assert link.url == "https://www.creditchina.gov.cn" and link.callback_data is None


def test_lru_store_forgets_the_oldest() -> None:
    store = MemoryButtonStore(capacity=2)
    first = store.put(Choice("一", "/1"))
    second = store.put(Choice("二", "/2"))
    assert store.get(first) is not None  # touched: now the newest
    store.put(Choice("三", "/3"))
    assert store.get(second) is None
    assert store.get(first) == Choice("一", "/1")


def test_tokens_are_unique() -> None:
    store = MemoryButtonStore()
    tokens = {store.put(Choice("x", "/x")) for _ in range(2000)}
    assert len(tokens) == 2000


def test_sender_ids_and_chat_ids() -> None:
    assert sender_id(123456789) == "tg:123456789"
    assert chat_id_of("tg:123456789") == 123456789
    assert chat_id_of("web:abc") is None
    assert chat_id_of("tg:abc") is None


def test_metadata_carries_display_name_and_language() -> None:
    meta = metadata(42, "张 三", "zhangsan", "zh-hans", 42, 7)
    assert meta["display_name"] == "张 三"
    assert meta["language"] == "zh-hans"
    assert meta["telegram"] == {"user_id": 42, "username": "zhangsan", "chat_id": 42, "message_id": 7}
    json.dumps(meta)  # travels as JSON
    assert metadata(42, "X", None, None, 42, None)["language"] == ""


def test_chosen_text_appends_the_choice_when_it_fits() -> None:
    assert chosen_text("请选择：", "同意") == "请选择：\n\n✅ 您选择了：同意"
    assert chosen_text("字" * 4090, "同意") is None
    assert chosen_text(None, "同意") is None


def test_notification_button_asks_rasa_for_the_progress() -> None:
    store = MemoryButtonStore()
    markup = notification_markup("YY-20261126-0001", store)
    [[button]] = markup.inline_keyboard
    assert button.text == texts.NOTIFICATION_BUTTON
    assert store.get(button.callback_data).payload == '/check_application{"application_id":"YY-20261126-0001"}'
    assert notification_markup(None, store) is None


def test_document_payload_becomes_a_document_and_unknown_custom_is_ignored() -> None:
    """The channel contract (issue 12): ``custom.document`` of kind credit_report is sent as a file; anything
    else in ``custom`` is ignored, and the texts around it are kept in order."""
    doc = {
        "kind": "credit_report",
        "report_no": "XYBG-20261129-00001",
        "code": "ABCD-EFGH",
        "filename": "信用报告-XYBG-20261129-00001.pdf",
        "caption": "报" * 2000,
    }
    answers = [
        {"text": "报告编号：XYBG-20261129-00001"},
        {"custom": {"document": doc}},
        {"custom": {"document": {**doc, "kind": "invoice"}}},
        {"custom": {"document": {**doc, "code": None}}},
        {"custom": "plain"},
        {"text": "完"},
    ]
    result = outgoing(answers, MemoryButtonStore())
    assert [m.text for m in result] == ["报告编号：XYBG-20261129-00001", None, "完"]
    document = result[1].document
    assert document is not None
    assert (document.report_no, document.code, document.filename) == (doc["report_no"], doc["code"], doc["filename"])
    assert utf16_len(document.caption) == 1024
