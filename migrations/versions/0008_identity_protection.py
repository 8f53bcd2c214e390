"""identity protection: sealed sensitive columns, name skeletons, document blind index, case links,
legal hold and anonymisation

Existing plaintext is encrypted here in batches with the keyring the API will read with: the one its
settings name (`UKUK_FIELD_KEYS`, `UKUK_FIELD_KEY_ACTIVE`, `UKUK_BLIND_INDEX_KEY`), or outside production
`<UKUK_DATA_DIR>/field-keys.json` (data dir `.ukuk` by default), generated there if missing.

What this needs of the application is copied here, frozen, so that a later change to the application does
not change what an old migration does: the name skeleton of src/cases/names.py as of commit 2279f19; the
sealed format and the blind index of src/crypto/fields.py (0x01 | len(key id) | key id | 12-byte nonce |
AES-256-GCM ciphertext and tag, with associated data binding the value to its table, column and row; the
document number normalised and HMAC-SHA256'd under the blind-index key); and the keyring loading of
src/crypto/keys.py with the settings of src/platform/config.py it reads (environment variables prefixed
UKUK_, their names case-insensitive, as pydantic-settings reads them). Nothing is imported from `src`; of
the third-party libraries, besides SQLAlchemy, Alembic and cryptography, only anyascii (the transliteration,
pinned in uv.lock) is used.

The keyring is read from the environment and the data directory, never from a keyring a process installed
in memory (`src.crypto.keys.install`): `ukuk migrate` and `ukuk serve` install none before migrating, so
they seal with the same keys as before. A deployment still below 0008 must name its keys in one of the two
ways above when it upgrades.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from anyascii import anyascii
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, column, row id expression (as the application binds it), codec, nullable
SEALED = [
    ("case_file", "summary", "id::text", "text", False),
    ("case_file", "details", "id::text", "json", False),
    ("case_person", "document_number", "id::text", "text", True),
    ("case_person", "phone", "id::text", "text", True),
    ("case_violation", "location", "id::text", "text", True),
    ("case_violation", "description", "id::text", "text", True),
    ("case_note", "body", "id::text", "text", False),
    ("case_transition", "reason", "id::text", "text", True),
    ("referral", "reason", "id::text", "text", False),
    ("referral", "status_note", "id::text", "text", True),
    ("referral_update", "body", "id::text", "text", True),
    ("webhook_endpoint", "secret", "organization_id::text", "text", False),
    ("webhook_endpoint", "previous_secret", "organization_id::text", "text", True),
    ("idempotency_record", "response_body", "principal_id::text || '/' || key", "json", False),
]
BATCH = 1000


def _plain(value: object, codec: str) -> object:
    # jsonb may arrive decoded or as its text, depending on the driver's codecs
    return json.loads(value) if codec == "json" and isinstance(value, str) else value


def _seal_column(
    keyring: Callable[[], _Keyring], table: str, column: str, row_expr: str, codec: str, nullable: bool
) -> None:
    bind = op.get_bind()
    op.add_column(table, sa.Column(f"{column}_sealed", sa.LargeBinary(), nullable=True))
    select = f"SELECT ctid::text, {row_expr}, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
    # ctid bound as text, then cast: bound as tid, asyncpg wants a (block, offset) tuple and refuses the text.
    update = f"UPDATE {table} SET {column}_sealed = :sealed WHERE ctid = CAST(CAST(:ctid AS text) AS tid)"  # noqa: S608
    rows = bind.execute(sa.text(select)).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        bind.execute(
            sa.text(update),
            [
                {
                    "ctid": ctid,
                    "sealed": _seal_value(keyring(), table, column, row_id, _plain(value, codec), codec),
                }
                for ctid, row_id, value in batch
            ],
        )
    op.drop_column(table, column)
    op.alter_column(table, f"{column}_sealed", new_column_name=column, nullable=nullable)


def upgrade() -> None:
    # Loaded at the first value to seal, once: an empty database needs no keys (and gets no keyring file).
    keyring = functools.cache(_load_keyring)
    op.alter_column("case_file", "details", server_default=None)
    for table, column, row_expr, codec, nullable in SEALED:
        _seal_column(keyring, table, column, row_expr, codec, nullable)

    op.add_column("case_person", sa.Column("name_key", sa.String(400), server_default="", nullable=False))
    op.add_column("case_person", sa.Column("document_number_index", sa.LargeBinary(32), nullable=True))
    _fill_name_keys_and_blind_index(keyring)
    op.create_index(
        "ix_case_person_name_key_trgm",
        "case_person",
        ["name_key"],
        postgresql_using="gin",
        postgresql_ops={"name_key": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_case_person_document_number_index",
        "case_person",
        ["document_number_index"],
        postgresql_where=sa.text("document_number_index IS NOT NULL"),
    )

    op.add_column("case_file", sa.Column("legal_hold", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("case_file", sa.Column("legal_hold_reason", sa.String(500), nullable=True))
    op.add_column("case_file", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "case_link",
        sa.Column("id", postgresql.UUID(), primary_key=True),
        sa.Column(
            "case_id", postgresql.UUID(), sa.ForeignKey("case_file.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "other_case_id",
            postgresql.UUID(),
            sa.ForeignKey("case_file.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("created_by", postgresql.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "type IN ('duplicate', 'related', 'sibling', 'same_perpetrator')", name="ck_case_link_type"
        ),
        sa.CheckConstraint("case_id < other_case_id", name="ck_case_link_ordered_pair"),
    )
    op.create_index("uq_case_link_pair_type", "case_link", ["case_id", "other_case_id", "type"], unique=True)
    op.create_index("ix_case_link_other_case_id", "case_link", ["other_case_id"])


def _fill_name_keys_and_blind_index(keyring: Callable[[], _Keyring]) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, full_name, document_number FROM case_person")).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        bind.execute(
            sa.text("UPDATE case_person SET name_key = :key, document_number_index = :index WHERE id = :id"),
            [
                {
                    "id": person_id,
                    "key": _skeleton(full_name),
                    "index": _blind_index(
                        keyring(),
                        _unseal(keyring(), "case_person", "document_number", person_id, number).decode(),
                    )
                    if number is not None
                    else None,
                }
                for person_id, full_name, number in batch
            ],
        )


# ---- frozen: the name skeleton of src/cases/names.py at commit 2279f19 ----------------------------------

# Letters whose anyascii spelling is not the one the folding below expects.
_LETTERS = str.maketrans(
    {
        "ё": "е",  # Yo is written E in passports (ICAO) and most informal spellings
        "ъ": "",
        "ь": "",
        "ҷ": "дж",  # Tajik che with descender: Juraev, Dzhuraev
        "ӣ": "и",
        "ӯ": "у",
        "ў": "у",  # Uzbek: Uktam (Russian documents), O'ktam (Uzbek Latin, folded below)
        "ҳ": "х",
        "һ": "х",
        "ң": "н",  # Kyrgyz: Ыңгай, Ingai; ng and n meet
    }
)
_APOSTROPHES = "\u0027\u2018\u2019\u02bb\u02bc`"
# Uzbek Latin o' and g' (with every apostrophe in use), before apostrophes are dropped: El'mira is one word.
_UZBEK_LATIN = re.compile(f"([og])[{_APOSTROPHES}]")
_APOSTROPHE = re.compile(f"[{_APOSTROPHES}]")
_NOT_LETTERS = re.compile(r"[^a-z]+")
# Applied in order to each Latin token.
_FOLDS: tuple[tuple[str, str], ...] = (
    ("shch", "sh"),
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("x", "h"),
    ("gh", "g"),
    ("q", "k"),
    ("w", "v"),
    ("ng", "n"),
    ("ck", "k"),
    ("ph", "f"),
    ("y", "i"),
)
# io: Uzbek and Tajik yo (Bakhtiyor) is written with Cyrillic yo, folded to e above (Бахтиёр, Bakhtier).
_VOWEL_GLIDES: tuple[tuple[str, str], ...] = (("iu", "u"), ("ia", "a"), ("ie", "e"), ("io", "e"))
_DOUBLED = re.compile(r"(.)\1+")
_SON, _DAUGHTER = "ulu", "kizi"
# Folded markers written apart: Kyrgyz uulu/uly, Kazakh uly/kyzy, Uzbek ugli/o'g'li/qizi, Azeri oglu/ogly.
_MARKERS = {"ulu": _SON, "uli": _SON, "ugli": _SON, "ogli": _SON, "oglu": _SON, "kizi": _DAUGHTER}
# Folded suffixes glued to the father's name, longest first.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ovich", _SON),
    ("evich", _SON),
    ("ovna", _DAUGHTER),
    ("evna", _DAUGHTER),
    ("ichna", _DAUGHTER),
    ("ugli", _SON),
    ("ogli", _SON),
    ("kizi", _DAUGHTER),
    ("ulu", _SON),
)
_MIN_STEM = 3


def _fold_token(token: str) -> str:
    """One Latin token (lower case, letters only) to its skeleton."""
    for old, new in _FOLDS:
        token = token.replace(old, new)
    token = _DOUBLED.sub(r"\1", token)
    for old, new in _VOWEL_GLIDES:
        token = token.replace(old, new)
    return _DOUBLED.sub(r"\1", token)


def _latin_tokens(name: str) -> list[str]:
    """The name in lower-case Latin letters, split into words (any script in, no marks out)."""
    text = name.lower().translate(_LETTERS)
    text = anyascii(text).lower()
    text = _UZBEK_LATIN.sub(lambda m: "u" if m.group(1) == "o" else "g", text)
    text = _APOSTROPHE.sub("", text)
    return [t for t in _NOT_LETTERS.split(text) if t]


def _tokens(name: str) -> list[str]:
    """Folded name tokens, patronymics marked, in written order (a patronymic possibly left out)."""
    folded = [_fold_token(t) for t in _latin_tokens(name)]
    names: list[str] = []
    patronymics: list[str] = []
    for token in folded:
        if token in _MARKERS:
            if names:
                patronymics.append(names.pop() + _MARKERS[token])
            continue
        for suffix, marker in _SUFFIXES:
            stem = token[: -len(suffix)]
            if token.endswith(suffix) and len(stem) >= _MIN_STEM:
                patronymics.append(stem + marker)
                break
        else:
            names.append(token)
    return names if len(names) >= 2 else names + patronymics


def _skeleton(name: str) -> str:
    """The search key stored with a person: folded tokens, sorted so that word order does not count."""
    return " ".join(sorted(_tokens(name)))


# ---- frozen: the keyring of src/crypto/keys.py, read as src/platform/config.py's settings are -----------

_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_KEY_BYTES = 32


class KeyringError(RuntimeError):
    pass


class _Keyring:
    # Not a dataclass: Alembic loads a migration without entering it in sys.modules, which dataclasses need.
    def __init__(self, keys: dict[str, bytes], active: str, blind_index_key: bytes) -> None:
        self.keys, self.active, self.blind_index_key = keys, active, blind_index_key
        for key_id in self.keys:
            if not _KEY_ID.match(key_id):
                raise KeyringError(f"key id {key_id!r}: 1-16 of A-Z a-z 0-9 _ -")
        if self.active not in self.keys:
            raise KeyringError(f"the active key {self.active!r} is not in the keyring")


def _decode_key(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise KeyringError(f"{what} is not base64") from exc
    if len(raw) != _KEY_BYTES:
        raise KeyringError(f"{what} must be {_KEY_BYTES} bytes")
    return raw


def _setting(name: str) -> str | None:
    """UKUK_<name> from the environment, its name in any case (the last one wins, as in pydantic-settings)."""
    wanted = f"ukuk_{name}"
    found = None
    for variable, value in os.environ.items():
        if variable.lower() == wanted:
            found = value
    return found


def _new_keyring_file() -> bytes:
    return json.dumps(
        {
            "active": "k1",
            "keys": {"k1": base64.b64encode(os.urandom(_KEY_BYTES)).decode()},
            "blind_index_key": base64.b64encode(os.urandom(_KEY_BYTES)).decode(),
        },
        indent=2,
    ).encode()


def _read_or_create(path: Path) -> bytes:
    """The file's bytes, creating it (mode 600) first if missing; when processes race, the first file wins."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(_new_keyring_file())
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes()


