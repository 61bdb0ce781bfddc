"""Organisation names as users write them (issue 13): region prefixes, whole names, one wrong character.

A registered name starts with its region (吉林市, 吉林, 吉林市昌邑区, 昌邑区, 永吉县 …, see ``JILIN_REGIONS``);
users type it with, without or with another form of that prefix. The NLU sometimes tags pieces of one name
(昌邑区桦皮厂村股份 / 合作社) or ordinary words (a sector word, a city elsewhere, a person's nickname) as names.

Standard library only and Python 3.10-compatible: the NLU component (assistant_nlu/canonical.py), the actions
(actions/entity_names.py) and the backend's search (credit_backend/services/entities.py) share these rules.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from credit_backend.rules.uscc import JILIN_REGIONS

__all__ = [
    "CITY_CODE",
    "ORG_NAME",
    "PREFIX_REGION",
    "REGION_PREFIXES",
    "bare_name",
    "clean_name",
    "ends_like_a_name",
    "is_bare_kind",
    "is_ordinary_word",
    "merge_name_spans",
    "name_variants",
    "named_alone",
    "names_match",
    "one_char_apart",
    "one_char_patterns",
    "split_region",
    "tagged_names",
]

CITY_CODE = "220200"
ORG_NAME = "org_name"  # the entity (shared/CONVERSATION.md)
_PROVINCE = "吉林省"
_CITY_FORMS = (JILIN_REGIONS[CITY_CODE], "吉林")  # 吉林市, and 吉林 as many enterprises write it


def _prefix_regions() -> dict[str, str]:
    """Every way a name can start with its region → the region code (CITY_CODE for the city and province)."""
    regions: dict[str, str] = {_PROVINCE: CITY_CODE}
    for city in _CITY_FORMS:
        regions[city] = regions[_PROVINCE + city] = CITY_CODE
    for code, place in JILIN_REGIONS.items():
        if code == CITY_CODE:
            continue
        for head in ("", _PROVINCE, *_CITY_FORMS, *(_PROVINCE + city for city in _CITY_FORMS)):
            regions[head + place] = code
    return regions


#: Region prefix → region code; longest first, so 吉林市昌邑区 wins over 吉林市 and 吉林.
PREFIX_REGION: dict[str, str] = dict(sorted(_prefix_regions().items(), key=lambda item: -len(item[0])))
REGION_PREFIXES: tuple[str, ...] = tuple(PREFIX_REGION)
# The heads registered names start with (吉林市, 吉林, 吉林市昌邑区, 昌邑区 …); users add 吉林省 too, names do not.
_SUBREGIONS = tuple(place for code, place in JILIN_REGIONS.items() if code != CITY_CODE)
_NAME_HEADS = tuple(
    sorted({*_CITY_FORMS, *_SUBREGIONS, *(_CITY_FORMS[0] + place for place in _SUBREGIONS)}, key=len, reverse=True)
)

# Legal-form and kind endings a name may continue with after the tagged part (吉林市江城建材[有限公司]).
_SUFFIXES = tuple(
    sorted(
        (
            "股份经济合作社", "经济合作社", "农民专业合作社", "专业合作社", "合作社", "股份有限公司", "集团有限公司",
            "有限责任公司", "有限公司", "分公司", "公司", "集团", "商店", "店", "馆", "厂",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
_LEGAL_FORMS = tuple(s for s in _SUFFIXES if len(s) > 2)  # 有限公司, 合作社 …: after one, a name can only go on
# with a branch or shop name, which ends like a name again.
_COMMON_PARTS = (*PREFIX_REGION, *_SUFFIXES)
# Words that separate a name from the rest of a message, or two names: a name never holds one (none of the demo
# city's does), so they bound the stretch of text a name can fill.
_SEPARATORS = (
    "的", "和", "与", "及", "跟", "或", "还有", "以及", "还是", "同", "对比", "比较", "查询", "查一下", "查查", "查下",
    "查", "看看", "看一下", "帮我", "帮忙", "请", "我要", "我想", "想", "信用", "有没有", "是否", "是不是", "吗", "呢",
    "最近", "现在", "一下", "怎么样", "情况", "记录", "报告", "修复", "异议", "申请", "办理", "订阅", "退订", "提醒",
    "处罚", "对", "给", "为", "替", "在", "是", "叫", "我们", "我司", "本司", "贵司", "我", "您", "你", "那个", "这个",
    "那家", "这家", "哪个", "哪家", "几家", "被",
)  # fmt: skip
# A measure word makes a description of a business, not its name (新注册个公司, 开个熟食店); 个体(工商户) is a kind.
_MEASURE_WORD = r"个(?!体)"
_SEPARATOR = re.compile(
    "|".join(sorted(map(re.escape, _SEPARATORS), key=len, reverse=True)) + rf"|{_MEASURE_WORD}|[^\w·]"
)
_MEASURE = re.compile(rf"{_MEASURE_WORD}|几家")
_LATIN = re.compile(r"[A-Za-z0-9]")
_GAP = re.compile(r"[^\w·]+")  # spaces and punctuation: a name holds none (as the registry writes it)
# How names of organisations end (kinds and legal forms): a stretch of text that ends so, right after a request to
# look something up or alone in the message, is a name even when the NLU tagged nothing.
_KIND_ENDINGS = (
    *_SUFFIXES, "中心", "学校", "学院", "中学", "小学", "幼儿园", "养老院", "福利院", "医院", "卫生院", "卫生室", "公寓",
    "俱乐部", "图书馆", "博物馆", "馆", "铺", "部", "站", "所", "局", "处", "院", "室", "行", "场", "园", "队", "台",
    "坊", "社",
)  # fmt: skip
# Words and characters that point at a name or act on it: 这家公司 and 帮旺旺洗车行 do not start a name.
_POINTING = tuple(
    "这那哪俺我咱你他她它本该此贵某自帮把给让叫跟去到从向被对替为请退就由经往以于将再还也都又只要能会可使问找办做代司"
)
_QUERY_VERBS = ("查询", "查一下", "查查", "查下", "查", "看看", "看一下")
_MAX_GAP = 2  # a longer untagged stretch between two pieces is not one name (桦皮厂村股份 经济 合作社)
_HAN = re.compile(r"^[\u3400-\u9fff]+$")
_QUOTES = "\"'“”‘’「」『』《》〈〉()（）[]【】<>"
_EDGE_PUNCTUATION = _QUOTES + "。.，,！!？?；;：:、~～ "

# Sector words that are not a name by themselves (the demo's industries and trades, and the usual ones). Kinds and
# legal forms (合作社, 有限公司) are searched: the answer is the list of them, to choose from.
_SECTORS = (
    "建材", "商贸", "贸易", "科技", "物流", "运输", "建筑", "工程", "建筑工程", "房地产", "房地产开发", "餐饮",
    "餐饮管理", "化工", "机械", "机械制造", "汽车", "汽车销售", "农业", "食品", "医药", "药店", "电子", "装饰",
    "装修", "物业", "物业管理", "信息技术", "人力资源", "旅游", "新能源", "环保", "木业", "矿业", "粮油", "酒业",
    "印刷", "文化传媒", "传媒", "劳务", "钢结构", "混凝土", "热力", "供应链", "生物科技", "电气", "五金", "家具",
    "服装", "米业", "人参", "食用菌", "酒店", "宾馆", "烧烤", "饭店", "超市", "便利店", "烟酒", "熟食", "水果",
    "理发", "美容", "美发", "干洗", "农资", "养殖", "种植", "农机", "汽修", "维修", "培训", "教育", "医疗",
    "保洁", "家政", "中介", "招标代理", "代理记账",
)  # fmt: skip
_SECTOR_ENDINGS = ("行业", "企业", "公司", "类", "业", "店", "商户", "单位")

# Places outside 吉林市: a name that is only one of them is a place, not an entity here.
_PLACES_ELSEWHERE = (
    "北京", "上海", "天津", "重庆", "长春", "四平", "辽源", "通化", "白山", "松原", "白城", "延边",
    "延吉", "珲春", "图们", "敦化", "梅河口", "公主岭", "集安", "临江", "扶余", "洮南", "大安", "榆树",
    "德惠", "农安", "九台", "双辽", "沈阳", "大连", "鞍山", "抚顺", "丹东", "锦州", "营口", "哈尔滨",
    "齐齐哈尔", "牡丹江", "佳木斯", "大庆", "石家庄", "太原", "呼和浩特", "包头", "济南", "青岛", "烟台",
    "郑州", "武汉", "长沙", "南昌", "合肥", "南京", "苏州", "无锡", "杭州", "宁波", "温州", "福州",
    "厦门", "广州", "深圳", "东莞", "佛山", "珠海", "南宁", "海口", "三亚", "成都", "贵阳", "昆明",
    "拉萨", "西安", "兰州", "西宁", "银川", "乌鲁木齐", "香港", "澳门", "台湾", "河北", "山西", "辽宁",
    "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南",
    "四川", "贵州", "云南", "陕西", "甘肃", "青海", "内蒙古", "广西", "西藏", "宁夏", "新疆", "东北",
    "全国", "外地",
)  # fmt: skip
_PLACE_ENDINGS = ("", "市", "省", "县", "区", "地区", "州", "那边", "那里")
_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜"
    "戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文朴关那佟邢曲付"
)
_NICKNAME = re.compile(
    rf"^(?:[老小阿][{_SURNAMES}]|[{_SURNAMES}](?:总|哥|姐|叔|婶|姨|师傅|老板|经理|大爷|大哥|大姐|某|某某|先生|女士))$"
)


def clean_name(text: str) -> str:
    """A name as the database writes it: full-width folded (NFKC), no spaces, no quotes or punctuation around it."""
    folded = "".join(unicodedata.normalize("NFKC", text or "").split())
    return folded.strip(_EDGE_PUNCTUATION)


def split_region(name: str) -> tuple[str | None, str]:
    """(region prefix, rest) of a name; (None, name) when it does not start with one or nothing would be left."""
    for prefix in REGION_PREFIXES:
        if name.startswith(prefix) and len(name) - len(prefix) >= 2:
            return prefix, name[len(prefix) :]
    return None, name


def name_variants(term: str) -> list[str]:
    """Full names ``term`` may stand for exactly: itself, and its rest after any prefix of the same region
    (吉林市昌邑区X ≡ 昌邑区X ≡ 吉林昌邑区X); a term without a prefix stands for the rest of a name in any region."""
    prefix, rest = split_region(term)
    if prefix is None:
        heads: Iterable[str] = _NAME_HEADS
    else:
        region = PREFIX_REGION[prefix]
        heads = [p for p in _NAME_HEADS if PREFIX_REGION[p] == region]
    variants = dict.fromkeys([term, rest, *(head + rest for head in heads)])
    return list(variants)


def one_char_apart(a: str, b: str) -> bool:
    """Same length, exactly one character different (a mistyped or misheard character)."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def names_match(term: str, name: str, short_name: str | None = None) -> str | None:
    """How ``term`` names the entity: "exact" (its name or short name), "region" (its name under another form
    of its region prefix, or without it), "contains", "one_char" (one character wrong), or None."""
    if term in (name, short_name):
        return "exact"
    if name in name_variants(term):
        return "region"
    if term in name or (short_name and term in short_name):
        return "contains"
    _, rest = split_region(name)
    if any(one_char_apart(term, candidate) for candidate in (name, rest, short_name or "")):
        return "one_char"
    return None


