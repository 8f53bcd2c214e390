"""Referral tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from src.crypto.fields import Sealed
from src.platform.ids import uuid7
from src.platform.session import Base, CreatedAt

REFERRAL_STATUSES = ("pending", "accepted", "declined", "withdrawn", "expired", "completed")
OPEN_STATUSES = ("pending", "accepted")


class Referral(CreatedAt, Base):
    __tablename__ = "referral"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    from_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), nullable=False)
    to_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), nullable=False)
    services: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    urgency: Mapped[str] = mapped_column(String(16), nullable=False)
    reason_sealed: Mapped[bytes] = mapped_column("reason", LargeBinary, nullable=False)
    reason = Sealed[str]("reason")
    share: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    # The attachments the recipient may list and download (while the referral is open and consent holds).
    evidence: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID), nullable=False, server_default=text("'{}'")
    )
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'pending'"))
    # Set when consent did not cover the referral: the legal basis the sender recorded instead.
    consent_exception: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    status_note_sealed: Mapped[bytes | None] = mapped_column("status_note", LargeBinary)
    status_note = Sealed[str | None]("status_note")
    # Set once, by the accepting update (a referral is accepted at most once): the referrals report's hours to
    # acceptance read it instead of searching every referral's updates.
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An inbound referral's sender (a partner) sees what it submitted, as it submitted it: never the owner's
    # later edits (the case is the consulate's from the moment it is routed).
    submitted_view_sealed: Mapped[bytes | None] = mapped_column("submitted_view", LargeBinary)
    submitted_view = Sealed[dict[str, Any] | None]("submitted_view", codec="json")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint(f"status IN {REFERRAL_STATUSES}", name="status"),
        CheckConstraint("from_organization_id <> to_organization_id", name="not_to_self"),
        # One open referral per (case, recipient), even under concurrent requests.
        Index(
            "uq_referral_open_per_recipient",
            "case_id",
            "to_organization_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'accepted')"),
        ),
        Index("ix_referral_to_status_id", "to_organization_id", "status", "id"),
        # The referrals report, from the index alone (migration 0018).
        Index(
            "ix_referral_report",
            "to_organization_id",
            "created_at",
            postgresql_include=["status", "accepted_at"],
        ),
        Index("ix_referral_from_status_id", "from_organization_id", "status", "id"),
        Index("ix_referral_case_id", "case_id"),
        Index("ix_referral_due_on_open", "due_on", postgresql_where=text("status = 'pending'")),
    )


class ReferralUpdate(CreatedAt, Base):
    __tablename__ = "referral_update"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    referral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    author_organization_id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # progress | accepted | declined | ...
    body_sealed: Mapped[bytes | None] = mapped_column("body", LargeBinary)
    body = Sealed[str | None]("body")
