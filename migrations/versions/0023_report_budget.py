"""report_budget: the privacy budget (epsilon) each organization's report reads spent in a calendar year

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_budget",
        sa.Column(
            "organization_id",
            UUID(as_uuid=True),
            sa.ForeignKey("organization.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("spent", sa.Numeric(24, 6), nullable=False),
        sa.CheckConstraint("spent >= 0", name="spent_not_negative"),
    )


def downgrade() -> None:
    op.drop_table("report_budget")