def _narrows(run: str) -> bool:
    """Whether names holding ``run`` are few enough to check one by one: three characters or more (a trigram), and
    not only (part of) a region prefix or a legal-form ending, which half the city's names hold."""
    return len(run) >= 3 and not any(run in common for common in _COMMON_PARTS)


def one_char_patterns(term: str) -> list[str]:
    """LIKE patterns (``_`` for any one character) that together match every text one character away from
    ``term``: each position left open in turn, when the characters before or after it narrow the search (the
    trigram indexes look them up). A wrong character without three such characters on either side of it (江城_材
    in a short name, 吉林市_象局) is not searched."""
    n = len(term)
    return [term[:i] + "_" + term[i + 1 :] for i in range(n) if _narrows(term[:i]) or _narrows(term[i + 1 :])]


_ORDINARY_WORDS = frozenset(
    [
        *PREFIX_REGION,
        *(place + end for place in _PLACES_ELSEWHERE for end in _PLACE_ENDINGS),
        *(sector + end for sector in _SECTORS for end in ("", *_SECTOR_ENDINGS)),
    ]
)


def is_ordinary_word(text: str) -> bool:
    """A sector word, a place (here or elsewhere) or a person's nickname: not the name of an entity."""
    word = clean_name(text)
    return not word or word in _ORDINARY_WORDS or bool(_NICKNAME.match(word))


