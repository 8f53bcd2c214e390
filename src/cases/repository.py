"""Case queries; the only place case rows are scoped to the caller (`readable`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, false, func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from src.auth.principal import Principal
from src.cases import names, policies
from src.cases.models import Assignment, Case, Consent, Note, Person, Transition, Violation
from src.crypto import fields

REFERENCE_PREFIX = {"abuse": "ABU", "child_return": "CHR", "trafficking": "TIP"}


def readable_condition(principal: Principal) -> Any:
    if policies.reads_all_cases(principal):
        return true()
    if policies.reads_own_organization(principal):
        return Case.owner_organization_id == principal.organization_id
    return false()


def readable(principal: Principal) -> Select[Case]:
    return select(Case).where(readable_condition(principal))


# Statements read on every request are built once (building them was a tenth of reading a case; a profile).
_CASE = select(Case).where(Case.id == bindparam("case_id")).execution_options(populate_existing=True)
_OWN_CASE = _CASE.where(Case.owner_organization_id == bindparam("organization_id"))


async def get_readable(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Case | None:
    if policies.reads_all_cases(principal):
        return await session.scalar(_CASE, {"case_id": case_id})
    if policies.reads_own_organization(principal):
        return await session.scalar(
            _OWN_CASE, {"case_id": case_id, "organization_id": principal.organization_id}
        )
    return None  # readable_condition is false


async def next_reference(session: AsyncSession, kind: str, year: int) -> str:
    prefix = REFERENCE_PREFIX[kind]
    number = await session.scalar(text(f"SELECT nextval('case_reference_{prefix.lower()}')"))
    return f"{prefix}-{year}-{number:06d}"


# Taken by a transaction that adds words to the name dictionary, until it commits (pg_advisory_xact_lock).
NAME_DICTIONARY_LOCK = 0x756B756B_6E616D65  # "ukukname"
_KNOWN_WORDS = text("SELECT token FROM name_token WHERE token = ANY(CAST(:words AS text[]))")
_ADD_WORDS = text(
    "INSERT INTO name_token (token) SELECT unnest(CAST(:words AS text[])) "
    "ON CONFLICT DO NOTHING RETURNING token"
)
_ALIKE_WORDS = text(
    "SELECT q.word, t.token FROM unnest(CAST(:words AS text[])) AS q(word) "
    "JOIN name_token t ON t.token % q.word AND t.token <> q.word"
)
_ADD_SPELLINGS = text(
    "INSERT INTO name_spelling (token, spelling) "
    "SELECT * FROM unnest(CAST(:tokens AS text[]), CAST(:spellings AS text[])) ON CONFLICT DO NOTHING"
)


async def remember_name_tokens(session: AsyncSession | AsyncConnection, name_keys: list[str]) -> None:
    """Add the words of these skeletons to the dictionary the duplicate search reads, each new word with its
    spellings (`names.is_spelling` among the words pg_trgm finds alike) stored both ways: the new word's
    spellings include older words, and older words gain the new one.

    Two transactions adding spellings of each other at once would each miss the other's uncommitted word,
    so adding words is one transaction at a time (an advisory lock held to commit); a name whose words are
    all known, most of them once the dictionary has filled, takes no lock."""
    words = sorted({word for key in name_keys for word in key.split()})
    if not words:
        return
    known = set((await session.execute(_KNOWN_WORDS, {"words": words})).scalars())
    new = [word for word in words if word not in known]
    if not new:
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NAME_DICTIONARY_LOCK})
    added = list((await session.execute(_ADD_WORDS, {"words": new})).scalars())
    if not added:
        return
    await session.execute(text(f"SET LOCAL pg_trgm.similarity_threshold = {float(names.WORD_SIMILARITY)}"))
    alike = (await session.execute(_ALIKE_WORDS, {"words": added})).all()
    pairs = {(word, token) for word, token in alike if names.is_spelling(word, token)}
    pairs |= {(token, word) for word, token in pairs}
    if pairs:
        ordered = sorted(pairs)
        await session.execute(
            _ADD_SPELLINGS, {"tokens": [a for a, _ in ordered], "spellings": [b for _, b in ordered]}
        )


async def next_transition_id(session: AsyncSession) -> int:
    """A transition's id before its INSERT: its sealed reason is bound to it."""
    return int(await session.scalar(text("SELECT nextval('case_transition_id_seq')")) or 0)


