"""Possible duplicates of a case (the same person in another case the caller may see) and confirmed links.

Candidates come from PostgreSQL in two steps: the spellings of each word of the subject's skeleton are read
from `name_spelling` (found once, when a word enters the dictionary of name words: pg_trgm `%`, then kept
only if the name score accepts them; see `repository.remember_name_tokens`), and persons holding a spelling
of every word are found by one array overlap on a GIN index of their skeleton's words and word pairs
(`terms`: the persons holding a pair of spellings, not the thousands holding each word). They are then scored
here: the token-aligned name score, birth date (exact, or year within one), citizenship and sex. Every pair
the score accepts passes both steps (checked on the labelled pairs in tests/unit/test_names.py). Every
candidate shown is audited as a read of that case's reference, so the other case's access log shows who was
told it exists.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import guards, names, policies, repository
from src.cases.models import Case, CaseLink, Person
from src.cases.read_schemas import DuplicateCandidate, LinkRead
from src.cases.rows import PersonRow
from src.cases.schemas import LinkIn
from src.platform import clock, driver
from src.platform.errors import Unprocessable
from src.platform.session import flush_or_conflict

# People in these roles are not the migrant of another case (perpetrators are linked by hand).
_NOT_A_MIGRANT = ("perpetrator", "employer", "recruiter", "escort")
# For ordering candidates only; which band a candidate is in is decided part by part (`band`).
WEIGHTS = {"name": 0.55, "birth": 0.3, "citizenship": 0.1, "sex": 0.05}
# Each part of the name must reach its floor on its own: a birth date cannot carry a different given name.
GIVEN_FLOOR = 0.8
FAMILY_FLOOR = 0.8
# Two recorded patronymics this far apart are two fathers: siblings' cousins, namesakes.
PATRONYMIC_FLOOR = 0.6
# `likely` needs both parts this close (a spelling, not a typo) and the same birth date.
LIKELY_PART = 0.9
LIKELY, POSSIBLE = "likely", "possible"
CANDIDATES = 2000
_MAX_WORDS = 5
# The search's name terms at most (`terms`): each is a probe of the name index, and the persons they find are
# read before any other condition: 994 pairs of the bench's words picked at random took 4.9 s, 100 took 39 ms
# (1M persons). The bench's subjects use 2 to 16. Three words of nine spellings each still fit (3 x 81 = 243).
MAX_TERMS = 256
SHOWN_AT_MOST = 20


@dataclass(frozen=True)
class Someone:
    name_key: str
    parts: names.NameParts
    birth_date: date | None
    citizenship: str | None
    sex: str | None


def _birth(a: date | None, b: date | None) -> tuple[float, str | None]:
    if a is None or b is None:
        return 0.4, None
    if a == b:
        return 1.0, "birth_date exact"
    if abs(a.year - b.year) <= 1:
        return 0.5, "birth_year within 1"  # a found child's age is often estimated; a digit slips
    return 0.0, "birth_date differs"


def _same(a: str | None, b: str | None, what: str) -> tuple[float, str | None]:
    if a is None or b is None or a == "unknown" or b == "unknown":
        return 0.5, None
    return (1.0, f"{what} same") if a == b else (0.0, f"{what} differs")


def score(subject: Someone, other: Someone) -> tuple[float, str | None, list[str]]:
    """(score for ordering, band or None, reasons). A band is given only when every part of the name passes
    its own floor; birth date, citizenship and sex then decide between `likely` and `possible`."""
    sex, sex_reason = _same(subject.sex, other.sex, "sex")
    if sex == 0.0:
        return 0.0, None, []  # recorded sex differs: another person (a sibling, a parent)
    birth, birth_reason = _birth(subject.birth_date, other.birth_date)
    if birth == 0.0:
        return 0.0, None, []  # born years apart: another person (checked before the dearer name score)
    parts = names.score_parts(subject.parts, other.parts)
    if parts.given < GIVEN_FLOOR or (parts.family is not None and parts.family < FAMILY_FLOOR):
        return 0.0, None, []
    if parts.patronymic is not None and parts.patronymic < PATRONYMIC_FLOOR:
        return 0.0, None, []
    if parts.family is None and parts.patronymic is None and birth < 1.0:
        return 0.0, None, []  # a given name alone (a one-word name) is offered only with the same birth date
    citizenship, citizenship_reason = _same(subject.citizenship, other.citizenship, "citizenship")
    likely = (
        parts.family is not None
        and min(parts.given, parts.family) >= LIKELY_PART
        and not parts.swapped
        and birth == 1.0
        and citizenship != 0.0
    )
    total = (
        WEIGHTS["name"] * parts.name
        + WEIGHTS["birth"] * birth
        + WEIGHTS["citizenship"] * citizenship
        + WEIGHTS["sex"] * sex
    )
    reasons = [f"given_name {parts.given:.2f}"]
    if parts.family is not None:
        reasons.append(f"family_name {parts.family:.2f}")
    if parts.swapped:
        reasons.append("name parts swapped")
    reasons += [r for r in (birth_reason, citizenship_reason, sex_reason) if r]
    return round(total, 3), LIKELY if likely else POSSIBLE, reasons


def someone(row: Any) -> Someone:
    """A person row (or a row with the same columns) as the score reads it."""
    return Someone(
        row.name_key,
        names.parts_of(row.family_name, row.given_name, row.patronymic),
        row.birth_date,
        row.citizenship,
        row.sex,
    )


_SPELLINGS = "SELECT token, spelling FROM name_spelling WHERE token = ANY($1::text[]) ORDER BY 1, 2"


async def spellings(session: AsyncSession, words: list[str]) -> dict[str, list[str]]:
    """For each word, the words of the dictionary the name score accepts as its spellings (stored when either
    word entered it: `repository.remember_name_tokens`) and the known spellings of a given name."""
    return _spelled(words, await driver.fetch(session, _SPELLINGS, words))


def _spelled(words: list[str], stored: list[Any]) -> dict[str, list[str]]:
    """`spellings` from the (word, spelling) rows of `name_spelling` for these words, in that order."""
    found: dict[str, list[str]] = {
        word: [word, *sorted(names.known_spellings(word) - {word})] for word in words
    }
    for word, spelling in stored:
        if spelling not in found[word]:
            found[word].append(spelling)
    return found


class _Candidate(NamedTuple):
    case_id: uuid.UUID
    reference: str
    role: str
    position: int
    name_key: str
    family_name: str | None
    given_name: str | None
    patronymic: str | None
    birth_date: date | None
    citizenship: str | None
    sex: str | None


# Run on the driver, as SQL written once per shape (a birth date or not, a sex or not, the owner or not): the
# statement built with SQLAlchemy at every intake cost more API CPU than the rest of the search (a profile of
# intake under wrk).
_COLUMNS = (
    "p.case_id, c.reference, p.role, p.position, p.name_key, p.family_name, p.given_name, p.patronymic, "
    "p.birth_date, p.citizenship, p.sex"
)
_FROM = "FROM case_person p JOIN case_file c ON c.id = p.case_id"
_CANDIDATES_HEAD = (
    f"SELECT {_COLUMNS} {_FROM} "  # noqa: S608 (constant fragments)
    "WHERE p.role <> ALL($1::text[]) AND p.case_id <> ALL($2::uuid[]) "
    "AND p.case_id NOT IN (SELECT other_case_id FROM case_link WHERE case_id = $3 "
    "UNION SELECT case_id FROM case_link WHERE other_case_id = $3) "
    "AND c.linked_case_id IS DISTINCT FROM $3 AND c.anonymised_at IS NULL"
)


def terms(words: list[str], spelled: dict[str, list[str]]) -> list[str]:
    """What a candidate's `name_terms(name_key)` (migration 0027: each word of the name, and each two of its
    words as 'a b', the lower first) shares with these exactly when the candidate holds a spelling of every
    word of the subject's name; of any two of its first five words for a name of three words or more, since
    the score aligns the shorter name into the longer. A spelling of two of the subject's words stands alone:
    one word of the candidate's name then answers for both, as it did when each word was asked apart. The
    index pairs only the first 12 words of a candidate's name (migration 0027): no real name has more.

    At most MAX_TERMS: past it, the last spellings of the word with the most are left out (`_within`)."""
    distinct = list(dict.fromkeys(words[:_MAX_WORDS]))
    if len(distinct) == 1:
        return sorted(set(spelled[distinct[0]][:MAX_TERMS]))
    kept = _within(distinct, spelled)
    found: set[str] = set()
    for a, b in itertools.combinations(distinct, 2):
        for x in kept[a]:
            found.update(x if x == y else f"{min(x, y)} {max(x, y)}" for y in kept[b])
    return sorted(found)


def _within(distinct: list[str], spelled: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each word's spellings (the word itself first, as `_spelled` lists them), the last of the longest list
    dropped until the pairs of spellings number at most MAX_TERMS. The words themselves always stay: a
    name spelled as the subject's is found whatever its words' spellings number; what a dense dictionary
    costs is some spellings of its most spelled words."""
    kept = {word: spelled[word] for word in distinct}
    pairs = list(itertools.combinations(distinct, 2))
    while sum(len(kept[a]) * len(kept[b]) for a, b in pairs) > MAX_TERMS:
        most = max(distinct, key=lambda word: len(kept[word]))
        kept[most] = kept[most][:-1]
    return kept


