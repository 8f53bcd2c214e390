"""The migrations build exactly the schema the models describe (autogenerate finds nothing to do)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from src.models import Base


@asynccontextmanager
async def _scratch_database(owner_url: str, suffix: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of its own beside the test database (migrated by the test to the revision it needs), its
    URL and an engine on it; dropped afterwards."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    server = create_async_engine(owner_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"{make_url(owner_url).database}_{suffix}"
    url = make_url(owner_url).set(database=name).render_as_string(hide_password=False)
    async with server.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        yield url, engine
    finally:
        await engine.dispose()
        async with server.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


def _downgrade(url: str, revision: str) -> None:
    """Alembic downgrade to `revision` (in a thread: the migration environment runs its own event loop)."""
    from alembic import command
    from alembic.config import Config

    from src.platform.config import to_async_url
    from src.platform.postgres import PROJECT_ROOT

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = to_async_url(url)
    config.attributes["app_role"] = "ukuk_app"
    command.downgrade(config, revision)


async def _a_case(conn: Any, at: Any) -> tuple[Any, Any]:
    """A consulate and one abuse case of it, written as SQL (for a database at an old revision)."""
    import uuid

    from sqlalchemy import text

    consulate, case = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        text("INSERT INTO organization (id, name, kind, country) VALUES (:c, 'c', 'consulate', 'KG')"),
        {"c": consulate},
    )
    await conn.execute(
        text(
            "INSERT INTO case_file (id, reference, kind, status, summary, details, intake_channel, "
            "occurred_country, owner_organization_id, created_by, status_entered_at, created_at, "
            "updated_at) VALUES (:id, 'R-1', 'abuse', 'intake', '', '', 'walk_in', 'RU', :c, :c, "
            ":t, :t, :t)"
        ),
        {"id": case, "c": consulate, "t": at},
    )
    return consulate, case


# audit_event.txid is xid8, which SQLAlchemy's reflection does not know; the model declares it the same way.
@pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8'")
async def test_models_and_migrations_agree(owner_engine: AsyncEngine) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with owner_engine.connect() as conn:
        found = await conn.run_sync(differences)
    assert found == [], "\n".join(map(str, found))


# Rows of these parents are never deleted (accounts are deactivated, instruments stay for the record).
UNINDEXED_ON_PURPOSE = {("case_assignment", "assignee_id"), ("redress_action", "instrument_id")}


async def test_every_foreign_key_has_an_index_so_a_delete_does_not_scan_the_child_table(
    owner_engine: AsyncEngine,
) -> None:
    """Found by the load benchmark: deleting 7 000 cases out of a million took minutes, because two foreign
    keys (a case's link to another, a violation's perpetrator) had no index to check against."""
    from sqlalchemy import text

    async with owner_engine.connect() as conn:
        missing = (
            await conn.execute(
                text(
                    """
                    SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                    WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND NOT EXISTS (
                        SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
                    """
                )
            )
        ).all()
    assert {(table, column) for table, column in missing} <= UNINDEXED_ON_PURPOSE


async def test_0013_fills_stays_and_acceptances_from_the_history_already_written(owner_url: str) -> None:
    """The reports now read `case_transition.from_entered_at` and `referral.accepted_at`; rows written before
    0013 get them from the history: the previous transition's time (by time, then id) and the first
    acceptance."""
    import asyncio
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from src.platform.postgres import run_migrations

    async with _scratch_database(owner_url, "m13") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0012")
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        consulate, partner, case = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        referrals = [uuid.uuid4(), uuid.uuid4()]
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO organization (id, name, kind, country) "
                    "VALUES (:c, 'c', 'consulate', 'KG'), (:p, 'p', 'partner', 'RU')"
                ),
                {"c": consulate, "p": partner},
            )
            await conn.execute(
                text(
                    "INSERT INTO case_file (id, reference, kind, status, summary, details, intake_channel, "
                    "occurred_country, owner_organization_id, created_by, status_entered_at, created_at, "
                    "updated_at) VALUES (:id, 'R-1', 'abuse', 'referred', '', '', 'walk_in', 'RU', :c, :c, "
                    ":t, :t, :t)"
                ),
                {"id": case, "c": consulate, "t": t0},
            )
            # Ids out of time order: the previous transition is by time (then id), as lead() had it.
            for number, (source, target, days) in enumerate(
                [(None, "intake", 0), ("assessment", "referred", 9), ("intake", "assessment", 2)]
            ):
                await conn.execute(
                    text(
                        "INSERT INTO case_transition (id, case_id, from_status, to_status, actor_id, at) "
                        "VALUES (:id, :case, :source, :target, :c, :at)"
                    ),
                    {
                        "id": number + 1,
                        "case": case,
                        "source": source,
                        "target": target,
                        "c": consulate,
                        "at": t0 + timedelta(days=days),
                    },
                )
            for referral in referrals:
                await conn.execute(
                    text(
                        "INSERT INTO referral (id, case_id, from_organization_id, to_organization_id, "
                        "services, urgency, reason, share, status, created_by, created_at, updated_at) "
                        "VALUES (:id, :case, :c, :p, ARRAY['legal_aid'], 'normal', '', ARRAY['basic'], "
                        "'completed', :c, :t, :t)"
                    ),
                    {"id": referral, "case": case, "c": consulate, "p": partner, "t": t0},
                )
            for kind, hours in (("created", 0), ("accepted", 7), ("accepted", 3), ("completed", 20)):
                await conn.execute(
                    text(
                        "INSERT INTO referral_update (id, referral_id, author_id, author_organization_id, "
                        "kind, created_at) VALUES (:id, :r, :p, :p, :kind, :at)"
                    ),
                    {
                        "id": uuid.uuid4(),
                        "r": referrals[0],
                        "p": partner,
                        "kind": kind,
                        "at": t0 + timedelta(hours=hours),
                    },
                )
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.connect() as conn:
            stays = (
                await conn.execute(text("SELECT id, from_entered_at FROM case_transition ORDER BY id"))
            ).all()
            accepted: dict[Any, Any] = dict(
                (await conn.execute(text("SELECT id, accepted_at FROM referral"))).all()
            )
        assert stays == [(1, None), (2, t0 + timedelta(days=2)), (3, t0)]
        assert accepted == {referrals[0]: t0 + timedelta(hours=3), referrals[1]: None}


async def test_0014_splits_whole_names_into_parts_and_marks_them_inferred(owner_url: str) -> None:
    """Names written before 0014 are split by the rule the partner view used to guess with, improved by the
    patronymics it missed, and marked for an officer to check; what retention removed stays removed."""
    import asyncio
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import text

    from src.platform.postgres import run_migrations

    written = {
        "Айдаралиев Медетбек": ("Айдаралиев", "Медетбек", None),
        "Асанов Бакыт Жумабекович": ("Асанов", "Бакыт", "Жумабекович"),
        "Бакыт уулу Азамат": (None, "Азамат", "Бакыт уулу"),
        "Азамат Бакыт уулу": (None, "Азамат", "Бакыт уулу"),
        "Садыкова Айгерим Бакыт кызы": ("Садыкова", "Айгерим", "Бакыт кызы"),
        "Медетбек": (None, "Медетбек", None),
        "[removed under retention]": (None, None, None),
    }
    async with _scratch_database(owner_url, "m14") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0013")
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        async with engine.begin() as conn:
            _, case = await _a_case(conn, t0)
            for position, full_name in enumerate(written):
                await conn.execute(
                    text(
                        "INSERT INTO case_person (id, case_id, position, role, full_name) "
                        "VALUES (:id, :case, :position, 'victim', :name)"
                    ),
                    {"id": uuid.uuid4(), "case": case, "position": position, "name": full_name},
                )
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT full_name, family_name, given_name, patronymic, name_parts_inferred "
                        "FROM case_person ORDER BY position"
                    )
                )
            ).all()
        assert {row[0]: tuple(row[1:4]) for row in rows} == written
        assert [row[4] for row in rows] == [True] * 6 + [False]


def test_no_migration_imports_live_application_code() -> None:
    """A migration that imports `src` changes what it does when that code changes: every migration carries
    a frozen copy of what it needs (0008 its name skeleton, field sealing and keyring loading)."""
    import ast
    from pathlib import Path

    for path in sorted(Path(__file__).parents[1].joinpath("migrations", "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            assert not any(m == "src" or m.startswith("src.") for m in modules), path.name


def _migration(filename: str) -> Any:
    """A migration module loaded from its file, as Alembic loads it (not entered in sys.modules)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "migrations" / "versions" / filename
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Whole names and the skeletons src/cases/names.py gave them at commit 2279f19, when 0008 was written: every
# folding rule, patronymics apart, glued and dropped, apostrophes, other scripts, and names with nothing left.
SKELETONS_AT_0008 = [
    ("Айдаралиев Медетбек", "aidaralev medetbek"),
    ("Aydaraliyev Medetbek", "aidaralev medetbek"),
    ("Айдаралиев Медетбек Бакытович", "aidaralev medetbek"),
    ("Bakyt uulu Azamat", "azamat bakitulu"),
    ("Azamat Bakytovich", "azamat bakitulu"),
    ("Bakyt Azamat uulu", "azamatulu bakit"),
    ("Aygul Bakytkyzy", "aigul bakitkizi"),
    ("Dilnoza Alisherovna", "alisherkizi dilnoza"),
    ("Dzhanybek Kydyrov", "janibek kidirov"),
    ("Sherali Khassanov", "hasanov sherali"),
    ("Ҷӯраев Ғафур Қаҳҳорович", "gafur juraev"),
    ("Djuraev Ghafur", "gafur juraev"),
    ("O'ktam Qodirov G'ani o'g'li", "kodirov uktam"),
    ("Ali Vali o\u2018g\u2018li Karimov", "ali karimov"),
    ("Yusupov Yevgeniy", "evgeni usupov"),
    ("Iakovleva Mariia", "akovleva mara"),
    ("Ёлкин Пётр", "elkin petr"),
    ("El'mira Toktogulova", "elmira toktogulova"),
    ("Ömürbek Üsönov", "omurbek usonov"),
    ("Hakimov Bakhtiyor", "bahter hakimov"),
    ("Ҳакимов Бахтиёр", "bahter hakimov"),
    ("Sayyora Muminova", "muminova saera"),
    ("Timur Yo'ldoshev", "timur uldoshev"),
    ("Zulfiia Xamidova", "hamidova zulfa"),
    ("Алмаз Жээнбеков", "almaz jenbekov"),
    ("Чынгыз Айтматов", "aitmatov chiniz"),
    ("Бахтовар Ҷумъаев", "bahtovar jumaev"),
    ("Гульмира Жусупова", "gulmira jusupova"),
    ("Mustafa Özdemir oğlu", "mustafa ozdemirulu"),
    ("Щукин Ілля", "ila shukin"),
    ("Shchukin Ilya", "ila shukin"),
    ("Ыңгай Ingai", "inai inai"),
    ("Phillip Wright", "filip vrigt"),
    ("Anne-Marie O'Connor", "ane mare uconor"),
    ("Li Wei 李伟", "li livei vei"),
    ("Nurlan  Tashiev\t(alias) Nurlanovich", "alas nurlan tashev"),
    ("Медетбек", "medetbek"),
    ("Бакыт уулу", "bakitulu"),
    ("uulu", ""),
    ("", ""),
    ("[removed under retention]", "removed retenten under"),
]


def test_0008_folds_names_as_the_application_did_when_it_was_written() -> None:
    migration = _migration("0008_identity_protection.py")
    assert [(name, migration._skeleton(name)) for name, _ in SKELETONS_AT_0008] == SKELETONS_AT_0008


def _random_keyring() -> Any:
    import os

    from src.crypto import keys

    return keys.Keyring({"m8": os.urandom(32), "old": os.urandom(32)}, "m8", os.urandom(32))


def _keyring_env(monkeypatch: pytest.MonkeyPatch, keyring: Any) -> None:
    import base64
    import json

    encoded = {key_id: base64.b64encode(raw).decode() for key_id, raw in keyring.keys.items()}
    monkeypatch.setenv("UKUK_FIELD_KEYS", json.dumps(encoded))
    monkeypatch.setenv("UKUK_FIELD_KEY_ACTIVE", keyring.active)
    monkeypatch.setenv("UKUK_BLIND_INDEX_KEY", base64.b64encode(keyring.blind_index_key).decode())


def test_0008_seals_what_the_application_unseals_and_reads_what_it_seals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The frozen sealing keeps the application's format: version, key id, nonce, AES-GCM bound to table,
    column and row; and the blind index of a document number is the application's."""
    import uuid

    from src.crypto import fields, keys

    migration = _migration("0008_identity_protection.py")
    live = _random_keyring()
    monkeypatch.setattr(keys, "_installed", live)
    frozen = migration._Keyring(dict(live.keys), live.active, live.blind_index_key)
    row = uuid.uuid4()
    details = {"место": "склад", "дети": 2, "ok": True}

    sealed = migration._seal_value(frozen, "case_file", "summary", row, "Задержан на складе", "text")
    assert sealed[:4] == b"\x01\x02m8" and len(sealed) == 4 + 12 + len("Задержан на складе".encode()) + 16
    assert fields.key_id_of(sealed) == "m8"
    assert fields.unseal("case_file", "summary", row, sealed).decode() == "Задержан на складе"
    sealed_json = migration._seal_value(frozen, "case_file", "details", row, details, "json")
    by_app_json = fields.seal_value("case_file", "details", row, details, codec="json")
    assert fields.unseal("case_file", "details", row, sealed_json) == fields.unseal(
        "case_file", "details", row, by_app_json
    )
    with pytest.raises(fields.SealBroken):  # bound to its row, as the application's own values are
        fields.unseal("case_file", "summary", uuid.uuid4(), sealed)

    number = "AB 123-456"
    by_app = fields.seal_value("case_person", "document_number", row, number)
    assert migration._unseal(frozen, "case_person", "document_number", row, by_app).decode() == number
    assert migration._blind_index(frozen, number) == fields.blind_index("ab123456")
    with pytest.raises(migration.KeyringError):
        migration._unseal(frozen, "case_person", "phone", row, by_app)


def test_0008_loads_the_keyring_the_application_loads(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """From UKUK_FIELD_KEYS and company, else from (or into) <UKUK_DATA_DIR>/field-keys.json; in production
    only from settings."""
    from src.crypto import keys
    from src.platform.config import Settings

    migration = _migration("0008_identity_protection.py")

    def same(frozen: Any, live: Any) -> bool:
        return (frozen.keys, frozen.active, frozen.blind_index_key) == (
            live.keys,
            live.active,
            live.blind_index_key,
        )

    for name in ("UKUK_FIELD_KEYS", "UKUK_FIELD_KEY_ACTIVE", "UKUK_BLIND_INDEX_KEY", "UKUK_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UKUK_DATA_DIR", str(tmp_path / "made-by-migration"))
    made = migration._load_keyring()  # no file yet: the migration makes it, the application reads it
    assert (tmp_path / "made-by-migration" / "field-keys.json").stat().st_mode & 0o777 == 0o600
    assert same(made, keys.load_keyring(Settings()))
    assert same(migration._load_keyring(), made)

    monkeypatch.setenv("UKUK_DATA_DIR", str(tmp_path / "made-by-app"))
    assert same(migration._load_keyring(), keys.load_keyring(Settings()))

    configured = _random_keyring()
    _keyring_env(monkeypatch, configured)
    monkeypatch.setenv("ukuk_env", "production")
    assert same(migration._load_keyring(), configured)
    assert same(migration._load_keyring(), keys.load_keyring(Settings()))
    monkeypatch.delenv("UKUK_FIELD_KEYS")
    with pytest.raises(migration.KeyringError, match="required"):
        migration._load_keyring()
    with pytest.raises(keys.KeyringError, match="required"):
        keys.load_keyring(Settings())


async def test_0008_seals_existing_rows_with_the_keys_the_application_reads_with(
    owner_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Rows written before 0008: their sensitive columns sealed, name keys and document blind index filled,
    all readable by today's application with the keyring from the same settings."""
    import asyncio
    import json
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import text

    from src.crypto import fields, keys
    from src.platform.postgres import run_migrations

    keyring = _random_keyring()
    _keyring_env(monkeypatch, keyring)
    monkeypatch.setenv("UKUK_DATA_DIR", str(tmp_path))  # not read with keys in settings; never the cwd's
    monkeypatch.setattr(keys, "_installed", keyring)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    consulate, case = uuid.uuid4(), uuid.uuid4()
    details = {"место": "склад", "дети": 2}
    persons = {
        uuid.uuid4(): ("Ҷӯраев Ғафур Қаҳҳорович", "gafur juraev", "AB 123-456", "+996 555 010 203"),
        uuid.uuid4(): ("Azamat Bakyt uulu", "azamat bakitulu", None, None),
    }
    async with _scratch_database(owner_url, "m08") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0007")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO organization (id, name, kind, country) VALUES (:c, 'c', 'consulate', 'KG')"
                ),
                {"c": consulate},
            )
            await conn.execute(
                text(
                    "INSERT INTO case_file (id, reference, kind, status, summary, details, intake_channel, "
                    "occurred_country, owner_organization_id, created_by, status_entered_at) VALUES (:id, "
                    "'R-1', 'abuse', 'intake', 'Задержан на складе', CAST(:details AS jsonb), 'walk_in', "
                    "'RU', :c, :c, :t)"
                ),
                {"id": case, "c": consulate, "t": t0, "details": json.dumps(details)},
            )
            for position, (person, (full_name, _, number, phone)) in enumerate(persons.items()):
                await conn.execute(
                    text(
                        "INSERT INTO case_person (id, case_id, position, role, full_name, document_number, "
                        "phone) VALUES (:id, :case, :position, 'victim', :name, :number, :phone)"
                    ),
                    {
                        "id": person,
                        "case": case,
                        "position": position,
                        "name": full_name,
                        "number": number,
                        "phone": phone,
                    },
                )
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0008")
        async with engine.connect() as conn:
            summary, sealed_details = (
                await conn.execute(
                    text("SELECT summary, details FROM case_file WHERE id = :id"), {"id": case}
                )
            ).one()
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, name_key, document_number, document_number_index, phone FROM case_person"
                    )
                )
            ).all()
        assert fields.key_id_of(summary) == "m8"
        assert fields.unseal("case_file", "summary", case, summary).decode() == "Задержан на складе"
        assert json.loads(fields.unseal("case_file", "details", case, sealed_details)) == details
        assert len(rows) == len(persons)
        for person, name_key, number, index, phone in rows:
            _, expected_key, plain_number, plain_phone = persons[person]
            assert name_key == expected_key
            if plain_number is None:
                assert (number, index, phone) == (None, None, None)
                continue
            assert fields.unseal("case_person", "document_number", person, number).decode() == plain_number
            assert fields.unseal("case_person", "phone", person, phone).decode() == plain_phone
            assert index == fields.blind_index(plain_number)
        assert not (tmp_path / "field-keys.json").exists()


