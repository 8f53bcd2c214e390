"""Idempotency-Key for creating POSTs: the same key and body answer the first response again; the same key
with another body is refused (422); a concurrent duplicate loses on the primary key (409).

Not offered where the first response holds a secret shown once (POST /v1/clients): replaying it would mean
storing the secret."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import LargeBinary, SmallInteger, String, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from src.audit import service as audit
from src.auth.principal import Principal
from src.crypto.fields import Sealed
from src.platform.errors import Unprocessable
from src.platform.session import Base, CreatedAt, flush_or_conflict


class IdempotencyRecord(CreatedAt, Base):
    """The first response to a creating POST, per caller and key."""

    __tablename__ = "idempotency_record"

    principal_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    status_code: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    # The first response repeats case data (names, phones, documents): sealed like the case itself.
    response_body_sealed: Mapped[bytes] = mapped_column("response_body", LargeBinary, nullable=False)
    response_body = Sealed[dict[str, Any]]("response_body", row_id="row_key", codec="json")

    @property
    def row_key(self) -> str:
        return f"{self.principal_id}/{self.key}"


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


def _fingerprint(body: BaseModel, target: str) -> bytes:
    """The request's identity: what it creates, where (a parent resource), and the validated body."""
    return hashlib.sha256(f"{target}\n{body.model_dump_json()}".encode()).digest()


async def replay(
    session: AsyncSession, principal: Principal, key: str, body: BaseModel, *, resource_type: str, target: str
) -> JSONResponse | None:
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == principal.id, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != _fingerprint(body, target):
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
    target: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    session.add(
        IdempotencyRecord(
            principal_id=principal.id,
            key=key,
            request_hash=_fingerprint(body, target),
            status_code=status_code,
            response_body=response,
        )
    )
    await flush_or_conflict(
        session, "A request with this Idempotency-Key is in progress or done; retry to read it."
    )


M = TypeVar("M", bound=BaseModel)


async def idempotent(
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    body: BaseModel,
    *,
    resource_type: str,
    create: Callable[[], Awaitable[M]],
    parent: object = None,
    status_code: int = 201,
    exclude_none: bool = False,
) -> M | JSONResponse:
    """Run `create` once per (caller, key): a retry with the same body gets the first response again."""
    target = f"{resource_type}:{parent or ''}"
    if key is not None:
        replayed = await replay(session, principal, key, body, resource_type=resource_type, target=target)
        if replayed is not None:
            return replayed
    created = await create()
    if key is not None:
        await remember(
            session,
            principal,
            key,
            body,
            target,
            status_code,
            created.model_dump(mode="json", exclude_none=exclude_none),
        )
    return created
