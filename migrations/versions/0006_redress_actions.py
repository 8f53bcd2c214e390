"""redress actions: claims on a case under an instrument, with exact amounts and their own version

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "redress_action",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("instrument_id", sa.UUID(), nullable=True),
        sa.Column("article", sa.String(length=100), nullable=True),
        sa.Column("forum", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("claim_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("claim_currency", sa.String(length=3), nullable=True),
        sa.Column("recovered_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("recovered_currency", sa.String(length=3), nullable=True),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(claim_amount IS NULL) = (claim_currency IS NULL)",
            name=op.f("ck_redress_action_claim_has_currency"),
        ),
        sa.CheckConstraint(
            "(recovered_amount IS NULL) = (recovered_currency IS NULL)",
            name=op.f("ck_redress_action_recovered_has_currency"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_redress_action_case_id_case_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["legal_instrument.id"],
            name=op.f("fk_redress_action_instrument_id_legal_instrument"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redress_action")),
    )
    op.create_index(op.f("ix_redress_action_case_id"), "redress_action", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_redress_action_case_id"), table_name="redress_action")
    op.drop_table("redress_action")
