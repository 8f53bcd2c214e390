"""Pure permission rules for legal instruments and redress actions."""

from __future__ import annotations

import uuid

from src.auth.principal import Principal
from src.cases import policies as case_policies


def may_add_instruments(principal: Principal) -> bool:
    return principal.role == "coordinator"


def may_write_redress(principal: Principal, owner_id: uuid.UUID, assignee_id: uuid.UUID | None) -> bool:
    """Redress actions are part of the case: whoever may change the case may record them."""
    return case_policies.may_write(principal, owner_id, assignee_id)
