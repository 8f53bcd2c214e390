"""attachments (evidence): an encrypted file per row of `attachment_chunk`, the file's record and tombstone in
`attachment`; the attachments a referral shares (`referral.evidence`)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As src/attachments/models.py says them (migrations import no application code).
CATEGORIES = (
    "passport_or_id",
    "contract",
    "wage_or_payment_record",
    "photo",
    "medical_record",
    "police_or_court_document",
    "message_screenshot",
    "audio_or_video_testimony",
    "other",
)


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "case_id", UUID(as_uuid=True), sa.ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("description", sa.LargeBinary(), nullable=True),  # sealed
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),  # of the stored bytes
        sa.Column("original_size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(), nullable=False),  # of the stored bytes
        sa.Column("original_sha256", sa.LargeBinary(), nullable=False),  # of the bytes uploaded
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("chunk_bytes", sa.Integer(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("violation_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=sa.text("'{}'")),
        sa.Column(
            "redress_action_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=sa.text("'{}'")
        ),
        sa.Column("metadata_kept", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("created_by", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", UUID(as_uuid=True), nullable=True),
        sa.Column("deletion_reason", sa.LargeBinary(), nullable=True),  # sealed
        sa.Column("content_removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"category IN {CATEGORIES}", name="category"),
        sa.CheckConstraint("size > 0 AND original_size > 0", name="size"),
        sa.CheckConstraint("chunk_bytes > 0 AND chunk_count >= 0", name="chunks"),
    )
    op.create_index("ix_attachment_case_id_id", "attachment", ["case_id", "id"])
    op.create_table(
        "attachment_chunk",
        # Deferred: an upload writes its chunks as they are sealed and its attachment row at the end, in one
        # transaction; a failed upload leaves neither.
        sa.Column(
            "attachment_id",
            UUID(as_uuid=True),
            sa.ForeignKey("attachment.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
            nullable=False,
        ),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),  # sealed
        sa.PrimaryKeyConstraint("attachment_id", "index", name="pk_attachment_chunk"),
        sa.CheckConstraint('"index" >= 0', name="index"),
    )
    # Ciphertext does not compress: store it out of line without trying.
    op.execute("ALTER TABLE attachment_chunk ALTER COLUMN content SET STORAGE EXTERNAL")
    op.add_column(
        "referral",
        sa.Column("evidence", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=sa.text("'{}'")),
    )


def downgrade() -> None:
    op.drop_column("referral", "evidence")
    op.drop_table("attachment_chunk")
    op.drop_table("attachment")
