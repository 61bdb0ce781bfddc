"""Masking of personal data for every role but staff (seed item 17: 防止被采集人信息泄露)."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) >= 8 else "*" * len(phone)


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:4] + "*" * max(len(value) - 8, 0) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_name(name: str | None) -> str | None:
    """张三丰 → 张**: a person's name keeps its surname only."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)
