"""Reference data bodies: the taxonomies and the workflows, as served to clients."""

from __future__ import annotations

from pydantic import Field

from src.platform.schemas import OutputModel


class TaxonomyItem(OutputModel):
    code: str
    label: str


class Taxonomy(OutputModel):
    name: str
    language: str
    items: list[TaxonomyItem]


class TaxonomyIndex(OutputModel):
    language: str
    items: list[Taxonomy]


class WorkflowTransition(OutputModel):
    from_state: str
    to_state: str
    roles: list[str]


class WorkflowDeadline(OutputModel):
    since: str
    reach: str
    days: int


class WorkflowRead(OutputModel):
    kind: str
    initial_state: str
    working_state: str
    states: list[str]
    transitions: list[WorkflowTransition]
    deadlines: list[WorkflowDeadline]
    minimum_days: dict[str, int]
    labels: dict[str, str] = Field(
        description="The name of each state, and of the `reopened` request, in the negotiated language."
    )


class WorkflowIndex(OutputModel):
    language: str
    items: list[WorkflowRead]
