"""The demo world (`ukuk demo-data`): organizations from the seeds, one user per role. Never in production."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.models import Organization, User
from src.auth.passwords import hash_password
from src.config import Settings
from src.consulates.models import ConsulateJurisdiction
from src.db import create_engine, create_sessionmaker


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
USERS = (
    ("admin", "ministry", "admin", "ukuk-demo-admin"),
    ("coordinator", "ministry", "coordinator", "ukuk-demo-coordinator"),
    ("supervisor.moscow", "moscow", "supervisor", "ukuk-demo-supervisor"),
    ("officer.moscow", "moscow", "officer", "ukuk-demo-officer"),
    ("officer.yekaterinburg", "yekaterinburg", "officer", "ukuk-demo-officer"),
    ("partner.moscow", "ngo_moscow", "partner", "ukuk-demo-partner"),
    ("auditor", "ombudsman", "auditor", "ukuk-demo-auditor"),
)


async def _load(session: AsyncSession, settings: Settings) -> None:
    ids = {}
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
    for username, key, role, password in USERS:
        user = User(
            username=username,
            password_hash=await hash_password(settings, password),
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


async def load_demo_data(settings: Settings, *, if_empty: bool) -> bool:
    if settings.is_production:
        raise RuntimeError("demo data is refused in production")
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            count = await session.scalar(select(func.count()).select_from(Organization))
            if count and if_empty:
                return False
            await _load(session, settings)
            return True
    finally:
        await engine.dispose()
