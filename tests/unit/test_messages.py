"""Every message an API user reads is catalogued in en, ru and ky: problem details and field messages.

The raise sites are found in src/ with `ast`: a literal or f-string detail of an AppError subclass (and of
the helpers that pass a `detail` parameter on to one), the field message of `Unprocessable.at` and of an
`errors: [{"msg": ...}]` entry, a ValueError raised in an input type. An f-string's holes become `{0}`..."""

from __future__ import annotations

import ast
import inspect
import pathlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pydantic import BaseModel, Field, ValidationError

import src.main  # noqa: F401  (imports every router, so every AppError subclass is defined)
from src.platform import messages
from src.platform.errors import AppError

ROOT = pathlib.Path(__file__).resolve().parents[2] / "src"
LANGUAGES = ("en", "ru", "ky")

# Exceptions whose message becomes a field message (`errors[].msg`) where they are caught.
MESSAGE_EXCEPTIONS = frozenset({"UrlRefused"})
# Modules whose ValueErrors are field messages: the input types (a validator's ValueError is a 422's msg).
INPUT_MODULES = frozenset({"schemas.py", "values.py"})
# Details that are not written in src/ as literals, or are passed through a value the walk cannot follow;
# each is catalogued by its own test or listed here with why.
NOT_LITERAL: dict[str, str] = {
    # errors.py hands on what Starlette raised: its details are the HTTP reason phrases (STARLETTE_DETAILS).
    "src/platform/errors.py:exc.detail": "Starlette's HTTPException detail: the reason phrases, tested below",
    # errors.py renders a detail chosen a few lines above from literals this walk collects.
    "src/platform/errors.py:detail": "one of the literals of _database_error, collected",
    "src/platform/errors.py:msg": "Unprocessable.at: its callers' messages are collected",
    "src/platform/errors.py:msg.removeprefix(_VALUE_ERROR_PREFIX)": "pydantic's msg: translated by type",
    # pydantic's own message of the first error of a corrected body: translated by text (value_error's
    # messages are catalogued from the input types; pydantic's own are matched by FIELD_TYPES' templates).
    "src/cases/amend.py:str(first['msg'])": "pydantic's message, re-raised with its location",
    "src/webhooks/service.py:str(exc)": "a UrlRefused message (MESSAGE_EXCEPTIONS)",
    "src/auth/accounts.py:resource_type": "'user' or 'api_client': both listed in EXTRA_DETAILS",
    "src/platform/schemas.py:_OUT_OF_RANGE": "an f-string at module level: listed in EXTRA_DETAILS",
    # Where the messages are put into the caller's language: what goes in was collected at its raise site.
    "src/platform/errors.py:messages.field_message(entry['msg'], language)": "an AppError's errors[].msg",
    "src/platform/errors.py:messages.field_message(msg, language, str(kind) if kind else None, "
    "err.get('ctx'))": "a request validation error's msg, by its pydantic type",
    "src/platform/middleware.py:messages.field_message(e['msg'], language)": "the middleware's errors[].msg",
    "src/cases/duplicates.py:msg": "one of two literals chosen just above: listed in EXTRA_DETAILS",
}
# Texts the walk cannot see as literals (see NOT_LITERAL), each catalogued like the rest.
EXTRA_DETAILS = frozenset(
    {
        "No such user.",
        "No such api client.",
        "a date between {0} and {1}",
        "a case cannot be linked to itself",
        "no such case",
        # Starlette's HTTPException details (the HTTP reason phrase) for the statuses the API answers.
        "Not Found",
        "Method Not Allowed",
        "Bad Request",
        "Unauthorized",
        "Forbidden",
        "Request Entity Too Large",
        "Unsupported Media Type",
    }
)


@dataclass
class Found:
    texts: dict[str, str] = field(default_factory=dict)  # template -> where (first site)
    unresolved: dict[str, str] = field(default_factory=dict)  # "path:expression" -> where


def _subclasses(cls: type[AppError]) -> set[type[AppError]]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(ROOT.rglob("*.py")):
        yield str(path.relative_to(ROOT.parent)), ast.parse(path.read_text(encoding="utf-8"))


def _string_constants(modules: list[tuple[str, ast.Module]]) -> dict[str, set[str]]:
    """Module-level `NAME = "text"` of every module, by name (a detail may be such a constant, imported)."""
    table: dict[str, set[str]] = {}
    for _, tree in modules:
        for node in tree.body:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)):
                continue
            if isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        table.setdefault(target.id, set()).add(node.value.value)
    return table


def template_of(node: ast.JoinedStr) -> str:
    """An f-string as a catalogue template: each hole a positional placeholder, in order."""
    parts, holes = [], 0
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
        else:
            parts.append(f"{{{holes}}}")
            holes += 1
    return "".join(parts)


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for given in call.keywords:
        if given.arg == keyword:
            return given.value
    return call.args[position] if len(call.args) > position else None


