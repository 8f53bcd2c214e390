"""Case queries; the only place case rows are scoped to the caller (`readable`)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, delete, false, inspect, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, set_committed_value

from src.auth.principal import Principal
from src.cases import names, policies, rows
from src.cases.models import Assignment, Case, Consent, Note, Person, Transition, Violation
from src.crypto import fields
from src.platform import driver

REFERENCE_PREFIX = {"abuse": "ABU", "child_return": "CHR", "trafficking": "TIP"}


def readable_condition(principal: Principal) -> Any:
    if policies.reads_all_cases(principal):
        return true()
    if policies.reads_own_organization(principal):
        return Case.owner_organization_id == principal.organization_id
    return false()


def readable(principal: Principal) -> Select[Case]:
    return select(Case).where(readable_condition(principal))


# A case (and, for GET, its children beside it in one round trip) is read on the driver (platform/driver.py)
# with SQL written once from the model's columns: through the ORM it cost more API CPU than reading it.
_CASE_COLUMNS = tuple(Case.__table__.columns)
_CASE_COLUMNS_SQL = tuple(f"case_file.{column.name}" for column in _CASE_COLUMNS)
_CASE_KEYS = tuple(Case.__mapper__.get_property_by_column(column).key for column in _CASE_COLUMNS)
_CASE_WHOLE = (
    f"SELECT {', '.join(_CASE_COLUMNS_SQL)}, "  # noqa: S608 (model names)
    f"{', '.join(rows.CHILDREN_SQL)} FROM case_file WHERE case_file.id = $1"
)
_OWN_CASE_WHOLE = _CASE_WHOLE + " AND case_file.owner_organization_id = $2"
_CASE_ROW = f"SELECT {', '.join(_CASE_COLUMNS_SQL)} FROM case_file WHERE case_file.id = $1"  # noqa: S608
_OWN_CASE_ROW = _CASE_ROW + " AND case_file.owner_organization_id = $2"


def _persistent_case(session: AsyncSession, values: Any, *, in_session: bool = True) -> Case:
    """The Case the ORM would have loaded from these column values, in the session (a write that follows,
    such as `changes.bump`, refreshes it there) unless a read that changes nothing says not. One the session
    holds gets the row's values as committed ones; it has no pending change to lose, since the driver
    flushes the session before each statement (`driver._found`)."""
    sync = session.sync_session
    key = Case.__mapper__.identity_key_from_primary_key((values[0],))
    case = sync.identity_map.get(key)
    if case is None:
        # A new instance has no history to keep: its values go straight into its dict, as the ORM's loader
        # writes them (`set_committed_value` per column was about 5% of GET case's CPU, in process).
        case = Case.__mapper__.class_manager.new_instance()
        instance_dict(case).update(zip(_CASE_KEYS, values, strict=True))
    else:
        for attribute, value in zip(_CASE_KEYS, values, strict=True):
            set_committed_value(case, attribute, value)
    if in_session and inspect(case).transient:
        make_transient_to_detached(case)
        sync.add(case)
    return cast(Case, case)


async def get_readable_whole(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, in_session: bool = True
) -> tuple[Case, rows.Children] | None:
    """`get_readable` with the case's persons, violations and consents, in the same statement."""
    if policies.reads_all_cases(principal):
        found = await driver.fetchrow(session, _CASE_WHOLE, case_id)
    elif policies.reads_own_organization(principal):
        found = await driver.fetchrow(session, _OWN_CASE_WHOLE, case_id, principal.organization_id)
    else:
        found = None
    if found is None:
        return None
    width = len(_CASE_COLUMNS)
    persons, violations, consents = found[width:]
    children = rows.children_of(persons, violations, consents)
    return _persistent_case(session, found[:width], in_session=in_session), children


async def get_readable(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, in_session: bool = True
) -> Case | None:
    """The case if the caller may read it; with `in_session=False` (a read that changes nothing) it is not
    added to the session."""
    if policies.reads_all_cases(principal):
        found = await driver.fetchrow(session, _CASE_ROW, case_id)
    elif policies.reads_own_organization(principal):
        found = await driver.fetchrow(session, _OWN_CASE_ROW, case_id, principal.organization_id)
    else:
        return None  # readable_condition is false
    return None if found is None else _persistent_case(session, found, in_session=in_session)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


_CASE_TABLE = _table(Case)


def _reference_number(prefix: str) -> str:
    # As f"{number:06d}": six digits at least, all of them past a million.
    sequence = f"case_reference_{prefix.lower()}"  # made here, from REFERENCE_PREFIX
    number = "(SELECT CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END FROM nextval('{}') n)"
    return number.format(sequence)


def _inserting(table: str, columns: Iterable[str], values: Iterable[str] | None = None) -> str:
    """INSERT of the columns, the n-th taking $n unless `values` says what each takes."""
    listed = list(columns)
    given = list(values) if values is not None else [f"${i}" for i in range(1, len(listed) + 1)]
    return f"INSERT INTO {table} ({', '.join(listed)}) VALUES ({', '.join(given)})"  # noqa: S608


