"""Legal instruments: read by every signed-in caller, added by coordinators."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src import i18n
from src.audit import service as audit
from src.auth.principal import Principal
from src.db import flush_or_conflict
from src.errors import NotFound
from src.redress.models import LegalInstrument
from src.redress.schemas import LegalInstrumentCreate, LegalInstrumentRead


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


async def get_instrument(session: AsyncSession, instrument_id: uuid.UUID) -> LegalInstrument:
    instrument = await session.get(LegalInstrument, instrument_id)
    if instrument is None:
        raise NotFound("No such legal instrument.")
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