class _Walk:
    def __init__(self) -> None:
        self.modules = list(_modules())
        self.constants = _string_constants(self.modules)
        # call name -> (position, keyword) of the argument that is a detail (or a field message); an error
        # class whose own __init__ takes no detail (SealBroken, RangeNotSatisfiable) writes it itself.
        # A public name may be two helpers (`audit.denied`, `guards.denied`): each place is tried.
        self.detail_at: dict[str, set[tuple[int, str]]] = {}
        self.errors = {cls.__name__: cls for cls in {AppError} | _subclasses(AppError)}
        for name, cls in self.errors.items():
            params = list(inspect.signature(cls.__init__).parameters)[1:]
            if "detail" in params:
                self.detail_at[name] = {(params.index("detail"), "detail")}
        self.detail_at |= {"denied": {(4, "detail")}, "not_found": {(4, "detail")}}
        self.detail_at |= {"problem_response": {(3, "detail")}, "_problem": {(4, "detail")}}
        self.detail_at |= {name: {(0, "message")} for name in MESSAGE_EXCEPTIONS}
        # A module's own helpers (`_denied`), by (path, name).
        self.local: dict[tuple[str, str], set[tuple[int, str]]] = {}
        self.public: set[tuple[str, str]] = set()  # (path, name) of the public helpers found
        self.passed_on: set[tuple[str, str]] = set()  # (path, parameter) a helper passes on as a detail

    def run(self) -> Found:
        self._find_wrappers()
        found = Found()
        for path, tree in self.modules:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name in self.errors:
                    self._own_detail(path, node, found)
                if isinstance(node, ast.Call):
                    self._call(path, node, found)
                elif isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        if isinstance(key, ast.Constant) and key.value == "msg":
                            self._texts(path, value, found)
        return found

    def _find_wrappers(self) -> None:
        """Functions that pass one of their parameters on as a detail are raise sites too (their callers
        hold the literal): `guards.denied(principal, action, case_id, detail)`, `flush_or_conflict(...)`.
        A private helper (`_denied`) is one of its module only; a public one is found by name anywhere."""
        changed = True
        while changed:
            changed = False
            for path, tree in self.modules:
                for function in ast.walk(tree):
                    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                        continue
                    key = (path, function.name)
                    if key in self.local or key in self.public or function.name == "__init__":
                        continue
                    params = [a.arg for a in function.args.args if a.arg not in ("self", "cls")]
                    for call in ast.walk(function):
                        if not isinstance(call, ast.Call):
                            continue
                        spots = list(self._spots(path, call))
                        for spot in spots:
                            value = _argument(call, *spot)
                            # Where one name is two helpers, the parameter must be named as the detail is.
                            if not isinstance(value, ast.Name) or (len(spots) > 1 and value.id != spot[1]):
                                continue
                            if value.id in params:
                                self.passed_on.add((path, value.id))
                                mine = {(params.index(value.id), value.id)}
                                if function.name.startswith("_"):
                                    self.local[key] = mine
                                else:
                                    self.detail_at.setdefault(function.name, set()).update(mine)
                                    self.public.add(key)
                                changed = True

    def _spots(self, path: str, call: ast.Call) -> set[tuple[int, str]]:
        name = _name(call.func) or ""
        if (path, name) in self.local:
            return self.local[(path, name)]
        return self.detail_at.get(name, set())

    def _own_detail(self, path: str, cls: ast.ClassDef, found: Found) -> None:
        """The literal an error class hands its base (`super().__init__("...")`); a parameter it hands on
        is collected where the class is raised."""
        for call in ast.walk(cls):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            parent = call.func.value
            if (
                call.func.attr == "__init__"
                and isinstance(parent, ast.Call)
                and _name(parent.func) == "super"
            ):
                detail = _argument(call, 0, "detail")
                if isinstance(detail, ast.Constant | ast.JoinedStr):
                    self._texts(path, detail, found)

    def _call(self, path: str, call: ast.Call, found: Found) -> None:
        name = _name(call.func) or ""
        at = isinstance(call.func, ast.Attribute) and _name(call.func.value) == "Unprocessable"
        if name == "at" and at:
            self._texts(path, _argument(call, 1, "msg"), found)
            self._texts(path, _argument(call, 2, "detail"), found)
        elif name == "ValueError" and pathlib.Path(path).name in INPUT_MODULES:
            self._texts(path, _argument(call, 0, "msg"), found)
        elif spots := self._spots(path, call):
            for spot in spots:
                detail = _argument(call, *spot)
                if name == "not_found" and (detail is None or getattr(detail, "value", "") is None):
                    kind = _argument(call, 2, "resource_type")  # audit.not_found's own "No such <type>."
                    if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                        text = f"No such {kind.value.replace('_', ' ')}."
                        found.texts.setdefault(text, f"{path}:{call.lineno}")
                        continue
                    detail = kind
                # Where one name is two helpers, only a text at one of the places is a detail.
                if len(spots) == 1 or isinstance(detail, ast.Constant | ast.JoinedStr):
                    self._texts(path, detail, found)

    def _texts(self, path: str, node: ast.expr | None, found: Found) -> None:
        if node is None:
            return
        where = f"{path}:{node.lineno}"
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                found.texts.setdefault(node.value, where)
        elif isinstance(node, ast.JoinedStr):
            found.texts.setdefault(template_of(node), where)
        elif isinstance(node, ast.IfExp):
            self._texts(path, node.body, found)
            self._texts(path, node.orelse, found)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self._texts(path, value, found)
        elif isinstance(node, ast.Name) and node.id in self.constants:
            for text in self.constants[node.id]:
                found.texts.setdefault(text, where)
        elif not (isinstance(node, ast.Name) and (path, node.id) in self.passed_on):
            found.unresolved.setdefault(f"{path}:{ast.unparse(node)}", where)