# The subject as a candidate row (the same columns) and the stored spellings of its words, as `_SPELLINGS`
# reads them (in one round trip: the search of a case reads both, intake already has the subject).
_SUBJECT = (
    f"SELECT {_COLUMNS}, ARRAY(SELECT ARRAY[s.token, s.spelling] FROM name_spelling s "  # noqa: S608
    "WHERE s.token = ANY(string_to_array(p.name_key, ' ')) ORDER BY s.token, s.spelling) "
    f"{_FROM} WHERE p.case_id = $1 AND p.position = 0"
)


async def candidates(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    subject: Person | PersonRow | _Candidate | None = None,
) -> list[DuplicateCandidate]:
    """Possible duplicates of the case's subject (read unless given: intake passes the row it just wrote)."""
    stored: list[Any] | None = None
    if subject is None:
        row = await driver.fetchrow(session, _SUBJECT, case.id)
        if row is None:
            return []
        subject, stored = _Candidate(*row[:-1]), row[-1]
    if not subject.name_key:
        return []
    words = subject.name_key.split()
    found = await spellings(session, words) if stored is None else _spelled(words, stored)
    excluded = [case.id] + [i for i in (case.linked_case_id,) if i is not None]
    arg = driver.Arguments([list(_NOT_A_MIGRANT), excluded, case.id])  # $1-$3 of _CANDIDATES_HEAD
    conditions: list[str] = []

    # What `score` refuses whatever the names (born years apart, another recorded sex) is left out here, so
    # the candidates read and scored are those that can pass, and the limit counts only them.
    if subject.birth_date is not None:
        year = subject.birth_date.year
        born = f"(p.birth_date IS NULL OR p.birth_date BETWEEN {arg(date(max(year - 1, 1), 1, 1))} AND "
        born += f"{arg(date(min(year + 1, 9999), 12, 31))})"
        conditions.append(born)
    if subject.sex is not None and subject.sex != "unknown":
        conditions.append(f"(p.sex IS NULL OR p.sex IN ('unknown', {arg(subject.sex)}))")
    if policies.reads_own_organization(principal) and not policies.reads_all_cases(principal):
        conditions.append(f"c.owner_organization_id = {arg(principal.organization_id)}")
    elif not policies.reads_all_cases(principal):
        return []
    conditions.append(f"name_terms(p.name_key) && {arg(terms(words, found))}::text[]")  # as indexed
    sql = f"{_CANDIDATES_HEAD} AND {' AND '.join(conditions)} LIMIT {CANDIDATES}"
    rows = [_Candidate(*row) for row in await driver.fetch(session, sql, *arg)]
    mine = someone(subject)
    best: dict[uuid.UUID, DuplicateCandidate] = {}
    for row in rows:
        value, band, reasons = score(mine, someone(row))
        if band is None:
            continue
        if row.position != 0:
            reasons.append(f"as {row.role}")
        if row.case_id not in best or best[row.case_id].score < value:
            best[row.case_id] = DuplicateCandidate(
                case_id=row.case_id, reference=row.reference, score=value, band=band, reasons=reasons
            )
    ordered = sorted(best.values(), key=lambda c: (c.band != LIKELY, -c.score, c.reference))
    return ordered[:SHOWN_AT_MOST]


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
    case = await guards.readable_case(session, principal, case_id, "case.duplicates", in_session=False)
    found = await candidates(session, principal, case)
    await record_shown(session, principal, case, found)
    return found


# ---- links ---------------------------------------------------------------------------------------------


async def create_link(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: LinkIn
) -> LinkRead:
    case = await guards.readable_case(session, principal, case_id, "case.link.create")
    if not policies.may_write(principal, case.owner_organization_id, case.assignee_id):
        raise guards.denied(principal, "case.link.create", case.id, "You may not link this case.")
    other = await repository.get_readable(session, principal, body.case_id)
    if other is None or other.id == case.id:
        msg = "a case cannot be linked to itself" if body.case_id == case.id else "no such case"
        raise Unprocessable.at(["body", "case_id"], msg)
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
    case = await guards.readable_case(session, principal, case_id, "case.link.list", in_session=False)
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
