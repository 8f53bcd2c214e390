"""Referral use cases: send (consent checked), act on, read with the consent-scoped case, exchange updates."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from src.attachments import sharing as attachment_sharing
from src.audit import service as audit
from src.auth import repository as auth_repository
from src.auth.principal import Principal
from src.cases import guards as case_guards
from src.cases import intake as case_intake
from src.cases import repository as cases
from src.cases.read_schemas import TimelineEntry
from src.cases.rows import consent_withdrawn
from src.cases.schemas import CaseCreate
from src.consulates import repository as consulates
from src.crypto import fields
from src.platform import clock
from src.platform.errors import Conflict, Forbidden, Unprocessable
from src.platform.session import flush_or_conflict
from src.referrals import policies, repository
from src.referrals.models import OPEN_STATUSES, Referral, ReferralUpdate
from src.referrals.schemas import (
    InboundReferralCreate,
    ReferralCreate,
    ReferralRead,
    ReferralUpdateIn,
    ReferralUpdateRead,
    SharedCase,
)
from src.referrals.views import ALL_GROUPS, shared_case
from src.webhooks import service as webhooks


async def notify(session: AsyncSession, referral: Referral, event: str, *organizations: uuid.UUID) -> None:
    """Thin events (ids and type): partners fetch the rest through the audited API."""
    for organization_id in organizations:
        await webhooks.enqueue(
            session,
            organization_id,
            f"referral.{event}",
            str(referral.id),
            {"referral_id": str(referral.id), "status": referral.status},
        )


def _counterpart(referral: Referral, principal: Principal) -> uuid.UUID:
    if principal.organization_id == referral.from_organization_id:
        return referral.to_organization_id
    return referral.from_organization_id


def _denied(principal: Principal, action: str, referral_id: uuid.UUID | None, detail: str) -> Forbidden:
    return audit.denied(principal.actor, action, "referral", referral_id, detail)


async def _readable_referral(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, action: str
) -> Referral:
    """The referral if the caller's organization sent or received it; else a 404 audited under `action`."""
    referral = await repository.get_readable(session, principal, referral_id)
    if referral is None:
        raise audit.not_found(principal.actor, action, "referral", referral_id)
    return referral


async def timeline_entries(session: AsyncSession, case_id: uuid.UUID) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=u.created_at,
            type="referral",
            actor_id=u.author_id,
            referral_id=u.referral_id,
            event=u.kind,
            body=u.body,
        )
        for u in await repository.updates_of_case(session, case_id)
    ]


async def create_referral(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: ReferralCreate
) -> ReferralRead:
    case = await case_guards.readable_case(session, principal, case_id, "referral.create")
    if not policies.may_refer(principal, case.owner_organization_id, case.assignee_id):
        raise _denied(principal, "referral.create", None, "You may not refer this case.")
    recipient = await auth_repository.get_organization(session, body.to_organization_id)
    if recipient is None or not policies.may_receive(
        recipient.kind, recipient.id, case.owner_organization_id
    ):
        raise Unprocessable.at(
            ["body", "to_organization_id"],
            "not a recipient",
            "The recipient must be another consulate or a partner organization.",
        )
    if body.due_on is not None and body.due_on < clock.utcnow().date():
        raise Unprocessable.at(["body", "due_on"], "date is in the past", "due_on is in the past.")
    missing = policies.missing_consent(await cases.consented_purposes(session, case.id))
    if missing and body.consent_exception is None:
        raise Conflict(
            "The case's consent does not cover this referral; record a consent exception with its "
            "legal basis to proceed.",
            extra={"missing_consent": missing},
        )
    evidence = await attachment_sharing.evidence_of(session, case.id, body.evidence)
    referral = Referral(
        case_id=case.id,
        from_organization_id=case.owner_organization_id,
        to_organization_id=recipient.id,
        services=body.services,
        urgency=body.urgency,
        reason=body.reason,
        share=body.share,
        evidence=evidence,
        due_on=body.due_on,
        consent_exception=body.consent_exception.model_dump() if body.consent_exception else None,
        created_by=principal.id,
        created_at=clock.utcnow(),
        updated_at=clock.utcnow(),
    )
    session.add(referral)
    await flush_or_conflict(session, "This case already has an open referral to that organization.")
    session.add(
        ReferralUpdate(
            created_at=clock.utcnow(),
            referral_id=referral.id,
            author_id=principal.id,
            author_organization_id=principal.organization_id,
            kind="created",
        )
    )
    await audit.record(
        session,
        principal.actor,
        "referral.create",
        resource_type="referral",
        resource_id=referral.id,
        changed_fields=body.model_fields_set,
        detail={
            "case_id": str(case.id),
            "share": sorted(body.share),
            "evidence": [str(i) for i in evidence],
            "consent_exception": body.consent_exception is not None,
        },
    )
    await attachment_sharing.record_share(session, principal, referral)
    await notify(session, referral, "created", referral.to_organization_id)
    return await _read(session, principal, referral)


