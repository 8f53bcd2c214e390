"""Duplicate bands on labelled pairs of person records (tests/unit/person_pairs.tsv, written by hand apart
from the scoring code): recall in `likely` + `possible`, and how often different people are offered, with
the hard negatives (same birth date, sex and citizenship: siblings, given names a letter or two apart that
are different names, surnames differing by a leading syllable) counted apart. docs/security.md carries the
table this test prints."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from src.cases import duplicates, names

PAIRS = Path(__file__).with_name("person_pairs.tsv")
HARD = {"distinct_given_close", "sibling", "surname_prefix", "feminine_masculine", "namesake"}


@dataclass(frozen=True)
class Pair:
    same: bool
    category: str
    a: duplicates.Someone
    b: duplicates.Someone


def _someone(row: dict[str, str], side: str) -> duplicates.Someone:
    def part(name: str) -> str | None:
        return row[f"{side}_{name}"] or None

    birth = part("birth_date")
    return duplicates.Someone(
        name_key="",
        parts=names.parts_of(part("family"), part("given"), part("patronymic")),
        birth_date=date.fromisoformat(birth) if birth else None,
        citizenship=part("citizenship"),
        sex=part("sex"),
    )


def labelled() -> list[Pair]:
    lines = [line for line in PAIRS.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [
        Pair(row["label"] == "same", row["category"], _someone(row, "a"), _someone(row, "b"))
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    ]


def _band(pair: Pair) -> str | None:
    return duplicates.score(pair.a, pair.b)[1]


def test_the_set_is_large_and_hard_enough() -> None:
    pairs = labelled()
    hard = [p for p in pairs if p.category in HARD]
    assert len(pairs) >= 500 and len(hard) >= 150
    assert all(not p.same for p in hard)
    assert all(p.a.birth_date is not None and p.a.birth_date == p.b.birth_date for p in hard)


def test_bands_meet_recall_and_false_match_targets() -> None:
    pairs = labelled()
    bands = [(_band(p), p) for p in pairs]
    same = [b for b, p in bands if p.same]
    different = [b for b, p in bands if not p.same]
    hard = [b for b, p in bands if p.category in HARD]
    recall = sum(b is not None for b in same) / len(same)
    false_match = sum(b is not None for b in different) / len(different)
    rows = [
        ("likely", Counter(same)["likely"], Counter(different)["likely"], Counter(hard)["likely"]),
        ("possible", Counter(same)["possible"], Counter(different)["possible"], Counter(hard)["possible"]),
        (
            "likely + possible",
            sum(b is not None for b in same),
            sum(b is not None for b in different),
            sum(b is not None for b in hard),
        ),
    ]
    print(f"\n{len(pairs)} pairs: {len(same)} same, {len(different)} different ({len(hard)} hard)")
    print("| band | recall | false-match rate | hard negatives offered |")
    for band, hits, wrong, hard_wrong in rows:
        print(
            f"| {band} | {hits / len(same):.3f} ({hits}/{len(same)}) | {wrong / len(different):.3f} "
            f"({wrong}/{len(different)}) | {hard_wrong}/{len(hard)} |"
        )
    missed = [(p.category, p.a.parts, p.b.parts) for b, p in bands if p.same and b is None]
    offered = [(p.category, p.a.parts, p.b.parts) for b, p in bands if not p.same and b is not None]
    print("missed:", *missed[:40], sep="\n  ")
    print("offered:", *offered[:40], sep="\n  ")
    assert recall >= 0.95
    assert false_match <= 0.05


def test_every_known_spelling_of_a_given_name_is_one_name_and_close_names_are_not() -> None:
    known = names.known_given_names()
    assert len(set(known.values())) >= 500
    spell = names.parts_of
    for a, b in (("Мухаммад", "Muhammed"), ("Юсуф", "Yusup"), ("Айбек", "Aybek"), ("Жылдыз", "Jyldyz")):
        assert names.score_parts(spell(None, a, "x"), spell(None, b, "x")).given == 1.0, (a, b)
    for a, b in (("Алина", "Алена"), ("Марат", "Мурат"), ("Руслан", "Рустам"), ("Эльмира", "Эльвира")):
        assert names.score_parts(spell(None, a, "x"), spell(None, b, "x")).given == 0.0, (a, b)


def test_a_surname_with_another_leading_syllable_is_another_family() -> None:
    for a, b in (("bekmuratov", "muratov"), ("tashmatov", "eshmatov"), ("abdukarimov", "karimov")):
        assert names.family_similarity(a, b) < duplicates.FAMILY_FLOOR, (a, b)
    for a, b in (("ibragimov", "ibrahimov"), ("kurbanov", "kurbonov")):
        assert names.family_similarity(a, b) >= duplicates.FAMILY_FLOOR, (a, b)


def test_a_birth_date_cannot_carry_a_different_given_name() -> None:
    born = date(1994, 3, 12)
    alina = duplicates.Someone("", names.parts_of("Садыкова", "Алина", None), born, "KG", "female")
    alena = duplicates.Someone("", names.parts_of("Садыкова", "Алена", None), born, "KG", "female")
    assert duplicates.score(alina, alena)[1] is None
    latin = duplicates.Someone("", names.parts_of("Sadykova", "Alina", None), born, "KG", "female")
    assert duplicates.score(alina, latin)[1] == "likely"


def test_a_patronymic_is_compared_with_a_patronymic_never_with_a_surname() -> None:
    """Found in review: a record without a family name had its patronymic scored against the other record's
    surname, so the same woman written with and without her surname was never offered."""
    born = date(1990, 5, 1)
    full = duplicates.Someone("", names.parts_of("Асанова", "Айгерим", "Бакыт кызы"), born, "KG", "female")
    short = duplicates.Someone("", names.parts_of(None, "Aigerim", "Bakyt kyzy"), born, "KG", "female")
    assert duplicates.score(full, short)[1] == "possible"
    # Kyrgyz passports write the patronymic form as the surname.
    passport = duplicates.Someone("", names.parts_of("Бакыт кызы", "Айгерим", None), born, "KG", "female")
    assert duplicates.score(passport, short)[1] is not None


def test_a_given_name_alone_needs_the_same_birth_date() -> None:
    """Found in review: a one-word name (split so by migration 0014) offered every namesake as possible."""
    one_word = duplicates.Someone("", names.parts_of(None, "Айгерим", None), date(1990, 5, 1), "KG", "female")
    other = duplicates.Someone("", names.parts_of("Асанова", "Айгерим", "Бакытовна"), None, "KG", "female")
    assert duplicates.score(one_word, other)[1] is None
    same_day = duplicates.Someone(
        "", names.parts_of("Асанова", "Айгерим", None), date(1990, 5, 1), "KG", "female"
    )
    assert duplicates.score(one_word, same_day)[1] == "possible"


def test_the_name_caches_hold_nothing_the_cycle_collector_keeps_walking() -> None:
    """A full collection walks every object the collector tracks: the name caches (65 536 entries each, filled
    by the duplicate search) must hold only what it stops tracking (strings, numbers, plain tuples of them),
    not NameParts or PartScores, which it tracks for ever (a full collection over them took 0.4-1 s)."""
    import gc

    a = names.parts_of("Асанов", "Бакыт", "Жумабек уулу")
    b = names.parts_of("Asanov", "Bakit", None)
    scores = names.score_parts(a, b)
    assert isinstance(a, names.NameParts) and a.family == ("asanov",)
    assert isinstance(scores, names.PartScores) and scores.given == 1.0 and scores.name == 1.0
    folded = names._folded_parts("Асанов", "Бакыт", "Жумабек уулу")
    scored = names._scored_parts(tuple(a), tuple(b))
    assert type(folded) is tuple and type(scored) is tuple  # the cached values themselves, not copies
    assert names._folded_parts("Асанов", "Бакыт", "Жумабек уулу") is folded
    gc.collect()  # a collection untracks a tuple of untracked objects: the inner tuples, then the outer one
    gc.collect()
    assert not gc.is_tracked(folded) and not gc.is_tracked(scored)
    assert not any(gc.is_tracked(part) for part in folded)
