"""Sentences every channel says the same way (Simplified Chinese); each channel's texts.py adds its own."""

from __future__ import annotations

SERVICES = (
    "我可以帮您：\n"
    "· 查询企业或个体工商户的信用状况（发统一社会信用代码或名称即可）\n"
    "· 信用信息自愿注册、信用承诺\n"
    "· 对信用记录提出异议、申请信用修复\n"
    "· 查询申请办理进度、出具信用报告、核验信用报告\n"
    "· 订阅信用提醒（有新的失信记录、记录可申请修复、承诺到期、公示期满时通知您）"
)
# A turn that produced no answer, or was lost with the server that ran it (assistant_core/channels.py, the cluster's
# proxy in bot/cluster.py).
TRY_AGAIN = "抱歉，系统暂时繁忙，没能处理您的消息，请稍后再试。"
EVIDENCE_HINT = "办理异议或信用修复时，可直接发送证明材料（JPG、PNG 图片或 PDF 文件，单个不超过10MB）。"