# Words that may stand before a kind without making it a name: 专业合作社 and 这家公司 say what an entity is, not which.
_KIND_HEADS = (
    "专业", "农民专业", "股份", "股份经济", "经济", "村", "个体", "同名", "这家", "那家", "该", "本", "我们", "我们的",
)  # fmt: skip


def is_bare_kind(text: str) -> bool:
    """A legal form or generic kind alone, or after a sector word (合作社, 专业合作社, 有限公司, 物流公司): what an
    entity is, not which one. Said alone it asks for the list of that kind; inside a sentence it names nothing.
    Institutions named by what they are (图书馆, 急救中心: 吉林市图书馆 without its prefix) are names."""
    word = clean_name(text)
    kind = next((k for k in _SUFFIXES if word.endswith(k)), None)  # longest first
    if kind is None:
        return False
    head = word[: -len(kind)]
    return not head or head in _KIND_HEADS or head in _SECTORS or is_bare_kind(head)


def ends_like_a_name(text: str) -> bool:
    """Ends with an organisation's kind or legal form (…中心, …局, …馆, …有限公司)."""
    return clean_name(text).endswith(_KIND_ENDINGS)


def _bridgeable(gap: str) -> bool:
    """Untagged characters between two name pieces that can be part of the same name."""
    if not gap:
        return True
    return len(gap) <= _MAX_GAP and bool(_HAN.match(gap)) and not _SEPARATOR.search(gap)


