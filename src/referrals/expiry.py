"""Background expiry of pending referrals past their due date (in `ukuk serve` and `ukuk worker`)."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from src.platform.session import create_sessionmaker
from src.referrals.service import expire_overdue

log = structlog.get_logger("ukuk.referrals.expiry")


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
