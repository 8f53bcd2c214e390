"""consent as a history: each row records consent given or withdrawn for one purpose, how, and a note

Rows written before this migration were consent given at intake: `action` 'given', `method` unknown (null).
The consent in force for a purpose is its latest row (by id).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "case_consent", sa.Column("action", sa.String(16), nullable=False, server_default=sa.text("'given'"))
    )
    op.create_check_constraint("action", "case_consent", "action IN ('given', 'withdrawn')")
    op.add_column("case_consent", sa.Column("method", sa.String(32), nullable=True))
    op.create_check_constraint(
        "method", "case_consent", "method IN ('signed_form', 'oral_with_witness', 'electronic')"
    )
    op.add_column("case_consent", sa.Column("note", sa.LargeBinary(), nullable=True))  # sealed
    # The latest row per purpose: the consent in force.
    op.create_index("ix_case_consent_case_id_purpose_id", "case_consent", ["case_id", "purpose", "id"])


def downgrade() -> None:
    # Withdrawals cannot be represented before this revision: they go, and consent reads as given again.
    op.execute("DELETE FROM case_consent WHERE action = 'withdrawn'")
    op.drop_index("ix_case_consent_case_id_purpose_id", table_name="case_consent")
    op.drop_column("case_consent", "note")
    op.drop_constraint("method", "case_consent", type_="check")
    op.drop_column("case_consent", "method")
    op.drop_constraint("action", "case_consent", type_="check")
    op.drop_column("case_consent", "action")