def collect() -> Found:
    return _Walk().run()


def _holes(template: str) -> set[str]:
    return set(re.findall(r"(?<!\{)\{(\w*)\}(?!\})", template))


FOUND = collect()


def test_the_walk_finds_details_of_every_shape() -> None:
    texts = FOUND.texts
    assert "No such case." in texts  # audit.not_found's own, from its resource type
    assert "Your role may not move a case to '{0}'." in texts  # an f-string through guards.denied
    assert "The case's supervisor deletes attachments." in texts  # a helper passing its parameter on
    assert "The file has {0} bytes; the range asks for none of them." in texts  # an error class's own
    assert "a person needs a family_name (or a patronymic standing in its place)" in texts  # a ValueError
    assert "the URL must use https" in texts  # UrlRefused, a field message
    assert "unknown, repeated or missing dimension" in texts  # an `errors: [{"msg": ...}]` entry


def test_every_detail_and_field_message_has_en_ru_and_ky() -> None:
    missing = sorted(
        (text, FOUND.texts.get(text, "EXTRA_DETAILS"))
        for text in {*FOUND.texts, *EXTRA_DETAILS}
        if not all(messages.MESSAGES.get(text, {}).get(language, "").strip() for language in LANGUAGES)
    )
    assert missing == []


def test_every_detail_that_is_not_a_literal_is_listed_with_why() -> None:
    assert set(FOUND.unresolved) == set(NOT_LITERAL)


@pytest.mark.parametrize("language", ["ru", "ky"])
def test_translations_keep_the_blanks_and_are_translations(language: str) -> None:
    for en, labels in messages.MESSAGES.items():
        assert _holes(labels[language]) == _holes(en), en
        assert labels[language] != en or en in _SAME_IN_EVERY_LANGUAGE, en
    assert all(labels["ky"] != labels["ru"] for labels in messages.MESSAGES.values())


_SAME_IN_EVERY_LANGUAGE: frozenset[str] = frozenset()


@pytest.mark.parametrize("language", ["ru", "ky"])
def test_every_message_translates_to_its_own_entry(language: str) -> None:
    """No template answers for another: each English message, its blanks filled, finds its own entry."""
    for en, labels in messages.MESSAGES.items():
        values = {hole: f"X{hole}Y" for hole in _holes(en)}
        raised = en.format(*(values[str(i)] for i in range(len(values))))
        expected = labels[language].format(*(values[str(i)] for i in range(len(values))))
        assert messages.translate(raised, language) == expected, en


@pytest.mark.parametrize(
    "line", ["No such case. | Дело не найдено.", "No such case. | | Мындай иш табылган жок."]
)
def test_a_catalogue_line_without_every_language_is_refused(line: str) -> None:
    with pytest.raises(ValueError, match="No such case"):
        messages._table("DETAILS", line, ("ru", "ky"))


def test_english_and_unknown_texts_are_left_as_they_are() -> None:
    assert messages.translate("No such case.", "en") == "No such case."
    assert messages.translate("Something no one catalogued.", "ky") == "Something no one catalogued."
    assert messages.field_message("a new kind of error", "ru", "some_new_type", {}) == "a new kind of error"


def test_blanks_that_are_english_words_are_translated() -> None:
    said = messages.translate("Only the sender may frobnicate this referral.", "ru")
    assert said == "Действие «frobnicate» с этим направлением может выполнить только отправитель."


# ---- field messages ------------------------------------------------------------------------------------

