"""Shared schema pieces: strict input models, list pages, country codes."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

T = TypeVar("T")


class InputModel(BaseModel):
    """Every request body: unknown fields refused, surrounding whitespace stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_8601(value: object) -> object:
    # Pydantic also reads numbers as Unix times (`?created_to=0.5`); the contract says ISO 8601.
    if not isinstance(value, date) and not (isinstance(value, str) and _ISO_DATE.match(value)):
        raise ValueError("an ISO 8601 date-time, like 2026-11-23T00:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_8601)]
IsoDate = Annotated[date, BeforeValidator(_iso_8601)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$", min_length=2, max_length=2)]
# ISO 3166-2 subdivision code, e.g. RU-SVE, KZ-75.
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$", max_length=6)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
