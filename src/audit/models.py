"""Audit tables: events (insert-only, written with the work) and the chain the sequencer appends."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, LargeBinary, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from src.platform.session import Base


class Xid8(UserDefinedType[int]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


class AuditEvent(Base):
    """One thing that happened. Never values of personal data: ids, action, outcome, changed field names."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp(), nullable=False
    )
    # Writing transaction: the sequencer chains only events of transactions older than every running one.
    txid: Mapped[int] = mapped_column(Xid8, server_default=text("pg_current_xact_id()"), nullable=False)
    actor_type: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    actor_organization_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_type: Mapped[str | None] = mapped_column(String(64))
    resource_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(64))
    changed_fields: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=text("'{}'"), nullable=False
    )
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"), nullable=False)

    __table_args__ = (
        Index("ix_audit_event_txid_id", "txid", "id"),
        Index("ix_audit_event_actor_id_at", "actor_id", "at"),
        Index("ix_audit_event_resource_id_at", "resource_id", "at"),
        # The access log's "list pages that showed this case" (detail.case_ids), only where there is one.
        Index(
            "ix_audit_event_case_ids",
            text("(detail -> 'case_ids')"),
            postgresql_using="gin",
            postgresql_where=text("detail ? 'case_ids'"),
        ),
    )


class AuditChain(Base):
    """Contiguous seq and hash = SHA-256(prev_hash || canonical event bytes); insert-only."""

    __tablename__ = "audit_chain"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id"), unique=True, nullable=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    chained_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp(), nullable=False
    )


# The application role gets INSERT and SELECT on these, never UPDATE, DELETE or TRUNCATE.
APPEND_ONLY_TABLES = ("audit_event", "audit_chain")
