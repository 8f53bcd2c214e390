"""indexes the case and referral reports read instead of their tables

The case report grouped by kind, status, country and owner hashed every row of a sequential scan of
`case_file` (about 450 MB at 1M cases, more than `shared_buffers`): 0.4-0.6 s. An index on the case
report's column dimensions (`ix_case_file_report_dimensions`; deduplicated, a few MB) answers any grouping
by them from the index alone, already in order.

The referrals report joined every referral to its organization, sorted them all by name and computed the
medians in that sort: 0.6-0.7 s at 300 000 referrals. It now groups the referrals alone by recipient and
names the recipients afterwards; `ix_referral_report` (recipient, creation time, with status and acceptance
time) gives it the referrals in recipient order from the index alone, for any period.

Both are plain `CREATE INDEX` (a few seconds at 1M cases; writes to the table wait meanwhile), as in 0016.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_case_file_report_dimensions",
        "case_file",
        ["kind", "status", "occurred_country", "owner_organization_id", "intake_channel"],
    )
    op.create_index(
        "ix_referral_report",
        "referral",
        ["to_organization_id", "created_at"],
        postgresql_include=["status", "accepted_at"],
    )
    op.execute("ANALYZE case_file")
    op.execute("ANALYZE referral")


def downgrade() -> None:
    op.drop_index("ix_referral_report", table_name="referral")
    op.drop_index("ix_case_file_report_dimensions", table_name="case_file")