def _joins(text: str, left: tuple[int, int], right: tuple[int, int]) -> bool:
    """Whether two tagged pieces (in order) are parts of one name:
    overlapping, adjacent or with a bridgeable gap between them, except that a name starts with its region prefix
    (认证|吉林市龙潭区恒信化工…: the word before is not part of it, another prefix is: 吉林市|昌邑区…), never with
    its kind (对方公司|金珠花卉: the kind points at the name), and a place and a sector word with a word between
    them describe a business (船营区 开 烧烤店), not name it."""
    if right[0] < left[1]:
        return True
    first, gap, second = text[left[0] : left[1]], text[left[1] : right[0]], text[right[0] : right[1]]
    if split_region(second)[0] is not None and first not in PREFIX_REGION:
        return False
    if is_bare_kind(first):
        return False
    return not gap or (_bridgeable(gap) and not (is_ordinary_word(first) and is_ordinary_word(second)))


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A tagged span split at its spaces and punctuation (代办 茶庄 → 代办, 茶庄), except after a region prefix
    (昌邑区 兴隆粮油经销部 stays one name) and between words in Latin letters (ABC Trading, shunda wuliu)."""
    parts: list[tuple[int, int]] = []
    position = start
    gaps = [g for g in _GAP.finditer(text, start, end) if not _between_latin_words(text, g.start(), g.end())]
    for gap in [*gaps, None]:
        stop = gap.start() if gap else end
        if stop > position:
            if parts and text[parts[-1][0] : parts[-1][1]] in PREFIX_REGION:
                parts[-1] = (parts[-1][0], stop)
            else:
                parts.append((position, stop))
        position = gap.end() if gap else end
    return [piece for part in parts for piece in _split_before_regions(text, *part)]


def _split_before_regions(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A tagged span split where a region prefix follows a separator word (吉林市…有限公司和|桦甸市…): two names."""
    cuts = [
        i
        for i in range(start + 1, end - 2)
        if text[start:i].endswith(_SEPARATORS) and split_region(text[i:end])[0] is not None
    ]
    bounds = [start, *cuts, end]
    return list(itertools.pairwise(bounds))


