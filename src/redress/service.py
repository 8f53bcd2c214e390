"""Legal instruments (read by every signed-in caller, added by coordinators) and redress actions on cases."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import policies as case_policies
from src.cases import repository as cases
from src.cases import service as cases_service
from src.cases.models import Case
from src.cases.schemas import TimelineEntry
from src.platform import clock, i18n
from src.platform.errors import Conflict, PreconditionFailed, Unprocessable
from src.platform.session import flush_or_conflict
from src.redress.models import LegalInstrument, RedressAction
from src.redress.schemas import (
    REDRESS_MOVES,
    LegalInstrumentCreate,
    LegalInstrumentRead,
    MoneyRead,
    RedressCreate,
    RedressPatch,
    RedressRead,
)


def to_read(instrument: LegalInstrument, language: str) -> LegalInstrumentRead:
    return LegalInstrumentRead(
        id=instrument.id,
        code=instrument.code,
        kind=instrument.kind,
        title=i18n.label(instrument.title, language),
        titles=dict(instrument.title),
        parties=list(instrument.parties),
        signed_on=instrument.signed_on,
        signed_on_precision=instrument.signed_on_precision,
        signed_at_place=instrument.signed_at_place,
        in_force_on=instrument.in_force_on,
        unverified=instrument.unverified,
        notes=instrument.notes,
    )


async def list_instruments(
    session: AsyncSession, *, kind: str | None, party: str | None, after: str | None, limit: int
) -> list[LegalInstrument]:
    query = select(LegalInstrument).order_by(LegalInstrument.code).limit(limit)
    if kind is not None:
        query = query.where(LegalInstrument.kind == kind)
    if party is not None:
        query = query.where(LegalInstrument.parties.contains([party]))
    if after is not None:
        query = query.where(LegalInstrument.code > after)
    return list((await session.scalars(query)).all())


async def get_instrument(
    session: AsyncSession, principal: Principal, instrument_id: uuid.UUID
) -> LegalInstrument:
    instrument = await session.get(LegalInstrument, instrument_id)
    if instrument is None:
        raise audit.not_found(principal.actor, "legal_instrument.read", "legal_instrument", instrument_id)
    return instrument


async def create_instrument(
    session: AsyncSession, principal: Principal, body: LegalInstrumentCreate
) -> LegalInstrument:
    if principal.role != "coordinator":
        raise audit.denied(
            principal.actor,
            "legal_instrument.create",
            "legal_instrument",
            detail="Coordinators add legal instruments.",
        )
    instrument = LegalInstrument(
        code=body.code,
        kind=body.kind,
        title=body.title.model_dump(exclude_none=True),
        parties=body.parties,
        signed_on=body.signed_on,
        signed_on_precision=body.signed_on_precision,
        signed_at_place=body.signed_at_place,
        in_force_on=body.in_force_on,
        unverified=body.unverified,
        notes=body.notes,
        source="user",
    )
    session.add(instrument)
    await flush_or_conflict(session, "An instrument with this code exists.")
    await audit.record(
        session,
        principal.actor,
        "legal_instrument.create",
        resource_type="legal_instrument",
        resource_id=instrument.id,
        changed_fields=body.model_fields_set,
    )
    return instrument


# ---- redress actions -----------------------------------------------------------------------------------


def _money(amount: Decimal | None, currency: str | None) -> MoneyRead | None:
    return MoneyRead(amount=amount, currency=currency) if amount is not None and currency else None


def redress_read(action: RedressAction) -> RedressRead:
    return RedressRead(
        id=action.id,
        case_id=action.case_id,
        instrument_id=action.instrument_id,
        article=action.article,
        forum=action.forum,
        claim=_money(action.claim_amount, action.claim_currency),
        status=action.status,
        recovered=_money(action.recovered_amount, action.recovered_currency),
        filed_on=action.filed_on,
        decided_on=action.decided_on,
        version=action.version,
        created_at=action.created_at,
        updated_at=action.updated_at,
    )


async def _case_for_write(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, action: str
) -> Case:
    case = await cases.get_readable(session, principal, case_id)
    if case is None:
        raise audit.not_found(principal.actor, action, "case", case_id)
    if not case_policies.may_write(principal, case.owner_organization_id, case.assignee_id):
        raise audit.denied(principal.actor, action, "case", case.id, "You may not change this case.")
    return case


async def _check_instrument(session: AsyncSession, instrument_id: uuid.UUID | None) -> None:
    if instrument_id is not None and await session.get(LegalInstrument, instrument_id) is None:
        raise Unprocessable.at(["body", "instrument_id"], "unknown instrument", "No such legal instrument.")


async def create_redress(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: RedressCreate
) -> RedressRead:
    case = await _case_for_write(session, principal, case_id, "redress.create")
    await _check_instrument(session, body.instrument_id)
    now = clock.utcnow()
    action = RedressAction(
        case_id=case.id,
        instrument_id=body.instrument_id,
        article=body.article,
        forum=body.forum,
        status=body.status,
        claim_amount=body.claim.amount if body.claim else None,
        claim_currency=body.claim.currency if body.claim else None,
        recovered_amount=body.recovered.amount if body.recovered else None,
        recovered_currency=body.recovered.currency if body.recovered else None,
        filed_on=body.filed_on,
        decided_on=body.decided_on,
        created_by=principal.id,
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    await session.flush()
    await audit.record(
        session,
        principal.actor,
        "redress.create",
        resource_type="case",
        resource_id=case.id,
        changed_fields=body.model_fields_set,
        detail={"redress_id": str(action.id)},
    )
    return redress_read(action)


async def list_redress(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[RedressRead]:
    case = await cases.get_readable(session, principal, case_id)
    if case is None:
        raise audit.not_found(principal.actor, "redress.list", "case", case_id)
    rows = (
        await session.scalars(
            select(RedressAction).where(RedressAction.case_id == case.id).order_by(RedressAction.id)
        )
    ).all()
    await audit.record(session, principal.actor, "redress.list", resource_type="case", resource_id=case.id)
    return [redress_read(row) for row in rows]


async def update_redress(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    redress_id: uuid.UUID,
    if_match: str | None,
    patch: RedressPatch,
) -> RedressRead:
    case = await _case_for_write(session, principal, case_id, "redress.update")
    action = await session.scalar(
        select(RedressAction)
        .where(RedressAction.id == redress_id, RedressAction.case_id == case.id)
        .execution_options(populate_existing=True)
    )
    if action is None:
        raise audit.not_found(principal.actor, "redress.update", "redress_action", redress_id)
    expected = cases_service.expected_version(if_match)
    changed = patch.model_fields_set
    values: dict[str, Any] = {}
    for field in ("article", "forum", "filed_on", "decided_on"):
        if field in changed:
            values[field] = getattr(patch, field)
    for field in ("claim", "recovered"):
        if field in changed:
            money = getattr(patch, field)
            values[f"{field}_amount"] = money.amount if money else None
            values[f"{field}_currency"] = money.currency if money else None
    if "status" in changed and patch.status is not None and patch.status != action.status:
        allowed = REDRESS_MOVES.get(action.status, frozenset())
        if patch.status not in allowed:
            raise Conflict(
                f"A redress action that is {action.status} cannot become {patch.status}.",
                extra={"allowed": sorted(allowed)},
            )
        values["status"] = patch.status
    if not values:
        raise Unprocessable.at(["body"], "nothing to change", "Nothing to change.")
    result = await session.execute(
        update(RedressAction)
        .where(RedressAction.id == action.id, RedressAction.version == expected)
        .values(**values, version=RedressAction.version + 1, updated_at=clock.utcnow())
        .returning(RedressAction.id)
    )
    if result.first() is None:
        raise PreconditionFailed("The redress action changed since you read it; read it again.")
    await session.refresh(action)
    await audit.record(
        session,
        principal.actor,
        "redress.update",
        resource_type="case",
        resource_id=case.id,
        changed_fields=changed,
        detail={"redress_id": str(action.id)},
    )
    return redress_read(action)


async def _timeline_entries(session: AsyncSession, case_id: uuid.UUID) -> list[TimelineEntry]:
    rows = (await session.scalars(select(RedressAction).where(RedressAction.case_id == case_id))).all()
    return [
        TimelineEntry(at=r.created_at, type="redress", actor_id=r.created_by, event=r.status) for r in rows
    ]


cases_service.timeline_sources.append(_timeline_entries)
