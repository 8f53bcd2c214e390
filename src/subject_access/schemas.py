"""The subject-access export of a case: everything held about its persons, in one document."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from src.audit.schemas import AuditEventRead
from src.cases.read_schemas import CaseRead, NoteRead
from src.platform.schemas import OutputModel
from src.redress.schemas import RedressRead
from src.referrals.schemas import ReferralExport


class ConsentEntry(OutputModel):
    purpose: str
    given_by: str
    given_on: date


class CaseExport(OutputModel):
    exported_at: datetime
    exported_by: uuid.UUID
    case: CaseRead = Field(description="The case with its persons and violations, sealed fields opened.")
    consents: list[ConsentEntry]
    referrals: list[ReferralExport] = Field(description="Both ways, each with what its other side was shown.")
    redress: list[RedressRead]
    notes: list[NoteRead]
    access_log: list[AuditEventRead] = Field(
        description="Who read or changed the case and when, oldest first (at most `access_log_limit` events)."
    )
    access_log_limit: int
    access_log_complete: bool
