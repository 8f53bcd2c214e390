"""Consent as a history: given or withdrawn per purpose, by whom, when and how. The consent in force is each
purpose's latest entry; a withdrawal of consent to refer or share data takes effect at once (no new referral,
and the listeners `create_app` registers shrink open referrals and tell their recipients)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import changes, guards, rows, views
from src.cases.models import Case, Consent
from src.cases.read_schemas import ConsentEntryRead, ConsentHistory
from src.cases.schemas import CHILD_CONSENT, ConsentRecordIn, is_minor
from src.platform import clock
from src.platform.errors import Unprocessable
from src.platform.ids import uuid7

WithdrawalListener = Callable[[AsyncSession, Principal, uuid.UUID, set[str]], Awaitable[None]]
_withdrawal_listeners: list[WithdrawalListener] = []


def on_withdrawal(listener: WithdrawalListener) -> None:
    """Called with the purposes withdrawn, in the withdrawing request's transaction (referrals registers)."""
    if listener not in _withdrawal_listeners:
        _withdrawal_listeners.append(listener)


def _entry(consent: Consent) -> ConsentEntryRead:
    return ConsentEntryRead(
        id=consent.id,
        action=consent.action,
        purpose=consent.purpose,
        given_by=consent.given_by,
        on=consent.given_on,
        method=consent.method,
        note=consent.note,
        recorded_by=consent.recorded_by,
        recorded_at=consent.created_at,
    )


async def _history(session: AsyncSession, case: Case) -> ConsentHistory:
    query = select(Consent).where(Consent.case_id == case.id).order_by(Consent.id)
    entries = list((await session.scalars(query)).all())
    history = [rows.ConsentRow(c.purpose, c.given_by, c.given_on, c.action) for c in entries]
    in_force = views.consent_read(history)
    return ConsentHistory(in_force=in_force, entries=[_entry(c) for c in entries])


async def record(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: ConsentRecordIn
) -> tuple[ConsentHistory, str]:
    """The case's writers record it; the case's version moves (its read model shows the consent in force)."""
    case, children = await guards.writable_whole(session, principal, case_id, "case.consent.record")
    subject_birth = children.persons[0].birth_date if children.persons else None
    child = case.kind == "child_return" or is_minor(subject_birth, clock.utcnow().date())
    if child and body.action == "given" and body.given_by not in CHILD_CONSENT:
        raise Unprocessable.at(
            ["body", "given_by"],
            "a child's consent is given by a parent or guardian, or a best-interests authority",
        )
    now = clock.utcnow()
    for purpose in body.purposes:
        consent = Consent(
            id=uuid7(),
            case_id=case.id,
            purpose=purpose,
            action=body.action,
            given_by=body.given_by,
            given_on=body.on,
            method=body.method,
            recorded_by=principal.id,
            created_at=now,
        )
        consent.note = body.note
        session.add(consent)
    await session.flush()
    await changes.bump(session, case, case.version, {})
    await audit.record(
        session,
        principal.actor,
        "case.consent.record",
        resource_type="case",
        resource_id=case.id,
        changed_fields=body.model_fields_set,
        detail={"action": body.action, "purposes": sorted(body.purposes)},
    )
    if body.action == "withdrawn":
        for listener in _withdrawal_listeners:
            await listener(session, principal, case.id, set(body.purposes))
    return await _history(session, case), views.etag(case)


async def history(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> ConsentHistory:
    case = await guards.readable_case(session, principal, case_id, "case.consent.list")
    await audit.record(
        session, principal.actor, "case.consent.list", resource_type="case", resource_id=case.id
    )
    return await _history(session, case)
