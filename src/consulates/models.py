"""A consulate is an organization of kind `consulate`; its jurisdiction: (host country, region | all)."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from src.platform.ids import uuid7
from src.platform.session import Base


class ConsulateJurisdiction(Base):
    __tablename__ = "consulate_jurisdiction"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    consulate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The consulate's own state (copied from its organization): Kyrgyz and Tajik consulates both cover Moscow.
    sending_country: Mapped[str] = mapped_column(String(2), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    region: Mapped[str | None] = mapped_column(String(6))  # ISO 3166-2; NULL covers the whole country

    __table_args__ = (
        # One consulate per (sending state, place): overlapping jurisdictions are refused at write.
        Index(
            "uq_consulate_jurisdiction_place",
            "sending_country",
            "country",
            func.coalesce(text("region"), ""),
            unique=True,
        ),
        CheckConstraint("region IS NULL OR starts_with(region, country || '-')", name="region_in_country"),
    )
