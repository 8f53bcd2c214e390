"""Identity queries; the only place identity rows are scoped to the caller."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.models import ApiClient, LoginFailure, Organization, RefreshToken, TokenFamily, User
from src.auth.principal import Principal
from src.platform import driver


def readable_users(principal: Principal) -> Select[User]:
    query = select(User)
    if not principal.is_platform_admin:
        query = query.where(User.organization_id == principal.organization_id)
    return query


def readable_clients(principal: Principal) -> Select[ApiClient]:
    query = select(ApiClient)
    if not principal.is_platform_admin:
        query = query.where(ApiClient.organization_id == principal.organization_id)
    return query


async def get_organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, organization_id)


def add_organization(session: AsyncSession, *, name: str, kind: str, country: str) -> Organization:
    """A new organization row (its look-alike keys are set with the name); the caller flushes, mapping a
    unique violation to 409."""
    organization = Organization(name=name, kind=kind, country=country)
    session.add(organization)
    return organization


CASE_WORKER_ROLES = ("officer", "supervisor", "coordinator")


async def case_worker(session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID) -> User | None:
    """An active account of this organization that may be assigned cases."""
    return await session.scalar(
        select(User).where(
            User.id == user_id,
            User.organization_id == organization_id,
            User.is_active,
            User.role.in_(CASE_WORKER_ROLES),
        )
    )


async def list_organizations(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int, kind: str | None = None
) -> list[Organization]:
    query = select(Organization).order_by(Organization.id).limit(limit)
    if after is not None:
        query = query.where(Organization.id > after)
    if kind is not None:
        query = query.where(Organization.kind == kind)
    return list((await session.scalars(query)).all())


async def get_token_family(session: AsyncSession, family_id: uuid.UUID) -> TokenFamily | None:
    return await session.get(TokenFamily, family_id)


async def get_user_with_organization(session: AsyncSession, user_id: uuid.UUID) -> tuple[User, Organization]:
    row = (
        await session.execute(
            select(User, Organization)
            .join(Organization, Organization.id == User.organization_id)
            .where(User.id == user_id)
        )
    ).one()
    return row[0], row[1]


async def get_user_by_username(session: AsyncSession, username: str) -> tuple[User, Organization] | None:
    row = (
        await session.execute(
            select(User, Organization)
            .join(Organization, Organization.id == User.organization_id)
            .where(func.lower(User.username) == username.lower())
        )
    ).first()
    return (row[0], row[1]) if row else None


async def get_client(session: AsyncSession, client_id: uuid.UUID) -> tuple[ApiClient, Organization] | None:
    row = (
        await session.execute(
            select(ApiClient, Organization)
            .join(Organization, Organization.id == ApiClient.organization_id)
            .where(ApiClient.id == client_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


# Run on every request, on the driver (src/platform/driver.py): through the ORM session it cost as much as
# everything else the sign-in check does (a profile of GET case under wrk).
_SESSION_SUBJECT = """
SELECT f.revoked_at, f.expires_at,
       coalesce(u.is_active, c.is_active) AS is_active, coalesce(u.role, c.role) AS role,
       o.id AS organization_id, o.kind AS organization_kind, u.username
FROM token_family f
LEFT JOIN user_account u ON u.id = f.user_id
LEFT JOIN api_client c ON c.id = f.client_id
JOIN organization o ON o.id = coalesce(u.organization_id, c.organization_id)
WHERE f.id = $1 AND coalesce(f.user_id, f.client_id) = $2
"""


async def session_subject(session: AsyncSession, session_id: uuid.UUID, subject: uuid.UUID) -> Any:
    """One query per request: the sign-in is live and its user or client active, with current role and org."""
    return await driver.fetchrow(session, _SESSION_SUBJECT, session_id, subject)


async def claim_refresh_token(session: AsyncSession, token_hash: bytes, now: datetime) -> Any:
    """Mark a refresh token used, atomically: of two concurrent uses exactly one gets the row."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .returning(RefreshToken.family_id, RefreshToken.expires_at)
    )
    return result.first()


async def family_of_refresh_token(session: AsyncSession, token_hash: bytes) -> uuid.UUID | None:
    return await session.scalar(select(RefreshToken.family_id).where(RefreshToken.token_hash == token_hash))


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, reason: str, now: datetime) -> None:
    await session.execute(
        update(TokenFamily)
        .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


async def failure_counts(
    session: AsyncSession, account_key: str, ip: str | None, since: datetime
) -> tuple[int, int]:
    by_account = await session.scalar(
        select(func.count()).where(LoginFailure.account_key == account_key, LoginFailure.at > since)
    )
    by_ip = 0
    if ip is not None:
        by_ip = (
            await session.scalar(select(func.count()).where(LoginFailure.ip == ip, LoginFailure.at > since))
            or 0
        )
    return by_account or 0, by_ip


async def nth_oldest_failure(
    session: AsyncSession, *, account_key: str | None, ip: str | None, since: datetime, offset: int
) -> datetime | None:
    """The failure whose ageing out brings the count back under the limit."""
    condition = LoginFailure.account_key == account_key if account_key is not None else LoginFailure.ip == ip
    return await session.scalar(
        select(LoginFailure.at)
        .where(and_(condition, LoginFailure.at > since))
        .order_by(LoginFailure.at)
        .offset(offset)
        .limit(1)
    )


async def add_failure(
    session: AsyncSession, account_key: str, ip: str | None, now: datetime, keep_after: datetime
) -> None:
    session.add(LoginFailure(account_key=account_key, ip=ip, at=now))
    # Keep the table small: this account's failures that no window can count any more.
    await session.execute(
        delete(LoginFailure).where(LoginFailure.account_key == account_key, LoginFailure.at < keep_after)
    )


async def clear_failures(session: AsyncSession, account_key: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.account_key == account_key))
