"""Sensitive columns encrypted at rest: AES-256-GCM, the key id in every value, and associated data that
binds the value to its table, column and row, so a value copied to another row or column does not decrypt.

Stored value: 0x01 | len(key id) | key id | 12-byte nonce | ciphertext and tag.

Models declare the stored column (bytea, attribute `<name>_sealed`) and a `Sealed` descriptor under the
plain name; code reads and writes the plain name. Document numbers also get a blind index: HMAC-SHA256 under
a separate key, for exact lookup without decrypting.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from cryptography.exceptions import InvalidTag

from src.audit import service as audit
from src.crypto import keys
from src.platform.context import actor_var
from src.platform.errors import AppError
from src.platform.ids import uuid7

VERSION = 1
NONCE_BYTES = 12


class SealBroken(AppError):
    """A stored value failed authentication: tampered, truncated, moved from another row, or its key is
    gone. The request answers a problem (never the value, never a 500) and the failure is audited."""

    status, code, title = 409, "integrity-check-failed", "Stored data failed its integrity check"

    def __init__(self, table: str, column: str, row_id: str) -> None:
        resource_id = _uuid_or_none(row_id)
        super().__init__(
            "A protected field of this record failed its integrity check; the incident was recorded.",
            after_rollback=[
                audit.record_after_rollback(
                    actor_var.get() or audit.SYSTEM,
                    "integrity.failure",
                    resource_type=table,
                    resource_id=resource_id,
                    outcome="failure",
                    detail={"column": column} if resource_id else {"column": column, "row": row_id},
                )
            ],
        )
        self.table, self.column, self.row_id = table, column, row_id


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _associated_data(table: str, column: str, row_id: str) -> bytes:
    return f"ukuk.v1\x00{table}\x00{column}\x00{row_id}".encode()


def seal(table: str, column: str, row_id: object, plaintext: bytes) -> bytes:
    keyring = keys.current()
    key_id = keyring.active.encode()
    nonce = os.urandom(NONCE_BYTES)
    cipher = keyring.cipher(keyring.active)
    assert cipher is not None, "the active key is in the ring (Keyring checks it)"
    sealed = cipher.encrypt(nonce, plaintext, _associated_data(table, column, str(row_id)))
    return bytes([VERSION, len(key_id)]) + key_id + nonce + sealed


def key_id_of(value: bytes) -> str | None:
    if len(value) < 2 or value[0] != VERSION:
        return None
    return value[2 : 2 + value[1]].decode("ascii", "replace")


def unseal(table: str, column: str, row_id: object, value: bytes) -> bytes:
    row = str(row_id)
    key_id = key_id_of(value)
    cipher = keys.current().cipher(key_id) if key_id else None
    if cipher is None:
        raise SealBroken(table, column, row)
    start = 2 + value[1]
    nonce, sealed = value[start : start + NONCE_BYTES], value[start + NONCE_BYTES :]
    try:
        return cipher.decrypt(nonce, sealed, _associated_data(table, column, row))
    except (InvalidTag, ValueError) as exc:
        raise SealBroken(table, column, row) from exc


def normalise_document_number(number: str) -> str:
    """Documents are typed with and without spaces and dashes, in any case: AB 123-456 = ab123456."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def blind_index(number: str) -> bytes:
    return hmac.new(
        keys.current().blind_index_key, normalise_document_number(number).encode(), hashlib.sha256
    ).digest()


T = TypeVar("T")


def _text_codec() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    return (lambda value: value.encode()), (lambda raw: raw.decode())


def _json_codec() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    return (
        lambda value: json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(),
        json.loads,
    )


class Sealed(Generic[T]):
    """The plain view of a sealed column: `case.summary` decrypts `case.summary_sealed`, assignment
    encrypts. The row id must be known before the first assignment; a missing uuid id is made here."""

    def __init__(self, column: str, *, row_id: str = "id", codec: str = "text", make_id: bool = True) -> None:
        self.column = column
        self.make_id = make_id and row_id == "id"
        self.attribute = f"{column}_sealed"
        self.row_id = row_id
        self.encode, self.decode = _json_codec() if codec == "json" else _text_codec()

    def _row(self, obj: Any) -> object:
        if self.make_id and getattr(obj, "id", None) is None:
            obj.id = uuid7()
        row = getattr(obj, self.row_id)
        if row is None:
            raise ValueError(f"{type(obj).__name__}.{self.row_id} must be set before {self.column}")
        return row

    @overload
    def __get__(self, obj: None, owner: type) -> Sealed[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object | None, owner: type) -> Sealed[T] | T:
        if obj is None:
            return self
        value = getattr(obj, self.attribute)
        if value is None:
            return None  # type: ignore[return-value]  # T is Optional for nullable columns
        table = type(obj).__tablename__  # type: ignore[attr-defined]
        return self.decode(unseal(table, self.column, self._row(obj), value))  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: T) -> None:
        table = type(obj).__tablename__  # type: ignore[attr-defined]
        sealed = None if value is None else seal(table, self.column, self._row(obj), self.encode(value))
        setattr(obj, self.attribute, sealed)


def seal_value(table: str, column: str, row_id: object, value: Any, *, codec: str = "text") -> bytes:
    """For bulk SQL writers (rotation, benchmark data): the bytes `Sealed` would store."""
    encode = (_json_codec() if codec == "json" else _text_codec())[0]
    return seal(table, column, row_id, encode(value))


def open_value(table: str, column: str, row_id: object, value: bytes | None, *, codec: str = "text") -> Any:
    """For readers of plain rows (no ORM object): what `Sealed` would answer for these bytes."""
    if value is None:
        return None
    decode = (_json_codec() if codec == "json" else _text_codec())[1]
    return decode(unseal(table, column, row_id, value))