async def test_0016_gives_existing_transitions_their_case_kind_and_stay_length(owner_url: str) -> None:
    """The timeliness report now reads `case_transition.case_kind` and `stay_days`; rows written before 0016
    get their case's kind, and the length of the stay they end as the report computed it at read time:
    `at - from_entered_at` in days, fractions kept (no rounding), NULL for a case's first transition."""
    import asyncio
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from src.platform.postgres import run_migrations

    async with _scratch_database(owner_url, "m16") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0015")
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        consulate = uuid.uuid4()
        abuse, trafficking = uuid.uuid4(), uuid.uuid4()
        # (id, case, from, to, at, from_entered_at)
        transitions = [
            (1, abuse, None, "intake", t0, None),
            (2, abuse, "intake", "triage", t0 + timedelta(days=2, hours=6), t0),  # 2.25 days
            (3, trafficking, None, "screening", t0, None),
            # under a day, with microseconds: 0.5 days and 1 µs, kept as a fraction
            (4, trafficking, "screening", "assessment", t0 + timedelta(hours=12, microseconds=1), t0),
            (5, abuse, "triage", "closed", t0 + timedelta(days=9), t0 + timedelta(days=2, hours=6)),
        ]
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO organization (id, name, kind, country) VALUES (:c, 'c', 'consulate', 'KG')"
                ),
                {"c": consulate},
            )
            for number, (case, kind) in enumerate(((abuse, "abuse"), (trafficking, "trafficking"))):
                await conn.execute(
                    text(
                        "INSERT INTO case_file (id, reference, kind, status, summary, details, "
                        "intake_channel, occurred_country, owner_organization_id, created_by, "
                        "status_entered_at, created_at, updated_at) VALUES (:id, :ref, :kind, 'intake', "
                        "'', '', 'walk_in', 'RU', :c, :c, :t, :t, :t)"
                    ),
                    {"id": case, "ref": f"R-{number}", "kind": kind, "c": consulate, "t": t0},
                )
            for number, case, source, target, at, entered in transitions:
                await conn.execute(
                    text(
                        "INSERT INTO case_transition (id, case_id, from_status, to_status, actor_id, at, "
                        "from_entered_at) VALUES (:id, :case, :source, :target, :c, :at, :entered)"
                    ),
                    {
                        "id": number,
                        "case": case,
                        "source": source,
                        "target": target,
                        "c": consulate,
                        "at": at,
                        "entered": entered,
                    },
                )
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.connect() as conn:
            found = (
                await conn.execute(
                    text(
                        "SELECT id, case_kind, stay_days, "
                        "stay_days = (EXTRACT(epoch FROM at - from_entered_at) / 86400)::float8 "
                        "FROM case_transition ORDER BY id"
                    )
                )
            ).all()
        half_a_day_and_a_microsecond = (12 * 3600 + 1e-6) / 86400
        assert [(row[0], row[1]) for row in found] == [
            (1, "abuse"),
            (2, "abuse"),
            (3, "trafficking"),
            (4, "trafficking"),
            (5, "abuse"),
        ]
        stays = {row[0]: row[2] for row in found}
        assert stays[1] is None and stays[3] is None
        assert stays[2] == 2.25 and stays[5] == 6.75
        assert stays[4] == pytest.approx(half_a_day_and_a_microsecond, abs=1e-15) and stays[4] > 0.5
        assert [row[3] for row in found] == [None, True, None, True, True]  # the report's own expression


