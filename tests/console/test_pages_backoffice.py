"""The back-office pages of the console (待办队列, 申请详情, 人工服务, 信用记录录入) against the real backend.

The backend app runs in-process on a migrated SQLite database; the console reaches it through an ASGI
transport and is driven with Starlette's TestClient, logged in as a real staff account (console session).
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from bot.console.app import create_app as create_console
from bot.console.casework import actor_label, content_disposition, deadline_mark, field_errors, page_numbers
from bot.console.security import SESSION_COOKIE
from bot.console.settings import ConsoleSettings
from credit_backend import db, migrate
from credit_backend.models import Application, ApplicationEvent, CreditRecord
from credit_backend.services.accounts import create_account
from credit_backend.settings import get_settings
from tests.backend.world import World, build_world

API = "/api/v1"
ASSISTANT = {"Authorization": "Bearer test-assistant"}
STAFF = {"Authorization": "Bearer test-staff"}
DEPARTMENT = "吉林市市场监督管理局"
PASSWORD = "Counter-Test-2026"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cf"
    "c0f01f0005000201a5f6b9c30000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n%%EOF\n"


@dataclass
class Stack:
    api: TestClient  # the backend, with role tokens
    web: TestClient  # the console, logged in as counter01
    world: World
    csrf: str

    def session(self):  # type: ignore[no-untyped-def]
        return db.get_sessionmaker()()


ENV_KEYS = ("CREDIT_DATABASE_URL", "CREDIT_ATTACHMENTS_DIR")


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    root = tmp_path_factory.mktemp("backoffice")
    os.environ["CREDIT_DATABASE_URL"] = f"sqlite:///{root / 'credit.db'}"
    os.environ["CREDIT_ATTACHMENTS_DIR"] = str(root / "attachments")
    caches = (get_settings, db.get_engine, db.get_sessionmaker)
    for cached in caches:
        cached.cache_clear()
    migrate.upgrade(db.get_engine())
    with db.get_sessionmaker()() as s:
        world = build_world(s, today=date(2026, 11, 26))
        for name, dept in (("counter01", DEPARTMENT), ("counter02", "吉林市生态环境局")):
            create_account(
                s,
                name=name,
                display_name=f"测试{name[-2:]}",
                role="staff",
                department=dept,
                password=PASSWORD,
                by_role="admin",
                by_actor="test",
            )
    from credit_backend.main import create_app as create_backend

    backend = create_backend()
    settings = ConsoleSettings(secret="test-console-secret", backend_url="http://backend.test")
    console = create_console(settings, backend_transport=httpx.ASGITransport(app=backend))
    try:
        with TestClient(backend) as api, TestClient(console, follow_redirects=False) as web:
            token = login(api, "counter01")
            web.cookies.set(SESSION_COOKIE, token)
            page = web.get("/queue")
            assert page.status_code == 200, page.text
            yield Stack(api, web, world, csrf_of(page.text))
    finally:
        db.get_engine().dispose()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for cached in caches:
            cached.cache_clear()


# -- helpers ---------------------------------------------------------------------------------------------


def login(api: TestClient, account: str) -> str:
    r = api.post(f"{API}/console/sessions", json={"account": account, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def queue_row(page: str, application_no: str) -> str:
    """The <tr> of an application in the queue table ('' if absent)."""
    found = re.search(rf'<tr[^>]*data-application-no="{re.escape(application_no)}".*?</tr>', page, re.S)
    return found.group(0) if found else ""


def bind(api: TestClient, sender: str, uscc: str) -> None:
    r = api.post(f"{API}/bindings/start", json={"sender_id": sender, "uscc": uscc}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    r = api.get(
        f"{API}/notifications", params={"channel": "sms", "include_delivered": True, "limit": 200}, headers=STAFF
    )
    codes = [n["payload"]["code"] for n in r.json()["items"] if n["kind"] == "otp" and n["payload"]["uscc"] == uscc]
    r = api.post(
        f"{API}/bindings/verify", json={"sender_id": sender, "uscc": uscc, "code": codes[-1]}, headers=ASSISTANT
    )
    assert r.status_code == 200, r.text


def file_application(api: TestClient, kind: str, body: dict[str, Any]) -> str:
    headers = {**ASSISTANT, "Idempotency-Key": uuid.uuid4().hex}
    r = api.post(f"{API}/applications/{kind}s", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["application_no"])


def objection(office: Stack, record: str, sender: str) -> str:
    rec = office.world.records[record]
    uscc = rec.entity.uscc
    bind(office.api, sender, uscc)
    body = {"sender_id": sender, "uscc": uscc, "record_id": rec.id, "reason": "处罚决定书中的违法事实与实际情况不符。"}
    return file_application(office.api, "objection", {**body, "requested_outcome": "更正"})


def set_due(office: Stack, application_no: str, due: date) -> None:
    with office.session() as s:
        s.execute(
            text("UPDATE applications SET due_on = :d WHERE application_no = :n"), {"d": due, "n": application_no}
        )
        s.commit()


def status_of(office: Stack, application_no: str) -> tuple[str, int]:
    """The stored status and the number of history steps."""
    with office.session() as s:
        app = s.scalar(select(Application).where(Application.application_no == application_no))
        assert app is not None
        steps = s.scalar(
            select(func.count()).select_from(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
        )
        return app.status, int(steps or 0)


def record_count(office: Stack) -> int:
    with office.session() as s:
        return int(s.scalar(select(func.count()).select_from(CreditRecord)) or 0)


# -- pure helpers ----------------------------------------------------------------------------------------


def test_marks_paging_and_labels() -> None:
    assert deadline_mark({"overdue": True, "due_soon": False})["text"] == "已超期"
    assert deadline_mark({"overdue": False, "due_soon": True})["text"] == "即将到期"
    assert deadline_mark({"overdue": False, "due_soon": False}) is None
    assert page_numbers(1, 1) == [1]
    assert page_numbers(6, 12) == [1, None, 4, 5, 6, 7, 8, None, 12]
    assert page_numbers(1, 0) == []
    assert actor_label("staff:counter01") == "工作人员 counter01"
    assert actor_label("tg:123") == "申请人（Telegram）"
    assert field_errors({"fields": [{"field": "body.uscc", "message": "无效"}]}) == {"uscc": "无效"}
    assert "filename*=UTF-8''%E8%AF%81%E6%98%8E.pdf" in content_disposition("inline", "证明.pdf")


# -- 待办队列 -------------------------------------------------------------------------------------------


def test_queue_marks_overdue_and_due_soon_rows_and_pages(office: Stack) -> None:
    late = objection(office, "objected", "tg:9101")
    soon = objection(office, "later", "tg:9102")
    set_due(office, late, date(2026, 11, 23))  # Monday: three working days before Thursday 26th
    set_due(office, soon, date(2026, 11, 27))  # Friday: one working day left
    bind(office.api, "tg:9103", office.world.entities["jiangcheng"].uscc)
    for n in range(52):
        body = {"sender_id": "tg:9103", "uscc": office.world.entities["jiangcheng"].uscc, "accepted": True}
        file_application(office.api, "commitment", {**body, "commitment_type": "审批替代型", "matter": f"测试事项{n}"})

    page = office.web.get("/queue")
    assert page.status_code == 200, page.text
    late_row, soon_row = queue_row(page.text, late), queue_row(page.text, soon)
    assert "row-overdue" in late_row and "已超期" in text_of(late_row)
    assert "已超期3个工作日" in text_of(late_row)
    assert "2026年11月23日" in text_of(late_row)
    assert "row-due-soon" in soon_row and "即将到期" in text_of(soon_row)
    assert "剩余1个工作日" in text_of(soon_row)
    assert f'href="/cases/{late}"' in late_row
    # Sorted by deadline: the overdue one first.
    assert page.text.index(late) < page.text.index(soon)
    total = re.search(r'id="queue-total"[^>]*>共 <strong>(\d+)</strong> 件', page.text)
    assert total and int(total.group(1)) >= 54
    assert "第 1 / 2 页" in page.text and 'id="pager-next"' in page.text

    second = office.web.get("/queue", params={"page": 2})
    assert second.status_code == 200
    assert "第 2 / 2 页" in second.text and late not in second.text and 'id="pager-prev"' in second.text

    only_late = office.web.get("/queue", params={"overdue": "1"})
    assert queue_row(only_late.text, late) and not queue_row(only_late.text, soon)
    assert re.search(r'id="filter-overdue"[^>]*checked', only_late.text)

    by_kind = office.web.get("/queue", params={"kind": "commitment"})
    assert not queue_row(by_kind.text, late) and "信用承诺" in by_kind.text
    first = re.search(r'data-application-no="(CN-[^"]+)"', by_kind.text)
    assert first
    commitment = text_of(office.web.get(f"/cases/{first.group(1)}").text)
    assert "承诺事项 测试事项0" in commitment and "确认履约" in commitment


def test_queue_refused_filter_is_explained(office: Stack) -> None:
    page = office.web.get("/queue", params={"status": "corrected"})  # a closed status: not in the queue
    assert page.status_code == 400
    assert "待办队列只列出尚未办结的申请" in text_of(page.text)


# -- 申请详情 -------------------------------------------------------------------------------------------


def test_case_shows_record_statements_and_evidence_inline(office: Stack) -> None:
    no = objection(office, "repairable", "tg:9201")
    for name, data, kind in (("现场照片.png", PNG, "image/png"), ("情况说明.pdf", PDF, "application/pdf")):
        r = office.api.post(
            f"{API}/applications/{no}/attachments",
            files={"file": (name, data, kind)},
            data={"sender_id": "tg:9201"},
            headers=ASSISTANT,
        )
        assert r.status_code == 201, r.text
    page = office.web.get(f"/cases/{no}")
    assert page.status_code == 200, page.text
    shown = text_of(page.text)
    assert "吉市环罚〔2026〕1号" in shown and "吉林市生态环境局" in shown  # the record concerned
    assert "处罚决定书中的违法事实与实际情况不符" in shown  # the business's statement
    assert "公示期" in shown
    images = re.findall(r'<img src="(/cases/[^"]+)" alt="证明材料图片：现场照片.png"', page.text)
    assert len(images) == 1
    pdf = re.search(r'<object class="evidence-pdf" data="(/cases/[^"]+)" type="application/pdf"', page.text)
    assert pdf
    image = office.web.get(images[0])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png" and image.content == PNG
    assert image.headers["content-disposition"].startswith("inline")
    document = office.web.get(pdf.group(1))
    assert document.headers["content-type"] == "application/pdf" and document.content == PDF
    download = office.web.get(pdf.group(1), params={"download": "1"})
    assert download.headers["content-disposition"].startswith("attachment")
    # Only what the state machine allows now, each with its Chinese label.
    assert re.findall(r'name="action" id="decision-([a-z_]+)"', page.text) == ["accept", "reject_incomplete"]
    assert 'name="expected_status" value="submitted"' in page.text


def test_case_shows_the_in_person_identity_check(office: Stack) -> None:
    no = objection(office, "red", "tg:9251")
    with office.session() as s:
        app = s.scalar(select(Application).where(Application.application_no == no))
        assert app is not None
        app.identity_check = {
            "method": "in_person",
            "document_type": "居民身份证",
            "id_last4": "123X",
            "authorization_letter": True,
            "staff_account": "counter01",
            "checked_at": "2026-11-26T02:30:00+00:00",
        }
        s.commit()
    shown = text_of(office.web.get(f"/cases/{no}").text)
    assert "在服务窗口现场办理" in shown and "居民身份证" in shown and "123X" in shown
    assert "授权委托书 已提供" in shown and "2026年11月26日 10:30" in shown


def test_unknown_case_is_a_chinese_not_found_page(office: Stack) -> None:
    r = office.web.get("/cases/YY-20261126-9999")
    assert r.status_code == 404
    assert "没有找到申请编号 YY-20261126-9999 的申请" in text_of(r.text)


def test_decision_needs_a_reason(office: Stack) -> None:
    no = objection(office, "barred", "tg:9301")
    before = status_of(office, no)
    r = office.web.post(
        f"/cases/{no}/decision",
        data={"csrf_token": office.csrf, "action": "accept", "note": "   ", "expected_status": "submitted"},
    )
    assert r.status_code == 400
    assert "请填写处理意见" in text_of(r.text)
    assert 'id="note-error"' in r.text and 'aria-invalid="true"' in r.text
    assert re.search(r'id="decision-accept" value="accept" required checked', r.text)  # the choice is kept
    assert status_of(office, no) == before


def test_decision_without_csrf_token_changes_nothing(office: Stack) -> None:
    no = objection(office, "serious_list", "tg:9401")
    before = status_of(office, no)
    r = office.web.post(
        f"/cases/{no}/decision", data={"action": "accept", "note": "受理", "expected_status": "submitted"}
    )
    assert r.status_code == 403
    assert "请求已失效，请刷新页面后重试" in r.text
    assert status_of(office, no) == before


def test_decision_saved_then_a_stale_one_is_refused(office: Stack) -> None:
    no = objection(office, "licence", "tg:9501")
    form = {
        "csrf_token": office.csrf,
        "action": "accept",
        "note": "材料齐全，予以受理。",
        "expected_status": "submitted",
    }
    first = office.web.post(f"/cases/{no}/decision", data=form)
    assert first.status_code == 303, first.text
    done = office.web.get(first.headers["location"])
    assert "决定已保存，申请当前状态：核查中" in text_of(done.text)
    assert "通知申请人" in text_of(done.text)
    saved = status_of(office, no)
    assert saved[0] == "under_verification"

    # A second reviewer's page still showed 已提交: the backend refuses, nothing changes.
    second = office.web.post(f"/cases/{no}/decision", data={**form, "action": "reject_incomplete", "note": "材料不全"})
    assert second.status_code == 409
    shown = text_of(second.text)
    assert "该申请已由其他工作人员处理" in shown
    assert "当前状态：核查中" in shown
    assert status_of(office, no) == saved
    # The form now offers what the current state allows, against that state.
    assert 'name="expected_status" value="under_verification"' in second.text
    assert re.findall(r'name="action" id="decision-([a-z_]+)"', second.text) == ["correct", "withdraw_record", "uphold"]


# -- 人工服务 -------------------------------------------------------------------------------------------


def test_handoff_claim_reply_poll_and_close(office: Stack) -> None:
    body = {
        "sender_id": "tg:9601",
        "summary": "用户要求人工服务",
        "uscc": office.world.entities["jiangcheng"].uscc,
        "transcript": [{"role": "user", "text": "我要找人工"}, {"role": "bot", "text": "正在为您转接人工服务。"}],
    }
    r = office.api.post(f"{API}/handoffs", json=body, headers=ASSISTANT)
    assert r.status_code == 201, r.text
    hid = r.json()["id"]

    inbox = office.web.get("/handoffs")
    assert inbox.status_code == 200 and f'href="/handoffs/{hid}"' in inbox.text
    page = office.web.get(f"/handoffs/{hid}")
    assert "我要找人工" in page.text and 'id="handoff-claim"' in page.text

    claimed = office.web.post(f"/handoffs/{hid}/claim", data={"csrf_token": office.csrf})
    assert claimed.status_code == 303, claimed.text
    page = office.web.get(claimed.headers["location"])
    assert 'id="reply-form"' in page.text and "已接入该会话" in text_of(page.text)
    assert f'href="/handoffs/{hid}"' in office.web.get("/handoffs", params={"tab": "claimed"}).text

    empty = office.web.post(f"/handoffs/{hid}/reply", data={"csrf_token": office.csrf, "text": " "})
    assert empty.status_code == 400 and "请输入回复内容" in text_of(empty.text)
    sent = office.web.post(
        f"/handoffs/{hid}/reply", data={"csrf_token": office.csrf, "text": "您好，我是窗口工作人员。"}
    )
    assert sent.status_code == 303, sent.text

    last = int(re.search(r'data-last-id="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    fresh = office.web.get(f"/handoffs/{hid}/messages", params={"after": last}).json()
    assert fresh["status"] == "claimed"
    assert [m["text"] for m in fresh["messages"] if m["role"] == "staff"] == ["您好，我是窗口工作人员。"]

    closed = office.web.post(f"/handoffs/{hid}/close", data={"csrf_token": office.csrf})
    assert closed.status_code == 303
    page = office.web.get(f"/handoffs/{hid}")
    assert 'id="handoff-closed"' in page.text and 'id="reply-form"' not in page.text


# -- 信用记录录入 ---------------------------------------------------------------------------------------


def test_record_form_shows_field_errors_and_keeps_values(office: Stack) -> None:
    form = office.web.get("/records/new")
    assert f'name="authority" value="{DEPARTMENT}"' in form.text  # the staff member's department by default
    before = record_count(office)
    values = {
        "csrf_token": office.csrf,
        "uscc": office.world.entities["laowang"].uscc,
        "record_type": "行政处罚",
        "decision_no": "",
        "decided_on": "2026-11-20",
        "authority": DEPARTMENT,
        "severity": "一般",
        "legal_basis": "《中华人民共和国食品安全法》第一百二十六条",
        "content": "未按规定查验进货凭证，罚款五千元。",
    }
    bad = office.web.post("/records/new", data=values)
    assert bad.status_code == 400
    assert 'id="decision_no-error"' in bad.text
    assert "未按规定查验进货凭证，罚款五千元。</textarea>" in bad.text
    assert re.search(r'id="record-severity"[^>]*>.*?<option value="一般" selected>', bad.text, re.S)
    assert record_count(office) == before

    good = office.web.post("/records/new", data={**values, "decision_no": "吉市监处罚〔2026〕901号"})
    assert good.status_code == 201, good.text
    shown = text_of(good.text)
    assert "吉市监处罚〔2026〕901号" in shown and "公示" in shown
    assert f'href="/counter?uscc={values["uscc"]}"' in good.text
    assert record_count(office) == before + 1


def test_import_with_a_bad_row_imports_nothing_and_names_it(office: Stack) -> None:
    template = office.web.get("/records/import-template.csv")
    assert template.status_code == 200
    header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert "、".join(header) in text_of(office.web.get("/records/import").text)  # the layout, on the page
    rows = [
        {
            "统一社会信用代码": office.world.entities["qihang"].uscc,
            "信息类别": "行政处罚",
            "决定文书号": "吉市监处罚〔2026〕950号",
            "决定日期": "2026-11-02",
            "决定机关": DEPARTMENT,
            "失信程度": "一般",
            "依据": "《中华人民共和国广告法》第五十五条",
            "内容": "发布虚假广告，罚款一万元。",
        },
        {
            "统一社会信用代码": office.world.entities["qihang"].uscc,
            "信息类别": "行政处罚",
            "决定文书号": "吉市监处罚〔2026〕951号",
            "决定日期": "2026-13-45",
            "决定机关": DEPARTMENT,
            "失信程度": "一般",
            "依据": "《中华人民共和国广告法》第五十五条",
            "内容": "发布虚假广告，罚款一万元。",
        },
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    before = record_count(office)
    r = office.web.post(
        "/records/import",
        data={"csrf_token": office.csrf},
        files={"file": ("records.csv", out.getvalue().encode("utf-8"), "text/csv")},
    )
    assert r.status_code == 400, r.text
    shown = text_of(r.text)
    assert "未导入任何记录" in shown
    table = re.search(r'<table class="import-errors".*?</table>', r.text, re.S)
    assert table
    assert re.search(r"第3行 决定日期 .*2026-13-45", text_of(table.group(0)))
    assert record_count(office) == before

    wrong = office.web.post(
        "/records/import", data={"csrf_token": office.csrf}, files={"file": ("records.txt", b"x", "text/plain")}
    )
    assert wrong.status_code == 400 and "只能导入 .csv 或 .xlsx 文件" in text_of(wrong.text)
