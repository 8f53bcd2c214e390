"""Legal instrument and redress action bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from src.cases.values import member_of
from src.platform.schemas import InputModel, Money, OutputModel

InstrumentKind = Literal["multilateral_agreement", "bilateral_agreement", "convention", "national_law"]
Party = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,5}$")]
Title = Annotated[str, StringConstraints(min_length=3, max_length=500)]


class Titles(InputModel):
    en: Title
    ru: Title
    ky: Title | None = None


class LegalInstrumentCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "ILO-C189",
                    "kind": "convention",
                    "title": {
                        "en": "Domestic Workers Convention, 2011 (No. 189)",
                        "ru": "Конвенция о достойном труде домашних работников, 2011 г. (№ 189)",
                    },
                    "parties": ["ILO"],
                    "signed_on": "2011-06-16",
                    "signed_on_precision": "day",
                    "signed_at_place": "Geneva",
                    "in_force_on": "2013-09-05",
                    "unverified": False,
                    "notes": "For the wage claims of domestic workers.",
                }
            ]
        }
    )

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{2,63}$")]
    kind: InstrumentKind
    title: Titles
    parties: Annotated[list[Party], Field(min_length=1, max_length=60)]
    signed_on: date | None = None
    signed_on_precision: Literal["day", "month", "year"] = "day"
    signed_at_place: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    in_force_on: date | None = None
    unverified: bool = False
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None


class LegalInstrumentRead(OutputModel):
    id: uuid.UUID
    code: str
    kind: str
    title: str = Field(description="In the negotiated language (ky falls back to ru, then en).")
    titles: dict[str, str]
    parties: list[str]
    signed_on: date | None
    signed_on_precision: str
    signed_at_place: str | None
    in_force_on: date | None
    unverified: bool
    notes: str | None


# ---- redress actions -----------------------------------------------------------------------------------

RedressForum = Annotated[str, StringConstraints(max_length=32), member_of("redress_forum")]
RedressStatus = Annotated[str, StringConstraints(max_length=24), member_of("redress_status")]
Article = Annotated[str, StringConstraints(min_length=1, max_length=100)]

# status -> statuses it may move to (taxonomies.md "redress status"); decisions are final.
REDRESS_MOVES: dict[str, frozenset[str]] = {
    "planned": frozenset({"filed", "withdrawn"}),
    "filed": frozenset({"in_progress", "granted", "partially_granted", "denied", "settled", "withdrawn"}),
    "in_progress": frozenset({"granted", "partially_granted", "denied", "settled", "withdrawn"}),
}


class RedressCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "instrument_id": "0193a0b1-7e2f-7a30-8b41-9c5d6e7f8a9b",
                    "article": "ст. 136 ТК РФ",
                    "forum": "labour_inspectorate",
                    "claim": {"amount": "240000.00", "currency": "RUB"},
                    "status": "filed",
                    "filed_on": "2026-11-10",
                }
            ]
        }
    )

    instrument_id: uuid.UUID | None = None
    article: Article | None = None
    forum: RedressForum
    claim: Money | None = None
    status: RedressStatus = "planned"
    recovered: Money | None = None
    filed_on: date | None = None
    decided_on: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> RedressCreate:
        if self.filed_on and self.decided_on and self.decided_on < self.filed_on:
            raise ValueError("decided_on is before filed_on")
        return self


class RedressPatch(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "partially_granted",
                    "recovered": {"amount": "150000.00", "currency": "RUB"},
                    "decided_on": "2026-11-28",
                }
            ]
        }
    )

    article: Article | None = None
    forum: RedressForum | None = None
    claim: Money | None = None
    status: RedressStatus | None = None
    recovered: Money | None = None
    filed_on: date | None = None
    decided_on: date | None = None


class MoneyRead(OutputModel):
    amount: Decimal
    currency: str


class RedressRead(OutputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a300-7b8c-7d90-8eaf-2b3c4d5e6f70",
                    "case_id": "0193a1c4-2b3d-7e4f-8a5b-6c7d8e9f0a1b",
                    "instrument_id": "0193a0b1-7e2f-7a30-8b41-9c5d6e7f8a9b",
                    "article": "ст. 136 ТК РФ",
                    "forum": "labour_inspectorate",
                    "claim": {"amount": "240000.00", "currency": "RUB"},
                    "status": "filed",
                    "recovered": None,
                    "filed_on": "2026-11-10",
                    "decided_on": None,
                    "version": 1,
                    "created_at": "2026-11-10T12:00:00Z",
                    "updated_at": "2026-11-10T12:00:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    case_id: uuid.UUID
    instrument_id: uuid.UUID | None
    article: str | None
    forum: str
    claim: MoneyRead | None
    status: str
    recovered: MoneyRead | None
    filed_on: date | None
    decided_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime
