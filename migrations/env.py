"""Alembic environment (async). After every run the application role's grants are applied again, so a new
table is usable by the API and the audit tables stay INSERT-only for it."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection

from src.audit.models import APPEND_ONLY_TABLES
from src.models import Base
from src.platform.config import get_settings
from src.platform.session import create_owner_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or get_settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    return str(url)


def _app_role() -> str | None:
    if "app_role" in config.attributes:
        return config.attributes["app_role"]  # type: ignore[no-any-return]
    return get_settings().db_app_role


def apply_grants(connection: Connection, role: str) -> None:
    quoted = connection.dialect.identifier_preparer.quote(role)
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    if not exists:
        connection.execute(text(f"CREATE ROLE {quoted} LOGIN"))
    is_super = connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    if not is_super:
        connection.execute(text(f"GRANT {quoted} TO current_user"))  # so the owner's login may SET ROLE to it
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
    connection.execute(
        text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
    )
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
    connection.execute(text(f"REVOKE ALL ON alembic_version FROM {quoted}"))
    connection.execute(text(f"GRANT SELECT ON alembic_version TO {quoted}"))
    for table in APPEND_ONLY_TABLES:
        connection.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}"))


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
        role = _app_role()
        if role:
            apply_grants(connection, role)


async def _run_async() -> None:
    engine = create_owner_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported: run `ukuk migrate`")
asyncio.run(_run_async())
