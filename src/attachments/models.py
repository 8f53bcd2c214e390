"""Attachment tables: the file's record (and, once deleted, its tombstone) and its sealed chunks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from src.cases.taxonomies import TAXONOMIES
from src.crypto.fields import Sealed
from src.platform.ids import uuid7
from src.platform.session import Base, CreatedAt

# The upload's categories are a taxonomy (labels in en, ru, ky); the schema's Literal is held to it by
# tests/cases/test_reference.py, and migration 0022 keeps its own copy (migrations import nothing from src).
CATEGORIES = tuple(TAXONOMIES["attachment_category"])


class Attachment(CreatedAt, Base):
    __tablename__ = "attachment"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    description_sealed: Mapped[bytes | None] = mapped_column("description", LargeBinary)
    description = Sealed[str | None]("description")
    media_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    original_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    original_sha256: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # The key the chunks were sealed with at upload (`ukuk keys rotate` moves it); each chunk names its own.
    key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    chunk_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    chunk_count: Mapped[int] = mapped_column(Integer, nullable=False)
    violation_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID), nullable=False, server_default=text("'{}'")
    )
    redress_action_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID), nullable=False, server_default=text("'{}'")
    )
    metadata_kept: Mapped[bool] = mapped_column(nullable=False, server_default=text("false"))
    created_by: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(UUID)
    deletion_reason_sealed: Mapped[bytes | None] = mapped_column("deletion_reason", LargeBinary)
    deletion_reason = Sealed[str | None]("deletion_reason")
    content_removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"category IN {CATEGORIES}", name="category"),
        CheckConstraint("size > 0 AND original_size > 0", name="size"),
        CheckConstraint("chunk_bytes > 0 AND chunk_count >= 0", name="chunks"),
        Index("ix_attachment_case_id_id", "case_id", "id"),
    )

    @property
    def content_available(self) -> bool:
        return self.deleted_at is None and self.content_removed_at is None


class AttachmentChunk(Base):
    """One sealed piece of a file. Associated data: the attachment's id, the index and whether it is the last
    (src/attachments/sealing.py), so chunks cannot be reordered, moved to another file or cut off."""

    __tablename__ = "attachment_chunk"

    attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        primary_key=True,
    )
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    __table_args__ = (CheckConstraint('"index" >= 0', name="index"),)
