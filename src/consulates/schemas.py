"""Consulate bodies."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from src.platform.schemas import CountryCode, InputModel, Name, OutputModel, RegionCode


class Jurisdiction(InputModel):
    country: CountryCode
    region: RegionCode | None = None

    @model_validator(mode="after")
    def _region_in_country(self) -> Jurisdiction:
        if self.region is not None and not self.region.startswith(self.country + "-"):
            raise ValueError("region must be an ISO 3166-2 code of the same country")
        return self


class ConsulateCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Генеральное консульство Кыргызской Республики в Екатеринбурге",
                    "country": "KG",
                    "jurisdiction": [
                        {"country": "RU", "region": "RU-SVE"},
                        {"country": "RU", "region": "RU-CHE"},
                        {"country": "RU", "region": "RU-TYU"},
                    ],
                }
            ]
        }
    )

    name: Name
    country: CountryCode = Field(description="The consulate's own (sending) state, e.g. KG.")
    jurisdiction: Annotated[list[Jurisdiction], Field(min_length=1, max_length=200)]

    @model_validator(mode="after")
    def _no_repeats(self) -> ConsulateCreate:
        places = [(j.country, j.region) for j in self.jurisdiction]
        if len(places) != len(set(places)):
            raise ValueError("jurisdiction lists a place twice")
        return self


class JurisdictionRead(OutputModel):
    country: str
    region: str | None


class ConsulateRead(OutputModel):
    id: uuid.UUID
    name: str
    kind: Literal["consulate"] = "consulate"
    country: str
    jurisdiction: list[JurisdictionRead]
