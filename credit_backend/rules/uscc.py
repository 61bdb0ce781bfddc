"""统一社会信用代码 (GB 32100-2015 with XG1-2016) normalisation, validation and generation.

Standard library only and Python 3.10-compatible: the Rasa actions environment imports this module
without the backend's dependencies.

Structure: position 1 registration authority, 2 organisation category, 3-8 region code (GB/T 2260),
9-17 organisation code (GB 11714, position 17 is its own check character), 18 mod-31 check character.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "CHARSET",
    "JILIN_REGIONS",
    "USCC_PATTERN",
    "WEIGHTS",
    "UsccInfo",
    "UsccProblem",
    "UsccResult",
    "compute_check_char",
    "describe_uscc",
    "find_usccs",
    "make_uscc",
    "normalize_uscc",
    "one_char_corrections",
    "org_code_check_char",
    "validate_uscc",
]

USCC_LENGTH = 18
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_MOD = len(CHARSET)  # 31
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
# W_i = 3^(i-1) mod 31 for i = 1..17.
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, _MOD) for i in range(USCC_LENGTH - 1))
# Modular inverses of the weights: 31 is prime, so every weight is invertible, which is what makes
# a single-character substitution always detectable and uniquely correctable per position.
_INV_WEIGHTS: tuple[int, ...] = tuple(pow(w, _MOD - 2, _MOD) for w in WEIGHTS)

# GB 11714-1997 organisation code: 0-9 and A-Z (A=10 .. Z=35), weights for the 8 body characters.
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_VALUE = {ch: i for i, ch in enumerate(_ORG_ALPHABET)}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Per-position value*weight tables: make_uscc builds millions of codes for demo data, and a
# C-level map over these dicts is several times faster than a Python generator.
_USCC_TABLES: tuple[dict[str, int], ...] = tuple({ch: v * w for ch, v in _VALUE.items()} for w in WEIGHTS)
_ORG_TABLES: tuple[dict[str, int], ...] = tuple({ch: v * w for ch, v in _ORG_VALUE.items()} for w in _ORG_WEIGHTS)
_getitem = dict.__getitem__

_EXCLUDED_LETTERS = "IOZSV"
# Look-alike digits for the excluded letters, used only to phrase a hint.
_LOOKALIKE = {"O": "0", "I": "1", "Z": "2", "S": "5"}

# Separators users put inside codes; NFKC already maps full-width forms to ASCII, the rest are
# dashes and dots that NFKC keeps as they are.
_STRIP_RE = re.compile(r"[\s\-‐‑‒–—―−﹣.·・•‧]+")

# 第1-2位 table (GB 32100 appendix as implemented by common open-source validators).
_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {
            "1": "外国旅游部门常驻代表机构",
            "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
            "9": "其他",
        },
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商（市场监管）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

JILIN_REGIONS: dict[str, str] = {
    "220200": "吉林市",
    "220202": "昌邑区",
    "220203": "龙潭区",
    "220204": "船营区",
    "220211": "丰满区",
    "220221": "永吉县",
    "220281": "蛟河市",
    "220282": "桦甸市",
    "220283": "舒兰市",
    "220284": "磐石市",
}

_UNKNOWN = "未知"
_MAX_REPORTED_POSITIONS = 3
_DIGITS = frozenset("0123456789")

# Candidate codes in free text: 18 characters over CHARSET (either case), optionally with a single
# space or hyphen between characters. Guards are ASCII-only because Chinese text has no word
# boundaries; they stop matches inside longer alphanumeric runs. Apply to NFKC-normalised text
# (see find_usccs) so that full-width input is found too.
_C = "0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y"
USCC_PATTERN: re.Pattern[str] = re.compile(rf"(?<![0-9A-Za-z])[{_C}](?:[ \-‐‑–—]?[{_C}]){{17}}(?![0-9A-Za-z])")


@dataclass(frozen=True)
class UsccProblem:
    """One finding about a code; ``code`` is a stable identifier, ``message`` is user-facing."""

    code: str
    message: str
    position: int | None


@dataclass(frozen=True)
class UsccResult:
    """Outcome of :func:`validate_uscc`; ``code`` is the normalised input."""

    raw: str
    code: str
    ok: bool
    errors: tuple[UsccProblem, ...]
    warnings: tuple[UsccProblem, ...]


@dataclass(frozen=True)
class UsccInfo:
    """What positions 1-8 say about the holder."""

    registration_authority: str
    org_category: str
    region_code: str
    region_name: str | None


def normalize_uscc(raw: str) -> str:
    """Canonical form of user input: NFKC, no whitespace/dashes/dots, upper case."""
    text = unicodedata.normalize("NFKC", raw)
    return _STRIP_RE.sub("", text).upper()


def _weighted_sum(first17: str) -> int:
    return sum(map(_getitem, _USCC_TABLES, first17))


def _check_from_sum(total: int) -> str:
    # 31 - (sum mod 31), where a result of 31 is written as '0'.
    return CHARSET[(_MOD - total % _MOD) % _MOD]


def compute_check_char(first17: str) -> str:
    """Mod-31 check character (position 18) for the first 17 characters."""
    if len(first17) != USCC_LENGTH - 1 or any(ch not in _VALUE for ch in first17):
        raise ValueError("first17 must be 17 characters over the USCC charset")
    return _check_from_sum(_weighted_sum(first17))


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    if len(body8) != len(_ORG_WEIGHTS) or any(ch not in _ORG_VALUE for ch in body8):
        raise ValueError("body8 must be 8 characters over 0-9A-Z")
    return _org_check(body8)


def _org_check(body8: str) -> str:
    remainder = 11 - sum(map(_getitem, _ORG_TABLES, body8)) % 11
    if remainder == 10:
        return "X"
    if remainder == 11:
        return "0"
    return str(remainder)


def _charset_problem(code: str) -> UsccProblem | None:
    bad = [(i + 1, ch) for i, ch in enumerate(code) if ch not in _VALUE]
    if not bad:
        return None
    shown = bad[:_MAX_REPORTED_POSITIONS]
    listing = "、".join(f"第{pos}位“{ch}”" for pos, ch in shown)
    if len(bad) > len(shown):
        listing += f"等共{len(bad)}处"
    if all(ch in _EXCLUDED_LETTERS for _, ch in bad):
        reason = "代码中不使用字母I、O、Z、S、V"
    else:
        reason = "代码只能由数字和大写字母组成，且不使用字母I、O、Z、S、V"
    hints = [f"“{ch}”可能是数字“{_LOOKALIKE[ch]}”" for _, ch in shown if ch in _LOOKALIKE]
    # Deduplicate while keeping order: "OO" should not produce the same hint twice.
    hints = list(dict.fromkeys(hints))
    message = f"{listing}不是有效字符：{reason}"
    if hints:
        message += "（" + "，".join(hints) + "）"
    return UsccProblem("USCC_CHARSET", message, shown[0][0])


def _region_problem(code: str) -> UsccProblem | None:
    """GB 32100-2015 §4: positions 3-8 are the GB/T 2260 region code, six digits; the check character
    alone does not catch letters there."""
    bad = [(i + 1, ch) for i, ch in enumerate(code[2:8], start=2) if ch not in _DIGITS]
    if not bad:
        return None
    listing = "、".join(f"第{pos}位“{ch}”" for pos, ch in bad[:_MAX_REPORTED_POSITIONS])
    return UsccProblem(
        "USCC_REGION",
        f"第3–8位是登记管理机关行政区划码，应为6位数字，{listing}不是数字。请与营业执照核对",
        bad[0][0],
    )


def _warnings(code: str) -> list[UsccProblem]:
    """Warnings for an 18-character code over CHARSET."""
    found: list[UsccProblem] = []
    expected = org_code_check_char(code[8:16])
    if code[16] != expected:
        found.append(
            UsccProblem(
                "USCC_ORG_CODE",
                f"第9–17位（组织机构代码）的校验不符合GB 11714规则：第17位按规则应为“{expected}”，"
                f"您输入的是“{code[16]}”。代码可能有误，请与营业执照等证照核对",
                17,
            )
        )
    authority = _AUTHORITIES.get(code[0])
    if authority is None or code[1] not in authority[1]:
        found.append(
            UsccProblem(
                "USCC_UNKNOWN_PREFIX",
                f"前两位“{code[:2]}”不在已知的登记管理部门和机构类别代码中，请核对",
                1,
            )
        )
    return found


def validate_uscc(raw: str) -> UsccResult:
    """Validate user input; errors make it fail, warnings never do."""
    code = normalize_uscc(raw)
    errors: list[UsccProblem] = []
    warnings: list[UsccProblem] = []
    if not code:
        errors.append(UsccProblem("USCC_EMPTY", "请输入18位统一社会信用代码", None))
        return UsccResult(raw, code, False, tuple(errors), ())
    if len(code) != USCC_LENGTH:
        errors.append(UsccProblem("USCC_LENGTH", f"统一社会信用代码应为18位，您输入的是{len(code)}位", None))
    charset_problem = _charset_problem(code)
    if charset_problem is not None:
        errors.append(charset_problem)
    if not errors:
        region_problem = _region_problem(code)
        if region_problem is not None:
            errors.append(region_problem)
        expected = compute_check_char(code[:17])
        if code[17] != expected:
            errors.append(
                UsccProblem(
                    "USCC_CHECK_DIGIT",
                    f"校验位不符：按前17位计算第18位应为“{expected}”，您输入的是“{code[17]}”。"
                    "可能有字符输错，请逐位核对",
                    18,
                )
            )
        warnings.extend(_warnings(code))
    return UsccResult(raw, code, not errors, tuple(errors), tuple(warnings))


def one_char_corrections(code: str) -> list[str]:
    """Every valid code (mod-31 check, digits in the region code) that differs from ``code`` in one position.

    For positions 1-17 exactly one replacement restores the check (weights are invertible mod 31),
    and position 18 can be replaced by the computed check character, so an invalid code has at most
    18 corrections (fewer when a replacement would put a letter into the region code) and a valid one none. A code with exactly one character outside the
    charset (O typed for 0, I for 1) has at most one correction: the value that makes that position
    valid. Returns [] for the wrong length or several bad characters.
    """
    if len(code) != USCC_LENGTH:
        return []
    bad = [i for i, ch in enumerate(code) if ch not in _VALUE]
    if len(bad) > 1:
        return []
    if bad:
        i = bad[0]
        candidates = (code[:i] + ch + code[i + 1 :] for ch in CHARSET)
        return [
            c for c in candidates if (_weighted_sum(c[:17]) + _VALUE[c[17]]) % _MOD == 0 and _DIGITS.issuperset(c[2:8])
        ]
    # A code is valid iff (weighted sum of 1-17 + value of 18) == 0 (mod 31).
    error = (_weighted_sum(code[:17]) + _VALUE[code[17]]) % _MOD
    if error == 0:
        return []
    result: list[str] = []
    for i in range(USCC_LENGTH - 1):
        new_value = (_VALUE[code[i]] - error * _INV_WEIGHTS[i]) % _MOD
        result.append(code[:i] + CHARSET[new_value] + code[i + 1 :])
    result.append(code[:17] + compute_check_char(code[:17]))
    return [c for c in result if _DIGITS.issuperset(c[2:8])]


def describe_uscc(code: str) -> UsccInfo:
    """Registration authority, category and region encoded in positions 1-8."""
    code = normalize_uscc(code)
    if len(code) != USCC_LENGTH:
        raise ValueError("describe_uscc needs an 18-character code")
    authority = _AUTHORITIES.get(code[0])
    if authority is None:
        return UsccInfo(_UNKNOWN, _UNKNOWN, code[2:8], JILIN_REGIONS.get(code[2:8]))
    name, categories = authority
    region = code[2:8]
    return UsccInfo(name, categories.get(code[1], _UNKNOWN), region, JILIN_REGIONS.get(region))


_BODY_OK = frozenset(CHARSET)


def make_uscc(prefix2: str, region6: str, body8: str) -> str:
    """Build a valid code: append the GB 11714 and then the mod-31 check characters.

    ``body8`` must use CHARSET characters so that the result stays inside CHARSET; the GB 11714
    check character is a digit or 'X', both of which are in CHARSET.
    """
    if len(prefix2) != 2 or not _BODY_OK.issuperset(prefix2):
        raise ValueError("prefix2 must be 2 characters over the USCC charset")
    if len(region6) != 6 or not _DIGITS.issuperset(region6):
        raise ValueError("region6 must be 6 digits")
    if len(body8) != 8 or not _BODY_OK.issuperset(body8):
        raise ValueError("body8 must be 8 characters over the USCC charset")
    first17 = prefix2 + region6 + body8 + _org_check(body8)
    return first17 + _check_from_sum(_weighted_sum(first17))


def find_usccs(text: str) -> list[str]:
    """Normalised candidate codes found in free text (not validated)."""
    normalized = unicodedata.normalize("NFKC", text)
    return [normalize_uscc(m.group(0)) for m in USCC_PATTERN.finditer(normalized)]
