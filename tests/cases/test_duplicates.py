"""Possible duplicates across scripts, on intake and on demand, scoped to the caller; and links."""

from __future__ import annotations

import itertools
import random
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from src.audit.models import AuditEvent
from src.cases import duplicates, names, repository
from src.cases.models import CaseLink
from tests.factories import Consulate, abuse_body, child_body, open_case
from tests.unit import test_person_pairs as person_pairs
from tests.unit.test_names import labelled_pairs


def _subject(
    family: str | None, given: str, patronymic: str | None = None, **overrides: Any
) -> dict[str, Any]:
    subject = dict(abuse_body()["subject"], family_name=family, given_name=given, patronymic=patronymic)
    subject.pop("document")
    subject.update(overrides)
    return subject


async def test_intake_finds_the_same_person_written_in_another_script(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    first = await open_case(client, consulate_a.officer, abuse_body())
    brother = await open_case(
        client,
        consulate_a.officer,
        abuse_body(subject=_subject("Айдаралиев", "Нурбек", birth_date="1996-01-05")),
    )
    elsewhere = await open_case(client, consulate_b.officer, abuse_body())
    assert [d["case_id"] for d in elsewhere["possible_duplicates"]] == []  # consulate A's cases are not B's

    again = await open_case(
        client, consulate_a.officer, abuse_body(subject=_subject("Aydaraliyev", "Medetbek", language="ru"))
    )
    found = again["possible_duplicates"]
    assert [d["case_id"] for d in found] == [first["id"]]
    assert found[0]["reference"] == first["reference"] and found[0]["score"] >= 0.95
    assert found[0]["reasons"][:3] == ["given_name 1.00", "family_name 1.00", "birth_date exact"]
    assert found[0]["band"] == "likely"
    assert brother["id"] not in {d["case_id"] for d in found}
    shown = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "case.duplicates", AuditEvent.resource_id == again["id"]
        )
    )
    assert shown is not None and shown.detail["case_ids"] == [first["id"]]


