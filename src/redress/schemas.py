"""Legal instrument bodies."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from src.schemas import InputModel, OutputModel

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
