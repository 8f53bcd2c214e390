"""The current principal from the bearer token."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from src.auth import service
from src.auth.principal import Principal
from src.auth.tokens import InvalidToken, decode_access_token
from src.platform.context import actor_var
from src.platform.dependencies import AppSettings, AppTokenKeys
from src.platform.errors import Unauthorized
from src.platform.session import DbSession

log = structlog.get_logger("ukuk.auth")

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /v1/auth/token.")


async def _current_principal(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    keys: AppTokenKeys,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("A bearer token is required.")
    try:
        claims = decode_access_token(keys, settings, credentials.credentials)
    except InvalidToken as exc:
        log.info("token_rejected", reason=str(exc))
        raise Unauthorized(
            "The token is not valid.",
            headers={"WWW-Authenticate": 'Bearer realm="ukuk", error="invalid_token"'},
        ) from exc
    principal, username = await service.resolve_principal(session, claims)
    request.state.principal = principal
    request.state.username = username
    actor_var.set(principal.actor)
    structlog.contextvars.bind_contextvars(principal_id=str(principal.id))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]
