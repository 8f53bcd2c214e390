"""The HTCDS export: trafficking cases as de-identified HTCDS records, audited as an export with its
parameters (never its records). Used by the API (a coordinator) and the CLI (the system)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.exports import deidentify, htcds, policies, repository
from src.platform import clock
from src.reports.service import Period

ACTION = "export.htcds"


def authorize(principal: Principal) -> None:
    if not policies.may_export(principal):
        raise audit.denied(
            principal.actor, ACTION, "export", detail="Only the ministry's coordinators export HTCDS records."
        )


async def export(
    session: AsyncSession, actor: audit.Actor, k: int, period: Period, form: str
) -> dict[str, Any]:
    """The export as plain data: `metadata` (what was asked, k, how many records were released, generalized
    and withheld, the generalization steps), `dictionary` and `records`."""
    cases = await repository.trafficking_cases(session, period.start, period.end)
    done = deidentify.deidentify([htcds.record(case) for case in cases], k)
    metadata = {
        "standard": htcds.STANDARD,
        "standard_source": htcds.STANDARD_SOURCE,
        **period.detail(),
        "k": k,
        "quasi_identifiers": list(deidentify.QUASI_IDENTIFIERS),
        "cases": len(cases),
        "records": len(done.records),
        "generalized": done.generalized,
        "withheld": done.withheld,
        "generalization_steps": done.steps,
        "generated_at": clock.utcnow().isoformat(),
    }
    await audit.record(
        session,
        actor,
        ACTION,
        resource_type="export",
        detail={
            **period.detail(),
            "format": form,
            "k": k,
            "records": len(done.records),
            "generalized": done.generalized,
            "withheld": done.withheld,
        },
    )
    return {"metadata": metadata, "dictionary": htcds.dictionary(), "records": done.records}
