"""Pure hashing rules of the chain: canonical bytes of an event and the link hash."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = bytes(32)

CANONICAL_FIELDS = (
    "id",
    "at",
    "actor_type",
    "actor_id",
    "actor_organization_id",
    "action",
    "resource_type",
    "resource_id",
    "outcome",
    "request_id",
    "changed_fields",
    "detail",
)


# Types answered as they are, tested by exact type first: the ABC checks below (Mapping, Sequence) cost
# the sequencer about a third of its CPU per event when every value went through them. A UUID is tested as a
# class, not by exact type: the driver's own UUID type subclasses uuid.UUID, and went the slow way (about a
# quarter of the sequencer's CPU per event, three of an event's values).
_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if kind is list:
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # Decimal and friends


def canonical_document(event: Mapping[Any, Any]) -> dict[str, Any]:
    """The event's hashed fields as plain JSON values (what an outside verifier receives)."""
    return {field: _plain(event.get(field)) for field in CANONICAL_FIELDS}


def canonical_bytes(event: Mapping[Any, Any]) -> bytes:
    """Deterministic UTF-8 JSON of the event's fields: sorted keys, no spaces, UTC microsecond times."""
    return json.dumps(
        canonical_document(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def link_hash(prev_hash: bytes, event: Mapping[Any, Any]) -> bytes:
    return hashlib.sha256(prev_hash + canonical_bytes(event)).digest()
