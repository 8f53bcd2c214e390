"""record a stay's start on the transition that ends it, and a referral's acceptance on the referral

The timeliness report paired every transition with the next one at read time (`lead()` over all of them:
a sort of every transition that spilled to disk, 5.6 s at 1M cases), and the referrals report searched all
updates for each referral's acceptance (1.2 s). Both facts are known when they happen, so they are written
then: `case_transition.from_entered_at` (when the case entered `from_status`) and `referral.accepted_at`.
Existing rows are filled from the history they were computed from.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("case_transition", sa.Column("from_entered_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        """
        UPDATE case_transition t SET from_entered_at = p.entered
        FROM (
            SELECT id, lag(at) OVER (PARTITION BY case_id ORDER BY at, id) AS entered FROM case_transition
        ) p
        WHERE p.id = t.id AND p.entered IS NOT NULL
        """
    )
    op.add_column("referral", sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        """
        UPDATE referral r SET accepted_at = u.at
        FROM (
            SELECT referral_id, min(created_at) AS at FROM referral_update
            WHERE kind = 'accepted' GROUP BY referral_id
        ) u
        WHERE u.referral_id = r.id
        """
    )


def downgrade() -> None:
    op.drop_column("referral", "accepted_at")
    op.drop_column("case_transition", "from_entered_at")
