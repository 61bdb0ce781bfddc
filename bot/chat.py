"""Chat with the running assistant in a terminal (``make demo``), through Rasa's REST channel.

Talks to the Rasa server that ``make up`` started, so the demo runs exactly what the channels use
(Redis-backed conversations, the worker processes) instead of loading the model a second time.
Buttons are numbered: type the number to press one.
"""

from __future__ import annotations

import argparse
import uuid

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:5005/webhooks/rest/webhook")
    parser.add_argument("--sender", default=f"web:demo-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()
    print(f"信用服务助手（会话 {args.sender}）。输入消息后回车；按钮输入编号；输入 /quit 退出。")
    buttons: list[dict] = []
    with httpx.Client(timeout=60) as client:
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
                response = client.post(args.url, json={"sender": args.sender, "message": text})
                response.raise_for_status()
            except httpx.HTTPError as error:
                print(f"（无法连接助手：{error}。请先运行 make up。）")
                continue
            buttons = show(response.json())


if __name__ == "__main__":
    raise SystemExit(main())