def _parse_keyring_file(data: bytes) -> _Keyring:
    try:
        document = json.loads(data)
        keys = {key_id: _decode_key(raw, f"key {key_id}") for key_id, raw in document["keys"].items()}
        return _Keyring(keys, document["active"], _decode_key(document["blind_index_key"], "blind index key"))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise KeyringError(f"unreadable keyring: {exc}") from exc


def _load_keyring() -> _Keyring:
    field_keys = _setting("field_keys")
    if field_keys is not None:
        try:
            raw_keys = json.loads(field_keys)
            keys = {key_id: _decode_key(value, f"key {key_id}") for key_id, value in raw_keys.items()}
        except (ValueError, AttributeError) as exc:
            raise KeyringError("UKUK_FIELD_KEYS must be a JSON object of key id -> base64 key") from exc
        active, blind = _setting("field_key_active"), _setting("blind_index_key")
        if blind is None or active is None:
            raise KeyringError("UKUK_FIELD_KEYS needs UKUK_FIELD_KEY_ACTIVE and UKUK_BLIND_INDEX_KEY")
        return _Keyring(keys, active, _decode_key(blind, "UKUK_BLIND_INDEX_KEY"))
    if _setting("env") == "production":
        raise KeyringError("UKUK_FIELD_KEYS, UKUK_FIELD_KEY_ACTIVE and UKUK_BLIND_INDEX_KEY are required")
    data_dir = _setting("data_dir")
    path = Path(".ukuk" if data_dir is None else data_dir) / "field-keys.json"
    return _parse_keyring_file(_read_or_create(path))


