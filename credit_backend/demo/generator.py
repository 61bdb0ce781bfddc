"""Deterministic generator of a synthetic 吉林市: entities, credit records and evaluations.

``CityGenerator(entities, seed, today)`` yields one :class:`EntityBundle` per entity, streaming, so a
city of a million entities never sits in memory. Rows are plain dicts keyed by column name with
explicit ids, ready for a Core ``insert`` or a PostgreSQL ``COPY``; the same seed and "today" give
the same rows. The six named cases of :data:`NAMED_CASES` always come first (ids 1-6).

Everything is synthetic: codes are built with :func:`make_uscc` from a scrambled counter, names are
drawn from word lists, ID and phone numbers are random strings with the right shape.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from operator import mul
from typing import Any

from credit_backend.policy.loader import Policy, load_policy
from credit_backend.rules import vocabulary
from credit_backend.rules.periods import add_months
from credit_backend.rules.uscc import CHARSET, JILIN_REGIONS, make_uscc

__all__ = ["GENERATOR_VERSION", "NAMED_CASES", "CityGenerator", "EntityBundle", "NamedCase", "id_check_char"]

# Bump when the output for a given seed changes, so cached benchmark databases get rebuilt.
GENERATOR_VERSION = 1

EARLIEST_DECISION = date(2021, 1, 1)
NEGATIVE_CATEGORIES = tuple(c.name for c in vocabulary.CATEGORIES if c.polarity is vocabulary.Polarity.NEGATIVE)

Row = dict[str, Any]


class _Table:
    """Weighted choice with precomputed cumulative weights (bisect instead of random.choices)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cum: list[float] = []
        running = 0.0
        for _, weight in pairs:
            running += weight
            self.cum.append(running)
        self.total = running

    def pick(self, rnd: Any) -> Any:
        return self.items[bisect(self.cum, rnd() * self.total)]


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------

CITY = "220200"
DISTRICTS = ("220202", "220203", "220204", "220211")
COUNTIES = ("220221", "220281", "220282", "220283", "220284")
REGION_ABBR = {
    "220202": "昌", "220203": "龙", "220204": "船", "220211": "丰",
    "220221": "永", "220281": "蛟", "220282": "桦", "220283": "舒", "220284": "磐",
}  # fmt: skip
COURTS = {
    "220200": ("吉林市中级人民法院", "吉02"),
    "220202": ("吉林市昌邑区人民法院", "吉0202"),
    "220203": ("吉林市龙潭区人民法院", "吉0203"),
    "220204": ("吉林市船营区人民法院", "吉0204"),
    "220211": ("吉林市丰满区人民法院", "吉0211"),
    "220221": ("永吉县人民法院", "吉0221"),
    "220281": ("蛟河市人民法院", "吉0281"),
    "220282": ("桦甸市人民法院", "吉0282"),
    "220283": ("舒兰市人民法院", "吉0283"),
    "220284": ("磐石市人民法院", "吉0284"),
}
TOWNS = {
    "220202": ("孤店子镇", "桦皮厂镇", "左家镇", "两家子满族乡", "土城子满族朝鲜族乡"),
    "220203": ("乌拉街满族镇", "缸窑镇", "江密峰镇", "大口钦满族镇", "金珠镇"),
    "220204": ("大绥河镇", "搜登站镇", "越北镇", "欢喜乡"),
    "220211": ("旺起镇", "江南乡", "前二道乡"),
    "220221": ("岔路河镇", "万昌镇", "北大湖镇", "西阳镇", "口前镇", "双河镇", "一拉溪镇", "金家满族乡", "黄榆乡"),
    "220281": ("新站镇", "天岗镇", "白石山镇", "漂河镇", "黄松甸镇", "天北镇", "松江镇", "庆岭镇", "前进乡"),
    "220282": ("夹皮沟镇", "二道甸子镇", "红石砬子镇", "八道河子镇", "常山镇", "金沙镇", "横道河子乡", "公吉乡"),
    "220283": ("平安镇", "水曲柳镇", "法特镇", "溪河镇", "上营镇", "白旗镇", "朝阳镇", "小城镇", "金马镇"),
    "220284": ("明城镇", "红旗岭镇", "烟筒山镇", "石嘴镇", "吉昌镇", "呼兰镇", "取柴河镇", "黑石镇", "松山镇"),
}
STREETS = {
    "220202": ("解放北路", "重庆街", "延安路", "通潭大路", "中康路", "长春路", "松江东路", "民主街", "天津街"),
    "220203": ("遵义东路", "龙潭大街", "湘潭街", "新吉林街", "榆树街", "和平街", "铁东街", "承德街", "徐州路"),
    "220204": ("北京路", "河南街", "光华路", "越山路", "青岛街", "致和街", "德胜路", "北安路", "珲春街"),
    "220211": ("吉林大街", "丰满路", "红旗街", "吉丰东路", "滨江南路", "沈阳街", "深圳街", "珠江路", "恒山西路"),
}
COUNTY_STREETS = (
    "人民大街",
    "中央大街",
    "新华路",
    "建设街",
    "胜利路",
    "解放路",
    "民主路",
    "长安路",
    "站前街",
    "兴业街",
)
VILLAGES = (
    "前进", "新立", "永安", "太平", "胜利", "红旗", "双山", "三家子", "五里河", "八家子", "大屯", "小屯",
    "东兴", "西山", "南岗", "北沟", "杨木", "柳树", "榆树", "黄榆", "石门", "长岭", "新华", "富强",
)  # fmt: skip

VILLAGE_HEADS = ("前", "后", "东", "西", "南", "北", "大", "小", "新", "老", "上", "下", "高", "双")
VILLAGE_TAILS = ("山", "岗", "屯", "沟", "河", "甸子", "家子", "营", "堡", "台", "岭", "泉")
REGION_WEIGHTS = _Table(
    [("220202", 18), ("220203", 12), ("220204", 16), ("220211", 12), ("220200", 6),
     ("220221", 7), ("220281", 7), ("220282", 7), ("220283", 8), ("220284", 7)]
)  # fmt: skip
RURAL_REGION_WEIGHTS = _Table(
    [("220202", 6), ("220203", 6), ("220204", 3), ("220211", 3),
     ("220221", 16), ("220281", 16), ("220282", 14), ("220283", 18), ("220284", 14)]
)  # fmt: skip


_SEVERITY_TABLES: dict[tuple[int, int, int], _Table] = {}


def _severity_table(weights: tuple[int, int, int]) -> _Table:
    table = _SEVERITY_TABLES.get(weights)
    if table is None:
        table = _SEVERITY_TABLES[weights] = _Table(list(zip(vocabulary.SEVERITIES, weights, strict=True)))
    return table


def _town_pool(region: str) -> tuple[str, ...]:
    if region == CITY:
        return TOWNS["220202"] + TOWNS["220203"]
    return TOWNS[region]


# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------

SURNAMES = _Table(
    [("王", 9), ("李", 9), ("张", 8), ("刘", 8), ("陈", 4), ("杨", 4), ("赵", 4), ("孙", 4), ("于", 3),
     ("高", 3), ("徐", 3), ("吴", 2), ("周", 2), ("马", 2), ("郭", 2), ("朱", 2), ("韩", 2), ("宋", 2),
     ("董", 2), ("曹", 2), ("崔", 2), ("金", 2), ("朴", 2), ("关", 1), ("那", 1), ("佟", 1), ("姜", 2),
     ("姚", 1), ("邢", 1), ("曲", 1), ("白", 1), ("付", 1), ("田", 1), ("林", 1), ("何", 1), ("罗", 1)]
)  # fmt: skip
GIVEN_CHARS = (
    "建国志强伟军明华丽红敏静秀英桂兰玉凤霞波海涛鹏飞斌磊勇杰刚峰亮辉平东俊宇浩博文晓雪丹莉娜婷艳春梅"
    "福德林成庆喜胜忠和永长宝金玲岩鑫欣悦佳怡子思雨慧"
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
    "157", "158", "159", "176", "177", "178", "180", "181", "186", "187", "188", "189", "191", "199",
)  # fmt: skip
RESERVED_PHONE_PREFIX = "13943210"  # the named cases' numbers


def id_check_char(first17: str) -> str:
    """Check character of an 18-digit 居民身份证号码 (GB 11643, ISO 7064 MOD 11-2)."""
    return "10X98765432"[sum(map(mul, map(int, first17), ID_WEIGHTS)) % 11]


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

ZIHAO_FIRST = "鑫宏恒盛金华天永兴顺吉利安瑞福长东北松江嘉博诚德泰隆君中正新源海佳益联荣龙凯宇明通祥润丰信昌众远鸿"
ZIHAO_SECOND = "达源通盛泰昌祥丰信隆发辉宇成诚鑫润强晟铭航锦瑞泽邦程森卓越创峰捷威华恒安禾旺凯远"
LOCAL_ZIHAO = ("雾凇", "北山", "松江", "龙潭", "江城", "长白", "松花湖", "北华", "龙潭山", "丰满", "江南", "世纪")

