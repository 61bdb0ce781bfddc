"""WeChat Official Account (公众号) channel: a web server WeChat calls, in front of Rasa and the credit backend.

Run with ``python -m bot.wechat`` (``make wechat``); docs/wechat.md explains how to point a 公众号 or the test
account (测试号) at it.

Library: wechatpy 1.8 (PyPI ``wechatpy``, MIT), the most used Python SDK for the platform. Its last release is
from 2021, but the parts used here follow the platform's server protocol, which has not changed since: the
signature check of the URL and of each request (``wechatpy.utils.WeChatSigner``), the AES message crypto of the
compatible and safe modes (``wechatpy.crypto.WeChatCrypto``, on the ``cryptography`` package), parsing the pushed
XML into typed messages and events (``wechatpy.parse_message``) and rendering the passive reply
(``wechatpy.replies.TextReply``). The HTTP APIs (access token, customer-service and template messages, custom
menu, media download) are called here with httpx instead of wechatpy's ``WeChatClient``: that client is
synchronous (requests), which would block the event loop that must answer within WeChat's 5 seconds, and its
token storage refreshes without a lock, so every process could fetch a token at once (bot/wechat/token.py).
"""