# Intake's statements run on the driver (src/platform/driver.py), written from the model's columns: through
# SQLAlchemy each cost more API CPU than the INSERT. The reference is the kind's prefix and year ($n, last)
# with a number drawn from the kind's sequence inside the INSERT (no round trip of its own).
_CASE_INSERT_COLUMNS = tuple(column.name for column in _CASE_TABLE.columns if column.name != "reference")
_HEAD = len(_CASE_INSERT_COLUMNS) + 1
_INSERT_CASE = {
    kind: _inserting(
        "case_file",
        (*_CASE_INSERT_COLUMNS, "reference"),
        (*(f"${i}" for i in range(1, _HEAD)), f"${_HEAD} || {_reference_number(prefix)}"),
    )
    + " RETURNING reference"
    for kind, prefix in REFERENCE_PREFIX.items()
}


async def insert_case(session: AsyncSession, kind: str, year: int, values: dict[str, Any]) -> str:
    """Write a new case row (column names as keys, sealed columns as bytes); answer its reference."""
    head = f"{REFERENCE_PREFIX[kind]}-{year}-"
    row = await driver.fetchrow(
        session, _INSERT_CASE[kind], *(values[column] for column in _CASE_INSERT_COLUMNS), head
    )
    assert row is not None
    return str(row["reference"])


_TABLES = {model: _table(model).name for model in (Person, Violation, Consent, Transition)}


async def insert_rows(session: AsyncSession, model: type[Any], rows_: list[dict[str, Any]]) -> None:
    """Write rows of one of a case's tables in one round trip (every dict with the same column names)."""
    if rows_:
        columns = list(rows_[0])
        sql = _inserting(_TABLES[model], columns)
        await driver.executemany(session, sql, [[row[column] for column in columns] for row in rows_])


async def set_linked_case(session: AsyncSession, case_id: uuid.UUID, linked_case_id: uuid.UUID) -> None:
    await (await session.connection()).execute(
        update(_CASE_TABLE).where(_CASE_TABLE.c.id == case_id).values(linked_case_id=linked_case_id)
    )


# Taken by a transaction that adds words to the name dictionary, until it commits (pg_advisory_xact_lock).
NAME_DICTIONARY_LOCK = 0x756B756B_6E616D65  # "ukukname"
# Held shared by every transaction that relies on words of the dictionary (an intake, from the statement
# reading which words are known to its commit), and exclusively by retention pruning unused words: a word an
# intake found known cannot be pruned before the person using it is committed.
NAME_PRUNE_LOCK = 0x756B756B_7072756E  # "ukukprun"
_KNOWN_WORDS = text(
    "SELECT t.token FROM pg_advisory_xact_lock_shared(:prune) AS held, name_token t "
    "WHERE t.token = ANY(CAST(:words AS text[]))"
)
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
    known = set((await session.execute(_KNOWN_WORDS, {"words": words, "prune": NAME_PRUNE_LOCK})).scalars())
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


_CHILDREN_ONLY = f"SELECT {', '.join(rows.CHILDREN_SQL)} FROM case_file WHERE case_file.id = $1"  # noqa: S608


