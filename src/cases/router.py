"""HTTP for cases and their reference data (taxonomies, workflows)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Response

from src import i18n
from src.auth.dependencies import CurrentPrincipal
from src.cases import workflow
from src.cases.schemas import (
    Taxonomy,
    TaxonomyIndex,
    TaxonomyItem,
    WorkflowDeadline,
    WorkflowIndex,
    WorkflowRead,
    WorkflowTransition,
)
from src.cases.taxonomies import TAXONOMIES
from src.errors import NotFound, problem_responses

router = APIRouter(prefix="/v1", responses=problem_responses(401, 422))

AcceptLanguage = Annotated[str | None, Header(max_length=200)]


def _taxonomy(name: str, language: str) -> Taxonomy:
    items = [
        TaxonomyItem(code=code, label=i18n.label(labels, language))
        for code, labels in TAXONOMIES[name].items()
    ]
    return Taxonomy(name=name, language=language, items=items)


def _localized(response: Response, language: str) -> None:
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"


@router.get("/taxonomies", response_model=TaxonomyIndex, tags=["reference"])
async def list_taxonomies(
    response: Response, principal: CurrentPrincipal, accept_language: AcceptLanguage = None
) -> TaxonomyIndex:
    """Every controlled vocabulary, labelled in the negotiated language (en, ru, ky; ky falls back to ru)."""
    language = i18n.negotiate(accept_language)
    _localized(response, language)
    return TaxonomyIndex(language=language, items=[_taxonomy(name, language) for name in sorted(TAXONOMIES)])


@router.get(
    "/taxonomies/{name}", response_model=Taxonomy, tags=["reference"], responses=problem_responses(404)
)
async def read_taxonomy(
    response: Response,
    principal: CurrentPrincipal,
    name: Annotated[str, Path(max_length=64)],
    accept_language: AcceptLanguage = None,
) -> Taxonomy:
    if name not in TAXONOMIES:
        raise NotFound("No such taxonomy.")
    language = i18n.negotiate(accept_language)
    _localized(response, language)
    return _taxonomy(name, language)


@router.get("/workflows", response_model=WorkflowIndex, tags=["reference"])
async def list_workflows(principal: CurrentPrincipal) -> WorkflowIndex:
    """States, transitions (with the roles that may take them), deadlines and minimum stays per case kind."""
    items = []
    for kind, flow in sorted(workflow.WORKFLOWS.items()):
        transitions = [
            WorkflowTransition(from_state=state, to_state=target, roles=sorted(flow.roles_for(target)))
            for state in flow.states
            for target in sorted(flow.targets(state))
        ]
        items.append(
            WorkflowRead(
                kind=kind,
                initial_state=flow.initial_state,
                working_state=flow.working_state,
                states=list(flow.states),
                transitions=transitions,
                deadlines=[
                    WorkflowDeadline(since=d.since, reach=d.reach, days=d.days) for d in flow.deadlines
                ],
                minimum_days=dict(flow.minimum_days or {}),
            )
        )
    return WorkflowIndex(items=items)
