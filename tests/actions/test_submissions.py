"""Each submission flow ends with the application number and the backend's deadline label."""

from __future__ import annotations

import re
from collections.abc import Callable

from credit_backend.rules.vocabulary import UNVERIFIED_NOTE
from tests.actions.flows import (
    FILER,
    FILER_NAME,
    JIANGCHENG,
    JIANGCHENG_NAME,
    commitment_until_confirmed,
    start,
    submit,
    yes,
)
from tests.actions.harness import BackendProcess, Chat, Turn

NUMBER = re.compile(r"申请编号：([A-Z]{2}-20261126-\d{4})")


def filed(turn: Turn, backend: BackendProcess, prefix: str) -> dict:
    """The application the success message names, as the backend holds it; checks the message."""
    match = NUMBER.search(turn.text)
    assert match, turn.text
    number = match.group(1)
    assert number.startswith(prefix)
    application = backend.application(number)
    assert turn.text.startswith(f"✅ {application['kind_label']}已提交！")
    assert f"当前状态：{application['status_label']}" in turn.text
    if application["deadline"] is None:  # e.g. a 主动型 commitment is in force at once
        assert "办理时限" not in turn.text
        return application
    label = application["deadline"]["label"]
    # A day count nobody has checked (policy.yaml verified: false) says so, in the one wording.
    note = UNVERIFIED_NOTE if application["deadline"]["deadline_unverified"] else ""
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日前（\d+个工作日）" + re.escape(note) + "$", label), label
    assert f"办理时限：{label}" in turn.text
    return application


def assert_flow_reset(chat: Chat) -> None:
    for slot in ("uscc", "entity_name", "confirmed", "record_id", "submission_nonce", "retry_pending"):
        assert chat.slots[slot] is None, slot


def test_registration(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, FILER)
    turn = start(chat, "registration_form", "voluntary_registration", FILER, "我要自愿注册信用信息")
    assert "请选择要登记的信息类别" in turn.text
    assert [b["title"] for b in turn.buttons] == ["资质证照", "市场经营", "合同履约", "社会公益"]

    turn = chat.answer("资质证照", entities={"info_category": "资质证照"})
    assert "请填写「证照名称」" in turn.text
    assert "请填写「证照编号」" in chat.answer("食品经营许可证").text
    assert "请填写「发证机关」" in chat.answer("JY12202020012345").text
    turn = chat.answer("吉林市市场监督管理局")
    assert "请填写「有效期至」（长期有效可不填），选填，不填请回复“跳过”" in turn.text
    turn = chat.answer("2031年5月31日")
    assert "提交前需要您作出信用承诺" in turn.text and "如有虚假，愿意承担相应责任并记入信用记录" in turn.text
    turn = yes(chat, "同意")
    assert "请核对以下内容" in turn.text
    assert "类别：资质证照" in turn.text and "证照编号：JY12202020012345" in turn.text
    assert "有效期至：2031-05-31" in turn.text
    yes(chat)

    application = filed(submit(chat, "action_submit_registration"), backend, "ZC-")
    assert application["uscc"] == FILER and application["entity_name"] == FILER_NAME
    assert application["kind"] == "registration"
    assert_flow_reset(chat)


def test_commitment(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, FILER)
    turn = start(chat, "commitment_form", "make_commitment", FILER, "我要做信用承诺")
    assert "请选择承诺类型" in turn.text
    assert {"主动型", "容缺受理型", "信用修复型"} <= {b["title"] for b in turn.buttons}
    chat.answer("主动型")
    turn = chat.answer("食品经营许可证新办")
    assert "《主动型信用承诺书》主要内容：" in turn.text
    assert "1. 提供给行政部门、行业管理部门、司法部门及行业组织的所有资料均合法、真实、有效" in turn.text
    turn = yes(chat, "同意")
    assert "承诺事项：食品经营许可证新办" in turn.text
    assert "暂缺材料" not in turn.text  # only 容缺受理型 asks for missing materials
    yes(chat)

    application = filed(submit(chat, "action_submit_commitment"), backend, "CN-")
    assert application["kind"] == "commitment" and application["entity_name"] == FILER_NAME
    assert_flow_reset(chat)


def test_rongque_commitment_asks_for_missing_materials_and_due_date(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, FILER)
    start(chat, "commitment_form", "make_commitment", FILER, "我要做信用承诺")
    chat.answer("容缺受理型")
    turn = chat.answer("建筑工程施工许可")
    assert chat.requested == "missing_materials" and "请列出暂缺的材料" in turn.text
    turn = chat.answer("消防验收意见书")
    assert chat.requested == "materials_due"
    assert "默认期限为20个工作日" + UNVERIFIED_NOTE in turn.text  # policy.yaml: verified: false
    assert turn.messages[-1]["buttons"] == [{"title": "使用默认期限", "payload": "默认"}]
    turn = chat.answer("默认")
    assert "在承诺期限内补齐所缺材料" in turn.text
    turn = yes(chat, "同意")
    assert "暂缺材料：消防验收意见书" in turn.text and "补齐期限：默认" in turn.text
    yes(chat)

    turn = submit(chat, "action_submit_commitment")
    application = filed(turn, backend, "CN-")
    # The default is 20 working days from 2026-11-26 (the backend's calendar).
    assert "办理时限：补齐材料：2026年12月24日前（20个工作日）" + UNVERIFIED_NOTE in turn.text
    assert application["details"]["commitment_type"] == "容缺受理型"
    assert application["details"]["missing_materials"] == "消防验收意见书"
    assert application["details"]["materials_due"] == "2026-12-24"


