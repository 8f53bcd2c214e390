"""Case tables: the case, its persons, violations, consents, transitions, notes and assignments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from src.crypto.fields import Sealed
from src.platform.ids import uuid7
from src.platform.session import Base, CreatedAt

CASE_KINDS = ("abuse", "child_return", "trafficking")


class Case(CreatedAt, Base):
    __tablename__ = "case_file"  # "case" is an SQL keyword

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    reference: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    summary_sealed: Mapped[bytes] = mapped_column("summary", LargeBinary, nullable=False)
    summary = Sealed[str]("summary")
    intake_channel: Mapped[str] = mapped_column(String(32), nullable=False)
    occurred_country: Mapped[str] = mapped_column(String(2), nullable=False)
    occurred_region: Mapped[str | None] = mapped_column(String(6))
    occurred_city: Mapped[str | None] = mapped_column(String(100))
    owner_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), nullable=False)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    linked_case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_file.id"))
    # Kind-specific details hold names and phones (guardian, employer, placement): sealed whole.
    details_sealed: Mapped[bytes] = mapped_column("details", LargeBinary, nullable=False)
    details = Sealed[dict[str, Any]]("details", codec="json")
    # A legal hold stops retention from anonymising the case; anonymised_at is set when it has.
    legal_hold: Mapped[bool] = mapped_column(nullable=False, server_default=text("false"))
    legal_hold_reason: Mapped[str | None] = mapped_column(String(500))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
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
        # The timeliness report's per-state counts (kind, current state, overdue) from the index alone.
        Index("ix_case_file_kind_status_due_at", "kind", "status", "due_at"),
        # The case report grouped by its column dimensions, from the index alone (migration 0018).
        Index(
            "ix_case_file_report_dimensions",
            "kind",
            "status",
            "occurred_country",
            "owner_organization_id",
            "intake_channel",
        ),
        Index("ix_case_file_due_at", "due_at", postgresql_where=text("due_at IS NOT NULL")),
        # Deleting a case checks that none links to it: without this, a scan of every case.
        Index(
            "ix_case_file_linked_case_id",
            "linked_case_id",
            postgresql_where=text("linked_case_id IS NOT NULL"),
        ),
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
    # A natural person's name in parts (family_name may be absent when the patronymic stands in its place);
    # a legal person (employer, agency) has organization_name instead. full_name is derived for display.
    family_name: Mapped[str | None] = mapped_column(String(100))
    given_name: Mapped[str | None] = mapped_column(String(100))
    patronymic: Mapped[str | None] = mapped_column(String(100))
    organization_name: Mapped[str | None] = mapped_column(String(200))
    # Parts split from a whole name by migration 0014, not entered: to be checked by an officer.
    name_parts_inferred: Mapped[bool] = mapped_column(nullable=False, server_default=text("false"))
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    # names.skeleton(full_name): the same person across scripts and spellings, searched with pg_trgm.
    name_key: Mapped[str] = mapped_column(String(400), nullable=False, server_default=text("''"))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(8))
    citizenship: Mapped[str | None] = mapped_column(String(2))
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_number_sealed: Mapped[bytes | None] = mapped_column("document_number", LargeBinary)
    document_number = Sealed[str | None]("document_number")
    # HMAC of the normalised number: exact lookup (?document_number=) without decrypting.
    document_number_index: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    phone_sealed: Mapped[bytes | None] = mapped_column("phone", LargeBinary)
    phone = Sealed[str | None]("phone")
    language: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (
        Index("ix_case_person_case_id_position", "case_id", "position", unique=True),
        Index(
            "ix_case_person_name_trgm",
            func.lower(text("full_name")),
            postgresql_using="gin",
            postgresql_ops={"lower": "gin_trgm_ops"},
        ),
        Index(
            "ix_case_person_name_key_trgm",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        ),
        # Duplicate search: persons holding spellings of two words of a name, as one pair of the name's words
        # (`name_terms`, migration 0027: each word and each two words; one overlap, `duplicates.terms`).
        Index(
            "ix_case_person_name_terms",
            text("name_terms(name_key)"),
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ),
        Index(
            "ix_case_person_document_number_index",
            "document_number_index",
            postgresql_where=text("document_number_index IS NOT NULL"),
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
    location_sealed: Mapped[bytes | None] = mapped_column("location", LargeBinary)
    location = Sealed[str | None]("location")
    description_sealed: Mapped[bytes | None] = mapped_column("description", LargeBinary)
    description = Sealed[str | None]("description")
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    perpetrator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_person.id"))

    # Deleting a person checks that no violation names them: without this, a scan of every violation.
    __table_args__ = (
        Index(
            "ix_case_violation_perpetrator_id",
            "perpetrator_id",
            postgresql_where=text("perpetrator_id IS NOT NULL"),
        ),
    )


class Consent(CreatedAt, Base):
    __tablename__ = "case_consent"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    # A history: consent given or withdrawn, per purpose; the latest row of a purpose is in force.
    action: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'given'"))
    given_by: Mapped[str] = mapped_column(String(32), nullable=False)  # who gave (or withdrew) it
    given_on: Mapped[date] = mapped_column(Date, nullable=False)  # when
    method: Mapped[str | None] = mapped_column(String(32))  # signed_form, oral_with_witness, electronic
    note_sealed: Mapped[bytes | None] = mapped_column("note", LargeBinary)
    note = Sealed[str | None]("note")
    recorded_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)

    __table_args__ = (
        CheckConstraint("action IN ('given', 'withdrawn')", name="action"),
        CheckConstraint("method IN ('signed_form', 'oral_with_witness', 'electronic')", name="method"),
        Index("ix_case_consent_case_id_purpose_id", "case_id", "purpose", "id"),
    )


STAY_DAYS = "EXTRACT(epoch FROM at - from_entered_at) / 86400"


class Transition(Base):
    __tablename__ = "case_transition"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32), nullable=False)
    # Sealed with the row id, so a transition with a reason takes its id from the sequence first.
    reason_sealed: Mapped[bytes | None] = mapped_column("reason", LargeBinary)
    reason = Sealed[str | None]("reason", make_id=False)
    actor_id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # When the case entered `from_status`: this transition ends that stay, and the timeliness report counts
    # stays from here (at - from_entered_at) instead of pairing every transition with the next at read time.
    from_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The case's kind (it never changes), written with every transition: the timeliness report groups ended
    # stays by kind without joining every case. NULL only in rows written by hand outside the application.
    case_kind: Mapped[str | None] = mapped_column(String(16))
    # The length in days of the stay this transition ends, exactly as the report computed it at read time
    # (fractional days, unrounded); computed by PostgreSQL, so no writer can get it wrong.
    stay_days: Mapped[float | None] = mapped_column(
        Double, Computed(STAY_DAYS, persisted=True), nullable=True
    )
    # Whether this transition ends the case's first stay in `from_status`: the one stay per case and state the
    # timeliness report counts. Set by a trigger before every INSERT (migration 0025; its lookup planned per
    # row since 0026), so no writer can get it wrong; what a writer sends is overwritten.
    first_stay: Mapped[bool] = mapped_column(Boolean, server_default=false(), nullable=False)

    __table_args__ = (
        Index("ix_case_transition_case_id_at", "case_id", "at"),
        # The ended stays of each case and state in order: the timeliness report takes the first of each
        # from the index alone, without sorting them (src/reports/repository.stay_bins).
        Index(
            "ix_case_transition_case_state_at",
            "case_id",
            "from_status",
            "at",
            postgresql_include=["case_kind", "stay_days"],
            postgresql_where=text("stay_days IS NOT NULL"),
        ),
        # The first stays by kind, state and length, with the case for a period's join: the timeliness
        # report's counts read from the index alone (src/reports/repository.stay_bins).
        Index(
            "ix_case_transition_first_stays",
            "case_kind",
            "from_status",
            "stay_days",
            postgresql_include=["case_id"],
            postgresql_where=text("first_stay"),
        ),
    )


class Note(CreatedAt, Base):
    __tablename__ = "case_note"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    body_sealed: Mapped[bytes] = mapped_column("body", LargeBinary, nullable=False)
    body = Sealed[str]("body")

    __table_args__ = (Index("ix_case_note_case_id_id", "case_id", "id"),)


class Assignment(Base):
    __tablename__ = "case_assignment"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_case_assignment_case_id_at", "case_id", "at"),)


class NameToken(Base):
    """Every word that occurs in a person's name skeleton, once: the small dictionary the duplicate search
    looks up spellings in with pg_trgm before it touches the million-row person table."""

    __tablename__ = "name_token"

    token: Mapped[str] = mapped_column(String(200), primary_key=True)

    __table_args__ = (
        Index(
            "ix_name_token_trgm",
            "token",
            postgresql_using="gin",
            postgresql_ops={"token": "gin_trgm_ops"},
            postgresql_with={"fastupdate": "off"},
        ),
    )


class NameSpelling(Base):
    """For each word of the dictionary, the words the name score accepts as its spellings: found once, when
    either word enters the dictionary (both directions stored), instead of by a trigram scan per search."""

    __tablename__ = "name_spelling"

    token: Mapped[str] = mapped_column(
        String(200), ForeignKey("name_token.token", ondelete="CASCADE"), primary_key=True
    )
    spelling: Mapped[str] = mapped_column(
        String(200), ForeignKey("name_token.token", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_name_spelling_spelling", "spelling"),)


LINK_TYPES = ("duplicate", "related", "sibling", "same_perpetrator")


class CaseLink(CreatedAt, Base):
    """Two cases an officer confirmed belong together. Stored once per pair (lower id first)."""

    __tablename__ = "case_link"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    other_case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False
    )
    type: Mapped[str] = mapped_column(String(24), nullable=False)
    created_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)

    __table_args__ = (
        CheckConstraint(f"type IN {LINK_TYPES}", name="type"),
        CheckConstraint("case_id < other_case_id", name="ordered_pair"),
        Index("uq_case_link_pair_type", "case_id", "other_case_id", "type", unique=True),
        Index("ix_case_link_other_case_id", "other_case_id"),
    )


TRANSFER_STATUSES = ("pending", "accepted", "declined")


class Transfer(CreatedAt, Base):
    """A case handed from its owning consulate to another: pending until the receiving consulate decides."""

    __tablename__ = "case_transfer"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    from_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), nullable=False)
    to_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), nullable=False)
    reason_sealed: Mapped[bytes] = mapped_column("reason", LargeBinary, nullable=False)
    reason = Sealed[str]("reason")
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'pending'"))
    requested_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(UUID)
    decision_note_sealed: Mapped[bytes | None] = mapped_column("decision_note", LargeBinary)
    decision_note = Sealed[str | None]("decision_note")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"status IN {TRANSFER_STATUSES}", name="status"),
        Index("ix_case_transfer_case_id", "case_id"),
        Index(
            "ix_case_transfer_one_pending",
            "case_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_case_transfer_to_organization_id_id", "to_organization_id", "id"),
        Index("ix_case_transfer_from_organization_id_id", "from_organization_id", "id"),
    )


ALERT_KINDS = ("deadline_approaching", "overdue")


class Alert(Base):
    """A deadline alert sent to the owning consulate: once per (case, status, deadline, kind)."""

    __tablename__ = "case_alert"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        CheckConstraint(f"kind IN {ALERT_KINDS}", name="kind"),
        Index("ix_case_alert_kind_due_at", "kind", "due_at"),
    )
