"""Pure permission rules for identity administration (no I/O)."""

from __future__ import annotations

import uuid

from src.auth.principal import Principal
from src.auth.scopes import ROLES_BY_ORGANIZATION_KIND


def role_fits_organization(role: str, organization_kind: str) -> bool:
    return role in ROLES_BY_ORGANIZATION_KIND.get(organization_kind, frozenset())


def may_manage_organizations(principal: Principal) -> bool:
    return principal.is_platform_admin


def may_manage_accounts_of(principal: Principal, organization_id: uuid.UUID) -> bool:
    if principal.role != "admin":
        return False
    return principal.is_platform_admin or principal.organization_id == organization_id