def _stretch(text: str, start: int, end: int) -> tuple[int, int]:
    """The stretch of ``text`` around ``start:end`` that no separator word or punctuation interrupts."""
    lo = max((m.end() for m in _SEPARATOR.finditer(text, 0, start) if m.end() <= start), default=0)
    following = _SEPARATOR.search(text, end)
    return lo, following.start() if following else len(text)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A tagged span without the separator words at its edges (为[…合作社办理] → …合作社)."""
    while start < end and (m := _SEPARATOR.match(text, start)) and 0 < m.end() <= end:
        start = m.end()
    while start < end and (tail := next((w for w in _SEPARATORS if text[start:end].endswith(w)), None)):
        end -= len(tail)
    return start, end


def _name_start(text: str, lo: int, start: int, end: int) -> int:
    """Where a name tagged from ``start`` really starts, in a stretch starting at ``lo``: at the stretch's start when
    that is where its region prefix is (吉林通森[矿业有限责任公司]) or when one character was cut off
    (缸[窑镇新华村…]), unless that character points at the name (这, 帮, 把 … : 这家[东山热力] is 东山热力)."""
    before = text[lo:start]
    if not before or split_region(text[start:])[0] is not None:
        return start  # a name starting with its region prefix starts there (我司[吉林市…], 就[吉林市…])
    if split_region(text[lo:])[0] is not None:
        return lo
    # One character before a short piece is more often a word of the sentence (您好|打扰) than a cut-off name.
    if len(before) == 1 and before not in _POINTING and end - start >= 3:
        return lo
    return start


def _untagged_names(text: str) -> list[tuple[int, int]]:
    """Names the NLU may have missed: a stretch that starts with a region prefix and ends like a name (吉林市急救中心),
    one right after a request to look it up (查询急救中心的信用), or the whole message when it is only that."""
    found = []
    bounds = [0, *(x for m in _SEPARATOR.finditer(text) for x in (m.start(), m.end())), len(text)]
    for lo, hi in zip(bounds[::2], bounds[1::2], strict=True):
        stretch = text[lo:hi]
        if len(stretch) < 3 or not stretch.endswith(_KIND_ENDINGS):
            continue
        if stretch.startswith(_POINTING):
            continue  # 这家公司, 俺家店: a pointer at a name, not one
        alone = stretch == clean_name(text)
        if alone or split_region(stretch)[0] is not None or text[:lo].endswith(_QUERY_VERBS):
            found.append((lo + _region_start(stretch), hi))
    return found


def _region_start(text: str) -> int:
    """Where a name in ``text`` starts: at its region prefix when one follows other words (绑定|吉林市…), else 0."""
    if split_region(text)[0] is not None:
        return 0
    return next((i for i in range(1, len(text) - 2) if split_region(text[i:])[0] is not None), 0)


def _after_measure_word(text: str, start: int, end: int) -> int:
    """Where a name can start in a tagged span that holds a measure word: after it (好几家|公司, 开个|熟食店)."""
    return max((m.end() for m in _MEASURE.finditer(text, start, end)), default=start)


def _between_latin_words(text: str, start: int, end: int) -> bool:
    """Spaces between two words in Latin letters or digits."""
    return (
        not text[start:end].strip()
        and start > 0
        and end < len(text)
        and bool(_LATIN.match(text[start - 1]) and _LATIN.match(text[end]))
    )


def _has_a_trade_name(name: str) -> bool:
    """A region prefix is followed by at least two characters of a name (昌邑区新 is cut off, not a name)."""
    prefix = next((p for p in REGION_PREFIXES if name.startswith(p)), None)
    return prefix is None or name == prefix or len(name) - len(prefix) >= 2


def _legal_end(text: str, start: int, end: int) -> int:
    """A name that does not end like a name but holds a legal form ends with that form (…物流有限公司[打] → …公司)."""
    name = text[start:end]
    if name.endswith(_KIND_ENDINGS):
        return end
    ends = [name.rfind(form) + len(form) for form in _LEGAL_FORMS if form in name]
    return start + max(ends) if ends else end


def merge_name_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Whole names from tagged pieces (offsets into ``text``):

    * a piece is first split at its spaces and punctuation (``_pieces``);
    * overlapping or adjacent pieces, and pieces with a short stretch of name characters between them
      (昌邑区桦皮厂村股份 经济 合作社), are one name, unless the second starts with a region prefix, the first is a
      kind, or both are ordinary words with a word between them (``_joins``);
    * a name starts after a measure word (新注册个|公司, 好几家|公司): before it, the text describes a business;
    * a piece grows within the stretch around it that no separator word interrupts: left to a region prefix or
      one character cut off (``_name_start``), right to its end when it ends like a name (龙潭区盛成[老年公寓]);
    * a name the NLU missed is added when it starts with a region prefix, follows 查询/查一下…, or is the whole
      message, and ends like a name (吉林市急救中心);
    * a name that does not end like one but holds a legal form ends with that form;
    * pieces that are ordinary words alone (a sector, a place, a nickname) are dropped, and so are a single
      character, a region prefix with one character after it (昌邑区新), and a bare kind (合作社, 保洁公司) unless it
      is the whole message (then it asks for that kind's list).
    """
    whole = clean_name(text)
    tagged = {piece for start, end in spans for piece in _pieces(text, start, end)}
    merged: list[list[int]] = []
    for start, end in sorted({*tagged, *_untagged_names(text)}):
        if merged and _joins(text, (merged[-1][0], merged[-1][1]), (start, end)):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    result: list[tuple[int, int]] = []
    for index, (start, end) in enumerate(merged):
        following = merged[index + 1][0] if index + 1 < len(merged) else len(text)
        start, end = _trimmed(text, start, end)
        start = _after_measure_word(text, start, end)
        if start >= end:
            continue
        lo, hi = _stretch(text, start, end)
        hi = max(end, min(hi, following))  # up to the next name at most (认证|吉林市龙潭区…)
        start = _name_start(text, lo, start, end)
        if text[end:hi].endswith(_KIND_ENDINGS):  # the name fills its stretch: 龙潭区盛成[老年公寓]的信用
            end = hi
        prefix = next((p for p in REGION_PREFIXES if text[:start].endswith(p)), "")
        start -= len(prefix)
        end += len(next((s for s in _SUFFIXES if text[end:].startswith(s)), ""))
        end = _legal_end(text, start, end)
        name = clean_name(text[start:end])
        named = len(name) > 1 and (name == whole or not is_bare_kind(name)) and _has_a_trade_name(name)
        if named and not is_ordinary_word(name) and (not result or start >= result[-1][1]):
            result.append((start, end))
    return result


