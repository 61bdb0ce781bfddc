"""A small, explicit city for tests: each entity stands for one case the rules must handle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from credit_backend.models import CreditRecord, Entity, Evaluation
from credit_backend.rules.periods import add_months


@dataclass
class World:
    entities: dict[str, Entity] = field(default_factory=dict)
    records: dict[str, CreditRecord] = field(default_factory=dict)


def _entity(session: Session, uscc: str, name: str, short: str, phone: str, grade: str | None) -> Entity:
    e = Entity(
        uscc=uscc,
        name=name,
        short_name=short,
        entity_type="企业",
        region_code=uscc[2:8],
        legal_representative="王建国",
        legal_rep_id_number="220202198001011234",
        contact_phone=phone,
        address="吉林市昌邑区解放北路1号",
        established_on=date(2015, 3, 1),
    )
    session.add(e)
    if grade:
        session.add(Evaluation(entity=e, grade=grade, score=None, evaluated_on=date(2026, 6, 30)))
    return e


def _record(
    session: Session, e: Entity, category: str, title: str, decided: date, severity: str | None = None, **kw: object
) -> CreditRecord:
    r = CreditRecord(
        entity=e,
        category=category,
        title=title,
        document_no=kw.pop("document_no", "吉市监处罚〔2026〕1号"),
        authority=str(kw.pop("authority", "吉林市市场监督管理局")),
        decision_date=decided,
        severity=severity,
        **kw,
    )
    session.add(r)
    return r


def build_world(session: Session, today: date) -> World:
    w = World()
    jc = w.entities["jiangcheng"] = _entity(
        session, "91220202MA0Y3K7Q6L", "吉林市江城建材有限公司", "江城建材", "13943210001", "B"
    )
    w.records["repairable"] = _record(
        session,
        jc,
        "行政处罚",
        "未按规定设置危险废物识别标志",
        add_months(today, -5),
        "一般",
        obligations_fulfilled=True,
        publicity_end=add_months(today, 7),
        # Not the market regulator's: its records follow that regulator's own channel (CREDIT_DOMAIN.md 2.1).
        document_no="吉市环罚〔2026〕1号",
        authority="吉林市生态环境局",
    )
    w.records["licence"] = _record(
        session,
        jc,
        "行政许可",
        "建筑材料经营许可",
        date(2024, 5, 8),
        document_no="吉市审批〔2024〕88号",
        authority="吉林市政务服务和数字化局",
    )
    lw = w.entities["laowang"] = _entity(
        session, "92220204L5B2C8D11M", "船营区老王烧烤店", "老王烧烤", "13943210002", "C"
    )
    w.records["later"] = _record(
        session,
        lw,
        "行政处罚",
        "油烟直排",
        add_months(today, -1),
        "一般",
        obligations_fulfilled=True,
        authority="吉林市生态环境局",
    )
    qh = w.entities["qihang"] = _entity(
        session, "52220211MJ0A1B2C5E", "丰满区启航职业培训学校", "启航培训", "13943210003", "C"
    )
    w.records["barred"] = _record(
        session,
        qh,
        "行政处罚",
        "虚假宣传",
        add_months(today, -14),
        "严重",
        legally_non_repairable=True,
        obligations_fulfilled=True,
    )
    hp = w.entities["blacklisted"] = _entity(
        session, "N2220202MA0Y3K7Q64", "昌邑区桦皮厂村股份经济合作社", "桦皮厂合作社", "13943210004", "A"
    )
    w.records["serious_list"] = _record(
        session,
        hp,
        "严重失信主体名单",
        "拒不履行法定义务",
        add_months(today, -2),
        "严重",
        document_no="吉市发改失信〔2026〕3号",
        authority="吉林市发展和改革委员会",
    )
    rl = w.entities["redlist"] = _entity(
        session, "12220200012345671E", "吉林市公共资源交易中心", "交易中心", "13943210005", "A"
    )
    w.records["red"] = _record(
        session, rl, "守信激励", "纳税信用A级纳税人", date(2026, 4, 1), authority="国家税务总局吉林市税务局"
    )
    fs = w.entities["objecting"] = _entity(
        session, "93220221MA14XK2F29", "永吉县丰收农民专业合作社", "丰收合作社", "13943210006", "B"
    )
    # 轻微 is not published by default (令2025年第36号); the department published this one (published=True).
    w.records["objected"] = _record(
        session, fs, "行政处罚", "未按规定公示年报", add_months(today, -4), "轻微", published=True
    )
    session.commit()
    return w
