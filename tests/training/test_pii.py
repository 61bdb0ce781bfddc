"""Personal data in users' messages is replaced before anything is written (training/pii.py); public business data,
codes, numbers, amounts, dates and addresses are kept."""

from __future__ import annotations

import pytest

from training.examples import Span
from training.pii import FAKE_ID_18, find, scrub, summary


def scrubbed(text: str, spans: tuple[Span, ...] = ()) -> str:
    return scrub(text, spans)[0]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # mobile phones, as people type them
        ("我的手机13912345678，有结果了打给我", "我的手机13800000000，有结果了打给我"),
        ("联系电话：139 1234 5678", "联系电话：138 0000 0000"),
        ("电话是139-1234-5678谢谢", "电话是138-0000-0000谢谢"),
        ("+86 139 1234 5678", "+86 138 0000 0000"),
        ("手机号＋８６１３９１２３４５６７８", "手机号＋８６13800000000"),
        ("１３９１２３４５６７８是我的手机", "13800000000是我的手机"),
        # landlines: the area code stays, the subscriber number goes
        ("办公室电话0432-62345678", "办公室电话0432-66666666"),
        ("座机（0432）6234567转208", "座机（0432）6666666转208"),
        ("有问题打电话 62345678 找我们", "有问题打电话 66666666 找我们"),
        # ID card numbers, 18 digits with X and the old 15 digits
        ("身份证号22020219850312761X", f"身份证号{FAKE_ID_18}"),
        ("我身份证 220202198503127615 ，请核对", f"我身份证 {FAKE_ID_18} ，请核对"),
        ("老身份证号220202850312761", "老身份证号110101900307123"),
        # one-time codes of the identity check
        ("验证码是 482913", "验证码是 123456"),
        ("收到的短信验证码：4829", "收到的短信验证码：1234"),
        ("482913是验证码", "123456是验证码"),
        ("482913", "123456"),
        # credit reports' verification codes
        ("核验报告XYBG-20261129-00001，验证码7K3M-9QPT", "核验报告XYBG-20261129-00001，验证码ABCD-EFGH"),
        ("XYBG2026112900001 7k3m9qpt", "XYBG2026112900001 abcdefgh"),
        ("校验码 W4XZ-2R5N", "校验码 ABCD-EFGH"),
        # e-mail and bank cards
        ("材料发我邮箱 wang.jianguo@163.com 吧", "材料发我邮箱 user@example.com 吧"),
        ("退款打到卡号6222 0213 8123 4567 890", "退款打到卡号6222 0000 0000 0000 000"),
        ("银行账号6217000010001234567", "银行账号6222000000000000000"),
        # people's names typed in statements
        ("我叫王建国，想查一下我们公司的信用", "我叫张三丰，想查一下我们公司的信用"),
        ("本人刘洋，承诺所填信息属实", "本人张三，承诺所填信息属实"),
        ("法定代表人李明已经签字了", "法定代表人张三已经签字了"),
        ("法人代表：欧阳娜娜", "法人代表：欧阳三丰"),
        ("联系人张伟手机13800001111", "联系人张三手机13800000000"),
        ("经办人是赵丽，负责人是孙国庆", "经办人是张三，负责人是张三丰"),
        ("姓名：周杰", "姓名：张三"),
        ("请王先生尽快回电", "请张先生尽快回电"),
        ("李明女士的申请到哪了", "张三女士的申请到哪了"),
        ("这事找老王就行", "这事找老张就行"),
        ("小李说你们能帮忙", "小张说你们能帮忙"),
    ],
)
def test_personal_data_is_replaced_with_a_placeholder_of_the_same_shape(message: str, expected: str) -> None:
    assert scrubbed(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "帮我查下91220202MA0Y3K7Q6L的信用情况",
        "统一社会信用代码 9122 0203 MA54 46YK 8C 查一下",
        "代码122202023727483869",  # a numeric credit code of an 机关
        "查一下YY-20261126-0003的进度",
        "XF20261103 0007 进度怎么样",
        "我的申请编号XK-20261101-0001",
        "报告编号XYBG-20261129-00001",
        "罚款5000元已经缴清了",
        "罚款12,000元，滞纳金1500元",
        "2026年11月29日之前交材料",
        "处罚日期2026-03-15，决定书文号吉市环罚〔2026〕12号",
        "地址是吉林市船营区北京路123号",
        "[船营区老王烧烤店]有没有失信记录",
        "小李汽修部的信用怎么样",
        "张记豆腐坊被处罚了",
        "需要几个小时才能办完",
        "小程序上能办吗",
        "本人已经整改完毕",
        "负责人高度重视，已经整改",
        "本人单位是江城建材",
        "我要申请信用修复",
        "12315投诉会影响信用吗",
        "一共2000000元",
        "transfer",
    ],
)
def test_public_data_and_ordinary_words_are_kept(message: str) -> None:
    assert scrubbed(message) == message
    assert find(message) == []


