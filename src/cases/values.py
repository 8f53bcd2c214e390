"""Codes of the case taxonomies as input types: a field that must hold a code of one taxonomy."""

from __future__ import annotations

from typing import Any

from pydantic import AfterValidator

from src.cases.taxonomies import codes


def member_of(taxonomy: str) -> Any:
    allowed = codes(taxonomy)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"not a code of {taxonomy}")
        return value

    return AfterValidator(check)


def each_member_of(taxonomy: str) -> Any:
    allowed = codes(taxonomy)

    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"not codes of {taxonomy}: {len(unknown)}")
        if len(set(values)) != len(values):
            raise ValueError("a code is repeated")
        return values

    return AfterValidator(check)
