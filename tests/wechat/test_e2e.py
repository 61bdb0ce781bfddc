"""The full end-to-end test: WeChat (the fake platform) → channel → Rasa + action server → backend.

Needs the trained model in models/ and .venv-rasa (``make train``); without them it FAILS with the reason, it does
not skip. Selected by the ``rasa_e2e`` marker (``make test-wechat-rasa``).

A user subscribes and is greeted, picks a choice of the greeting, clicks 查信用 in the custom menu, gives the
code, sends a PDF for their objection, and is notified when staff decide it. Whether an answer comes as the passive
reply or through the customer-service API depends on how fast the assistant is: the driver reads both.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.credit_backend import JIANGCHENG, ChannelBackend
from tests.support.processes import wait_until
from tests.support.rasa_stack import rasa_stack, redis_db
from tests.wechat.fake_wechat import FakeWeChatAPI, WeChatServerSide
from tests.wechat.harness import ASSISTANT_TOKEN, REDIS_DB, SERVER_TOKEN, WX_SECRET, WeChatChannel

pytestmark = pytest.mark.rasa_e2e

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture(scope="module")
def rasa_url(backend: ChannelBackend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    secrets_env = {"ASSISTANT_CHANNEL_SECRET_WX": WX_SECRET}
    with rasa_stack(tmp_path_factory.mktemp("rasa"), backend.url, ASSISTANT_TOKEN, secrets_env, str(REDIS_DB)) as url:
        yield url


@pytest.fixture
def rasa_channel(
    tmp_path: Path, wechat_api: FakeWeChatAPI, backend: ChannelBackend, rasa_url: str
) -> Iterator[WeChatChannel]:
    c = WeChatChannel(tmp_path, wechat_api.url, rasa_url, backend.url).start()
    yield c
    c.stop()
    print(f"--- channel log ---\n{c.log()[-4000:]}")


class User:
    """A WeChat user: what they were shown, passive replies and customer-service messages in order."""

    def __init__(self, channel: WeChatChannel, api: FakeWeChatAPI) -> None:
        self.openid = "o" + secrets.token_hex(13)
        self.wx = WeChatServerSide(channel.urls, SERVER_TOKEN)
        self.api = api
        self.passive: list[str] = []
        self.clock = int(time.time())

    def seen(self) -> list[str]:
        return self.passive + self.api.texts_to(self.openid)

    def send(self, msg_type: str, **fields: str) -> None:
        self.clock += 1  # events are told apart by their CreateTime
        resp = self.wx.post(self.wx.xml(self.openid, msg_type, create_time=self.clock, **fields), timeout=30)
        reply = self.wx.reply_of(resp)
        if reply:
            self.passive.append(reply["Content"])

    def wait_for(self, words: str, after: int, timeout: float = 120) -> str:
        def found() -> str | None:
            return next((t for t in self.seen()[after:] if words in t), None)

        try:
            return str(wait_until(found, timeout, f"an answer with {words!r}"))
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the user saw: {self.seen()[after:]}") from None


def test_full_conversation_on_wechat(
    wechat_api: FakeWeChatAPI, backend: ChannelBackend, rasa_channel: WeChatChannel
) -> None:
    user = User(rasa_channel, wechat_api)
    sender = f"wx:{user.openid}"

    user.send("event", Event="subscribe")
    greeting = user.wait_for("信用服务助手", 0)
    assert "查询信用状况" in greeting and "我能办什么" in greeting, greeting

    # The greeting's choice 我能办什么: by its number in a passive reply, by a click on the menu message otherwise.
    seen = len(user.seen())
    menus = [m for m in wechat_api.custom_to(user.openid) if m["msgtype"] == "msgmenu"]
    if menus:
        option = next(i for i in menus[-1]["msgmenu"]["list"] if i["content"] == "我能办什么")
        user.send("text", Content="我能办什么", bizmsgmenuid=option["id"])
    else:
        number = next(line.split(".")[0] for line in greeting.splitlines() if line.endswith("我能办什么"))
        user.send("text", Content=number)
    user.wait_for("信用", seen)
    assert len(user.seen()) > seen

    # The custom menu's 查信用, then the code it asks for.
    seen = len(user.seen())
    user.send("event", Event="CLICK", EventKey="QUERY_CREDIT")
    user.wait_for("代码", seen)
    seen = len(user.seen())
    user.send("text", Content=JIANGCHENG)
    user.wait_for("江城建材", seen)

    # Evidence for an objection filed through the backend, and the staff decision on it.
    backend.bind(sender)
    no = backend.file_objection(sender)["application_no"]
    wechat_api.media_files["m-pdf"] = (PDF, "application/pdf")
    seen = len(user.seen())
    user.send("file", Title="缴款凭证.pdf", MediaId="m-pdf", FileTotalLen=str(len(PDF)))
    user.wait_for(f"{no} 的附件保存", seen)
    assert [a["filename"] for a in backend.application(no)["attachments"]] == ["缴款凭证.pdf"]
    backend.decide(no, "accept", "已受理，正在核查")
    user.wait_for(f"（{no}）有了新进展：核查中", seen, timeout=60)

    # The conversation lives in Redis (Rasa's two workers) under the wx: sender.
    stored = redis_db(REDIS_DB).lrange(f"credit:events:{sender}", 0, -1)
    assert any(JIANGCHENG.encode() in event for event in stored)
    assert httpx.get(f"{rasa_channel.url.rsplit('/', 1)[0]}/healthz").status_code == 200