# Words that make a message more than a name: a request around it, a question, a greeting.
SERVICE_WORDS = (
    "查询", "查一下", "查查", "帮我", "请帮", "麻烦", "我要", "我想", "想查", "信用", "报告", "修复", "异议", "申请",
    "办理", "订阅", "退订", "核验", "记录", "处罚", "怎么", "如何", "什么", "有没有", "是不是", "能不能", "吗", "呢",
    "谢谢", "你好", "您好",
)  # fmt: skip
# Ways of introducing a name in an answer: "是…", "就是…", "叫…", "名称是…".
ANSWER_LEADS = ("主体名称是", "名称是", "单位是", "公司是", "我们是", "我是", "就是", "叫做", "是", "叫")
# Ways of ending one: "我是江城建材的" (no registered name ends with 的).
ANSWER_TAILS = ("的",)
MIN_NAME_LENGTH = 2


def bare_name(text: str) -> str | None:
    """The message as a name when it is nothing but one (an answer to "which entity?"), else None."""
    name = clean_name(text)
    for lead in ANSWER_LEADS:
        if name.startswith(lead) and len(name) - len(lead) >= MIN_NAME_LENGTH:
            name = clean_name(name[len(lead) :])
            break
    for tail in ANSWER_TAILS:
        if name.endswith(tail) and len(name) - len(tail) >= MIN_NAME_LENGTH:
            name = clean_name(name[: -len(tail)])
    if len(name) < MIN_NAME_LENGTH or any(word in name for word in SERVICE_WORDS):
        return None
    if any(not (ch.isalnum() or ch in "()（）·-") for ch in name):  # punctuation inside: a sentence, not a name
        return None
    return name


def tagged_names(entities: Sequence[dict[str, Any]]) -> set[str]:
    """The organisation names the NLU tagged, cleaned as ``bare_name`` cleans a message."""
    return {clean_name(str(e.get("value") or "")) for e in entities if e.get("entity") == ORG_NAME}


def named_alone(text: str, entities: Sequence[dict[str, Any]]) -> str | None:
    """The organisation a message names when it says nothing else: a bare name the NLU tagged whole, or one that
    ends like a name (…有限公司, …合作社, …饺子馆); None for anything else (嗯嗯, 江城建材咋样, a kind alone, a place,
    a nickname). The NLU settles such a message as an answer (assistant_nlu/name_answers.py); outside a form the
    assistant offers that name's query (actions/disambiguation.py)."""
    name = bare_name(text)
    if name is None or is_ordinary_word(name) or is_bare_kind(name):
        return None
    return name if name in tagged_names(entities) or ends_like_a_name(name) else None
