"""What the `ukuk` commands share: the database a command works on (DATABASE_URL, or the embedded PostgreSQL
started for the command's length and stopped after it) and the settings that point at it. The commands of
every domain (src/cli.py, src/exports/cli.py, src/report_cli.py) use these, so none imports another's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from src.platform.config import Settings, get_settings


def settings_with(url: str) -> Settings:
    """The settings read anew from the environment, with `url` as the database."""
    get_settings.cache_clear()
    return get_settings().model_copy(update={"database_url": url})


def with_database(work: Callable[[Settings], Coroutine[Any, Any, Any]]) -> Any:
    """Run `work` with settings whose database is up for as long as it runs; logging as the API's."""
    from src.platform.observability import configure_logging
    from src.platform.postgres import database_url

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    with database_url(settings) as url:
        return asyncio.run(work(settings_with(url)))


def with_engine(work: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    """Run `work` with an engine of the application's (its role, its pool), disposed of after."""
    from src.platform.session import create_engine

    async def run(settings: Settings) -> Any:
        assert settings.database_url
        engine = create_engine(settings, settings.database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return with_database(run)