async def create_inbound(
    session: AsyncSession, principal: Principal, body: InboundReferralCreate
) -> ReferralRead:
    """A partner refers a new case: routed to the covering consulate, which owns it; the partner sends."""
    if not policies.may_send_inbound(principal):
        raise _denied(
            principal, "referral.create", None, "Only partner organizations send inbound referrals."
        )
    assert body.subject.citizenship is not None
    consulate_id = await consulates.covering_consulate_id(
        session,
        sending_country=body.subject.citizenship,
        country=body.occurred.country,
        region=body.occurred.region,
    )
    if consulate_id is None:
        raise Unprocessable.at(
            ["body", "occurred"],
            "no covering consulate",
            "No consulate of the subject's state covers the place where it happened.",
        )
    now = clock.utcnow()
    case_body = CaseCreate.model_validate(body.model_dump(include=set(CaseCreate.model_fields)))
    case, children = await case_intake.open_case(session, principal, case_body, consulate_id, now)
    referral = Referral(
        case_id=case.id,
        from_organization_id=principal.organization_id,
        to_organization_id=consulate_id,
        services=body.services,
        urgency=body.urgency,
        reason=body.reason or body.summary,
        share=sorted(ALL_GROUPS),
        evidence=[],
        created_by=principal.id,
        created_at=now,
        updated_at=now,
    )
    persons, violations, _ = children
    submitted = shared_case(case, persons, violations, ALL_GROUPS, now.date())
    referral.submitted_view = submitted.model_dump(mode="json", exclude_none=True)
    session.add(referral)
    await session.flush()
    session.add(
        ReferralUpdate(
            created_at=now,
            referral_id=referral.id,
            author_id=principal.id,
            author_organization_id=principal.organization_id,
            kind="created",
        )
    )
    await audit.record(
        session,
        principal.actor,
        "referral.create",
        resource_type="referral",
        resource_id=referral.id,
        changed_fields=body.model_fields_set,
        detail={"case_id": str(case.id), "inbound": True},
    )
    # The consulate hears of a partner's new case as `referral.received` (an inbound referral).
    await notify(session, referral, "received", referral.to_organization_id)
    return await _read(session, principal, referral)


async def _read(session: AsyncSession, principal: Principal, referral: Referral) -> ReferralRead:
    """The case as each side may see it. The sender of an inbound referral (a partner) sees only the snapshot
    of what it submitted, whatever the status; the sender of an outgoing referral owns the case and sees it
    whole; the recipient sees the `share` groups while the referral is open, and nothing after."""
    sender = referral.from_organization_id == principal.organization_id
    view = None
    withdrawn = False
    detail: dict[str, Any] = {"via_referral": str(referral.id)}
    if sender and referral.submitted_view is not None:
        view = SharedCase.model_validate(referral.submitted_view)
        detail["submitted"] = True
    elif sender or referral.status in OPEN_STATUSES:
        case = await cases.get_case_row(session, referral.case_id)
        # A sender that does not own the case (an inbound referral from before snapshots) sees nothing of it.
        if not sender or case.owner_organization_id == principal.organization_id:
            persons, violations, consents = await cases.children(session, referral.case_id)
            groups = ALL_GROUPS if sender else frozenset(referral.share)
            # Consent to refer or share withdrawn: the recipient keeps the referral's metadata, nothing more.
            outside = not sender and case.owner_organization_id != principal.organization_id
            withdrawn = outside and bool(consent_withdrawn(consents) & policies.REQUIRED_CONSENT)
            if not withdrawn:
                view = shared_case(case, persons, violations, groups, clock.utcnow().date())
                detail["share"] = sorted(groups)
    if view is not None:
        await audit.record(
            session,
            principal.actor,
            "case.read",
            resource_type="case",
            resource_id=referral.case_id,
            detail=detail,
        )
    return referral_read(referral, principal, view, consent_withdrawn=withdrawn)


