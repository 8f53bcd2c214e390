"""The demo world (`ukuk demo-data`): organizations, a user per role, 34 cases; not in production."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from anyascii import anyascii
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.models import Organization, User
from src.auth.passwords import hash_password
from src.consulates.models import ConsulateJurisdiction
from src.platform.config import Settings
from src.platform.ids import uuid7
from src.platform.schemas import Money
from src.platform.session import create_engine, create_sessionmaker


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
    return ids


GIVEN_MALE = ("Медетбек", "Азамат", "Нурлан", "Бакыт", "Эрлан", "Талант", "Улан", "Айбек", "Канат", "Мирлан")
GIVEN_FEMALE = ("Айгерим", "Жылдыз", "Гульмира", "Нургуль", "Айжан", "Чолпон", "Бермет", "Асель", "Динара")
SURNAMES = (
    "Айдаралиев",
    "Абдыкадыров",
    "Токтогулов",
    "Сыдыков",
    "Жумабаев",
    "Асанов",
    "Осмонов",
    "Мамытов",
    "Исмаилов",
    "Кадыров",
)
EMPLOYERS = (
    ("ООО СтройМонтаж", "F"),
    ("ИП Петров А.В.", "G"),
    ("ООО Агроторг-Сибирь", "A"),
    ("ТОО Алматы Текстиль", "C"),
    ("ООО Чистый Город", "N"),
    ("Кафе «Восток»", "I"),
)
# (consulate key, place, city) from the seeds' world.
PLACES = (
    ("moscow", {"country": "RU", "region": "RU-MOW"}, "Москва"),
    ("yekaterinburg", {"country": "RU", "region": "RU-SVE"}, "Екатеринбург"),
    ("novosibirsk", {"country": "RU", "region": "RU-NVS"}, "Новосибирск"),
    ("almaty", {"country": "KZ", "region": None}, "Алматы"),
)


def _name(rng: random.Random, female: bool) -> dict[str, str]:
    """Name parts; about half with the Kyrgyz patronymic (Бакыт уулу, Бакыт кызы)."""
    parts = {
        "family_name": rng.choice(SURNAMES) + ("а" if female else ""),
        "given_name": rng.choice(GIVEN_FEMALE if female else GIVEN_MALE),
    }
    if rng.random() < 0.5:
        parts["patronymic"] = f"{rng.choice(GIVEN_MALE)} {'кызы' if female else 'уулу'}"
    return parts


def _demo_case(
    rng: random.Random, kind: str, place: dict[str, Any], city: str, today: date
) -> dict[str, Any]:
    female = rng.random() < 0.45
    occurred = {**{k: v for k, v in place.items() if v}, "city": city}
    consent = {
        "purposes": ["case_management", "referral", "partner_data_sharing"],
        "given_by": "self",
        "given_on": (today - timedelta(days=rng.randint(1, 60))).isoformat(),
    }
    if kind == "child_return":
        age = rng.randint(6, 16)
        birth = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        father = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN_MALE)}"
        return {
            "kind": kind,
            "intake_channel": rng.choice(["consular_outreach", "partner_referral", "hotline"]),
            "summary": f"Ребёнок {age} лет найден один в г. {city}; родители на заработках.",
            "occurred": occurred,
            "subject": {
                "role": "child",
                **_name(rng, female),
                "birth_date": birth.isoformat(),
                "sex": "female" if female else "male",
                "citizenship": "KG",
                "language": "ky",
            },
            "consent": {
                **consent,
                "purposes": ["case_management", "referral"],
                "given_by": "best_interests_authority",
            },
            "details": {
                "current_placement": {"type": rng.choice(["shelter", "hospital", "police"])},
                "guardian_in_origin": {"full_name": father, "relation": "parent"},
            },
        }
    birth = date(today.year - rng.randint(19, 48), rng.randint(1, 12), rng.randint(1, 28))
    subject = {
        "role": "victim",
        **_name(rng, female),
        "birth_date": birth.isoformat(),
        "sex": "female" if female else "male",
        "citizenship": "KG",
        "language": rng.choice(["ky", "ru"]),
        "phone": f"+996 {rng.randint(500, 779)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        "document": {"type": "passport", "number": f"AC{rng.randint(1_000_000, 9_999_999)}"},
    }
    employer, sector = rng.choice(EMPLOYERS)
    if kind == "abuse":
        months = rng.randint(1, 6)
        return {
            "kind": kind,
            "intake_channel": rng.choice(["hotline", "walk_in", "online", "diaspora"]),
            "summary": f"Не выплачена зарплата за {months} мес.; работодатель {employer}.",
            "occurred": occurred,
            "subject": subject,
            "persons": [{"role": "employer", "organization_name": employer}],
            "violations": [{"type": "wage_theft", "indicators": ["withholding_wages"], "perpetrator": 0}]
            + (
                [{"type": "passport_confiscation", "indicators": ["retention_of_documents"]}]
                if rng.random() < 0.4
                else []
            ),
            "consent": consent,
            "details": {
                "employer": {"name": employer, "sector": sector},
                "wages_owed": {
                    "amount": f"{rng.randint(30, 400) * 1000}.00",
                    "currency": "KZT" if place["country"] == "KZ" else "RUB",
                },
                "documents_withheld": rng.random() < 0.4,
            },
        }
    return {
        "kind": "trafficking",
        "intake_channel": rng.choice(["partner_referral", "hotline", "media_monitoring"]),
        "summary": f"Завербован(а) через знакомого на работу в г. {city}; документы отобраны, оплаты нет.",
        "occurred": occurred,
        "subject": subject,
        "violations": [{"type": "forced_labour", "indicators": ["deception", "retention_of_documents"]}],
        "consent": consent,
        "details": {
            "trafficking_status": "possible",
            "decided_by": "ngo",
            "exploitation": ["forced_labour"],
            "means_of_control": ["withholds_documents", "false_promises"],
            "recruiter_relation": rng.choice(["acquaintance", "friend", "stranger"]),
            "recruitment_place": {"country": "KG"},
            "exploitation_place": occurred,
        },
    }


async def _load_cases(session: AsyncSession, ids: dict[str, uuid.UUID]) -> int:
    from src.auth.principal import Principal
    from src.auth.scopes import ROLE_SCOPES
    from src.cases import changes, intake, workflow
    from src.cases.schemas import CaseCreate, TransitionIn
    from src.redress import service as redress
    from src.redress.models import LegalInstrument
    from src.redress.schemas import RedressCreate
    from src.referrals import service as referrals
    from src.referrals.schemas import ReferralCreate

    users = {u.username: u for u in (await session.scalars(select(User))).all()}

    def principal(username: str, organization_key: str, kind: str) -> Principal:
        user = users[username]
        return Principal(
            user.id, "user", ids[organization_key], kind, user.role, ROLE_SCOPES[user.role], uuid7()
        )

    openers = {
        "moscow": principal("officer.moscow", "moscow", "consulate"),
        "yekaterinburg": principal("officer.yekaterinburg", "yekaterinburg", "consulate"),
    }
    coordinator = principal("coordinator", "ministry", "ministry")  # routes Novosibirsk and Almaty intake
    rng = random.Random(2026)  # noqa: S311 (reproducible demo data, nothing secret)
    today = date.today()
    # Enough cases that the reports show numbers, not only cells suppressed below UKUK_REPORT_MIN_CELL (5).
    kinds = ["abuse"] * 90 + ["child_return"] * 30 + ["trafficking"] * 40
    rng.shuffle(kinds)
    ngo = principal("partner.moscow", "ngo_moscow", "partner")
    instrument = await session.scalar(
        select(LegalInstrument.id).where(LegalInstrument.code == "KG-RU-LABOUR-1996")
    )
    referred = redressed = 0
    first: CaseCreate | None = None
    for number, kind in enumerate(kinds):
        key, place, city = PLACES[number % len(PLACES)]
        opener = openers.get(key, coordinator)
        body = CaseCreate.model_validate(_demo_case(rng, kind, place, city, today))
        first = first or body
        case = await intake.create_case(session, opener, body)
        steps = rng.randint(0, 2) if kind != "trafficking" else rng.randint(0, 3)
        for _ in range(steps):
            target = sorted(workflow.WORKFLOWS[kind].targets(case.status) - {"closed"})
            if not target or opener is coordinator:
                break
            case, _ = await changes.transition(
                session, opener, case.id, f'"{case.version}"', TransitionIn(to=target[0], reason="demo")
            )
        if key == "moscow" and kind == "abuse" and referred < len(REFERRAL_OUTCOMES):
            # The Moscow NGO's inbox has work in it, and the referrals report has rows: answered and not.
            referral = await referrals.create_referral(
                session,
                opener,
                case.id,
                ReferralCreate(
                    to_organization_id=ids["ngo_moscow"],
                    services=["legal_aid"],
                    urgency=rng.choice(["normal", "high"]),
                    reason="Legal aid for the wage claim.",
                    share=["basic", "violations"],
                ),
            )
            for action, note in REFERRAL_OUTCOMES[referred]:
                await referrals.act(session, ngo, referral.id, action, note)
            referred += 1
        if kind == "abuse" and opener is not coordinator and redressed < len(REDRESS_OUTCOMES):
            forum, status = REDRESS_OUTCOMES[redressed]
            owed = body.details.get("wages_owed")
            claim = Money(amount=Decimal(owed["amount"]), currency=owed["currency"]) if owed else None
            recovered = claim if status == "granted" else None
            await redress.create_redress(
                session,
                opener,
                case.id,
                RedressCreate(
                    instrument_id=instrument,
                    article="Art. 8",
                    forum=forum,
                    claim=claim,
                    status=status,
                    recovered=recovered,
                    filed_on=today - timedelta(days=rng.randint(20, 60)) if status != "planned" else None,
                    decided_on=today - timedelta(days=rng.randint(1, 19)) if status == "granted" else None,
                ),
            )
            redressed += 1
    # The same migrant again, as a diaspora volunteer typed the name in Latin: intake shows the first case
    # under possible_duplicates.
    assert first is not None
    subject = first.subject
    latin = {
        part: anyascii(value)
        for part in ("family_name", "given_name", "patronymic")
        if (value := getattr(subject, part)) is not None
    }
    again = first.model_copy(
        update={
            "intake_channel": "diaspora",
            "summary": "Called again from another phone about the same unpaid wages.",
            "subject": subject.model_copy(update={**latin, "document": None}),
        }
    )
    await intake.create_case(session, openers["moscow"], again)
    return len(kinds) + 1


# What the Moscow NGO did with each referral it received: accepted, then completed or still at work; declined;
# not yet answered.
REFERRAL_OUTCOMES: tuple[tuple[tuple[str, str | None], ...], ...] = (
    *[(("accept", None), ("complete", "Claim filed with the court; the employer paid."))] * 6,
    *[(("accept", None),)] * 5,
    *[(("decline", "No lawyer free this month."),)] * 5,
    *[()] * 5,
)
# (forum, status) of redress claimed under the Kyrgyzstan–Russia labour agreement for the first abuse cases.
REDRESS_OUTCOMES = (
    *[("labour_inspectorate", "granted")] * 6,
    *[("labour_inspectorate", "filed")] * 5,
    *[("court", "filed")] * 5,
    *[("employer_negotiation", "granted")] * 5,
)


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
            await _load_cases(session, ids)
            return True
    finally:
        await engine.dispose()


async def load_demo_data(settings: Settings, *, if_empty: bool) -> bool:
    """Accounts, then cases (`ukuk demo-data`); True when either was loaded now."""
    accounts = await load_demo_accounts(settings, if_empty=if_empty)
    cases = await load_demo_cases(settings)
    return accounts or cases


# One loader of the demo cases at a time (two `serve --demo-data` processes on one database).
_DEMO_CASES_LOCK = 0x756B756B_64656D6F  # "ukukdemo"
