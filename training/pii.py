"""Personal data in a user's message, replaced before the message becomes training data or a test story.

``scrub(text, spans)`` replaces mobile and landline numbers, ID card numbers (18 and 15 digits), one-time codes
(digits next to 验证码/校验码/动态码…, a message that is only a code, and credit reports' verification codes
``ABCD-EFGH``), e-mail addresses, bank card numbers and people's names typed in statements (after 我叫, 本人,
联系人, 法定代表人, 经办人, 姓名…, and 王先生 / 老王 / 小李). Each placeholder has the shape of what it replaces
(a phone keeps its spaces and +86, a code its hyphen and case) so the example stays good training data; entity
spans follow the text.

Left as they are, because they are public or are what the assistant must learn: organisation names and
统一社会信用代码 (annotated ``org_name``/``uscc`` spans, and valid codes wherever they are), application numbers,
report numbers, amounts, dates and addresses. Names are found by context and a list of common surnames only: a
name typed without any cue ("张伟已经缴清罚款") is not recognised (no NER model exists in both environments).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from assistant_nlu.text import fold_width
from credit_backend.rules.appno import APPNO_PATTERN
from credit_backend.rules.report_no import CODE_PATTERN, REPORT_NO_PATTERN
from credit_backend.rules.uscc import USCC_PATTERN, validate_uscc
from training.examples import Span

# Entities whose text is public or the point of the example, never replaced whatever they hold. Codes and numbers (uscc,
# application_id, report_no) are protected by their shape instead (``_protected``): a model that tags a phone number
# as an application number must not keep it.
PROTECTED_ENTITIES = frozenset({"org_name"})

LABELS = {
    "email": "电子邮箱",
    "id_card": "身份证号",
    "bank_card": "银行卡号",
    "mobile": "手机号",
    "landline": "固定电话",
    "otp": "验证码",
    "report_code": "报告验证码",
    "name": "姓名",
}


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: where it was in the original text and what replaced it."""

    kind: str  # a key of LABELS
    start: int
    end: int
    replacement: str

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def _id_check(body: str) -> str:
    """GB 11643 check character of the first 17 digits."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


# Placeholders (digits are laid over the original's digits, keeping its separators).
FAKE_MOBILE = "13800000000"
FAKE_ID_18 = "11010119900307123" + _id_check("11010119900307123")
FAKE_ID_15 = "110101900307123"
FAKE_LANDLINE = "66666666"  # the subscriber number; the area code is kept (a city, not a person)
FAKE_BANK_CARD = "6222000000000000000"
FAKE_OTP = "123456"
FAKE_REPORT_CODE = "ABCDEFGH"  # all in the codes' alphabet, so the NLU still reads it as a code
FAKE_EMAIL = "user@example.com"
FAKE_NAMES = {1: "张", 2: "张三", 3: "张三丰", 4: "欧阳三丰"}

_D = r"(?<![0-9A-Za-z])"  # no code character before (Chinese has no word boundaries)
_SEP = r"[ \-]?"
EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
ID_18 = re.compile(
    _D
    + r"[1-9]\d{5}"
    + _SEP
    + r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    + _SEP
    + r"\d{3}[\dXx](?![0-9A-Za-z])"
)
ID_15 = re.compile(_D + r"[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])")
BANK_CARD = re.compile(_D + r"(?:\d{4}[ \-]?){3}\d{4}(?:[ \-]?\d{1,3})?(?![0-9])")
MOBILE = re.compile(r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ \-]?)?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}(?![0-9])")
LANDLINE = re.compile(
    r"(?<![0-9A-Za-z])(?:\(0\d{2,3}\)|0\d{2,3})[ \-]?([2-9]\d{6,7})(?:[ \-]?(?:转|ext\.?)\s?\d{1,5})?(?![0-9])"
)
_PHONE_CUE = r"(?:电话|座机|固话|联系方式|致电)"
LOCAL_NUMBER = re.compile(_PHONE_CUE + r"[^0-9\n]{0,5}?(?<![0-9])([2-9]\d{6,7})(?![0-9])")
_OTP_CUE = r"(?:验证码|校验码|动态码|短信码|确认码|核验码|动态密码|激活码)"
OTP_AFTER_CUE = re.compile(_OTP_CUE + r"[^0-9A-Za-z\n]{0,6}?(?<![0-9])(\d{4,8})(?![0-9])")
OTP_BEFORE_CUE = re.compile(r"(?<![0-9A-Za-z])(\d{4,8})[\s，,]{0,2}(?:是|为)?(?:我|我的|收到的)?" + _OTP_CUE)
# A message that is only six digits is the identity check's one-time code (the only six-digit answer asked).
OTP_ALONE = re.compile(r"\s*(\d{6})\s*[。.!！]?\s*")
CODE_ALONE = re.compile(r"\s*(" + CODE_PATTERN.pattern + r")\s*[。.!！]?\s*")
_CODE_CUE = re.compile(r"(?:验证码|校验码|核验码|防伪码|code)", re.IGNORECASE)
_ID_CUE = re.compile(r"身份证|证件号|公民身份")
_CARD_CUE = re.compile(r"银行卡|卡号|账号|帐号|账户|帐户|开户")

# Common surnames (compound ones first: the regex tries alternatives in order).
# fmt: off
COMPOUND_SURNAMES = [
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "令狐", "慕容", "夏侯", "公孙", "长孙", "宇文", "司徒", "端木", "独孤", "南宫",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤常温康"
    "施牛樊葛邢齐乔伍庞颜倪庄聂章鲁岳翟殷詹欧耿关兰焦俞左柳甘祝包宁尚舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉"
    "骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤穆卓车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧"
    "闵苟邬边卞姬仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池麻苑迟邝封匡鞠惠荆冀郁胥班储栗燕楚鄢谌奚皮粟冼蔺楼"
)
# Surnames that also start everyday words right after 老/小 (小时, 小于, 老师…) are not used in that pattern.
_NICKNAME_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖董袁潘蒋蔡杜叶苏魏吕丁沈姚卢姜崔钟谭陆汪范廖贾夏"
)
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + SURNAMES + "])"
# Characters that end a given name: words that follow a name in a sentence, never part of a common given name.
_NOT_GIVEN = (
    "的是在了和与及跟电手身联号先女说要想已也都来去我你他她们办申请提公司代码承确同签保声对因由于将今现特需"
    "没不会能可就还再把被给让向从到自为做交缴本人名叫姓经负法理等这那个各全所以但而且或并"
)
_GIVEN_CHAR = re.compile(f"[^{_NOT_GIVEN}\\W\\d_A-Za-z]")
_NAME_CUE = (
    r"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|本人(?:是|叫)?|联系人|对接人|经办人|负责人|代理人|委托人|受托人"
    r"|法定代表人|法人代表|法人|姓名|申请人)"
)
NAME_AFTER_CUE = re.compile(_NAME_CUE + r"[\s:：是为叫]{0,2}(" + _SURNAME + r")([\u4e00-\u9fff]{1,2})")
NAME_TITLE = re.compile(r"(" + _SURNAME + r")([\u4e00-\u9fff]?)(?=先生|女士|小姐)")
NICKNAME = re.compile(r"(?<![大从最缩减变微较养古元])([老小])([" + _NICKNAME_SURNAMES + r"])")
# Everyday words that start with a surname's character: never a name after a cue (负责人高度重视).
_COMMON_WORDS = frozenset({
    "高度", "高兴", "方便", "方面", "方式", "方法", "马上", "万元", "金额", "关于", "常常", "施工", "项目", "范围", "毕竟", "连续",
    "路上", "白天", "全部", "任何", "时间", "文件", "单位", "石材", "钱款", "黄金", "江边", "龙头", "明白", "程序", "程度", "谢谢",
    "许可", "章程", "曾经", "陆续", "柴油", "宁可", "尚未", "包括", "管理", "蒙受", "罗列", "余额", "余款", "杜绝", "严格", "严重",
    "庞大", "付款", "付清", "费用", "冷库", "景区", "党员", "席位", "卫生", "宗旨", "仲裁", "巩固", "储蓄", "甘心", "毛病", "温度",
    "康复", "齐全", "成本", "安排", "孙子", "章节", "计划", "贺信", "龙门", "田地", "董事", "苏醒", "魏晋",
})
# After 老王 / 小李 only these may follow (or punctuation, a space, the end): 老王烧烤店 and 小程序 stay.
_AFTER_NICKNAME = set(
    "的说是在要让和跟给帮也都你您他她我来去已还想就了吗那这对与讲告问会能可叫呢啊吧呀，。,.！!？?、；;：: \n"
)
# A name directly followed by one of these is part of an organisation's name (张记豆腐坊, 小李汽修部).
_ORG_SUFFIXES = (
    "店", "厂", "公司", "部", "坊", "社", "中心", "商行", "行", "馆", "铺", "庄", "院", "所", "处", "集团",
    "烧烤", "餐饮", "超市", "汽修", "诊所", "农场", "酒家", "饭店", "批发", "建材", "五金", "门市", "家具", "牧业",
)
# fmt: on


def _overlaps(start: int, end: int, regions: Iterable[tuple[int, int]]) -> bool:
    return any(start < r_end and r_start < end for r_start, r_end in regions)


def _lay_over(original: str, placeholder: str) -> str:
    """The placeholder's characters over the original's digits/letters, separators kept where they were."""
    out = []
    chars = iter(placeholder)
    for ch in original:
        if (ch.isalnum() and ch.isascii()) or ch.isdigit():
            out.append(next(chars, "0"))
        else:
            out.append(ch)
    return "".join(out)


def _cased(original: str, placeholder: str) -> str:
    """Lay a letter/digit placeholder over a code, keeping the code's lower case and separators."""
    laid = _lay_over(original, placeholder)
    return laid.lower() if original.lower() == original else laid


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _cue_before(pattern: re.Pattern[str], text: str, start: int, width: int = 10) -> bool:
    return pattern.search(text[max(0, start - width) : start]) is not None


