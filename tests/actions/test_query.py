"""Credit query: a code or a name → the public credit profile the user reads."""

from __future__ import annotations

from actions import texts
from credit_backend.rules.uscc import make_uscc
from tests.actions.conftest import use_backend
from tests.actions.harness import STAFF_TOKEN, BackendProcess, Chat, Turn

JIANGCHENG = "91220202MA0Y3K7Q6L"


def ask_code(chat: Chat, code: str) -> Turn:
    """The user asks for a query and gives a code in the same message (NLU tags it as uscc)."""
    return chat.start_form(
        "query_form", f"查一下{code}的信用", "query_credit", entities={"uscc": code}, slots={"uscc": code}
    )


def test_query_by_code_names_entity_grade_inspection_and_records(chat: Chat) -> None:
    turn = ask_code(chat, JIANGCHENG)
    assert turn.messages == []  # no question: the code was valid and known
    assert not chat.active_loop and chat.slots["entity_name"] == "吉林市江城建材有限公司"

    answer = chat.run("action_query_credit")
    profile = answer.messages[0]["text"]
    assert profile.startswith("【吉林市江城建材有限公司】")
    assert f"统一社会信用代码：{JIANGCHENG}" in profile
    assert "信用评价：B 类（信用风险一般）" in profile
    assert "对检查的影响：常规监管，按常规比例和频次抽查" in profile
    assert "· 行政处罚：1 条" in profile
    assert "2026-06-26 未按规定设置危险废物识别标志 吉林市生态环境局 （吉市环罚〔2026〕123号）" in profile
    assert "名单情况：未列入严重失信主体名单或重点关注名单" in profile
    assert answer.messages[-1]["text"] == texts.AFTER_QUERY
    assert answer.buttons == [
        {"title": "提出异议", "payload": "/file_objection"},
        {"title": "申请信用修复", "payload": "/apply_repair"},
    ]
    # The entity is remembered for "再看" and the query slot is freed for the next question.
    assert answer.slot_events() == {"uscc": None, "failed_attempts": None, "last_uscc": JIANGCHENG}


def test_query_blacklisted_entity_shows_list_and_consequences(chat: Chat) -> None:
    ask_code(chat, "N2220202MA0Y3K7Q64")
    profile = chat.run("action_query_credit").messages[0]["text"]
    assert "【昌邑区桦皮厂村股份经济合作社】" in profile
    assert "信用评价：D 类（信用风险高）" in profile
    assert "对检查的影响：严格监管，大幅提高抽查比例和频次，依法依规严格监管" in profile
    assert "· 严重失信主体名单（2026-05-26 起，至 2029-05-26）" in profile
    assert "影响：" in profile and "限制获得授信、乘坐飞机" in profile
    assert "未列入严重失信主体名单" not in profile


def test_query_red_list_entity_shows_incentives(chat: Chat) -> None:
    ask_code(chat, "12220200012345671E")
    profile = chat.run("action_query_credit").messages[0]["text"]
    assert "【吉林市公共资源交易中心】" in profile
    assert "信用评价：A 类（信用风险低）" in profile
    assert "合理降低抽查比例和频次，无事不扰" in profile
    assert "· 守信激励（2026-07-26 起，至 2028-07-26）" in profile
    assert "可书面承诺后容缺受理" in profile


def test_query_shows_record_under_objection(chat: Chat) -> None:
    ask_code(chat, "93220221MA14XK2F29")
    profile = chat.run("action_query_credit").messages[0]["text"]
    assert "异议处理中的记录：" in profile
    assert "销售不符合食品安全标准的食用农产品" in profile and "【异议处理中】" in profile


def test_wrong_check_digit_explains_and_offers_the_one_char_suggestion(chat: Chat) -> None:
    turn = ask_code(chat, "91220202MA0Y3K7Q6M")
    assert "您输入的统一社会信用代码有误：校验位不符：按前17位计算第18位应为“L”，您输入的是“M”" in turn.text
    assert "您要找的是不是下面这家？" in turn.text
    assert turn.messages[0]["buttons"] == [
        {"title": f"吉林市江城建材有限公司（{JIANGCHENG}）", "payload": f'/inform{{"uscc":"{JIANGCHENG}"}}'}
    ]
    assert chat.requested == "uscc" and chat.slots["uscc"] is None  # the question is asked again

    # Clicking the suggestion answers the question with the right code.
    chat.answer(f'/inform{{"uscc":"{JIANGCHENG}"}}', entities={"uscc": JIANGCHENG}, value=JIANGCHENG)
    assert not chat.active_loop
    assert chat.run("action_query_credit").messages[0]["text"].startswith("【吉林市江城建材有限公司】")


def test_valid_code_of_unknown_entity_says_not_found(chat: Chat) -> None:
    unknown = make_uscc("91", "220202", "MA0Y9999")
    turn = ask_code(chat, unknown)
    assert f"代码 {unknown} 格式正确，但平台上没有找到这个主体" in turn.text
    assert chat.requested == "uscc" and chat.slots["uscc"] is None


def ask_directly(chat: Chat, code: str, intent: str = "query_credit", action: str = "action_query_credit") -> Turn:
    """A message that carries a code goes straight to the answering action (rule, no form)."""
    chat.user(f"帮我查一下{code}的信用情况", intent, entities={"uscc": code})
    chat.set_slots(uscc=code)
    return chat.run(action)


def test_code_in_the_message_is_answered_without_a_form(chat: Chat) -> None:
    answer = ask_directly(chat, JIANGCHENG)
    assert answer.messages[0]["text"].startswith("【吉林市江城建材有限公司】")
    assert "信用评价：B 类（信用风险一般）" in answer.messages[0]["text"]
    assert answer.slot_events() == {"uscc": None, "failed_attempts": None, "last_uscc": JIANGCHENG}


