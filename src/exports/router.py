"""HTTP for exports: `GET /v1/exports/htcds`, JSON by default, `format=csv` for the standard's flat file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic_core
from fastapi import Query, Response

from src.auth.dependencies import CurrentPrincipal
from src.exports import htcds, service
from src.platform import clock
from src.platform.dependencies import AppSettings
from src.platform.errors import problem_responses
from src.platform.routing import Router
from src.platform.schemas import IsoDate
from src.platform.session import DbSession
from src.reports import export
from src.reports.service import Period, check_period

COUNT_HEADERS = {
    "Ukuk-Htcds-Records": "Records released.",
    "Ukuk-Htcds-Generalized": "Released records with a quasi-identifier generalized.",
    "Ukuk-Htcds-Withheld": "Records withheld (suppressed): still in a class smaller than k.",
    "Ukuk-Htcds-K": "The k every combination of quasi-identifiers reaches.",
}
EXAMPLE = {
    "metadata": {
        "standard": "HTCDS",
        "from": "2026-01-01",
        "to": "2026-12-31",
        "k": 5,
        "records": 5,
        "generalized": 5,
        "withheld": 1,
        "generalization_steps": ["age band to a wide band"],
    },
    "dictionary": [{"name": "prs_Gender", "type": "Picklist", "quasi_identifier": True}],
    "records": [
        {
            "prs_Gender": "Female",
            "ukuk_AgeBand": "18-34",
            "prs_Nationality": "KG",
            "hte_CountryOfExploitation": "KZ",
            "hte_CountryOfRecruitment": "KG",
            "ukuk_TypeOfExploitation": ["forced_labour"],
            "ukuk_RegistrationYear": "2026",
            "vic_MethodsOfControl": ["FalsePromises", "WithholdsDocuments"],
            "vic_TypeOfLabourExploitation": [],
            "ukuk_RecruiterRelation": "acquaintance",
            "ukuk_TraffickingStatus": "possible",
        }
    ],
}
ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export: `metadata`, `dictionary` and `records` as JSON, or the records as CSV.",
        "content": {
            "application/json": {"schema": {"type": "object"}, "example": EXAMPLE},
            "text/csv": {"schema": {"type": "string"}},
        },
        "headers": {
            name: {"description": text, "schema": {"type": "integer"}} for name, text in COUNT_HEADERS.items()
        },
    }
}
router = Router(prefix="/v1/exports", tags=["exports"], responses=problem_responses(401, 403, 422))

From = Annotated[
    IsoDate | None, Query(alias="from", description="First day (UTC) of registration, included.")
]
To = Annotated[IsoDate | None, Query(description="Last day (UTC) of registration, included.")]
Format = Annotated[Literal["json", "csv"], Query(description="`csv`: RFC 4180, UTF-8 with a BOM.")]


def _filename(period: Period) -> str:
    parts = ["ukuk-htcds", period.start.isoformat() if period.start else None]
    parts.append(period.end.isoformat() if period.end else clock.utcnow().date().isoformat())
    return "-".join(p for p in parts if p) + ".csv"


@router.get("/htcds", response_model=None, responses=ANSWER, summary="Export trafficking cases as HTCDS")
async def export_htcds(
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    from_: From = None,
    to: To = None,
    format: Format = "json",
) -> Response:
    """Trafficking cases registered in the period (`from`, `to`) as records of the Human Trafficking Case
    Data Standard, de-identified for pooling: no names, documents, exact dates or places finer than a
    country, and every combination of the quasi-identifiers occurs at least `UKUK_HTCDS_K` times
    (generalization first, then suppression; `metadata` and the `Ukuk-Htcds-*` headers say how many records
    were generalized and withheld). JSON carries the data dictionary; `format=csv` is the flat file.
    Coordinators only (403 otherwise); every export is audited (`export.htcds`). See docs/htcds.md."""
    period = check_period(from_, to)
    service.authorize(principal)
    done = await service.export(session, principal.actor, settings.htcds_k, period, format)
    meta = done["metadata"]
    headers = {
        "Ukuk-Htcds-Records": str(meta["records"]),
        "Ukuk-Htcds-Generalized": str(meta["generalized"]),
        "Ukuk-Htcds-Withheld": str(meta["withheld"]),
        "Ukuk-Htcds-K": str(meta["k"]),
    }
    if format == "csv":
        headers["Content-Disposition"] = export.content_disposition(_filename(period))
        return Response(content=htcds.to_csv(done["records"]), media_type=export.MEDIA_TYPE, headers=headers)
    return Response(content=pydantic_core.to_json(done), media_type="application/json", headers=headers)