# ---- frozen: sealed values and the blind index of src/crypto/fields.py -----------------------------------

_VERSION = 1
_NONCE_BYTES = 12


def _associated_data(table: str, column: str, row_id: str) -> bytes:
    return f"ukuk.v1\x00{table}\x00{column}\x00{row_id}".encode()


def _seal(keyring: _Keyring, table: str, column: str, row_id: object, plaintext: bytes) -> bytes:
    key_id = keyring.active.encode()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(keyring.keys[keyring.active]).encrypt(
        nonce, plaintext, _associated_data(table, column, str(row_id))
    )
    return bytes([_VERSION, len(key_id)]) + key_id + nonce + sealed


def _seal_value(
    keyring: _Keyring, table: str, column: str, row_id: object, value: object, codec: str
) -> bytes:
    if codec == "json":
        plaintext = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    else:
        plaintext = value.encode()  # type: ignore[attr-defined]
    return _seal(keyring, table, column, row_id, plaintext)


def _unseal(keyring: _Keyring, table: str, column: str, row_id: object, value: bytes) -> bytes:
    row = str(row_id)
    key = None
    if len(value) >= 2 and value[0] == _VERSION:
        key = keyring.keys.get(value[2 : 2 + value[1]].decode("ascii", "replace"))
    if key is None:
        raise KeyringError(f"{table}.{column} of {row}: sealed under a key the keyring does not have")
    start = 2 + value[1]
    nonce, sealed = value[start : start + _NONCE_BYTES], value[start + _NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, sealed, _associated_data(table, column, row))
    except (InvalidTag, ValueError) as exc:
        raise KeyringError(f"{table}.{column} of {row} failed its integrity check") from exc


def _blind_index(keyring: _Keyring, number: str) -> bytes:
    normalised = "".join(ch for ch in number.upper() if ch.isalnum())
    return hmac.new(keyring.blind_index_key, normalised.encode(), hashlib.sha256).digest()


def downgrade() -> None:
    raise NotImplementedError("0008 encrypts data in place: restore a backup to go back")
