"""Every sentence the bridge itself says to users (Simplified Chinese)."""

from __future__ import annotations

from bot.texts import EVIDENCE_HINT, SERVICES

WELCOME = "您好！我是“信用中国（吉林市）”信用服务助手，可以帮您查询信用状况、办理异议、信用修复等业务。"
HELP = SERVICES + "\n\n" + "命令：/start 主菜单　/help 帮助　/cancel 取消当前办理\n" + EVIDENCE_HINT
CANCELLED = "已取消当前办理。"
CHOSEN = "您选择了：{title}"
BUTTON_EXPIRED = "这个按钮已失效，请重新发送您的问题或输入 /start 回到主菜单。"
CHOOSE = "请选择："
RASA_DOWN = "抱歉，智能助手暂时无法连接，请稍后再试。您的消息没有丢失，可以稍后重新发送。"
DOCUMENT_FAILED = "报告文件暂时无法发送。报告已出具，您可以凭上面的报告编号和核验码核验，或稍后再说一次“出信用报告”。"
NO_ANSWER = "抱歉，我暂时没有理解您的意思。可以换个说法，或输入 /help 查看我能办理的业务。"
PRIVATE_ONLY = "为保护您的信息，请私聊我办理信用业务。"
UNSUPPORTED = "目前只能处理文字消息、按钮，以及 JPG、PNG 图片或 PDF 格式的证明材料。"

NOTIFICATION_BUTTON = "查看办理进度"
