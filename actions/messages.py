"""Plain functions that turn backend answers into the Chinese text a user reads.

No Rasa imports here, so tests can call every builder directly.
"""

from __future__ import annotations

from typing import Any

from actions import clock
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE

MAX_LIST_ITEMS = 3


def _join(items: list[str], sep: str = "\n") -> str:
    return sep.join(item for item in items if item)


def _consequences_text(consequences: Any) -> str:
    """Render list consequences, which may be a string, a list or {title, measures}."""
    if not consequences:
        return ""
    if isinstance(consequences, str):
        return consequences
    if isinstance(consequences, dict):
        title = consequences.get("title") or ""
        measures = consequences.get("measures") or []
        body = "；".join(str(m) for m in measures)
        return f"{title}：{body}" if title and body else title or body
    if isinstance(consequences, list):
        return "；".join(_consequences_text(c) for c in consequences)
    return str(consequences)


def record_line(record: dict[str, Any]) -> str:
    """One record on one line: date, title, authority, document number and flags."""
    parts = [str(record.get("decision_date") or ""), str(record.get("title") or record.get("category") or "")]
    if record.get("authority"):
        parts.append(str(record["authority"]))
    if record.get("document_no"):
        parts.append(f"（{record['document_no']}）")
    flags = []
    if record.get("under_objection"):
        flags.append("异议处理中")
    if record.get("under_repair"):
        flags.append("信用修复中")
    line = " ".join(p for p in parts if p)
    return f"{line} 【{'、'.join(flags)}】" if flags else line


def record_button_title(record: dict[str, Any]) -> str:
    """Short label for a record button."""
    title = str(record.get("title") or record.get("category") or "记录")
    date = str(record.get("decision_date") or "")
    label = f"{date} {title}".strip()
    return label if len(label) <= 40 else label[:39] + "…"


def profile_text(profile: dict[str, Any]) -> str:
    """The answer to a credit query: identity, grade, records, lists, objections and repairs."""
    lines = [f"【{profile.get('name', '')}】", f"统一社会信用代码：{profile.get('uscc', '')}"]
    if profile.get("status"):
        lines.append(f"登记状态：{profile['status']}")
    evaluation = profile.get("evaluation")
    if evaluation:
        grade = evaluation.get("grade", "")
        label = evaluation.get("label", "")
        lines.append(f"信用评价：{grade} 类（{label}）" if label else f"信用评价：{grade} 类")
        if evaluation.get("supervision_class") or evaluation.get("inspection"):
            lines.append(
                "对检查的影响："
                + _join([evaluation.get("supervision_class") or "", evaluation.get("inspection") or ""], "，")
            )
    else:
        lines.append("信用评价：暂无评价结果")

    counts = profile.get("record_counts") or {}
    latest = profile.get("latest_records") or {}
    if counts:
        lines.append("")
        lines.append("信用记录：")
        for category, count in counts.items():
            lines.append(f"· {category}：{count} 条")
            for record in (latest.get(category) or [])[:MAX_LIST_ITEMS]:
                lines.append(f"    - {record_line(record)}")
    else:
        lines.append("信用记录：暂无公示的信用记录")

    lists = profile.get("lists") or []
    if lists:
        lines.append("")
        lines.append("名单情况：")
        for item in lists:
            period = f"（{item.get('since', '')} 起" + (f"，至 {item['until']}）" if item.get("until") else "）")
            lines.append(f"· {item.get('list_type', '')}{period}")
            consequences = _consequences_text(item.get("consequences"))
            if consequences:
                lines.append(f"  影响：{consequences}")
    else:
        lines.append("名单情况：未列入严重失信主体名单或重点关注名单")

    voluntary = profile.get("voluntary_info") or []
    if voluntary:  # verified 自愿注册 information only (吉市信用办发〔2020〕3号 第5项)
        lines.append("")
        lines.append("自愿注册信息（已核验）：")
        for item in voluntary[:MAX_LIST_ITEMS]:
            fields = item.get("fields") or []
            first = "，".join(f"{f.get('label', '')}：{f.get('value', '')}" for f in fields[:2])
            when = f"（{item['verified_on']} 核验）" if item.get("verified_on") else ""
            lines.append(f"· {item.get('category', '')}：{first}{when}")
        if len(voluntary) > MAX_LIST_ITEMS:
            lines.append(f"· 另有 {len(voluntary) - MAX_LIST_ITEMS} 条")

    for key, label in (("under_objection", "异议处理中的记录"), ("under_repair", "信用修复中的记录")):
        items = profile.get(key) or []
        if items:
            lines.append("")
            lines.append(f"{label}：")
            lines.extend(f"· {record_line(r)}" for r in items)
    return _join(lines)


