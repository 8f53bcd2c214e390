"""HTTP for audit reading: events, verification, a case's access log."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated

from fastapi import Path, Query, Request, Response

from src.audit import reading
from src.audit.checkpoints import CheckpointKey
from src.audit.schemas import (
    AuditEventRead,
    CheckpointRead,
    ConsistencyRead,
    PublicKeyRead,
    PublicKeys,
    VerificationRead,
)
from src.auth.dependencies import CurrentPrincipal
from src.platform.dependencies import AppSettings
from src.platform.errors import problem_responses
from src.platform.pagination import Cursor, Limit, build_page, decode_cursor, int_after
from src.platform.routing import Router
from src.platform.schemas import IsoDateTime, Page
from src.platform.session import DbSession

router = Router(prefix="/v1", tags=["audit"], responses=problem_responses(401, 403, 422))


def _before(cursor: str | None) -> int | None:
    """The event id a page continues before: signed by us for this list, and a bigint (not a bool)."""
    return int_after(decode_cursor(cursor, 1))


@router.get("/audit/events", response_model=Page[AuditEventRead], summary="List audit events")
async def list_audit_events(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    actor_id: uuid.UUID | None = None,
    resource_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    from_: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    to: IsoDateTime | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEventRead]:
    """Audit events, newest first, keyset-paged: ids, actions and outcomes, never personal data. Auditors
    (oversight bodies) read every organization's events, supervisors their organization's; other callers
    403. Filter by actor, resource, action and time (`from`, `to`)."""
    filters = {"actor_id": actor_id, "resource_id": resource_id, "action": action, "from": from_, "to": to}
    rows = await reading.list_events(
        session, principal, filters=filters, before=_before(cursor), limit=limit + 1
    )
    return build_page(
        request, response, [reading.event_read(e, s) for e, s in rows], limit, lambda item: [item.id]
    )


@router.get("/audit/verify", response_model=VerificationRead, summary="Verify the audit chain")
async def verify_audit_chain(
    session: DbSession, settings: AppSettings, principal: CurrentPrincipal
) -> VerificationRead:
    """Recompute the hash chain: whether it holds, how many events were checked, the first broken seq and the
    head hash, and events left unsequenced too long. Auditors only (403 otherwise)."""
    return VerificationRead.model_validate((await reading.verify(session, principal, settings)).__dict__)


@router.get(
    "/cases/{case_id}/access-log",
    response_model=Page[AuditEventRead],
    responses=problem_responses(404),
    summary="Read a case's access log",
)
async def read_case_access_log(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: Annotated[uuid.UUID, Path()],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEventRead]:
    """Who read or changed the case, newest first, keyset-paged: the events about it and the list pages that
    showed it. Supervisors of the owning organization and auditors; another caller who may see the case
    gets 403, one who may not 404."""
    rows = await reading.access_log(session, principal, case_id, before=_before(cursor), limit=limit + 1)
    return build_page(
        request, response, [reading.event_read(e, s) for e, s in rows], limit, lambda item: [item.id]
    )


def _checkpoint_key(request: Request) -> CheckpointKey:
    key: CheckpointKey = request.app.state.checkpoint_key
    return key


@router.get("/audit/checkpoint", response_model=CheckpointRead, summary="Take a signed audit checkpoint")
async def read_audit_checkpoint(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> CheckpointRead:
    """A signed statement (Ed25519) of the chain's size and head hash: keep it, and later prove the log only
    grew (`GET /v1/audit/consistency`). Auditors only (403 otherwise); audited."""
    taken = await reading.checkpoint(session, principal, _checkpoint_key(request))
    return CheckpointRead.model_validate(taken.__dict__)


@router.get("/audit/keys", response_model=PublicKeys, summary="List checkpoint signing keys")
async def list_audit_keys(request: Request, principal: CurrentPrincipal) -> PublicKeys:
    """The public keys that sign checkpoints (Ed25519, base64), by key id, to verify a checkpoint offline. Any
    signed-in caller."""
    key = _checkpoint_key(request)
    encoded = base64.b64encode(key.public_raw).decode()
    return PublicKeys(items=[PublicKeyRead(key_id=key.key_id, algorithm="Ed25519", public_key=encoded)])


@router.get("/audit/consistency", response_model=ConsistencyRead, summary="Read an audit consistency proof")
async def read_audit_consistency(
    session: DbSession,
    principal: CurrentPrincipal,
    from_size: Annotated[int, Query(ge=0)],
    to_size: Annotated[int, Query(ge=0)],
) -> ConsistencyRead:
    """The hashes at both sizes and the events between them, to recompute one checkpoint from the other.
    Auditors only (403 otherwise); a range outside the chain, or too long, is 422."""
    return ConsistencyRead.model_validate(
        await reading.consistency_proof(session, principal, from_size, to_size)
    )
