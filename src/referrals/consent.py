"""What a case's changes do to its open referrals, through the listeners `create_app` registers: a withdrawal
of consent tells each recipient at once (webhook, audited); a transfer makes the new owner their sender."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.referrals import policies, repository
from src.referrals.models import OPEN_STATUSES, Referral
from src.referrals.service import notify


async def consent_withdrawn(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, purposes: set[str]
) -> None:
    """Consent to refer or share data withdrawn: every open referral of the case shrinks for its recipient
    to its metadata (`service._read`); here each recipient gets `referral.consent_withdrawn`."""
    if not purposes & policies.REQUIRED_CONSENT:
        return
    for referral in await repository.of_case(session, case_id):
        if referral.status not in OPEN_STATUSES or referral.submitted_view is not None:
            continue  # closed, or inbound (its recipient owns the case)
        await notify(session, referral, "consent_withdrawn", referral.to_organization_id)
        await audit.record(
            session,
            principal.actor,
            "referral.consent_withdrawn",
            resource_type="referral",
            resource_id=referral.id,
            detail={"case_id": str(case_id), "purposes": sorted(purposes & policies.REQUIRED_CONSENT)},
        )


async def case_transferred(
    session: AsyncSession, case_id: uuid.UUID, old_owner: uuid.UUID, new_owner: uuid.UUID
) -> None:
    """A case changed owner: its open referrals keep their recipients; the new owner becomes their sender."""
    await session.execute(
        update(Referral)
        .where(
            Referral.case_id == case_id,
            Referral.from_organization_id == old_owner,
            Referral.status.in_(OPEN_STATUSES),
        )
        .values(from_organization_id=new_owner)
    )