def uscc_problem_text(check: dict[str, Any]) -> str:
    """Explain why a code failed the check, in the backend's own Chinese words."""
    messages = [str(e.get("message")) for e in check.get("errors") or [] if e.get("message")]
    if not messages:
        messages = ["格式校验未通过，请核对"]
    text = "您输入的统一社会信用代码有误：" + "；".join(messages) + "。"
    if check.get("suggestions"):
        text += "\n您要找的是不是下面这家？"
    return text


def entity_buttons(items: list[dict[str, Any]], limit: int = 5) -> list[dict[str, str]]:
    """Buttons that answer with an entity's code."""
    buttons = []
    for item in items[:limit]:
        uscc = item.get("uscc", "")
        name = item.get("name") or uscc
        buttons.append({"title": f"{name}（{uscc}）", "payload": f'/inform{{"uscc":"{uscc}"}}'})
    return buttons


def deadline_text(application: dict[str, Any]) -> str:
    """The deadline as the backend labels it, e.g. 2026年12月17日前（15个工作日）."""
    deadline = application.get("deadline") or {}
    label = deadline.get("label")
    if not label and deadline.get("due"):
        label = f"{deadline['due']}前（{deadline.get('working_days', '')}个工作日）"
        if deadline.get("deadline_unverified"):
            label += UNVERIFIED_NOTE
    if not label:
        return ""
    if deadline.get("provisional"):
        label += "（该日期涉及尚未公布的节假日安排，为暂定日期）"
    return label


APPLICATION_NO_LABEL = "申请编号："  # in the answer to a filing (submission_text), read back by filed_in_last_turn


def submission_text(application: dict[str, Any]) -> str:
    """The answer after a successful submission: number, status, deadline."""
    lines = [
        f"✅ {application.get('kind_label', '申请')}已提交！",
        f"{APPLICATION_NO_LABEL}{application.get('application_no', '')}",
        f"当前状态：{application.get('status_label', '已提交')}",
    ]
    deadline = deadline_text(application)
    if deadline:
        lines.append(f"办理时限：{deadline}")
    lines.append("请记下申请编号，随时可以问我“这个申请办得怎么样了”。")
    return _join(lines)


def application_text(application: dict[str, Any]) -> str:
    """Status of one application with its latest history entries."""
    lines = [
        f"{application.get('kind_label', '申请')} {application.get('application_no', '')}",
        f"主体：{application.get('entity_name', '')}",
        f"当前状态：{application.get('status_label', application.get('status', ''))}",
    ]
    deadline = deadline_text(application)
    if deadline:
        lines.append(f"办理时限：{deadline}")
    history = application.get("history") or []
    if history:
        lines.append("办理进度：")
        for step in history[-4:]:
            at = str(step.get("at") or "")[:10]
            note = f"（{step['note']}）" if step.get("note") else ""
            lines.append(f"· {at} {step.get('status_label', step.get('status', ''))}{note}")
    return _join(lines)


def application_button(application: dict[str, Any]) -> dict[str, str]:
    """A button that asks for one application's status."""
    number = application.get("application_no", "")
    title = f"{number} {application.get('kind_label', '')} · {application.get('status_label', '')}"
    return {"title": title.strip(), "payload": f'/check_application{{"application_id":"{number}"}}'}


def eligibility_text(eligibility: dict[str, Any]) -> str:
    """Why a record cannot be repaired yet, and from when it can."""
    lines = ["这条记录暂时还不能申请信用修复："]
    for reason in eligibility.get("reasons") or []:
        lines.append(f"· {reason.get('message', '')}")
    earliest = str(eligibility.get("earliest_date") or "")
    evaluated_on = str(eligibility.get("evaluated_on") or clock.today().isoformat())
    if earliest and earliest > evaluated_on:
        lines.append(f"最早可以申请的日期：{earliest}，届时欢迎再来办理。")
    return _join(lines)


def requirements_text(eligibility: dict[str, Any]) -> str:
    """What a repair application needs, from the eligibility answer."""
    items = eligibility.get("requirements") or []
    if not items:
        return ""
    return "申请信用修复需要满足：\n" + _join([f"· {item}" for item in items])


def numbered(items: list[str]) -> str:
    """1. … 2. … for commitment text items."""
    return _join([f"{i}. {item}" for i, item in enumerate(items, 1)])


def unavailable_text() -> str:
    """Apology when the backend is down or slow."""
    return "抱歉，信用服务系统暂时无法连接，请稍后再试。"
