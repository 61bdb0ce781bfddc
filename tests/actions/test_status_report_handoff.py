"""Application status, credit report, hand-off to a person."""

from __future__ import annotations

from collections.abc import Callable

from actions import texts
from tests.actions.conftest import use_backend
from tests.actions.flows import FILER, FILER_NAME, JIANGCHENG
from tests.actions.harness import STAFF_TOKEN, BackendProcess, Chat


def file_commitment(backend: BackendProcess, sender_id: str, matter: str, kind: str = "容缺受理型") -> dict:
    """A commitment filed through the API (the status questions are about something filed earlier)."""
    body = {"sender_id": sender_id, "uscc": FILER, "commitment_type": kind, "matter": matter, "accepted": True}
    if kind == "容缺受理型":
        body["missing_materials"] = "消防验收意见书"
    return backend.post("/api/v1/applications/commitments", body)


def test_status_by_number_in_lower_case_without_hyphens(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, FILER)
    filed = file_commitment(backend, chat.sender_id, "公共资源交易平台入驻")
    number = filed["application_no"]
    typed = number.replace("-", "").lower()

    chat.user(f"{typed}办得怎么样了", "check_application")
    turn = chat.run("action_check_application")
    assert turn.text.startswith(f"信用承诺 {number}")
    assert f"主体：{FILER_NAME}" in turn.text
    assert f"当前状态：{filed['status_label']}" in turn.text
    assert f"办理时限：{filed['deadline']['label']}" in turn.text
    assert "办理进度：" in turn.text
    assert turn.slot_events() == {"application_id": None}


def test_status_of_unknown_number_says_so(chat: Chat) -> None:
    chat.user("yy-20261126-9999 进度", "check_application", entities={"application_id": "yy-20261126-9999"})
    turn = chat.run("action_check_application")
    assert turn.text == "没有找到申请编号 YY-20261126-9999 的申请，请核对编号。"


def test_my_applications(chat: Chat, new_chat: Callable[[], Chat], backend: BackendProcess) -> None:
    chat.user("我的申请", "check_application")
    assert chat.run("action_check_application").text.startswith("没有查到您提交过的申请。")

    backend.bind(chat.sender_id, FILER)
    first = file_commitment(backend, chat.sender_id, "政府采购投标")
    chat.user("我的申请", "check_application")
    turn = chat.run("action_check_application")
    assert turn.text.startswith(f"信用承诺 {first['application_no']}")  # one application: shown at once

    second = file_commitment(backend, chat.sender_id, "工程建设项目招标", kind="主动型")
    chat.user("我的申请", "check_application")
    turn = chat.run("action_check_application")
    assert turn.text.startswith("您共有 2 个申请")
    assert turn.payloads() == [
        f'/check_application{{"application_id":"{a["application_no"]}"}}' for a in (second, first)
    ]
    assert turn.buttons[0]["title"].startswith(f"{second['application_no']} 信用承诺")

    # Someone else's applications are not listed.
    other = new_chat()
    other.user("我的申请", "check_application")
    assert other.run("action_check_application").text.startswith("没有查到您提交过的申请。")


def test_credit_report_text_then_the_issued_document(chat: Chat, backend: BackendProcess) -> None:
    """Issue 12 (seed item 3): the report's text, then number, code, validity and how to verify it, then the
    document payload of the channel contract; the number and code are a real report's."""
    report = backend.get(f"/api/v1/entities/{JIANGCHENG}/report")["text"]
    turn = chat.start_form("report_form", "出具信用报告", "request_credit_report", slots={"uscc": "江城建材"})
    assert turn.messages == [] and not chat.active_loop

    answer = chat.run("action_credit_report")
    texts_sent = [m["text"] for m in answer.messages if m.get("text")]
    assert "吉林市江城建材有限公司" in texts_sent[0]
    issued_text = texts_sent[-1]
    assert "\n".join(texts_sent[:-1]) == "\n".join(report.splitlines())
    assert all(len(t) <= 3500 for t in texts_sent)
    [custom] = [m["custom"] for m in answer.messages if m.get("custom")]
    assert answer.messages[-1]["custom"] == custom  # the document comes after the text that explains it
    document = custom["document"]
    assert document["kind"] == "credit_report"
    assert document["filename"] == f"信用报告-{document['report_no']}.pdf"
    assert "吉林市江城建材有限公司" in document["caption"]
    for expected in (document["report_no"], document["code"], "有效期", "核验报告", "吉林市江城建材有限公司"):
        assert expected in issued_text, expected
    # A real report: the backend verifies it by that number and code.
    check = backend.get(f"/api/v1/reports/{document['report_no']}/verification", code=document["code"])
    assert (check["status"], check["uscc"]) == ("valid", JIANGCHENG)
    assert chat.slots["last_uscc"] == JIANGCHENG


