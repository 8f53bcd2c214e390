"""identity protection: sealed sensitive columns, name skeletons, document blind index, case links,
legal hold and anonymisation

Existing plaintext is encrypted here in batches with the process's keyring (settings, or the data dir's
generated keys), the same one the API will read with.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, column, row id expression (as the application binds it), codec, nullable
SEALED = [
    ("case_file", "summary", "id::text", "text", False),
    ("case_file", "details", "id::text", "json", False),
    ("case_person", "document_number", "id::text", "text", True),
    ("case_person", "phone", "id::text", "text", True),
    ("case_violation", "location", "id::text", "text", True),
    ("case_violation", "description", "id::text", "text", True),
    ("case_note", "body", "id::text", "text", False),
    ("case_transition", "reason", "id::text", "text", True),
    ("referral", "reason", "id::text", "text", False),
    ("referral", "status_note", "id::text", "text", True),
    ("referral_update", "body", "id::text", "text", True),
    ("webhook_endpoint", "secret", "organization_id::text", "text", False),
    ("webhook_endpoint", "previous_secret", "organization_id::text", "text", True),
    ("idempotency_record", "response_body", "principal_id::text || '/' || key", "json", False),
]
BATCH = 1000


def _plain(value: object, codec: str) -> object:
    # jsonb may arrive decoded or as its text, depending on the driver's codecs
    return json.loads(value) if codec == "json" and isinstance(value, str) else value


def _seal_column(table: str, column: str, row_expr: str, codec: str, nullable: bool) -> None:
    from src.crypto.fields import seal_value

    bind = op.get_bind()
    op.add_column(table, sa.Column(f"{column}_sealed", sa.LargeBinary(), nullable=True))
    select = f"SELECT ctid::text, {row_expr}, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
    update = f"UPDATE {table} SET {column}_sealed = :sealed WHERE ctid = CAST(:ctid AS tid)"  # noqa: S608
    rows = bind.execute(sa.text(select)).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        bind.execute(
            sa.text(update),
            [
                {"ctid": ctid, "sealed": seal_value(table, column, row_id, _plain(value, codec), codec=codec)}
                for ctid, row_id, value in batch
            ],
        )
    op.drop_column(table, column)
    op.alter_column(table, f"{column}_sealed", new_column_name=column, nullable=nullable)


def upgrade() -> None:
    op.alter_column("case_file", "details", server_default=None)
    for table, column, row_expr, codec, nullable in SEALED:
        _seal_column(table, column, row_expr, codec, nullable)

    op.add_column("case_person", sa.Column("name_key", sa.String(400), server_default="", nullable=False))
    op.add_column("case_person", sa.Column("document_number_index", sa.LargeBinary(32), nullable=True))
    _fill_name_keys_and_blind_index()
    op.create_index(
        "ix_case_person_name_key_trgm",
        "case_person",
        ["name_key"],
        postgresql_using="gin",
        postgresql_ops={"name_key": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_case_person_document_number_index",
        "case_person",
        ["document_number_index"],
        postgresql_where=sa.text("document_number_index IS NOT NULL"),
    )

    op.add_column("case_file", sa.Column("legal_hold", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("case_file", sa.Column("legal_hold_reason", sa.String(500), nullable=True))
    op.add_column("case_file", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "case_link",
        sa.Column("id", postgresql.UUID(), primary_key=True),
        sa.Column(
            "case_id", postgresql.UUID(), sa.ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "other_case_id",
            postgresql.UUID(),
            sa.ForeignKey("case_file.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("created_by", postgresql.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "type IN ('duplicate', 'related', 'sibling', 'same_perpetrator')", name="ck_case_link_type"
        ),
        sa.CheckConstraint("case_id < other_case_id", name="ck_case_link_ordered_pair"),
    )
    op.create_index("uq_case_link_pair_type", "case_link", ["case_id", "other_case_id", "type"], unique=True)
    op.create_index("ix_case_link_other_case_id", "case_link", ["other_case_id"])


def _fill_name_keys_and_blind_index() -> None:
    from src.cases.names import skeleton
    from src.crypto.fields import blind_index, unseal

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, full_name, document_number FROM case_person")).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        bind.execute(
            sa.text("UPDATE case_person SET name_key = :key, document_number_index = :index WHERE id = :id"),
            [
                {
                    "id": person_id,
                    "key": skeleton(full_name),
                    "index": blind_index(unseal("case_person", "document_number", person_id, number).decode())
                    if number is not None
                    else None,
                }
                for person_id, full_name, number in batch
            ],
        )


def downgrade() -> None:
    raise NotImplementedError("0008 encrypts data in place: restore a backup to go back")
