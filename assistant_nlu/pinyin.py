"""Pinyin typed instead of Chinese characters, turned back into the service vocabulary (no Rasa imports).

Users on phones without a Chinese keyboard type ``chaxun xinyong``, ``xiufu shenqing`` or
``wo yao cha xinyong baogao``, with or without spaces, tone digits (``xin4yong4``) or tone marks
(``xìnyòng``), often mixed with characters (``我要xiufu``). The classifiers only know characters, so
such a message fell to a clarifying question or a wrong intent.

``PinyinTable`` maps the toneless pinyin of known words (the words of the training data and the
jieba dictionary, counted) to the most frequent word with that reading; pypinyin gives the readings,
with its phrase table for words whose characters have several (重点 zhòngdiǎn, 银行 yínháng).
``PinyinTable.edits`` finds runs of pinyin-like tokens and covers each run with known words, fewest
words first (so the longest matches win), where every space or tone digit the user typed inside a
word must fall on one of that word's syllable boundaries. Ordinary English and codes are left alone:

* only lower-case tokens (or capitalised ones: ``Jilin``) made of letters and tone digits, not
  touching digits or other letters, are candidates, so ``XK-20261101-0001``, ``XYBG``, ``PDF`` and
  ``91220202MA0Y3K7Q6L`` never are; spans that ``codes.find_code_spans`` recognises are skipped;
* a run is converted only when its converted words contain a known word of two or more syllables
  (``you mei you`` → 有没有), or when it is several tokens that known words cover entirely (``zai ma`` → 在吗);
  English rarely passes either test (``are you a bot``: ``bot`` is no pinyin, and 有/啊 are one syllable each);
* a token that no known word covers stays exactly as typed (``zhang san de xinyong`` →
  ``zhang san 的信用``).

The conversion changes the text's length; ``Edit``/``apply_edits``/``shift_offset`` let the
pipeline component rewrite the text and move entity offsets consistently.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from assistant_nlu.codes import find_code_spans

_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
# A token: letters with optional tone digits after syllables; a letter or digit on either side means it is part
# of a code or an English word with digits, so it is not a candidate.
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+(?:[1-5][A-Za-z]+)*[1-5]?(?![A-Za-z0-9])")
_SEPARATOR = re.compile(r"^[ \t'’]+$")
_COMBINING_DIAERESIS = "\u0308"
MAX_WORD_SYLLABLES = 8
SHORT_ALONE = 3  # letters of a run too short to convert


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``replacement``."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class _Entry:
    word: str
    boundaries: frozenset[int]  # offsets of the syllable boundaries inside the key
    syllables: int
    count: int


def _plain_char(ch: str) -> str:
    """A Latin letter with a tone mark → its plain lower-case letter (ü → v); anything else unchanged."""
    if ch.isascii():
        return ch
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if not base.isascii() or not base.isalpha() or any(not unicodedata.combining(m) for m in marks):
        return ch
    if base in "uU" and _COMBINING_DIAERESIS in marks:
        return "v" if base == "u" else "V"
    return base


def plain_text(text: str) -> str:
    """Tone marks removed character by character (same length as ``text``)."""
    return "".join(_plain_char(ch) for ch in text)


def character_readings() -> dict[str, str]:
    """The toneless pinyin of every Han character pypinyin knows, its first reading (``绿`` → ``lv``): a model that
    stores them reads characters without pypinyin and its phrase dictionary in memory."""
    from pypinyin.pinyin_dict import pinyin_dict

    readings = {}
    for code, marked in pinyin_dict.items():
        reading = plain_text(marked.split(",")[0]).lower()
        if reading.isascii() and reading.isalpha():
            readings[chr(code)] = reading
    return readings


def syllables_of(word: str) -> list[str]:
    """Toneless pinyin syllables of a Han word (``ü`` as ``v``, pypinyin's phrase readings)."""
    from pypinyin import Style, lazy_pinyin

    return [s.lower() for s in lazy_pinyin(word, style=Style.NORMAL, errors="ignore") if s.isalpha()]


def _keys(syllables: list[str]) -> list[tuple[str, frozenset[int]]]:
    """Lookup keys of a reading: the syllables joined, and with ``v`` typed as ``u`` (lv → lu)."""
    variants = {tuple(syllables), tuple(s.replace("v", "u") for s in syllables)}
    result = []
    for variant in sorted(variants):
        offsets, position = [], 0
        for syllable in variant[:-1]:
            position += len(syllable)
            offsets.append(position)
        result.append(("".join(variant), frozenset(offsets)))
    return result


class PinyinTable:
    """Toneless pinyin → the most frequent known word with that reading."""

    def __init__(self, entries: dict[str, list[_Entry]]) -> None:
        """Use ``from_counts`` or ``from_dict``."""
        self._entries = entries
        self._longest = max((len(key) for key in entries), default=0)

    @classmethod
    def from_counts(cls, counts: Counter[str]) -> PinyinTable:
        """Build the table from word counts (only words of Han characters are used)."""
        entries: dict[str, dict[frozenset[int], _Entry]] = {}
        for word, count in counts.items():
            if not _HAN.match(word) or len(word) > MAX_WORD_SYLLABLES:
                continue
            syllables = syllables_of(word)
            if len(syllables) != len(word):
                continue
            for key, boundaries in _keys(syllables):
                best = entries.setdefault(key, {})
                current = best.get(boundaries)
                if current is None or (count, word) > (current.count, current.word):
                    best[boundaries] = _Entry(word, boundaries, len(syllables), count)
        return cls({key: list(by_boundaries.values()) for key, by_boundaries in entries.items()})

    @classmethod
    def from_words(cls, words: Iterable[str]) -> PinyinTable:
        """Build the table from a list of words, each counted as often as it occurs."""
        return cls.from_counts(Counter(words))

    def to_dict(self) -> dict[str, list[list[object]]]:
        """JSON-serialisable form (persisted with the model)."""
        return {
            key: [[e.word, sorted(e.boundaries), e.syllables, e.count] for e in entries]
            for key, entries in sorted(self._entries.items())
        }

    @classmethod
    def from_dict(cls, data: dict[str, list[list[object]]]) -> PinyinTable:
        """Inverse of ``to_dict``."""
        entries = {
            key: [_Entry(str(w), frozenset(int(b) for b in bs), int(s), int(c)) for w, bs, s, c in rows]  # type: ignore[misc, union-attr, arg-type]
            for key, rows in data.items()
        }
        return cls(entries)

    def __len__(self) -> int:
        """Number of distinct readings."""
        return len(self._entries)

    def word_for(self, pinyin: str) -> str | None:
        """The word read ``pinyin`` (syllables joined, no tones), or None."""
        entries = self._entries.get(pinyin)
        return max(entries, key=lambda e: (e.count, e.word)).word if entries else None

    def edits(self, text: str) -> list[Edit]:
        """Replacements that turn the pinyin runs of ``text`` into characters (empty when there are none)."""
        if text.isascii() and not any(ch.isalpha() for ch in text):
            return []
        plain = plain_text(text)
        blocked = [(s.start, s.end) for s in find_code_spans(text)]
        tokens = [
            m
            for m in _TOKEN.finditer(plain)
            if _candidate(m.group(0)) and not any(s < m.end() and m.start() < e for s, e in blocked)
        ]
        result: list[Edit] = []
        for run in _runs(plain, tokens):
            result.extend(self._convert_run(plain, run))
        return result

    def _convert_run(self, plain: str, run: list[re.Match[str]]) -> list[Edit]:
        # The letters of the run as one stream, with the text index of each letter.
        letters: list[str] = []
        index: list[int] = []
        separators: set[int] = set()  # stream positions where the user typed a space, apostrophe or tone digit
        token_ends: dict[int, int] = {}  # token start → token end, in stream positions
        for match in run:
            start = len(letters)
            if start:
                separators.add(start)
            for offset, ch in enumerate(match.group(0)):
                if ch.isdigit():
                    separators.add(len(letters))
                    continue
                letters.append(ch.lower())
                index.append(match.start() + offset)
            token_ends[start] = len(letters)
        stream = "".join(letters)
        size = len(stream)
        # best[i]: (uncovered tokens, words, -counts) of the best cover of stream[:i], and how it got there.
        best: list[tuple[tuple[int, int, int], int, _Entry | None] | None] = [None] * (size + 1)
        best[0] = ((0, 0, 0), -1, None)
        for i in range(size):
            here = best[i]
            if here is None:
                continue
            (uncovered, words, negcount), _, _ = here
            for length in range(1, min(self._longest, size - i) + 1):
                for entry in self._entries.get(stream[i : i + length], ()):
                    inside = {p - i for p in separators if i < p < i + length}
                    if not inside <= entry.boundaries:
                        continue
                    _offer(best, i + length, ((uncovered, words + 1, negcount - entry.count), i, entry))
            if i in token_ends:
                _offer(best, token_ends[i], ((uncovered + 1, words, negcount), i, None))
        chosen: list[tuple[int, int, _Entry | None]] = []
        position = size
        while position > 0:
            state = best[position]
            assert state is not None  # every token can be skipped, so the end is always reached
            _, previous, entry = state
            chosen.append((previous, position, entry))
            position = previous
        chosen.reverse()
        converted = [entry for _, _, entry in chosen if entry is not None]
        if len(stream) <= SHORT_ALONE:
            return []  # one short token (tie, an, me) is far more often English than two syllables of pinyin
        whole = len(converted) == len(chosen) and len(run) >= 2  # every typed token covered, several tokens
        if sum(e.syllables for e in converted) < 2 or not (whole or any(e.syllables >= 2 for e in converted)):
            return []
        return _edits_from(plain, chosen, index)


def _offer(best: list, position: int, state: tuple) -> None:
    current = best[position]
    if current is None or state[0] < current[0]:
        best[position] = state


def _candidate(token: str) -> bool:
    """Lower-case, or capitalised with the rest lower-case (Jilin); codes and acronyms are upper-case."""
    letters = [ch for ch in token if ch.isalpha()]
    return all(ch.islower() for ch in letters[1:])


def _runs(plain: str, tokens: list[re.Match[str]]) -> list[list[re.Match[str]]]:
    """Tokens separated only by spaces or apostrophes, grouped."""
    runs: list[list[re.Match[str]]] = []
    for token in tokens:
        if runs and _SEPARATOR.match(plain[runs[-1][-1].end() : token.start()]):
            runs[-1].append(token)
        else:
            runs.append([token])
    return runs


def _edits_from(plain: str, chosen: list[tuple[int, int, _Entry | None]], index: list[int]) -> list[Edit]:
    """One edit per converted word, so that entity offsets at word boundaries stay exact. Between two
    converted words, the typed spaces and tone digits go with the second; tone digits after the last word of a
    stretch go with it."""
    edits: list[Edit] = []
    previous_end: int | None = None  # text end of the previous word when it was converted
    for start, end, entry in chosen:
        if entry is None:
            previous_end = None
            continue
        text_start = previous_end if previous_end is not None else index[start]
        text_end = index[end - 1] + 1
        edits.append(Edit(text_start, text_end, entry.word))
        previous_end = text_end
    # Tone digits after a word that ends a stretch (the next word's edit already took the others).
    result = []
    for i, edit in enumerate(edits):
        stop = edit.end
        following = edits[i + 1].start if i + 1 < len(edits) else len(plain)
        if following != edit.end:
            while stop < len(plain) and plain[stop] in "12345":
                stop += 1
        result.append(Edit(edit.start, stop, edit.replacement))
    return result


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with the (sorted, non-overlapping) edits applied."""
    parts, position = [], 0
    for edit in edits:
        parts.append(text[position : edit.start])
        parts.append(edit.replacement)
        position = edit.end
    parts.append(text[position:])
    return "".join(parts)


def shift_offset(offset: int, edits: list[Edit], is_end: bool) -> int:
    """Where ``offset`` of the original text lies after the edits; an offset inside an edited span moves to
    the replacement's start (an entity start) or end (an entity end)."""
    shift = 0
    for edit in edits:
        if offset <= edit.start:
            break
        if offset >= edit.end:
            shift += len(edit.replacement) - (edit.end - edit.start)
            continue
        return edit.start + shift + (len(edit.replacement) if is_end else 0)
    return offset + shift
