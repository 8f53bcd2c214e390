"""Fixed-window request budgets kept in PostgreSQL, so every API process shares them: a name search is the
cheapest way to enumerate who is in the system, so searches are budgeted per caller (DESIGN.md Security)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from src.audit import service as audit
from src.auth.principal import Principal
from src.platform import clock, driver
from src.platform.errors import TooManyRequests
from src.platform.session import Base


class RateCounter(Base):
    __tablename__ = "rate_counter"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


def _window(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


# On the driver (src/platform/driver.py), written once: building the upsert with SQLAlchemy on every search
# cost more API CPU than running it (a profile of the duplicate search).
_SPEND = (
    "INSERT INTO rate_counter (key, window_start, count) VALUES ($1, $2, 1) "
    "ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counter.count + 1 RETURNING count"
)


async def spend(
    session: AsyncSession,
    principal: Principal,
    budget: str,
    *,
    per_window: int,
    window_seconds: int = 60,
) -> None:
    """Count one request against the caller's budget; 429 with Retry-After (audited `throttled`) past it.
    The count is part of the request's transaction: a request that fails does not spend."""
    now = clock.utcnow()
    start = _window(now, window_seconds)
    row = await driver.fetchrow(session, _SPEND, f"{budget}:{principal.id}", start)
    spent = row["count"] if row is not None else None
    if spent is not None and spent > per_window:
        retry_after = max(1, math.ceil((start + timedelta(seconds=window_seconds) - now).total_seconds()))
        raise TooManyRequests(
            f"Too many searches; at most {per_window} a minute.",
            headers={"Retry-After": str(retry_after)},
            after_rollback=[audit.record_after_rollback(principal.actor, budget, outcome="throttled")],
        )


async def prune(session: AsyncSession, now: datetime, keep: timedelta = timedelta(hours=1)) -> int:
    removed = await session.execute(delete(RateCounter).where(RateCounter.window_start < now - keep))
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]