async def test_0017_stores_the_spellings_the_search_scanned_for_and_turns_the_pending_list_off(
    owner_url: str,
) -> None:
    """The words already in the dictionary get the spellings a trigram scan of it finds and the name score
    accepts (the application's rule, against the migration's frozen copy), both ways; the search's GIN
    indexes lose their pending list. The downgrade puts both back."""
    import asyncio

    from sqlalchemy import text

    from src.cases import names
    from src.platform.postgres import run_migrations
    from tests.unit.test_names import labelled_pairs

    words = sorted({w for _, a, b in labelled_pairs() for w in names.skeleton(a + " " + b).split()})
    indexes = ("ix_case_person_name_tokens", "ix_name_token_trgm")
    options = "SELECT c.relname, c.reloptions FROM pg_class c WHERE c.relname = ANY(CAST(:names AS text[]))"

    async with _scratch_database(owner_url, "m17") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0016")
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO name_token (token) SELECT unnest(CAST(:words AS text[]))"), {"words": words}
            )
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0017")  # 0027 drops the words index
        async with engine.begin() as conn:
            spellings = await conn.execute(text("SELECT token, spelling FROM name_spelling"))
            stored = {(a, b) for a, b in spellings}
            await conn.execute(text(f"SET LOCAL pg_trgm.similarity_threshold = {names.WORD_SIMILARITY}"))
            pairs = "SELECT a.token, b.token FROM name_token a JOIN name_token b ON a.token % b.token"
            alike = [(a, b) for a, b in await conn.execute(text(pairs))]
            found = await conn.execute(text(options), {"names": list(indexes)})
            after = {name: reloptions for name, reloptions in found}
        expected = {(a, b) for a, b in alike if names.is_spelling(a, b)}
        assert len(expected) > 50 and stored == expected
        assert all((b, a) in stored for a, b in stored)
        assert after == {index: ["fastupdate=off"] for index in indexes}

        await asyncio.to_thread(_downgrade, url, "0016")
        async with engine.connect() as conn:
            table = await conn.scalar(text("SELECT to_regclass('name_spelling')"))
            found = await conn.execute(text(options), {"names": list(indexes)})
            assert table is None and {name: reloptions for name, reloptions in found} == {
                index: None for index in indexes
            }


