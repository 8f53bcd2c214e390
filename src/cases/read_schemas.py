"""Case response bodies: the read model of a case, its people, notes, timeline, duplicates and links."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from src.cases import examples
from src.platform.schemas import OutputModel


class PersonRead(OutputModel):
    id: uuid.UUID
    role: str
    full_name: str = Field(description="Derived for display, in the order the person's country writes it.")
    family_name: str | None = None
    given_name: str | None = None
    patronymic: str | None = None
    organization_name: str | None = None
    name_parts_inferred: bool = Field(
        default=False,
        description="The parts were split from a whole name by a migration: an officer should check them. "
        "A partner's `basic` share shows no given name while this is true.",
    )
    birth_date: date | None
    sex: str | None
    citizenship: str | None
    document: dict[str, str] | None
    phone: str | None
    language: str | None


class ViolationRead(OutputModel):
    id: uuid.UUID
    type: str
    indicators: list[str]
    started_on: date | None
    ended_on: date | None
    location: str | None
    description: str | None
    status: str
    perpetrator_id: uuid.UUID | None


class ConsentRead(OutputModel):
    """The consent in force: the purposes whose latest entry gives consent, and the latest such entry."""

    purposes: list[str]
    given_by: str
    given_on: date


class ConsentEntryRead(OutputModel):
    id: uuid.UUID
    action: Literal["given", "withdrawn"]
    purpose: str
    given_by: str
    on: date
    method: str | None = Field(description="null for consent recorded at intake before methods were kept")
    note: str | None
    recorded_by: uuid.UUID
    recorded_at: datetime


class ConsentHistory(OutputModel):
    in_force: ConsentRead | None
    entries: list[ConsentEntryRead] = Field(description="Oldest first.")


class DuplicateCandidate(OutputModel):
    case_id: uuid.UUID
    reference: str
    score: float = Field(
        description="0..1, for ordering: name (across scripts), birth date, citizenship and sex together."
    )
    band: Literal["likely", "possible"] = Field(
        description="`likely`: given and family names are spellings of the same names and the birth date is "
        "the same; check and link. `possible`: every name part is close (a typo, a missing birth date, a "
        "close birth date, parts entered in each other's fields); look before linking."
    )
    reasons: list[str] = Field(
        description="What matched or differed: `given_name 0.93`, `family_name 1.00`, `birth_date exact`, "
        "`birth_date close`, `citizenship same`, `sex same`, `name parts swapped`, `as <role>` when not "
        "the other case's subject."
    )


class DuplicateList(OutputModel):
    items: list[DuplicateCandidate]


class LinkRead(OutputModel):
    id: uuid.UUID
    case_id: uuid.UUID = Field(description="The other case.")
    reference: str
    type: str
    created_by: uuid.UUID
    created_at: datetime


class LinkList(OutputModel):
    items: list[LinkRead]


class PlaceRead(OutputModel):
    country: str
    region: str | None
    city: str | None


class CaseRead(OutputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.CASE_READ_EXAMPLES})

    id: uuid.UUID
    reference: str
    kind: str
    status: str
    summary: str
    intake_channel: str
    occurred: PlaceRead
    owner_organization_id: uuid.UUID
    assignee_id: uuid.UUID | None
    linked_case_id: uuid.UUID | None
    subject: PersonRead
    persons: list[PersonRead]
    violations: list[ViolationRead]
    consent: ConsentRead | None
    details: dict[str, Any]
    version: int
    overdue: bool
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    legal_hold: bool = False
    anonymised_at: datetime | None = None
    possible_duplicates: list[DuplicateCandidate] = []


class CaseSummary(OutputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.CASE_SUMMARY_EXAMPLES})

    id: uuid.UUID
    reference: str
    kind: str
    status: str
    owner_organization_id: uuid.UUID
    assignee_id: uuid.UUID | None
    occurred_country: str
    overdue: bool
    due_at: datetime | None
    created_at: datetime
    subject_name: str | None = Field(description="The subject's full name, for display (read only).")
    subject_age_band: str | None = Field(
        description="The subject's age today as a band (`25-34`, `65+`); null when the birth date is unknown."
    )


class TimelineEntry(OutputModel):
    at: datetime
    type: Literal["transition", "note", "assignment", "amendment", "transfer", "referral", "redress"]
    actor_id: uuid.UUID
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    note_id: uuid.UUID | None = None
    body: str | None = None
    assignee_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    event: str | None = Field(
        default=None,
        description="For referral entries: created, accepted, progress, ...; for amendments: person.add, "
        "person.update, person.delete, violation.add, ...; for transfers: request, accept, decline",
    )
    fields: list[str] | None = Field(
        default=None, description="For amendments: the names of the fields changed, never their values."
    )


class NoteRead(OutputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.NOTE_READ_EXAMPLES})

    id: uuid.UUID
    author_id: uuid.UUID
    body: str
    created_at: datetime


class TransferRead(OutputModel):
    """What a transfer needs to be decided: the receiving consulate sees no personal data until it accepts."""

    id: uuid.UUID
    case_id: uuid.UUID
    reference: str
    kind: str
    case_status: str
    from_organization_id: uuid.UUID
    to_organization_id: uuid.UUID
    reason: str
    status: Literal["pending", "accepted", "declined"]
    decision_note: str | None = None
    created_at: datetime
    decided_at: datetime | None = None
