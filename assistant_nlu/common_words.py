"""Ordinary words of the language, from jieba's own dictionary and its part-of-speech tags.

The NLU sometimes tags a common noun or verb of a sentence as an organisation's name (城管罚的, 拖欠的货款,
合作社会计). A registered name, or the short name a business goes by, is a compound (江城建材, 东山热力) or a
proper noun (国美, 东山); a single dictionary word tagged as an ordinary noun, verb or adjective is not one.
"""

from __future__ import annotations

import functools

# jieba's tags for proper names: nr* person, ns place, nt organisation, nz other proper noun.
PROPER_NOUN_TAGS = ("nr", "ns", "nt", "nz")


@functools.cache
def _word_tags() -> dict[str, str]:
    # jieba.posseg reads the dictionary's tags once (~50 MB); the Rasa server loads it before forking its workers.
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


def is_common_word(text: str) -> bool:
    """One word of jieba's dictionary that is not a proper name (合作社, 会计, 蔬菜; not 国美, 东山 or 江城建材)."""
    tag = _word_tags().get(text.strip())
    return tag is not None and not tag.startswith(PROPER_NOUN_TAGS)


def load() -> None:
    """Read the tags now (before forking workers, so that they share them)."""
    _word_tags()
