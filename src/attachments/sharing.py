"""Evidence through a referral: its recipient lists and downloads exactly the attachments the referral names,
only while the referral is open and the person's consent to refer and share holds. Every read names the
referral; anything else answers 404 (as if the attachment did not exist)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from src.attachments import repository, service
from src.attachments.schemas import SharedAttachmentRead
from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import repository as cases_repository
from src.platform.errors import Unprocessable
from src.referrals import policies as referral_policies
from src.referrals import repository as referrals_repository

if TYPE_CHECKING:
    from src.referrals.models import Referral


async def evidence_of(
    session: AsyncSession, case_id: uuid.UUID, attachment_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """The attachments a new referral of the case shares: each the case's, with its content (else 422)."""
    evidence = list(dict.fromkeys(attachment_ids))
    if evidence and await repository.ids_with_content(session, case_id, evidence) != set(evidence):
        raise Unprocessable.at(["body", "evidence"], "not an attachment of this case with content")
    return evidence


async def record_share(session: AsyncSession, principal: Principal, referral: Referral) -> None:
    """On the case, so that its access log shows which evidence went to whom."""
    if referral.evidence:
        await audit.record(
            session,
            principal.actor,
            "case.attachment.share",
            resource_type="case",
            resource_id=referral.case_id,
            detail={
                "referral_id": str(referral.id),
                "to_organization_id": str(referral.to_organization_id),
                "attachment_ids": [str(i) for i in referral.evidence],
            },
        )


async def _evidence_of(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, action: str
) -> Referral:
    """The referral if the caller's organization received it and its evidence may be read now; else 404
    (403 for its sender, who sees the referral)."""
    referral = await referrals_repository.get_readable(session, principal, referral_id)
    if referral is None:
        raise audit.not_found(principal.actor, action, "referral", referral_id)
    if referral.to_organization_id != principal.organization_id:
        raise audit.denied(
            principal.actor,
            action,
            "referral",
            referral.id,
            "The referral's recipient reads its evidence here; the sender reads the case's attachments.",
        )
    if not referral_policies.is_open(referral.status):
        raise audit.not_found(
            principal.actor,
            action,
            "referral",
            referral_id,
            f"The referral is {referral.status}: no evidence.",
        )
    consent = await cases_repository.consent_by_purpose(session, referral.case_id)
    if any(consent.get(purpose) == "withdrawn" for purpose in referral_policies.REQUIRED_CONSENT):
        raise audit.not_found(
            principal.actor, action, "referral", referral_id, "Consent to share was withdrawn: no evidence."
        )
    return referral


async def list_shared(
    session: AsyncSession,
    principal: Principal,
    referral_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
) -> list[SharedAttachmentRead]:
    action = "case.attachment.list"
    referral = await _evidence_of(session, principal, referral_id, action)
    found = await repository.list_of_case(
        session, referral.case_id, before=before, limit=limit, only=referral.evidence
    )
    await audit.record(
        session,
        principal.actor,
        action,
        resource_type="case",
        resource_id=referral.case_id,
        detail={"via_referral": str(referral.id), "attachment_ids": [str(a.id) for a in found[: limit - 1]]},
    )
    return [
        SharedAttachmentRead(
            id=a.id,
            category=a.category,
            media_type=a.media_type,
            size=a.size,
            sha256=service.hex_of(a.sha256),
            created_at=a.created_at,
        )
        for a in found
    ]


async def open_shared(
    session: AsyncSession,
    principal: Principal,
    referral_id: uuid.UUID,
    attachment_id: uuid.UUID,
    range_header: str | None,
) -> service.Download:
    action = "case.attachment.read"
    referral = await _evidence_of(session, principal, referral_id, action)
    if attachment_id not in referral.evidence:
        raise audit.not_found(principal.actor, action, "attachment", attachment_id)
    return await service.open_download(
        session, principal, referral.case_id, attachment_id, range_header, via_referral=referral.id
    )
