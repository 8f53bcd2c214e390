"""HTTP for attachments: the upload reads the raw request body as a stream (the file's bytes, its type in
Content-Type, the rest in the query and one header); downloads stream back decrypted, chunk by chunk."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import unquote

import structlog
from fastapi import Header, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect

from src.attachments import media, service, sharing
from src.attachments.schemas import (
    DESCRIPTION_MAX,
    AttachmentCreated,
    AttachmentDeletion,
    AttachmentRead,
    Category,
    SharedAttachmentRead,
)
from src.attachments.storage import Span, first_part, read_span
from src.auth.dependencies import CurrentPrincipal
from src.platform.config import Settings
from src.platform.dependencies import AppSettings
from src.platform.errors import AppError, PayloadTooLarge, Unprocessable, problem_responses
from src.platform.pagination import Cursor, Limit, build_page, decode_cursor, uuid_after
from src.platform.routing import Router
from src.platform.schemas import Page, has_control_characters
from src.platform.session import DbSession

log = structlog.get_logger("ukuk.attachments")

router = Router(prefix="/v1", responses=problem_responses(401, 422), tags=["attachments"])

CaseId = Annotated[uuid.UUID, Path()]
AttachmentId = Annotated[uuid.UUID, Path()]
ReferralId = Annotated[uuid.UUID, Path()]
RangeHeader = Annotated[
    str | None,
    Header(
        alias="Range",
        max_length=100,
        description="`bytes=first-last`, `bytes=first-` or `bytes=-suffix`: one range (206). Several ranges "
        "or another unit: the whole file (200).",
    ),
]
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# The default of UKUK_ATTACHMENT_MAX_BYTES (a deployment may set another; the 413 says which).
_UPLOAD = {"schema": {"type": "string", "format": "binary", "maxLength": Settings().attachment_max_bytes}}
# A file's bytes have no JSON form: the example is a plain-text witness statement.
_TEXT_EXAMPLE = (
    "Показания свидетеля Ивана Петрова, 20.11.2026. Я работал с Айгүл Токтогуловой на стройке по адресу "
    "г. Москва, ул. Люблинская, д. 12 с августа по ноябрь 2026 года. Прораб забрал у неё паспорт в первый "
    "день и не выплачивал зарплату с августа.\n"
)
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes, as they are (not multipart, not base64). Content-Type declares "
        "its type (application/octet-stream: let the content decide); a type the content contradicts is 415.",
        "content": {
            media_type: {**_UPLOAD, "example": _TEXT_EXAMPLE} if media_type == "text/plain" else _UPLOAD
            for media_type in (*media.ALLOWED, "application/octet-stream")
        },
    }
}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file.", "content": {"application/octet-stream": _BINARY}},
    206: {
        "description": "The range asked for (Content-Range says which).",
        "content": {"application/octet-stream": _BINARY},
    },
    **problem_responses(403, 404, 409, 416),
}


class UploadInterrupted(AppError):
    status, code, title = 400, "upload-interrupted", "Upload interrupted"


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives; a client that goes away midway rolls the upload back."""
    try:
        async for piece in request.stream():
            yield piece
    except ClientDisconnect as exc:
        raise UploadInterrupted("The connection closed before the whole file arrived.") from exc


def _description(value: str | None) -> str | None:
    """The description header: UTF-8, percent-encoded (headers carry only ASCII)."""
    if value is None:
        return None
    try:
        text = unquote(value, errors="strict").strip()
    except UnicodeDecodeError:
        text = None
    if text is None or has_control_characters(text) or len(text) > DESCRIPTION_MAX:
        raise Unprocessable.at(
            ["header", "attachment-description"],
            f"percent-encoded UTF-8 text of at most {DESCRIPTION_MAX} characters, no control characters",
        )
    return text or None


@router.post(
    "/cases/{case_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentCreated,
    responses=problem_responses(403, 404, 409, 413, 415),
    openapi_extra=UPLOAD_BODY,
    summary="Upload an attachment",
)
async def upload_attachment(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    case_id: CaseId,
    category: Annotated[Category, Query()],
    violation_id: Annotated[
        list[uuid.UUID], Query(max_length=50, description="A violation of the case it supports (repeat).")
    ] = [],  # noqa: B006  (FastAPI copies defaults)
    redress_action_id: Annotated[
        list[uuid.UUID],
        Query(max_length=50, description="A redress action of the case it supports (repeat)."),
    ] = [],  # noqa: B006
    keep_metadata: Annotated[
        bool,
        Query(description="Keep an image's location and device metadata (audited). Default: taken out."),
    ] = False,
    description: Annotated[
        str | None,
        Header(
            alias="Attachment-Description",
            max_length=3 * 4 * DESCRIPTION_MAX,
            description="What the file is, UTF-8 percent-encoded (sealed at rest; never in a URL).",
        ),
    ] = None,
) -> AttachmentCreated:
    """Upload one evidence file to the case: the body is the file itself (not multipart), streamed. It is
    hashed, its type detected from its first bytes, an image's location and device metadata taken out
    (unless `keep_metadata`, audited), and it is sealed and stored chunk by chunk as it arrives, never
    whole in memory nor on disk. `category` says what the file is (the attachment_category taxonomy); link
    it to violations and redress actions of the case with `violation_id` and `redress_action_id`.

    The case's writers (403 otherwise; 404 for an unseen case). Empty: 422; over the per-file or per-case
    limit: 413; a type not allowed or contradicted by the content: 415. Nothing of a refused or interrupted
    upload is stored."""
    declared_length = request.headers.get("content-length")
    if (
        declared_length is not None
        and declared_length.isdigit()
        and int(declared_length) > settings.attachment_max_bytes
    ):
        raise PayloadTooLarge(f"A file may be at most {settings.attachment_max_bytes} bytes.")
    meta = service.UploadMeta(
        category=category,
        description=_description(description),
        violation_ids=list(dict.fromkeys(violation_id)),
        redress_action_ids=list(dict.fromkeys(redress_action_id)),
        keep_metadata=keep_metadata,
    )
    return await service.upload(
        session, principal, settings, case_id, meta, request.headers.get("content-type"), _body(request)
    )


