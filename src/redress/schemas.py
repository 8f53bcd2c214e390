"""Legal instrument and redress action bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

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
