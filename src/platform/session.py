"""Declarative base, engine, and the request's session: one transaction per request, committed before the
response is sent."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import DateTime, MetaData, event, func
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError, PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.util import greenlet_spawn

from src.platform.config import Settings, get_settings
from src.platform.errors import AppError, Conflict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


def _unique_statement_name() -> str:
    # asyncpg numbers its statements per process: two processes behind one pooler would reuse a name.
    return f"__ukuk_{uuid.uuid4().hex}__"


def pooler_connect_args(transaction_pooler: bool) -> dict[str, Any]:
    """What every engine passes to the driver so it works through a transaction pooler (PgBouncer in
    transaction mode), where each transaction may run on another server connection: no statement cached
    across transactions, neither by SQLAlchemy nor by asyncpg (its pre-ping's too), and statement names
    unique across processes. Nothing without a pooler."""
    if not transaction_pooler:
        return {}
    return {
        "prepared_statement_cache_size": 0,  # SQLAlchemy's asyncpg dialect: its per-connection cache
        "statement_cache_size": 0,  # asyncpg's own cache
        "prepared_statement_name_func": _unique_statement_name,
    }


def create_owner_engine(url: str, settings: Settings | None = None, **kwargs: Any) -> AsyncEngine:
    """An engine without the API's role and timeouts (migrations, seeding, the test harness) that still
    honours UKUK_DB_TRANSACTION_POOLER."""
    pooler = (settings or get_settings()).db_transaction_pooler
    return create_async_engine(url, connect_args=pooler_connect_args(pooler), **kwargs)


def connect_args(settings: Settings, url: str | None = None) -> dict[str, Any]:
    server_settings = {
        "application_name": "ukuk",
        "statement_timeout": str(settings.db_statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(settings.db_idle_in_transaction_timeout_ms),
        "jit": "off",
        "TimeZone": "UTC",
    }
    if settings.db_transaction_pooler:
        # A pooler refuses startup parameters it does not track (it passes on application_name and
        # TimeZone): the timeouts and jit are set on the role instead (docs/scaling.md).
        for name in ("statement_timeout", "idle_in_transaction_session_timeout", "jit"):
            del server_settings[name]
    login = make_url(url).username if url else None
    if settings.db_app_role and not (settings.db_transaction_pooler and login == settings.db_app_role):
        # Act as the restricted role whatever the login role is: audit tables take INSERT only.
        # Through a pooler log in as that role itself (a pooler refuses `role` unless told to ignore it).
        server_settings["role"] = settings.db_app_role
    return {
        "server_settings": server_settings,
        "timeout": settings.db_connect_timeout_seconds,
        "command_timeout": settings.db_command_timeout_seconds,
        **pooler_connect_args(settings.db_transaction_pooler),
    }


def create_engine(settings: Settings, url: str) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=False,  # `check_on_checkout` instead: a ping was three round trips on every request
        pool_recycle=1800,
        connect_args=connect_args(settings, url),
    )
    check_on_checkout(engine, settings.db_ping_after_idle_seconds)
    return engine


def check_on_checkout(engine: AsyncEngine, ping_after_idle_seconds: float) -> None:
    """Hand out only live connections without a round trip per request. A connection the server closed
    (restart, pg_terminate_backend, idle timeout) is already marked closed by the driver, which reads the
    socket while the connection sits in the pool: it is replaced for free. One idle longer than
    `ping_after_idle_seconds` is pinged first (a network that dropped it silently sends no close). Raising
    DisconnectionError makes the pool discard the connection and check out another (three attempts). A
    connection closed in the very instant before its checkout (the driver not yet past the close) is found
    dead by the transaction's first statement, which runs again on another connection (platform/driver.py:
    the request does not see it).

    Returning a connection costs nothing either: every request's transaction is committed or rolled back
    before the session closes, so the pool's reset (a rollback) finds no transaction and sends nothing."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this connection")
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is not None and time.monotonic() - checked_in_at > ping_after_idle_seconds:
            try:
                dialect.do_ping(dbapi_connection)
            except Exception as exc:
                raise DisconnectionError("the connection did not answer a ping") from exc


_HELD = "ukuk.connection"  # Session.info: the connection a HeldSession's statements run on