_PERSONS = select(Person).where(Person.case_id == bindparam("case_id")).order_by(Person.position)
_VIOLATIONS = select(Violation).where(Violation.case_id == bindparam("case_id")).order_by(Violation.id)
_CONSENTS = select(Consent).where(Consent.case_id == bindparam("case_id")).order_by(Consent.id)


async def children(
    session: AsyncSession, case_id: uuid.UUID
) -> tuple[list[Person], list[Violation], list[Consent]]:
    given = {"case_id": case_id}
    persons = (await session.scalars(_PERSONS, given)).all()
    violations = (await session.scalars(_VIOLATIONS, given)).all()
    consents = (await session.scalars(_CONSENTS, given)).all()
    return list(persons), list(violations), list(consents)


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# What a list page shows: no sealed column is read (a page of full rows decrypted nothing it showed).
SUMMARY_COLUMNS = (
    Case.id,
    Case.reference,
    Case.kind,
    Case.status,
    Case.owner_organization_id,
    Case.assignee_id,
    Case.occurred_country,
    Case.due_at,
    Case.created_at,
)


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    *,
    filters: dict[str, Any],
    now: datetime,
    before: uuid.UUID | None,
    limit: int,
) -> list[Any]:
    """A page of case summaries (`SUMMARY_COLUMNS`), newest first."""
    query = select(*SUMMARY_COLUMNS).where(readable_condition(principal))
    for column in ("kind", "status", "assignee_id", "occurred_country"):
        if filters.get(column) is not None:
            query = query.where(getattr(Case, column) == filters[column])
    if filters.get("created_from") is not None:
        query = query.where(Case.created_at >= filters["created_from"])
    if filters.get("created_to") is not None:
        query = query.where(Case.created_at < filters["created_to"])
    if filters.get("overdue") is True:
        query = query.where(Case.due_at < now)
    elif filters.get("overdue") is False:
        query = query.where(or_(Case.due_at.is_(None), Case.due_at >= now))
    if filters.get("document_number"):
        by_document = select(Person.id).where(
            Person.case_id == Case.id,
            Person.document_number_index == fields.blind_index(filters["document_number"]),
        )
        query = query.where(by_document.exists())
    if filters.get("q"):
        q = _like(filters["q"].lower())
        # As written, or in any script and spelling: every folded word of q inside the person's skeleton.
        folded = [Person.name_key.like(f"%{_like(t)}%") for t in names.tokens(filters["q"])]
        written = func.lower(Person.full_name).like(f"%{q}%")
        by_name = select(Person.id).where(
            Person.case_id == Case.id, or_(written, and_(*folded)) if folded else written
        )
        query = query.where(or_(func.lower(Case.reference).like(f"{q}%"), by_name.exists()))
    if before is not None:
        query = query.where(Case.id < before)
    return list((await session.execute(query.order_by(Case.id.desc()).limit(limit))).all())


async def notes_of(session: AsyncSession, case_id: uuid.UUID) -> list[Note]:
    return list((await session.scalars(select(Note).where(Note.case_id == case_id).order_by(Note.id))).all())


async def consented_purposes(session: AsyncSession, case_id: uuid.UUID) -> set[str]:
    """What the case's consent covers (referral, partner_data_sharing, ...)."""
    return set((await session.scalars(select(Consent.purpose).where(Consent.case_id == case_id))).all())


async def timeline_rows(
    session: AsyncSession, case_id: uuid.UUID
) -> tuple[list[Transition], list[Note], list[Assignment]]:
    transitions = (await session.scalars(select(Transition).where(Transition.case_id == case_id))).all()
    notes = (await session.scalars(select(Note).where(Note.case_id == case_id))).all()
    assignments = (await session.scalars(select(Assignment).where(Assignment.case_id == case_id))).all()
    return list(transitions), list(notes), list(assignments)


async def entered_states(session: AsyncSession, case_id: uuid.UUID) -> dict[str, datetime]:
    """When the case first entered each state since it was last opened (deadlines count from there)."""
    rows = (
        await session.execute(
            select(Transition.to_status, Transition.at)
            .where(Transition.case_id == case_id)
            .order_by(Transition.id)
        )
    ).all()
    entered: dict[str, datetime] = {}
    for status, at in rows:
        if status == "closed":
            entered = {}
        entered.setdefault(status, at)
    return entered


async def get_case_row(session: AsyncSession, case_id: uuid.UUID) -> Case:
    """A case by id without scoping: only for a caller already entitled through another row (a referral)."""
    case = await session.get(Case, case_id)
    assert case is not None
    return case
