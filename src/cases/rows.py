"""A case's persons, violations and consents as plain rows: read in one round trip with the case or alone,
and built from request bodies to be written.

Every reader of a case's children (the case's read model, a referral's shared view) takes these: the sealed
columns are opened here, once, and the attribute names are the models' own."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from src.cases import names
from src.cases.schemas import PersonIn, ViolationChange, ViolationIn
from src.crypto import fields
from src.platform.ids import uuid7

# What a case list or a partner sees of a birth date: an age band.
AGE_BANDS = ((0, 4), (5, 9), (10, 14), (15, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64))


def age_band(birth_date: date | None, today: date) -> str | None:
    if birth_date is None:
        return None
    age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}"
    return "65+"


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: uuid.UUID
    position: int
    role: str
    family_name: str | None
    given_name: str | None
    patronymic: str | None
    organization_name: str | None
    name_parts_inferred: bool
    full_name: str
    name_key: str  # names.skeleton(full_name): what the duplicate search compares; never shown
    birth_date: date | None
    sex: str | None
    citizenship: str | None
    document_type: str | None
    document_number: str | None  # sealed in the table
    phone: str | None  # sealed in the table
    language: str | None


@dataclass(frozen=True, slots=True)
class ViolationRow:
    id: uuid.UUID
    type: str
    indicators: list[str]
    started_on: date | None
    ended_on: date | None
    location: str | None  # sealed in the table
    description: str | None  # sealed in the table
    status: str
    perpetrator_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """One entry of the case's consent history (oldest first): given or withdrawn, for one purpose."""

    purpose: str
    given_by: str
    given_on: date
    action: str = "given"


def consent_in_force(history: list[ConsentRow]) -> list[ConsentRow]:
    """Per purpose, its latest entry, where that is consent given (a withdrawal ends it)."""
    latest = {entry.purpose: entry for entry in history}
    return [entry for entry in history if latest[entry.purpose] is entry and entry.action == "given"]


def consent_withdrawn(history: list[ConsentRow]) -> set[str]:
    """The purposes whose latest entry withdraws consent."""
    latest = {entry.purpose: entry for entry in history}
    return {purpose for purpose, entry in latest.items() if entry.action == "withdrawn"}


class Children(NamedTuple):
    persons: list[PersonRow]
    violations: list[ViolationRow]
    consents: list[ConsentRow]


def _columns(row_type: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(row_type))


PERSON_COLUMNS = _columns(PersonRow)
VIOLATION_COLUMNS = _columns(ViolationRow)
_CONSENT_COLUMNS = _columns(ConsentRow)


def _array(table: str, columns: tuple[str, ...], order: str) -> str:
    listed = ", ".join(f"x.{column}" for column in columns)
    # Names from this module only (the dataclasses above), never from input.
    return f"ARRAY(SELECT ROW({listed}) FROM {table} x WHERE x.case_id = case_file.id ORDER BY x.{order})"  # noqa: S608


# Three columns of anonymous records (asyncpg decodes them as tuples), correlated with `case_file`: select
# them beside the case row, or FROM case_file WHERE id = the case.
CHILDREN_SQL = (
    _array("case_person", PERSON_COLUMNS, "position"),
    _array("case_violation", VIOLATION_COLUMNS, "id"),
    _array("case_consent", _CONSENT_COLUMNS, "id"),
)


def _opened(table: str, values: dict[str, Any], sealed: tuple[str, ...]) -> dict[str, Any]:
    for column in sealed:
        values[column] = fields.open_value(table, column, values["id"], values[column])
    return values


def children_of(
    persons: list[tuple[Any, ...]], violations: list[tuple[Any, ...]], consents: list[Any]
) -> Children:
    return Children(
        [
            PersonRow(
                **_opened(
                    "case_person", dict(zip(PERSON_COLUMNS, p, strict=True)), ("document_number", "phone")
                )
            )
            for p in persons
        ],
        [
            ViolationRow(
                **_opened(
                    "case_violation",
                    dict(zip(VIOLATION_COLUMNS, v, strict=True)),
                    ("location", "description"),
                )
            )
            for v in violations
        ],
        [ConsentRow(*c) for c in consents],
    )


# ---- rows to write: a person or violation body as its table takes it, and as read back ----------------


def _sealed(table: str, column: str, row_id: uuid.UUID, value: str | None) -> bytes | None:
    return None if value is None else fields.seal_value(table, column, row_id, value)


def person_row(
    case_id: uuid.UUID,
    position: int,
    person: PersonIn,
    *,
    person_id: uuid.UUID | None = None,
    name_parts_inferred: bool = False,
) -> tuple[dict[str, Any], PersonRow]:
    """The row to write (column names, sealed columns as bytes) and the row as read back (sealed open)."""
    full_name = names.display_name(
        person.family_name,
        person.given_name,
        person.patronymic,
        person.organization_name,
        person.citizenship,
    )
    number = person.document.number if person.document else None
    row = PersonRow(
        id=person_id or uuid7(),
        position=position,
        role=person.role,
        family_name=person.family_name,
        given_name=person.given_name,
        patronymic=person.patronymic,
        organization_name=person.organization_name,
        name_parts_inferred=name_parts_inferred,
        full_name=full_name,
        name_key=names.skeleton(full_name),
        birth_date=person.birth_date,
        sex=person.sex,
        citizenship=person.citizenship,
        document_type=person.document.type if person.document else None,
        document_number=number,
        phone=person.phone,
        language=person.language,
    )
    written = {column: getattr(row, column) for column in PERSON_COLUMNS}
    written.update(
        case_id=case_id,
        document_number=_sealed("case_person", "document_number", row.id, number),
        document_number_index=fields.blind_index(number) if number else None,
        phone=_sealed("case_person", "phone", row.id, person.phone),
    )
    return written, row


_PERSON_BODY: tuple[str, ...] = ("role", "family_name", "given_name", "patronymic", "organization_name")
_PERSON_BODY += ("birth_date", "sex", "citizenship", "phone", "language")


def person_body(row: PersonRow) -> dict[str, Any]:
    """A stored person as the body that would write it (to correct it, or to copy it to a linked case)."""
    body = {name: getattr(row, name) for name in _PERSON_BODY}
    if row.document_type and row.document_number:
        body["document"] = {"type": row.document_type, "number": row.document_number}
    return {name: value for name, value in body.items() if value is not None}


def violation_row(
    case_id: uuid.UUID,
    violation: ViolationIn | ViolationChange,
    perpetrator_id: uuid.UUID | None,
    *,
    violation_id: uuid.UUID | None = None,
) -> tuple[dict[str, Any], ViolationRow]:
    row = ViolationRow(
        id=violation_id or uuid7(),
        type=violation.type,
        indicators=list(violation.indicators),
        started_on=violation.started_on,
        ended_on=violation.ended_on,
        location=violation.location,
        description=violation.description,
        status=violation.status,
        perpetrator_id=perpetrator_id,
    )
    written = {column: getattr(row, column) for column in VIOLATION_COLUMNS}
    written.update(
        case_id=case_id,
        location=_sealed("case_violation", "location", row.id, violation.location),
        description=_sealed("case_violation", "description", row.id, violation.description),
    )
    return written, row


def violation_body(row: ViolationRow) -> dict[str, Any]:
    body = {name: getattr(row, name) for name in VIOLATION_COLUMNS if name != "id"}
    return {name: value for name, value in body.items() if value is not None}
