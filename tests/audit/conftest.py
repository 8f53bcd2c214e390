"""Oversight tests reuse the case fixtures."""

from tests.cases.conftest import consulate_a, consulate_b

__all__ = ["consulate_a", "consulate_b"]
