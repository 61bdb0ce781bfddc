"""Fixtures for the pure rule tests."""

from __future__ import annotations

import pytest

from credit_backend.policy.loader import DEFAULT_POLICY_PATH, Policy, load_policy
from credit_backend.rules.workdays import WorkCalendar


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The bundled policy file."""
    return load_policy(DEFAULT_POLICY_PATH)


@pytest.fixture(scope="session")
def package_calendar() -> WorkCalendar:
    """Calendar without overrides: chinese_calendar's years, Monday-Friday beyond."""
    return WorkCalendar()
