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
from src.platform.session import request_session

log = structlog.get_logger("ukuk.auth")


class _SignedIn(OAuth2PasswordBearer):
    """The principal of the request's bearer token, as one dependency that is also the contract's security
    scheme (OAuth2's password flow, so /docs signs in with a username and password at the token endpoint;
    every request then carries `Authorization: Bearer <access token>`).

    One dependency rather than the scheme, the session and the principal as three: each dependency FastAPI
    solves costs about 16 µs on every request (FastAPI 0.165, timed in process), and the scheme's and the
    session's were solved again under the principal's. The settings and keys come from app.state for the
    same reason. The session is the request's own (`request_session`), so the sign-in lookup runs in the
    request's transaction."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        token = await super().__call__(request)  # None without a Bearer Authorization header
        if not token:
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
        principal, username = await service.resolve_principal(await request_session(request), claims)
        request.state.principal = principal
        request.state.username = username
        actor_var.set(principal.actor)
        structlog.contextvars.bind_contextvars(principal_id=str(principal.id))
        return principal


def _challenge(description: str) -> str:
    """RFC 6750 section 3: the error code and a human-readable description."""
    return f'Bearer realm="ukuk", error="invalid_token", error_description="{description}"'


signed_in = _SignedIn(
    tokenUrl="/v1/auth/token",
    scheme_name="OAuth2PasswordBearer",  # the contract's name for it since the first release
    auto_error=False,
    description="An access token from POST /v1/auth/token (grant_type=password, or refresh_token).",
)

CurrentPrincipal = Annotated[Principal, Depends(signed_in)]
