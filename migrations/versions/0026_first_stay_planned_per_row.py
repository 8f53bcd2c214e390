"""the first-stay trigger plans its lookup for each row: PL/pgSQL keeps a generic plan per connection, made
when the connection first ran the trigger. Made on an empty or small `case_transition` it is a sequential
scan, and it is kept while the table grows: generating 1M cases in one transaction (`ukuk seed-bench`)
slowed to a few hundred transitions a minute, each scanning every row written before it. A custom plan
(`plan_cache_mode = force_custom_plan` on the function) is made with the row's values and the table's size
at that moment: the index (`ix_case_transition_case_state_at`) whenever the table is not tiny, and for a
transition that opens a case (no `from_status`) no lookup at all, as the IF below now says outright.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BODY = """
        BEGIN
            IF NEW.from_status IS NULL OR NEW.from_entered_at IS NULL THEN
                NEW.first_stay := false;
            ELSE
                NEW.first_stay := NOT EXISTS (
                    SELECT 1 FROM case_transition t
                    WHERE t.case_id = NEW.case_id AND t.from_status = NEW.from_status AND t.stay_days IS NOT NULL
                );
            END IF;
            RETURN NEW;
        END
"""

_BODY_0025 = """
        BEGIN
            NEW.first_stay := NEW.from_status IS NOT NULL AND NEW.from_entered_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM case_transition t
                WHERE t.case_id = NEW.case_id AND t.from_status = NEW.from_status AND t.stay_days IS NOT NULL
            );
            RETURN NEW;
        END
"""


def upgrade() -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION case_transition_first_stay() RETURNS trigger LANGUAGE plpgsql "
        f"SET plan_cache_mode = force_custom_plan AS $${_BODY}$$"
    )


def downgrade() -> None:
    op.execute(
        f"CREATE OR REPLACE FUNCTION case_transition_first_stay() RETURNS trigger LANGUAGE plpgsql AS $${_BODY_0025}$$"
    )
