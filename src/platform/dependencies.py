"""App-wide dependencies: settings and signing keys held on app.state."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from src.auth.tokens import TokenKeys
from src.platform.config import Settings
from src.platform.errors import Unprocessable


# async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request for a lookup.
async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _token_keys(request: Request) -> TokenKeys:
    keys: TokenKeys = request.app.state.token_keys
    return keys


AppSettings = Annotated[Settings, Depends(_settings)]
AppTokenKeys = Annotated[TokenKeys, Depends(_token_keys)]


def _query_names(dependant: Any) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


_KNOWN_QUERY: dict[int, frozenset[str]] = {}


async def refuse_unknown_query(request: Request) -> None:
    """Every route (app-wide dependency): a query parameter the route does not declare is a 422, never ignored
    (`?stauts=intake` would otherwise answer every case as if unfiltered)."""
    if not request.scope.get("query_string"):  # most requests: nothing to parse
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _KNOWN_QUERY.get(id(route))
    if known is None:
        known = _KNOWN_QUERY[id(route)] = frozenset(_query_names(dependant))
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        errors = [{"loc": ["query", name[:64]], "msg": "unknown query parameter"} for name in unknown[:10]]
        raise Unprocessable(f"Unknown query parameter. This route takes: {takes}.", extra={"errors": errors})
