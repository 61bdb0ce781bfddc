"""The console app in process against the real backend app (SQLite/PostgreSQL as the backend suite): log-in,
cookie flags, CSRF, roles, session expiry, the counter chat (signed for Rasa's trusted channel) and the entity
panel, the admin pages and the Chinese date filters. Browser scenarios are in test_browser_*.py."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.console.app import create_app
from bot.console.entity import find_uscc
from bot.console.security import csrf_for
from bot.console.settings import ConsoleSettings
from bot.console.templating import cn_date, cn_datetime, cn_weekday, workdays_left
from bot.signing import verify
from credit_backend.services import accounts
from tests.backend.conftest import database_url, engine, session, world  # noqa: F401 - pytest fixtures
from tests.backend.world import World

SECRET = "console-test-secret"
STAFF_SECRET = "staff-channel-secret"
PASSWORD = "Counter-Pass-2026"
DEPARTMENT = "吉林市发展和改革委员会（市信用中心）"
CSRF_REFUSED = "请求已失效，请刷新页面后重试"


class FakeRasa:
    """Rasa's trusted channel as the console sees it: checks the signature like assistant_core/channels.py."""

    def __init__(self) -> None:
        self.received: list[dict[str, object]] = []
        self.app = Starlette(routes=[Route("/webhooks/trusted/webhook", self.webhook, methods=["POST"])])

    async def webhook(self, request: Request) -> JSONResponse:
        body = await request.body()
        h = request.headers
        if not verify(STAFF_SECRET, h["X-Channel"], int(h["X-Timestamp"]), body, h["X-Signature"], time.time()):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        data = json.loads(body)
        self.received.append({"channel": h["X-Channel"], **data})
        return JSONResponse(
            [
                {"recipient_id": data["user"], "text": "已找到吉林市江城建材有限公司（91220202MA0Y3K7Q6L）。"},
                {
                    "recipient_id": data["user"],
                    "text": "需要办理什么？",
                    "buttons": [{"title": "查询记录", "payload": "/query_credit"}],
                },
            ]
        )


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def people(session: Session) -> dict[str, str]:  # noqa: F811 - the backend suite's fixture
    """A staff and an admin account (password PASSWORD)."""
    for name, role in (("counter07", "staff"), ("admin07", "admin")):
        accounts.create_account(
            session,
            name=name,
            display_name="李晓梅" if role == "staff" else "赵管理",
            role=role,
            department=DEPARTMENT,
            password=PASSWORD,
            by_role="admin",
            by_actor="admin",
        )
    session.commit()
    return {"staff": "counter07", "admin": "admin07"}


@pytest.fixture
def console(engine, rasa: FakeRasa, people: dict[str, str]) -> Iterator[TestClient]:  # noqa: F811
    from credit_backend.main import create_app as backend_app

    settings = ConsoleSettings(secret=SECRET, staff_channel_secret=STAFF_SECRET, backend_url="http://backend")
    app = create_app(
        settings,
        backend_transport=httpx.ASGITransport(app=backend_app()),
        rasa_transport=httpx.ASGITransport(app=rasa.app),
    )
    with TestClient(app, base_url="http://console.test") as client:
        yield client


