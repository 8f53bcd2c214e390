"""The demo world (`ukuk demo-data`): organizations, a user per role, and the cases of `demo_cases`; not in
production."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.models import Organization, User
from src.auth.passwords import hash_password
from src.consulates.models import ConsulateJurisdiction
from src.platform.config import Settings
from src.platform.session import create_engine, create_sessionmaker
from src.seed.demo_cases import load_cases


@dataclass(frozen=True)
class DemoOrganization:
    key: str
    name: str
    kind: str
    country: str
    jurisdiction: tuple[tuple[str, str | None], ...] = ()


ORGANIZATIONS = (
    DemoOrganization(
        "ministry", "Ministry of Labour, Social Security and Migration (Bishkek)", "ministry", "KG"
    ),
    DemoOrganization(
        "moscow",
        "Embassy of the Kyrgyz Republic, consular section (Moscow)",
        "consulate",
        "KG",
        (("RU", None), ("RU", "RU-MOW"), ("RU", "RU-MOS")),
    ),
    DemoOrganization(
        "yekaterinburg",
        "Consulate General of the Kyrgyz Republic in Yekaterinburg",
        "consulate",
        "KG",
        (("RU", "RU-SVE"), ("RU", "RU-CHE"), ("RU", "RU-TYU"), ("RU", "RU-PER")),
    ),
    DemoOrganization(
        "novosibirsk",
        "Consulate of the Kyrgyz Republic in Novosibirsk",
        "consulate",
        "KG",
        (("RU", "RU-NVS"), ("RU", "RU-OMS"), ("RU", "RU-TOM"), ("RU", "RU-KEM")),
    ),
    DemoOrganization(
        "almaty", "Consulate General of the Kyrgyz Republic in Almaty", "consulate", "KG", (("KZ", None),)
    ),
    DemoOrganization("ngo_moscow", "Migrant Legal Aid Centre (Moscow) [demo]", "partner", "RU"),
    DemoOrganization("ngo_almaty", "Shelter and Support for Migrants (Almaty) [demo]", "partner", "KZ"),
    DemoOrganization(
        "ombudsman", "Office of the Ombudsman (Akyikatchy) of the Kyrgyz Republic", "oversight", "KG"
    ),
)

# (username, organization key, role, password): the passwords are public, in README.md; demo only.
# One admin per organization (`admin` is the platform admin, of the ministry): a partner's admin sets its own
# webhook, a consulate's admin its own accounts.
USERS = (
    ("admin", "ministry", "admin", "ukuk-demo-admin"),
    *(
        (f"admin.{demo.key.replace('_', '-')}", demo.key, "admin", "ukuk-demo-admin")
        for demo in ORGANIZATIONS
        if demo.key != "ministry"
    ),
    ("coordinator", "ministry", "coordinator", "ukuk-demo-coordinator"),
    ("supervisor.moscow", "moscow", "supervisor", "ukuk-demo-supervisor"),
    ("officer.moscow", "moscow", "officer", "ukuk-demo-officer"),
    ("officer.yekaterinburg", "yekaterinburg", "officer", "ukuk-demo-officer"),
    ("partner.moscow", "ngo_moscow", "partner", "ukuk-demo-partner"),
    ("auditor", "ombudsman", "auditor", "ukuk-demo-auditor"),
)


async def _load(session: AsyncSession, settings: Settings) -> dict[str, uuid.UUID]:
    ids: dict[str, uuid.UUID] = {}
    for demo in ORGANIZATIONS:
        organization = Organization(name=demo.name, kind=demo.kind, country=demo.country)
        session.add(organization)
        await session.flush()
        ids[demo.key] = organization.id
        session.add_all(
            ConsulateJurisdiction(
                consulate_id=organization.id, sending_country=demo.country, country=c, region=r
            )
            for c, r in demo.jurisdiction
        )
        await audit.record(
            session,
            audit.SYSTEM,
            "organization.create",
            resource_type="organization",
            resource_id=organization.id,
            detail={"source": "demo-data"},
        )
    # Each of the six public demo passwords is hashed once, the six at a time (argon2 frees the GIL): 13
    # hashes in a row were 3 s of the first start. Accounts sharing a password share its hash: demo only.
    passwords = sorted({password for *_, password in USERS})
    hashes = dict(
        zip(passwords, await asyncio.gather(*(hash_password(settings, p) for p in passwords)), strict=True)
    )
    for username, key, role, password in USERS:
        user = User(
            username=username,
            password_hash=hashes[password],
            organization_id=ids[key],
            role=role,
        )
        session.add(user)
        await session.flush()
        await audit.record(
            session,
            audit.SYSTEM,
            "user.create",
            resource_type="user",
            resource_id=user.id,
            detail={"source": "demo-data"},
        )
    return ids


async def load_demo_accounts(settings: Settings, *, if_empty: bool) -> bool:
    """The demo organizations and their users, committed on their own (sign-in works from here on); False
    when `if_empty` and some user account exists already."""
    if settings.is_production:
        raise RuntimeError("demo data is refused in production")
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            # Accounts, not organizations: benchmark data (`ukuk seed-bench`) adds organizations without any.
            count = await session.scalar(select(func.count()).select_from(User))
            if count and if_empty:
                return False
            await _load(session, settings)
            return True
    finally:
        await engine.dispose()


async def load_demo_cases(settings: Settings) -> bool:
    """The demo world's cases, referrals and redress, in one transaction, when the demo organizations exist
    and own no case yet (a start interrupted while they loaded finishes them on the next); else False."""
    from src.cases.models import Case

    if settings.is_production:
        raise RuntimeError("demo data is refused in production")
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(select(func.pg_advisory_xact_lock(_DEMO_CASES_LOCK)))
            names = {demo.name: demo.key for demo in ORGANIZATIONS}
            found = await session.execute(
                select(Organization.name, Organization.id).where(Organization.name.in_(names))
            )
            ids = {names[name]: organization_id for name, organization_id in found.all()}
            if len(ids) != len(ORGANIZATIONS):
                return False
            owned = await session.scalar(
                select(func.count()).select_from(Case).where(Case.owner_organization_id.in_(ids.values()))
            )
            if owned:
                return False
            await load_cases(session, ids)
            return True
    finally:
        await engine.dispose()


async def load_demo_data(settings: Settings, *, if_empty: bool) -> bool:
    """Accounts, then cases (`ukuk demo-data`); True when either was loaded now."""
    accounts = await load_demo_accounts(settings, if_empty=if_empty)
    cases = await load_demo_cases(settings)
    return accounts or cases


def start_demo_world(settings: Settings, say: Callable[[str], None]) -> None:
    """`serve --demo-data`: the accounts now, so sign-in works as soon as the server answers; the cases in a
    daemon thread beside the server, so the first request does not wait for the demo world's 161 intakes.
    Cases cut off by a stop are loaded on the next start."""
    if not asyncio.run(load_demo_accounts(settings, if_empty=True)):
        say("demo accounts skipped: user accounts exist")

    def load() -> None:
        loaded = asyncio.run(load_demo_cases(settings))
        say("demo data loaded" if loaded else "demo cases skipped: they exist, or no demo world")

    threading.Thread(target=load, name="demo-data", daemon=True).start()


# One loader of the demo cases at a time (two `serve --demo-data` processes on one database).
_DEMO_CASES_LOCK = 0x756B756B_64656D6F  # "ukukdemo"
