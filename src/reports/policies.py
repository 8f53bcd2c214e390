"""Pure permission rules for reports."""

from __future__ import annotations

from src.auth.principal import Principal
from src.auth.scopes import REPORTS_READ

READERS = frozenset({"coordinator", "auditor"})


def may_read_reports(principal: Principal) -> bool:
    """Coordinators and oversight bodies (auditors), with the reports scope."""
    return principal.role in READERS and REPORTS_READ in principal.scopes
