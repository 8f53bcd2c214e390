"""Possible duplicates of a case (the same person in another case the caller may see) and confirmed links.

Candidates come from PostgreSQL in two steps: the spellings of each word of the subject's skeleton are
looked up in the dictionary of name words (`name_token`, pg_trgm `%` on a GIN index, then kept only if the
name score would accept them), and persons holding a spelling of every word are found by array overlap on a
GIN index of their skeleton's words. They are then scored here: the token-aligned name score, birth date
(exact, or year within one), citizenship and sex. Every pair the score accepts passes both steps (checked on
the labelled pairs in tests/unit/test_names.py). Every candidate shown is audited as a read of
that case's reference, so the other case's access log shows who was told it exists.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Text, and_, cast, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from src import clock
from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import names, policies, repository
from src.cases.models import Case, CaseLink, Person
from src.cases.schemas import DuplicateCandidate, LinkIn, LinkRead
from src.db import flush_or_conflict
from src.errors import Unprocessable

# People in these roles are not the migrant of another case (perpetrators are linked by hand).
_NOT_A_MIGRANT = ("perpetrator", "employer", "recruiter", "escort")
WEIGHTS = {"name": 0.55, "birth": 0.3, "citizenship": 0.1, "sex": 0.05}
# Shown at or above this. An identical name with nothing else known scores 0.55 + 0.3*0.4 + 0.05 + 0.025.
SHOWN = 0.7
# Names under this are not the same person whatever else agrees.
NAME_FLOOR = 0.7
CANDIDATES = 2000
_MAX_WORDS = 5
SHOWN_AT_MOST = 20


@dataclass(frozen=True)
class Someone:
    name_key: str
    birth_date: date | None
    citizenship: str | None
    sex: str | None


def _birth(a: date | None, b: date | None) -> tuple[float, str | None]:
    if a is None or b is None:
        return 0.4, None
    if a == b:
        return 1.0, "birth_date exact"
    if abs(a.year - b.year) <= 1:
        return 0.5, "birth_year within 1"
    return 0.0, "birth_date differs"


def _same(a: str | None, b: str | None, what: str) -> tuple[float, str | None]:
    if a is None or b is None:
        return 0.5, None
    return (1.0, f"{what} same") if a == b else (0.0, f"{what} differs")


def score(subject: Someone, other: Someone) -> tuple[float, list[str]]:
    name = names.score_keys(subject.name_key, other.name_key)
    if name < NAME_FLOOR:
        return 0.0, []
    birth, birth_reason = _birth(subject.birth_date, other.birth_date)
    citizenship, citizenship_reason = _same(subject.citizenship, other.citizenship, "citizenship")
    sex, sex_reason = _same(subject.sex, other.sex, "sex")
    if sex == 0.0:
        return 0.0, []  # recorded sex differs: another person (a sibling, a parent)
    total = (
        WEIGHTS["name"] * name
        + WEIGHTS["birth"] * birth
        + WEIGHTS["citizenship"] * citizenship
        + WEIGHTS["sex"] * sex
    )
    reasons = [f"name {name:.2f}"] + [r for r in (birth_reason, citizenship_reason, sex_reason) if r]
    return round(total, 3), reasons


async def spellings(session: AsyncSession, words: list[str]) -> dict[str, list[str]]:
    """For each word, the words in the dictionary close enough for the name score to accept them."""
    await session.execute(text(f"SET LOCAL pg_trgm.similarity_threshold = {float(names.WORD_SIMILARITY)}"))
    rows = await session.execute(
        text(
            "SELECT q.word, t.token FROM unnest(CAST(:words AS text[])) AS q(word) "
            "JOIN name_token t ON t.token % q.word"
        ),
        {"words": words},
    )
    found: dict[str, list[str]] = {word: [word] for word in words}
    for word, token in rows.all():
        if token != word and names.token_similarity(word, token) >= NAME_FLOOR:
            found[word].append(token)
    return found


def _names_like(words: list[str], found: dict[str, list[str]]) -> Any:
    """Persons whose name holds a spelling of every word (of any two, for names of three words or more:
    the score aligns the shorter name into the longer)."""
    # Written as in the index's expression (a text constant, not a parameter) so the planner uses it.
    tokens = func.string_to_array(Person.name_key, literal_column("' '"))

    def has(word: str) -> Any:
        return tokens.op("&&")(cast(found[word], ARRAY(Text)))

    if len(words) <= 2:
        return and_(*(has(w) for w in words))
    return or_(*(and_(has(a), has(b)) for a, b in itertools.combinations(words[:_MAX_WORDS], 2)))


async def candidates(session: AsyncSession, principal: Principal, case: Case) -> list[DuplicateCandidate]:
    subject = await session.scalar(select(Person).where(Person.case_id == case.id, Person.position == 0))
    if subject is None or not subject.name_key:
        return []
    words = subject.name_key.split()
    found = await spellings(session, words)
    linked = (
        select(CaseLink.other_case_id)
        .where(CaseLink.case_id == case.id)
        .union(select(CaseLink.case_id).where(CaseLink.other_case_id == case.id))
    )
    excluded = [case.id] + [i for i in (case.linked_case_id,) if i is not None]
    rows = (
        await session.execute(
            select(
                Person.case_id,
                Case.reference,
                Person.role,
                Person.position,
                Person.name_key,
                Person.birth_date,
                Person.citizenship,
                Person.sex,
            )
            .join(Case, Case.id == Person.case_id)
            .where(
                _names_like(words, found),
                Person.role.not_in(_NOT_A_MIGRANT),
                Person.case_id.not_in(excluded),
                Person.case_id.not_in(linked),
                Case.linked_case_id.is_distinct_from(case.id),
                Case.anonymised_at.is_(None),
                repository.readable_condition(principal),
            )
            .limit(CANDIDATES)
        )
    ).all()
    mine = Someone(subject.name_key, subject.birth_date, subject.citizenship, subject.sex)
    best: dict[uuid.UUID, DuplicateCandidate] = {}
    for row in rows:
        value, reasons = score(mine, Someone(row.name_key, row.birth_date, row.citizenship, row.sex))
        if value < SHOWN:
            continue
        if row.position != 0:
            reasons.append(f"as {row.role}")
        if row.case_id not in best or best[row.case_id].score < value:
            best[row.case_id] = DuplicateCandidate(
                case_id=row.case_id, reference=row.reference, score=value, reasons=reasons
            )
    return sorted(best.values(), key=lambda c: (-c.score, c.reference))[:SHOWN_AT_MOST]


async def record_shown(
    session: AsyncSession, principal: Principal, case: Case, found: list[DuplicateCandidate]
) -> None:
    await audit.record(
        session,
        principal.actor,
        "case.duplicates",
        resource_type="case",
        resource_id=case.id,
        detail={"count": len(found), "case_ids": [str(c.case_id) for c in found]},
    )


async def list_duplicates(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID
) -> list[DuplicateCandidate]:
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise audit.not_found(principal.actor, "case.duplicates", "case", case_id)
    found = await candidates(session, principal, case)
    await record_shown(session, principal, case, found)
    return found


# ---- links ---------------------------------------------------------------------------------------------


async def create_link(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: LinkIn
) -> LinkRead:
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise audit.not_found(principal.actor, "case.link.create", "case", case_id)
    if not policies.may_write(principal, case.owner_organization_id, case.assignee_id):
        raise audit.denied(
            principal.actor, "case.link.create", "case", case.id, "You may not link this case."
        )
    other = await repository.get_readable(session, principal, body.case_id)
    if other is None or other.id == case.id:
        msg = "a case cannot be linked to itself" if body.case_id == case.id else "no such case"
        raise Unprocessable(msg, extra={"errors": [{"loc": ["body", "case_id"], "msg": msg}]})
    low, high = sorted((case.id, other.id))
    link = CaseLink(
        case_id=low, other_case_id=high, type=body.type, created_by=principal.id, created_at=clock.utcnow()
    )
    session.add(link)
    await flush_or_conflict(session, "These cases are already linked that way.")
    await audit.record(
        session,
        principal.actor,
        "case.link.create",
        resource_type="case",
        resource_id=case.id,
        changed_fields=("links",),
        detail={"case_ids": [str(other.id)], "type": body.type},
    )
    return _link_read(link, other.id, other.reference)


def _link_read(link: CaseLink, other_id: uuid.UUID, reference: str) -> LinkRead:
    """A link as seen from one of its cases: `case_id` is the other end."""
    return LinkRead(
        id=link.id,
        case_id=other_id,
        reference=reference,
        type=link.type,
        created_by=link.created_by,
        created_at=link.created_at,
    )


async def list_links(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[LinkRead]:
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise audit.not_found(principal.actor, "case.link.list", "case", case_id)
    other_id = func.coalesce(
        func.nullif(CaseLink.case_id, case.id), CaseLink.other_case_id
    )  # the end of the link that is not this case
    rows = (
        await session.execute(
            select(CaseLink, Case.id, Case.reference)
            .join(Case, Case.id == other_id)
            .where(
                or_(CaseLink.case_id == case.id, CaseLink.other_case_id == case.id),
                repository.readable_condition(principal),
                Case.id != case.id,
            )
            .order_by(CaseLink.created_at, CaseLink.id)
        )
    ).all()
    links = [_link_read(link, other, reference) for link, other, reference in rows]
    await audit.record(
        session,
        principal.actor,
        "case.link.list",
        resource_type="case",
        resource_id=case.id,
        detail={"count": len(links), "case_ids": [str(link.case_id) for link in links]},
    )
    return links
