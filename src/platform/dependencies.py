"""App-wide dependencies: settings and signing keys held on app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from src.auth.tokens import TokenKeys
from src.platform.config import Settings


# async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request for a lookup.
async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _token_keys(request: Request) -> TokenKeys:
    keys: TokenKeys = request.app.state.token_keys
    return keys


AppSettings = Annotated[Settings, Depends(_settings)]
AppTokenKeys = Annotated[TokenKeys, Depends(_token_keys)]
