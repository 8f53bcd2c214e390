"""What a withdrawal of consent does to a case's open referrals (`cases.consents` calls it through the
listener `create_app` registers): each recipient is told at once, by webhook, and audited."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.referrals import policies, repository
from src.referrals.models import OPEN_STATUSES
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
