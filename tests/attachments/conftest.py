"""An app with small attachment limits, for the tests of the limits (the session's app keeps the defaults)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from src.main import create_app
from src.platform.config import Settings


@pytest.fixture(scope="session")
async def small_app(settings: Settings) -> AsyncIterator[Any]:
    small = settings.model_copy(
        update={
            "attachment_chunk_bytes": 4096,
            "attachment_max_bytes": 25_000,
            "attachment_case_total_bytes": 40_000,
        }
    )
    application = create_app(small)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def small_app_client(small_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=small_app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