def test_rongque_commitment_with_own_due_date(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, FILER)
    start(chat, "commitment_form", "make_commitment", FILER, "我要做信用承诺")
    chat.answer("容缺", entities={"commitment_type": "容缺受理型"}, value="容缺受理型")
    chat.answer("餐饮服务食品经营许可")
    chat.answer("健康证明")
    turn = chat.answer("2026年1月5日")
    assert "补齐日期需要晚于今天。" in turn.text and chat.requested == "materials_due"
    chat.answer("2026年12月31日")
    assert "补齐期限：2026-12-31" in yes(chat, "同意").text
    yes(chat)

    application = filed(submit(chat, "action_submit_commitment"), backend, "CN-")
    assert application["details"]["materials_due"] == "2026-12-31"
    assert application["deadline"]["deadline_unverified"] is False  # the applicant's own date


def test_rongque_refused_for_an_entity_on_the_severe_list(chat: Chat, backend: BackendProcess) -> None:
    """吉市信用办发〔2020〕3号 第1项: 容缺受理 is for applicants 信用状况较好. An entity on the 严重失信主体名单
    is told why, in the plan's words, and what it can do instead; nothing is filed."""
    blacklisted = "N2220202MA0Y3K7Q64"
    backend.bind(chat.sender_id, blacklisted)
    start(chat, "commitment_form", "make_commitment", blacklisted, "我要做信用承诺")
    chat.answer("容缺受理型")
    chat.answer("建筑工程施工许可")
    chat.answer("消防验收意见书")
    chat.answer("默认")
    yes(chat, "同意")
    yes(chat)
    turn = submit(chat, "action_submit_commitment")
    assert "容缺受理仅适用于信用状况较好的申请人" in turn.text
    assert "已列入严重失信主体名单" in turn.text and "补齐全部申报材料" in turn.text
    assert "本次未提交" in turn.text and not NUMBER.search(turn.text)


def test_objection_lists_records_as_buttons(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, JIANGCHENG)
    records = backend.records(JIANGCHENG)
    turn = start(chat, "objection_form", "file_objection", JIANGCHENG, "我要提异议")
    assert "请选择要提出异议的记录" in turn.text
    open_records = [r for r in records if not r["under_objection"]]
    assert [b["payload"] for b in turn.buttons] == [f'/inform{{"record_id":"{r["id"]}"}}' for r in open_records]
    judgement = next(r for r in records if r["category"] == "司法判决")
    button = next(b for b in turn.buttons if judgement["title"] in b["title"])
    assert button["payload"] == f'/inform{{"record_id":"{judgement["id"]}"}}'

    turn = chat.answer(button["payload"], entities={"record_id": str(judgement["id"])}, value=str(judgement["id"]))
    assert "请说明您认为这条记录有误的理由" in turn.text
    turn = chat.answer("本公司是该案原告，记录把诉讼地位写反了")
    assert [b["title"] for b in turn.buttons] == ["更正", "撤销", "由认定部门核定"]
    turn = chat.answer("更正", entities={"requested_outcome": "更正"})
    assert "异议记录：" in turn.text and judgement["title"] in turn.text
    assert "希望的处理：更正" in turn.text
    yes(chat)

    application = filed(submit(chat, "action_submit_objection"), backend, "YY-")
    assert application["kind"] == "objection"
    disputed = next(r for r in backend.records(JIANGCHENG) if r["id"] == judgement["id"])
    assert disputed["under_objection"] is True


def test_a_reason_the_nlu_takes_for_an_faq_question_still_answers_the_reason_question(
    chat: Chat, backend: BackendProcess
) -> None:
    """A business states what is wrong with the record; the model took the statement for an FAQ question about
    objections. The open question wants a statement, so the statement answers it; a real question (with 多久)
    still gets the FAQ answer and the question again (the form rejects, Rasa's rules answer the FAQ)."""
    backend.bind(chat.sender_id, JIANGCHENG)
    start(chat, "objection_form", "file_objection", JIANGCHENG, "我要提异议")
    chat.answer("1")
    assert chat.requested == "objection_reason"

    question = chat.answer("异议一般多久能处理完？", intent="faq", slots={})
    assert question.slot_events() == {} and chat.requested == "objection_reason"

    reason = "该处罚记录的当事人登记有误，本店从未收到该处罚决定书，请核实更正。"
    turn = chat.answer(reason, intent="faq", slots={})
    assert turn.slot_events()["objection_reason"] == reason
    assert chat.requested == "requested_outcome"