# (industry word, sector) of 91 enterprises.
ENTERPRISE_INDUSTRIES = _Table(
    [(("建材", "construction"), 5), (("商贸", "trade"), 9), (("科技", "general"), 6), (("物流", "transport"), 4),
     (("建筑工程", "construction"), 5), (("房地产开发", "construction"), 2), (("餐饮管理", "food"), 4),
     (("化工", "chemical"), 3), (("机械制造", "industry"), 3), (("汽车销售服务", "trade"), 2),
     (("农业发展", "agri"), 3), (("食品", "food"), 3), (("医药", "health"), 2), (("电子", "industry"), 2),
     (("装饰工程", "construction"), 4), (("物业管理", "general"), 3), (("信息技术", "general"), 3),
     (("人力资源服务", "general"), 1), (("旅游开发", "tourism"), 1), (("新能源", "industry"), 1),
     (("环保科技", "industry"), 1), (("木业", "industry"), 2), (("矿业", "chemical"), 1), (("粮油", "food"), 2),
     (("酒业", "food"), 1), (("印刷", "industry"), 1), (("文化传媒", "general"), 2), (("劳务", "construction"), 2),
     (("运输", "transport"), 3), (("钢结构", "construction"), 1), (("混凝土", "construction"), 1),
     (("热力", "industry"), 1), (("供应链管理", "trade"), 1), (("生物科技", "health"), 1),
     (("电气设备", "industry"), 1), (("五金机电", "trade"), 2), (("家具", "industry"), 1), (("服装", "trade"), 1),
     (("米业", "food"), 1), (("人参", "agri"), 1), (("食用菌", "agri"), 1), (("酒店管理", "tourism"), 1),
     (("教育咨询", "education"), 1), (("碳纤维", "chemical"), 1)]
)  # fmt: skip
ENTERPRISE_FORMS = _Table([("有限公司", 60), ("有限责任公司", 32), ("股份有限公司", 5), ("集团有限公司", 1)])

# (industry word, suffix, sector) of 92 个体工商户.
SHOP_INDUSTRIES = _Table(
    [(("烧烤", "店", "food"), 6), (("饭店", "", "food"), 6), (("家常菜", "馆", "food"), 4), (("冷面", "馆", "food"), 3),
     (("超市", "", "food"), 8), (("便利店", "", "food"), 5), (("烟酒", "商店", "food"), 3), (("粮油", "商店", "food"), 2),
     (("熟食", "店", "food"), 2), (("包子", "铺", "food"), 2), (("饺子", "馆", "food"), 2), (("麻辣烫", "店", "food"), 2),
     (("五金", "商店", "trade"), 3), (("建材", "商店", "trade"), 2), (("服装", "店", "trade"), 3),
     (("汽车修理", "部", "trade"), 2), (("手机维修", "部", "trade"), 2), (("水果", "店", "food"), 3),
     (("理发", "店", "service"), 3), (("美容美发", "店", "service"), 3), (("干洗", "店", "service"), 1),
     (("农资", "商店", "agri"), 2)]
)  # fmt: skip
SHOP_ZIHAO_STYLES = _Table([("老", 3), ("记", 2), ("小", 1), ("姐", 1), ("generic", 5)])

COOP_ZIHAO = ("丰收", "兴农", "金穗", "绿源", "富民", "惠农", "禾丰", "稻香", "金秋", "宏丰", "众鑫", "福民", "沃土")
COOP_KINDS = _Table(
    [("", 4), ("种植", 4), ("水稻种植", 3), ("玉米种植", 2), ("蔬菜种植", 2), ("食用菌种植", 2), ("肉牛养殖", 2),
     ("生猪养殖", 1), ("农机", 2), ("林蛙养殖", 1), ("人参种植", 1), ("蓝莓种植", 1), ("中草药种植", 1)]
)  # fmt: skip

NGO_ZIHAO = ("启航", "阳光", "育才", "博雅", "童心", "康乐", "福寿", "新星", "未来", "明德", "启智", "春蕾", "爱心")
# (full kind, short kind)
NGO_KINDS = _Table(
    [(("职业培训学校", "职业培训"), 4), (("幼儿园", "幼儿园"), 4), (("养老院", "养老院"), 3), (("老年公寓", "老年公寓"), 2),
     (("艺术培训学校", "艺术培训"), 2), (("康复中心", "康复中心"), 1), (("社会工作服务中心", "社工中心"), 1),
     (("体育俱乐部", "体育俱乐部"), 1), (("英语培训学校", "英语培训"), 1), (("托育中心", "托育中心"), 1)]
)  # fmt: skip

