"""Length-preserving text normalisation for Chinese user messages (no Rasa imports).

Each step maps the text to a string of exactly the same length, character by character, so entity
offsets stay valid: width folding (NFKC per character), Traditional → Simplified with zhconv, and
typo fixes for domain words. ``normalizer.TextNormalizer`` runs these steps in the NLU pipeline.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

logger = logging.getLogger(__name__)

# Same-length replacements only (checked at import). Each wrong form must be one that a correct
# sentence practically never contains, so the fix cannot damage a correct message.
TYPO_FIXES: dict[str, str] = {
    "信用修护": "信用修复",
    "信用休复": "信用修复",
    "信用修附": "信用修复",
    "意义申请": "异议申请",
    "提意义": "提异议",
    "提个意义": "提个异议",
    "意议": "异议",
    "异意申请": "异议申请",
    # 异意 (same pinyin yì yì) is a frequent misspelling of 异议 and not a word of its own here.
    "异意": "异议",
    "信用代马": "信用代码",
    "信用带码": "信用代码",
    "信用报吿": "信用报告",
    "信用承若": "信用承诺",
    "告之承诺": "告知承诺",
    "容却受理": "容缺受理",
    "容缺授理": "容缺受理",
    "自愿注测": "自愿注册",
    "失信黑明单": "失信黑名单",
    "经营异长": "经营异常",
    "法定代表任": "法定代表人",
    "转人公": "转人工",
}

for _wrong, _right in TYPO_FIXES.items():
    if len(_wrong) != len(_right):  # pragma: no cover - guards edits to the table
        raise ValueError(f"typo fix {_wrong!r} -> {_right!r} changes the length")

_TYPO_RE = re.compile("|".join(re.escape(w) for w in sorted(TYPO_FIXES, key=len, reverse=True)))
# CJK Unified Ideographs (basic, extension A) and compatibility ideographs.
_HAN_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def fold_width(text: str) -> str:
    """NFKC each character, keeping characters whose NFKC form is not a single character."""
    if text.isascii():
        return text
    return "".join(_fold_char(ch) for ch in text)


@lru_cache(maxsize=8192)
def _convert_char(ch: str) -> str:
    import zhconv

    converted = zhconv.convert(ch, "zh-cn")
    return converted if len(converted) == 1 else ch


def _convert_run(run: str) -> str:
    import zhconv

    converted = zhconv.convert(run, "zh-cn")
    if len(converted) == len(run):
        return converted
    return "".join(_convert_char(ch) for ch in run)


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese, run by run, never changing the length."""
    return _HAN_RUN_RE.sub(lambda m: _convert_run(m.group(0)), text)


def fix_typos(text: str) -> str:
    """Replace known misspellings of domain words (same length)."""
    return _TYPO_RE.sub(lambda m: TYPO_FIXES[m.group(0)], text)


def normalize_text(text: str) -> str:
    """The full length-preserving normalisation: width folding, Simplified, typo fixes."""
    result = fix_typos(to_simplified(fold_width(text)))
    if len(result) != len(text):  # pragma: no cover - every step is length-preserving
        logger.warning("Normalisation changed the length of %r; keeping the original.", text)
        return text
    return result
