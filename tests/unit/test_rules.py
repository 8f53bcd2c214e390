"""Pure rules: scopes per role, role fits organization, canonical audit bytes and link hashes, uuid7."""

from __future__ import annotations

import enum
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from src.audit.chain import GENESIS_HASH, canonical_bytes, link_hash
from src.auth.policies import may_manage_accounts_of, may_manage_organizations, role_fits_organization
from src.auth.principal import Principal
from src.auth.scopes import ROLE_SCOPES, granted_scopes
from src.platform.config import to_async_url
from src.platform.ids import uuid7


def _principal(role: str, kind: str, org: uuid.UUID | None = None) -> Principal:
    return Principal(uuid.uuid4(), "user", org or uuid.uuid4(), kind, role, ROLE_SCOPES[role], uuid.uuid4())


@pytest.mark.parametrize(
    ("role", "kind", "fits"),
    [
        ("officer", "consulate", True),
        ("officer", "partner", False),
        ("partner", "partner", True),
        ("auditor", "oversight", True),
        ("auditor", "consulate", False),
        ("coordinator", "ministry", True),
        ("coordinator", "consulate", False),
        ("admin", "partner", True),
        ("supervisor", "oversight", False),
    ],
)
def test_role_fits_organization(role: str, kind: str, fits: bool) -> None:
    assert role_fits_organization(role, kind) is fits


def test_granted_scopes() -> None:
    assert granted_scopes("officer", None) == ROLE_SCOPES["officer"]
    assert granted_scopes("officer", "cases:read") == frozenset({"cases:read"})
    assert granted_scopes("officer", "cases:read admin") is None
    assert granted_scopes("auditor", "cases:read") is None
    assert "cases:read" not in ROLE_SCOPES["partner"] and "cases:read" not in ROLE_SCOPES["auditor"]


def test_who_manages_what() -> None:
    org = uuid.uuid4()
    platform = _principal("admin", "ministry")
    ngo_admin = _principal("admin", "partner", org)
    assert may_manage_organizations(platform) and not may_manage_organizations(ngo_admin)
    assert may_manage_accounts_of(ngo_admin, org) and not may_manage_accounts_of(ngo_admin, uuid.uuid4())
    assert may_manage_accounts_of(platform, uuid.uuid4())
    assert not may_manage_accounts_of(_principal("supervisor", "consulate", org), org)


EVENT: dict[str, Any] = {
    "id": 7,
    "at": datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC),
    "actor_type": "user",
    "actor_id": uuid.UUID("01234567-89ab-7def-8123-456789abcdef"),
    "actor_organization_id": None,
    "action": "user.read",
    "resource_type": "user",
    "resource_id": None,
    "outcome": "success",
    "request_id": "r1",
    "changed_fields": ["a", "b"],
    "detail": {"z": 1, "a": [1, 2]},
}


def test_canonical_bytes_are_deterministic_and_zone_independent() -> None:
    shifted = {**EVENT, "at": EVENT["at"].astimezone(timezone(timedelta(hours=6)))}
    reordered = dict(reversed(list(EVENT.items())))
    assert canonical_bytes(EVENT) == canonical_bytes(shifted) == canonical_bytes(reordered)
    assert canonical_bytes({**EVENT, "extra": "ignored"}) == canonical_bytes(EVENT)
    assert b'"at":"2026-11-22T10:00:00.123456+00:00"' in canonical_bytes(EVENT)


def test_canonical_bytes_of_every_kind_of_value_stay_what_the_chain_has_always_hashed() -> None:
    """Pinned bytes (made by the code before its fast path for plain types): a change here would make every
    chain already written fail verification."""
    event = {
        "id": 9,
        "at": datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
        "actor_type": "user",
        "actor_id": uuid.UUID("01234567-89ab-7def-8123-456789abcdef"),
        "actor_organization_id": None,
        "action": _Action.READ,  # a str subclass
        "resource_type": "case",
        "resource_id": uuid.UUID(int=5),
        "outcome": "success",
        "request_id": None,
        "changed_fields": ("x", "y"),
        "detail": {
            "n": 1.5,
            "t": True,
            "u": uuid.UUID(int=1),
            "d": date(2026, 1, 2),
            "m": Decimal("1.10"),
            "l": [None, {"k": [1, "ж"]}],
            3: "int key",
        },
    }
    assert canonical_bytes(event).decode() == (
        '{"action":"a","actor_id":"01234567-89ab-7def-8123-456789abcdef","actor_organization_id":null,'
        '"actor_type":"user","at":"2026-12-03T12:00:00.000000+00:00","changed_fields":["x","y"],'
        '"detail":{"3":"int key","d":"2026-01-02","l":[null,{"k":[1,"ж"]}],"m":"1.10","n":1.5,"t":true,'
        '"u":"00000000-0000-0000-0000-000000000001"},"id":9,"outcome":"success","request_id":null,'
        '"resource_id":"00000000-0000-0000-0000-000000000005","resource_type":"case"}'
    )


def test_the_drivers_uuids_hash_as_uuids() -> None:
    """The sequencer hashes rows as asyncpg decodes them: its UUID type (a uuid.UUID subclass, taken by the
    fast path) must give the bytes a uuid.UUID gives, which an outside verifier reading JSON reproduces."""
    from asyncpg.pgproto.pgproto import UUID as DriverUUID

    ids = {"actor_id": uuid.uuid4(), "actor_organization_id": uuid.uuid4(), "resource_id": uuid.uuid4()}
    as_decoded = {**EVENT, **{k: DriverUUID(str(v)) for k, v in ids.items()}}
    assert all(type(as_decoded[k]) is not uuid.UUID for k in ids)
    assert canonical_bytes(as_decoded) == canonical_bytes({**EVENT, **ids})


class _Action(enum.StrEnum):
    READ = "a"


def test_link_hash_chains_previous_hash() -> None:
    first = link_hash(GENESIS_HASH, EVENT)
    assert first == hashlib.sha256(GENESIS_HASH + canonical_bytes(EVENT)).digest()
    assert link_hash(first, EVENT) != first
    for field, value in [("outcome", "failure"), ("id", 8), ("changed_fields", ["a"]), ("detail", {})]:
        assert link_hash(GENESIS_HASH, {**EVENT, field: value}) != first, field


def test_uuid7_is_time_ordered_and_versioned() -> None:
    ids = [uuid7() for _ in range(1000)]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in ids)
    assert ids == sorted(ids)  # strictly increasing within a process
    assert len(set(ids)) == 1000


@pytest.mark.parametrize("url", ["postgres://u@h/d", "postgresql://u@h/d", "postgresql+asyncpg://u@h/d"])
def test_database_url_forms(url: str) -> None:
    assert to_async_url(url) == "postgresql+asyncpg://u@h/d"


def test_database_url_other_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        to_async_url("mysql://u@h/d")
