"""Verified 自愿注册 information in the profile and the credit report.

吉市信用办发〔2020〕3号 第5项: 经验证的自愿注册信息可作为开展信用评价和生成信用报告的重要依据 — only what
staff verified shows; a registration still waiting (submitted) or rejected never does. The report keeps the
standard's sections (CREDIT_DOMAIN.md §3.1) and lists it under 九、其他 as 自愿注册信息.
"""

from __future__ import annotations

from tests.backend.api_helpers import API, JIANGCHENG, bind, decide, registration_body, submit
from tests.backend.conftest import ASSISTANT

SENDER = "tg:5012"

CONTRACT = {
    "contract_name": "松花江大桥维修材料供货合同",
    "counterparty": "吉林市城市建设集团",
    "contract_amount": "1200000",
    "performance": "已按期全部履行",
}
CHARITY = {"activity_name": "冬季送温暖捐赠", "activity_date": "2026-01-15", "organizer": "吉林市慈善总会"}
LICENSE_REJECTED = "D229999999"


def register(client, category: str, fields: dict[str, str]) -> str:
    r = submit(client, "registrations", registration_body(SENDER, category=category, fields=fields))
    assert r.status_code == 201, r.text
    return r.json()["application_no"]


def three_registrations(client) -> dict[str, str]:
    bind(client, SENDER, JIANGCHENG)
    verified = register(client, "合同履约", CONTRACT)
    assert decide(client, verified, "verify").status_code == 200
    pending = register(client, "社会公益", CHARITY)
    rejected_fields = {**registration_body(SENDER)["fields"], "license_no": LICENSE_REJECTED}
    rejected = register(client, "资质证照", rejected_fields)
    assert decide(client, rejected, "reject").status_code == 200
    return {"verified": verified, "pending": pending, "rejected": rejected}


def test_seed_item_5_only_verified_registration_in_profile(client, world):
    nos = three_registrations(client)
    info = client.get(f"{API}/entities/{JIANGCHENG}", headers=ASSISTANT).json()["voluntary_info"]
    assert info == [
        {
            "application_no": nos["verified"],
            "category": "合同履约",
            "fields": [
                {"label": "合同名称", "value": "松花江大桥维修材料供货合同"},
                {"label": "相对方", "value": "吉林市城市建设集团"},
                {"label": "合同金额", "value": "1200000"},
                {"label": "履约情况", "value": "已按期全部履行"},
            ],
            "verified_on": "2026-11-26",
        }
    ]


def test_seed_item_5_report_lists_verified_registration_under_other(client, world):
    """CREDIT_DOMAIN.md §3.1: the standard's sections stay; the information goes under 九、其他."""
    three_registrations(client)
    body = client.get(f"{API}/entities/{JIANGCHENG}/report", headers=ASSISTANT).json()
    other = {s["title"]: s["lines"] for s in body["sections"]}["九、其他"]
    line = (
        "[自愿注册信息·合同履约] 合同名称：松花江大桥维修材料供货合同；相对方：吉林市城市建设集团；"
        "合同金额：1200000；履约情况：已按期全部履行｜2026年11月26日核验"
    )
    assert line in other and "暂无记录" not in other
    text = body["text"]
    assert line in text
    assert "冬季送温暖捐赠" not in text and LICENSE_REJECTED not in text
    assert "社会公益" not in text


def test_seed_item_5_nothing_verified_nothing_shown(client, world):
    bind(client, SENDER, JIANGCHENG)
    register(client, "社会公益", CHARITY)
    assert client.get(f"{API}/entities/{JIANGCHENG}", headers=ASSISTANT).json()["voluntary_info"] == []
    body = client.get(f"{API}/entities/{JIANGCHENG}/report", headers=ASSISTANT).json()
    assert "自愿注册信息" not in body["text"]
