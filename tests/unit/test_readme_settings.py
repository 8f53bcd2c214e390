"""The README's configuration table states every setting's bounds as src/platform/config.py enforces them."""

from __future__ import annotations

import re
from pathlib import Path

from src.platform.config import Settings, setting_bounds

README = Path(__file__).resolve().parents[2] / "README.md"


def _variable(field: str) -> str:
    choices = getattr(Settings.model_fields[field].validation_alias, "choices", None)
    return str(choices[0]) if choices else f"UKUK_{field.upper()}"


def _rows() -> dict[str, str]:
    """Each variable the table names (a `_SUFFIX` completes the variable before it) -> its bounds cell."""
    variables = {_variable(field) for field in Settings.model_fields}
    rows: dict[str, str] = {}
    for line in README.read_text().splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        names, bounds = re.findall(r"`([A-Z_]+)`", cells[0]), cells[2] if len(cells) > 3 else ""
        previous = ""
        for name in names:
            if name.startswith("_") and previous:
                stems = ("_".join(previous.split("_")[:i]) for i in range(previous.count("_"), 0, -1))
                name = next((stem + name for stem in stems if stem + name in variables), name)
            else:
                previous = name
            rows[name] = bounds
    return rows


def test_every_bounded_setting_has_its_bounds_in_the_readme() -> None:
    rows = _rows()
    for field in Settings.model_fields:
        bounds = setting_bounds(field)
        if not bounds:
            continue
        variable = _variable(field)
        assert variable in rows, f"{variable} is not in the README's configuration table"
        assert bounds in rows[variable], (
            f"{variable}: the README should say {bounds!r}, says {rows[variable]!r}"
        )


def test_bounds_read_as_the_rule() -> None:
    assert setting_bounds("db_pool_size") == "1 to 200"
    assert setting_bounds("db_statement_timeout_ms") == "at least 100"
    assert setting_bounds("db_connect_timeout_seconds") == "above 0, at most 120"
    assert setting_bounds("audit_sequencer_interval_seconds") == "above 0"
    assert setting_bounds("log_level") == ""
