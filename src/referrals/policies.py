"""Pure rules for referrals (DESIGN.md "Who sees what"): who sends, who acts, what consent must cover."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from src.auth.principal import Principal
from src.auth.scopes import REFERRALS_WRITE
from src.cases import policies as case_policies
from src.referrals.models import OPEN_STATUSES, Referral

REQUIRED_CONSENT = frozenset({"referral", "partner_data_sharing"})
RECIPIENT_KINDS = frozenset({"partner", "consulate"})
# On a consulate's or ministry's side supervisors withdraw (an officer sends, a coordinator sends); a
# partner withdraws the inbound referrals its organization sent.
WITHDRAWING_ROLES = frozenset({"supervisor", "partner"})


class Action(NamedTuple):
    who: str  # sender | recipient
    sources: frozenset[str]
    target: str
    note_required: bool


ACTIONS: dict[str, Action] = {
    "accept": Action("recipient", frozenset({"pending"}), "accepted", False),
    "decline": Action("recipient", frozenset({"pending"}), "declined", True),
    "complete": Action("recipient", frozenset({"accepted"}), "completed", True),
    "withdraw": Action("sender", frozenset(OPEN_STATUSES), "withdrawn", False),
}


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def may_refer(principal: Principal, owner_id: uuid.UUID, assignee_id: uuid.UUID | None) -> bool:
    """Whoever may change the case, with a token that writes referrals."""
    return REFERRALS_WRITE in principal.scopes and case_policies.may_write(principal, owner_id, assignee_id)


def may_receive(kind: str, organization_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
    """Another consulate or a partner organization, never the case's owner."""
    return kind in RECIPIENT_KINDS and organization_id != owner_id


def missing_consent(consented: set[str]) -> list[str]:
    return sorted(REQUIRED_CONSENT - consented)


def may_send_inbound(principal: Principal) -> bool:
    return principal.role == "partner" and REFERRALS_WRITE in principal.scopes


def on_side(principal: Principal, referral: Referral, who: str) -> bool:
    """The caller's organization is the referral's sender (or recipient), its token writes referrals."""
    side = referral.from_organization_id if who == "sender" else referral.to_organization_id
    return REFERRALS_WRITE in principal.scopes and side == principal.organization_id


def may_withdraw(principal: Principal) -> bool:
    return principal.role in WITHDRAWING_ROLES


def may_write_updates(principal: Principal) -> bool:
    return REFERRALS_WRITE in principal.scopes


def allowed_actions(status: str, who: str) -> list[str]:
    """What this side may still do to a referral in this status."""
    return sorted(name for name, action in ACTIONS.items() if status in action.sources and action.who == who)