def _protected(folded: str, spans: Sequence[Span]) -> list[tuple[int, int]]:
    """Regions never replaced: protected entity spans, valid credit codes, application and report numbers."""
    regions = [(s.start, s.end) for s in spans if s.entity in PROTECTED_ENTITIES]
    for match in USCC_PATTERN.finditer(folded):
        if validate_uscc(match.group()).ok and not _cue_before(_ID_CUE, folded, match.start()):
            regions.append(match.span())
    regions += [m.span() for m in APPNO_PATTERN.finditer(folded)]
    regions += [m.span() for m in REPORT_NO_PATTERN.finditer(folded)]
    # Any <TYPE>-<YYYYMMDD>-<NNNN> shaped number (a kind added later, a mistyped type) is not personal either.
    regions += [m.span() for m in re.finditer(r"(?<![0-9A-Za-z])[A-Za-z]{2}[ \-_]?\d{8}[ \-_]?\d{4}(?![0-9])", folded)]
    return regions


def _candidates(text: str, folded: str, spans: Sequence[Span]) -> list[Finding]:
    """Every match, most specific kinds first; overlapping ones are settled by ``find``."""
    found: list[Finding] = []

    def add(kind: str, start: int, end: int, replacement: str) -> None:
        found.append(Finding(kind, start, end, replacement))

    for m in EMAIL.finditer(folded):
        add("email", *m.span(), FAKE_EMAIL)
    for pattern, fake in ((ID_18, FAKE_ID_18), (ID_15, FAKE_ID_15)):
        for m in pattern.finditer(folded):
            digits = _digits(m.group()) + ("X" if m.group()[-1] in "Xx" else "")
            valid = len(digits) == 15 or _id_check(digits[:17]) == digits[17].upper()
            if valid or _cue_before(_ID_CUE, folded, m.start()):
                add("id_card", *m.span(), _lay_over(text[m.start() : m.end()], fake))
    for m in BANK_CARD.finditer(folded):
        digits = _digits(m.group())
        looks_like_code = len(digits) == 18 and digits[2:4] == "22"  # a numeric 统一社会信用代码 of 吉林
        if _cue_before(_CARD_CUE, folded, m.start(), 12) or (_luhn(digits) and not looks_like_code):
            add("bank_card", *m.span(), _lay_over(text[m.start() : m.end()], FAKE_BANK_CARD))
    for m in MOBILE.finditer(folded):
        original = text[m.start() : m.end()]
        prefix_digits = len(_digits(original)) - 11  # +86 / 0086 stay
        add("mobile", *m.span(), _lay_over(original, _digits(original)[:prefix_digits] + FAKE_MOBILE))
    for m in list(LANDLINE.finditer(folded)) + list(LOCAL_NUMBER.finditer(folded)):
        start, end = m.span(1)
        add("landline", start, end, _lay_over(text[start:end], FAKE_LANDLINE))
    for pattern in (OTP_AFTER_CUE, OTP_BEFORE_CUE):
        for m in pattern.finditer(folded):
            start, end = m.span(1)
            add("otp", start, end, _lay_over(text[start:end], FAKE_OTP * 2))
    alone = OTP_ALONE.fullmatch(folded)
    if alone:
        add("otp", *alone.span(1), _lay_over(text[alone.start(1) : alone.end(1)], FAKE_OTP))
    code_alone = CODE_ALONE.fullmatch(folded)
    code_spans = [(s.start, s.end) for s in spans if s.entity == "verification_code"]
    report_in_text = REPORT_NO_PATTERN.search(folded) is not None
    for m in CODE_PATTERN.finditer(folded):
        code = m.group()
        printed = "-" in code and any(c.isdigit() for c in code) and any(c.isalpha() for c in code)
        typed_alone = code_alone is not None and any(c.isdigit() for c in code)
        if (
            report_in_text
            or printed
            or typed_alone
            or _overlaps(*m.span(), code_spans)
            or _cue_before(_CODE_CUE, folded, m.start())
        ):
            add("report_code", *m.span(), _cased(text[m.start() : m.end()], FAKE_REPORT_CODE))
    found += _names(folded)
    return found


