"""The credit report (公共信用信息报告) as sections, and as text a chat can show."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.models import Entity
from credit_backend.rules.periods import format_cn_date
from credit_backend.rules.vocabulary import CATEGORIES
from credit_backend.services.entities import profile

# The report's sections in order, each with the record categories it shows (the vocabulary's).
SECTIONS: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("一、基本信息", None),
    *(
        (section, tuple(c.name for c in CATEGORIES if c.report_section == section))
        for section in dict.fromkeys(c.report_section for c in CATEGORIES)
    ),
)


def credit_report(session: Session, entity: Entity) -> dict[str, Any]:
    p = profile(session, entity, unmasked=False)
    today = clock.today()
    lines = [
        f"《公共信用信息报告》（{p['name']}）",
        f"报告日期：{format_cn_date(today)}，数据来源：信用中国（吉林市）",
        "",
    ]
    sections = []
    for title, categories in SECTIONS:
        if categories is None:
            body = [
                f"名称：{p['name']}",
                f"统一社会信用代码：{p['uscc']}",
                f"法定代表人/负责人：{p['legal_representative']}",
                f"主体类型：{p['entity_type']}；登记状态：{p['status']}",
                f"所在地区：{p['region_name'] or p['region_code']}",
            ]
            if p["evaluation"]:
                ev = p["evaluation"]
                body.append(f"公共信用综合评价：{ev['grade']}级（{ev['label']}）")
        else:
            body = []
            for category in categories:
                for r in p["latest_records"].get(category, []):
                    body.append(
                        f"[{category}] {r['title']}｜{r['document_no'] or '—'}｜{r['authority']}｜"
                        f"{format_cn_date(r['decision_date'])}｜{r['status_label']}"
                        + ("｜异议处理中" if r["under_objection"] else "")
                    )
                extra = p["record_counts"].get(category, 0) - len(p["latest_records"].get(category, []))
                if extra > 0:
                    body.append(f"[{category}] 另有{extra}条较早记录")
            if title.startswith("九"):
                # Verified 自愿注册 information (seed item 5: 可作为生成信用报告的重要依据) is neither a
                # record nor a list: the standard's 九、其他 (CREDIT_DOMAIN.md §3.1) holds it, as 自愿注册信息.
                body.extend(voluntary_lines(p["voluntary_info"]))
            if title.startswith("七") and p["evaluation"]:
                body.insert(0, f"{p['evaluation']['grade']}级：{p['evaluation']['inspection']}")
            if not body:
                body = ["暂无记录"]
        sections.append({"title": title, "lines": body})
        lines.append(title)
        lines.extend(f"  {line}" for line in body)
    lines.append("")
    lines.append("本报告内容仅供参考，以“信用中国（吉林市）”网站公示信息为准。")
    return {"uscc": p["uscc"], "name": p["name"], "generated_on": today, "sections": sections, "text": "\n".join(lines)}


def voluntary_lines(items: list[dict[str, Any]]) -> list[str]:
    """One report line per verified 自愿注册 item: category, its fields, the day it was verified."""
    return [
        f"[自愿注册信息·{v['category']}] "
        + "；".join(f"{f['label']}：{f['value']}" for f in v["fields"])
        + (f"｜{format_cn_date(v['verified_on'])}核验" if v["verified_on"] else "")
        for v in items
    ]
