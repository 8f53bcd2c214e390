"""Webhook endpoint (one per organization) and the outbox of deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from src.crypto.fields import Sealed
from src.platform.ids import uuid7
from src.platform.session import Base, CreatedAt

DELIVERY_STATUSES = ("pending", "delivered", "failed", "cancelled")


class WebhookEndpoint(CreatedAt, Base):
    __tablename__ = "webhook_endpoint"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    events: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    # "whsec_" + base64 (Standard Webhooks), sealed: whoever reads the database must not sign as us.
    secret_sealed: Mapped[bytes] = mapped_column("secret", LargeBinary, nullable=False)
    secret = Sealed[str]("secret", row_id="organization_id")
    # After a rotation the old secret still signs for 24 h, so receivers can switch without losing events.
    previous_secret_sealed: Mapped[bytes | None] = mapped_column("previous_secret", LargeBinary)
    previous_secret = Sealed[str | None]("previous_secret", row_id="organization_id")
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"), nullable=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class WebhookDelivery(CreatedAt, Base):
    """One event for one endpoint. Its id is the `webhook-id`: the same on every attempt."""

    __tablename__ = "webhook_delivery"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), nullable=False)
    event_type: Mapped[str] = mapped_column(String(40), nullable=False)
    ordering_key: Mapped[str] = mapped_column(
        String(64), nullable=False
    )  # events of one referral stay in order
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status"),
        Index("ix_webhook_delivery_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index(
            "ix_webhook_delivery_order",
            "organization_id",
            "ordering_key",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_delivery_organization_id_id", "organization_id", "id"),
    )