def test_organisation_names_annotated_as_entities_are_kept():
    text = "查一下老王烧烤店，我是王建国"
    spans = (Span(3, 8, "org_name"),)
    new_text, new_spans, findings = scrub(text, spans)
    assert new_text == "查一下老王烧烤店，我是王建国"  # 我是 is no name cue: too often 我是江城建材的
    assert new_spans == spans and findings == ()


def test_spans_follow_the_text_when_a_name_changes_length():
    text = "我叫王建国，帮我查下江城建材的信用，电话13912345678"
    spans = (Span(10, 14, "org_name"),)
    new_text, new_spans, findings = scrub(text, spans)
    assert new_text == "我叫张三丰，帮我查下江城建材的信用，电话13800000000"
    assert [new_text[s.start : s.end] for s in new_spans] == ["江城建材"]
    text = "法定代表人欧阳娜娜要查江城建材"  # four characters → 欧阳三丰: same length
    assert scrub(text, (Span(11, 15, "org_name"),))[1] == (Span(11, 15, "org_name"),)
    text = "本人刘洋，查江城建材"  # two characters → 张三
    new_text, new_spans, _ = scrub(text, (Span(6, 10, "org_name"),))
    assert new_text[new_spans[0].start : new_spans[0].end] == "江城建材"
    assert [f.kind for f in findings] == ["name", "mobile"]


def test_a_phone_number_tagged_as_an_application_number_is_still_replaced():
    # A model tagged the phone number as application_id: the span moves to the placeholder, the number goes.
    text = "我的手机号13904321234，查一下ZC-20261129-0001"
    spans = (Span(5, 16, "application_id"), Span(20, 36, "application_id"))
    new_text, new_spans, findings = scrub(text, spans)
    assert new_text == "我的手机号13800000000，查一下ZC-20261129-0001"
    assert [new_text[s.start : s.end] for s in new_spans] == ["13800000000", "ZC-20261129-0001"]
    assert [f.kind for f in findings] == ["mobile"]


def test_a_verification_code_entity_keeps_covering_its_placeholder_and_value():
    text = "报告XYBG-20261129-00001的验证码是7k3m-9qpt"
    spans = (Span(2, 21, "report_no"), Span(26, 35, "verification_code", "7K3M-9QPT"))
    new_text, new_spans, _ = scrub(text, spans)
    assert new_text == "报告XYBG-20261129-00001的验证码是abcd-efgh"
    assert new_spans[0] == spans[0]
    assert new_text[new_spans[1].start : new_spans[1].end] == "abcd-efgh"
    assert new_spans[1].value == "ABCD-EFGH"


def test_findings_say_what_was_replaced_without_the_personal_data():
    text = "法定代表人李明，电话13912345678，身份证22020219850312761X"
    _, _, findings = scrub(text)
    assert [f.kind for f in findings] == ["name", "mobile", "id_card"]
    assert [text[f.start : f.end] for f in findings] == ["李明", "13912345678", "22020219850312761X"]
    assert summary(findings) == "已替换个人信息：姓名 1 处、手机号 1 处、身份证号 1 处"
    assert "13912345678" not in repr(findings)
    assert summary(()) == ""


def test_the_fake_id_number_has_a_valid_check_character():
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(FAKE_ID_18[:17], weights, strict=True))
    assert FAKE_ID_18[17] == "10X98765432"[total % 11]


def test_scrubbing_twice_changes_nothing_more():
    text = "我叫王建国，手机13912345678，验证码482913"
    once = scrubbed(text)
    assert scrubbed(once) == once
