"""Per-request context (request id) shared by logs and audit events."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The authenticated caller (an audit Actor), for events written far from the route (a broken seal).
actor_var: ContextVar[Any] = ContextVar("actor", default=None)
