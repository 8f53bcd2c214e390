"""Pure permission rules for cases (DESIGN.md "Who sees what")."""

from __future__ import annotations

import uuid

from src.auth.principal import Principal
from src.auth.scopes import CASES_READ, CASES_WRITE

CASE_WORKERS = frozenset({"officer", "supervisor", "coordinator"})


def reads_all_cases(principal: Principal) -> bool:
    return principal.role == "coordinator" and CASES_READ in principal.scopes


def reads_own_organization(principal: Principal) -> bool:
    return principal.role in ("officer", "supervisor") and CASES_READ in principal.scopes


def may_open_cases(principal: Principal) -> bool:
    return principal.role in CASE_WORKERS and CASES_WRITE in principal.scopes


def may_write(principal: Principal, owner_id: uuid.UUID, assignee_id: uuid.UUID | None) -> bool:
    """Officers write their organization's cases assigned to them or to nobody; supervisors and coordinators
    every case of their own organization."""
    if CASES_WRITE not in principal.scopes or owner_id != principal.organization_id:
        return False
    if principal.role == "officer":
        return assignee_id is None or assignee_id == principal.id
    return principal.role in ("supervisor", "coordinator")


def may_supervise(principal: Principal, owner_id: uuid.UUID) -> bool:
    """Supervisors and coordinators of the owning organization: assignment, legal holds."""
    return (
        CASES_WRITE in principal.scopes
        and principal.role in ("supervisor", "coordinator")
        and owner_id == principal.organization_id
    )


def may_assign(
    principal: Principal, owner_id: uuid.UUID, assignee_id: uuid.UUID | None, to: uuid.UUID | None
) -> bool:
    """Supervisors and coordinators assign their organization's cases; an officer may take one of them that
    is assigned to nobody (assign it to itself), nothing more."""
    if principal.role == "officer":
        return (
            CASES_WRITE in principal.scopes
            and owner_id == principal.organization_id
            and assignee_id is None
            and to == principal.id
        )
    return may_supervise(principal, owner_id)


def may_name_owner(principal: Principal) -> bool:
    """A ministry names (or routes to) the consulate that owns a case it opens; others own what they open."""
    return principal.organization_kind == "ministry"


def may_transfer(principal: Principal, owner_id: uuid.UUID) -> bool:
    """The owning consulate's supervisor asks another consulate to take a case; a coordinator moves any."""
    if CASES_WRITE not in principal.scopes:
        return False
    return principal.role == "coordinator" or (
        principal.role == "supervisor" and principal.organization_id == owner_id
    )


def may_decide_transfer(principal: Principal, to_organization_id: uuid.UUID) -> bool:
    return (
        CASES_WRITE in principal.scopes
        and principal.role == "supervisor"
        and principal.organization_id == to_organization_id
    )


def sees_transfer(principal: Principal, from_id: uuid.UUID, to_id: uuid.UUID) -> bool:
    return principal.role == "coordinator" or (
        principal.role in ("officer", "supervisor") and principal.organization_id in (from_id, to_id)
    )
