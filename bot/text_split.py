"""Long answers split for a channel's message limit, which each channel measures its own way
(Telegram in UTF-16 code units, WeChat in UTF-8 bytes)."""

from __future__ import annotations

from collections.abc import Callable

Measure = Callable[[str], int]


def _hard_split(line: str, limit: int, measure: Measure) -> list[str]:
    parts: list[str] = []
    current = ""
    for ch in line:
        if measure(current) + measure(ch) > limit:
            parts.append(current)
            current = ""
        current += ch
    if current:
        parts.append(current)
    return parts


def split_text(text: str, limit: int, measure: Measure) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` (as ``measure`` counts), on line boundaries when possible.

    A line is broken only when it alone is longer than the limit; blank chunks are dropped and nothing else is
    lost (joining the chunks with newlines gives the text back, less the newlines at chunk borders).
    """
    if measure(text) <= limit:
        return [text] if text.strip() else []
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _hard_split(line, limit, measure) if measure(line) > limit else [line]:
            extra = measure(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
                extra = measure(piece)
            current.append(piece)
            size += extra
    if current:
        chunks.append("\n".join(current))
    return [c for c in chunks if c.strip()]
