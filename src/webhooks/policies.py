"""Pure permission rules for webhook endpoints and deliveries."""

from __future__ import annotations

import uuid

from src.auth import policies as auth_policies
from src.auth.principal import Principal


def sees_organization(principal: Principal, organization_id: uuid.UUID) -> bool:
    """Whose webhook the caller may learn of: a platform admin every one, others their own."""
    return principal.is_platform_admin or organization_id == principal.organization_id


def may_manage_webhook(principal: Principal, organization_id: uuid.UUID) -> bool:
    """Only the organization's admin configures and reads its webhook."""
    return auth_policies.may_manage_accounts_of(principal, organization_id)


def may_retry_deliveries(principal: Principal) -> bool:
    return principal.role == "admin"
