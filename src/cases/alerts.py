"""Alerts that reach the officer: the owning consulate gets `case.deadline_approaching` a set time before a
status deadline and `case.overdue` once it passed, each once per (case, status, deadline) whatever restarts
in between (`case_alert` remembers what was sent, in the transaction that enqueues the webhook). Thin events:
ids, reference, kind, status, due time; nothing personal."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.platform import clock
from src.platform.config import Settings
from src.platform.jobs import Periodic
from src.webhooks import service as webhooks

# Cases with a deadline in (from, to] not yet alerted for it, recorded as sent in the same statement;
# ix_case_file_due_at (partial, due_at IS NOT NULL) finds them. At most `batch` a round.
_DUE = text(
    """
    WITH due AS (
        SELECT c.id, c.status, c.due_at FROM case_file c
        WHERE c.due_at > :since AND c.due_at <= :until AND c.anonymised_at IS NULL
        ORDER BY c.due_at LIMIT :batch
    ), sent AS (
        INSERT INTO case_alert (case_id, kind, status, due_at, sent_at)
        SELECT id, :kind, status, due_at, :now FROM due
        ON CONFLICT DO NOTHING
        RETURNING case_id
    )
    SELECT c.id, c.owner_organization_id, c.reference, c.kind, c.status, c.due_at
    FROM sent JOIN case_file c ON c.id = sent.case_id
    """
)
_FAR_PAST = timedelta(days=3650)
# Overdue alerts look back from the latest deadline already alerted, less this (a deadline moved a little
# earlier is still found); the first round after deployment looks at every overdue case once.
_OVERDUE_MARGIN = timedelta(days=1)
_LATEST_OVERDUE = text("SELECT max(due_at) FROM case_alert WHERE kind = 'overdue'")


async def send_due(session: AsyncSession, settings: Settings, *, batch: int = 500) -> int:
    """One round: alerts for deadlines coming within the lead time, and for deadlines passed."""
    now = clock.utcnow()
    lead = timedelta(hours=settings.alert_deadline_lead_hours)
    sent = 0
    latest = await session.scalar(_LATEST_OVERDUE)
    overdue_since = latest - _OVERDUE_MARGIN if latest is not None else now - _FAR_PAST
    for kind, since, until in (
        ("deadline_approaching", now, now + lead),
        ("overdue", overdue_since, now),
    ):
        found = (
            await session.execute(
                _DUE, {"since": since, "until": until, "kind": kind, "now": now, "batch": batch}
            )
        ).all()
        for case_id, owner, reference, case_kind, status, due_at in found:
            data = {
                "case_id": str(case_id),
                "reference": reference,
                "kind": case_kind,
                "status": status,
                "due_at": due_at.isoformat(),
            }
            event = "case.deadline_approaching" if kind == "deadline_approaching" else "case.overdue"
            await webhooks.enqueue(session, owner, event, str(case_id), data)
        sent += len(found)
    return sent


class DeadlineAlerter(Periodic):
    """The job in `ukuk serve` and `ukuk worker`: a round every `alert_interval_seconds`."""

    event = "deadline_alerts_sent"

    def __init__(self, engine: AsyncEngine, settings: Settings):
        super().__init__(engine, settings.alert_interval_seconds)
        self.settings = settings

    async def round(self, session: AsyncSession) -> int:
        return await send_due(session, self.settings)
