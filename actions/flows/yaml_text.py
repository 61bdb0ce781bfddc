"""A small YAML writer for the generated files: block style like the hand-written ones, deterministic."""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _entry(head: str, value: Any, pad: str) -> list[str]:
    if isinstance(value, dict) and value:
        return [head, *_block(value, pad + "  ")]
    if isinstance(value, list) and value:
        return [head, *_block(value, pad)]
    if isinstance(value, (dict, list)):
        return [f"{head} {'{}' if isinstance(value, dict) else '[]'}"]
    return [f"{head} {_scalar(value)}"]


def _block(value: dict[str, Any] | list[Any], pad: str) -> list[str]:
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            lines.extend(_entry(f"{pad}{key}:", item, pad))
        return lines
    for item in value:
        if isinstance(item, dict) and item:
            inner = _block(item, pad + "  ")
            inner[0] = f"{pad}- {inner[0][len(pad) + 2 :]}"
            lines.extend(inner)
        else:
            lines.append(f"{pad}- {_scalar(item)}")
    return lines


def to_yaml(data: dict[str, Any], header: list[str]) -> str:
    """``data`` as block-style YAML under comment lines."""
    return "\n".join([*(f"# {line}" for line in header), *_block(data, "")]) + "\n"
