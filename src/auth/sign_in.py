"""Sign-in: the password, client-credentials and refresh grants, logout, and the failed sign-in throttle."""

from __future__ import annotations

import hmac
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.audit.service import ANONYMOUS, Actor
from src.auth import repository
from src.auth.models import RefreshToken, TokenFamily
from src.auth.passwords import new_secret, secret_digest, verify_password
from src.auth.principal import Principal
from src.auth.scopes import granted_scopes
from src.auth.tokens import TokenKeys, TokenSubject, issue_access_token, refresh_expiry
from src.platform import clock
from src.platform.config import Settings
from src.platform.errors import AfterRollback, BadRequest, TooManyRequests, Unauthorized, Unprocessable
from src.platform.schemas import CONTROL_CHARACTERS, CONTROL_CHARACTERS_MESSAGE


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str | None
    scope: str


class OAuthError(BadRequest):
    """RFC 6749 section 5.2 errors, as problem+json with the OAuth `error` member."""

    def __init__(self, error: str, detail: str, after_rollback: list[AfterRollback] | None = None):
        super().__init__(detail, extra={"error": error}, after_rollback=after_rollback or [])


class InvalidClient(Unauthorized):
    default_headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": 'Basic realm="ukuk"'}


async def _throttle(session: AsyncSession, settings: Settings, account_key: str, ip: str | None) -> None:
    now = clock.utcnow()
    window = timedelta(seconds=settings.login_failure_window_seconds)
    by_account, by_ip = await repository.failure_counts(session, account_key, ip, now - window)
    blocked_at: datetime | None = None
    if by_account >= settings.login_max_failures_per_username:
        blocked_at = await repository.nth_oldest_failure(
            session,
            account_key=account_key,
            ip=None,
            since=now - window,
            offset=by_account - settings.login_max_failures_per_username,
        )
    elif ip is not None and by_ip >= settings.login_max_failures_per_ip:
        blocked_at = await repository.nth_oldest_failure(
            session,
            account_key=None,
            ip=ip,
            since=now - window,
            offset=by_ip - settings.login_max_failures_per_ip,
        )
    if blocked_at is None:
        return
    retry_after = max(1, math.ceil((blocked_at + window - now).total_seconds()))
    raise TooManyRequests(
        "Too many failed sign-ins; try again later.",
        headers={"Retry-After": str(retry_after)},
        after_rollback=[audit.record_after_rollback(ANONYMOUS, "auth.token", outcome="throttled")],
    )


def _failed(
    account_key: str, ip: str | None, settings: Settings, resource: tuple[str, uuid.UUID] | None
) -> list[AfterRollback]:
    async def count_failure(session: AsyncSession) -> None:
        now = clock.utcnow()
        keep_after = now - timedelta(seconds=settings.login_failure_window_seconds)
        await repository.add_failure(session, account_key, ip, now, keep_after)

    resource_type, resource_id = resource if resource else (None, None)
    return [
        count_failure,
        audit.record_after_rollback(
            ANONYMOUS, "auth.token", resource_type=resource_type, resource_id=resource_id, outcome="failure"
        ),
    ]


async def refuse_malformed_sign_in(
    session: AsyncSession,
    settings: Settings,
    *,
    fields: list[str],
    username: str | None,
    client_id: str | None,
    ip: str | None,
) -> NoReturn:
    """A sign-in whose `fields` hold control characters: 422 before any account is looked up, throttled and
    counted like a wrong password, against the account named once they are removed (`admin\\x00` spends
    admin's budget) and the caller's address."""
    named = CONTROL_CHARACTERS.sub("", (client_id if client_id is not None else username) or "")
    account_key = "client:" + named[:64] if client_id is not None else "user:" + named.lower()[:64]
    await _throttle(session, settings, account_key, ip)
    raise Unprocessable(
        "Sign-in fields may not hold control characters.",
        extra={"errors": [{"loc": ["body", name], "msg": CONTROL_CHARACTERS_MESSAGE} for name in fields]},
        after_rollback=_failed(account_key, ip, settings, None),
    )


async def _start_session(
    session: AsyncSession,
    keys: TokenKeys,
    settings: Settings,
    subject: TokenSubject,
    scopes: frozenset[str],
    *,
    with_refresh: bool,
) -> IssuedTokens:
    now = clock.utcnow()
    lifetime = timedelta(seconds=settings.access_token_ttl_seconds)
    family = TokenFamily(
        user_id=subject.id if subject.kind == "user" else None,
        client_id=subject.id if subject.kind == "client" else None,
        expires_at=refresh_expiry(settings, now) if with_refresh else now + lifetime,
    )
    session.add(family)
    await session.flush()
    return _tokens_for_family(session, keys, settings, family.id, subject, scopes, with_refresh=with_refresh)


def _tokens_for_family(
    session: AsyncSession,
    keys: TokenKeys,
    settings: Settings,
    family_id: uuid.UUID,
    subject: TokenSubject,
    scopes: frozenset[str],
    *,
    with_refresh: bool,
) -> IssuedTokens:
    access_token, lifetime = issue_access_token(keys, settings, subject, scopes=scopes, session_id=family_id)
    refresh_token = None
    if with_refresh:
        refresh_token = new_secret()
        session.add(
            RefreshToken(
                family_id=family_id,
                token_hash=secret_digest(refresh_token),
                expires_at=refresh_expiry(settings),
            )
        )
    return IssuedTokens(access_token, lifetime, refresh_token, " ".join(sorted(scopes)))


