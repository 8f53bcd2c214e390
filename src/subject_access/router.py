"""HTTP for the subject-access export of a case."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path

from src.auth.dependencies import CurrentPrincipal
from src.platform.errors import problem_responses
from src.platform.routing import Router
from src.platform.session import DbSession
from src.subject_access import service
from src.subject_access.schemas import CaseExport

router = Router(prefix="/v1", responses=problem_responses(401, 422), tags=["cases"])


@router.get(
    "/cases/{case_id}/export",
    response_model=CaseExport,
    responses=problem_responses(403, 404),
    summary="Export a case for its data subject",
)
async def export_case(
    session: DbSession, principal: CurrentPrincipal, case_id: Annotated[uuid.UUID, Path()]
) -> CaseExport:
    """Everything held about the case's persons, for a data subject's access request: the case, consents,
    referrals with what each recipient was shown, redress, notes, and who read the case and when. A
    supervisor or coordinator of the owning organization (403 for other roles; 404 for a case the caller
    may not see). Audited as an export."""
    return await service.export_case(session, principal, case_id)