async def test_duplicates_weigh_birth_date_and_sex_and_find_people_in_other_roles(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    child = await open_case(client, consulate_a.officer, child_body())  # subject "Бакыт уулу Азамат", 2013
    older = await open_case(
        client,
        consulate_a.officer,
        abuse_body(subject=_subject(None, "Azamat", "Bakytuulu", birth_date="2012-11-30"), consent=None),
    )
    sister = await open_case(
        client, consulate_a.officer, abuse_body(subject=_subject(None, "Азамат", "Бакыт уулу", sex="female"))
    )
    mentioned = await open_case(
        client,
        consulate_a.officer,
        abuse_body(
            subject=_subject("Жумабеков", "Эрмек"),
            persons=[
                {
                    "role": "witness",
                    "given_name": "Azamat",
                    "patronymic": "Bakyt uulu",
                    "birth_date": "2013-06-02",
                }
            ],
        ),
    )
    answer = await client.get(f"/v1/cases/{child['id']}/duplicates", headers=consulate_a.officer.headers)
    assert answer.status_code == 200
    items = {d["case_id"]: d for d in answer.json()["items"]}
    assert sister["id"] not in items  # recorded sex differs: someone else
    assert "birth_year within 1" in items[older["id"]]["reasons"]
    assert items[mentioned["id"]]["reasons"][-1] == "as witness"
    assert items[mentioned["id"]]["score"] > items[older["id"]]["score"]


async def test_duplicates_of_a_case_in_another_organization_are_404_and_audited(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    for path in ("duplicates", "links"):
        answer = await client.get(f"/v1/cases/{case['id']}/{path}", headers=consulate_b.officer.headers)
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
    refused = await client.post(
        f"/v1/cases/{case['id']}/links",
        json={"case_id": case["id"], "type": "duplicate"},
        headers=consulate_b.officer.headers,
    )
    assert refused.status_code == 404
    outcomes = (
        await db.scalars(
            select(AuditEvent.action).where(
                AuditEvent.resource_id == case["id"], AuditEvent.outcome == "not_found"
            )
        )
    ).all()
    assert sorted(outcomes) == ["case.duplicates", "case.link.create", "case.link.list"]


async def test_linking_confirms_a_duplicate_and_it_stops_being_suggested(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    first = await open_case(client, consulate_a.officer, abuse_body())
    second = await open_case(
        client, consulate_a.officer, abuse_body(subject=_subject("Aidaraliev", "Medetbek"))
    )
    foreign = await open_case(client, consulate_b.officer, abuse_body())
    assert [d["case_id"] for d in second["possible_duplicates"]] == [first["id"]]
    url = f"/v1/cases/{second['id']}/links"
    headers = consulate_a.officer.headers

    for bad in (
        {"case_id": second["id"], "type": "duplicate"},  # itself
        {"case_id": foreign["id"], "type": "duplicate"},  # a case the caller may not see
        {"case_id": first["id"], "type": "cousin"},
        {"case_id": first["id"], "type": "duplicate", "note": "extra"},
        {"case_id": "not-a-uuid", "type": "duplicate"},
    ):
        answer = await client.post(url, json=bad, headers=headers)
        assert answer.status_code == 422, bad
        assert answer.headers["content-type"] == "application/problem+json"
    assert await db.scalar(select(func.count()).select_from(CaseLink)) == 0

    created = await client.post(url, json={"case_id": first["id"], "type": "duplicate"}, headers=headers)
    assert created.status_code == 201
    assert created.json()["case_id"] == first["id"] and created.json()["reference"] == first["reference"]
    again = await client.post(url, json={"case_id": first["id"], "type": "duplicate"}, headers=headers)
    assert again.status_code == 409
    sibling = await client.post(url, json={"case_id": first["id"], "type": "sibling"}, headers=headers)
    assert sibling.status_code == 201

    from_first = await client.get(f"/v1/cases/{first['id']}/links", headers=headers)
    assert {(link["case_id"], link["type"]) for link in from_first.json()["items"]} == {
        (second["id"], "duplicate"),
        (second["id"], "sibling"),
    }
    suggested = await client.get(f"/v1/cases/{second['id']}/duplicates", headers=headers)
    assert suggested.json()["items"] == []
    written = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.link.create").order_by(AuditEvent.id)
        )
    ).all()
    assert [(e.outcome, e.detail.get("type")) for e in written] == [
        ("success", "duplicate"),
        ("success", "sibling"),
    ]


async def test_python_similarity_is_the_databases(db: AsyncSession) -> None:
    """The labelled pairs and thresholds are judged in Python; the index works in PostgreSQL: same numbers."""
    pairs = labelled_pairs()
    left = [names.skeleton(a) for _, a, _ in pairs]
    right = [names.skeleton(b) for _, _, b in pairs]
    found = (
        await db.execute(
            text("SELECT similarity(a, b) FROM unnest(CAST(:a AS text[]), CAST(:b AS text[])) AS t(a, b)"),
            {"a": left, "b": right},
        )
    ).scalars()
    for (_, a, b), database in zip(pairs, found, strict=True):
        assert abs(names.similarity(a, b) - database) < 1e-6, (a, b)


async def test_search_by_name_finds_every_script_and_spelling(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())  # Айдаралиев Медетбек
    other = await open_case(client, consulate_a.officer, abuse_body(subject=_subject("Жумабеков", "Эрмек")))
    for q in ("Айдаралиев", "Aydaraliyev", "medetbek aidaraliev", "Айдар"):
        found = await client.get("/v1/cases", params={"q": q}, headers=consulate_a.officer.headers)
        assert [c["id"] for c in found.json()["items"]] == [case["id"]], q
    found = await client.get("/v1/cases", params={"q": "Zhumabekov"}, headers=consulate_a.officer.headers)
    assert [c["id"] for c in found.json()["items"]] == [other["id"]]


def _labelled_words() -> list[str]:
    """Every folded word of the labelled name and person pairs."""
    found: set[str] = set()
    for _, a, b in labelled_pairs():
        found.update(names.skeleton(a).split() + names.skeleton(b).split())
    for pair in person_pairs.labelled():
        for parts in (pair.a.parts, pair.b.parts):
            found.update(parts.family + parts.given + parts.patronymic)
    return sorted(found)


async def _scanned_spellings(db: AsyncSession, word: str) -> set[str]:
    """The spellings of a word as the search found them before they were stored: a trigram scan of the
    whole dictionary, kept where the name score accepts them."""
    await db.execute(text(f"SET LOCAL pg_trgm.similarity_threshold = {names.WORD_SIMILARITY}"))
    alike = await db.scalars(text("SELECT token FROM name_token WHERE token % :word"), {"word": word})
    return {token for token in alike if names.is_spelling(word, token)}


async def test_stored_spellings_are_the_ones_a_scan_of_the_dictionary_finds_whatever_the_order(
    db: AsyncSession,
) -> None:
    """Spellings are stored when a word enters the dictionary: a word seen later can be a spelling of one
    seen earlier, so both must be recorded. The labelled words arrive in three batches, in shuffled order;
    afterwards each word's stored spellings are exactly what a scan of the whole dictionary finds."""
    import random

    words = _labelled_words()
    random.Random(17).shuffle(words)
    third = len(words) // 3
    for batch in (words[:third], words[third : 2 * third], words[2 * third :]):
        await repository.remember_name_tokens(db, [" ".join(batch)])
        await db.commit()
    stored = await duplicates.spellings(db, words)
    pairs = 0
    for word in words:
        scanned = await _scanned_spellings(db, word)
        assert set(stored[word]) - {word} - names.known_spellings(word) <= scanned, word
        assert scanned <= set(stored[word]), word
        pairs += len(scanned)
    assert pairs > 100  # the labelled words do hold spellings of each other


async def test_a_word_seen_after_another_is_its_spelling_both_ways(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    """Медетбек is in the dictionary first; Medtbek (a letter dropped) enters with the second case: the
    second case finds the first (the new word's spellings include the old word), and the first finds the
    second (the old word gained the new one)."""
    first = await open_case(client, consulate_a.officer, abuse_body())  # Айдаралиев Медетбек
    second = await open_case(
        client, consulate_a.officer, abuse_body(subject=_subject("Aidaraliev", "Medtbek"))
    )
    assert [d["case_id"] for d in second["possible_duplicates"]] == [first["id"]]
    answer = await client.get(f"/v1/cases/{first['id']}/duplicates", headers=consulate_a.officer.headers)
    assert [d["case_id"] for d in answer.json()["items"]] == [second["id"]]


async def test_two_intakes_adding_spellings_of_each_other_at_once_both_record_them(
    owner_engine: AsyncEngine, db: AsyncSession
) -> None:
    """Each transaction sees only committed words: adding words is one transaction at a time, so the second
    waits for the first to commit and then finds its word."""
    import asyncio

    maker = async_sessionmaker(owner_engine, expire_on_commit=False)
    async with maker() as one, maker() as two:
        await repository.remember_name_tokens(one, ["medtbek"])
        adding = asyncio.create_task(repository.remember_name_tokens(two, ["medetbk"]))
        await asyncio.sleep(0.3)
        assert not adding.done()  # waiting for the first transaction
        await one.commit()
        await asyncio.wait_for(adding, 10)
        await two.commit()
    stored = await duplicates.spellings(db, ["medtbek", "medetbk"])
    assert "medetbk" in stored["medtbek"] and "medtbek" in stored["medetbk"]
    # A name whose words are all known adds nothing and takes no lock.
    async with maker() as one, maker() as two:
        await repository.remember_name_tokens(one, ["medzbek"])
        await asyncio.wait_for(repository.remember_name_tokens(two, ["medtbek medetbk"]), 1)
        await one.rollback()


def _holds_spellings_of_every_word(words: list[str], spelled: dict[str, list[str]], person: str) -> bool:
    """The search's name condition as it was before `name_terms`: one overlap of the person's words per word
    of the subject, all of them for a name of two words or fewer, any two of the first five otherwise."""
    held = set(person.split())
    distinct = list(dict.fromkeys(words[:5]))
    holds = {w: bool(held & set(spelled[w])) for w in distinct}
    if len(words) <= 2 or len(distinct) == 1:
        return all(holds.values())
    return any(holds[a] and holds[b] for a, b in itertools.combinations(distinct, 2))


async def test_one_overlap_on_name_terms_finds_whom_an_overlap_per_word_found(db: AsyncSession) -> None:
    """The candidate condition moved from an overlap per word (posting lists of thousands of persons
    intersected) to one overlap with pairs of spellings (`duplicates.terms` against the index expression
    `name_terms`, migration 0027); the persons it lets through are the same, over names of one to six words
    with repeated words and spellings shared between the subject's words."""
    rng = random.Random(27)
    vocabulary = ["ali", "aly", "alii", "bek", "bekov", "nur", "nurr", "uulu", "kyzy"]
    checked = {True: 0, False: 0}
    for _ in range(400):
        words = rng.choices(vocabulary, k=rng.randint(1, 6))
        spelled = {w: [w, *rng.sample(vocabulary, rng.randint(0, 3))] for w in words}
        person = " ".join(rng.choices(vocabulary, k=rng.randint(0, 5)))  # an empty name too
        found = await db.scalar(
            text("SELECT name_terms(:person) && CAST(:terms AS text[])"),
            {"person": person, "terms": duplicates.terms(words, spelled)},
        )
        expected = _holds_spellings_of_every_word(words, spelled, person)
        assert (found is True) is expected, (words, spelled, person)  # NULL (no words) lets nobody through
        checked[expected] += 1
    assert min(checked.values()) > 50  # both answers were asked for, many times


async def test_name_terms_are_the_words_and_each_two_of_them_lower_first(db: AsyncSession) -> None:
    long = [f"w{n:02d}" for n in range(20)]  # in order, as a skeleton's words are
    found = await db.execute(
        text("SELECT name_terms(k) FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS t(k, n) ORDER BY n"),
        {"keys": ["nur bek ali", "ali ali", "ali", "", " ".join(long)]},
    )
    terms = [sorted(t) if t is not None else None for t in found.scalars()]
    assert terms[:4] == [
        ["ali", "ali bek", "ali nur", "bek", "bek nur", "nur"],
        ["ali", "ali ali"],
        ["ali"],
        None,  # no words: no terms, so a blank name is nobody's candidate
    ]
    # Every word, but pairs of the first 12 only: three parts of 60 characters hold up to 60 words.
    pairs = sorted(f"{a} {b}" for a, b in itertools.combinations(long[:12], 2))
    assert terms[4] == sorted(long + pairs) and len(pairs) == 66


async def test_a_name_of_one_word_three_times_finds_its_duplicate(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    """Three words and one distinct: the condition on any two distinct words had no two to ask for and wrote
    an empty SQL condition, so such an intake answered 500."""
    body = abuse_body(subject=_subject("Али", "Али", "Али"))
    first = await open_case(client, consulate_a.officer, body)
    second = await open_case(client, consulate_a.officer, body)
    assert [d["case_id"] for d in second["possible_duplicates"]] == [first["id"]]


def test_a_subject_of_densely_spelled_words_asks_for_at_most_max_terms() -> None:
    """Each term is a probe of the name index and the persons it finds are read before any other condition:
    a name whose words have dozens of stored spellings (a dense dictionary, or one filled on purpose) must
    not turn one search into thousands of probes. The words themselves always stay in."""
    words = ["aaa", "bbb", "ccc", "ddd", "eee"]
    spelled = {w: [w, *(f"{w}{n:02d}" for n in range(40))] for w in words}
    found = duplicates.terms(words, spelled)
    assert len(found) <= duplicates.MAX_TERMS
    assert len(found) > duplicates.MAX_TERMS * 0.8  # trimmed to the bound, not far below it
    assert {f"{a} {b}" for a, b in itertools.combinations(words, 2)} <= set(found)
    # One word of many spellings beside one of two: the many are trimmed, the two kept.
    pairs = duplicates.terms(["aaa", "bbb"], {"aaa": spelled["aaa"] * 10, "bbb": ["bbb", "bbbx"]})
    assert len(pairs) <= duplicates.MAX_TERMS and {"aaa bbb", "aaa bbbx"} <= set(pairs)
    one = duplicates.terms(["aaa"], {"aaa": ["aaa", *(f"a{n:04d}" for n in range(1000))]})
    assert len(one) == duplicates.MAX_TERMS and "aaa" in one
    # Below the bound nothing is left out.
    few = {w: spelled[w][:3] for w in words}
    assert len(duplicates.terms(words, few)) == 10 * 9
