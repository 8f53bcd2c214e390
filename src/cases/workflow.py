"""Workflows as data: the states of each case kind, who may take each transition, and deadlines.

One engine (`check_transition`, `due_at`) reads these tables; nothing else knows a state's name.
Source: shared/reference/taxonomies.md, "Workflows".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

CLOSED = "closed"
REOPENED = "reopened"  # a request, not a state: returns the case to its kind's working state
WORKERS = frozenset({"officer", "supervisor", "coordinator"})
SUPERVISORS = frozenset({"supervisor", "coordinator"})


@dataclass(frozen=True)
class Deadline:
    """A case that entered `since` must reach `reach` (or a later state) within `days`."""

    since: str
    reach: str
    days: int


@dataclass(frozen=True)
class Workflow:
    kind: str
    # state -> rank; states of equal rank are alternative branches (identified | not_a_victim).
    ranks: Mapping[str, int]
    transitions: Mapping[str, frozenset[str]]
    working_state: str
    deadlines: tuple[Deadline, ...] = ()
    # state -> least days a case must stay there (the trafficking reflection period).
    minimum_days: Mapping[str, int] | None = None

    @property
    def initial_state(self) -> str:
        return min(self.ranks, key=lambda state: self.ranks[state])

    @property
    def states(self) -> tuple[str, ...]:
        return (*sorted(self.ranks, key=lambda s: (self.ranks[s], s)), CLOSED)

    def targets(self, state: str) -> frozenset[str]:
        """Where a case in `state` may go (closing always; reopening from closed only)."""
        if state == CLOSED:
            return frozenset({REOPENED})
        return self.transitions.get(state, frozenset()) | {CLOSED}

    def roles_for(self, target: str) -> frozenset[str]:
        return SUPERVISORS if target in (CLOSED, REOPENED) else WORKERS


def _chain(*states: str) -> dict[str, frozenset[str]]:
    return {a: frozenset({b}) for a, b in pairwise(states)}


def _ranks(*groups: str | tuple[str, ...]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for rank, group in enumerate(groups):
        for state in (group,) if isinstance(group, str) else group:
            ranks[state] = rank
    return ranks


ABUSE = Workflow(
    kind="abuse",
    ranks=_ranks("intake", "triage", "verification", "assistance", "redress"),
    transitions=_chain("intake", "triage", "verification", "assistance", "redress"),
    working_state="assistance",
    deadlines=(Deadline("intake", "triage", 3), Deadline("intake", "verification", 14)),
)

TRAFFICKING = Workflow(
    kind="trafficking",
    ranks=_ranks(
        "intake",
        "screening",
        "presumed_victim",
        "reflection_period",
        ("identified", "not_a_victim"),
        "assistance",
        "return_or_integration",
        "reintegration",
    ),
    transitions={
        **_chain("intake", "screening", "presumed_victim", "reflection_period"),
        "reflection_period": frozenset({"identified", "not_a_victim"}),
        **_chain("identified", "assistance", "return_or_integration", "reintegration"),
    },
    working_state="assistance",
    deadlines=(Deadline("intake", "screening", 1),),
    minimum_days={"reflection_period": 30},
)

CHILD_RETURN = Workflow(
    kind="child_return",
    ranks=_ranks(
        "detected",
        "placed",
        "consulate_notified",
        "identity_verified",
        "family_traced",
        "return_accepted",
        "travel_document_issued",
        "escorted_transfer",
        "handed_over",
        ("reunified", "alternative_care"),
        "follow_up",
    ),
    transitions={
        **_chain(
            "detected",
            "placed",
            "consulate_notified",
            "identity_verified",
            "family_traced",
            "return_accepted",
            "travel_document_issued",
            "escorted_transfer",
            "handed_over",
        ),
        "handed_over": frozenset({"reunified", "alternative_care"}),
        "reunified": frozenset({"follow_up"}),
        "alternative_care": frozenset({"follow_up"}),
    },
    working_state="follow_up",
    deadlines=(Deadline("detected", "consulate_notified", 3), Deadline("placed", "consulate_notified", 30)),
)

WORKFLOWS: dict[str, Workflow] = {w.kind: w for w in (ABUSE, TRAFFICKING, CHILD_RETURN)}
_ALL_STATES = frozenset(state for flow in WORKFLOWS.values() for state in flow.states)


def is_state(kind: str | None, status: str) -> bool:
    """Whether `status` is a state of the kind's workflow (of any workflow without a kind)."""
    return status in (WORKFLOWS[kind].states if kind in WORKFLOWS else _ALL_STATES)


class TransitionRefused(Exception):
    def __init__(self, reason: str, allowed: frozenset[str], not_before: datetime | None = None):
        super().__init__(reason)
        self.reason = reason  # illegal | role | too_early
        self.allowed = allowed  # the moves this role may make now
        self.not_before = not_before  # too_early: from when the move is possible


def earliest_move(workflow: Workflow, current: str, entered_current_at: datetime) -> datetime | None:
    """When a case may leave `current` other than by closing (None: whenever); the reflection period."""
    minimum = (workflow.minimum_days or {}).get(current)
    return entered_current_at + timedelta(days=minimum) if minimum else None


def possible_moves(
    workflow: Workflow, current: str, role: str, entered_current_at: datetime, now: datetime
) -> frozenset[str]:
    """The targets a case in `current` may move to now, by this role: a move barred by its role or by time
    is not one (a client offers exactly these)."""
    barred_until = earliest_move(workflow, current, entered_current_at)
    return frozenset(
        target
        for target in workflow.targets(current)
        if role in workflow.roles_for(target)
        and (target == CLOSED or barred_until is None or now >= barred_until)
    )


def check_transition(
    workflow: Workflow, current: str, target: str, role: str, entered_current_at: datetime, now: datetime
) -> str:
    """The state the case moves to, or TransitionRefused. `reopened` answers the working state."""
    allowed = possible_moves(workflow, current, role, entered_current_at, now)
    if target not in workflow.targets(current):
        raise TransitionRefused("illegal", allowed)
    if role not in workflow.roles_for(target):
        raise TransitionRefused("role", allowed)
    barred_until = earliest_move(workflow, current, entered_current_at)
    if barred_until is not None and target != CLOSED and now < barred_until:
        raise TransitionRefused("too_early", allowed, barred_until)
    return workflow.working_state if target == REOPENED else target


def due_at(workflow: Workflow, state: str, entered: Mapping[str, datetime]) -> datetime | None:
    """The earliest pending deadline of a case in `state`, given when it first entered each state."""
    if state == CLOSED:
        return None
    rank = workflow.ranks[state]
    pending = [
        entered[d.since] + timedelta(days=d.days)
        for d in workflow.deadlines
        if d.since in entered and rank < workflow.ranks[d.reach]
    ]
    return min(pending, default=None)
