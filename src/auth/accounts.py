"""Accounts administration: organizations, users and API clients, created, listed and read."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth import policies, repository
from src.auth.models import ApiClient, Organization, User
from src.auth.passwords import hash_password, new_secret, secret_digest
from src.auth.principal import Principal
from src.auth.schemas import ClientCreate, OrganizationCreate, UserCreate
from src.platform.config import Settings
from src.platform.errors import Forbidden, Unprocessable
from src.platform.session import flush_or_conflict

ORGANIZATION_NAME_TAKEN = "An organization with this name, or one that looks like it, exists."


def _denied(
    principal: Principal, action: str, resource_type: str, resource_id: uuid.UUID | None
) -> Forbidden:
    return audit.denied(principal.actor, action, resource_type, resource_id)


async def create_organization(
    session: AsyncSession, principal: Principal, body: OrganizationCreate
) -> Organization:
    if not policies.may_manage_organizations(principal):
        raise _denied(principal, "organization.create", "organization", None)
    # The name's look-alike keys are set with it (Organization._set_name_keys) and unique, like the name.
    organization = repository.add_organization(session, name=body.name, kind=body.kind, country=body.country)
    await flush_or_conflict(session, ORGANIZATION_NAME_TAKEN)
    await audit.record(
        session,
        principal.actor,
        "organization.create",
        resource_type="organization",
        resource_id=organization.id,
        changed_fields=body.model_fields_set,
    )
    return organization


async def get_organization(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID
) -> Organization:
    organization = await repository.get_organization(session, organization_id)
    if organization is None:
        raise audit.not_found(principal.actor, "organization.read", "organization", organization_id)
    return organization


async def list_organizations(
    session: AsyncSession, principal: Principal, *, after: uuid.UUID | None, limit: int, kind: str | None
) -> list[Organization]:
    return await repository.list_organizations(session, after=after, limit=limit, kind=kind)


async def _organization_for_accounts(
    session: AsyncSession,
    principal: Principal,
    organization_id: uuid.UUID,
    action: str,
    resource_type: str,
) -> Organization:
    organization = await repository.get_organization(session, organization_id)
    if organization is None or not policies.may_see_accounts_of(principal, organization.id):
        # The same answer (and audit event) whether it does not exist or belongs to another organization.
        raise audit.not_found(principal.actor, action, "organization", organization_id)
    if not policies.may_manage_accounts_of(principal, organization.id):
        raise _denied(principal, action, resource_type, None)
    return organization


async def create_user(
    session: AsyncSession, principal: Principal, settings: Settings, body: UserCreate
) -> User:
    organization = await _organization_for_accounts(
        session, principal, body.organization_id, "user.create", "user"
    )
    if not policies.role_fits_organization(body.role, organization.kind):
        raise _role_misfit(body.role, organization.kind)
    if body.password.lower() == body.username.lower():
        raise _password_equals_username()
    user = User(
        username=body.username,
        password_hash=await hash_password(settings, body.password),
        organization_id=organization.id,
        role=body.role,
    )
    session.add(user)
    await flush_or_conflict(session, "This username is taken.")
    await audit.record(
        session,
        principal.actor,
        "user.create",
        resource_type="user",
        resource_id=user.id,
        changed_fields=body.model_fields_set,
    )
    return user


def _role_misfit(role: str, kind: str) -> Unprocessable:
    return Unprocessable.at(
        ["body", "role"],
        "role does not fit the organization's kind",
        f"The role '{role}' does not fit an organization of kind '{kind}'.",
    )


def _password_equals_username() -> Unprocessable:
    return Unprocessable.at(
        ["body", "password"], "password equals username", "The password must differ from the username."
    )


async def _get_scoped(
    session: AsyncSession,
    principal: Principal,
    model: type[User] | type[ApiClient],
    row_id: uuid.UUID,
    action: str,
    resource_type: str,
) -> User | ApiClient:
    query = repository.readable_users(principal) if model is User else repository.readable_clients(principal)
    row: User | ApiClient | None = await session.scalar(query.where(model.id == row_id))
    if row is None:
        raise audit.not_found(principal.actor, action, resource_type, row_id)
    if not policies.may_manage_accounts_of(principal, row.organization_id):
        raise _denied(principal, action, resource_type, row_id)
    await audit.record(session, principal.actor, action, resource_type=resource_type, resource_id=row_id)
    return row


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    row = await _get_scoped(session, principal, User, user_id, "user.read", "user")
    assert isinstance(row, User)
    return row


async def get_client(session: AsyncSession, principal: Principal, client_id: uuid.UUID) -> ApiClient:
    row = await _get_scoped(session, principal, ApiClient, client_id, "api_client.read", "api_client")
    assert isinstance(row, ApiClient)
    return row


async def _list_accounts(
    session: AsyncSession,
    principal: Principal,
    model: type[User] | type[ApiClient],
    resource_type: str,
    *,
    after: uuid.UUID | None,
    limit: int,
    role: str | None = None,
) -> list[Any]:
    action = f"{resource_type}.list"
    query: Any
    if policies.may_list_accounts(principal):
        query = (
            repository.readable_users(principal) if model is User else repository.readable_clients(principal)
        )
    elif model is User and policies.may_list_case_workers(principal):
        query = repository.readable_users(principal).where(User.is_active)  # own organization only
    else:
        raise _denied(principal, action, resource_type, None)
    if role is not None:
        query = query.where(model.role == role)
    query = query.order_by(model.id).limit(limit)
    if after is not None:
        query = query.where(model.id > after)
    rows = list((await session.scalars(query)).all())
    await audit.record(
        session, principal.actor, action, resource_type=resource_type, detail={"count": len(rows)}
    )
    return rows


async def list_users(
    session: AsyncSession, principal: Principal, *, role: str | None, after: uuid.UUID | None, limit: int
) -> list[User]:
    """An admin's: every account it manages. A supervisor's: its organization's active users."""
    return await _list_accounts(session, principal, User, "user", after=after, limit=limit, role=role)


async def list_clients(
    session: AsyncSession, principal: Principal, *, after: uuid.UUID | None, limit: int
) -> list[ApiClient]:
    return await _list_accounts(session, principal, ApiClient, "api_client", after=after, limit=limit)


async def create_client(
    session: AsyncSession, principal: Principal, body: ClientCreate
) -> tuple[ApiClient, str]:
    organization = await _organization_for_accounts(
        session, principal, body.organization_id, "api_client.create", "api_client"
    )
    if not policies.client_role_fits_organization(body.role, organization.kind):
        raise _role_misfit(body.role, organization.kind)
    secret = new_secret()
    client = ApiClient(
        name=body.name, secret_hash=secret_digest(secret), organization_id=organization.id, role=body.role
    )
    session.add(client)
    await session.flush()
    await audit.record(
        session,
        principal.actor,
        "api_client.create",
        resource_type="api_client",
        resource_id=client.id,
        changed_fields=body.model_fields_set,
    )
    return client, secret
