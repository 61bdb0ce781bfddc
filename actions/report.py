"""Credit report: the backend's plain-text rendering, sent as a message."""

from __future__ import annotations

from actions import texts
from actions.backend import CreditBackend
from actions.forms_base import CreditFormValidation
from actions.query import EntityAnswerAction


class ValidateReportForm(CreditFormValidation):
    """Validates ``report_form`` (the entity question only)."""

    def name(self) -> str:
        return "validate_report_form"


class ActionCreditReport(EntityAnswerAction):
    """Sends the credit report of the entity chosen in ``report_form``; channels split long messages."""

    retry_hint = "您可以稍后再说一次“出信用报告”。"
    after = texts.AFTER_REPORT

    def name(self) -> str:
        return "action_credit_report"

    def answer(self, client: CreditBackend, uscc: str, viewer: str | None = None) -> list[str]:
        return [str(client.report(uscc).get("text") or "") or "报告暂时没有内容。"]
