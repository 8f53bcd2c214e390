"""The keyring for field encryption: AES-256 keys by id, the active one, and the blind-index key.

Production takes them from settings (`UKUK_FIELD_KEYS` = JSON `{"id": "<base64 32 bytes>", ...}`,
`UKUK_FIELD_KEY_ACTIVE`, `UKUK_BLIND_INDEX_KEY`). Elsewhere they are generated once into
`<data dir>/field-keys.json`, and `ukuk keys add` adds a key there and makes it active.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from src.platform import keyfiles
from src.platform.config import Settings

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
KEY_BYTES = 32


class KeyringError(RuntimeError):
    pass


def _decode(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise KeyringError(f"{what} is not base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeyringError(f"{what} must be {KEY_BYTES} bytes")
    return raw


def _encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass
class Keyring:
    keys: dict[str, bytes]
    active: str
    blind_index_key: bytes
    # Where the keyring came from, to look again when a value names a key this process has not seen
    # (another process added it): None for keys from settings, which change only with a restart.
    path: Path | None = field(default=None, compare=False)
    # Each key's AES-GCM cipher, made on first use: making one (0.9 µs) cost more than opening a field with
    # it (0.6 µs), on every field (a case with ten persons' phones and documents has over twenty; an
    # export or a key rotation, every row's). Keyed by the key itself, so a key id given new bytes (a
    # reloaded file) never finds the old key's cipher.
    _ciphers: dict[bytes, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for key_id in self.keys:
            if not KEY_ID.match(key_id):
                raise KeyringError(f"key id {key_id!r}: 1-16 of A-Z a-z 0-9 _ -")
        if self.active not in self.keys:
            raise KeyringError(f"the active key {self.active!r} is not in the keyring")

    def key(self, key_id: str) -> bytes | None:
        if key_id not in self.keys and self.path is not None:
            self.reload()
        return self.keys.get(key_id)

    def cipher(self, key_id: str) -> AESGCM | None:
        """The AES-GCM cipher of the key `key_id`; None for a key not in the ring (after looking again)."""
        key = self.key(key_id)
        if key is None:
            return None
        cipher = self._ciphers.get(key)
        if cipher is None:
            cipher = self._ciphers[key] = AESGCM(key)
        return cipher

    def reload(self) -> None:
        if self.path is None:
            return
        fresh = parse_file(self.path.read_bytes(), self.path)
        self.keys, self.active, self.blind_index_key = fresh.keys, fresh.active, fresh.blind_index_key

    def add(self, key_id: str | None = None) -> str:
        """A new random key, made active; written back to the keyring file if there is one."""
        key_id = key_id or f"k{len(self.keys) + 1}"
        if key_id in self.keys:
            raise KeyringError(f"key id {key_id!r} is taken")
        self.keys[key_id] = os.urandom(KEY_BYTES)
        self.active = key_id
        self.__post_init__()
        if self.path is not None:
            keyfiles.replace(self.path, self.to_json())
        return key_id

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "active": self.active,
                "keys": {key_id: _encode(raw) for key_id, raw in self.keys.items()},
                "blind_index_key": _encode(self.blind_index_key),
            },
            indent=2,
        ).encode()


def parse_file(data: bytes, path: Path | None = None) -> Keyring:
    try:
        document = json.loads(data)
        keys = {key_id: _decode(raw, f"key {key_id}") for key_id, raw in document["keys"].items()}
        return Keyring(
            keys, document["active"], _decode(document["blind_index_key"], "blind index key"), path
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise KeyringError(f"unreadable keyring: {exc}") from exc


def _new_file() -> bytes:
    return Keyring({"k1": os.urandom(KEY_BYTES)}, "k1", os.urandom(KEY_BYTES)).to_json()


def load_keyring(settings: Settings) -> Keyring:
    if settings.field_keys is not None:
        try:
            raw_keys = json.loads(settings.field_keys.get_secret_value())
            keys = {key_id: _decode(value, f"key {key_id}") for key_id, value in raw_keys.items()}
        except (ValueError, AttributeError) as exc:
            raise KeyringError("UKUK_FIELD_KEYS must be a JSON object of key id -> base64 key") from exc
        if settings.blind_index_key is None or settings.field_key_active is None:
            raise KeyringError("UKUK_FIELD_KEYS needs UKUK_FIELD_KEY_ACTIVE and UKUK_BLIND_INDEX_KEY")
        blind = _decode(settings.blind_index_key.get_secret_value(), "UKUK_BLIND_INDEX_KEY")
        return Keyring(keys, settings.field_key_active, blind)
    if settings.is_production:
        raise KeyringError("UKUK_FIELD_KEYS, UKUK_FIELD_KEY_ACTIVE and UKUK_BLIND_INDEX_KEY are required")
    path = Path(settings.data_dir) / "field-keys.json"
    return parse_file(keyfiles.read_or_create(path, _new_file), path)


_installed: Keyring | None = None


def install(keyring: Keyring) -> None:
    """Make this the keyring of the process (the app at start, the CLI, migrations)."""
    global _installed
    _installed = keyring


def current() -> Keyring:
    global _installed
    if _installed is None:
        from src.platform.config import get_settings

        _installed = load_keyring(get_settings())
    return _installed
