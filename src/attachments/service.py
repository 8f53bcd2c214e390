"""Attachment use cases on a case: upload (streamed, inspected, sealed chunk by chunk), list, open for
download, delete to a tombstone. Every one audited on the case, so the case's access log shows it."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from src.attachments import images, media, repository
from src.attachments.models import Attachment
from src.attachments.schemas import AttachmentCreated, AttachmentRead
from src.attachments.storage import ChunkWriter
from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import guards, policies
from src.cases import repository as cases_repository
from src.platform import clock
from src.platform.config import Settings
from src.platform.errors import AppError, Conflict, PayloadTooLarge, Unprocessable
from src.platform.ids import uuid7
from src.redress import repository as redress_repository


@dataclass(frozen=True)
class UploadMeta:
    category: str
    description: str | None = None
    violation_ids: list[uuid.UUID] = field(default_factory=list)
    redress_action_ids: list[uuid.UUID] = field(default_factory=list)
    keep_metadata: bool = False


def hex_of(digest: bytes) -> str:
    return digest.hex()


def state_of(attachment: Attachment) -> str:
    if attachment.deleted_at is not None:
        return "deleted"
    if attachment.content_removed_at is not None:
        return "removed_under_retention"
    return "stored"


def attachment_read(attachment: Attachment) -> AttachmentRead:
    return AttachmentRead(
        id=attachment.id,
        category=attachment.category,
        description=attachment.description,
        media_type=attachment.media_type,
        size=attachment.size,
        sha256=hex_of(attachment.sha256),
        original_sha256=hex_of(attachment.original_sha256),
        violation_ids=list(attachment.violation_ids),
        redress_action_ids=list(attachment.redress_action_ids),
        metadata_kept=attachment.metadata_kept,
        created_by=attachment.created_by,
        created_at=attachment.created_at,
        state=state_of(attachment),
        deleted_at=attachment.deleted_at,
        deleted_by=attachment.deleted_by,
        deletion_reason=attachment.deletion_reason,
    )


async def _check_links(session: AsyncSession, case_id: uuid.UUID, meta: UploadMeta) -> None:
    if meta.violation_ids:
        _, violations, _ = await cases_repository.children(session, case_id)
        unknown = set(meta.violation_ids) - {v.id for v in violations}
        if unknown:
            raise Unprocessable.at(["query", "violation_id"], "not a violation of this case")
    if meta.redress_action_ids:
        actions = await redress_repository.list_actions(session, case_id)
        unknown = set(meta.redress_action_ids) - {a.id for a in actions}
        if unknown:
            raise Unprocessable.at(["query", "redress_action_id"], "not a redress action of this case")


def _too_large(detail: str) -> PayloadTooLarge:
    return PayloadTooLarge(detail)


async def upload(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    case_id: uuid.UUID,
    meta: UploadMeta,
    content_type: str | None,
    body: AsyncIterator[bytes],
) -> AttachmentCreated:
    """Reads `body` as it arrives: hashes what was sent, detects the type from the first bytes, filters image
    metadata out, and seals and inserts each chunk in the request's transaction. Any refusal or failure
    before the end rolls back every chunk written: nothing of a failed upload stays."""
    action = "case.attachment.create"
    case = await guards.writable_case(session, principal, case_id, action)
    declared = media.declared_type(content_type)
    await _check_links(session, case.id, meta)
    case_limit = settings.attachment_case_total_bytes
    if await repository.stored_bytes(session, case.id) >= case_limit:
        raise _too_large(f"The case's attachments already take the {case_limit} bytes a case may hold.")
    attachment_id = uuid7()
    writer = ChunkWriter(session, attachment_id, settings.attachment_chunk_bytes)
    original = hashlib.sha256()
    received = 0
    head = bytearray()
    detected: str | None = None
    flow: media.Filter | None = None
    async for piece in body:
        if not piece:
            continue
        received += len(piece)
        if received > settings.attachment_max_bytes:
            raise _too_large(f"A file may be at most {settings.attachment_max_bytes} bytes.")
        original.update(piece)
        if flow is None:
            head += piece
            if len(head) < media.SNIFF_BYTES:
                continue
            detected = media.resolve(declared, media.sniff(bytes(head)))
            flow = images.filter_for(detected, meta.keep_metadata)
            writer.hashing = flow.changes_bytes  # else what is stored is what was sent, hashed already
            piece, head = bytes(head), bytearray()
        await writer.write(flow.feed(piece))
    if received == 0:
        raise Unprocessable.at(["body"], "empty", "The file is empty.")
    if flow is None:
        detected = media.resolve(declared, media.sniff(bytes(head)))
        flow = images.filter_for(detected, meta.keep_metadata)
        writer.hashing = flow.changes_bytes
        await writer.write(flow.feed(bytes(head)))
    await writer.write(flow.close())
    await writer.finish()
    assert detected is not None
    if writer.size == 0:
        raise Unprocessable.at(["body"], "empty", "Nothing of the file is left to store.")
    # Concurrent uploads to one case take turns here, only for this check and the insert.
    await repository.lock_case_uploads(session, case.id)
    if await repository.stored_bytes(session, case.id) + writer.size > case_limit:
        raise _too_large(f"The case's attachments may take at most {case_limit} bytes together.")
    attachment = Attachment(
        id=attachment_id,
        case_id=case.id,
        category=meta.category,
        media_type=detected,
        size=writer.size,
        original_size=received,
        sha256=writer.sha256.digest() if writer.hashing else original.digest(),
        original_sha256=original.digest(),
        key_id=writer.key_id,
        chunk_bytes=writer.chunk_bytes,
        chunk_count=writer.count,
        violation_ids=meta.violation_ids,
        redress_action_ids=meta.redress_action_ids,
        metadata_kept=meta.keep_metadata and detected in media.IMAGES,
        created_by=principal.id,
        created_at=clock.utcnow(),
    )
    attachment.description = meta.description
    session.add(attachment)
    await session.flush()
    removed = attachment.sha256 != attachment.original_sha256
    await audit.record(
        session,
        principal.actor,
        action,
        resource_type="case",
        resource_id=case.id,
        changed_fields=["attachments"],
        detail={
            "attachment_id": str(attachment.id),
            "category": attachment.category,
            "media_type": attachment.media_type,
            "size": attachment.size,
            "sha256": hex_of(attachment.sha256),
            "metadata_removed": removed,
            "metadata_kept": attachment.metadata_kept,
        },
    )
    return AttachmentCreated(
        id=attachment.id,
        size=attachment.size,
        media_type=attachment.media_type,
        sha256=hex_of(attachment.sha256),
        original_sha256=hex_of(attachment.original_sha256),
        metadata_removed=removed,
    )


async def list_attachments(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    violation_id: uuid.UUID | None = None,
    redress_action_id: uuid.UUID | None = None,
) -> list[AttachmentRead]:
    action = "case.attachment.list"
    case = await guards.readable_case(session, principal, case_id, action)
    found = await repository.list_of_case(
        session,
        case.id,
        before=before,
        limit=limit,
        violation_id=violation_id,
        redress_action_id=redress_action_id,
    )
    await audit.record(
        session,
        principal.actor,
        action,
        resource_type="case",
        resource_id=case.id,
        detail={"attachment_ids": [str(a.id) for a in found[: limit - 1]]},
    )
    return [attachment_read(a) for a in found]


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    start: int
    end: int  # inclusive
    partial: bool


_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})", re.ASCII | re.IGNORECASE)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range `Range: bytes=` asks for, clipped to the file; None: the whole file (no header, or one
    this server ignores as RFC 9110 allows: several ranges, other units, bad syntax). Raises
    `RangeNotSatisfiable` for a range wholly past the end."""
    found = _RANGE.fullmatch(header.strip()) if header is not None else None
    if found is None or found.groups() == ("", ""):
        return None
    first, last = found.groups()
    if not first:  # the last N bytes
        if int(last) == 0:
            raise RangeNotSatisfiable(size)
        return max(size - int(last), 0), size - 1
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(size)
    return start, min(int(last), size - 1) if last else size - 1


