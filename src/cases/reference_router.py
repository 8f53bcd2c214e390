"""HTTP for the reference data clients build forms from: the taxonomies, and the workflows per case kind."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Response

from src.audit import service as audit
from src.auth.dependencies import CurrentPrincipal
from src.cases import workflow, workflow_labels
from src.cases.reference_schemas import (
    Taxonomy,
    TaxonomyIndex,
    TaxonomyItem,
    WorkflowDeadline,
    WorkflowIndex,
    WorkflowRead,
    WorkflowTransition,
)
from src.cases.taxonomies import TAXONOMIES
from src.platform import i18n
from src.platform.errors import problem_responses
from src.platform.routing import Router

router = Router(prefix="/v1", responses=problem_responses(401, 422))

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


@router.get("/taxonomies", response_model=TaxonomyIndex, tags=["reference"], summary="List taxonomies")
async def list_taxonomies(
    response: Response, principal: CurrentPrincipal, accept_language: AcceptLanguage = None
) -> TaxonomyIndex:
    """Every controlled vocabulary, each code labelled in the language negotiated from Accept-Language (en, ru
    or ky). Any signed-in caller; a field typed with a taxonomy refuses other codes (422 naming it)."""
    language = i18n.negotiate(accept_language)
    _localized(response, language)
    return TaxonomyIndex(language=language, items=[_taxonomy(name, language) for name in sorted(TAXONOMIES)])


@router.get(
    "/taxonomies/{name}",
    response_model=Taxonomy,
    tags=["reference"],
    responses=problem_responses(404),
    summary="Read a taxonomy",
)
async def read_taxonomy(
    response: Response,
    principal: CurrentPrincipal,
    name: Annotated[str, Path(max_length=64)],
    accept_language: AcceptLanguage = None,
) -> Taxonomy:
    """One vocabulary by name (e.g. `violation_type`), labelled in the negotiated language. Any signed-in
    caller; an unknown name is 404."""
    if name not in TAXONOMIES:
        raise audit.not_found(principal.actor, "taxonomy.read", "taxonomy", None, "No such taxonomy.")
    language = i18n.negotiate(accept_language)
    _localized(response, language)
    return _taxonomy(name, language)


@router.get("/workflows", response_model=WorkflowIndex, tags=["reference"], summary="List workflows")
async def list_workflows(
    response: Response, principal: CurrentPrincipal, accept_language: AcceptLanguage = None
) -> WorkflowIndex:
    """Per case kind: states (named in the negotiated language: en, ru or ky), transitions with the roles that
    may take them, deadlines and minimum stays. Any signed-in caller."""
    language = i18n.negotiate(accept_language)
    _localized(response, language)
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
                labels=workflow_labels.state_labels((*flow.states, workflow.REOPENED), language),
            )
        )
    return WorkflowIndex(language=language, items=items)
