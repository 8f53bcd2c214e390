"""Idempotency-Key for creating POSTs: the same key and body answer the first response again; the same key
with another body is refused (422); a concurrent duplicate loses on the primary key (409)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases.models import IdempotencyRecord
from src.db import flush_or_conflict
from src.errors import Unprocessable

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe creation: the same key and body answer the first response again.",
    ),
]


def _fingerprint(body: BaseModel) -> bytes:
    return hashlib.sha256(body.model_dump_json(exclude_unset=False).encode()).digest()


async def replay(
    session: AsyncSession, principal: Principal, key: str, body: BaseModel, *, resource_type: str
) -> JSONResponse | None:
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == principal.id, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != _fingerprint(body):
        raise Unprocessable(
            "This Idempotency-Key was used with another body.",
            extra={
                "errors": [{"loc": ["header", "Idempotency-Key"], "msg": "key reused with a different body"}]
            },
        )
    resource_id = record.response_body.get("id")
    await audit.record(
        session,
        principal.actor,
        f"{resource_type}.read",
        resource_type=resource_type,
        resource_id=uuid.UUID(resource_id) if resource_id else None,
        detail={"idempotent_replay": True},
    )
    return JSONResponse(
        record.response_body, status_code=record.status_code, headers={"Idempotent-Replayed": "true"}
    )


async def remember(
    session: AsyncSession,
    principal: Principal,
    key: str,
    body: BaseModel,
    status_code: int,
    response: dict[str, Any],
) -> None:
    session.add(
        IdempotencyRecord(
            principal_id=principal.id,
            key=key,
            request_hash=_fingerprint(body),
            status_code=status_code,
            response_body=response,
        )
    )
    await flush_or_conflict(
        session, "A request with this Idempotency-Key is in progress or done; retry to read it."
    )
