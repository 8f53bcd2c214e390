"""the first stay of each case in each state, marked when its transition is written: the timeliness report
counts the first stays from an index of their own instead of picking the first of every case and state out
of all ended stays with DISTINCT ON (310 ms at 1M cases, above issue 16's 300)

`case_transition.first_stay` is set by a trigger before each INSERT, so no writer (the application, the
benchmark's generator, a row written by hand) can get it wrong: true when the transition ends a stay (it has
a `from_entered_at`) and no earlier transition of the case left the same state. A case's transitions are
written one at a time under the case's version check, so two cannot both be first. Existing transitions are
marked here, the earliest of each case and state (by `at`, as the report took them).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "case_transition",
        sa.Column("first_stay", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute(
        """
        UPDATE case_transition t SET first_stay = true
        FROM (SELECT DISTINCT ON (case_id, from_status) id FROM case_transition
              WHERE stay_days IS NOT NULL ORDER BY case_id, from_status, at, id) AS first
        WHERE t.id = first.id
        """
    )
    op.execute(
        """
        CREATE FUNCTION case_transition_first_stay() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.first_stay := NEW.from_status IS NOT NULL AND NEW.from_entered_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM case_transition t
                WHERE t.case_id = NEW.case_id AND t.from_status = NEW.from_status AND t.stay_days IS NOT NULL
            );
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER case_transition_first_stay BEFORE INSERT ON case_transition "
        "FOR EACH ROW EXECUTE FUNCTION case_transition_first_stay()"
    )
    op.create_index(
        "ix_case_transition_first_stays",
        "case_transition",
        ["case_kind", "from_status", "stay_days"],
        postgresql_include=["case_id"],
        postgresql_where=sa.text("first_stay"),
    )
    op.execute("ANALYZE case_transition")


def downgrade() -> None:
    op.drop_index("ix_case_transition_first_stays", table_name="case_transition")
    op.execute("DROP TRIGGER case_transition_first_stay ON case_transition")
    op.execute("DROP FUNCTION case_transition_first_stay()")
    op.drop_column("case_transition", "first_stay")
