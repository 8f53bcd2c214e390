"""Every label in en, ru and ky: taxonomy codes, workflow states, the codes reports carry, and the titles of
every problem the API can answer (problem details and field messages: tests/unit/test_messages.py)."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Mapping

import pytest

import src.main  # imports every router, so every AppError subclass is defined
from src.auth.models import ORGANIZATION_KINDS
from src.cases import taxonomies, workflow, workflow_labels
from src.cases.taxonomies import TAXONOMIES
from src.platform import errors, i18n, middleware
from src.platform.errors import AppError
from src.reports import labels as report_labels
from src.reports import schemas as report_schemas
from src.reports import service as report_service

LANGUAGES = ("en", "ru", "ky")
# Kyrgyz labels that are rightly the Russian ones (a proper name or an abbreviation): (taxonomy, code).
SAME_IN_KY_AND_RU: frozenset[tuple[str, str]] = frozenset()


def _subclasses(cls: type[AppError]) -> set[type[AppError]]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _literal_codes(module: object) -> set[str]:
    """Problem codes a module names as literals where it answers a problem directly:
    `problem_response(status, "code", ...)`, `_problem(send, status, "code", ...)`, `code, title = "...", ...`
    (`http-<status>`, made for statuses no handler knows, is not a literal and has the English title)."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    codes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            position = {"problem_response": 1, "_problem": 2}.get(node.func.id)
            if position is not None and len(node.args) > position:
                code = node.args[position]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    codes.add(code.value)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            for target in node.targets:
                if not isinstance(target, ast.Tuple):
                    continue
                for name, value in zip(target.elts, node.value.elts, strict=False):
                    named_code = isinstance(name, ast.Name) and name.id == "code"
                    if named_code and isinstance(value, ast.Constant) and isinstance(value.value, str):
                        codes.add(value.value)
    return codes


def problem_codes() -> set[str]:
    codes = {AppError.code} | {cls.code for cls in _subclasses(AppError)}
    for module in (errors, middleware, src.main):
        codes |= _literal_codes(module)
    return codes


def test_problem_codes_are_collected() -> None:
    codes = problem_codes()
    assert {"internal-error", "method-not-allowed", "upload-interrupted", "range-not-satisfiable"} <= codes
    assert {"integrity-check-failed", "service-unavailable", "validation-error"} <= codes


def test_every_taxonomy_code_has_a_label_in_every_language() -> None:
    missing = [
        (name, code, language)
        for name, entries in TAXONOMIES.items()
        for code, labels in entries.items()
        for language in LANGUAGES
        if not labels.get(language, "").strip()
    ]
    assert missing == []
    assert all(
        set(labels) == set(LANGUAGES) for entries in TAXONOMIES.values() for labels in entries.values()
    )


def test_no_kyrgyz_label_is_a_copy_of_the_russian_one() -> None:
    copies = [
        (name, code)
        for name, entries in TAXONOMIES.items()
        for code, labels in entries.items()
        if labels["ky"] == labels["ru"] and (name, code) not in SAME_IN_KY_AND_RU
    ]
    assert copies == []
    titles = [code for code, labels in i18n.PROBLEM_TITLES.items() if labels.get("ky") == labels.get("ru")]
    assert titles == []


def test_every_problem_code_has_a_title_in_every_language() -> None:
    missing = [
        (code, language)
        for code in sorted(problem_codes())
        for language in LANGUAGES
        if not i18n.PROBLEM_TITLES.get(code, {}).get(language, "").strip()
    ]
    assert missing == []


def test_english_problem_titles_are_the_raised_ones() -> None:
    for cls in {AppError} | _subclasses(AppError):
        assert i18n.PROBLEM_TITLES[cls.code]["en"] == cls.title, cls


@pytest.mark.parametrize("language", ["ru", "ky"])
def test_problem_titles_follow_accept_language(language: str) -> None:
    for code, labels in i18n.PROBLEM_TITLES.items():
        assert i18n.problem_title(code, labels["en"], language) == labels[language]


@pytest.mark.parametrize(
    "line",
    ["wage_theft | Wage theft | Невыплата заработной платы", "wage_theft | | Невыплата | Төлөбөй коюу"],
)
def test_a_line_without_every_label_is_refused(line: str) -> None:
    with pytest.raises(ValueError, match="wage_theft"):
        taxonomies._parse("violation_type", line)


def _complete(table: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str]]:
    return [
        (code, language)
        for code, names in table.items()
        for language in LANGUAGES
        if not names.get(language, "").strip()
    ]


def test_every_workflow_state_has_a_label_in_every_language() -> None:
    # Every state of every workflow (closed among them) and the reopening request: the targets a client sees.
    states = {state for flow in workflow.WORKFLOWS.values() for state in flow.states} | {workflow.REOPENED}
    assert workflow.CLOSED in states
    assert sorted(states - set(workflow_labels.STATE_LABELS)) == []
    assert _complete(workflow_labels.STATE_LABELS) == []
    assert [s for s, names in workflow_labels.STATE_LABELS.items() if names["ky"] == names["ru"]] == []
    assert sorted(set(workflow_labels.STATE_LABELS) - states) == []  # no name left of a state gone


def test_a_workflow_state_line_without_every_label_is_refused() -> None:
    with pytest.raises(ValueError, match="intake"):
        workflow_labels._parse("intake | Intake | Приём обращения")


def test_every_code_a_report_carries_has_a_label_in_every_language() -> None:
    assert set(report_labels.ORGANIZATION_KINDS) == set(ORGANIZATION_KINDS)
    assert set(report_labels.REFERRAL_OUTCOMES) == set(report_schemas.REFERRAL_OUTCOMES)
    assert set(report_labels.REDRESS_OUTCOMES) == set(report_schemas.REDRESS_OUTCOMES)
    for table in (
        report_labels.ORGANIZATION_KINDS,
        report_labels.REFERRAL_OUTCOMES,
        report_labels.REDRESS_OUTCOMES,
    ):
        assert _complete(table) == []
        assert [code for code, names in table.items() if names["ky"] == names["ru"]] == []


# The case report's dimensions that are no code: named otherwise, or plain values.
UNCODED_CASE_DIMENSIONS = {
    "owner_organization": "named by the organization's own name",
    "occurred_country": "an ISO 3166-1 code, the same in every language",
    "quarter": "a period, like 2026-Q4",
}


def test_every_coded_dimension_of_the_case_report_is_labelled() -> None:
    labelled = set(report_service.LABELLED_DIMENSIONS) | {"status"}
    assert set(report_schemas.CASE_DIMENSIONS) == labelled | set(UNCODED_CASE_DIMENSIONS)
    for dimension, names in report_service._code_labels(list(labelled), "ky").items():
        assert names, dimension
