"""The current principal from the bearer token."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from src.auth import service
from src.auth.principal import Principal
from src.auth.tokens import InvalidToken, TokenExpired, decode_access_token
from src.platform.context import actor_var
from src.platform.errors import Unauthorized
from src.platform.session import DbSession

log = structlog.get_logger("ukuk.auth")

# OAuth2's password flow in the contract, so /docs signs in with a username and password (the token endpoint
# takes that form); every request then carries `Authorization: Bearer <access token>`.
_bearer = OAuth2PasswordBearer(
    tokenUrl="/v1/auth/token",
    auto_error=False,
    description="An access token from POST /v1/auth/token (grant_type=password, or refresh_token).",
)


def _challenge(description: str) -> str:
    """RFC 6750 section 3: the error code and a human-readable description."""
    return f'Bearer realm="ukuk", error="invalid_token", error_description="{description}"'


async def _current_principal(
    request: Request, session: DbSession, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    # The settings and keys from app.state here, not as dependencies of their own: each dependency FastAPI
    # solves costs about 16 µs on every request (FastAPI 0.165, two trivial ones timed in process).
    if not token:  # no Authorization header, or not a Bearer one
        raise Unauthorized("A bearer token is required.")
    state = request.app.state
    try:
        claims = decode_access_token(state.token_keys, state.settings, token)
    except TokenExpired as exc:
        # Said only of a token whose signature was verified: a forged one never reads "expired".
        log.info("token_rejected", reason=str(exc))
        raise Unauthorized(
            "The token expired. Ask for a new one: POST /v1/auth/token with grant_type=refresh_token and "
            "your refresh token, or sign in again.",
            headers={"WWW-Authenticate": _challenge("The access token expired")},
        ) from exc
    except InvalidToken as exc:
        log.info("token_rejected", reason=str(exc))
        raise Unauthorized(
            "The token is not valid.",
            headers={"WWW-Authenticate": _challenge("The access token is not valid")},
        ) from exc
    principal, username = await service.resolve_principal(session, claims)
    request.state.principal = principal
    request.state.username = username
    actor_var.set(principal.actor)
    structlog.contextvars.bind_contextvars(principal_id=str(principal.id))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]
