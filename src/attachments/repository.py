"""Attachment queries. Rows are scoped by their case: callers reach them only through a case the case guards
let them read (or a referral that names them), so every query here takes the case's id."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from src.attachments.models import Attachment, AttachmentChunk

# pg_advisory_xact_lock(class, key): uploads to one case check the case's total one at a time.
_UPLOAD_LOCK_CLASS = 18


async def get_of_case(
    session: AsyncSession, case_id: uuid.UUID, attachment_id: uuid.UUID, *, for_update: bool = False
) -> Attachment | None:
    query = select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def list_of_case(
    session: AsyncSession,
    case_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    only: Collection[uuid.UUID] | None = None,
    violation_id: uuid.UUID | None = None,
    redress_action_id: uuid.UUID | None = None,
) -> list[Attachment]:
    """Newest first; `only`: just these ids (a referral's evidence), and only those with content;
    `violation_id`, `redress_action_id`: only the evidence linked to that violation or redress action."""
    query = select(Attachment).where(Attachment.case_id == case_id)
    if violation_id is not None:
        query = query.where(Attachment.violation_ids.contains([violation_id]))
    if redress_action_id is not None:
        query = query.where(Attachment.redress_action_ids.contains([redress_action_id]))
    if only is not None:
        query = query.where(
            Attachment.id.in_(list(only)),
            Attachment.deleted_at.is_(None),
            Attachment.content_removed_at.is_(None),
        )
    if before is not None:
        query = query.where(Attachment.id < before)
    return list((await session.scalars(query.order_by(Attachment.id.desc()).limit(limit))).all())


async def ids_with_content(
    session: AsyncSession, case_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` are the case's attachments with content (not deleted nor removed)."""
    query = select(Attachment.id).where(
        Attachment.case_id == case_id,
        Attachment.id.in_(list(ids)),
        Attachment.deleted_at.is_(None),
        Attachment.content_removed_at.is_(None),
    )
    return set((await session.scalars(query)).all())


async def lock_case_uploads(session: AsyncSession, case_id: uuid.UUID) -> None:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:class, hashtext(:case))"),
        {"class": _UPLOAD_LOCK_CLASS, "case": str(case_id)},
    )


async def stored_bytes(session: AsyncSession, case_id: uuid.UUID) -> int:
    """What the case's attachments with content take (the per-case limit counts these)."""
    query = select(func.coalesce(func.sum(Attachment.size), 0)).where(
        Attachment.case_id == case_id,
        Attachment.deleted_at.is_(None),
        Attachment.content_removed_at.is_(None),
    )
    return int(await session.scalar(query) or 0)


async def remove_chunks(session: AsyncSession, attachment_ids: Collection[uuid.UUID]) -> None:
    if attachment_ids:
        await session.execute(
            delete(AttachmentChunk).where(AttachmentChunk.attachment_id.in_(list(attachment_ids)))
        )
