"""The workflow tables and engine: targets, roles, minimum stays, deadlines, and a state machine walk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from src.cases.workflow import (
    CLOSED,
    REOPENED,
    WORKFLOWS,
    TransitionRefused,
    check_transition,
    due_at,
    possible_moves,
)

NOW = datetime(2026, 11, 22, tzinfo=UTC)
ROLES = ("officer", "supervisor", "coordinator", "partner", "auditor", "admin")


def test_initial_states_follow_the_reference() -> None:
    assert {k: w.initial_state for k, w in WORKFLOWS.items()} == {
        "abuse": "intake",
        "trafficking": "intake",
        "child_return": "detected",
    }


def test_every_named_transition_leads_to_a_known_state() -> None:
    for workflow in WORKFLOWS.values():
        for source, targets in workflow.transitions.items():
            assert source in workflow.ranks
            assert targets <= set(workflow.ranks), (workflow.kind, source)
        assert workflow.working_state in workflow.ranks


def test_illegal_transition_names_allowed_targets() -> None:
    with pytest.raises(TransitionRefused) as refused:
        check_transition(WORKFLOWS["abuse"], "intake", "redress", "officer", NOW, NOW)
    assert refused.value.reason == "illegal"
    assert refused.value.allowed == {"triage"}  # the moves this role may make now (closing: supervisors)
    with pytest.raises(TransitionRefused) as by_supervisor:
        check_transition(WORKFLOWS["abuse"], "intake", "redress", "supervisor", NOW, NOW)
    assert by_supervisor.value.allowed == {"triage", CLOSED}


def test_only_supervisors_close_and_reopen() -> None:
    abuse = WORKFLOWS["abuse"]
    with pytest.raises(TransitionRefused) as refused:
        check_transition(abuse, "triage", CLOSED, "officer", NOW, NOW)
    assert refused.value.reason == "role"
    assert check_transition(abuse, "triage", CLOSED, "supervisor", NOW, NOW) == CLOSED
    assert check_transition(abuse, CLOSED, REOPENED, "supervisor", NOW, NOW) == "assistance"
    with pytest.raises(TransitionRefused):
        check_transition(abuse, CLOSED, REOPENED, "officer", NOW, NOW)


def test_branches() -> None:
    trafficking = WORKFLOWS["trafficking"]
    assert trafficking.targets("reflection_period") == {"identified", "not_a_victim", CLOSED}
    assert trafficking.targets("not_a_victim") == {CLOSED}
    assert WORKFLOWS["child_return"].targets("handed_over") == {"reunified", "alternative_care", CLOSED}


def test_reflection_period_lasts_at_least_thirty_days() -> None:
    trafficking = WORKFLOWS["trafficking"]
    entered = NOW - timedelta(days=29)
    with pytest.raises(TransitionRefused) as refused:
        check_transition(trafficking, "reflection_period", "identified", "officer", entered, NOW)
    assert refused.value.reason == "too_early"
    assert refused.value.not_before == entered + timedelta(days=30)
    assert refused.value.allowed == frozenset()  # an officer may not close, and identified must wait
    assert possible_moves(trafficking, "reflection_period", "supervisor", entered, NOW) == {CLOSED}
    after = NOW + timedelta(days=1)
    assert possible_moves(trafficking, "reflection_period", "officer", entered, after) == {
        "identified",
        "not_a_victim",
    }
    assert check_transition(trafficking, "reflection_period", CLOSED, "supervisor", entered, NOW) == CLOSED
    assert (
        check_transition(
            trafficking, "reflection_period", "identified", "officer", NOW - timedelta(days=30), NOW
        )
        == "identified"
    )


def test_deadlines() -> None:
    abuse = WORKFLOWS["abuse"]
    t0 = NOW
    assert due_at(abuse, "intake", {"intake": t0}) == t0 + timedelta(days=3)
    assert due_at(abuse, "triage", {"intake": t0, "triage": t0}) == t0 + timedelta(days=14)
    assert due_at(abuse, "verification", {"intake": t0}) is None
    assert due_at(abuse, CLOSED, {"intake": t0}) is None
    child = WORKFLOWS["child_return"]
    placed = t0 + timedelta(days=1)
    assert due_at(child, "placed", {"detected": t0, "placed": placed}) == t0 + timedelta(days=3)
    assert due_at(child, "consulate_notified", {"detected": t0, "placed": placed}) is None
    assert due_at(WORKFLOWS["trafficking"], "intake", {"intake": t0}) == t0 + timedelta(days=1)


class WorkflowWalk(RuleBasedStateMachine):
    """Random calls, allowed or not: the case only ever takes a move the tables allow."""

    @initialize(kind=st.sampled_from(sorted(WORKFLOWS)))
    def start(self, kind: str) -> None:
        self.workflow = WORKFLOWS[kind]
        self.state = self.workflow.initial_state
        self.entered = NOW
        self.now = NOW

    @rule(
        target_state=st.sampled_from(sorted({s for w in WORKFLOWS.values() for s in w.states} | {REOPENED})),
        role=st.sampled_from(ROLES),
        days=st.integers(min_value=0, max_value=40),
    )
    def attempt(self, target_state: str, role: str, days: int) -> None:
        self.now += timedelta(days=days)
        before = self.state
        try:
            after = check_transition(self.workflow, before, target_state, role, self.entered, self.now)
        except TransitionRefused as refused:
            legal = target_state in self.workflow.targets(before)
            assert refused.reason != "illegal" or not legal
            return
        assert target_state in self.workflow.targets(before)
        assert role in self.workflow.roles_for(target_state)
        if target_state == REOPENED:
            assert before == CLOSED and after == self.workflow.working_state
        else:
            assert after == target_state
        self.state, self.entered = after, self.now

    @invariant()
    def state_is_known(self) -> None:
        if hasattr(self, "workflow"):
            assert self.state in self.workflow.states


TestWorkflowWalk = WorkflowWalk.TestCase
TestWorkflowWalk.settings = hypothesis_settings(max_examples=200, stateful_step_count=30, deadline=None)
