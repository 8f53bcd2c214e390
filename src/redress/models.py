"""Legal instruments and the redress actions taken on cases."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from src.platform.ids import uuid7
from src.platform.session import Base, CreatedAt

INSTRUMENT_KINDS = ("multilateral_agreement", "bilateral_agreement", "convention", "national_law")


class LegalInstrument(CreatedAt, Base):
    """The catalog, seeded by migration 0005 from shared/reference/legal-instruments.md."""

    __tablename__ = "legal_instrument"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False)  # {"en": ..., "ru": ..., "ky"?: ...}
    parties: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    signed_on: Mapped[date | None] = mapped_column(Date)
    signed_on_precision: Mapped[str] = mapped_column(String(8), nullable=False, server_default=text("'day'"))
    signed_at_place: Mapped[str | None] = mapped_column(String(100))
    in_force_on: Mapped[date | None] = mapped_column(Date)
    # A fact the reference could not confirm is shown as such, never invented.
    unverified: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8), nullable=False, server_default=text("'user'"))

    __table_args__ = (
        CheckConstraint(f"kind IN {INSTRUMENT_KINDS}", name="kind"),
        CheckConstraint("signed_on_precision IN ('day', 'month', 'year')", name="precision"),
        CheckConstraint("source IN ('seed', 'user')", name="source"),
    )


class RedressAction(CreatedAt, Base):
    """A claim for redress on a case: under which instrument and article, before which forum, for how much,
    and what was recovered. Amounts are exact decimals with an ISO 4217 currency."""

    __tablename__ = "redress_action"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False, index=True
    )
    instrument_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("legal_instrument.id"))
    article: Mapped[str | None] = mapped_column(String(100))
    forum: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    claim_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    claim_currency: Mapped[str | None] = mapped_column(String(3))
    recovered_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    recovered_currency: Mapped[str | None] = mapped_column(String(3))
    filed_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        CheckConstraint("(claim_amount IS NULL) = (claim_currency IS NULL)", name="claim_has_currency"),
        CheckConstraint(
            "(recovered_amount IS NULL) = (recovered_currency IS NULL)", name="recovered_has_currency"
        ),
    )
