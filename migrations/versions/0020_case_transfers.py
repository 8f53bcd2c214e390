"""case transfers between consulates: requested, accepted or declined; one pending per case

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_transfer",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "case_id", UUID(as_uuid=True), sa.ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "from_organization_id", UUID(as_uuid=True), sa.ForeignKey("organization.id"), nullable=False
        ),
        sa.Column("to_organization_id", UUID(as_uuid=True), sa.ForeignKey("organization.id"), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),  # sealed
        sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("requested_by", UUID(as_uuid=True), nullable=False),
        sa.Column("decided_by", UUID(as_uuid=True), nullable=True),
        sa.Column("decision_note", sa.LargeBinary(), nullable=True),  # sealed
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status"),
    )
    op.create_index("ix_case_transfer_case_id", "case_transfer", ["case_id"])
    # A case under transfer cannot be transferred again.
    op.create_index(
        "ix_case_transfer_one_pending",
        "case_transfer",
        ["case_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_case_transfer_to_organization_id_id", "case_transfer", ["to_organization_id", "id"])
    op.create_index(
        "ix_case_transfer_from_organization_id_id", "case_transfer", ["from_organization_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("case_transfer")
