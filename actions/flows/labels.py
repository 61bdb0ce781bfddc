"""The Chinese titles of what a user can ask for, as buttons: every service intent and every FAQ topic.

One table for the main menu, the button under an FAQ answer and the disambiguation question ("您是想…"). A flow's
title is declared with the flow (``Flow.title``); the services without a form and the FAQ topics are here. Standard
library only, like the rest of actions/flows/.
"""

from __future__ import annotations

from actions.flows import flow_of_intent

#: Services answered by one action, without a form (data/rules/conversation.yml), and the two ways out.
OTHER_INTENTS: dict[str, str] = {
    "check_application": "查询办理进度",
    "subscribe_reminders": "订阅信用提醒",
    "unsubscribe_reminders": "退订信用提醒",
    "human_handoff": "转人工",
    "help": "查看全部服务",
}

#: The main menu, in this order (actions/common.py).
MENU_INTENTS: tuple[str, ...] = (
    "query_credit",
    "bind_entity",
    "voluntary_registration",
    "make_commitment",
    "file_objection",
    "apply_repair",
    "check_application",
    "request_credit_report",
    "verify_report",
    "subscribe_reminders",
    "human_handoff",
)

#: Every FAQ topic (faq/<topic>) as the question it answers; tests/actions/test_disambiguation.py checks that every
#: answer in data/responses/faq.yml has one.
FAQ_TOPICS: dict[str, str] = {
    "repair_conditions": "信用修复需要什么条件",
    "repair_materials": "信用修复要准备哪些材料",
    "repair_periods": "失信信息公示多长时间",
    "repair_process": "信用修复怎么办理",
    "repair_fee": "信用修复收费吗",
    "repair_effect": "信用修复后有什么效果",
    "non_repairable": "哪些情况不能修复",
    "repair_duration": "信用修复要多长时间",
    "repair_rule_change": "信用修复新规有什么变化",
    "abnormal_operation_list": "市场监管领域的记录怎么修复",
    "objection_deadline": "异议多长时间处理完",
    "objection_how": "怎么提出异议",
    "objection_result": "异议核查有哪些结果",
    "objection_vs_repair": "异议和信用修复有什么区别",
    "commitment_what": "什么是信用承诺",
    "commitment_types": "信用承诺有哪些类型",
    "rongque": "什么是容缺受理",
    "commitment_breach": "违反信用承诺有什么后果",
    "voluntary_registration": "什么是信用信息自愿注册",
    "integrity_education": "什么是准入前诚信教育",
    "credit_report_use": "信用报告有什么用",
    "credit_report_get": "怎么获取信用报告",
    "report_verification": "怎么核验信用报告",
    "credit_reminders": "什么是信用提醒",
    "evaluation_grades": "企业信用风险分几类",
    "supervision_frequency": "抽查频次和信用等级有什么关系",
    "blacklist_consequences": "列入失信名单有什么后果",
    "blacklist_criteria": "什么情况会被列入失信名单",
    "watchlist": "什么是重点关注名单",
    "red_list": "什么是守信激励（红名单）",
    "legal_rep_liability": "单位失信会影响法定代表人吗",
    "interview_warning": "什么是信用约谈",
    "information_disclosure": "哪些信息会被公示",
    "complaint_12315": "怎么投诉举报",
    "uscc_what": "什么是统一社会信用代码",
    "uscc_invalid": "代码校验不通过怎么办",
    "binding_why": "为什么要验证企业身份",
    "data_security": "我的信息安全吗",
    "working_days": "工作日怎么计算",
    "about_platform": "“信用中国（吉林市）”是什么",
}


def intent_title(intent: str | None) -> str | None:
    """The button title of an intent that asks for a service (None for greetings, answers, faq, …)."""
    flow = flow_of_intent(intent)
    return flow.title if flow else OTHER_INTENTS.get(intent or "")


def faq_title(topic: str | None) -> str | None:
    """The question an FAQ topic answers, as a button title (None for an unknown topic)."""
    return FAQ_TOPICS.get(topic or "")


def intent_button(intent: str) -> dict[str, str]:
    """The button that asks for ``intent`` as if typed."""
    return {"title": intent_title(intent) or intent, "payload": f"/{intent}"}


#: The main menu as buttons (help, the clarifying question, "那就办吧" without an FAQ answer before).
MENU_BUTTONS: list[dict[str, str]] = [intent_button(i) for i in MENU_INTENTS]
