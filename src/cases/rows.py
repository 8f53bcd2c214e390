"""A case's persons, violations and consents as plain rows, read in one round trip with the case or alone.

Every reader of a case's children (the case's read model, a referral's shared view) takes these: the sealed
columns are opened here, once, and the attribute names are the models' own."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from src.crypto import fields


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
    purpose: str
    given_by: str
    given_on: date


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
