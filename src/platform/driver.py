"""The request's asyncpg connection, for the statements every request runs: the same connection and the same
transaction as the request's session, without SQLAlchemy's execution pipeline (compiling, an execution
context, a result object and greenlet switches cost more than the statement on a hot path; a profile of
GET case under wrk).

Statements are written once, as SQL with `$n` parameters, beside the repository that owns them. Errors come
out as SQLAlchemy's exception types (IntegrityError, DBAPIError with the driver's error as `orig`), so the
error handlers answer 409, 422 and 503 exactly as for statements run through the session; a connection that
broke is invalidated so the pool never hands it out again. JSON and JSONB go in as text and come out parsed
(the codecs SQLAlchemy's dialect installs on every connection it opens).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy import exc
from sqlalchemy.engine import Connection
from sqlalchemy.engine.util import TransactionalContext
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn

from src.platform.session import HeldSession, held_connection, usable_held

# Connection-level failures: the connection cannot be used again (asyncpg marks it closed on most of them).
_BROKEN = (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError)


class Arguments(list[Any]):
    """The arguments of a statement built piece by piece: `arg(value)` appends the value and answers its
    placeholder (`$n`), so the SQL names values only by position."""

    def __call__(self, value: Any) -> str:
        self.append(value)
        return f"${len(self)}"


class _LostBeforeAnything(Exception):
    """The connection was found dead by the first statement of its transaction: nothing ran on it."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _checked_out(sync_session: Session) -> tuple[Connection, Any]:
    """In one greenlet: the session's connection (its transaction begun) and SQLAlchemy's asyncpg adapter."""
    connection = sync_session.connection()
    return connection, connection.connection.dbapi_connection


async def _invalidate(connection: Connection, error: BaseException) -> None:
    await greenlet_spawn(connection.invalidate, error)


async def _begun(connection: Connection, adapted: Any) -> asyncpg.Connection:
    # SQLAlchemy's asyncpg adapter opens the transaction with the first statement it runs; a statement run
    # here first must open it the same way, or it would commit on its own.
    if adapted._transaction is None:
        try:
            await adapted._start_transaction()
        except Exception as error:  # in the adapter's own error types; BEGIN fails only on a lost connection
            await _invalidate(connection, error)
            raise _LostBeforeAnything(error) from error
    driver: asyncpg.Connection = adapted._connection
    return driver


async def _run(session: AsyncSession, method: str, sql: str, *args: Any) -> Any:
    """The statement; a connection found dead before anything ran on it in this transaction (the server
    closed it between requests, and the driver had not read the close yet when it was checked out) is
    replaced once, so the request never sees it: the pool does not ping, this is its retry."""
    try:
        return await _attempt(session, method, sql, args)
    except _LostBeforeAnything:
        await session.rollback()  # the session lets go of the dead connection; it had done nothing on it
    try:
        return await _attempt(session, method, sql, args)
    except _LostBeforeAnything as lost:
        raise exc.OperationalError(sql, args, lost.error, connection_invalidated=True) from lost.error


# Where a session keeps the connection of its transaction found by its first statement: (the session's root
# transaction, its Connection, the driver's connection).
_FOUND = "ukuk.driver"


async def _found(session: AsyncSession) -> tuple[Connection, asyncpg.Connection, bool]:
    """The session's connection (after the flush the ORM would do before a query of its own, so a statement
    here sees what the request changed on ORM objects), its driver connection, and whether this is the
    transaction's first statement. Each step through SQLAlchemy's async layer is a greenlet of its own (a
    new frame stack: an mmap and a munmap), so the first statement of a transaction finds the connection and
    its adapter in one and keeps them until the transaction ends (a commit or rollback starts another root
    transaction, which finds its own)."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        await session.flush()
    sync = session.sync_session
    transaction = sync.get_transaction()
    if transaction is None and isinstance(sync, HeldSession):
        # No ORM transaction: the statement's transaction is the held connection's own (its first
        # statement begins it; the session's commit or rollback ends it). Not inside an `async with
        # session.begin()` whose transaction was rolled back: refused, as the ORM refuses it.
        TransactionalContext._trans_ctx_check(sync)
        held = usable_held(sync)
        if held is None:
            held = await greenlet_spawn(held_connection, sync)
        adapted: Any = held.connection.dbapi_connection
        if not held.in_transaction():
            held.begin()  # SQLAlchemy's side (no I/O: `_begun` sends BEGIN); the session ends it
        first = adapted._transaction is None
        return held, await _begun(held, adapted), first
    kept = session.info.get(_FOUND)
    if (
        kept is not None
        and transaction is not None
        and kept[0] is transaction
        and transaction.is_active
        and not kept[2].is_closed()
    ):
        return kept[1], kept[2], False
    connection, adapted = await greenlet_spawn(_checked_out, session.sync_session)
    first = adapted._transaction is None
    driver = await _begun(connection, adapted)
    session.info[_FOUND] = (session.sync_session.get_transaction(), connection, driver)
    return connection, driver, first


async def _attempt(session: AsyncSession, method: str, sql: str, args: tuple[Any, ...]) -> Any:
    connection, driver, first = await _found(session)
    try:
        return await getattr(driver, method)(sql, *args)
    except (asyncpg.PostgresError, *_BROKEN) as error:
        if driver.is_closed():
            # Lost, whatever the error said (a terminated backend answers 57P01 before closing): the pool
            # must never hand this connection out again, and the rollback must not try to use it.
            await _invalidate(connection, error)
            if first:
                raise _LostBeforeAnything(error) from error
            raise exc.OperationalError(sql, args, error, connection_invalidated=True) from error
        if isinstance(error, asyncpg.IntegrityConstraintViolationError):
            raise exc.IntegrityError(sql, args, error) from error
        if isinstance(error, ValueError) or (
            isinstance(error, asyncpg.PostgresError)
            and not isinstance(error, asyncpg.PostgresConnectionError)
        ):
            # A ValueError is the driver refusing an argument before sending it (out of range for its type):
            # the connection is fine, the request is not (errors.is_refused_value).
            raise exc.DBAPIError(sql, args, error) from error
        await _invalidate(connection, error)
        raise exc.OperationalError(sql, args, error, connection_invalidated=True) from error


async def fetchrow(session: AsyncSession, sql: str, *args: Any) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await _run(session, "fetchrow", sql, *args)
    return row


async def fetch(session: AsyncSession, sql: str, *args: Any) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await _run(session, "fetch", sql, *args)
    return rows


async def execute(session: AsyncSession, sql: str, *args: Any) -> None:
    await _run(session, "execute", sql, *args)


async def executemany(session: AsyncSession, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """The statement once per row, the rows sent together (one round trip)."""
    await _run(session, "executemany", sql, rows)
