"""Codes of the case taxonomies as input types: a field that must hold a code of one taxonomy."""

from __future__ import annotations

from typing import Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from src.cases.taxonomies import codes

# The error type clients can act on: `errors[].taxonomy` names the vocabulary and `errors[].codes` where to
# read its codes (src/platform/errors.py adds both).
TAXONOMY_CODE = "taxonomy_code"


def _not_a_code(taxonomy: str, unknown: int = 1) -> PydanticCustomError:
    what = "not a code" if unknown == 1 else f"{unknown} values are not codes"
    return PydanticCustomError(
        TAXONOMY_CODE,
        "{what} of the {taxonomy} taxonomy (its codes: GET /v1/taxonomies/{taxonomy})",
        {"what": what, "taxonomy": taxonomy},
    )


def member_of(taxonomy: str) -> Any:
    allowed = codes(taxonomy)

    def check(value: str) -> str:
        if value not in allowed:
            raise _not_a_code(taxonomy)
        return value

    return AfterValidator(check)


def each_member_of(taxonomy: str) -> Any:
    allowed = codes(taxonomy)

    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise _not_a_code(taxonomy, len(unknown))
        if len(set(values)) != len(values):
            raise ValueError("a code is repeated")
        return values

    return AfterValidator(check)