def referral_read(
    referral: Referral | repository.ReferralRow,
    principal: Principal,
    view: SharedCase | None = None,
    *,
    consent_withdrawn: bool = False,
    reference: str | None = None,
) -> ReferralRead:
    """The referral as this caller may see it: the case id only for the sender's own case."""
    return ReferralRead(
        id=referral.id,
        reference=reference if reference is not None else view.reference if view is not None else None,
        case_id=referral.case_id if referral.from_organization_id == principal.organization_id else None,
        from_organization_id=referral.from_organization_id,
        to_organization_id=referral.to_organization_id,
        services=referral.services,
        urgency=referral.urgency,
        reason=referral.reason,
        share=referral.share,
        evidence=list(referral.evidence or ()),
        due_on=referral.due_on,
        status=referral.status,
        status_note=referral.status_note,
        consent_exception=referral.consent_exception is not None,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        case=view,
        consent_withdrawn=consent_withdrawn,
    )


async def get_referral(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> ReferralRead:
    referral = await _readable_referral(session, principal, referral_id, "referral.read")
    await audit.record(
        session, principal.actor, "referral.read", resource_type="referral", resource_id=referral.id
    )
    return await _read(session, principal, referral)


async def act(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, action: str, note: str | None
) -> ReferralRead:
    who, sources, target, note_required = policies.ACTIONS[action]
    referral = await _readable_referral(session, principal, referral_id, f"referral.{action}")
    if not policies.on_side(principal, referral, who):
        raise _denied(
            principal, f"referral.{action}", referral.id, f"Only the {who} may {action} this referral."
        )
    if action == "withdraw" and not policies.may_withdraw(principal):
        raise _denied(principal, "referral.withdraw", referral.id, "A supervisor withdraws referrals.")
    if note_required and not note:
        raise Unprocessable.at(["body", "note"], "required", f"To {action} a referral, say why in `note`.")
    now = clock.utcnow()
    result = await session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status.in_(sources))
        .values(
            status=target,
            status_note_sealed=fields.seal_value("referral", "status_note", referral.id, note)
            if note
            else None,
            updated_at=now,
            **({"accepted_at": now} if target == "accepted" else {}),
        )
        .returning(Referral.id)
    )
    if result.first() is None:
        raise Conflict(
            f"A referral that is {referral.status} cannot be {target}.",
            extra={"allowed": policies.allowed_actions(referral.status, who)},
        )
    await session.refresh(referral)
    session.add(
        ReferralUpdate(
            created_at=now,
            referral_id=referral.id,
            author_id=principal.id,
            author_organization_id=principal.organization_id,
            kind=target,
            body=note,
        )
    )
    await audit.record(
        session,
        principal.actor,
        f"referral.{action}",
        resource_type="referral",
        resource_id=referral.id,
        changed_fields=("status",),
        detail={"to": target},
    )
    await notify(session, referral, target, _counterpart(referral, principal))
    return await _read(session, principal, referral)


async def add_update(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, body: ReferralUpdateIn
) -> ReferralUpdateRead:
    referral = await _readable_referral(session, principal, referral_id, "referral.update.create")
    if not policies.may_write_updates(principal):
        raise _denied(principal, "referral.update.create", referral.id, "Your token may not write referrals.")
    if referral.status not in OPEN_STATUSES:
        raise Conflict(f"The referral is {referral.status}: no more updates.")
    row = ReferralUpdate(
        created_at=clock.utcnow(),
        referral_id=referral.id,
        author_id=principal.id,
        author_organization_id=principal.organization_id,
        kind="progress",
        body=body.body,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        principal.actor,
        "referral.update.create",
        resource_type="referral",
        resource_id=referral.id,
        changed_fields=("body",),
    )
    await notify(session, referral, "updated", _counterpart(referral, principal))
    return ReferralUpdateRead.model_validate(row)


async def list_updates(
    session: AsyncSession,
    principal: Principal,
    referral_id: uuid.UUID,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> list[ReferralUpdateRead]:
    """`limit` updates after `after`, oldest first (the route asks one more: is there a next page?)."""
    referral = await _readable_referral(session, principal, referral_id, "referral.update.list")
    rows = await repository.updates_of(session, referral.id, after=after, limit=limit)
    await audit.record(
        session, principal.actor, "referral.update.list", resource_type="referral", resource_id=referral.id
    )
    return [ReferralUpdateRead.model_validate(r) for r in rows]
