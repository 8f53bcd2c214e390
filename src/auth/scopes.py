"""OAuth scopes and which roles may hold them; which roles fit which kind of organization."""

from __future__ import annotations

CASES_READ = "cases:read"
CASES_WRITE = "cases:write"
REFERRALS_READ = "referrals:read"
REFERRALS_WRITE = "referrals:write"
AUDIT_READ = "audit:read"
REPORTS_READ = "reports:read"
ADMIN = "admin"


ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset({ADMIN}),
    "coordinator": frozenset({CASES_READ, CASES_WRITE, REFERRALS_READ, REFERRALS_WRITE, REPORTS_READ}),
    "supervisor": frozenset({CASES_READ, CASES_WRITE, REFERRALS_READ, REFERRALS_WRITE, AUDIT_READ}),
    "officer": frozenset({CASES_READ, CASES_WRITE, REFERRALS_READ, REFERRALS_WRITE}),
    "partner": frozenset({REFERRALS_READ, REFERRALS_WRITE}),
    "auditor": frozenset({AUDIT_READ, REPORTS_READ}),
}

ROLES_BY_ORGANIZATION_KIND: dict[str, frozenset[str]] = {
    "ministry": frozenset({"admin", "coordinator", "supervisor", "officer"}),
    "consulate": frozenset({"admin", "supervisor", "officer"}),
    "partner": frozenset({"admin", "partner"}),
    "oversight": frozenset({"admin", "auditor"}),
}

# Machine callers: partner systems and oversight systems (DESIGN.md: client_credentials).
CLIENT_ROLES = frozenset({"partner", "auditor", "officer", "supervisor", "coordinator"})


def granted_scopes(role: str, requested: str | None) -> frozenset[str] | None:
    """Scopes a token for `role` carries: all the role's when none are asked; None if one is not allowed."""
    allowed = ROLE_SCOPES.get(role, frozenset())
    if not requested or not requested.strip():
        return allowed
    asked = frozenset(requested.split())
    return asked if asked <= allowed else None
