"""cases: case file, persons, violations, consents, transitions, notes, assignments, idempotency

Sequences number references per kind (no counter row: intake never queues behind a lock).
pg_trgm indexes serve `q` over references and names.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


REFERENCE_PREFIXES = ("abu", "chr", "tip")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for prefix in REFERENCE_PREFIXES:
        op.execute(f"CREATE SEQUENCE case_reference_{prefix}")
    op.create_table(
        "idempotency_record",
        sa.Column("principal_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("principal_id", "key", name=op.f("pk_idempotency_record")),
    )
    op.create_table(
        "case_file",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("intake_channel", sa.String(length=32), nullable=False),
        sa.Column("occurred_country", sa.String(length=2), nullable=False),
        sa.Column("occurred_region", sa.String(length=6), nullable=True),
        sa.Column("occurred_city", sa.String(length=100), nullable=True),
        sa.Column("owner_organization_id", sa.UUID(), nullable=False),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("linked_case_id", sa.UUID(), nullable=True),
        sa.Column(
            "details", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("status_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('abuse', 'child_return', 'trafficking')", name=op.f("ck_case_file_kind")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["user_account.id"], name=op.f("fk_case_file_assignee_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["linked_case_id"], ["case_file.id"], name=op.f("fk_case_file_linked_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["owner_organization_id"],
            ["organization.id"],
            name=op.f("fk_case_file_owner_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
        sa.UniqueConstraint("reference", name=op.f("uq_case_file_reference")),
    )
    op.create_index("ix_case_file_assignee_id", "case_file", ["assignee_id", "id"], unique=False)
    op.create_index("ix_case_file_created_at", "case_file", ["created_at"], unique=False)
    op.create_index(
        "ix_case_file_due_at",
        "case_file",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )
    op.create_index("ix_case_file_occurred_country_id", "case_file", ["occurred_country", "id"], unique=False)
    op.create_index("ix_case_file_owner_id", "case_file", ["owner_organization_id", "id"], unique=False)
    op.create_index(
        "ix_case_file_owner_kind_id", "case_file", ["owner_organization_id", "kind", "id"], unique=False
    )
    op.create_index(
        "ix_case_file_owner_status_id", "case_file", ["owner_organization_id", "status", "id"], unique=False
    )
    op.create_index(
        "ix_case_file_reference_trgm",
        "case_file",
        ["reference"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"reference": "gin_trgm_ops"},
    )
    op.create_table(
        "case_assignment",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("assigned_by", sa.UUID(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["user_account.id"], name=op.f("fk_case_assignment_assignee_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_case_assignment_case_id_case_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_assignment")),
    )
    op.create_index("ix_case_assignment_case_id_at", "case_assignment", ["case_id", "at"], unique=False)
    op.create_table(
        "case_consent",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("given_by", sa.String(length=32), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_consent_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_consent")),
    )
    op.create_index(op.f("ix_case_consent_case_id"), "case_consent", ["case_id"], unique=False)
    op.create_table(
        "case_note",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_note_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_note")),
    )
    op.create_index("ix_case_note_case_id_id", "case_note", ["case_id", "id"], unique=False)
    op.create_table(
        "case_person",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("citizenship", sa.String(length=2), nullable=True),
        sa.Column("document_type", sa.String(length=32), nullable=True),
        sa.Column("document_number", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_person_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_person")),
    )
    op.create_index("ix_case_person_case_id_position", "case_person", ["case_id", "position"], unique=True)
    op.execute(
        "CREATE INDEX ix_case_person_name_trgm ON case_person USING gin (lower(full_name) gin_trgm_ops)"
    )
    op.create_table(
        "case_transition",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.UUID(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_case_transition_case_id_case_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transition")),
    )
    op.create_index("ix_case_transition_case_id_at", "case_transition", ["case_id", "at"], unique=False)
    op.create_table(
        "case_violation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("indicators", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("perpetrator_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_case_violation_case_id_case_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["perpetrator_id"], ["case_person.id"], name=op.f("fk_case_violation_perpetrator_id_case_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_violation")),
    )
    op.create_index(op.f("ix_case_violation_case_id"), "case_violation", ["case_id"], unique=False)


def downgrade() -> None:
    for prefix in REFERENCE_PREFIXES:
        op.execute(f"DROP SEQUENCE case_reference_{prefix}")
    op.drop_index(op.f("ix_case_violation_case_id"), table_name="case_violation")
    op.drop_table("case_violation")
    op.drop_index("ix_case_transition_case_id_at", table_name="case_transition")
    op.drop_table("case_transition")
    op.execute("DROP INDEX ix_case_person_name_trgm")
    op.drop_index("ix_case_person_case_id_position", table_name="case_person")
    op.drop_table("case_person")
    op.drop_index("ix_case_note_case_id_id", table_name="case_note")
    op.drop_table("case_note")
    op.drop_index(op.f("ix_case_consent_case_id"), table_name="case_consent")
    op.drop_table("case_consent")
    op.drop_index("ix_case_assignment_case_id_at", table_name="case_assignment")
    op.drop_table("case_assignment")
    op.drop_index(
        "ix_case_file_reference_trgm",
        table_name="case_file",
        postgresql_using="gin",
        postgresql_ops={"reference": "gin_trgm_ops"},
    )
    op.drop_index("ix_case_file_owner_status_id", table_name="case_file")
    op.drop_index("ix_case_file_owner_kind_id", table_name="case_file")
    op.drop_index("ix_case_file_owner_id", table_name="case_file")
    op.drop_index("ix_case_file_occurred_country_id", table_name="case_file")
    op.drop_index(
        "ix_case_file_due_at", table_name="case_file", postgresql_where=sa.text("due_at IS NOT NULL")
    )
    op.drop_index("ix_case_file_created_at", table_name="case_file")
    op.drop_index("ix_case_file_assignee_id", table_name="case_file")
    op.drop_table("case_file")
    op.drop_table("idempotency_record")
