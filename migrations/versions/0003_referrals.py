"""referrals: referral (one open per case and recipient) and its updates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referral",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("from_organization_id", sa.UUID(), nullable=False),
        sa.Column("to_organization_id", sa.UUID(), nullable=False),
        sa.Column("services", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("share", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("consent_exception", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'withdrawn', 'expired', 'completed')",
            name=op.f("ck_referral_status"),
        ),
        sa.CheckConstraint(
            "from_organization_id <> to_organization_id", name=op.f("ck_referral_not_to_self")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_referral_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["from_organization_id"],
            ["organization.id"],
            name=op.f("fk_referral_from_organization_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["to_organization_id"],
            ["organization.id"],
            name=op.f("fk_referral_to_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    op.create_index("ix_referral_case_id", "referral", ["case_id"], unique=False)
    op.create_index(
        "ix_referral_due_on_open",
        "referral",
        ["due_on"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_referral_from_status_id", "referral", ["from_organization_id", "status", "id"], unique=False
    )
    op.create_index(
        "ix_referral_to_status_id", "referral", ["to_organization_id", "status", "id"], unique=False
    )
    op.create_index(
        "uq_referral_open_per_recipient",
        "referral",
        ["case_id", "to_organization_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'accepted')"),
    )
    op.create_table(
        "referral_update",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("referral_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("author_organization_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_update_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_update")),
    )
    op.create_index(op.f("ix_referral_update_referral_id"), "referral_update", ["referral_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_referral_update_referral_id"), table_name="referral_update")
    op.drop_table("referral_update")
    op.drop_index(
        "uq_referral_open_per_recipient",
        table_name="referral",
        postgresql_where=sa.text("status IN ('pending', 'accepted')"),
    )
    op.drop_index("ix_referral_to_status_id", table_name="referral")
    op.drop_index("ix_referral_from_status_id", table_name="referral")
    op.drop_index(
        "ix_referral_due_on_open", table_name="referral", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_index("ix_referral_case_id", table_name="referral")
    op.drop_table("referral")
