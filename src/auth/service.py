"""The principal behind an access token: its sign-in still live, role and organization as they are now."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from src.auth import repository
from src.auth.principal import Principal
from src.auth.scopes import ROLE_SCOPES
from src.auth.tokens import AccessClaims
from src.platform import clock
from src.platform.errors import Unauthorized


async def resolve_principal(session: AsyncSession, claims: AccessClaims) -> tuple[Principal, str | None]:
    row = await repository.session_subject(session, claims.session_id, claims.subject)
    if (
        row is None
        or row["revoked_at"] is not None
        or not row["is_active"]
        or row["expires_at"] <= clock.utcnow()
    ):
        raise Unauthorized(
            "The token is no longer valid.",
            headers={"WWW-Authenticate": 'Bearer realm="ukuk", error="invalid_token"'},
        )
    # Role and organization come from the database, so a change takes effect at once; scopes only shrink.
    scopes = claims.scopes & ROLE_SCOPES.get(row["role"], frozenset())
    principal = Principal(
        id=claims.subject,
        kind=claims.kind,
        organization_id=row["organization_id"],
        organization_kind=row["organization_kind"],
        role=row["role"],
        scopes=scopes,
        session_id=claims.session_id,
    )
    return principal, row["username"]
