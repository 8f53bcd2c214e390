"""A case's referrals for its subject-access export: each with what its other side was shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.principal import Principal
from src.platform import clock
from src.referrals import repository
from src.referrals.schemas import ReferralExport, ReferralUpdateRead, SharedCase
from src.referrals.service import referral_read
from src.referrals.views import shared_case

if TYPE_CHECKING:
    from src.cases.models import Case
    from src.cases.rows import PersonRow, ViolationRow


async def of_case(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    persons: Sequence[PersonRow],
    violations: Sequence[ViolationRow],
) -> list[ReferralExport]:
    """Outgoing referrals show what their `share` groups disclose of the case as it stands (what the recipient
    sees while the referral is open); inbound ones the sealed snapshot the partner submitted and keeps
    seeing. Each with its messages."""
    updates: dict[object, list[ReferralUpdateRead]] = {}
    for update in await repository.updates_of_case(session, case.id):
        updates.setdefault(update.referral_id, []).append(ReferralUpdateRead.model_validate(update))
    today = clock.utcnow().date()
    found = []
    for referral in await repository.of_case(session, case.id):
        if referral.submitted_view is not None:
            shown = SharedCase.model_validate(referral.submitted_view)
        else:
            shown = shared_case(case, persons, violations, frozenset(referral.share), today)
        found.append(
            ReferralExport(
                **referral_read(referral, principal, shown).model_dump(),
                inbound=referral.submitted_view is not None,
                updates=updates.get(referral.id, []),
            )
        )
    return found
