"""Policy configuration: every period, day count and standard text, with source and verified flag."""

from credit_backend.policy.loader import Policy, PolicyError, load_holiday_overrides, load_policy

__all__ = ["Policy", "PolicyError", "load_holiday_overrides", "load_policy"]
