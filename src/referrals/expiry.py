"""Pending referrals past their due date expire: the rule, and the job that runs it in serve and worker."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit import service as audit
from src.platform import clock
from src.platform.jobs import Periodic
from src.referrals import service
from src.referrals.models import Referral, ReferralUpdate


async def expire_overdue(session: AsyncSession) -> int:
    """Pending referrals past their due date become expired (run by the worker); answers how many."""
    now = clock.utcnow()
    expired = (
        await session.execute(
            update(Referral)
            .where(Referral.status == "pending", Referral.due_on < now.date())
            .values(status="expired", updated_at=now)
            .returning(Referral.id, Referral.from_organization_id)
        )
    ).all()
    for referral_id, sender in expired:
        session.add(
            ReferralUpdate(
                created_at=now,
                referral_id=referral_id,
                author_id=audit.SYSTEM_ID,
                author_organization_id=sender,
                kind="expired",
            )
        )
        await audit.record(
            session,
            audit.SYSTEM,
            "referral.expire",
            resource_type="referral",
            resource_id=referral_id,
            changed_fields=("status",),
            detail={"to": "expired"},
        )
        referral = await session.get(Referral, referral_id, populate_existing=True)
        assert referral is not None
        await service.notify(
            session, referral, "expired", referral.from_organization_id, referral.to_organization_id
        )
    return len(expired)


class ReferralExpirer(Periodic):
    event = "referrals_expired"

    def __init__(self, engine: AsyncEngine, *, interval_seconds: float = 60.0):
        super().__init__(engine, interval_seconds)

    async def round(self, session: AsyncSession) -> int:
        return await expire_overdue(session)
