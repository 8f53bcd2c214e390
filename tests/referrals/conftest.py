"""Referral tests reuse the case fixtures (two consulates with an officer and a supervisor each)."""

from tests.cases.conftest import consulate_a, consulate_b

__all__ = ["consulate_a", "consulate_b"]
