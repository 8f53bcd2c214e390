"""Pure permission rules for identity administration (no I/O)."""

from __future__ import annotations

import uuid

from src.auth.principal import Principal
from src.auth.scopes import CLIENT_ROLES, ROLES_BY_ORGANIZATION_KIND


def role_fits_organization(role: str, organization_kind: str) -> bool:
    return role in ROLES_BY_ORGANIZATION_KIND.get(organization_kind, frozenset())


def client_role_fits_organization(role: str, organization_kind: str) -> bool:
    """An API client takes only a machine caller's role, and one that fits its organization."""
    return role in CLIENT_ROLES and role_fits_organization(role, organization_kind)


def may_manage_organizations(principal: Principal) -> bool:
    return principal.is_platform_admin


def may_see_accounts_of(principal: Principal, organization_id: uuid.UUID) -> bool:
    """A platform admin may know of every organization's accounts; anyone else, of their own's."""
    return principal.is_platform_admin or principal.organization_id == organization_id


def may_list_accounts(principal: Principal) -> bool:
    return principal.role == "admin"


def may_list_case_workers(principal: Principal) -> bool:
    """A supervisor lists its own organization's active users (to assign their cases)."""
    return principal.role == "supervisor"


def may_manage_accounts_of(principal: Principal, organization_id: uuid.UUID) -> bool:
    if principal.role != "admin":
        return False
    return principal.is_platform_admin or principal.organization_id == organization_id
