"""Every sentence the bridge itself says to users (Simplified Chinese)."""

from __future__ import annotations

WELCOME = "您好！我是“信用中国（吉林市）”信用服务助手，可以帮您查询信用状况、办理异议、信用修复等业务。"
HELP = (
    "我可以帮您：\n"
    "· 查询企业或个体工商户的信用状况（发统一社会信用代码或名称即可）\n"
    "· 信用信息自愿注册、信用承诺\n"
    "· 对信用记录提出异议、申请信用修复\n"
    "· 查询申请办理进度、出具信用报告\n\n"
    "命令：/start 主菜单　/help 帮助　/cancel 取消当前办理\n"
    "办理异议或信用修复时，可直接发送证明材料（JPG、PNG 图片或 PDF 文件，单个不超过10MB）。"
)
CANCELLED = "已取消当前办理。"
CHOSEN = "您选择了：{title}"
BUTTON_EXPIRED = "这个按钮已失效，请重新发送您的问题或输入 /start 回到主菜单。"
CHOOSE = "请选择："
RASA_DOWN = "抱歉，智能助手暂时无法连接，请稍后再试。您的消息没有丢失，可以稍后重新发送。"
NO_ANSWER = "抱歉，我暂时没有理解您的意思。可以换个说法，或输入 /help 查看我能办理的业务。"
PRIVATE_ONLY = "为保护您的信息，请私聊我办理信用业务。"
UNSUPPORTED = "目前只能处理文字消息、按钮，以及 JPG、PNG 图片或 PDF 格式的证明材料。"

EVIDENCE_SAVED = (
    "已收到证明材料“{filename}”（{size}），已作为{kind_label} {application_no} 的附件保存。工作人员审核时会一并查看。"
)
EVIDENCE_NO_APPLICATION = (
    "您目前没有正在办理的异议申请或信用修复申请，所以无法保存这份材料。"
    "请先提交异议或信用修复申请，拿到申请编号后再发送证明材料。"
)
EVIDENCE_NOT_YOURS = "没有找到您名下正在办理的申请 {application_no}，材料未保存。请检查申请编号，或直接发送文件（会保存到您最新的异议或修复申请）。"
EVIDENCE_TYPE = "只支持上传 JPG、PNG 图片或 PDF 文件，您发送的“{filename}”格式不支持，请转换后重新发送。"
EVIDENCE_TOO_LARGE = "文件“{filename}”大小为{size}，超过了{limit}的上限，请压缩后重新发送。"
EVIDENCE_EMPTY = "文件“{filename}”是空的，请重新发送。"
EVIDENCE_BACKEND_DOWN = "材料上传服务暂时不可用，文件未保存，请稍后重新发送。"
EVIDENCE_REJECTED = "材料未保存：{message}"
EVIDENCE_DOWNLOAD_FAILED = "暂时无法从 Telegram 下载您发送的文件，请稍后重新发送。"

NOTIFICATION_BUTTON = "查看办理进度"