# The pydantic error types a request of this API can meet (its input types' constraints).
BUILTIN_TYPES = frozenset(
    {
        "string_too_short",
        "string_too_long",
        "missing",
        "extra_forbidden",
        "int_parsing",
        "greater_than_equal",
        "less_than_equal",
        "enum",
        "literal_error",
        "uuid_parsing",
        "date_parsing",
        "json_invalid",
        "string_pattern_mismatch",
        "value_error",
        "string_type",
        "int_type",
        "bool_parsing",
        "list_type",
        "dict_type",
        "model_attributes_type",
        "too_short",
        "too_long",
        "datetime_parsing",
        "decimal_parsing",
        "url_parsing",
    }
)


def custom_error_types() -> set[str]:
    """The type of every PydanticCustomError raised in src/ (a literal, or a module constant naming it)."""
    walk = _Walk()
    types: set[str] = set()
    for _, tree in walk.modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) == "PydanticCustomError" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    types.add(first.value)
                elif isinstance(first, ast.Name):
                    types |= walk.constants[first.id]
                else:
                    raise AssertionError(
                        f"PydanticCustomError of a type the walk cannot read: {ast.dump(first)}"
                    )
    return types


def test_custom_error_types_are_collected() -> None:
    assert {"taxonomy_code", "control_character"} <= custom_error_types()


def test_every_field_error_type_has_en_ru_and_ky() -> None:
    missing = [
        (kind, language)
        for kind in sorted(BUILTIN_TYPES | custom_error_types())
        for language in LANGUAGES
        if not messages.FIELD_TYPES.get(kind, {}).get(language, "").strip()
    ]
    assert missing == []
    for kind, labels in messages.FIELD_TYPES.items():
        for language in ("ru", "ky"):
            assert _holes(labels[language]) <= _holes(labels["en"]), (kind, language)


class _Sample(BaseModel):
    name: str = Field(min_length=3, max_length=5)
    count: int = Field(ge=1, le=10)
    when: str = Field(pattern=r"^\d{4}$")


def test_pydantic_messages_are_recognised_without_their_type() -> None:
    """A message re-raised without its type (a corrected body's first error) reads the same as with it."""
    bad = [{"name": "ab", "count": 0, "when": "x"}, {"name": "abcdef", "count": 11}, {"count": "many"}]
    seen = set()
    for body in bad:
        with pytest.raises(ValidationError) as caught:
            _Sample.model_validate(body)
        for error in caught.value.errors():
            typed = messages.field_message(error["msg"], "ky", error["type"], error.get("ctx"))
            assert typed != error["msg"]
            assert messages.field_message(error["msg"], "ky") == typed, error
            seen.add(error["type"])
    assert seen >= {"string_too_short", "string_too_long", "greater_than_equal", "less_than_equal"}
    assert seen >= {"missing", "int_parsing", "string_pattern_mismatch"}


def test_taxonomy_code_messages_name_the_taxonomy() -> None:
    ctx = {"what": "2 values are not codes", "taxonomy": "violation_type"}
    said = messages.field_message("…", "ru", "taxonomy_code", ctx)
    assert said.startswith("значения (2) не являются кодами справочника violation_type (его коды: GET ")
    assert "violation_type" in messages.field_message("…", "ky", "taxonomy_code", ctx)


def test_enum_choices_are_joined_in_the_language() -> None:
    ctx = {"expected": "'abuse', 'trafficking' or 'child_return'"}
    said = messages.field_message("Input should be ...", "ky", "enum", ctx)
    assert said == "Уруксат берилген маанилер: 'abuse', 'trafficking' же 'child_return'"


if __name__ == "__main__":
    result = collect()
    for text, where in sorted(result.texts.items()):
        print(repr(text), where)
    print("UNRESOLVED")
    for key, where in result.unresolved.items():
        print(key, where)


def test_a_crafted_detail_is_matched_in_linear_time() -> None:
    """Details can carry a caller's text; matching them against templates with several blanks must not
    backtrack (a regex of `.+?` blanks took minutes on these). The bound is generous: a safety net, not a
    benchmark."""
    crafted = [
        "The case must stay in '" + "' at least " * 500 + " days: it may move to '" * 500 + "' from " * 500,
        "The content is " + ", not the declared " * 2000 + "x",
        "Only the " + " may " * 3000 + " this referral",
        "String should have at least " + "1 character" * 30,
        "Input tag '" + "' found using " * 40 + " does not match any of the expected tags: " * 5,
    ]
    started = time.monotonic()
    for text in crafted:
        for language in ("ru", "ky"):
            messages.translate.cache_clear()
            assert messages.translate(text, language)
            assert messages.field_message(text, language)
    assert time.monotonic() - started < 2.0
    # The linear matcher still recognises and fills a template.
    assert messages.translate("Only the sender may withdraw this referral.", "ru") != (
        "Only the sender may withdraw this referral."
    )
