"""index case_file.linked_case_id: a foreign key without one made every case deletion scan all cases

Found by the load benchmark removing its raw rows (7 000 cases over 1 000 000 took minutes): deleting a case
checks that no case links to it, which without this index reads the whole table each time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_case_file_linked_case_id",
        "case_file",
        ["linked_case_id"],
        postgresql_where=sa.text("linked_case_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_case_file_linked_case_id", table_name="case_file")
