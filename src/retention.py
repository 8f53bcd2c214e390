"""Retention: closed cases past their kind's period are anonymised in place.

Names, documents, contacts, places, narratives and attachments' content go; kind, status, dates, countries,
violation types, referrals' and redress actions' codes and amounts, and attachments' tombstones stay, so
reports count the same before and after. Each
anonymised case leaves a `case.anonymise` event in the audit chain (its tombstone). A case under legal hold
is kept, and so is a child's case until every child in it is 18 (a child with no birth date keeps it until
someone records one). Replay records of idempotent POSTs, which repeat case data, go after a day.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, text, true, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from src.attachments import repository as attachments_repository
from src.attachments.models import Attachment
from src.audit import service as audit
from src.cases import repository as cases_repository
from src.cases.models import Case, Note, Person, Transition, Violation
from src.crypto import fields
from src.platform import ratelimit
from src.platform.config import Settings
from src.platform.idempotency import IdempotencyRecord
from src.referrals.models import Referral, ReferralUpdate

REMOVED = "[removed under retention]"
ADULT_YEARS = 18


@dataclass
class RetentionRun:
    anonymised: list[uuid.UUID] = field(default_factory=list)
    held: Counter[str] = field(default_factory=Counter)  # legal_hold | child_under_18 | child_age_unknown
    idempotency_records_removed: int = 0
    name_tokens_removed: int = 0
    rate_counters_removed: int = 0


def _eighteenth_birthday(born: date) -> date:
    try:
        return born.replace(year=born.year + ADULT_YEARS)
    except ValueError:  # 29 February
        return date(born.year + ADULT_YEARS, 3, 1)


def _child_hold(kind: str, persons: list[tuple[int, str, date | None]], today: date) -> str | None:
    for position, role, born in persons:
        is_child_role = role == "child" or (kind == "child_return" and position == 0)
        if born is None:
            if is_child_role:
                return "child_age_unknown"
        elif _eighteenth_birthday(born) > today:
            return "child_under_18"
    return None


async def due_cases(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Case]:
    """Closed, not yet anonymised, closed longer ago than their kind's period; oldest first, after `after`."""
    conditions = [
        (Case.kind == kind) & (Case.status_entered_at < now - timedelta(days=settings.retention_days(kind)))
        for kind in ("abuse", "child_return", "trafficking")
    ]
    query = (
        select(Case)
        .where(Case.status == "closed", Case.anonymised_at.is_(None))
        .where(conditions[0] | conditions[1] | conditions[2])
        .where(tuple_(Case.status_entered_at, Case.id) > tuple_(*after) if after else true())
        .order_by(Case.status_entered_at, Case.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def anonymise(session: AsyncSession, case: Case, now: datetime, retention_days: int) -> None:
    case_id = case.id
    await session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(
            summary_sealed=fields.seal_value("case_file", "summary", case_id, REMOVED),
            details_sealed=fields.seal_value("case_file", "details", case_id, {}, codec="json"),
            occurred_city=None,
            legal_hold_reason=None,
            anonymised_at=now,
            updated_at=now,
            version=Case.version + 1,
        )
    )
    await session.execute(
        update(Person)
        .where(Person.case_id == case_id)
        .values(
            full_name=REMOVED,
            family_name=None,
            given_name=None,
            patronymic=None,
            organization_name=None,
            name_key="",
            birth_date=None,
            document_number_sealed=None,
            document_number_index=None,
            phone_sealed=None,
        )
    )
    await session.execute(
        update(Violation)
        .where(Violation.case_id == case_id)
        .values(location_sealed=None, description_sealed=None)
    )
    await session.execute(delete(Note).where(Note.case_id == case_id))
    await session.execute(update(Transition).where(Transition.case_id == case_id).values(reason_sealed=None))
    referral_ids = (await session.scalars(select(Referral.id).where(Referral.case_id == case_id))).all()
    for referral_id in referral_ids:
        await session.execute(
            update(Referral)
            .where(Referral.id == referral_id)
            .values(
                reason_sealed=fields.seal_value("referral", "reason", referral_id, REMOVED),
                status_note_sealed=None,
                submitted_view_sealed=None,
            )
        )
    if referral_ids:
        await session.execute(
            update(ReferralUpdate)
            .where(ReferralUpdate.referral_id.in_(referral_ids))
            .values(body_sealed=None)
        )
    # Attachments: the content and descriptions go; each keeps its tombstone (category, type, size, hashes).
    await session.execute(
        update(Attachment)
        .where(Attachment.case_id == case_id)
        .values(description_sealed=None, deletion_reason_sealed=None)
    )
    with_content = await session.scalars(
        update(Attachment)
        .where(Attachment.case_id == case_id, Attachment.content_removed_at.is_(None))
        .values(content_removed_at=now)
        .returning(Attachment.id)
    )
    await attachments_repository.remove_chunks(session, list(with_content.all()))
    await audit.record(
        session,
        audit.SYSTEM,
        "case.anonymise",
        resource_type="case",
        resource_id=case_id,
        changed_fields=(
            "persons",
            "summary",
            "details",
            "violations",
            "notes",
            "transitions",
            "referrals",
            "attachments",
        ),
        detail={
            "reason": "retention",
            "kind": case.kind,
            "closed_at": case.status_entered_at.isoformat(),
            "retention_days": retention_days,
        },
    )


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    *,
    batch_size: int = 200,
    dry_run: bool = False,
) -> RetentionRun:
    """Every due case, a batch per transaction (rows locked SKIP LOCKED, so two runs do not collide)."""
    result = RetentionRun()
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        async with sessionmaker() as session, session.begin():
            batch = await due_cases(session, settings, now, batch_size, after)
            for case in batch:
                hold = "legal_hold" if case.legal_hold else await _child_hold_of(session, case, now.date())
                if hold:
                    result.held[hold] += 1
                    continue
                if not dry_run:
                    await anonymise(session, case, now, settings.retention_days(case.kind))
                result.anonymised.append(case.id)
        if len(batch) < batch_size:
            break
        after = (batch[-1].status_entered_at, batch[-1].id)
    if not dry_run:
        async with sessionmaker() as session, session.begin():
            # Words no remaining name uses would still say that someone of that name was once in a case.
            # Intakes in flight hold the prune lock shared: wait for them, and hold new ones off until done.
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": cases_repository.NAME_PRUNE_LOCK}
            )
            pruned = await session.execute(
                text(
                    "DELETE FROM name_token t WHERE NOT EXISTS (SELECT 1 FROM case_person p "
                    "WHERE name_terms(p.name_key) @> ARRAY[t.token::text])"
                )
            )
            result.name_tokens_removed = pruned.rowcount  # type: ignore[attr-defined]
            removed = await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.created_at < now - timedelta(hours=settings.idempotency_keep_hours)
                )
            )
            result.idempotency_records_removed = removed.rowcount  # type: ignore[attr-defined]
            result.rate_counters_removed = await ratelimit.prune(session, now)
    return result


async def _child_hold_of(session: AsyncSession, case: Case, today: date) -> str | None:
    persons = (
        await session.execute(
            select(Person.position, Person.role, Person.birth_date).where(Person.case_id == case.id)
        )
    ).all()
    return _child_hold(case.kind, [(p.position, p.role, p.birth_date) for p in persons], today)
