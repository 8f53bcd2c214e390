"""Legal instruments (read by every signed-in caller, added by coordinators) and redress actions on cases."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import guards
from src.cases.read_schemas import TimelineEntry
from src.platform import clock, i18n
from src.platform.errors import Conflict, PreconditionFailed, Unprocessable
from src.platform.session import flush_or_conflict
from src.redress import policies, repository
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

if TYPE_CHECKING:
    from src.cases.models import Case


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
    return await repository.list_instruments(session, kind=kind, party=party, after=after, limit=limit)


async def get_instrument(
    session: AsyncSession, principal: Principal, instrument_id: uuid.UUID
) -> LegalInstrument:
    instrument = await repository.get_instrument(session, instrument_id)
    if instrument is None:
        raise audit.not_found(principal.actor, "legal_instrument.read", "legal_instrument", instrument_id)
    return instrument


async def create_instrument(
    session: AsyncSession, principal: Principal, body: LegalInstrumentCreate
) -> LegalInstrument:
    if not policies.may_add_instruments(principal):
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
    case = await guards.readable_case(session, principal, case_id, action)
    if not policies.may_write_redress(principal, case.owner_organization_id, case.assignee_id):
        raise audit.denied(principal.actor, action, "case", case.id, "You may not change this case.")
    return case


async def _check_instrument(session: AsyncSession, instrument_id: uuid.UUID | None) -> None:
    if instrument_id is not None and await repository.get_instrument(session, instrument_id) is None:
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
    case = await guards.readable_case(session, principal, case_id, "redress.list")
    rows = await repository.list_actions(session, case.id)
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
    action = await repository.get_action(session, case.id, redress_id)
    if action is None:
        raise audit.not_found(principal.actor, "redress.update", "redress_action", redress_id)
    expected = guards.expected_version(if_match)
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
    if not await repository.update_action(
        session, action, expected_version=expected, values=values, now=clock.utcnow()
    ):
        raise PreconditionFailed("The redress action changed since you read it; read it again.")
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


async def timeline_entries(session: AsyncSession, case_id: uuid.UUID) -> list[TimelineEntry]:
    """The case's redress actions, for its timeline (create_app adds this source to the cases service)."""
    rows = await repository.timeline_rows(session, case_id)
    return [
        TimelineEntry(at=r.created_at, type="redress", actor_id=r.created_by, event=r.status) for r in rows
    ]


async def of_case(session: AsyncSession, case_id: uuid.UUID) -> list[RedressRead]:
    """The case's redress actions, for its export (the caller is checked there)."""
    return [redress_read(action) for action in await repository.list_actions(session, case_id)]
