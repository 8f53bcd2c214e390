"""The house's rules, read from the imports: a domain asks another domain's repository or service and never
imports its tables; module-level imports form no cycle; no module in src/ grows past the size a reader can
hold (docs/architecture.md)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
DOMAINS = (
    "auth",
    "consulates",
    "cases",
    "referrals",
    "webhooks",
    "redress",
    "audit",
    "reports",
    "subject_access",
    "attachments",
    "exports",
)
# Reports are the read side over every domain's tables: their queries join them (the monitoring report's
# too). The exports' repository reads trafficking cases and their subjects in one statement, the columns an
# export maps and no others.
MAY_READ_EVERY_TABLE = {"src.reports.repository", "src.reports.monitoring_queries", "src.exports.repository"}
# Generated data, not code a reader walks through; say why for anything else over the limit.
LONG_ON_PURPOSE = {"src/auth/confusables.py"}
MAX_LINES = 420


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(path: Path, *, top_level_only: bool) -> Iterator[str]:
    """Modules imported at run time (not under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            for alias in node.names:  # `from src.cases import models`
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "src" and parts[1] in DOMAINS else None


def test_no_domain_imports_another_domains_tables() -> None:
    found = []
    for name, path in _modules():
        own = _domain(name)
        if own is None or name in MAY_READ_EVERY_TABLE:
            continue
        for imported in _imports(path, top_level_only=False):
            other = _domain(imported)
            if other not in (None, own) and imported == f"src.{other}.models":
                found.append(f"{name} imports {imported}")
    assert found == [], "\n".join(found)


def test_module_level_imports_form_no_cycle() -> None:
    known = dict(_modules())
    graph = {
        name: {i for i in _imports(path, top_level_only=True) if i in known and i != name}
        for name, path in known.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_no_module_is_longer_than_a_reader_can_hold() -> None:
    long = []
    for _, path in _modules():
        relative = str(path.relative_to(SRC.parent))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and relative not in LONG_ON_PURPOSE:
            long.append(f"{relative}: {lines}")
    assert long == [], "\n".join(long)
