"""Pure permission rules for consulates."""

from __future__ import annotations

from src.auth import policies as auth_policies
from src.auth.principal import Principal


def may_create_consulates(principal: Principal) -> bool:
    """A consulate is an organization: only a platform administrator creates one."""
    return auth_policies.may_manage_organizations(principal)