async def test_0018_indexes_the_reports_columns_and_downgrades_without_them(owner_url: str) -> None:
    """The case report's column dimensions and the referrals report's columns, indexed as the models say
    (the comparison above holds names and columns; here the included columns too); the downgrade drops
    both and the upgrade runs again."""
    import asyncio

    from sqlalchemy import text

    from src.platform.postgres import run_migrations

    definitions = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(CAST(:names AS text[]))"
    names = ["ix_case_file_report_dimensions", "ix_referral_report"]

    async with _scratch_database(owner_url, "m18") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.connect() as conn:
            found: dict[str, str] = dict((await conn.execute(text(definitions), {"names": names})).all())
        assert found == {
            "ix_case_file_report_dimensions": "CREATE INDEX ix_case_file_report_dimensions ON "
            "public.case_file USING btree "
            "(kind, status, occurred_country, owner_organization_id, intake_channel)",
            "ix_referral_report": "CREATE INDEX ix_referral_report ON public.referral USING btree "
            "(to_organization_id, created_at) INCLUDE (status, accepted_at)",
        }
        await asyncio.to_thread(_downgrade, url, "0017")
        async with engine.connect() as conn:
            assert (await conn.execute(text(definitions), {"names": names})).all() == []
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.connect() as conn:
            assert len((await conn.execute(text(definitions), {"names": names})).all()) == 2


