"""Picking one of an entity's records (objection and repair forms)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.messages import record_button_title, record_line

MAX_BUTTONS = 10
INDEX = re.compile(r"^\s*第?\s*(\d{1,2})\s*[条个项]?\s*$")


def candidates_for(records: list[dict[str, Any]], purpose: str) -> list[dict[str, Any]]:
    """Records a user may pick: objection → not already disputed; repair → the backend says 信用修复 is the
    record's route (``repair_applies``) and no repair of it is open (eligibility is checked once picked)."""
    if purpose == "repair":
        picked = [r for r in records if r.get("repair_applies") and not r.get("under_repair")]
    else:
        picked = [r for r in records if not r.get("under_objection")]
    return [
        {
            "id": str(r.get("id")),
            "title": record_button_title(r),
            "line": record_line(r),
            "document_no": r.get("document_no") or "",
        }
        for r in picked
    ]


def pick_record(candidates: list[dict[str, Any]], answer: str) -> dict[str, Any] | None:
    """Match a reply (button id, list number or document number) to one candidate."""
    answer = str(answer or "").strip()
    for candidate in candidates:
        if answer == candidate["id"]:
            return candidate
    match = INDEX.match(answer)
    if match and 1 <= int(match.group(1)) <= len(candidates):
        return candidates[int(match.group(1)) - 1]
    for candidate in candidates:
        if candidate["document_no"] and candidate["document_no"] in answer:
            return candidate
    return None


class ActionAskRecordId(Action):
    """Lists the candidate records as buttons."""

    def name(self) -> str:
        return "action_ask_record_id"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        everything = tracker.get_slot("record_candidates") or []
        candidates = everything[:MAX_BUTTONS]
        purpose = "申请信用修复" if tracker.active_loop.get("name") == "repair_form" else "提出异议"
        lines = [f"{i}. {c['line']}" for i, c in enumerate(candidates, 1)]
        if len(everything) > len(candidates):
            lines.append(f"另有{len(everything) - len(candidates)}条较早的记录，可直接回复其决定书文号来选择。")
        dispatcher.utter_message(
            text=f"请选择要{purpose}的记录：\n" + "\n".join(lines),
            buttons=[
                {"title": f"{i}. {c['title']}", "payload": f'/inform{{"record_id":"{c["id"]}"}}'}
                for i, c in enumerate(candidates, 1)
            ],
        )
        return []
