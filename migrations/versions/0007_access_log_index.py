"""audit: a partial GIN index for the access log's list pages that showed a case

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Only list events carry case_ids, so the index stays a small part of the audit table's writes.
    op.create_index(
        "ix_audit_event_case_ids",
        "audit_event",
        [sa.text("(detail -> 'case_ids')")],
        unique=False,
        postgresql_using="gin",
        postgresql_where=sa.text("detail ? 'case_ids'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_audit_event_case_ids",
        table_name="audit_event",
        postgresql_using="gin",
        postgresql_where=sa.text("detail ? 'case_ids'"),
    )