async def test_0019_reads_existing_consent_as_given_and_drops_withdrawals_going_back(owner_url: str) -> None:
    """Consent rows written before 0019 were consent given at intake; going back, withdrawals cannot be
    represented and are removed (the downgrade says so)."""
    import asyncio
    import uuid
    from datetime import UTC, date, datetime

    from sqlalchemy import text

    from src.platform.postgres import run_migrations

    async with _scratch_database(owner_url, "m19") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0018")
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        async with engine.begin() as conn:
            consulate, case = await _a_case(conn, t0)
            await conn.execute(
                text(
                    "INSERT INTO case_consent (id, case_id, purpose, given_by, given_on, recorded_by) "
                    "VALUES (:id, :case, 'referral', 'self', :on, :c)"
                ),
                {"id": uuid.uuid4(), "case": case, "on": date(2026, 1, 1), "c": consulate},
            )
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0019")
        async with engine.begin() as conn:
            rows = (await conn.execute(text("SELECT action, method, note FROM case_consent"))).all()
            assert [tuple(r) for r in rows] == [("given", None, None)]
            await conn.execute(
                text(
                    "INSERT INTO case_consent (id, case_id, purpose, given_by, given_on, recorded_by, "
                    "action, method) VALUES (:id, :case, 'referral', 'self', :on, :c, 'withdrawn', "
                    "'signed_form')"
                ),
                {"id": uuid.uuid4(), "case": case, "on": date(2026, 2, 1), "c": consulate},
            )
        await asyncio.to_thread(_downgrade, url, "0018")
        async with engine.connect() as conn:
            left = (await conn.execute(text("SELECT purpose, given_on FROM case_consent"))).all()
            assert [tuple(r) for r in left] == [("referral", date(2026, 1, 1))]


