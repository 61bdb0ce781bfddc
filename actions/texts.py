"""Fixed Chinese sentences the actions send (kept here so every user-visible text is in one place)."""

AFTER_BINDING = "现在您可以以该主体名义办理自愿注册、信用承诺、异议和信用修复了。"
NOT_SUBMITTED = "好的，本次申请没有提交。如需修改，可以重新办理。"
AFTER_QUERY = "如对记录有异议，可以说“提异议”；符合条件的失信记录可以说“申请信用修复”。"
HANDOFF_DONE = "已为您转接人工服务，工作人员会尽快联系您，刚才的对话内容已一并转交。"
HANDOFF_FAILED = "抱歉，人工服务暂时无法转接。您可以拨打 12345 政务服务热线，或稍后再试。"
NOT_UNDERSTOOD = "抱歉，我没太明白您的意思。"
CLARIFY = NOT_UNDERSTOOD + "能换个说法吗？或者选择下面的业务："
WHICH_ONE = "我不太确定您的意思，您是想："
QUERY_NAMED = "查询「{name}」的信用状况"
NONE_OF_THESE = "都不是，查看全部服务"
WHICH_SERVICE = "您想办理哪项业务？请点击下方按钮，或直接告诉我业务名称，例如“申请信用修复”。"
CANCELLED = "好的，已取消，没有提交任何内容。还需要办理其他业务吗？"
SUBSCRIBE_NEEDS_BINDING = (
    "信用提醒会告诉您企业的失信记录、可修复日期和承诺到期等非公开事项，所以只发给已验证身份的企业经办人。"
    "请先验证您是企业的经办人，验证后再说“订阅信用提醒”。"
)
SUBSCRIBE_NOT_BOUND_TO_IT = (
    "您还没有验证为这个主体的经办人，暂时不能订阅它的信用提醒。请先验证身份，验证后再说“订阅信用提醒”。"
)
HOW_TO_UNSUBSCRIBE = "不想再收到时，说“退订”即可。"
HOW_TO_SUBSCRIBE = "需要时可以再说“订阅信用提醒”。"
NOT_SUBSCRIBED = "您目前没有订阅信用提醒，不需要退订。如需订阅，可以说“订阅信用提醒”。"
HOW_TO_VERIFY = (
    "报告的真伪和有效期任何人都可以核验：向本助手发送“核验报告”，再提供报告编号和核验码即可。"
    "请妥善保管核验码，它只显示这一次。"
)
