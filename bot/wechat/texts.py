"""Every sentence the WeChat channel itself says to users (Simplified Chinese)."""

from __future__ import annotations

from bot.texts import EVIDENCE_HINT, SERVICES

WELCOME = "您好！欢迎关注“信用中国（吉林市）”。我是信用服务助手，可以帮您查信用、办业务。"
HELP = SERVICES + "\n\n" + "点击下方菜单“查信用”“办业务”“我的申请”，或直接发文字、语音给我。\n" + EVIDENCE_HINT
CHOOSE = "请选择："
NUMBERED_HINT = "请回复数字选择："
CHOICE_EXPIRED = "这个选项已失效，请重新发送您的问题。"
RASA_DOWN = "抱歉，智能助手暂时无法连接，请稍后再试。您的消息没有丢失，可以稍后重新发送。"
NO_ANSWER = "抱歉，我暂时没有理解您的意思。可以换个说法，或发送“帮助”查看我能办理的业务。"
UNSUPPORTED = "目前只能处理文字、语音、菜单，以及 JPG、PNG 图片或 PDF 格式的证明材料。"
VOICE_UNCLEAR = "抱歉，没有听清您的语音，请再说一遍或直接发文字。"
IMAGE_LINK = "图片：{url}"
ERROR = "抱歉，处理您的消息时出了问题，请稍后重新发送。"
CHANNEL_NAME = "微信"  # in "暂时无法从微信下载您发送的文件"

# Template messages (outside the 48-hour window): titles by notification kind, and the default one.
TEMPLATE_TITLES = {"decision": "申请办理进度通知", "handoff": "人工客服回复", "reminder": "信用提醒"}
TEMPLATE_TITLE = "信用服务通知"
EMPTY_NOTIFICATION = "（空通知）"
