"""index case_violation.perpetrator_id: the other foreign key whose check scanned a whole table

Deleting a case deletes its persons, and deleting a person checks that no violation names them as the
perpetrator: without this index, a scan of every violation per person (found after 0011, same benchmark).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_case_violation_perpetrator_id",
        "case_violation",
        ["perpetrator_id"],
        postgresql_where=sa.text("perpetrator_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_case_violation_perpetrator_id", table_name="case_violation")
