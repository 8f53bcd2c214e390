"""The contract reads well: every operation has a written summary and description, every request body an
example that the body's own model accepts, every tag a description, every taxonomy-coded field its link."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, TypeAdapter

from src.cases.schemas import DETAILS_BY_KIND
from src.cases.taxonomies import TAXONOMIES
from src.cases.values import TaxonomyCoded, taxonomy_link

# The main operations whose success answer shows an example (issue 19).
ANSWERED_WITH_AN_EXAMPLE = {
    "issue_token",
    "create_case",
    "read_case",
    "list_cases",
    "add_case_note",
    "list_case_notes",
    "refer_case",
    "read_referral",
    "create_redress_action",
    "list_redress_actions",
    "report_cases",
}


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        resolved: dict[str, Any] = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return resolved
    return schema


def _examples(spec: dict[str, Any], media: dict[str, Any]) -> list[Any]:
    """A media type's examples: its own (`example`, `examples`) or its schema's (JSON Schema `examples`)."""
    found: list[Any] = []
    if "example" in media:
        found.append(media["example"])
    found.extend(example["value"] for example in media.get("examples", {}).values())
    found.extend(_resolve(spec, media.get("schema", {})).get("examples", []))
    return found


def _generated(name: str) -> str:
    """The summary FastAPI makes from a function's name when none is written."""
    return name.replace("_", " ").title()


def _routes(app: Any) -> dict[str, APIRoute]:
    contexts = iter_route_contexts(app.routes)
    routes = [context.original_route for context in contexts]
    return {route.name: route for route in routes if isinstance(route, APIRoute) and route.include_in_schema}


def test_every_operation_has_a_written_summary_and_a_description(app: Any) -> None:
    spec = app.openapi()
    missing: list[str] = []
    for method, path, operation in _operations(spec):
        summary = operation.get("summary", "")
        where = f"{method.upper()} {path}"
        if not summary:
            missing.append(f"{where}: no summary")
        elif summary == _generated(operation["operationId"]) or len(summary) > 60:
            missing.append(f"{where}: summary {summary!r} is generated or not short")
        if len(operation.get("description", "")) < 40:
            missing.append(f"{where}: no description worth the name")
    assert missing == []
    assert len(list(_operations(spec))) >= 84


def test_every_tag_used_has_a_description(app: Any) -> None:
    spec = app.openapi()
    described = {tag["name"]: tag.get("description", "") for tag in spec.get("tags", [])}
    used = {tag for _, _, operation in _operations(spec) for tag in operation.get("tags", [])}
    assert used, "operations are tagged"
    assert sorted(tag for tag in used if len(described.get(tag, "")) < 40) == []
    assert sorted(set(described) - used) == [], "a described tag that no operation uses"


def test_every_request_body_has_an_example(app: Any) -> None:
    spec = app.openapi()
    without: list[str] = []
    bodies = 0
    for method, path, operation in _operations(spec):
        content = operation.get("requestBody", {}).get("content", {})
        if not content:
            continue
        bodies += 1
        examples = {media_type: _examples(spec, media) for media_type, media in content.items()}
        structured = [t for t in content if t == "application/json" or t.startswith("application/x-www-form")]
        # JSON and form bodies each show one; a raw file upload shows one in a type that has a text form.
        if not any(examples.values()) or any(not examples[t] for t in structured):
            without.append(f"{method.upper()} {path}")
    assert without == []
    assert bodies >= 33


def test_request_examples_are_accepted_by_the_body_they_illustrate(app: Any) -> None:
    """Each JSON and form example validates against the route's own body model (taxonomy codes included)."""
    spec = app.openapi()
    routes = _routes(app)
    checked = 0
    for _, _, operation in _operations(spec):
        route = routes[operation["operationId"]]
        content = operation.get("requestBody", {}).get("content", {})
        for media_type, media in content.items():
            if media_type != "application/json" and not media_type.startswith("application/x-www-form"):
                continue
            assert route.body_field is not None, operation["operationId"]
            annotation: Any = route.body_field.field_info.annotation
            adapter: TypeAdapter[Any] = TypeAdapter(annotation)
            examples = _examples(spec, media)
            if (
                isinstance(annotation, type)
                and issubclass(annotation, BaseModel)
                and media_type.endswith("json")
            ):
                # As written: the spec drops nulls, so an example must hold none to mean what it says.
                assert annotation.model_json_schema().get("examples") == examples, operation["operationId"]
            for example in examples:
                adapter.validate_python(example)
                checked += 1
    assert checked >= 33


