"""Changes to a case under optimistic locking: update, transition, assignment, legal hold."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth import repository as auth_repository
from src.auth.principal import Principal
from src.cases import guards, policies, repository, views, workflow
from src.cases.models import Assignment, Case, Transition
from src.cases.read_schemas import CaseRead
from src.cases.schemas import DETAILS_BY_KIND, AssignIn, CasePatch, LegalHoldIn, TransitionIn
from src.crypto import fields
from src.platform import clock
from src.platform.errors import Conflict, PreconditionFailed, Unprocessable
from src.webhooks import service as webhooks


async def bump(session: AsyncSession, case: Case, expected: int, values: dict[str, Any]) -> None:
    """Write under optimistic locking: of two writers holding one ETag, exactly one succeeds."""
    now = clock.utcnow()
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.version == expected)
        .values(**values, version=Case.version + 1, updated_at=now)
        .returning(Case.version)
    )
    if result.first() is None:
        raise PreconditionFailed("The case changed since you read it; read it again.")
    await session.refresh(case)


async def set_legal_hold(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: str | None, body: LegalHoldIn
) -> tuple[CaseRead, str]:
    """A supervisor or coordinator of the owning organization stops (or allows again) retention."""
    case = await guards.readable_case(session, principal, case_id, "case.legal_hold")
    if not policies.may_supervise(principal, case.owner_organization_id):
        raise guards.denied(
            principal, "case.legal_hold", case.id, "Only a supervisor places or lifts a legal hold."
        )
    guards.not_anonymised(case)
    expected = guards.expected_version(if_match)
    await bump(session, case, expected, {"legal_hold": body.hold, "legal_hold_reason": body.reason})
    await audit.record(
        session,
        principal.actor,
        "case.legal_hold",
        resource_type="case",
        resource_id=case.id,
        changed_fields=("legal_hold", "legal_hold_reason"),
        detail={"hold": body.hold},
    )
    return await views.read_model(session, case, clock.utcnow()), views.etag(case)


async def update_case(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: str | None, patch: CasePatch
) -> tuple[CaseRead, str]:
    case = await guards.writable_case(session, principal, case_id, "case.update")
    expected = guards.current_version(case, if_match)
    changed = patch.model_fields_set
    values: dict[str, Any] = {}
    if "summary" in changed and patch.summary is not None:
        values["summary_sealed"] = fields.seal_value("case_file", "summary", case.id, patch.summary)
    if "intake_channel" in changed and patch.intake_channel is not None:
        values["intake_channel"] = patch.intake_channel
    if "occurred" in changed and patch.occurred is not None:
        values.update(
            occurred_country=patch.occurred.country,
            occurred_region=patch.occurred.region,
            occurred_city=patch.occurred.city,
        )
    if "details" in changed and patch.details is not None:
        try:
            details = DETAILS_BY_KIND[case.kind].model_validate(patch.details).model_dump(mode="json")
        except ValueError as exc:
            raise Unprocessable.at(["body", "details"], "details do not fit the case kind") from exc
        values["details_sealed"] = fields.seal_value("case_file", "details", case.id, details, codec="json")
    if not values:
        raise Unprocessable.at(["body"], "nothing to change")
    await bump(session, case, expected, values)
    await audit.record(
        session,
        principal.actor,
        "case.update",
        resource_type="case",
        resource_id=case.id,
        changed_fields=changed,
    )
    return await views.read_model(session, case, clock.utcnow()), views.etag(case)


async def transition(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: str | None, body: TransitionIn
) -> tuple[CaseRead, str]:
    case = await guards.writable_case(session, principal, case_id, "case.transition")
    expected = guards.current_version(case, if_match)
    flow = workflow.WORKFLOWS[case.kind]
    previous = case.status
    now = clock.utcnow()
    try:
        target = workflow.check_transition(
            flow, case.status, body.to, principal.role, case.status_entered_at, now
        )
    except workflow.TransitionRefused as refused:
        allowed = sorted(refused.allowed)
        if refused.reason == "role":
            raise guards.denied(
                principal, "case.transition", case.id, f"Your role may not move a case to '{body.to}'."
            ) from refused
        if refused.reason == "too_early" and refused.not_before is not None:
            minimum = (flow.minimum_days or {}).get(case.status)
            not_before = refused.not_before.isoformat().replace("+00:00", "Z")
            raise Conflict(
                f"The case must stay in '{case.status}' at least {minimum} days: it may move to "
                f"'{body.to}' from {not_before}.",
                extra={"allowed": allowed, "not_before": not_before},
            ) from refused
        raise Conflict(
            f"A case in '{case.status}' cannot move to '{body.to}'.", extra={"allowed": allowed}
        ) from refused
    if target == workflow.CLOSED and not body.reason:
        raise Unprocessable.at(["body", "reason"], "closing a case needs a reason")
    session.add(
        Transition(
            **({"id": await repository.next_transition_id(session)} if body.reason else {}),
            case_id=case.id,
            from_status=case.status,
            to_status=target,
            reason=body.reason,
            actor_id=principal.id,
            at=now,
            from_entered_at=case.status_entered_at,
            case_kind=case.kind,
        )
    )
    await session.flush()
    entered = await repository.entered_states(session, case.id)
    await bump(
        session,
        case,
        expected,
        {
            "status": target,
            "status_entered_at": now,
            "due_at": workflow.due_at(flow, target, entered),
        },
    )
    await audit.record(
        session,
        principal.actor,
        "case.transition",
        resource_type="case",
        resource_id=case.id,
        changed_fields=("status",),
        detail={"from": previous, "to": target},
    )
    return await views.read_model(session, case, now), views.etag(case)


async def assign(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: str | None, body: AssignIn
) -> tuple[CaseRead, str]:
    case = await guards.readable_case(session, principal, case_id, "case.assign")
    if not policies.may_assign(principal, case.owner_organization_id, case.assignee_id, body.assignee_id):
        refusal = "A supervisor assigns cases; an officer may only take one assigned to nobody."
        raise guards.denied(principal, "case.assign", case.id, refusal)
    expected = guards.expected_version(if_match)
    if body.assignee_id is not None:
        assignee = await auth_repository.case_worker(session, body.assignee_id, case.owner_organization_id)
        if assignee is None:
            raise Unprocessable.at(
                ["body", "assignee_id"], "not an active case worker of the owning organization"
            )
    now = clock.utcnow()
    session.add(Assignment(case_id=case.id, assignee_id=body.assignee_id, assigned_by=principal.id, at=now))
    await bump(session, case, expected, {"assignee_id": body.assignee_id})
    await audit.record(
        session,
        principal.actor,
        "case.assign",
        resource_type="case",
        resource_id=case.id,
        changed_fields=("assignee_id",),
    )
    await webhooks.enqueue(
        session,
        case.owner_organization_id,
        "case.assigned",
        str(case.id),
        {
            "case_id": str(case.id),
            "reference": case.reference,
            "kind": case.kind,
            "status": case.status,
            "assignee_id": str(body.assignee_id) if body.assignee_id else None,
        },
    )
    return await views.read_model(session, case, now), views.etag(case)