def set_cookies(resp: httpx.Response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie header of ``resp`` by cookie name."""
    cookies = {}
    for header in resp.headers.get_list("set-cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        cookies.update({name: parsed for name in parsed})
    return cookies


def hidden_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client: TestClient, account: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"account": account, "password": password, "csrf_token": hidden_csrf(page.text), "next": "/counter"},
        follow_redirects=False,
    )


def page_csrf(client: TestClient) -> str:
    return hidden_csrf(client.get("/counter").text)


def test_login_sets_a_strict_httponly_session_cookie_and_shows_who(console: TestClient) -> None:
    resp = log_in(console, "counter07")
    assert resp.status_code == 303 and resp.headers["location"] == "/counter"
    cookie = set_cookies(resp)["console_session"]["console_session"]
    assert cookie["httponly"] is True and cookie["samesite"].lower() == "strict" and not cookie["secure"]
    assert cookie["path"] == "/"
    page = console.get("/counter")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text and "<title>柜台助手 - " in page.text
    assert "李晓梅" in page.text and "工作人员" in page.text and DEPARTMENT in page.text
    # Staff do not see the admin pages in the navigation.
    assert "柜台助手" in page.text and "待办队列" in page.text and "账号管理" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    again = console.get("/login?next=/queue", follow_redirects=False)  # already logged in: straight on
    assert again.status_code == 303 and again.headers["location"] == "/queue"


def test_secure_flag_when_configured(engine, people: dict[str, str]) -> None:  # noqa: F811
    from credit_backend.main import create_app as backend_app

    settings = ConsoleSettings(secret=SECRET, cookie_secure=True, backend_url="http://backend")
    app = create_app(settings, backend_transport=httpx.ASGITransport(app=backend_app()))
    with TestClient(app, base_url="https://console.test") as client:
        resp = log_in(client, "counter07")
    assert set_cookies(resp)["console_session"]["console_session"]["secure"] is True


def test_wrong_password_names_the_attempts_left_in_chinese(console: TestClient) -> None:
    resp = log_in(console, "counter07", "wrong-password-1")
    assert resp.status_code == 401
    assert "账号或密码错误" in resp.text and "4次" in resp.text
    assert "console_session" not in set_cookies(resp)
    assert 'value="counter07"' in resp.text  # the account name stays filled in


def test_five_wrong_passwords_lock_the_account(console: TestClient) -> None:
    for _ in range(5):
        resp = log_in(console, "counter07", "wrong-password-1")
    assert resp.status_code == 423
    assert "锁定" in resp.text
    assert log_in(console, "counter07").status_code == 423  # even the right password while locked


def test_login_without_the_double_submit_token_is_refused(console: TestClient) -> None:
    console.get("/login")
    resp = console.post(
        "/login", data={"account": "counter07", "password": PASSWORD, "csrf_token": "forged"}, follow_redirects=False
    )
    assert resp.status_code == 403 and CSRF_REFUSED in resp.text
    assert "console_session" not in set_cookies(resp)


def test_post_without_csrf_token_changes_nothing(console: TestClient) -> None:
    log_in(console, "counter07")
    resp = console.post("/logout", data={}, follow_redirects=False)
    assert resp.status_code == 403 and CSRF_REFUSED in resp.text
    assert console.get("/counter", follow_redirects=False).status_code == 200  # still logged in
    wrong = console.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert wrong.status_code == 403


def test_logout_ends_the_backend_session(console: TestClient) -> None:
    log_in(console, "counter07")
    token = console.cookies.get("console_session")
    assert hidden_csrf(console.get("/counter").text) == csrf_for(SECRET, token)
    resp = console.post("/logout", data={"csrf_token": page_csrf(console)}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    assert set_cookies(resp)["console_session"]["console_session"]["max-age"] == "0"
    console.cookies.set("console_session", token)  # replaying the old cookie does not help
    again = console.get("/counter", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login?next=/counter")


def test_expired_session_goes_back_to_login_with_a_message(console: TestClient) -> None:
    console.cookies.set("console_session", "no-such-session")
    resp = console.get("/admin/audit?actor=x", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=/admin/audit%3Factor%3Dx&reason=expired"
    assert set_cookies(resp)["console_session"]["console_session"]["max-age"] == "0"
    login = console.get(resp.headers["location"])
    assert "登录已过期，请重新登录" in login.text
    assert 'name="next" value="/admin/audit?actor=x"' in login.text


def test_not_logged_in_redirects_to_login(console: TestClient) -> None:
    resp = console.get("/counter?uscc=91220202MA0Y3K7Q6L", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=/counter%3Fuscc%3D91220202MA0Y3K7Q6L"


def test_login_never_redirects_to_another_site(console: TestClient) -> None:
    page = console.get("/login")
    resp = console.post(
        "/login",
        data={
            "account": "counter07",
            "password": PASSWORD,
            "csrf_token": hidden_csrf(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert resp.headers["location"] == "/counter"


@pytest.mark.parametrize("path", ["/admin/accounts", "/admin/outbox", "/admin/audit", "/admin/audit.csv"])
def test_admin_pages_are_forbidden_for_staff(console: TestClient, path: str) -> None:
    log_in(console, "counter07")
    resp = console.get(path)
    assert resp.status_code == 403
    assert "只有系统管理员可以使用此页面" in resp.text


def test_admin_creates_disables_and_enables_an_account(console: TestClient) -> None:
    log_in(console, "admin07")
    page = console.get("/admin/accounts")
    assert page.status_code == 200 and "<caption>" in page.text and 'scope="col"' in page.text
    assert "账号管理" in page.text and "审计日志" in page.text  # admin navigation
    csrf = hidden_csrf(page.text)
    forged = {"name": "counter08", "display_name": "伪造", "role": "admin", "department": DEPARTMENT}
    refused = console.post(
        "/admin/accounts", data={**forged, "password": "Forged-Pass-99", "password_again": "Forged-Pass-99"}
    )
    assert refused.status_code == 403 and CSRF_REFUSED in refused.text
    assert 'id="account-counter08"' not in console.get("/admin/accounts").text
    form = {
        "csrf_token": csrf,
        "name": "counter09",
        "display_name": "王小明",
        "role": "staff",
        "department": DEPARTMENT,
    }
    short = console.post("/admin/accounts", data={**form, "password": "short", "password_again": "short"})
    assert short.status_code == 400 and "账号未创建" in short.text and 'value="王小明"' in short.text
    made = console.post(
        "/admin/accounts", data={**form, "password": "Another-Pass-77", "password_again": "Another-Pass-77"}
    )
    assert made.status_code == 200 and "已创建账号 counter09" in made.text and 'id="account-counter09"' in made.text
    off = console.post("/admin/accounts/counter09/disable", data={"csrf_token": csrf})
    assert "已停用账号 counter09" in off.text
    assert (
        log_in(TestClient(console.app, base_url="http://console.test"), "counter09", "Another-Pass-77").status_code
        == 401
    )
    on = console.post("/admin/accounts/counter09/enable", data={"csrf_token": csrf})
    assert "已启用账号 counter09" in on.text


def test_admin_audit_filters_and_csv(console: TestClient) -> None:
    log_in(console, "counter07", "wrong-password-1")
    log_in(console, "admin07")
    page = console.get("/admin/audit?actor=staff:counter07")
    assert page.status_code == 200
    assert "console_login_failed" in page.text and 'value="staff:counter07"' in page.text
    assert 'href="/admin/audit.csv?actor=staff%3Acounter07"' in page.text
    csv = console.get("/admin/audit.csv?actor=staff:counter07")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf") and "attachment" in csv.headers["content-disposition"]
    bad = console.get("/admin/audit?date_from=2026-11-29&date_to=2026-11-01")
    assert bad.status_code == 400 and "起始日期不能晚于截止日期" in bad.text


def test_admin_outbox_shows_a_waiting_code(console: TestClient, session: Session, world: World) -> None:  # noqa: F811
    from credit_backend.services import bindings

    bindings.start(session, "tg:4242", "91220202MA0Y3K7Q6L", "assistant")
    session.commit()
    log_in(console, "admin07")
    page = console.get("/admin/outbox")
    assert page.status_code == 200 and "<caption>待发送的验证码（1条" in page.text
    assert "吉林市江城建材有限公司" in page.text and "13943210001" in page.text and "tg:4242" in page.text
    assert re.search(r'data-testid="otp-code">\d{6}<', page.text)


def test_counter_chat_is_signed_as_the_staff_account(console: TestClient, rasa: FakeRasa, world: World) -> None:  # noqa: F811
    log_in(console, "counter07")
    csrf = page_csrf(console)
    resp = console.post(
        "/counter/message",
        data={"message": "查一下江城建材", "uscc": ""},
        headers={"Accept": "application/json", "X-CSRF-Token": csrf},
    )
    assert resp.status_code == 200
    body = resp.json()
    assert rasa.received == [
        {
            "channel": "staff",
            "user": "counter07",
            "message": "查一下江城建材",
            "metadata": {"channel": "console", "display_name": "李晓梅", "department": DEPARTMENT},
        }
    ]
    assert body["sent"]["text"] == "查一下江城建材"
    assert body["messages"][1]["buttons"] == [{"title": "查询记录", "payload": "/query_credit"}]
    assert body["uscc"] == "91220202MA0Y3K7Q6L"  # the panel follows the entity the answer names
    refused = console.post("/counter/message", data={"message": "x"}, headers={"Accept": "application/json"})
    assert refused.status_code == 403 and len(rasa.received) == 1


def test_counter_chat_without_javascript(console: TestClient, rasa: FakeRasa, world: World) -> None:  # noqa: F811
    log_in(console, "counter07")
    csrf = page_csrf(console)
    first = console.post("/counter/message", data={"csrf_token": csrf, "message": "你好", "history": "[]"})
    assert first.status_code == 200 and "需要办理什么？" in first.text
    assert 'name="choice" value="/query_credit"' in first.text
    assert 'id="entity-contact" data-testid="entity-contact">13943210001<' in first.text  # followed, unmasked
    history = re.search(r'id="chat-history" value="([^"]*)"', first.text).group(1).replace("&#34;", '"')
    second = console.post("/counter/message", data={"csrf_token": csrf, "choice": "/query_credit", "history": history})
    assert rasa.received[-1]["message"] == "/query_credit"
    log_items = re.findall(r'<div class="msg msg-user">([^<]*)</div>', second.text)
    assert log_items == ["你好", "查询记录"]  # the click shows the button's title, the history is kept


def test_entity_panel_shows_records_eligibility_and_unmasked_contact(
    console: TestClient,
    session: Session,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    from credit_backend.schemas import BindingInPerson
    from credit_backend.services import bindings

    check = {"document_type": "居民身份证", "id_last4": "123X", "authorization_letter": True}
    bindings.in_person(
        session, BindingInPerson(sender_id="staff:counter07", uscc="91220202MA0Y3K7Q6L", **check), "staff"
    )
    session.commit()
    log_in(console, "counter07")
    page = console.get("/counter/entity?uscc=91220202MA0Y3K7Q6L")
    assert page.status_code == 200
    assert "吉林市江城建材有限公司" in page.text and "13943210001" in page.text
    assert "未按规定设置危险废物识别标志" in page.text and ("可申请修复" in page.text or "暂不可修复" in page.text)
    assert "<caption>信用记录" in page.text and "<caption>申请" in page.text and "<caption>身份绑定（1个）" in page.text
    assert "staff:counter07" in page.text and "居民身份证，尾号123X，持有授权委托书" in page.text
    fragment = console.get("/counter/entity?q=江城建材&fragment=1")
    assert fragment.text.lstrip().startswith('<h2 id="entity-title">') and "13943210001" in fragment.text
    missing = console.get("/counter/entity?q=91220202MA0Y3K7Q6X")
    assert "校验位不符" in missing.text  # the backend's Chinese explanation
    nothing = console.get("/counter/entity?q=不存在的公司")
    assert "没有找到名称或代码包含“不存在的公司”的主体" in nothing.text


def test_error_pages_are_in_chinese(console: TestClient) -> None:
    resp = console.get("/no-such-page")
    assert resp.status_code == 404 and "页面不存在" in resp.text and 'lang="zh-CN"' in resp.text


def test_backend_unavailable_page(people: dict[str, str]) -> None:
    settings = ConsoleSettings(secret=SECRET, backend_url="http://127.0.0.1:9")
    with TestClient(create_app(settings), base_url="http://console.test") as client:
        page = client.get("/login")
        resp = client.post(
            "/login", data={"account": "counter07", "password": PASSWORD, "csrf_token": hidden_csrf(page.text)}
        )
        assert resp.status_code == 503 and "后台服务暂时无法访问" in resp.text
        client.cookies.set("console_session", "whatever")
        assert "后台服务暂时无法访问" in client.get("/counter").text
        # Logging out still drops the cookie when the backend is down.
        out = client.post("/logout", data={"csrf_token": csrf_for(SECRET, "whatever")}, follow_redirects=False)
        assert out.status_code == 303 and set_cookies(out)["console_session"]["console_session"]["max-age"] == "0"


def test_chinese_date_filters() -> None:
    assert cn_date("2026-11-29") == "2026年11月29日"
    assert cn_date("2026-03-05T17:00:00Z") == "2026年3月6日"  # 01:00 the next day in Beijing
    assert cn_datetime("2026-11-29T01:05:00+00:00") == "2026年11月29日 09:05"
    assert cn_datetime("2026-11-29T01:05:00") == "2026年11月29日 09:05"  # naive = UTC
    assert cn_weekday("2026-11-29") == "星期日"
    assert cn_date(None) == "—"
    assert workdays_left(2) == "剩余2个工作日" and workdays_left(-3) == "已超期3个工作日"


def test_the_panel_follows_the_entity_code_not_an_id_number_in_the_answer() -> None:
    """An unmasked answer names the legal representative's 18-digit ID number after the entity's code; the
    panel must stay on the entity (the typed code first, and only codes with a valid check character)."""
    answer = "【吉林市江城建材有限公司】91220202MA0Y3K7Q6L\n法定代表人：王建国（身份证号码 220202197503120116）"
    assert find_uscc("帮我查一下91220202MA0Y3K7Q6L", answer) == "91220202MA0Y3K7Q6L"
    assert find_uscc("查一下江城建材", answer) == "91220202MA0Y3K7Q6L"
    assert find_uscc("你好", "您好！请问要办理什么业务？") is None
