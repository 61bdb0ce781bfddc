"""Simple form questions (the ones that need no backend data)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from credit_backend.rules.vocabulary import DOCUMENT_TYPES

YES_NO = [{"title": "是", "payload": "/affirm"}, {"title": "否", "payload": "/deny"}]

QUESTIONS: dict[str, tuple[str, list[dict[str, str]]]] = {
    "otp_code": ("请输入收到的6位验证码：", []),
    # The in-person identity check at the counter (staff senders; actions/binding.py).
    "id_document_type": (
        "请核验办事人出示的身份证件。证件类型是：",
        [{"title": title, "payload": f'/inform{{"id_document_type":"{title}"}}'} for title in DOCUMENT_TYPES],
    ),
    "id_last4": ("请输入证件号码后四位（数字或字母X）：", []),
    "authorization_letter": (
        "办事人是否持有该主体出具的授权委托书？（法定代表人本人办理可选“否”）",
        [{"title": "是", "payload": "/affirm"}, {"title": "否", "payload": "/deny"}],
    ),
    "commitment_matter": ("请说明承诺对应的办理事项（例如“食品经营许可证新办”）：", []),
    "missing_materials": ("请列出暂缺的材料：", []),
    "objection_reason": ("请说明您认为这条记录有误的理由：", []),
    "requested_outcome": (
        "您希望如何处理这条记录？",
        [
            {"title": "更正", "payload": '/inform{"requested_outcome":"更正"}'},
            {"title": "撤销", "payload": '/inform{"requested_outcome":"撤销"}'},
            {"title": "由认定部门核定", "payload": '/inform{"requested_outcome":"由部门核定"}'},
        ],
    ),
    "corrective_action": ("请简要说明已采取的整改措施（例如罚款缴纳日期、整改完成情况）：", []),
    "obligations_fulfilled": (
        "该记录涉及的法定责任和义务（如罚款、责令改正）是否已经全部履行完毕？",
        [{"title": "已全部履行", "payload": "/affirm"}, {"title": "还没有", "payload": "/deny"}],
    ),
    # 核验报告 (actions/verify_report.py).
    "report_no": (
        "请发送要核验的报告编号（在报告页脚，形如 XYBG-20261129-00001）。也可以把编号和核验码一起发给我。",
        [],
    ),
    "verification_code": ("请发送报告页脚的8位核验码（形如 ABCD-EFGH）：", []),
}


class AskAction(Action, ABC):
    """Sends the fixed question for ``slot``."""

    slot = ""

    @abstractmethod
    def name(self) -> str:
        """``action_ask_<slot>``."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text, buttons = QUESTIONS[self.slot]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class AskOtpCode(AskAction):
    slot = "otp_code"

    def name(self) -> str:
        return "action_ask_otp_code"


class AskIdDocumentType(AskAction):
    slot = "id_document_type"

    def name(self) -> str:
        return "action_ask_id_document_type"


class AskIdLast4(AskAction):
    slot = "id_last4"

    def name(self) -> str:
        return "action_ask_id_last4"


class AskAuthorizationLetter(AskAction):
    slot = "authorization_letter"

    def name(self) -> str:
        return "action_ask_authorization_letter"


class AskCommitmentMatter(AskAction):
    slot = "commitment_matter"

    def name(self) -> str:
        return "action_ask_commitment_matter"


class AskMissingMaterials(AskAction):
    slot = "missing_materials"

    def name(self) -> str:
        return "action_ask_missing_materials"


class AskObjectionReason(AskAction):
    slot = "objection_reason"

    def name(self) -> str:
        return "action_ask_objection_reason"


class AskRequestedOutcome(AskAction):
    slot = "requested_outcome"

    def name(self) -> str:
        return "action_ask_requested_outcome"


class AskCorrectiveAction(AskAction):
    slot = "corrective_action"

    def name(self) -> str:
        return "action_ask_corrective_action"


class AskObligationsFulfilled(AskAction):
    slot = "obligations_fulfilled"

    def name(self) -> str:
        return "action_ask_obligations_fulfilled"


class AskReportNo(AskAction):
    slot = "report_no"

    def name(self) -> str:
        return "action_ask_report_no"


class AskVerificationCode(AskAction):
    slot = "verification_code"

    def name(self) -> str:
        return "action_ask_verification_code"
