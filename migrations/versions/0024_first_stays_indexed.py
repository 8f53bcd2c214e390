"""the timeliness report's stays, one per case and state (the first), read in index order: an index on
(case_id, from_status, at) holding the stay's kind and length replaces the one by kind, state and length that
the report read before its medians became differentially private (src/reports/repository.stay_bins)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_case_transition_kind_state_stay", table_name="case_transition")
    op.create_index(
        "ix_case_transition_case_state_at",
        "case_transition",
        ["case_id", "from_status", "at"],
        postgresql_include=["case_kind", "stay_days"],
        postgresql_where=sa.text("stay_days IS NOT NULL"),
    )
    op.execute("ANALYZE case_transition")


def downgrade() -> None:
    op.drop_index("ix_case_transition_case_state_at", table_name="case_transition")
    op.create_index(
        "ix_case_transition_kind_state_stay",
        "case_transition",
        ["case_kind", "from_status", "stay_days"],
        postgresql_where=sa.text("stay_days IS NOT NULL"),
    )