def _org_follows(text: str, end: int) -> bool:
    return text.startswith(_ORG_SUFFIXES, end)


def _given_name(given: str) -> str:
    """The given name's characters up to the first one that cannot be part of a name."""
    out = ""
    for ch in given:
        if not _GIVEN_CHAR.match(ch):
            break
        out += ch
    return out


def _common_word(surname: str, given: str) -> bool:
    return (surname + given) in _COMMON_WORDS or (surname + given[:1]) in _COMMON_WORDS


def _names(text: str) -> list[Finding]:
    found = []
    for m in NAME_AFTER_CUE.finditer(text):
        surname, given = m.group(1), _given_name(m.group(2))
        end = m.start(2) + len(given)
        if not given or _org_follows(text, end) or _common_word(surname, given):
            continue
        found.append(Finding("name", m.start(1), end, FAKE_NAMES.get(len(surname) + len(given), "张三")))
    for m in NAME_TITLE.finditer(text):
        surname, given = m.group(1), _given_name(m.group(2))
        if given != m.group(2):
            continue
        found.append(Finding("name", m.start(1), m.end(), FAKE_NAMES[len(surname) + len(given)]))
    for m in NICKNAME.finditer(text):
        after = text[m.end() : m.end() + 1]
        if (after and after not in _AFTER_NICKNAME) or _org_follows(text, m.end()):
            continue
        found.append(Finding("name", m.start(2), m.end(2), FAKE_NAMES[1]))
    return found