class RangeNotSatisfiable(AppError):
    status, code, title = 416, "range-not-satisfiable", "Range not satisfiable"

    def __init__(self, size: int) -> None:
        super().__init__(
            f"The file has {size} bytes; the range asks for none of them.",
            headers={"Content-Range": f"bytes */{size}"},
        )


async def open_download(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    attachment_id: uuid.UUID,
    range_header: str | None,
    *,
    via_referral: uuid.UUID | None = None,
) -> Download:
    """The attachment to stream, audited as read (by a partner: naming the referral it came through)."""
    action = "case.attachment.read"
    if via_referral is None:
        case = await guards.readable_case(session, principal, case_id, action)
        case_id = case.id
    attachment = await repository.get_of_case(session, case_id, attachment_id)
    if attachment is None or not attachment.content_available:
        raise audit.not_found(principal.actor, action, "attachment", attachment_id)
    wanted = byte_range(range_header, attachment.size)
    start, end = wanted if wanted is not None else (0, attachment.size - 1)
    detail: dict[str, object] = {"attachment_id": str(attachment.id)}
    if wanted is not None:
        detail["range"] = [start, end]
    if via_referral is not None:
        detail["via_referral"] = str(via_referral)
    await audit.record(
        session, principal.actor, action, resource_type="case", resource_id=case_id, detail=detail
    )
    return Download(attachment, start, end, wanted is not None)


async def delete(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID, reason: str
) -> AttachmentRead:
    """The case's supervisor deletes: the chunks go, a tombstone (hash, size, who, when, why) stays."""
    action = "case.attachment.delete"
    case = await guards.readable_case(session, principal, case_id, action)
    attachment = await repository.get_of_case(session, case.id, attachment_id, for_update=True)
    if attachment is None:
        raise audit.not_found(principal.actor, action, "attachment", attachment_id)
    if not policies.may_supervise(principal, case.owner_organization_id):
        raise guards.denied(principal, action, case.id, "The case's supervisor deletes attachments.")
    guards.not_anonymised(case)
    if case.legal_hold:
        raise Conflict("The case is under legal hold: its attachments cannot be deleted.")
    if attachment.deleted_at is not None:
        raise Conflict("This attachment was already deleted.")
    await repository.remove_chunks(session, [attachment.id])
    attachment.deleted_at = clock.utcnow()
    attachment.deleted_by = principal.id
    attachment.deletion_reason = reason
    attachment.description = None
    await session.flush()
    await audit.record(
        session,
        principal.actor,
        action,
        resource_type="case",
        resource_id=case.id,
        changed_fields=["attachments"],
        detail={"attachment_id": str(attachment.id), "sha256": hex_of(attachment.sha256)},
    )
    return attachment_read(attachment)
