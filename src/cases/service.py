"""Reading cases (one, or a page), their notes, and their timeline with the entries other domains add."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import amend, guards, repository, transfers, views
from src.cases.models import Note
from src.cases.read_schemas import CaseRead, NoteRead, TimelineEntry
from src.cases.schemas import NoteIn
from src.platform import clock

# Later domains (referrals, redress) add their entries to a case's timeline without cases importing them;
# create_app registers them.
TimelineSource = Callable[[AsyncSession, uuid.UUID], Awaitable[list[TimelineEntry]]]
timeline_sources: list[TimelineSource] = []


def add_timeline_source(source: TimelineSource) -> None:
    """Once per source, in the order given: every app built in one process (tests build many) adds them."""
    if source not in timeline_sources:
        timeline_sources.append(source)


async def get_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> tuple[CaseRead, str]:
    case, children = await guards.readable_whole(session, principal, case_id, "case.read", in_session=False)
    await audit.record(session, principal.actor, "case.read", resource_type="case", resource_id=case.id)
    return await views.read_model(session, case, clock.utcnow(), children), views.etag(case)


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    *,
    filters: dict[str, Any],
    before: uuid.UUID | None,
    limit: int,
) -> list[Any]:  # rows of repository.SUMMARY_COLUMNS
    now = clock.utcnow()
    cases = await repository.list_cases(
        session, principal, filters=filters, now=now, before=before, limit=limit
    )
    shown = cases[: limit - 1] if len(cases) == limit else cases
    await audit.record(
        session,
        principal.actor,
        "case.list",
        resource_type="case",
        detail={
            "count": len(shown),
            "case_ids": [str(c["id"]) for c in shown],
            "filters": sorted(k for k, v in filters.items() if v is not None),
        },
    )
    return cases


async def add_note(session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: NoteIn) -> NoteRead:
    case = await guards.writable_case(
        session, principal, case_id, "case.note.create", "You may not add notes to this case."
    )
    note = Note(case_id=case.id, author_id=principal.id, body=body.body, created_at=clock.utcnow())
    session.add(note)
    await session.flush()
    await audit.record(
        session,
        principal.actor,
        "case.note.create",
        resource_type="case",
        resource_id=case.id,
        changed_fields=("body",),
        detail={"note_id": str(note.id)},
    )
    return NoteRead.model_validate(note)


async def list_notes(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[NoteRead]:
    """`limit` notes after `after`, oldest first (the route asks for one more to know a next page exists)."""
    case = await guards.readable_case(session, principal, case_id, "case.note.list")
    notes = await repository.notes_of(session, case.id, after=after, limit=limit)
    await audit.record(session, principal.actor, "case.note.list", resource_type="case", resource_id=case.id)
    return [NoteRead.model_validate(n) for n in notes]


TimelineKey = tuple[datetime, int]  # an entry's time, and its place among the entries of that same time


def timeline_page(
    entries: list[TimelineEntry], after: TimelineKey | None, limit: int
) -> list[tuple[TimelineKey, TimelineEntry]]:
    """`limit` entries (with their keys) after the key `after`, in time order.

    The timeline is assembled from several tables and the audit log, so it is paged here rather than in SQL:
    a case's history is hundreds of entries, not millions. Entries of one instant keep the order their sources
    give (each reads in the order rows were written), so a key names the same entry on every request."""
    ordered = sorted(entries, key=lambda e: e.at)
    keyed: list[tuple[TimelineKey, TimelineEntry]] = []
    for entry in ordered:
        same = keyed[-1][0][1] + 1 if keyed and keyed[-1][0][0] == entry.at else 0
        keyed.append(((entry.at, same), entry))
    if after is not None:
        keyed = [(key, entry) for key, entry in keyed if key > after]
    return keyed[:limit]


async def timeline(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[TimelineEntry]:
    case = await guards.readable_case(session, principal, case_id, "case.timeline")
    transitions, notes, assignments = await repository.timeline_rows(session, case.id)
    entries = (
        [
            TimelineEntry(
                at=t.at,
                type="transition",
                actor_id=t.actor_id,
                from_status=t.from_status,
                to_status=t.to_status,
                reason=t.reason,
            )
            for t in transitions
        ]
        + [
            TimelineEntry(at=n.created_at, type="note", actor_id=n.author_id, note_id=n.id, body=n.body)
            for n in notes
        ]
        + [
            TimelineEntry(at=a.at, type="assignment", actor_id=a.assigned_by, assignee_id=a.assignee_id)
            for a in assignments
        ]
    )
    entries += [
        TimelineEntry(
            at=e.at,
            type="amendment",
            actor_id=e.actor_id,
            event=e.action.removeprefix("case."),
            fields=sorted(e.changed_fields),
        )
        for e in await audit.events_on(session, case.id, amend.AMENDMENTS)
    ]
    entries += [
        TimelineEntry(at=e.at, type="transfer", actor_id=e.actor_id, event=e.action.rsplit(".", 1)[1])
        for e in await audit.events_on(session, case.id, transfers.TIMELINE_ACTIONS)
    ]
    for source in timeline_sources:
        entries += await source(session, case.id)
    await audit.record(session, principal.actor, "case.timeline", resource_type="case", resource_id=case.id)
    return entries