def test_objection_does_not_offer_a_record_already_under_objection(chat: Chat, backend: BackendProcess) -> None:
    uscc = "93220221MA14XK2F29"
    backend.bind(chat.sender_id, uscc)
    turn = start(chat, "objection_form", "file_objection", uscc, "我要提异议")
    titles = " ".join(b["title"] for b in turn.buttons)
    assert "种子生产经营许可证" in titles
    assert "销售不符合食品安全标准的食用农产品" not in titles


def test_repair_not_eligible_yet_says_earliest_date_and_stops(chat: Chat, backend: BackendProcess) -> None:
    uscc = "92220204L5B2C8D11M"
    backend.bind(chat.sender_id, uscc)
    turn = start(chat, "repair_form", "apply_repair", uscc, "我要申请信用修复")
    assert "请选择要申请信用修复的记录" in turn.text
    assert len(turn.buttons) == 1 and "餐饮油烟超标排放" in turn.buttons[0]["title"]

    turn = chat.answer("1")
    assert "这条记录暂时还不能申请信用修复" in turn.text
    assert "最早可于2027年1月26日申请信用修复" in turn.text
    assert "最早可以申请的日期：2027-01-26" in turn.text
    assert not chat.active_loop and chat.slots["flow_stopped"] is True

    after = chat.run("action_submit_repair")
    assert after.messages == []
    assert chat.slots["flow_stopped"] is False and chat.slots["uscc"] is None
    assert backend.applications(chat.sender_id) == []


def test_legally_non_repairable_record(chat: Chat, backend: BackendProcess) -> None:
    uscc = "52220211MJ0A1B2C5E"
    backend.bind(chat.sender_id, uscc)
    start(chat, "repair_form", "apply_repair", uscc, "我要申请信用修复")
    turn = chat.answer("1")
    assert "明确规定该类失信信息不可修复" in turn.text
    assert "最早可以申请的日期" not in turn.text
    assert not chat.active_loop


def test_repair_eligible_record(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, JIANGCHENG)
    penalty = next(r for r in backend.records(JIANGCHENG) if r["category"] == "行政处罚")
    turn = start(chat, "repair_form", "apply_repair", JIANGCHENG, "我要申请信用修复")
    assert [b["payload"] for b in turn.buttons] == [f'/inform{{"record_id":"{penalty["id"]}"}}']

    turn = chat.answer(turn.buttons[0]["payload"], entities={"record_id": str(penalty["id"])}, value=str(penalty["id"]))
    assert "这条记录已经可以申请信用修复。" in turn.text
    assert "签署并公开作出《信用修复承诺书》" in turn.text
    assert chat.requested == "corrective_action"
    turn = chat.answer("罚款已于2026年7月10日全额缴纳，不合格产品已全部下架召回")
    assert chat.requested == "obligations_fulfilled"
    turn = yes(chat, "已全部履行")
    assert "《信用修复承诺书》" in turn.text and f"{JIANGCHENG_NAME}郑重承诺" in turn.text
    assert "已纠正失信行为、消除不良影响" in turn.text
    turn = yes(chat, "同意")
    assert "业务：信用修复申请" in turn.text and "未按规定设置危险废物识别标志" in turn.text
    yes(chat)

    application = filed(submit(chat, "action_submit_repair"), backend, "XF-")
    assert application["kind"] == "repair"
    repaired = next(r for r in backend.records(JIANGCHENG) if r["id"] == penalty["id"])
    assert repaired["under_repair"] is True


def test_declining_the_confirmation_files_nothing(chat: Chat, backend: BackendProcess) -> None:
    commitment_until_confirmed(chat, backend, "道路运输经营许可延续")
    chat.answer("不对", intent="deny", value=False)
    turn = chat.run("action_submit_commitment")
    assert turn.text == "好的，本次申请没有提交。如需修改，可以重新办理。"
    assert backend.applications(chat.sender_id) == []


def test_record_beyond_the_first_ten_can_still_be_picked_by_document_number(
    chat: Chat, new_chat: Callable[[], Chat], backend: BackendProcess
) -> None:
    """An entity with many newer records (e.g. its own commitments) must not lose its older ones."""
    uscc = "52220211MJ0A1B2C5E"
    penalty = next(r for r in backend.records(uscc) if r["category"] == "行政处罚")
    assert penalty["document_no"]
    filer = new_chat()
    backend.bind(filer.sender_id, uscc)
    for i in range(11):
        backend.post(
            "/api/v1/applications/commitments",
            {
                "sender_id": filer.sender_id,
                "uscc": uscc,
                "commitment_type": "主动型",
                "matter": f"培训项目备案{i}",
                "accepted": True,
            },
        )
    assert len(backend.records(uscc)) > 10

    backend.bind(chat.sender_id, uscc)
    start(chat, "objection_form", "file_objection", uscc, "我要提异议")
    turn = chat.answer(f"是文书号{penalty['document_no']}那条")
    assert "请说明您认为这条记录有误的理由" in turn.text, turn.text
    assert chat.slots["record_id"] == str(penalty["id"])