async def test_0022_adds_attachments_with_a_deferred_chunk_key_and_downgrades_without_them(
    owner_url: str,
) -> None:
    """An upload writes its chunks before its attachment row (one transaction): the chunk's foreign key is
    checked at commit. Existing referrals share no evidence; the downgrade drops the tables and the column."""
    import asyncio
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from src.platform.postgres import run_migrations

    async with _scratch_database(owner_url, "m22") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0021")
        async with engine.begin() as conn:
            consulate, case = await _a_case(conn, datetime(2026, 1, 1, tzinfo=UTC))
            partner = uuid.uuid4()
            await conn.execute(
                text("INSERT INTO organization (id, name, kind, country) VALUES (:p, 'p', 'partner', 'RU')"),
                {"p": partner},
            )
            await conn.execute(
                text(
                    "INSERT INTO referral (id, case_id, from_organization_id, to_organization_id, "
                    "services, urgency, reason, share, created_by) VALUES (:id, :case, :c, :p, "
                    "'{legal_aid}', 'normal', '\\x00', '{basic}', :c)"
                ),
                {"id": uuid.uuid4(), "case": case, "c": consulate, "p": partner},
            )
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0022")
        attachment = uuid.uuid4()
        async with engine.begin() as conn:
            assert (await conn.execute(text("SELECT evidence FROM referral"))).scalar() == []
            await conn.execute(
                text("INSERT INTO attachment_chunk (attachment_id, index, content) VALUES (:a, 0, '\\x01')"),
                {"a": attachment},
            )
            await conn.execute(
                text(
                    "INSERT INTO attachment (id, case_id, category, media_type, size, original_size, sha256, "
                    "original_sha256, key_id, chunk_bytes, chunk_count, created_by) VALUES (:a, :case, "
                    "'contract', 'application/pdf', 1, 1, '\\x00', '\\x00', 'k1', 4096, 1, :c)"
                ),
                {"a": attachment, "case": case, "c": consulate},
            )
        with pytest.raises(IntegrityError):  # a chunk of no attachment fails at commit
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO attachment_chunk (attachment_id, index, content) VALUES (:a, 0, '\\x01')"
                    ),
                    {"a": uuid.uuid4()},
                )
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM case_file"))
            assert (await conn.execute(text("SELECT count(*) FROM attachment_chunk"))).scalar() == 0
        await asyncio.to_thread(_downgrade, url, "0021")
        async with engine.connect() as conn:
            tables = "SELECT count(*) FROM pg_tables WHERE tablename IN ('attachment', 'attachment_chunk')"
            assert (await conn.execute(text(tables))).scalar() == 0
            column = "SELECT count(*) FROM information_schema.columns WHERE column_name = 'evidence'"
            assert (await conn.execute(text(column))).scalar() == 0
        await asyncio.to_thread(run_migrations, url, "ukuk_app")


