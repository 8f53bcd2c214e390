"""A background job that does one round in a transaction of its own every interval, inside `ukuk serve` or
`ukuk worker`, until stopped; a round that fails (the database went away) is tried again next time."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.platform.session import create_sessionmaker


class Periodic:
    """Subclasses say what a round does (`round`, answering how many things it did) and what to log."""

    event = "job_round"

    def __init__(self, engine: AsyncEngine, interval_seconds: float):
        self.sessions = create_sessionmaker(engine)
        self.interval_seconds = interval_seconds
        self.log = structlog.get_logger(f"ukuk.{type(self).__name__}")
        self._stop = asyncio.Event()

    async def round(self, session: AsyncSession) -> int:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                async with self.sessions() as session, session.begin():
                    done = await self.round(session)
                if done:
                    self.log.info(self.event, count=done)
            except Exception as exc:  # the database went away: try again next round
                self.log.warning(f"{self.event}_error", error_class=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_seconds)