def notice_now(backend: BackendProcess) -> str:
    """What the backend tells a user who asks for a person right now (its calendar and staffed hours)."""
    body = {"sender_id": "tg:9990001", "summary": "对照", "transcript": []}
    return str(backend.post("/api/v1/handoffs", body)["notice"])


def handoff_of(backend: BackendProcess, sender_id: str) -> dict:
    handoffs = [h for h in backend.get("/api/v1/handoffs", STAFF_TOKEN)["items"] if h["sender_id"] == sender_id]
    assert len(handoffs) == 1, handoffs
    return backend.get(f"/api/v1/handoffs/{handoffs[0]['id']}", STAFF_TOKEN)


def test_handoff_is_visible_to_staff_with_a_summary_and_the_transcript(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, JIANGCHENG)
    asked = chat.start_form(
        "objection_form",
        f"我要提异议 {JIANGCHENG}",
        "file_objection",
        entities={"uscc": JIANGCHENG},
        slots={"uscc": JIANGCHENG},
    )
    assert asked.text.startswith("请选择要提出异议的记录")
    chat.user("这个太复杂了，我要找人工", "human_handoff")
    turn = chat.run("action_handoff")
    # The backend's notice: a person answers now, or when the next staffed hours begin.
    assert turn.text == notice_now(backend)
    assert turn.text.startswith("已为您转接人工服务")

    handoff = handoff_of(backend, chat.sender_id)
    assert handoff["uscc"] == JIANGCHENG and handoff["status"] == "open"
    summary = handoff["summary"]
    assert "正在办理：异议申请" in summary
    assert "主体：吉林市江城建材有限公司" in summary
    assert "· 这个太复杂了，我要找人工" in summary
    assert [(m["role"], m["text"]) for m in handoff["messages"]] == [
        ("user", f"我要提异议 {JIANGCHENG}"),
        ("bot", asked.text),
        ("user", "这个太复杂了，我要找人工"),
    ]
    assert chat.slots["uscc"] is None  # the flow is reset


def test_handoff_never_passes_on_the_one_time_code(chat: Chat, backend: BackendProcess) -> None:
    chat.user("我要认证企业身份", "bind_entity")
    chat.apply(
        [
            {"event": "active_loop", "name": "binding_form"},
            {"event": "slot", "name": "requested_slot", "value": "otp_code"},
        ]
    )
    chat.events.append({"event": "bot", "text": "验证码已发送至 139****0001，请输入6位验证码。"})
    chat.user("４８２９１３", "inform")  # full-width digits, as some keyboards type them
    chat.apply([{"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot", "value": None}])
    chat.user("我的电话是13900000001，还是收不到，转人工", "human_handoff")
    chat.run("action_handoff")

    handoff = handoff_of(backend, chat.sender_id)
    said = [m["text"] for m in handoff["messages"]]
    assert said == [
        "我要认证企业身份",
        "验证码已发送至 139****0001，请输入6位验证码。",
        "******",
        "我的电话是13900000001，还是收不到，转人工",  # outside the code question nothing is masked
    ]
    assert "482913" not in handoff["summary"] and "４８２９１３" not in handoff["summary"]


def test_a_pressed_button_reaches_staff_as_its_title(chat: Chat, backend: BackendProcess) -> None:
    chat.user("/greet", "greet")
    chat.events[-1]["metadata"] = {"button_title": "开始"}
    chat.user("/affirm", "affirm")  # a payload without a title means nothing to a person
    chat.user("转人工", "human_handoff")
    chat.run("action_handoff")
    assert [m["text"] for m in handoff_of(backend, chat.sender_id)["messages"]] == ["开始", "转人工"]


def test_handoff_when_backend_is_down_gives_the_hotline(chat: Chat, closed_url: str) -> None:
    use_backend(closed_url)
    chat.user("转人工", "human_handoff")
    assert chat.run("action_handoff").text == texts.HANDOFF_FAILED
