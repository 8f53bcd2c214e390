"""The referral lists: a page of the caller's referrals, and the case references its items may show."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import repository as cases
from src.referrals import repository
from src.referrals.models import OPEN_STATUSES


async def list_referrals(
    session: AsyncSession,
    principal: Principal,
    *,
    direction: str | None,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> list[repository.ReferralRow]:
    rows = await repository.list_referrals(
        session, principal, direction=direction, status=status, before=before, limit=limit
    )
    await audit.record(
        session,
        principal.actor,
        "referral.list",
        resource_type="referral",
        detail={"count": min(len(rows), limit - 1), "referral_ids": [str(r.id) for r in rows[: limit - 1]]},
    )
    return rows


async def references(
    session: AsyncSession, principal: Principal, referrals: list[repository.ReferralRow]
) -> dict[uuid.UUID, str]:
    """Referral id -> its case's reference where a list item may show it: where the referral's case view would
    (the sender that owns the case; the recipient while the referral is open)."""
    own = principal.organization_id
    cases_of = {r.id: r.case_id for r in referrals if own in (r.from_organization_id, r.to_organization_id)}
    found = await cases.references_of(session, set(cases_of.values()))
    shown = {}
    for referral in referrals:
        if referral.id not in cases_of or referral.case_id not in found:
            continue
        reference, owner = found[referral.case_id]
        sender = referral.from_organization_id == own
        if (sender and owner == own) or (not sender and referral.status in OPEN_STATUSES):
            shown[referral.id] = reference
    return shown