async def test_0027_indexes_name_terms_in_place_of_the_words_and_downgrades_to_them(owner_url: str) -> None:
    """The search's one GIN index becomes the words and word pairs of each name (`name_terms`), without a
    pending list, built over the persons already there; the downgrade puts the words index back."""
    import asyncio
    import json
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import text

    from src.platform.postgres import run_migrations

    definitions = (
        "SELECT c.relname, c.reloptions FROM pg_class c "
        "WHERE c.relname IN ('ix_case_person_name_terms', 'ix_case_person_name_tokens')"
    )
    matching = "SELECT id FROM case_person p WHERE name_terms(p.name_key) && ARRAY['aidaraliev medetbek']"
    async with _scratch_database(owner_url, "m27") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0026")
        words_index = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_case_person_name_tokens'"
        async with engine.begin() as conn:
            before = (await conn.execute(text(words_index))).scalar()
            _, case = await _a_case(conn, datetime(2026, 1, 1, tzinfo=UTC))
            await conn.execute(
                text(
                    "INSERT INTO case_person (id, case_id, position, role, full_name, name_key, "
                    "name_parts_inferred) VALUES (:id, :case, 0, 'subject', '\\x00', 'medetbek aidaraliev', "
                    "false)"
                ),
                {"id": uuid.uuid4(), "case": case},
            )
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.begin() as conn:
            assert dict((await conn.execute(text(definitions))).all()) == {
                "ix_case_person_name_terms": ["fastupdate=off"]
            }
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = json.dumps((await conn.execute(text(f"EXPLAIN (FORMAT JSON) {matching}"))).scalar())
            assert "ix_case_person_name_terms" in plan
            assert len((await conn.execute(text(matching))).all()) == 1
        await asyncio.to_thread(_downgrade, url, "0026")
        async with engine.connect() as conn:
            assert dict((await conn.execute(text(definitions))).all()) == {
                "ix_case_person_name_tokens": ["fastupdate=off"]
            }
            assert before is not None and (await conn.execute(text(words_index))).scalar() == before
            gone = "SELECT count(*) FROM pg_proc WHERE proname = 'name_terms'"
            assert (await conn.execute(text(gone))).scalar() == 0
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