def find(text: str, spans: Sequence[Span] = ()) -> list[Finding]:
    """The personal data in ``text``, in order and without overlaps (the first kind found wins)."""
    folded = fold_width(text)
    protected = _protected(folded, spans)
    chosen: list[Finding] = []
    for finding in _candidates(text, folded, spans):
        if finding.start >= finding.end or _overlaps(finding.start, finding.end, protected):
            continue
        if _overlaps(finding.start, finding.end, [(f.start, f.end) for f in chosen]):
            continue
        chosen.append(finding)
    return sorted(chosen, key=lambda f: f.start)


def _move(findings: Sequence[Finding], offset: int, *, is_end: bool) -> int:
    """Where an offset of the original text lands in the scrubbed text. An offset inside a replaced piece goes
    to the piece's start (a span's start) or end (a span's end), so the span covers the whole placeholder."""
    shift = 0
    for f in findings:
        if offset >= f.end:
            shift += len(f.replacement) - (f.end - f.start)
        elif offset <= f.start:
            break
        else:
            return f.start + shift + (len(f.replacement) if is_end else 0)
    return offset + shift


def scrub(text: str, spans: Sequence[Span] = ()) -> tuple[str, tuple[Span, ...], tuple[Finding, ...]]:
    """``text`` with its personal data replaced, ``spans`` moved to follow it, and what was replaced.

    A span's ``value`` that holds replaced data (a verification code's canonical form) is scrubbed too."""
    findings = find(text, spans)
    if not findings:
        return text, tuple(spans), ()
    pieces = []
    at = 0
    for f in findings:
        pieces += [text[at : f.start], f.replacement]
        at = f.end
    pieces.append(text[at:])
    new_text = "".join(pieces)
    moved = []
    for span in spans:
        start, end = _move(findings, span.start, is_end=False), _move(findings, span.end, is_end=True)
        value = span.value
        if value is not None and _overlaps(span.start, span.end, [(f.start, f.end) for f in findings]):
            value = _scrub_value(value, span.entity, new_text[start:end])
        moved.append(replace(span, start=start, end=end, value=value))
    return new_text, tuple(moved), tuple(findings)


def _scrub_value(value: str, entity: str, new_piece: str) -> str:
    """A span's value after its text was scrubbed: a code's value becomes the placeholder code."""
    if entity == "verification_code":
        code = "".join(ch for ch in fold_width(new_piece) if ch.isalnum()).upper()
        return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code
    return scrub(value, [Span(0, len(value), entity)])[0]


def summary(findings: Iterable[Finding]) -> str:
    """“已替换个人信息：手机号 1 处、姓名 2 处” for the admin; empty when nothing was replaced."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.label] = counts.get(f.label, 0) + 1
    if not counts:
        return ""
    return "已替换个人信息：" + "、".join(f"{label} {n} 处" for label, n in counts.items())