class HeldSession(Session):
    """A session that checks out its one connection itself, on its first statement, and keeps it until it
    closes: the ORM's statements (`get_bind`) and the driver's (platform/driver.py) run on it, in one
    transaction.

    What it saves: a request that runs only driver statements (GET case, the list, the sign-in lookup) never
    begins an ORM transaction; its transaction is the connection's own, committed or rolled back here with
    the session's. GET case took 12-13% less CPU than through `Session.connection()` and `Session.commit()`
    (1.40 against 1.66 ms, then 1.48 against 1.66: the two sessionmakers alternated in one process, 30 and
    40 rounds of 300 requests). Once the ORM begins a transaction it is on this connection, and its commit
    or rollback takes what the driver did before along (one PostgreSQL transaction)."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        # Checks the connection out on first use: SQLAlchemy calls this in a greenlet; outside one (an
        # AsyncSession's get_bind) only once a statement ran.
        return held_connection(self)

    def commit(self) -> None:
        if self._transaction is not None:
            super().commit()
        self._end_held(commit=True)

    def rollback(self) -> None:
        super().rollback()
        self._end_held(commit=False)

    def close(self) -> None:
        try:
            super().close()
        finally:
            connection: Connection | None = self.info.pop(_HELD, None)
            if connection is not None:
                connection.close()  # back to the pool; whatever is still open is rolled back on the way

    def _end_held(self, *, commit: bool) -> None:
        """End the held connection's transaction when no ORM transaction ended it (the driver's statements
        only): through the Connection, so a failed COMMIT comes out as SQLAlchemy's error types, and a lost
        connection is invalidated, as for the ORM's. A rollback also clears a transaction a failed COMMIT
        or a lost connection left behind (as the ORM's rollback does), and only then may another begin."""
        connection: Connection | None = self.info.get(_HELD)
        if connection is None or connection.closed or connection.get_transaction() is None:
            return
        if commit:
            connection.commit()  # an inactive transaction (a failed COMMIT) is refused: roll back first
        else:
            connection.rollback()  # safe on an invalidated connection: nothing is sent


def usable_held(session: Session) -> Connection | None:
    """The session's held connection if it has one that can run a statement (no I/O, no greenlet)."""
    connection: Connection | None = session.info.get(_HELD)
    if connection is None or connection.closed or connection.invalidated:
        return None
    return connection


def held_connection(session: Session) -> Connection:
    """The session's connection, checked out on first use (call in a greenlet: SQLAlchemy's pool). One lost
    and invalidated is let go and another checked out."""
    usable = usable_held(session)
    if usable is not None:
        return usable
    connection: Connection | None = session.info.get(_HELD)
    if connection is not None:
        if connection.get_transaction() is not None:
            # Lost with work in its transaction: that work is gone, and a new connection must not carry on
            # as if it were not (as a plain session refuses to reconnect until it is rolled back).
            raise PendingRollbackError(
                "The connection was lost in a transaction; roll the session back first.", code="8s2b"
            )
        connection.close()
    engine = session.bind
    assert isinstance(engine, Engine), "a HeldSession is made by create_sessionmaker, bound to an engine"
    connection = session.info[_HELD] = engine.connect()
    return connection


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # control_fully: an ORM transaction that joins the held connection's (begun by a driver statement) owns
    # it: its commit, rollback or close ends it, as when it began it (`async with session.begin()` too).
    return async_sessionmaker(
        engine,
        sync_session_class=HeldSession,
        join_transaction_mode="control_fully",
        expire_on_commit=False,
        autoflush=True,
    )


async def flush_or_conflict(session: AsyncSession, detail: str) -> None:
    """Flush in a savepoint: a unique violation becomes a 409 and leaves the transaction usable."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(detail) from exc


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


async def _roll_back_and_close(session: AsyncSession, error: BaseException) -> None:
    try:
        await session.rollback()
        if isinstance(error, AppError) and error.after_rollback:
            for record in error.after_rollback:
                await record(session)
            await session.commit()
    finally:
        await session.close()


async def to_completion(cleanup: Coroutine[Any, Any, None]) -> None:
    """Run `cleanup` in a task of its own and wait for it even if the caller is cancelled meanwhile (the
    cancellation is raised once it is done): an abandoned close would leave its connection checked out of
    the pool. What `async with AsyncSession` does for its close."""
    task = asyncio.ensure_future(cleanup)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as error:
            if task.done():
                raise
            cancelled = error
        else:
            break
    if cancelled is not None:
        raise cancelled


_SESSION = "ukuk.session"  # the scope key of a request's session: None until a dependency asks for it


class UnitOfWork(APIRoute):
    """A route whose request is one transaction: the session its dependencies ask for is committed and
    closed when the endpoint has returned and its response is built, before anything is sent (a failed
    commit is rolled back by the close and answered as any error is); on an error it is rolled back, the
    error's `after_rollback` records written in a transaction of their own, and closed. Every router of the
    API is a `platform.routing.Router`, whose routes are of this class.

    In the route rather than in a dependency with `yield`: FastAPI runs such a dependency's exit through an
    AsyncExitStack and a shielded context manager. GET case cost 4-5% less CPU this way (0.06 ms a request:
    the two alternated in one process, 40 rounds of 300 requests each)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def in_one_transaction(request: Request) -> Response:
            scope = request.scope
            scope[_SESSION] = None
            try:
                response = await handler(request)
            except BaseException as error:
                if scope[_SESSION] is not None:
                    await to_completion(_roll_back_and_close(scope[_SESSION], error))
                raise
            if scope[_SESSION] is not None:
                # Commit and close in one greenlet: each call through SQLAlchemy's async layer is one.
                await to_completion(greenlet_spawn(_commit_and_close, scope[_SESSION].sync_session))
            return response

        return in_one_transaction


async def request_session(request: Request) -> AsyncSession:
    """The request's session, made on first use (`DbSession`; the principal's dependency calls it too)."""
    scope = request.scope
    if _SESSION not in scope:  # nothing would commit or close it
        raise RuntimeError(f"{request.url.path}: a DbSession needs a route of class UnitOfWork")
    session: AsyncSession | None = scope[_SESSION]
    if session is None:
        session = scope[_SESSION] = request.app.state.sessionmaker()
    return session


# The request's session; its route (UnitOfWork) commits it before the response is sent.
DbSession = Annotated[AsyncSession, Depends(request_session)]
