"""Identity binding: code → one-time code to the registered phone → verified → bound."""

from __future__ import annotations

from actions import texts
from tests.actions.harness import BackendProcess, Chat

JIANGCHENG = "91220202MA0Y3K7Q6L"


def start_binding(chat: Chat, uscc: str = JIANGCHENG) -> str:
    turn = chat.start_form(
        "binding_form", f"验证身份 {uscc}", "bind_entity", entities={"uscc": uscc}, slots={"uscc": uscc}
    )
    return turn.text


def bound_usccs(backend: BackendProcess, sender_id: str) -> list[str]:
    return [b["uscc"] for b in backend.get("/api/v1/bindings", sender_id=sender_id)["items"]]


def test_binding_start_wrong_code_then_right_code(chat: Chat, backend: BackendProcess) -> None:
    shown = start_binding(chat)
    assert "已向「吉林市江城建材有限公司」登记的联系方式 139****0001 发送了6位验证码，10分钟内有效" in shown
    assert "13943210001" not in shown  # the phone number is masked
    assert "请输入收到的6位验证码" in shown
    assert chat.requested == "otp_code"

    code = backend.latest_otp(JIANGCHENG)
    wrong = "000000" if code != "000000" else "111111"
    turn = chat.answer(wrong)
    assert "验证码不正确，还可以再试4次。" in turn.text
    assert chat.requested == "otp_code"
    assert bound_usccs(backend, chat.sender_id) == []

    turn = chat.answer(f"验证码是 {code}")
    assert "✅ 身份验证成功，您已绑定「吉林市江城建材有限公司」，有效期至 20" in turn.text
    assert not chat.active_loop
    assert bound_usccs(backend, chat.sender_id) == [JIANGCHENG]

    done = chat.run("action_complete_binding")
    assert done.text == texts.AFTER_BINDING
    assert chat.slots["otp_code"] is None and chat.slots["uscc"] is None


def test_full_width_code_is_understood(chat: Chat, backend: BackendProcess) -> None:
    start_binding(chat)
    code = backend.latest_otp(JIANGCHENG)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    turn = chat.answer(full_width)
    assert "✅ 身份验证成功" in turn.text
    assert bound_usccs(backend, chat.sender_id) == [JIANGCHENG]


def test_answer_without_six_digits_is_refused_without_calling_it_wrong(chat: Chat, backend: BackendProcess) -> None:
    start_binding(chat)
    turn = chat.answer("我没收到")
    assert "验证码是6位数字，请核对后再输入。" in turn.text
    # The backend did not count a wrong attempt: the right code still has 5 tries left → accepted.
    assert "✅ 身份验证成功" in chat.answer(backend.latest_otp(JIANGCHENG)).text


def test_already_bound_sender_is_not_asked_again(chat: Chat, backend: BackendProcess) -> None:
    backend.bind(chat.sender_id, JIANGCHENG)
    shown = start_binding(chat)
    assert "您已经验证过「吉林市江城建材有限公司」的身份，无需重复验证。" in shown
    assert not chat.active_loop
    assert chat.run("action_complete_binding").text == texts.AFTER_BINDING


def test_submission_by_unbound_sender_hands_over_to_binding_and_resumes(chat: Chat, backend: BackendProcess) -> None:
    turn = chat.start_form(
        "commitment_form",
        f"我要做信用承诺 {JIANGCHENG}",
        "make_commitment",
        entities={"uscc": JIANGCHENG},
        slots={"uscc": JIANGCHENG},
    )
    assert "为保护主体信息安全，办理前需要先验证您是「吉林市江城建材有限公司」的经办人。" in turn.text
    assert not chat.active_loop  # the submission form stops …
    assert chat.slots["binding_needed"] is True and chat.slots["pending_form"] == "commitment_form"

    # … the rules start binding_form with the code already known.
    chat.start_form("binding_form", "/bind_entity", "bind_entity", slots={"uscc": JIANGCHENG})
    assert "✅ 身份验证成功" in chat.answer(backend.latest_otp(JIANGCHENG)).text
    done = chat.run("action_complete_binding")
    assert done.text == "好的，我们继续办理信用承诺。"
    assert chat.slots["pending_form"] == "commitment_form" and chat.slots["uscc"] == JIANGCHENG
    assert chat.slots["binding_needed"] is False