def test_wrong_code_in_the_message_is_explained_with_the_suggestion(chat: Chat) -> None:
    answer = ask_directly(chat, "91220202MA0Y3K7Q6M")
    assert "校验位不符：按前17位计算第18位应为“L”，您输入的是“M”" in answer.text
    assert answer.payloads() == [f'/inform{{"uscc":"{JIANGCHENG}"}}']
    assert "last_uscc" not in answer.slot_events()
    # The suggestion button is a bare code outside any flow: answered by the same action.
    assert ask_directly(chat, JIANGCHENG, intent="inform").text.startswith("【吉林市江城建材有限公司】")


def test_unknown_code_in_the_message_is_said_plainly(chat: Chat) -> None:
    unknown = make_uscc("91", "220202", "MA0Y9999")
    answer = ask_directly(chat, unknown)
    assert answer.text == f"代码 {unknown} 格式正确，但平台上没有找到这个主体。请核对代码，或者告诉我主体名称。"


def test_report_with_the_code_in_the_message(chat: Chat) -> None:
    answer = ask_directly(chat, JIANGCHENG, intent="request_credit_report", action="action_credit_report")
    assert "吉林市江城建材有限公司" in answer.messages[0]["text"]
    assert answer.messages[-1]["custom"]["document"]["kind"] == "credit_report"


def test_backend_down_on_a_direct_query_apologises(chat: Chat, closed_url: str) -> None:
    use_backend(closed_url)
    answer = ask_directly(chat, JIANGCHENG)
    assert answer.text.startswith("抱歉，信用服务系统暂时无法连接，请稍后再试。")
    assert "Traceback" not in answer.text


def test_query_by_name_with_several_matches_offers_buttons(chat: Chat, backend: BackendProcess) -> None:
    expected = backend.get("/api/v1/entities", q="合作社", limit=10)
    assert expected["total"] > 5
    turn = chat.start_form("query_form", "查询合作社", "query_credit", slots={"uscc": "合作社"})
    assert f"找到多个名称包含“合作社”的主体（共{expected['total']}个，先列出前5个）" in turn.text
    choices = turn.messages[0]["buttons"]
    assert [b["payload"] for b in choices] == [f'/inform{{"uscc":"{i["uscc"]}"}}' for i in expected["items"][:5]]
    assert all(b["title"].startswith(i["name"]) for b, i in zip(choices, expected["items"], strict=False))
    assert chat.requested == "uscc"

    picked = expected["items"][2]
    chat.answer(choices[2]["payload"], entities={"uscc": picked["uscc"]}, value=picked["uscc"])
    assert chat.run("action_query_credit").messages[0]["text"].startswith(f"【{picked['name']}】")


def test_query_by_unique_name_goes_straight_to_the_profile(chat: Chat) -> None:
    turn = chat.start_form("query_form", "江城建材", "query_credit", slots={"uscc": "江城建材"})
    assert turn.messages == [] and chat.slots["uscc"] == JIANGCHENG
    assert chat.run("action_query_credit").messages[0]["text"].startswith("【吉林市江城建材有限公司】")


def test_query_by_name_without_match(chat: Chat) -> None:
    turn = chat.start_form("query_form", "查一下宇宙无敌有限公司", "query_credit", slots={"uscc": "宇宙无敌有限公司"})
    assert "没有找到名称包含“宇宙无敌有限公司”的主体" in turn.text
    assert chat.requested == "uscc"


def test_backend_down_during_query_apologises_and_asks_again(
    chat: Chat, backend: BackendProcess, closed_url: str
) -> None:
    use_backend(closed_url)
    turn = ask_code(chat, JIANGCHENG)
    assert "抱歉，信用服务系统暂时无法连接，请稍后再试。" in turn.text
    assert chat.requested == "uscc" and chat.active_loop == {"name": "query_form"}

    use_backend(backend.url)
    chat.answer(JIANGCHENG, entities={"uscc": JIANGCHENG})
    assert chat.run("action_query_credit").messages[0]["text"].startswith("【吉林市江城建材有限公司】")


def test_seed_item_5_query_shows_verified_voluntary_registration_only(
    chat: Chat, backend: BackendProcess, new_chat
) -> None:
    """吉市信用办发〔2020〕3号 第5项: verified 自愿注册 information shows in the answer; pending or rejected doesn't."""
    uscc = "12220200012345671E"  # 吉林市公共资源交易中心
    filer = new_chat()
    backend.bind(filer.sender_id, uscc)

    def register(category: str, fields: dict[str, str]) -> str:
        body = {"sender_id": filer.sender_id, "uscc": uscc, "category": category, "fields": fields, "truthful": True}
        return backend.post("/api/v1/applications/registrations", body)["application_no"]

    verified = register(
        "社会公益", {"activity_name": "江城义务植树", "activity_date": "2026-04-12", "organizer": "吉林市林业局"}
    )
    backend.post(f"/api/v1/applications/{verified}/decision", {"action": "verify"}, STAFF_TOKEN)
    rejected = register(
        "社会公益", {"activity_name": "虚报捐赠活动", "activity_date": "2026-05-01", "organizer": "某协会"}
    )
    backend.post(f"/api/v1/applications/{rejected}/decision", {"action": "reject"}, STAFF_TOKEN)
    register("社会公益", {"activity_name": "尚待核验活动", "activity_date": "2026-06-01", "organizer": "某协会"})

    ask_code(chat, uscc)
    profile = chat.run("action_query_credit").messages[0]["text"]
    assert "自愿注册信息（已核验）：" in profile
    assert "· 社会公益：活动名称：江城义务植树，日期：2026-04-12（2026-11-26 核验）" in profile
    assert "虚报捐赠活动" not in profile and "尚待核验活动" not in profile
