"""Pure permission rules for exports."""

from __future__ import annotations

from src.auth.principal import Principal
from src.auth.scopes import REPORTS_READ

# Records, even de-identified, go further than counts: only the ministry's coordinators pool them, not the
# oversight bodies that read the reports.
EXPORTERS = frozenset({"coordinator"})


def may_export(principal: Principal) -> bool:
    return principal.role in EXPORTERS and REPORTS_READ in principal.scopes
