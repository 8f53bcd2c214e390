"""Where a report reads its aggregates: the request's session on the primary, or a read-only transaction on
the reports replica (UKUK_REPORTS_DATABASE_URL) together with how far behind the primary that replica is.

Either way the report's audit event goes to the primary through the request's session: a replica takes no
writes. The report logic is the same on both paths; only the session its queries run on differs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from src.platform.errors import ServiceUnavailable, is_database_unavailable
from src.reports import repository
from src.reports.schemas import ReadFrom

log = structlog.get_logger("ukuk.reports")


@dataclass(frozen=True)
class Reading:
    """The session a report's aggregates run on, and what the report says about it."""

    session: AsyncSession
    read_from: ReadFrom
    replica_lag_seconds: float | None


def _replica_refused(exc: BaseException) -> bool:
    """The replica cannot serve now: unreachable, out of connections, shutting down, or a query cancelled by
    a conflict with the WAL it replays (SQLSTATE class 40 on a standby). A statement timeout (57014) is the
    report's own and keeps its own answer."""
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "")
    if sqlstate == "57014":
        return False
    if isinstance(exc, DBAPIError) and sqlstate[:2] == "40":
        return True
    return is_database_unavailable(exc)


@dataclass(frozen=True)
class Source:
    """The reports replica's sessions, or None: aggregates on the primary, in the request's transaction."""

    replica: async_sessionmaker[AsyncSession] | None = None

    @asynccontextmanager
    async def reading(self, session: AsyncSession) -> AsyncIterator[Reading]:
        if self.replica is None:
            yield Reading(session, "primary", None)
            return
        try:
            async with self.replica() as replica:
                await repository.begin_read_only(replica)
                lag = await repository.replica_lag_seconds(replica)
                yield Reading(replica, "replica", lag)
                await replica.rollback()  # nothing to keep: it only read
        except (DBAPIError, OSError, PoolTimeout) as exc:
            if not _replica_refused(exc):
                raise
            log.warning("reports_replica_unavailable", error_class=type(exc).__name__)
            raise ServiceUnavailable(
                "The reports replica (UKUK_REPORTS_DATABASE_URL) is unavailable; retry later.",
                headers={"Retry-After": "1"},
            ) from exc
