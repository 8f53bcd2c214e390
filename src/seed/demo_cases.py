"""The demo world's cases: 160 cases in Kyrgyz and Russian names, referrals to the Moscow NGO answered or not,
redress under the Kyrgyzstan–Russia labour agreement, and one duplicate typed in Latin; not in production."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from anyascii import anyascii
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.models import User
from src.platform.ids import uuid7
from src.platform.schemas import Money

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


async def load_cases(session: AsyncSession, ids: dict[str, uuid.UUID]) -> int:
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
    # Enough cases that the reports show their larger numbers through the noise of their privacy.
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
