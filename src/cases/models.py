"""Case tables: the case, its persons, violations, consents, transitions, notes and assignments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from src.db import Base, CreatedAt
from src.ids import uuid7

CASE_KINDS = ("abuse", "child_return", "trafficking")


class Case(CreatedAt, Base):
    __tablename__ = "case_file"  # "case" is an SQL keyword

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    reference: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    intake_channel: Mapped[str] = mapped_column(String(32), nullable=False)
    occurred_country: Mapped[str] = mapped_column(String(2), nullable=False)
    occurred_region: Mapped[str | None] = mapped_column(String(6))
    occurred_city: Mapped[str | None] = mapped_column(String(100))
    owner_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), nullable=False)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    linked_case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_file.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    status_entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Earliest pending deadline of the workflow (NULL when none): `overdue` is `due_at < now`, indexable.
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint(f"kind IN {CASE_KINDS}", name="kind"),
        Index("ix_case_file_owner_id", "owner_organization_id", "id"),
        Index("ix_case_file_owner_status_id", "owner_organization_id", "status", "id"),
        Index("ix_case_file_owner_kind_id", "owner_organization_id", "kind", "id"),
        Index("ix_case_file_assignee_id", "assignee_id", "id"),
        Index("ix_case_file_occurred_country_id", "occurred_country", "id"),
        Index("ix_case_file_created_at", "created_at"),
        Index("ix_case_file_due_at", "due_at", postgresql_where=text("due_at IS NOT NULL")),
        Index(
            "ix_case_file_reference_trgm",
            "reference",
            postgresql_using="gin",
            postgresql_ops={"reference": "gin_trgm_ops"},
        ),
    )


class Person(Base):
    __tablename__ = "case_person"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # 0 is the subject
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(8))
    citizenship: Mapped[str | None] = mapped_column(String(2))
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_number: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (
        Index("ix_case_person_case_id_position", "case_id", "position", unique=True),
        Index(
            "ix_case_person_name_trgm",
            func.lower(text("full_name")),
            postgresql_using="gin",
            postgresql_ops={"lower": "gin_trgm_ops"},
        ),
    )


class Violation(Base):
    __tablename__ = "case_violation"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False, index=True
    )
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    indicators: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'"))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    perpetrator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_person.id"))


class Consent(CreatedAt, Base):
    __tablename__ = "case_consent"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    given_by: Mapped[str] = mapped_column(String(32), nullable=False)
    given_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)


class Transition(Base):
    __tablename__ = "case_transition"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_case_transition_case_id_at", "case_id", "at"),)


class Note(CreatedAt, Base):
    __tablename__ = "case_note"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (Index("ix_case_note_case_id_id", "case_id", "id"),)


class Assignment(Base):
    __tablename__ = "case_assignment"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_case_assignment_case_id_at", "case_id", "at"),)