async def children(session: AsyncSession, case_id: uuid.UUID) -> rows.Children:
    """The case's persons (subject first), violations and consents: one round trip."""
    found = await driver.fetchrow(session, _CHILDREN_ONLY, case_id)
    if found is None:
        return rows.Children([], [], [])
    persons, violations, consents = found
    return rows.children_of(persons, violations, consents)


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# What a list page shows: no sealed column is read (a page of full rows decrypted nothing it showed).
SUMMARY_COLUMNS = (
    "c.id",
    "c.reference",
    "c.kind",
    "c.status",
    "c.owner_organization_id",
    "c.assignee_id",
    "c.occurred_country",
    "c.due_at",
    "c.created_at",
    # The subject (position 0), what an officer scans a caseload for: a name and an age, not a GET per row.
    "s.full_name AS subject_name",
    "s.birth_date AS subject_birth_date",
)
_LIST_HEAD = (
    f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM case_file c "  # noqa: S608 (names from this module)
    "LEFT JOIN case_person s ON s.case_id = c.id AND s.position = 0 WHERE "
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
    """A page of case summaries (records of `SUMMARY_COLUMNS`), newest first. Built as SQL and run on the
    driver: the list is the most read page, and SQLAlchemy's cache key and compile-cache lookup for a select
    whose WHERE varies cost more than the index range scan (a profile under wrk)."""
    arg = driver.Arguments()
    if policies.reads_all_cases(principal):
        where = ["true"]
    elif policies.reads_own_organization(principal):
        where = [f"c.owner_organization_id = {arg(principal.organization_id)}"]
    else:
        return []  # readable_condition is false
    for column in ("kind", "status", "assignee_id", "occurred_country"):
        if filters.get(column) is not None:
            where.append(f"c.{column} = {arg(filters[column])}")
    if filters.get("unassigned") is True:
        where.append("c.assignee_id IS NULL")
    elif filters.get("unassigned") is False:
        where.append("c.assignee_id IS NOT NULL")
    if filters.get("created_from") is not None:
        where.append(f"c.created_at >= {arg(filters['created_from'])}")
    if filters.get("created_to") is not None:
        where.append(f"c.created_at < {arg(filters['created_to'])}")
    if filters.get("overdue") is True:
        where.append(f"c.due_at < {arg(now)}")
    elif filters.get("overdue") is False:
        where.append(f"(c.due_at IS NULL OR c.due_at >= {arg(now)})")
    if filters.get("document_number"):
        index = arg(fields.blind_index(filters["document_number"]))
        where.append(
            "EXISTS (SELECT 1 FROM case_person p WHERE p.case_id = c.id "  # noqa: S608 (only $n placeholders)
            f"AND p.document_number_index = {index})"
        )
    if filters.get("q"):
        q = _like(filters["q"].lower())
        # As written, or in any script and spelling: every folded word of q inside the person's skeleton.
        written = f"lower(p.full_name) LIKE {arg(f'%{q}%')}"
        folded = [f"p.name_key LIKE {arg(f'%{_like(t)}%')}" for t in names.tokens(filters["q"])]
        by_name = f"({written} OR ({' AND '.join(folded)}))" if folded else written
        person = f"EXISTS (SELECT 1 FROM case_person p WHERE p.case_id = c.id AND {by_name})"  # noqa: S608
        where.append(f"(lower(c.reference) LIKE {arg(f'{q}%')} OR {person})")
    if before is not None:
        where.append(f"c.id < {arg(before)}")
    sql = f"{_LIST_HEAD}{' AND '.join(where)} ORDER BY c.id DESC LIMIT {arg(limit)}"
    return await driver.fetch(session, sql, *arg)


async def notes_of(
    session: AsyncSession, case_id: uuid.UUID, *, after: uuid.UUID | None = None, limit: int | None = None
) -> list[Note]:
    """The case's notes, oldest first; a page of them after the note `after` when a limit is given."""
    query = select(Note).where(Note.case_id == case_id)
    if after is not None:
        query = query.where(Note.id > after)
    return list((await session.scalars(query.order_by(Note.id).limit(limit))).all())


# Per purpose, the latest entry of the case's consent history (ix_case_consent_case_id_purpose_id).
_LATEST_CONSENT = text(
    "SELECT DISTINCT ON (purpose) purpose, action FROM case_consent WHERE case_id = :case_id "
    "ORDER BY purpose, id DESC"
)


async def consent_by_purpose(session: AsyncSession, case_id: uuid.UUID) -> dict[str, str]:
    """purpose -> 'given' or 'withdrawn', as the case's consent history stands."""
    return {
        purpose: action for purpose, action in await session.execute(_LATEST_CONSENT, {"case_id": case_id})
    }


async def consented_purposes(session: AsyncSession, case_id: uuid.UUID) -> set[str]:
    """What the case's consent in force covers (referral, partner_data_sharing, ...)."""
    return {
        purpose
        for purpose, action in (await consent_by_purpose(session, case_id)).items()
        if action == "given"
    }


async def timeline_rows(
    session: AsyncSession, case_id: uuid.UUID
) -> tuple[list[Transition], list[Note], list[Assignment]]:
    """In the order they were written (the timeline keeps it among entries of one instant)."""
    transitions = (
        await session.scalars(select(Transition).where(Transition.case_id == case_id).order_by(Transition.id))
    ).all()
    notes = (await session.scalars(select(Note).where(Note.case_id == case_id).order_by(Note.id))).all()
    assignments = (
        await session.scalars(select(Assignment).where(Assignment.case_id == case_id).order_by(Assignment.id))
    ).all()
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


async def references_of(
    session: AsyncSession, case_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, uuid.UUID]]:
    """Case id -> (reference, owner), unscoped: for cases the caller reaches through its referrals only."""
    if not case_ids:
        return {}
    rows = await driver.fetch(
        session,
        "SELECT id, reference, owner_organization_id FROM case_file WHERE id = ANY($1::uuid[])",
        list(case_ids),
    )
    return {row["id"]: (row["reference"], row["owner_organization_id"]) for row in rows}


async def update_child(
    session: AsyncSession, model: type[Any], case_id: uuid.UUID, row_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """Rewrite one person or violation of the case (column names as keys, sealed columns as bytes)."""
    table = _table(model)
    await (await session.connection()).execute(
        update(table).where(table.c.id == row_id, table.c.case_id == case_id).values(values)
    )


async def delete_child(
    session: AsyncSession, model: type[Any], case_id: uuid.UUID, row_id: uuid.UUID
) -> None:
    table = _table(model)
    await (await session.connection()).execute(
        delete(table).where(table.c.id == row_id, table.c.case_id == case_id)
    )