@router.get(
    "/cases/{case_id}/attachments",
    response_model=Page[AttachmentRead],
    responses=problem_responses(404),
    summary="List a case's attachments",
)
async def list_attachments(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    violation_id: Annotated[
        uuid.UUID | None, Query(description="Only the evidence of this violation.")
    ] = None,
    redress_action_id: Annotated[
        uuid.UUID | None, Query(description="Only the evidence of this redress action.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AttachmentRead]:
    """The case's attachments, newest first, keyset-paged, without content; deleted ones as tombstones (hash,
    size). `violation_id` or `redress_action_id`: only the evidence linked to that violation or redress
    action. Whoever may read the case (404 otherwise)."""
    items = await service.list_attachments(
        session,
        principal,
        case_id,
        before=uuid_after(decode_cursor(cursor, 1)),
        limit=limit + 1,
        violation_id=violation_id,
        redress_action_id=redress_action_id,
    )
    return build_page(request, response, items, limit)


async def _file_response(request: Request, download: service.Download) -> StreamingResponse:
    attachment = download.attachment
    span = Span(attachment.id, attachment.chunk_bytes, attachment.chunk_count, download.start, download.end)
    engine = request.app.state.engine
    sessionmaker = request.app.state.sessionmaker
    first = await first_part(engine, span)

    async def record(failure: AppError) -> None:
        # The request's own transaction committed before the first byte: the refusal's audit goes alone.
        async with sessionmaker() as session:
            for write in failure.after_rollback:
                await write(session)
            await session.commit()
        log.error("attachment_stream_failed", attachment_id=str(attachment.id), error=failure.code)

    extension = media.EXTENSIONS.get(attachment.media_type, "bin")
    name = f"{attachment.category}-{attachment.id.hex[:12]}.{extension}"
    headers = {
        "Content-Length": str(download.end - download.start + 1),
        # The name is made here from the category and id (ASCII letters, digits, - _ .): never the uploader's.
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}",
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "no-store",
        "Accept-Ranges": "bytes",
    }
    if download.partial:
        headers["Content-Range"] = f"bytes {download.start}-{download.end}/{attachment.size}"
    else:
        headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(attachment.sha256).decode()}:"
    return StreamingResponse(
        read_span(engine, span, first, record),
        status_code=206 if download.partial else 200,
        media_type=attachment.media_type,
        headers=headers,
    )


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}/content",
    response_class=StreamingResponse,
    responses=FILE_RESPONSES,
    summary="Download an attachment",
)
async def download_attachment(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    attachment_id: AttachmentId,
    range_: RangeHeader = None,
) -> StreamingResponse:
    """The file, decrypted as it streams, as an attachment to save (never to render: a sandbox CSP). One byte
    range with `Range` (206); a range outside the file is 416. Whoever may read the case (404 otherwise,
    and for a deleted attachment's content). Audited as a read."""
    download = await service.open_download(session, principal, case_id, attachment_id, range_)
    return await _file_response(request, download)


@router.delete(
    "/cases/{case_id}/attachments/{attachment_id}",
    response_model=AttachmentRead,
    responses=problem_responses(403, 404, 409),
    summary="Delete an attachment",
)
async def delete_attachment(
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    attachment_id: AttachmentId,
    body: AttachmentDeletion,
) -> AttachmentRead:
    """Delete an attachment, saying why in `reason`: its content goes, a tombstone with its hash and size
    stays. Supervisors and coordinators of the owning organization (403 otherwise; 404 for an unseen case or
    attachment). Under legal hold, or already deleted: 409."""
    return await service.delete(session, principal, case_id, attachment_id, body.reason)


@router.get(
    "/referrals/{referral_id}/attachments",
    response_model=Page[SharedAttachmentRead],
    responses=problem_responses(403, 404),
    summary="List a referral's shared attachments",
)
async def list_referral_attachments(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    referral_id: ReferralId,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SharedAttachmentRead]:
    """The evidence a referral shares, for its recipient while the referral is open and consent holds (404
    otherwise; 403 for the sender, who reads the case's own list)."""
    items = await sharing.list_shared(
        session, principal, referral_id, before=uuid_after(decode_cursor(cursor, 1)), limit=limit + 1
    )
    return build_page(request, response, items, limit)


@router.get(
    "/referrals/{referral_id}/attachments/{attachment_id}/content",
    response_class=StreamingResponse,
    responses=FILE_RESPONSES,
    summary="Download a shared attachment",
)
async def download_referral_attachment(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    referral_id: ReferralId,
    attachment_id: AttachmentId,
    range_: RangeHeader = None,
) -> StreamingResponse:
    """A shared file, for the referral's recipient while it is open and consent holds (404 otherwise),
    streamed like `GET /v1/cases/{case_id}/attachments/{attachment_id}/content` (one byte range: 206). The
    read is audited on the case, naming the referral."""
    download = await sharing.open_shared(session, principal, referral_id, attachment_id, range_)
    return await _file_response(request, download)
