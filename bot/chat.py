"""Chat with the running assistant in a terminal (``make demo``), through the web channel.

Talks to the Rasa server that ``make up`` started, so the demo runs exactly what the channels use
(Redis-backed conversations, the worker processes) instead of loading the model a second time. It takes
the path a public web chat takes: ``POST /webhooks/web/session`` issues a session (a ``web:`` sender the
server chose, in a signed token) and every message carries the token, so the demo needs no secret and
shows what a stranger on the web can do. A session that expired is renewed (a new conversation).
Buttons are numbered: type the number to press one.
"""

from __future__ import annotations

import argparse

import httpx

QUIT = {"/quit", "/exit", "退出"}


def show(replies: list[dict]) -> list[dict]:
    """Print the assistant's messages; returns the buttons of the last one that has any."""
    buttons: list[dict] = []
    for reply in replies:
        if reply.get("text"):
            print(f"助手：{reply['text']}")
        if reply.get("buttons"):
            buttons = reply["buttons"]
            for number, button in enumerate(buttons, 1):
                print(f"  [{number}] {button['title']}")
    return buttons


class WebSession:
    """A web-channel conversation: the token of a session the server issued."""

    def __init__(self, client: httpx.Client, rasa_url: str) -> None:
        self.client = client
        self.base = f"{rasa_url.rstrip('/')}/webhooks/web"
        self.token = ""
        self.sender = ""

    def start(self) -> None:
        response = self.client.post(f"{self.base}/session")
        response.raise_for_status()
        session = response.json()
        self.token, self.sender = session["token"], session["sender"]

    def send(self, text: str, renewed: bool = False) -> list[dict]:
        if not self.token:
            self.start()
        response = self.client.post(
            f"{self.base}/webhook", json={"message": text}, headers={"Authorization": f"Bearer {self.token}"}
        )
        if response.status_code == 401 and not renewed:  # the session expired: start a new one
            print("（会话已过期，已开始新的会话。）")
            self.start()
            return self.send(text, renewed=True)
        if response.status_code in (400, 401, 403):
            print(f"（{response.json().get('error', {}).get('message', response.text)}）")
            return []
        response.raise_for_status()
        return response.json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="the Rasa server")
    args = parser.parse_args()
    buttons: list[dict] = []
    with httpx.Client(timeout=60) as client:
        session = WebSession(client, args.url)
        try:
            session.start()
        except httpx.HTTPError as error:
            print(f"（无法连接助手：{error}。请先运行 make up。）")
            return 1
        print(f"信用服务助手（会话 {session.sender}）。输入消息后回车；按钮输入编号；输入 /quit 退出。")
        while True:
            try:
                text = input("您：").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if text in QUIT:
                return 0
            if not text:
                continue
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            try:
                replies = session.send(text)
            except httpx.HTTPError as error:
                print(f"（无法连接助手：{error}。请先运行 make up。）")
                continue
            buttons = show(replies)


if __name__ == "__main__":
    raise SystemExit(main())