async def password_grant(
    session: AsyncSession,
    keys: TokenKeys,
    settings: Settings,
    *,
    username: str,
    password: str,
    scope: str | None,
    ip: str | None,
) -> IssuedTokens:
    account_key = "user:" + username.lower()[:64]
    await _throttle(session, settings, account_key, ip)
    found = await repository.get_user_by_username(session, username)
    user, organization = found if found else (None, None)
    valid = await verify_password(settings, password, user.password_hash if user else None)
    if user is None or organization is None or not valid or not user.is_active:
        resource = ("user", user.id) if user else None
        raise OAuthError(
            "invalid_grant", "Wrong username or password.", _failed(account_key, ip, settings, resource)
        )
    scopes = granted_scopes(user.role, scope)
    if scopes is None:
        raise OAuthError("invalid_scope", "A requested scope is not allowed for this account.")
    await repository.clear_failures(session, account_key)
    subject = TokenSubject(user.id, "user", organization.id, user.role)
    tokens = await _start_session(session, keys, settings, subject, scopes, with_refresh=True)
    actor = Actor("user", user.id, organization.id)
    await audit.record(
        session,
        actor,
        "auth.token",
        resource_type="user",
        resource_id=user.id,
        detail={"grant_type": "password"},
    )
    return tokens


async def client_credentials_grant(
    session: AsyncSession,
    keys: TokenKeys,
    settings: Settings,
    *,
    client_id: str,
    client_secret: str,
    scope: str | None,
    ip: str | None,
) -> IssuedTokens:
    account_key = "client:" + client_id[:64]
    await _throttle(session, settings, account_key, ip)
    try:
        parsed_id: uuid.UUID | None = uuid.UUID(client_id)
    except ValueError:
        parsed_id = None
    found = await repository.get_client(session, parsed_id) if parsed_id else None
    client, organization = found if found else (None, None)
    if (
        client is None
        or organization is None
        or not client.is_active
        or not _digest_equal(secret_digest(client_secret), client.secret_hash)
    ):
        resource = ("api_client", client.id) if client else None
        failed = _failed(account_key, ip, settings, resource)
        raise InvalidClient(
            "Unknown client or wrong secret.", extra={"error": "invalid_client"}, after_rollback=failed
        )
    scopes = granted_scopes(client.role, scope)
    if scopes is None:
        raise OAuthError("invalid_scope", "A requested scope is not allowed for this client.")
    subject = TokenSubject(client.id, "client", organization.id, client.role)
    tokens = await _start_session(session, keys, settings, subject, scopes, with_refresh=False)
    await audit.record(
        session,
        Actor("client", client.id, organization.id),
        "auth.token",
        resource_type="api_client",
        resource_id=client.id,
        detail={"grant_type": "client_credentials"},
    )
    return tokens


def _digest_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


async def refresh_grant(
    session: AsyncSession,
    keys: TokenKeys,
    settings: Settings,
    *,
    refresh_token: str,
    scope: str | None,
) -> IssuedTokens:
    now = clock.utcnow()
    digest = secret_digest(refresh_token)
    claimed = await repository.claim_refresh_token(session, digest, now)
    if claimed is None:
        family_id = await repository.family_of_refresh_token(session, digest)
        if family_id is None:
            raise OAuthError("invalid_grant", "Unknown refresh token.")

        # A used token presented again: it was stolen or replayed. End the whole sign-in.
        async def revoke(s: AsyncSession) -> None:
            await repository.revoke_family(s, family_id, "refresh_reuse", clock.utcnow())

        raise OAuthError(
            "invalid_grant",
            "Refresh token already used; the session is revoked.",
            [
                revoke,
                audit.record_after_rollback(
                    ANONYMOUS,
                    "auth.refresh",
                    resource_type="token_family",
                    resource_id=family_id,
                    outcome="reuse_detected",
                ),
            ],
        )
    family = await repository.get_token_family(session, claimed.family_id)
    assert family is not None
    if claimed.expires_at <= now or family.revoked_at is not None or family.user_id is None:
        raise OAuthError("invalid_grant", "The refresh token is expired or revoked.")
    user, organization = await repository.get_user_with_organization(session, family.user_id)
    if not user.is_active:
        raise OAuthError("invalid_grant", "The account is disabled.")
    scopes = granted_scopes(user.role, scope)
    if scopes is None:
        raise OAuthError("invalid_scope", "A requested scope is not allowed for this account.")
    subject = TokenSubject(user.id, "user", organization.id, user.role)
    tokens = _tokens_for_family(session, keys, settings, family.id, subject, scopes, with_refresh=True)
    await audit.record(
        session,
        Actor("user", user.id, organization.id),
        "auth.refresh",
        resource_type="token_family",
        resource_id=family.id,
    )
    return tokens


async def logout(session: AsyncSession, principal: Principal) -> None:
    await repository.revoke_family(session, principal.session_id, "logout", clock.utcnow())
    await audit.record(
        session,
        principal.actor,
        "auth.logout",
        resource_type="token_family",
        resource_id=principal.session_id,
    )