CITY_INSTITUTIONS = (
    "疾病预防控制中心", "急救中心", "图书馆", "博物馆", "群众艺术馆", "中心血站", "城市规划设计研究院",
    "住房公积金管理中心", "公证处", "水文局", "气象局", "不动产登记中心", "政务服务中心", "职业技术学校",
    "特殊教育学校", "人民广播电台", "社会福利院", "档案馆", "园林绿化管理处", "市政设施管理处",
)  # fmt: skip
REGION_INSTITUTIONS = ("疾病预防控制中心", "图书馆", "文化馆", "职业教育中心", "农业技术推广中心", "人民医院", "中医院")
TOWN_INSTITUTIONS = ("中心小学", "中心卫生院", "农业技术推广站", "畜牧兽医站", "综合服务中心", "中学")
_DIGITS_CN = "一二三四五六七八九"
# 一 … 三十, for numbered schools (第二十三中学).
CN_NUMERALS = tuple(
    (_DIGITS_CN[n // 10 - 1] if n >= 20 else "")
    + ("十" if n >= 10 else "")
    + (_DIGITS_CN[n % 10 - 1] if n % 10 else "")
    for n in range(1, 31)
)
VILLAGE_INSTITUTIONS = ("村卫生室", "村小学", "村综合服务站")

# Entity kinds: (USCC prefix, entity_type, weight).
KINDS = _Table(
    [(("91", "企业"), 55), (("92", "个体工商户"), 33), (("93", "农民专业合作社"), 5),
     (("52", "社会组织"), 3), (("12", "事业单位"), 1.5), (("N2", "农村集体经济组织"), 0.8)]
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Authorities and record catalogues
# --------------------------------------------------------------------------------------------

AUTHORITIES = {
    "tax_inspect": ("国家税务总局吉林市税务局第一稽查局", "吉市税一稽罚"),
    "fire": ("吉林市消防救援支队", "吉市消行罚决字"),
    "hrss": ("吉林市人力资源和社会保障局", "吉市人社监罚"),
    "urban": ("吉林市城市管理行政执法局", "吉市城执罚"),
    "env": ("吉林市生态环境局", "吉市环罚"),
    "housing": ("吉林市住房和城乡建设局", "吉市建罚字"),
    "emergency": ("吉林市应急管理局", "吉市应急罚"),
    "transport": ("吉林市交通运输局", "吉市交罚"),
    "health": ("吉林市卫生健康委员会", "吉市卫公罚"),
    "tourism": ("吉林市文化广播电视和旅游局", "吉市文旅罚"),
    "agri": ("吉林市农业农村局", "吉市农罚"),
    "natres": ("吉林市自然资源局", "吉市自然资罚"),
    "education": ("吉林市教育局", "吉市教罚"),
}

# (authority key, violation, legal basis, weights of 轻微/一般/严重)
Violation = tuple[str, str, str, tuple[int, int, int]]
COMMON_VIOLATIONS: tuple[Violation, ...] = (
    ("tax", "未按照规定期限办理纳税申报和报送纳税资料", "《中华人民共和国税收征收管理法》第六十二条", (8, 2, 0)),
    ("tax_inspect", "偷税（逃避缴纳税款）", "《中华人民共和国税收征收管理法》第六十三条", (0, 4, 3)),
    ("fire", "消防设施、器材未保持完好有效", "《中华人民共和国消防法》第六十条", (3, 5, 0)),
    ("fire", "占用、堵塞、封闭疏散通道、安全出口", "《中华人民共和国消防法》第六十条", (3, 5, 1)),
    ("hrss", "未按规定缴纳社会保险费", "《中华人民共和国社会保险法》第八十六条", (2, 5, 0)),
    ("urban", "擅自设置户外广告设施", "《城市市容和环境卫生管理条例》第三十六条", (6, 3, 0)),
)
SECTOR_VIOLATIONS: dict[str, tuple[Violation, ...]] = {
    "food": (
        ("amr", "销售超过保质期的食品", "《中华人民共和国食品安全法》第一百二十四条", (2, 6, 1)),
        ("amr", "未按规定查验并记录食品进货凭证", "《中华人民共和国食品安全法》第一百二十六条", (6, 3, 0)),
        ("amr", "经营场所卫生条件不符合食品安全要求", "《中华人民共和国食品安全法》第一百二十六条", (5, 4, 0)),
        ("env", "餐饮油烟超标排放", "《中华人民共和国大气污染防治法》第一百一十八条", (2, 6, 0)),
        ("amr", "生产经营不符合食品安全标准的食品", "《中华人民共和国食品安全法》第一百二十四条", (0, 4, 3)),
    ),
    "trade": (
        ("amr", "销售不合格产品", "《中华人民共和国产品质量法》第四十九条", (1, 6, 2)),
        ("amr", "未按规定明码标价", "《明码标价和禁止价格欺诈规定》第二十一条", (7, 2, 0)),
        ("amr", "发布虚假广告", "《中华人民共和国广告法》第五十五条", (1, 5, 2)),
    ),
    "construction": (
        ("housing", "未取得施工许可证擅自施工", "《建筑工程施工许可管理办法》第十二条", (0, 6, 2)),
        ("housing", "未按照工程建设强制性标准施工", "《建设工程质量管理条例》第六十四条", (0, 5, 3)),
        ("emergency", "未按规定开展安全生产教育和培训", "《中华人民共和国安全生产法》第九十七条", (3, 5, 0)),
        ("urban", "施工现场扬尘污染防治措施不到位", "《中华人民共和国大气污染防治法》第一百一十五条", (2, 6, 0)),
    ),
    "transport": (
        ("transport", "道路运输车辆超限运输", "《公路安全保护条例》第六十四条", (2, 6, 1)),
        ("transport", "未按规定对营运车辆进行安全技术检验", "《中华人民共和国道路运输条例》第七十条", (3, 5, 0)),
    ),
    "chemical": (
        ("env", "超标排放大气污染物", "《中华人民共和国大气污染防治法》第九十九条", (0, 5, 3)),
        ("env", "危险废物未按规定贮存", "《中华人民共和国固体废物污染环境防治法》第一百一十二条", (0, 5, 2)),
        ("emergency", "未建立事故隐患排查治理制度", "《中华人民共和国安全生产法》第一百零一条", (2, 6, 1)),
        ("emergency", "危险化学品储存不符合国家标准", "《危险化学品安全管理条例》第八十条", (0, 4, 3)),
    ),
    "industry": (
        ("env", "超标排放水污染物", "《中华人民共和国水污染防治法》第八十三条", (0, 5, 2)),
        ("env", "环境影响评价文件未经批准擅自开工建设", "《中华人民共和国环境影响评价法》第三十一条", (0, 6, 2)),
        ("emergency", "特种作业人员未持证上岗", "《中华人民共和国安全生产法》第九十七条", (3, 5, 0)),
        ("amr", "使用未经定期检验的特种设备", "《中华人民共和国特种设备安全法》第八十四条", (1, 6, 1)),
    ),
    "health": (
        ("amr", "未按规定执行药品经营质量管理规范", "《中华人民共和国药品管理法》第一百二十六条", (1, 5, 2)),
        ("health", "从业人员未取得有效健康合格证明", "《公共场所卫生管理条例实施细则》第三十八条", (6, 3, 0)),
    ),
    "service": (
        ("health", "从业人员未取得有效健康合格证明", "《公共场所卫生管理条例实施细则》第三十八条", (6, 3, 0)),
        ("health", "公共场所卫生检测不合格", "《公共场所卫生管理条例》第十四条", (3, 5, 0)),
    ),
    "tourism": (
        ("tourism", "旅行社未与旅游者签订书面旅游合同", "《中华人民共和国旅游法》第一百条", (2, 6, 0)),
        ("health", "公共场所卫生检测不合格", "《公共场所卫生管理条例》第十四条", (3, 5, 0)),
    ),
    "agri": (
        ("agri", "经营假劣农药", "《农药管理条例》第五十六条", (0, 5, 3)),
        ("agri", "未按规定建立农药经营台账", "《农药管理条例》第五十八条", (6, 3, 0)),
        ("natres", "非法占用耕地建房", "《中华人民共和国土地管理法》第七十七条", (0, 4, 3)),
    ),
    "education": (
        ("education", "超出办学许可范围招生", "《中华人民共和国民办教育促进法》第六十二条", (1, 5, 2)),
        ("education", "发布虚假招生简章", "《中华人民共和国民办教育促进法》第六十二条", (1, 5, 2)),
    ),
    "public": (
        ("env", "医疗废物未按规定分类收集", "《医疗废物管理条例》第四十六条", (1, 5, 1)),
        ("natres", "未按规划许可要求建设", "《中华人民共和国城乡规划法》第六十四条", (0, 5, 1)),
    ),
}
SEVERITY_PENALTY = {
    vocabulary.MINOR: ("警告", "罚款人民币{small}元"),
    vocabulary.ORDINARY: ("罚款人民币{mid}万元", "没收违法所得{small}元，并处罚款人民币{mid}万元"),
    vocabulary.SERIOUS: (
        "罚款人民币{big}万元",
        "吊销许可证件，并处罚款人民币{mid}万元",
        "责令停产停业，并处罚款人民币{big}万元",
    ),
}

# (license, authority, 许可类别, validity in years; 0 = long-term)
License = tuple[str, str, str, int]
LICENSES: dict[str, tuple[License, ...]] = {
    "food": (
        ("食品经营许可证", "amr", "普通", 5),
        ("食品生产许可证", "amr", "普通", 5),
        ("烟草专卖零售许可证", "吉林市烟草专卖局", "特许", 5),
    ),
    "trade": (
        ("食品经营许可证", "amr", "普通", 5),
        ("户外广告设置许可", "吉林市城市管理行政执法局", "普通", 3),
    ),
    "construction": (
        ("建筑业企业资质证书", "吉林市住房和城乡建设局", "认可", 5),
        ("建筑工程施工许可证", "吉林市住房和城乡建设局", "普通", 0),
        ("建设工程规划许可证", "吉林市自然资源局", "普通", 0),
    ),
    "transport": (("道路运输经营许可证", "吉林市交通运输局", "普通", 6),),
    "chemical": (
        ("危险化学品经营许可证", "吉林市应急管理局", "普通", 3),
        ("排污许可证", "吉林市生态环境局", "普通", 5),
    ),
    "industry": (
        ("排污许可证", "吉林市生态环境局", "普通", 5),
        ("取水许可证", "吉林市水利局", "普通", 5),
    ),
    "general": (
        ("人力资源服务许可证", "吉林市人力资源和社会保障局", "普通", 0),
        ("户外广告设置许可", "吉林市城市管理行政执法局", "普通", 3),
    ),
    "health": (
        ("药品经营许可证", "amr", "普通", 5),
        ("公共场所卫生许可证", "吉林市卫生健康委员会", "普通", 4),
    ),
    "service": (("公共场所卫生许可证", "吉林市卫生健康委员会", "普通", 4),),
    "tourism": (
        ("旅行社业务经营许可证", "吉林市文化广播电视和旅游局", "普通", 0),
        ("公共场所卫生许可证", "吉林市卫生健康委员会", "普通", 4),
    ),
    "agri": (
        ("农药经营许可证", "吉林市农业农村局", "普通", 5),
        ("种子生产经营许可证", "吉林市农业农村局", "普通", 5),
        ("动物防疫条件合格证", "吉林市农业农村局", "核准", 0),
    ),
    "education": (
        ("民办学校办学许可证", "吉林市教育局", "普通", 5),
        ("民办职业培训学校办学许可证", "吉林市人力资源和社会保障局", "普通", 5),
    ),
    "elderly": (("养老机构备案", "吉林市民政局", "登记", 0),),
    "public": (
        ("建设工程规划许可证", "吉林市自然资源局", "普通", 0),
        ("医疗机构执业许可证", "吉林市卫生健康委员会", "普通", 5),
        ("取水许可证", "吉林市水利局", "普通", 5),
    ),
}
LICENSE_DOC = {
    "amr": "吉市监许",
    "吉林市烟草专卖局": "吉市烟专许",
    "吉林市城市管理行政执法局": "吉市城许",
    "吉林市住房和城乡建设局": "吉市建许",
    "吉林市自然资源局": "吉市自然资许",
    "吉林市交通运输局": "吉市交许",
    "吉林市应急管理局": "吉市应急许",
    "吉林市生态环境局": "吉市环许",
    "吉林市水利局": "吉市水许",
    "吉林市人力资源和社会保障局": "吉市人社许",
    "吉林市卫生健康委员会": "吉市卫许",
    "吉林市文化广播电视和旅游局": "吉市文旅许",
    "吉林市农业农村局": "吉市农许",
    "吉林市教育局": "吉市教许",
    "吉林市民政局": "吉市民许",
}

# 守信激励: (title, authority, document prefix or None, validity months, entity prefixes)
REDLIST: tuple[tuple[str, str, str | None, int, str], ...] = (
    ("纳税信用A级纳税人（{y}年度）", "国家税务总局吉林市税务局", None, 12, "91 93"),
    ("吉林省守合同重信用企业", "吉林省市场监督管理局", "吉市监信", 24, "91"),
    ("海关高级认证企业", "长春海关", None, 36, "91"),
    ("劳动保障守法诚信用人单位（A级）", "吉林市人力资源和社会保障局", "吉市人社信", 24, "91 52 12"),
    ("吉林市诚信经营示范店", "吉林市市场监督管理局", "吉市监信", 24, "92"),
    ("吉林省诚信建设示范单位", "吉林省发展和改革委员会", "吉发改信用", 24, "12 52"),
    ("省级示范农民专业合作社", "吉林省农业农村厅", "吉农经发", 36, "93"),
    ("吉林市乡村振兴示范村集体经济组织", "吉林市农业农村局", "吉市农发", 24, "N2"),
)
# 严重失信主体名单: (title, authority key or name, document prefix, legally non-repairable, prefixes)
BLACKLIST: tuple[tuple[str, str, str, bool, str], ...] = (
    ("失信被执行人", "court", "执", True, "91 92 93 52 12 N2"),
    ("重大税收违法失信主体", "国家税务总局吉林市税务局", "吉市税稽失信", False, "91 92"),
    ("拖欠农民工工资失信联合惩戒对象名单", "吉林市人力资源和社会保障局", "吉市人社失信", False, "91 N2"),
    ("安全生产严重失信主体名单", "吉林市应急管理局", "吉市应急失信", False, "91"),
    ("食品安全严重违法生产经营者黑名单", "amr", "吉市监失信", False, "91 92"),
)
WATCHLIST: tuple[tuple[str, str, str], ...] = (
    ("拖欠农民工工资重点关注名单", "吉林市人力资源和社会保障局", "吉市人社关注"),
    ("安全生产重点关注名单", "吉林市应急管理局", "吉市应急关注"),
    ("环境信用评价警示企业", "吉林市生态环境局", "吉市环信"),
    ("建筑市场重点关注名单", "吉林市住房和城乡建设局", "吉市建信"),
)
ABNORMAL_REASONS = _Table(
    [("未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告", 7), ("通过登记的住所或者经营场所无法联系", 3),
     ("未在市场监督管理部门责令的期限内公示有关企业信息", 1), ("公示企业信息隐瞒真实情况、弄虚作假", 0.5)]
)  # fmt: skip
COMMITMENT_TYPES = _Table([("主动型", 5), ("审批替代型", 3), ("容缺受理型", 2), ("证明事项告知承诺", 1)])
COMMITMENT_MATTERS = (
    "食品经营许可",
    "建筑工程施工许可",
    "公共场所卫生许可",
    "排污许可",
    "道路运输经营许可",
    "企业投资项目备案",
)
LAWSUITS = (
    "买卖合同纠纷", "建设工程施工合同纠纷", "劳动争议", "房屋租赁合同纠纷", "借款合同纠纷", "服务合同纠纷",
    "机动车交通事故责任纠纷", "承揽合同纠纷", "产品责任纠纷", "物业服务合同纠纷",
)  # fmt: skip
JUDGMENTS = (
    "判决被告于判决生效之日起十日内支付货款及利息",
    "驳回原告的诉讼请求",
    "判决被告支付工程款及逾期付款违约金",
    "判决解除合同，被告返还预付款",
    "准予原告撤回起诉",
)
OTHER_RECORDS: tuple[tuple[str, str], ...] = (
    ("社会保险缴费信息：按时足额缴纳", "吉林市社会保险事业管理局"),
    ("住房公积金缴存信息：正常缴存", "吉林市住房公积金管理中心"),
    ("{y}年度吉林市文明单位", "中共吉林市委精神文明建设委员会"),
    ("慈善捐赠信息：向吉林市慈善总会捐赠", "吉林市慈善总会"),
    ("年度报告公示信息：已按期公示", "吉林市市场监督管理局"),
)

CATEGORY_WEIGHTS = {
    "91": (26, 20, 6, 1.2, 2, 6, 12, 9, 10, 8),
    "92": (30, 22, 4, 0.8, 1, 10, 8, 2, 4, 6),
    "93": (20, 12, 6, 0.8, 1, 14, 12, 10, 6, 10),
    "52": (30, 14, 6, 0.6, 2, 0, 14, 12, 6, 14),
    "12": (30, 8, 10, 0.3, 0.5, 0, 14, 6, 8, 24),
    "N2": (10, 10, 6, 2, 2, 0, 20, 6, 14, 30),
}
# Weights follow the order of the vocabulary's categories.
CATEGORY_TABLES = {
    prefix: _Table(list(zip(vocabulary.CATEGORY_NAMES, w, strict=True))) for prefix, w in CATEGORY_WEIGHTS.items()
}
RECORD_COUNTS = _Table([(0, 10), (1, 16), (2, 20), (3, 18), (4, 14), (5, 9), (6, 6), (7, 4), (8, 3)])
ENTITY_STATUS = _Table([("存续", 88), ("在业", 4), ("注销", 5), ("吊销", 3)])
EARLIEST_ESTABLISHED = {
    "91": date(1995, 1, 1), "92": date(2005, 1, 1), "93": date(2008, 7, 1),
    "52": date(2000, 1, 1), "12": date(1980, 1, 1), "N2": date(2018, 1, 1),
}  # fmt: skip
GRADE_SCORES = {"A": (90, 100), "B": (75, 89), "C": (60, 74), "D": (30, 59)}

# --------------------------------------------------------------------------------------------
# Named cases
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamedCase:
    """A fixed demo entity; ``flow`` says which assistant flow it demonstrates."""

    uscc: str
    name: str
    short_name: str
    entity_type: str
    region_code: str
    legal_representative: str
    contact_phone: str
    grade: str
    flow: str


NAMED_CASES: tuple[NamedCase, ...] = (
    NamedCase("91220202MA0Y3K7Q6L", "吉林市江城建材有限公司", "江城建材", "企业", "220202", "王建国",
              "13943210001", "B", "一般行政处罚已满3个月且已缴清罚款：现在可以申请信用修复；另有许可、合同履约记录"),
    NamedCase("92220204L5B2C8D11M", "船营区老王烧烤店", "老王烧烤", "个体工商户", "220204", "王德林",
              "13943210002", "B", "一般行政处罚约1个月前作出：暂不能修复，最早于决定之日起3个月后申请"),
    NamedCase("52220211MJ0A1B2C5E", "丰满区启航职业培训学校", "启航职业培训", "社会组织", "220211", "李红梅",
              "13943210003", "C", "严重行政处罚，依法不可修复"),
    NamedCase("N2220202MA0Y3K7Q64", "昌邑区桦皮厂村股份经济合作社", "桦皮厂村", "农村集体经济组织", "220202", "张福林",
              "13943210004", "D", "列入严重失信主体名单（失信联合惩戒），评价等级D"),
    NamedCase("12220200012345671E", "吉林市公共资源交易中心", "公共资源交易中心", "事业单位", "220200", "刘志强",
              "13943210005", "A", "守信激励（红名单），评价等级A"),
    NamedCase("93220221MA14XK2F29", "永吉县丰收农民专业合作社", "丰收合作社", "农民专业合作社", "220221", "赵玉芬",
              "13943210006", "C", "一条行政处罚正在异议处理中（异议标注）"),
)  # fmt: skip


@dataclass
class EntityBundle:
    """One entity with its credit records and evaluations (rows keyed by column name)."""

    entity: Row
    records: list[Row] = field(default_factory=list)
    evaluations: list[Row] = field(default_factory=list)


def _cn_utc(day: date) -> datetime:
    """10:00 China time on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(2, 0), tzinfo=timezone.utc)


class _Permutation:
    """Bijective scramble of 0..size-1 (affine map), so counters become unique random-looking bodies."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size = size
        mult = rng.randrange(size // 3, size - 1)
        while any(mult % p == 0 for p in (2, 5, 31)):
            mult += 1
        self.mult = mult
        self.offset = rng.randrange(size)

    def __call__(self, index: int) -> int:
        return (self.mult * index + self.offset) % self.size


def _base31(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 31)
        chars.append(CHARSET[digit])
    return "".join(reversed(chars))


class CityGenerator:
    """Streams a synthetic 吉林市 of ``entities`` entities (named cases included), deterministic by seed."""

    def __init__(
        self,
        entities: int = 2000,
        seed: int = 42,
        today: date | None = None,
        policy: Policy | None = None,
    ) -> None:
        if entities < len(NAMED_CASES):
            raise ValueError(f"at least {len(NAMED_CASES)} entities are needed for the named cases")
        if today is None:
            from credit_backend.clock import today as clock_today

            today = clock_today()
        self.entities = entities
        self.seed = seed
        self.today = today
        self.policy = policy or load_policy()
        self._regime = self.policy.regime_for(today)

    # ---- public -------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[EntityBundle]:
        rng = random.Random(self.seed)
        self._rng = rng
        self._r = rng.random
        self._perm_ma = _Permutation(31**6, rng)
        self._perm_mj = _Permutation(31**6, rng)
        self._perm_l = _Permutation(31**7, rng)
        self._perm_digits = _Permutation(10**8, rng)
        self._counters = {"MA": 0, "MJ": 0, "L": 0, "D": 0}
        self._record_id = 0
        self._evaluation_id = 0
        self._named_codes = {c.uscc for c in NAMED_CASES}
        self._names: set[str] = {c.name for c in NAMED_CASES}
        self._short_reserved = {c.short_name for c in NAMED_CASES}
        self._latest_start = self.today - timedelta(days=30)
        for entity_id, case in enumerate(NAMED_CASES, start=1):
            yield self._finish(self._named_bundle(entity_id, case))
        for entity_id in range(len(NAMED_CASES) + 1, self.entities + 1):
            yield self._finish(self._entity_bundle(entity_id))

    def _finish(self, bundle: EntityBundle) -> EntityBundle:
        """Every record's own polarity and publication flag, from its finished facts (issue 12)."""
        for row in bundle.records:
            row.setdefault("polarity", vocabulary.record_polarity(row["category"], row["severity"]).value)
            severity = row["severity"]
            row["published"] = severity is None or self._regime.rule_for(severity).published_by_default
        return bundle

    # ---- shared helpers ----------------------------------------------------------------------

    def _next_record_id(self) -> int:
        self._record_id += 1
        return self._record_id

    def _days_between(self, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return lo + timedelta(days=int(self._r() * ((hi - lo).days + 1)))

    def _person(self, surname: str | None = None) -> str:
        r = self._r
        surname = surname or SURNAMES.pick(r)
        n = 1 if r() < 0.3 else 2
        return surname + "".join(GIVEN_CHARS[int(r() * len(GIVEN_CHARS))] for _ in range(n))

    def _id_number(self) -> str:
        r = self._r
        region = (*DISTRICTS, *COUNTIES)[int(r() * 9)]
        birth = self.today - timedelta(days=int(365.25 * (23 + r() * 45)))
        first17 = f"{region}{birth:%Y%m%d}{1 + int(r() * 999):03d}"
        return first17 + id_check_char(first17)

    def _phone(self) -> str:
        r = self._r
        while True:
            phone = PHONE_PREFIXES[int(r() * len(PHONE_PREFIXES))] + f"{int(r() * 10**8):08d}"
            if not phone.startswith(RESERVED_PHONE_PREFIX):
                return phone

    def _address(self, region: str, rural: bool = False) -> str:
        r = self._r
        if region == CITY:
            region = DISTRICTS[int(r() * 4)]
        if region in DISTRICTS and not rural:
            streets = STREETS[region]
            return f"吉林省吉林市{JILIN_REGIONS[region]}{streets[int(r() * len(streets))]}{1 + int(r() * 899)}号"
        towns = TOWNS[region]
        town = towns[int(r() * len(towns))]
        place = JILIN_REGIONS[region] if region in COUNTIES else f"吉林市{JILIN_REGIONS[region]}"
        if rural or r() < 0.4:
            return f"吉林省{place}{town}{VILLAGES[int(r() * len(VILLAGES))]}村"
        return f"吉林省{place}{COUNTY_STREETS[int(r() * len(COUNTY_STREETS))]}{1 + int(r() * 399)}号"

    def _zihao(self) -> str:
        r = self._r
        if r() < 0.06:
            return LOCAL_ZIHAO[int(r() * len(LOCAL_ZIHAO))]
        while True:
            first = ZIHAO_FIRST[int(r() * len(ZIHAO_FIRST))]
            second = ZIHAO_SECOND[int(r() * len(ZIHAO_SECOND))]
            if first == second:
                continue
            if r() < 0.3:  # three-character 字号 such as 恒泰隆 widen the name space of a big city
                third = ZIHAO_SECOND[int(r() * len(ZIHAO_SECOND))]
                if third not in (first, second):
                    return first + second + third
            return first + second

    def _code(self, prefix: str, region: str, style: str) -> str:
        while True:
            index = self._counters[style]
            self._counters[style] = index + 1
            if style == "MA":
                body = "MA" + _base31(self._perm_ma(index), 6)
            elif style == "MJ":
                body = "MJ" + _base31(self._perm_mj(index), 6)
            elif style == "L":
                body = "L" + _base31(self._perm_l(index), 7)
            else:
                body = f"{self._perm_digits(index):08d}"
            code = make_uscc(prefix, region, body)
            if code not in self._named_codes:
                return code

    # ---- generated entities ------------------------------------------------------------------

    def _entity_bundle(self, entity_id: int) -> EntityBundle:
        r = self._r
        prefix, entity_type = KINDS.pick(r)
        rural = prefix in ("93", "N2")
        region = (RURAL_REGION_WEIGHTS if rural else REGION_WEIGHTS).pick(r)
        if prefix in ("93", "N2") and region == CITY:
            region = COUNTIES[0]
        sector, name, short_name, surname = self._name_for(prefix, region)
        earliest = EARLIEST_ESTABLISHED[prefix]
        latest = date(2021, 12, 31) if prefix == "N2" else self._latest_start
        established = self._days_between(earliest, latest)
        new_style = established >= date(2016, 1, 1)
        if prefix == "92":
            style = "L" if r() < 0.5 else "MA"
        elif prefix == "52":
            style = "MJ" if new_style else "D"
        elif prefix == "12":
            style = "D"
        else:
            style = "MA" if new_style or prefix == "N2" else "D"
        status = ENTITY_STATUS.pick(r) if prefix in ("91", "92", "93") else "存续"
        if status == "吊销" and prefix != "91":
            status = "注销"
        entity: Row = {
            "id": entity_id,
            "uscc": self._code(prefix, region, style),
            "name": name,
            "short_name": short_name,
            "entity_type": entity_type,
            "region_code": region,
            "legal_representative": self._person(surname),
            "legal_rep_id_number": self._id_number(),
            "contact_phone": self._phone(),
            "address": self._address(region, rural),
            "established_on": established,
            "status": status,
        }
        bundle = EntityBundle(entity)
        lo = max(EARLIEST_DECISION, established)
        table = CATEGORY_TABLES[prefix]
        for _ in range(RECORD_COUNTS.pick(r)):
            category = table.pick(r)
            bundle.records.append(self._record(entity_id, category, prefix, region, sector, lo))
        if status == "吊销":
            bundle.records.append(self._revocation_record(entity_id, region, lo))
        if status != "注销" and (established < self.today - timedelta(days=180) or r() < 0.3) and r() < 0.96:
            bundle.evaluations.append(self._evaluation(entity_id, bundle.records))
        return bundle

    def _unique(self, make: Any) -> tuple[str, str, str, str | None]:
        """Draw names until one is new (a few tries; very large cities may keep a rare duplicate)."""
        for _ in range(12):
            sector, name, short_name, surname = make()
            if name not in self._names and short_name not in self._short_reserved:
                break
        self._names.add(name)
        return sector, name, short_name, surname

    def _name_for(self, prefix: str, region: str) -> tuple[str, str, str, str | None]:
        r = self._r
        place = JILIN_REGIONS[region]

        def enterprise() -> tuple[str, str, str, str | None]:
            industry, sector = ENTERPRISE_INDUSTRIES.pick(r)
            zihao = self._zihao()
            if region in COUNTIES:
                head = place
            else:
                roll = r()
                head = "吉林市" if roll < 0.7 else ("吉林" if roll < 0.9 or region == CITY else f"吉林市{place}")
            return sector, f"{head}{zihao}{industry}{ENTERPRISE_FORMS.pick(r)}", zihao + industry, None

        def shop() -> tuple[str, str, str, str | None]:
            industry, suffix, sector = SHOP_INDUSTRIES.pick(r)
            style = SHOP_ZIHAO_STYLES.pick(r)
            surname = SURNAMES.pick(r)
            zihao = {"老": "老" + surname, "记": surname + "记", "小": "小" + surname, "姐": surname + "姐"}.get(
                style, ""
            )
            if not zihao:
                zihao, surname = self._zihao(), None
            shop_place = JILIN_REGIONS[DISTRICTS[int(r() * 4)]] if region == CITY else place
            return sector, f"{shop_place}{zihao}{industry}{suffix}", zihao + industry, surname

        def coop() -> tuple[str, str, str, str | None]:
            zihao = COOP_ZIHAO[int(r() * len(COOP_ZIHAO))] if r() < 0.5 else self._zihao()
            kind = COOP_KINDS.pick(r)
            head = place
            if r() < 0.35:
                towns = _town_pool(region)
                head += towns[int(r() * len(towns))]
            return "agri", f"{head}{zihao}{kind}农民专业合作社", f"{zihao}{kind}合作社", None

        def ngo() -> tuple[str, str, str, str | None]:
            zihao = NGO_ZIHAO[int(r() * len(NGO_ZIHAO))] if r() < 0.5 else self._zihao()
            full, short = NGO_KINDS.pick(r)
            sector = "elderly" if ("养老" in full or "老年" in full) else "education"
            head = "吉林市" if region == CITY else place
            return sector, f"{head}{zihao}{full}", zihao + short, None

        def institution() -> tuple[str, str, str, str | None]:
            roll = r()
            if region == CITY or roll < 0.25:
                head = "吉林市"
                pool = CITY_INSTITUTIONS if roll < 0.6 else REGION_INSTITUTIONS
                unit = pool[int(r() * len(pool))]
            elif roll < 0.5:
                head = place
                unit = REGION_INSTITUTIONS[int(r() * len(REGION_INSTITUTIONS))]
            elif roll < 0.65:
                head = place
                unit = f"第{CN_NUMERALS[int(r() * len(CN_NUMERALS))]}{'中学' if r() < 0.5 else '实验小学'}"
            elif roll < 0.85:
                towns = _town_pool(region)
                head = place + towns[int(r() * len(towns))]
                unit = TOWN_INSTITUTIONS[int(r() * len(TOWN_INSTITUTIONS))]
            else:
                towns = _town_pool(region)
                head = place + towns[int(r() * len(towns))]
                unit = VILLAGES[int(r() * len(VILLAGES))] + VILLAGE_INSTITUTIONS[int(r() * len(VILLAGE_INSTITUTIONS))]
            return "public", head + unit, unit if head == "吉林市" else head[len(place) :] + unit, None

        def collective() -> tuple[str, str, str, str | None]:
            if r() < 0.5:
                village = VILLAGES[int(r() * len(VILLAGES))] + "村"
            else:
                village = (
                    VILLAGE_HEADS[int(r() * len(VILLAGE_HEADS))] + VILLAGE_TAILS[int(r() * len(VILLAGE_TAILS))] + "村"
                )
            towns = _town_pool(region)
            town = towns[int(r() * len(towns))]
            return "agri", f"{place}{town}{village}股份经济合作社", town + village, None

        makers = {"91": enterprise, "92": shop, "93": coop, "52": ngo, "12": institution, "N2": collective}
        return self._unique(makers[prefix])

    # ---- records -----------------------------------------------------------------------------

    def _amr(self, region: str) -> tuple[str, str]:
        """Market regulation authority and document prefix for a region."""
        if region in COUNTIES:
            return f"{JILIN_REGIONS[region]}市场监督管理局", f"{REGION_ABBR[region]}市监"
        if region in DISTRICTS and self._r() < 0.5:
            name = JILIN_REGIONS[region][:2]
            return f"吉林市市场监督管理局{name}分局", f"吉市监{REGION_ABBR[region]}"
        return "吉林市市场监督管理局", "吉市监"

    def _tax(self, region: str) -> tuple[str, str]:
        if region in COUNTIES:
            return f"国家税务总局{JILIN_REGIONS[region]}税务局", f"{REGION_ABBR[region]}税"
        if region in DISTRICTS:
            return f"国家税务总局吉林市{JILIN_REGIONS[region]}税务局", f"吉{REGION_ABBR[region]}税"
        return "国家税务总局吉林市税务局", "吉市税"

    def _doc(self, prefix: str, day: date) -> str:
        return f"{prefix}〔{day.year}〕{1 + int(self._r() * 600)}号"

    def _window(self, severity: str, decided: date) -> tuple[date, date]:
        """(min_end, max_end) of a negative record under the regime in force today."""
        rule = self._regime.rule_for(severity)
        return add_months(decided, rule.min_months), add_months(decided, rule.max_months)

    def _base(self, entity_id: int, category: str, title: str, authority: str, decided: date) -> Row:
        return {
            "id": self._next_record_id(),
            "entity_id": entity_id,
            "category": category,
            "title": title,
            "document_no": None,
            "authority": authority,
            "decision_date": decided,
            "severity": None,
            "content": None,
            "legal_basis": None,
            "publicity_end": None,
            "status": "active",
            "under_objection": False,
            "obligations_fulfilled": False,
            "legally_non_repairable": False,
            "punishment_lifted_at": None,
            "corrected_at": None,
            "barred_until": None,
        }

    def _negative_status(self, row: Row, fulfilled_p: float, repair_p: float) -> Row:
        """Fill severity-driven fields: publicity end, status, fulfilment, repair, objection."""
        r = self._r
        min_end, max_end = self._window(row["severity"], row["decision_date"])
        row["publicity_end"] = max_end
        fulfilled = r() < fulfilled_p
        if r() < 0.01:
            row["status"] = "revoked"
        elif self.today >= max_end:
            row["status"] = "expired"
            fulfilled = fulfilled or r() < 0.8
        elif fulfilled and self.today >= min_end and not row["legally_non_repairable"] and r() < repair_p:
            row["status"] = "repaired"
            repaired_on = self._days_between(min_end, min(self.today, min_end + timedelta(days=90)))
            row["corrected_at"] = row["punishment_lifted_at"] = _cn_utc(repaired_on)
        elif r() < 0.004:
            row["under_objection"] = True
        row["obligations_fulfilled"] = fulfilled
        return row

    def _record(self, entity_id: int, category: str, prefix: str, region: str, sector: str, lo: date) -> Row:
        r = self._r
        decided = self._days_between(lo, self.today)
        if category == vocabulary.PENALTY:
            return self._penalty(entity_id, region, sector, decided)
        if category == vocabulary.PERMIT:
            return self._license(entity_id, region, sector, decided)
        if category == vocabulary.REDLIST:
            options = [e for e in REDLIST if prefix in e[4].split()]
            title, authority, doc, months, _ = options[int(r() * len(options))]
            row = self._base(entity_id, category, title.format(y=decided.year - 1), authority, decided)
            row["document_no"] = self._doc(doc, decided) if doc else None
            end = add_months(decided, months)
            row["publicity_end"] = end
            row["status"] = "active" if self.today < end else "expired"
            row["content"] = f"有效期自{decided.isoformat()}至{end.isoformat()}；依法依规享受守信激励措施"
            return row
        if category == vocabulary.SEVERE_LIST:
            options = [e for e in BLACKLIST if prefix in e[4].split()]
            title, authority, doc, non_repairable, _ = options[int(r() * len(options))]
            if authority == "court":
                court, court_code = COURTS[region]
                row = self._base(entity_id, category, title, court, decided)
                row["document_no"] = f"（{decided.year}）{court_code}执{1 + int(r() * 3000)}号"
                row["content"] = (
                    "生效法律文书确定的义务：支付货款及利息；履行情况：全部未履行；"
                    "失信行为具体情形：有履行能力而拒不履行生效法律文书确定义务"
                )
            else:
                if authority == "amr":
                    authority, _ = self._amr(region)
                row = self._base(entity_id, category, title, authority, decided)
                row["document_no"] = self._doc(doc, decided)
                row["content"] = f"因{title.replace('名单', '').replace('黑名单', '')}情形被列入严重失信主体名单"
            row["severity"] = vocabulary.SERIOUS
            row["legally_non_repairable"] = non_repairable
            return self._negative_status(row, 0.35, 0.4)
        if category == vocabulary.WATCH_LIST:
            title, authority, doc = WATCHLIST[int(r() * len(WATCHLIST))]
            row = self._base(entity_id, category, title, authority, decided)
            row["document_no"] = self._doc(doc, decided)
            row["severity"] = vocabulary.ORDINARY
            row["content"] = "列入重点关注名单，实施与失信程度相对应的严格监管措施"
            return self._negative_status(row, 0.6, 0.5)
        if category == vocabulary.ABNORMAL:
            authority, doc = self._amr(region)
            reason = ABNORMAL_REASONS.pick(r)
            if prefix == "92":
                reason = "未按规定报送年度报告"
                title = "标记为经营异常状态"
            else:
                title = "列入经营异常名录"
            row = self._base(entity_id, category, title, authority, decided)
            row["document_no"] = self._doc(doc + "异", decided)
            row["severity"] = vocabulary.ORDINARY
            row["content"] = f"列入原因：{reason}"
            return self._negative_status(row, 0.7, 0.7)
        if category == vocabulary.COMMITMENT:
            kind = COMMITMENT_TYPES.pick(r)
            matter = COMMITMENT_MATTERS[int(r() * len(COMMITMENT_MATTERS))]
            title = f"{kind}信用承诺" if kind == "主动型" else f"{kind}信用承诺（{matter}）"
            if kind == "证明事项告知承诺":
                title = f"证明事项告知承诺（{matter}）"
            row = self._base(entity_id, category, title, "吉林市政务服务和数字化建设管理局", decided)
            row["document_no"] = f"CN{region}{decided:%Y%m%d}{1 + int(r() * 9999):04d}"
            kept = "全部履行" if kind == "主动型" or r() < 0.9 else "正在履行"
            row["content"] = (
                f"承诺类型：{kind}；承诺内容：资料真实有效，遵守法律法规，自觉接受社会监督；履约状态：{kept}"
            )
            return row
        if category == vocabulary.EVALUATION:
            return self._sector_rating(entity_id, prefix, region, sector, decided)
        if category == vocabulary.JUDGMENT:
            court, court_code = COURTS[region]
            case = LAWSUITS[int(r() * len(LAWSUITS))]
            appeal = r() < 0.15
            if appeal:
                court, court_code = COURTS[CITY]
            row = self._base(entity_id, category, f"{case}民事判决书", court, decided)
            row["document_no"] = f"（{decided.year}）{court_code}民{'终' if appeal else '初'}{1 + int(r() * 9000)}号"
            side = "原告" if r() < 0.5 else "被告"
            row["content"] = f"诉讼地位：{side}；案由：{case}；裁判结果：{JUDGMENTS[int(r() * len(JUDGMENTS))]}"
            return row
        title, authority = OTHER_RECORDS[int(r() * len(OTHER_RECORDS))]
        row = self._base(entity_id, vocabulary.OTHER, title.format(y=decided.year), authority, decided)
        row["content"] = "信息来源：" + authority
        return row

    def _penalty(self, entity_id: int, region: str, sector: str, decided: date) -> Row:
        r = self._r
        pool = SECTOR_VIOLATIONS.get(sector, ())
        key, violation, basis, weights = (
            pool[int(r() * len(pool))] if pool and r() < 0.7 else COMMON_VIOLATIONS[int(r() * len(COMMON_VIOLATIONS))]
        )
        severity = _severity_table(weights).pick(r)
        if key == "amr":
            authority, doc = self._amr(region)
            doc += "处罚"
        elif key == "tax":
            authority, doc = self._tax(region)
            doc += "简罚" if severity == vocabulary.MINOR else "罚"
        else:
            authority, doc = AUTHORITIES[key]
        row = self._base(entity_id, vocabulary.PENALTY, violation, authority, decided)
        row["document_no"] = self._doc(doc, decided)
        row["severity"] = severity
        templates = SEVERITY_PENALTY[severity]
        penalty = templates[int(r() * len(templates))].format(
            small=100 * (2 + int(r() * 48)), mid=1 + int(r() * 19), big=50 + 10 * int(r() * 16)
        )
        row["content"] = f"违法行为：{violation}；处罚依据：{basis}；处罚内容：{penalty}"
        row["legally_non_repairable"] = severity == vocabulary.SERIOUS and sector in ("food", "chemical") and r() < 0.3
        return self._negative_status(row, 0.8 if severity != vocabulary.SERIOUS else 0.6, 0.45)

    def _revocation_record(self, entity_id: int, region: str, lo: date) -> Row:
        authority, doc = self._amr(region)
        decided = self._days_between(lo, self.today)
        row = self._base(entity_id, vocabulary.PENALTY, "成立后无正当理由超过六个月未开业或者开业后自行停业连续六个月以上",
                         authority, decided)  # fmt: skip
        row["document_no"] = self._doc(doc + "处罚", decided)
        row["severity"] = vocabulary.SERIOUS
        row["content"] = "处罚依据：《中华人民共和国公司法》第二百六十条；处罚内容：吊销营业执照"
        return self._negative_status(row, 0.9, 0.2)

    def _license(self, entity_id: int, region: str, sector: str, decided: date) -> Row:
        r = self._r
        options = LICENSES.get(sector) or LICENSES["general"]
        title, authority, kind, years = options[int(r() * len(options))]
        if authority == "amr":
            authority, doc = self._amr(region)
            doc += "许"
        else:
            doc = LICENSE_DOC.get(authority, "吉市许")
        row = self._base(entity_id, vocabulary.PERMIT, title, authority, decided)
        row["document_no"] = self._doc(doc, decided)
        if years:
            until = add_months(decided, 12 * years) - timedelta(days=1)
            row["content"] = f"许可类别：{kind}；有效期自{decided.isoformat()}至{until.isoformat()}；许可内容：{title}"
            row["status"] = "active" if self.today <= until else "expired"
        else:
            row["content"] = f"许可类别：{kind}；有效期：长期；许可内容：{title}"
        if r() < 0.005:
            row["status"] = "revoked"
        return row

    def _sector_rating(self, entity_id: int, prefix: str, region: str, sector: str, decided: date) -> Row:
        r = self._r
        if prefix == "52":
            title, authority = f"社会组织评估等级：{('5A', '4A', '3A', '2A')[int(r() * 4)]}", "吉林市民政局"
        elif prefix in ("93", "N2") or sector == "agri":
            level = ("AAA", "AA", "A", "B")[int(r() * 4)]
            title, authority = f"农业经营主体信用评价：{level}级", "吉林市农业农村局"
        elif sector == "construction":
            level = ("AAA", "AA", "A", "B")[int(r() * 4)]
            title, authority = f"建筑市场主体信用评价：{level}级", "吉林市住房和城乡建设局"
        elif sector in ("chemical", "industry"):
            level = ("环保诚信企业", "环保良好企业", "环保良好企业", "环保警示企业")[int(r() * 4)]
            title, authority = f"企业环境信用评价：{level}", "吉林市生态环境局"
        else:
            level = ("A", "B", "B", "M", "C")[int(r() * 5)]
            title, authority = f"{decided.year - 1}年度纳税信用等级评价：{level}级", self._tax(region)[0]
        row = self._base(entity_id, vocabulary.EVALUATION, title, authority, decided)
        row["content"] = f"评价结果：{title.split('：', 1)[1]}；评价机关：{authority}"
        return row

    # ---- evaluations -------------------------------------------------------------------------

    def _grade_for(self, records: list[Row]) -> tuple[str, str]:
        """Grade consistent with the records, and the reason text."""
        active = [rec for rec in records if rec["status"] == "active"]
        if any(rec["category"] == vocabulary.SEVERE_LIST for rec in active):
            return "D", "列入严重失信主体名单"
        for rec in active:
            cat = rec["category"]
            if cat in (vocabulary.WATCH_LIST, vocabulary.ABNORMAL):
                return "C", f"存在公示中的{cat}信息"
            if cat == vocabulary.PENALTY and (rec["severity"] == vocabulary.SERIOUS or (
                    rec["severity"] == vocabulary.ORDINARY and not rec["obligations_fulfilled"])):  # fmt: skip
                return "C", "存在公示中的行政处罚信息"
        if any(rec["category"] == vocabulary.PENALTY and rec["severity"] == vocabulary.ORDINARY for rec in active):
            return "B", "存在公示中的一般行政处罚信息（已履行）"
        r = self._r
        if any(rec["category"] == vocabulary.REDLIST for rec in active):
            return ("A" if r() < 0.85 else "B"), "年度公共信用综合评价"
        return ("A" if r() < 0.3 else "B"), "年度公共信用综合评价"

    def _evaluation(self, entity_id: int, records: list[Row], grade: str | None = None) -> Row:
        r = self._r
        computed, reason = self._grade_for(records)
        grade = grade or computed
        evaluated = self._days_between(self.today - timedelta(days=300), self.today - timedelta(days=5))
        latest_negative = max(
            (
                rec["decision_date"]
                for rec in records
                if rec["category"] in NEGATIVE_CATEGORIES and rec["status"] == "active"
            ),
            default=None,
        )
        if latest_negative is not None and latest_negative >= evaluated:
            evaluated = min(self.today, latest_negative + timedelta(days=1 + int(r() * 5)))
            reason = "信用信息变更后重新评价：" + reason
        lo, hi = GRADE_SCORES[grade]
        self._evaluation_id += 1
        return {
            "id": self._evaluation_id,
            "entity_id": entity_id,
            "grade": grade,
            "score": lo + int(r() * (hi - lo + 1)),
            "evaluated_on": evaluated,
            "source": "公共信用综合评价",
            "reason": reason,
        }

    # ---- named cases -------------------------------------------------------------------------

    def _named_entity(self, entity_id: int, case: NamedCase, established: date, address: str) -> Row:
        first17 = f"{case.region_code if case.region_code != CITY else '220202'}19750312{entity_id:02d}1"
        return {
            "id": entity_id,
            "uscc": case.uscc,
            "name": case.name,
            "short_name": case.short_name,
            "entity_type": case.entity_type,
            "region_code": case.region_code,
            "legal_representative": case.legal_representative,
            "legal_rep_id_number": first17 + id_check_char(first17),
            "contact_phone": case.contact_phone,
            "address": address,
            "established_on": established,
            "status": "存续",
        }

    def _named_penalty(
        self,
        entity_id: int,
        months_ago: int,
        severity: str,
        violation: str,
        basis: str,
        penalty: str,
        authority: str,
        doc_prefix: str,
        number: int,
    ) -> Row:
        decided = add_months(self.today, -months_ago)
        row = self._base(entity_id, vocabulary.PENALTY, violation, authority, decided)
        row["document_no"] = f"{doc_prefix}〔{decided.year}〕{number}号"
        row["severity"] = severity
        row["content"] = f"违法行为：{violation}；处罚依据：{basis}；处罚内容：{penalty}"
        row["publicity_end"] = self._window(severity, decided)[1]
        return row

    def _named_bundle(self, entity_id: int, case: NamedCase) -> EntityBundle:
        today = self.today
        records: list[Row] = []
        if case.uscc.startswith("91"):
            entity = self._named_entity(entity_id, case, date(2017, 4, 18), "吉林省吉林市昌邑区解放北路218号")
            # Not a 市场监管 penalty: those follow the market regulator's own channel (CREDIT_DOMAIN.md 2.1),
            # and this case shows a record repairable now through 信用中国.
            penalty = self._named_penalty(
                entity_id, 5, vocabulary.ORDINARY, "未按规定设置危险废物识别标志",
                "《中华人民共和国固体废物污染环境防治法》第一百一十二条",
                "责令改正，并处罚款人民币2万元", "吉林市生态环境局", "吉市环罚", 123,
            )  # fmt: skip
            penalty["obligations_fulfilled"] = True
            records.append(penalty)
            permit_day = date(2023, 5, 16)
            permit = self._base(entity_id, vocabulary.PERMIT, "道路运输经营许可证", "吉林市交通运输局", permit_day)
            permit["document_no"] = "吉市交许〔2023〕86号"
            permit["content"] = "许可类别：普通；有效期自2023-05-16至2029-05-15；许可内容：道路普通货物运输"
            records.append(permit)
            lawsuit_day = date(2024, 9, 12)
            lawsuit = self._base(
                entity_id, vocabulary.JUDGMENT, "买卖合同纠纷民事判决书", "吉林市昌邑区人民法院", lawsuit_day
            )
            lawsuit["document_no"] = "（2024）吉0202民初3517号"
            lawsuit["content"] = (
                "诉讼地位：原告；案由：买卖合同纠纷；裁判结果：判决被告于判决生效之日起十日内支付货款及利息"
            )
            records.append(lawsuit)
            contract_day = date(2025, 8, 20)
            contract = self._base(
                entity_id, vocabulary.OTHER, "合同履约信息：吉林市丰满区老旧小区改造项目建材供应合同已按期全部履行",
                "信用中国（吉林市）", contract_day,
            )  # fmt: skip
            contract["content"] = "信息来源：企业自愿注册，经核验；合同金额：人民币86万元；履约情况：已按期全部履行"
            records.append(contract)
            commitment = self._base(entity_id, vocabulary.COMMITMENT, "主动型信用承诺", "吉林市政务服务和数字化建设管理局",
                                    date(2024, 3, 5))  # fmt: skip
            commitment["document_no"] = "CN220202202403050017"
            commitment["content"] = (
                "承诺类型：主动型；承诺内容：资料真实有效，遵守法律法规，自觉接受社会监督；履约状态：全部履行"
            )
            records.append(commitment)
        elif case.uscc.startswith("92"):
            entity = self._named_entity(entity_id, case, date(2019, 6, 3), "吉林省吉林市船营区河南街56号")
            penalty = self._named_penalty(
                entity_id, 1, vocabulary.ORDINARY, "餐饮油烟超标排放", "《中华人民共和国大气污染防治法》第一百一十八条",
                "罚款人民币1万元", "吉林市生态环境局", "吉市环罚", 208,
            )  # fmt: skip
            penalty["obligations_fulfilled"] = True
            records.append(penalty)
            permit = self._base(entity_id, vocabulary.PERMIT, "食品经营许可证", "吉林市市场监督管理局船营分局",
                                date(2022, 7, 1))  # fmt: skip
            permit["document_no"] = "吉市监船许〔2022〕311号"
            permit["content"] = "许可类别：普通；有效期自2022-07-01至2027-06-30；许可内容：食品经营许可证"
            records.append(permit)
        elif case.uscc.startswith("52"):
            entity = self._named_entity(entity_id, case, date(2015, 9, 1), "吉林省吉林市丰满区吉林大街355号")
            penalty = self._named_penalty(
                entity_id, 8, vocabulary.SERIOUS, "以虚假培训记录骗取职业技能培训补贴资金",
                "《中华人民共和国社会保险法》第八十八条；《中华人民共和国民办教育促进法》第六十二条",
                "责令退回骗取的补贴资金，处骗取金额三倍罚款，吊销办学许可证", "吉林市人力资源和社会保障局",
                "吉市人社监罚", 57,
            )  # fmt: skip
            penalty["obligations_fulfilled"] = True
            penalty["legally_non_repairable"] = True
            records.append(penalty)
            permit = self._base(entity_id, vocabulary.PERMIT, "民办职业培训学校办学许可证", "吉林市人力资源和社会保障局",
                                date(2021, 3, 10))  # fmt: skip
            permit["document_no"] = "吉市人社许〔2021〕19号"
            permit["status"] = "revoked"
            permit["content"] = "许可类别：普通；有效期自2021-03-10至2026-03-09；许可内容：职业技能培训（已吊销）"
            records.append(permit)
        elif case.uscc.startswith("N2"):
            entity = self._named_entity(entity_id, case, date(2020, 11, 6), "吉林省吉林市昌邑区桦皮厂镇桦皮厂村")
            penalty = self._named_penalty(
                entity_id, 8, vocabulary.ORDINARY, "拖欠劳动者劳动报酬", "《保障农民工工资支付条例》第五十四条",
                "责令限期支付劳动报酬，逾期未支付", "吉林市人力资源和社会保障局", "吉市人社监罚", 141,
            )  # fmt: skip
            records.append(penalty)
            listed_day = add_months(today, -6)
            listed = self._base(entity_id, vocabulary.SEVERE_LIST, "拖欠农民工工资失信联合惩戒对象名单",
                                "吉林市人力资源和社会保障局", listed_day)  # fmt: skip
            listed["document_no"] = f"吉市人社失信〔{listed_day.year}〕9号"
            listed["severity"] = vocabulary.SERIOUS
            listed["content"] = "拖欠农民工工资数额较大，经责令限期支付仍未支付，列入失信联合惩戒对象名单"
            listed["publicity_end"] = self._window(vocabulary.SERIOUS, listed_day)[1]
            records.append(listed)
        elif case.uscc.startswith("12"):
            entity = self._named_entity(entity_id, case, date(2003, 1, 15), "吉林省吉林市丰满区吉林大街1499号")
            red_day = add_months(today, -4)
            red = self._base(entity_id, vocabulary.REDLIST, "吉林省诚信建设示范单位", "吉林省发展和改革委员会", red_day)
            red["document_no"] = f"吉发改信用〔{red_day.year}〕12号"
            red["publicity_end"] = add_months(red_day, 24)
            red["content"] = (
                f"有效期自{red_day.isoformat()}至{red['publicity_end'].isoformat()}；依法依规享受守信激励措施"
            )
            records.append(red)
            honour_day = date(today.year - 1, 12, 20)
            honour = self._base(entity_id, vocabulary.OTHER, f"{honour_day.year}年度吉林市文明单位",
                                "中共吉林市委精神文明建设委员会", honour_day)  # fmt: skip
            honour["content"] = "信息来源：中共吉林市委精神文明建设委员会"
            records.append(honour)
            commitment = self._base(entity_id, vocabulary.COMMITMENT, "主动型信用承诺", "吉林市政务服务和数字化建设管理局",
                                    date(2025, 2, 10))  # fmt: skip
            commitment["document_no"] = "CN220200202502100003"
            commitment["content"] = (
                "承诺类型：主动型；承诺内容：资料真实有效，遵守法律法规，自觉接受社会监督；履约状态：全部履行"
            )
            records.append(commitment)
        else:
            entity = self._named_entity(entity_id, case, date(2016, 4, 22), "吉林省永吉县岔路河镇新立村")
            penalty = self._named_penalty(
                entity_id, 2, vocabulary.ORDINARY, "销售不符合食品安全标准的食用农产品",
                "《中华人民共和国食品安全法》第一百二十四条", "没收违法所得1800元，并处罚款人民币5万元",
                "永吉县市场监督管理局", "永市监处罚", 76,
            )  # fmt: skip
            penalty["under_objection"] = True
            records.append(penalty)
            permit = self._base(
                entity_id, vocabulary.PERMIT, "种子生产经营许可证", "吉林市农业农村局", date(2022, 3, 28)
            )
            permit["document_no"] = "吉市农许〔2022〕45号"
            permit["content"] = "许可类别：普通；有效期自2022-03-28至2027-03-27；许可内容：农作物种子生产经营"
            records.append(permit)
        evaluation = self._evaluation(entity_id, records, grade=case.grade)
        return EntityBundle(entity, records, [evaluation])
