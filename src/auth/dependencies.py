"""The current principal from the bearer token, and scope requirements."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from src.auth import service
from src.auth.principal import Principal
from src.auth.tokens import InvalidToken, decode_access_token
from src.db import DbSession
from src.dependencies import AppSettings, AppTokenKeys
from src.errors import Forbidden, Unauthorized

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
    structlog.contextvars.bind_contextvars(principal_id=str(principal.id))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]


def require_scope(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def _require(principal: CurrentPrincipal) -> Principal:
        if scope not in principal.scopes:
            raise Forbidden(
                f"The token lacks the scope '{scope}'.",
                headers={
                    "WWW-Authenticate": f'Bearer realm="ukuk", error="insufficient_scope", scope="{scope}"'
                },
            )
        return principal

    return _require
