"""GET /v1/cases/{id}/export: what the consulate holds about a case's persons, for a data subject's request
(data protection laws in the region give the person that right within days). A supervisor of the owning
consulate asks; the export is audited as one (`case.export`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import reading as audit_reading
from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import guards, policies, repository, views
from src.cases.read_schemas import NoteRead
from src.platform import clock
from src.redress import service as redress
from src.referrals import export as referrals
from src.subject_access.schemas import CaseExport, ConsentEntry

ACCESS_LOG_LIMIT = 10_000


async def export_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> CaseExport:
    case, children = await guards.readable_whole(session, principal, case_id, "case.export")
    if not policies.may_supervise(principal, case.owner_organization_id):
        raise guards.denied(
            principal, "case.export", case.id, "A supervisor of the owning consulate exports."
        )
    now = clock.utcnow()
    access_log = await audit_reading.whole_access_log(session, case.id, ACCESS_LOG_LIMIT + 1)
    export = CaseExport(
        exported_at=now,
        exported_by=principal.id,
        case=await views.read_model(session, case, now, children),
        consents=[
            ConsentEntry(purpose=c.purpose, given_by=c.given_by, given_on=c.given_on)
            for c in children.consents
        ],
        referrals=await referrals.of_case(session, principal, case, children.persons, children.violations),
        redress=await redress.of_case(session, case.id),
        notes=[NoteRead.model_validate(n) for n in await repository.notes_of(session, case.id)],
        access_log=access_log[:ACCESS_LOG_LIMIT],
        access_log_limit=ACCESS_LOG_LIMIT,
        access_log_complete=len(access_log) <= ACCESS_LOG_LIMIT,
    )
    await audit.record(
        session,
        principal.actor,
        "case.export",
        resource_type="case",
        resource_id=case.id,
        detail={"referrals": len(export.referrals), "access_log": len(export.access_log)},
    )
    return export
