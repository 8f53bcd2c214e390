"""deadline alerts sent: one row per (case, status, deadline, kind), so each is sent once across restarts

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_alert",
        sa.Column(
            "case_id", UUID(as_uuid=True), sa.ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "kind", "status", "due_at", name="pk_case_alert"),
        sa.CheckConstraint("kind IN ('deadline_approaching', 'overdue')", name="kind"),
    )
    # Where the overdue alerts got to: each round looks at deadlines passed since, not at every overdue case.
    op.create_index("ix_case_alert_kind_due_at", "case_alert", ["kind", "due_at"])


def downgrade() -> None:
    op.drop_table("case_alert")