def test_the_main_answers_have_an_example_their_model_accepts(app: Any) -> None:
    spec = app.openapi()
    routes = _routes(app)
    shown: set[str] = set()
    for _, _, operation in _operations(spec):
        name = operation["operationId"]
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            media = response.get("content", {}).get("application/json")
            if media is None:
                continue
            schema = _resolve(spec, media["schema"])
            if schema.get("type") == "array":  # a list answer: its items' example
                schema = _resolve(spec, schema["items"])
            if "items" in schema.get("properties", {}):  # a page: its items' example
                schema = _resolve(spec, schema["properties"]["items"]["items"])
            examples = schema.get("examples", [])
            if not examples:
                continue
            shown.add(name)
            model = _answer_model(routes[name])
            # The model's own examples: FastAPI drops every null from the spec it serves, examples' too.
            written = model.model_json_schema(mode="serialization").get("examples", [])
            assert len(written) == len(examples), name
            for example in written:
                model.model_validate(example)
    assert sorted(ANSWERED_WITH_AN_EXAMPLE - shown) == []


def _answer_model(route: APIRoute) -> type[BaseModel]:
    """The model of one item of the route's answer (a list's or a page's item)."""
    answer: Any = route.response_model
    while not (isinstance(answer, type) and issubclass(answer, BaseModel)) or "items" in answer.model_fields:
        if isinstance(answer, type) and issubclass(answer, BaseModel):
            answer = answer.model_fields["items"].annotation
        answer = typing.get_args(answer)[0]
    return answer


def _taxonomy_of(annotation: Any) -> TaxonomyCoded | None:
    """The taxonomy check inside an annotation (through Optional, Annotated and lists)."""
    if typing.get_origin(annotation) is typing.Annotated:
        for extra in annotation.__metadata__:
            if isinstance(extra, TaxonomyCoded):
                return extra
    for argument in typing.get_args(annotation):
        found = _taxonomy_of(argument)
        if found is not None:
            return found
    return None


def _fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[tuple[type[BaseModel], str, Any]]:
    """Every field of the model and of the models it nests."""
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        yield model, name, field
        stack = [field.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                yield from _fields(annotation, seen)
            stack.extend(typing.get_args(annotation))


def _with_taxonomy(schema: dict[str, Any]) -> dict[str, Any] | None:
    if "x-taxonomy" in schema:
        return schema
    branches: list[dict[str, Any]] = schema.get("anyOf", [])
    return next((branch for branch in branches if "x-taxonomy" in branch), None)


def test_taxonomy_coded_fields_link_their_taxonomy(app: Any) -> None:
    """Every field checked against a taxonomy, in every request body and every case kind's `details`, says in
    its JSON schema which taxonomy (`x-taxonomy`) and where its codes are (`/v1/taxonomies/{name}`)."""
    bodies = {route.body_field.field_info.annotation for route in _routes(app).values() if route.body_field}
    models = [m for m in bodies if isinstance(m, type) and issubclass(m, BaseModel)]
    models += list(DETAILS_BY_KIND.values())
    seen: set[type[BaseModel]] = set()
    linked: set[str] = set()
    for root in models:
        for model, name, field in _fields(root, seen):
            check = _taxonomy_of(field.annotation)
            if check is None:
                for extra in field.metadata:
                    if isinstance(extra, TaxonomyCoded):
                        check = extra
            if check is None:
                continue
            schema = model.model_json_schema()["properties"][name]
            carried = _with_taxonomy(schema)
            assert carried is not None, f"{model.__name__}.{name}"
            assert check.taxonomy in TAXONOMIES
            assert carried["x-taxonomy"] == check.taxonomy, f"{model.__name__}.{name}"
            if field.description is None:  # a field's own description takes the link's place, not x-taxonomy
                described = carried.get("description", "") + schema.get("description", "")
                assert taxonomy_link(check.taxonomy) in described, f"{model.__name__}.{name}"
            linked.add(check.taxonomy)
    # The vocabularies the bodies use, from the case's persons and violations to referrals and redress.
    assert {
        "violation_type",
        "ilo_indicator",
        "person_role",
        "sex",
        "intake_channel",
        "consent_purpose",
        "consent_given_by",
        "isic_section",
        "trafficking_status",
        "means_of_control",
        "service",
        "share_group",
        "redress_forum",
        "redress_status",
    } <= linked


def test_the_contract_shows_the_taxonomy_links(app: Any) -> None:
    """What a client reads: the committed contract's taxonomy fields name the taxonomy and link it."""
    components = app.openapi()["components"]["schemas"]
    violation_type = components["ViolationIn"]["properties"]["type"]
    assert violation_type["x-taxonomy"] == "violation_type"
    assert "/v1/taxonomies/violation_type" in violation_type["description"]
    indicators = components["ViolationChange"]["properties"]["indicators"]
    assert indicators["x-taxonomy"] == "ilo_indicator"
    assert "/v1/taxonomies/ilo_indicator" in indicators["description"]
    forum = components["RedressCreate"]["properties"]["forum"]
    assert forum["x-taxonomy"] == "redress_forum"
