"""Pending referrals past their due date expire: the rule, and the job that runs it in serve and worker."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit import service as audit
from src.platform import clock
from src.platform.session import create_sessionmaker
from src.referrals import service
from src.referrals.models import Referral, ReferralUpdate

log = structlog.get_logger("ukuk.referrals.expiry")


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


class ReferralExpirer:
    def __init__(self, engine: AsyncEngine, *, interval_seconds: float = 60.0):
        self.sessions = create_sessionmaker(engine)
        self.interval_seconds = interval_seconds
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                async with self.sessions() as session, session.begin():
                    expired = await expire_overdue(session)
                if expired:
                    log.info("referrals_expired", count=expired)
            except Exception as exc:  # the database went away: try again next round
                log.warning("referral_expiry_error", error_class=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_seconds)
