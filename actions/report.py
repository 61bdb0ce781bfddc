"""Credit report: the report as text in chat, then the issued document (number, code, PDF).

The action issues a report (POST /entities/{uscc}/reports) and answers with
1. the report's content as text (GET /entities/{uscc}/report), readable on every channel;
2. what the user needs to hand it over: report number, verification code, validity, how anyone verifies it
   (send “核验报告”) — everything a channel that cannot send files needs;
3. the ``custom`` document payload of the channel contract: a channel that can send files (Telegram:
   sendDocument) downloads the PDF from the backend with its own token; others ignore it.
"""

from __future__ import annotations

from typing import Any

from actions import texts
from actions.api_types import IssuedReportView
from actions.backend import CreditBackend
from actions.clock import local_time_text
from actions.forms_base import CreditFormValidation
from actions.query import EntityAnswerAction


class ValidateReportForm(CreditFormValidation):
    """Validates ``report_form`` (the entity question only)."""

    def name(self) -> str:
        return "validate_report_form"


def issued_text(issued: IssuedReportView) -> str:
    """The issued report in a few lines: number, code, time, validity and how to verify it."""
    return "\n".join(
        [
            f"已为「{issued['name']}」出具《公共信用信息报告》：",
            f"报告编号：{issued['report_no']}",
            f"核验码：{issued['code']}",
            f"出具时间：{local_time_text(issued['issued_at'])}",
            f"有效期：{issued['validity_label']}",
            texts.HOW_TO_VERIFY,
        ]
    )


def document_payload(issued: IssuedReportView) -> dict[str, Any]:
    """The ``custom`` payload of the channels' document contract (docs/telegram.md: Documents)."""
    return {
        "document": {
            "kind": "credit_report",
            "report_no": issued["report_no"],
            "code": issued["code"],
            "filename": f"信用报告-{issued['report_no']}.pdf",
            "caption": f"「{issued['name']}」公共信用信息报告（{issued['report_no']}）",
        }
    }


class ActionCreditReport(EntityAnswerAction):
    """Sends the credit report of the entity chosen in ``report_form`` (or named in the message)."""

    retry_hint = "您可以稍后再说一次“出信用报告”。"
    after = ""

    def name(self) -> str:
        return "action_credit_report"

    def answer(self, client: CreditBackend, uscc: str, viewer: str | None = None) -> list[str | dict[str, Any]]:
        content = str(client.report(uscc).get("text") or "") or "报告暂时没有内容。"
        issued = client.issue_report(uscc)
        return [content, issued_text(issued), {"json_message": document_payload(issued)}]
