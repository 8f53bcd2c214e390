"""Codes of the case taxonomies as input types: a field that must hold a code of one taxonomy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

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


def taxonomy_link(taxonomy: str) -> str:
    """Where a client reads the codes (and their labels) of a taxonomy."""
    return f"/v1/taxonomies/{taxonomy}"


@dataclass(frozen=True)
class TaxonomyCoded:
    """A field's check against its taxonomy, and the contract's link to it: `x-taxonomy` names the taxonomy
    and the description says where its codes are (a field's own description, if any, takes its place)."""

    taxonomy: str
    check: Callable[[Any], Any]
    each: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["x-taxonomy"] = self.taxonomy
        what = "Codes" if self.each else "A code"
        json_schema["description"] = f"{what} of the {self.taxonomy} taxonomy: {taxonomy_link(self.taxonomy)}"
        return json_schema


def member_of(taxonomy: str) -> Any:
    allowed = codes(taxonomy)

    def check(value: str) -> str:
        if value not in allowed:
            raise _not_a_code(taxonomy)
        return value

    return TaxonomyCoded(taxonomy, check)


def each_member_of(taxonomy: str) -> Any:
    allowed = codes(taxonomy)

    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise _not_a_code(taxonomy, len(unknown))
        if len(set(values)) != len(values):
            raise ValueError("a code is repeated")
        return values

    return TaxonomyCoded(taxonomy, check, each=True)
