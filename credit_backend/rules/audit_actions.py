"""Chinese names of the audit log's actions, for the admin pages and the CSV export."""

from __future__ import annotations

from credit_backend.rules.vocabulary import APPLICATION_KINDS

ACTION_LABELS: dict[str, str] = {
    "console_login": "工作台登录",
    "view_conversations": "查看会话记录列表",
    "view_conversation": "查看会话记录",
    "review_conversation": "标记会话已复核",
    "annotate_example": "标注训练样例",
    "save_test_story": "保存测试故事",
    "start_retrain": "启动重新训练",
    "rollback_model": "回滚模型",
    "console_login_failed": "工作台登录失败",
    "console_locked": "账号因密码错误被锁定",
    "console_logout": "工作台退出登录",
    "console_session_expired": "工作台会话过期",
    "account_create": "创建工作台账号",
    "account_disable": "停用工作台账号",
    "account_enable": "启用工作台账号",
    "account_password_reset": "重置工作台账号密码",
    "binding_start": "发送身份认证验证码",
    "binding_wrong_code": "身份认证验证码错误",
    "binding_verified": "完成身份认证",
    "binding_rate_limited": "验证码请求受限",
    "binding_in_person": "窗口现场核验身份",
    "binding_in_person_refused": "窗口现场核验被拒绝",
    "unbind": "解除身份绑定",
    "view_code_outbox": "查看验证码发件箱",
    "subscribe": "订阅信用提醒",
    "unsubscribe": "取消信用提醒",
    "attachment": "上传证明材料",
    "handoff": "请求人工服务",
    "handoff_claim": "接入人工服务",
    "handoff_reply": "人工服务回复",
    "handoff_close": "结束人工服务",
    "view_personal_data": "查看未脱敏信息",
    "enter_record": "录入信用记录",
    "import_records": "批量导入信用记录",
    "end_publicity": "公示期届满停止公示",
    "leave_list": "移出名单",
    "job_end_publicity": "每日停止公示任务",
}
_KIND_NAMES = {k.kind: k.label for k in APPLICATION_KINDS}


def action_label(action: str) -> str:
    """E.g. console_login → 工作台登录, submit_objection → 提交异议申请, decide_correct → 作出决定（correct）."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.startswith("submit_"):
        kind = action.removeprefix("submit_")
        return f"提交{_KIND_NAMES.get(kind, kind)}"
    if action.startswith("decide_"):
        return f"作出决定（{action.removeprefix('decide_')}）"
    return action
