"""The bytes of an attachment in PostgreSQL: sealed chunk by chunk as they arrive, read back batch by batch.

Each chunk is AES-256-GCM under the active field key (src/crypto/fields.py's format: the key id travels with
it), its associated data the attachment's id, its index and whether it is the last one. A chunk moved to
another file or position fails to open; so does a file cut short (the last remaining chunk was sealed as
"more") or one whose chunk count was edited (the reader expects the last at `chunk_count - 1`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.attachments.models import AttachmentChunk
from src.crypto import fields, keys
from src.platform.errors import AppError, NotFound

TABLE, COLUMN = "attachment_chunk", "content"
# Chunks read per round trip when streaming a file back (a few MiB at the default chunk size).
READ_BATCH = 8

_INSERT = insert(AttachmentChunk)
_SELECT = text(
    "SELECT index, content FROM attachment_chunk "
    "WHERE attachment_id = :id AND index BETWEEN :first AND :last ORDER BY index"
)


def chunk_row_id(attachment_id: uuid.UUID | str, index: int, final: bool) -> str:
    """What a chunk's associated data names (`ukuk keys rotate` rebuilds the same in SQL)."""
    return f"{attachment_id}/{index}/{'last' if final else 'more'}"


def seal_chunk(attachment_id: uuid.UUID, index: int, final: bool, plaintext: bytes) -> bytes:
    return fields.seal(TABLE, COLUMN, chunk_row_id(attachment_id, index, final), plaintext)


def open_chunk(attachment_id: uuid.UUID, index: int, final: bool, sealed: bytes) -> bytes:
    return fields.unseal(TABLE, COLUMN, chunk_row_id(attachment_id, index, final), sealed)


class ChunkWriter:
    """Cuts the stored bytes into chunks of `chunk_bytes`, seals each and inserts it at once in the session's
    transaction. A chunk is sealed only once more bytes follow it (or at `finish`), so the last one is known
    when it is sealed. Holds at most one chunk and one incoming piece."""

    def __init__(self, session: AsyncSession, attachment_id: uuid.UUID, chunk_bytes: int) -> None:
        self.session = session
        self.hashing = True  # False: the caller knows the stored bytes' hash (they are the bytes it hashed)
        self.attachment_id = attachment_id
        self.chunk_bytes = chunk_bytes
        self.key_id = keys.current().active
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.count = 0
        self._buffer = bytearray()

    async def write(self, data: bytes) -> None:
        if not data:
            return
        if self.hashing:
            self.sha256.update(data)
        self.size += len(data)
        self._buffer += data
        while len(self._buffer) > self.chunk_bytes:
            chunk = bytes(self._buffer[: self.chunk_bytes])
            del self._buffer[: self.chunk_bytes]
            await self._insert(chunk, final=False)

    async def finish(self) -> None:
        if self._buffer:
            chunk = bytes(self._buffer)
            self._buffer.clear()
            await self._insert(chunk, final=True)

    async def _insert(self, chunk: bytes, *, final: bool) -> None:
        sealed = seal_chunk(self.attachment_id, self.count, final, chunk)
        await (await self.session.connection()).execute(
            _INSERT, {"attachment_id": self.attachment_id, "index": self.count, "content": sealed}
        )
        self.count += 1


class ContentMissing(NotFound):
    """Chunks went away between the check and the read (deleted, or removed under retention, meanwhile)."""

    def __init__(self) -> None:
        super().__init__("The file's content is no longer stored.")


@dataclass(frozen=True)
class Span:
    """Which stored bytes to send: `start` to `end` inclusive, of a file cut into chunks of `chunk_bytes`."""

    attachment_id: uuid.UUID
    chunk_bytes: int
    chunk_count: int
    start: int
    end: int

    @property
    def first(self) -> int:
        return self.start // self.chunk_bytes

    @property
    def last(self) -> int:
        return self.end // self.chunk_bytes

    def plain(self, position: int, sealed: bytes) -> bytes:
        """The part of chunk `position` inside the span, opened."""
        plain = open_chunk(self.attachment_id, position, position == self.chunk_count - 1, sealed)
        offset = position * self.chunk_bytes
        low, high = max(self.start - offset, 0), min(self.end - offset + 1, len(plain))
        return plain if (low, high) == (0, len(plain)) else plain[low:high]


async def _chunks(engine: AsyncEngine, span: Span, first: int, last: int) -> list[tuple[int, bytes]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(_SELECT, {"id": span.attachment_id, "first": first, "last": last})).all()
    if [row[0] for row in rows] != list(range(first, last + 1)):
        raise ContentMissing()
    return [(row[0], row[1]) for row in rows]


async def first_part(engine: AsyncEngine, span: Span) -> bytes:
    """The span's first chunk, opened before the answer starts: a missing or broken file is still a
    problem answer (404, or 409 `integrity-check-failed`, audited) rather than a cut connection."""
    [(position, sealed)] = await _chunks(engine, span, span.first, span.first)
    return span.plain(position, sealed)


async def read_span(
    engine: AsyncEngine,
    span: Span,
    first: bytes,
    on_failure: Callable[[AppError], Awaitable[None]],
) -> AsyncIterator[bytes]:
    """The span's plaintext, `first` (from `first_part`) then a chunk at a time, read in batches on a
    connection of their own, so a slow client holds no database connection while it reads. A chunk that
    fails to open or went missing mid-stream ends the stream (the client sees a cut connection, never wrong
    bytes) after `on_failure` has recorded it."""
    yield first
    index = span.first + 1
    while index <= span.last:
        batch_last = min(span.last, index + READ_BATCH - 1)
        try:
            rows = await _chunks(engine, span, index, batch_last)
            parts = (span.plain(position, sealed) for position, sealed in rows)
            for part in parts:
                yield part
        except AppError as exc:
            await on_failure(exc)
            raise
        index = batch_last + 1
