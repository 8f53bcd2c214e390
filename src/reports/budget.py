"""The privacy budget: how much epsilon each organization's report reads have spent this calendar year.

Every report read charges its epsilon to the reader's organization before it reads anything, committed at
once (src/reports/service.open_report: a read that fails after it looked at the data still spent it); past
the year's budget the read is refused with 429 and audited as `throttled`. The budget is per organization,
not per account, so that a reader cannot start over with a new account or API client; it renews each
calendar year (UTC), which the guarantee in docs/oversight.md states."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from src.audit import service as audit
from src.auth.principal import Principal
from src.platform import clock, driver
from src.platform.errors import AfterRollback, TooManyRequests
from src.platform.session import Base


class ReportBudget(Base):
    __tablename__ = "report_budget"
    __table_args__ = (CheckConstraint("spent >= 0", name="spent_not_negative"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    spent: Mapped[Decimal] = mapped_column(Numeric(24, 6), nullable=False)


# One statement, on the row lock of the organization's year: two reads at once cannot both pass the limit.
_CHARGE = (
    "INSERT INTO report_budget (organization_id, year, spent) SELECT $1::uuid, $2::int, $3::numeric "
    "WHERE $3::numeric <= $4::numeric "
    "ON CONFLICT (organization_id, year) DO UPDATE SET spent = report_budget.spent + excluded.spent "
    "WHERE report_budget.spent + excluded.spent <= $4::numeric RETURNING spent"
)


def _decimal(value: Fraction | float, rounding: str) -> Decimal:
    """To the ledger's millionths, rounded the safe way: a cost up, a limit down (no cost rounds to 0)."""
    return Decimal(float(value)).quantize(Decimal("0.000001"), rounding=rounding)


def _next_year(now: datetime) -> datetime:
    return now.replace(year=now.year + 1, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


async def charge(
    session: AsyncSession, principal: Principal, action: str, epsilon: Fraction, per_year: float
) -> dict[str, float | int]:
    """Spend `epsilon` of the organization's budget for this year, or refuse (429 with Retry-After, audited
    `throttled`). Answers what the report states of its privacy: epsilon, spent, budget, year."""
    now = clock.utcnow()
    cost, limit = _decimal(epsilon, ROUND_CEILING), _decimal(per_year, ROUND_FLOOR)
    row = await driver.fetchrow(session, _CHARGE, principal.organization_id, now.year, cost, limit)
    if row is None:
        retry_after = int((_next_year(now) - now).total_seconds()) + 1
        raise TooManyRequests(
            f"Your organization's privacy budget for reports in {now.year} ({per_year:g}) is spent; "
            "it renews on 1 January (UTC).",
            headers={"Retry-After": str(retry_after)},
            extra={"budget": float(limit), "year": now.year},
            after_rollback=[
                audit.record_after_rollback(
                    principal.actor,
                    action,
                    resource_type="report",
                    outcome="throttled",
                    detail={"epsilon": float(cost), "budget": float(limit)},
                )
            ],
        )
    return {"epsilon": float(cost), "spent": float(row["spent"]), "budget": float(limit), "year": now.year}


def audited_refusal(principal: Principal, action: str, epsilon: Fraction, reason: str) -> AfterRollback:
    """The audit event (`failure`) of a read refused after it looked at the data (a case report with too many
    groups): the refusal is itself an answer, and the epsilon it spent was committed when the read began."""

    async def _record(session: AsyncSession) -> None:
        detail = {"epsilon": float(epsilon), "refused": reason}
        await audit.record(
            session, principal.actor, action, resource_type="report", outcome="failure", detail=detail
        )

    return _record
