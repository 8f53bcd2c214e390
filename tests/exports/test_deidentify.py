"""The de-identification on its own: whatever the records, every released class has at least k records, the
counts it states add up, and generalization is tried before records are withheld."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from src.exports.deidentify import MAX_WITHHELD_SHARE, deidentify, quasi_key


def _record(rng: random.Random) -> dict[str, Any]:
    return {
        "ukuk_AgeBand": rng.choice(["15-17", "18-24", "25-34", "35-44", "Unknown"]),
        "prs_Gender": rng.choice(["Female", "Male"]),
        "prs_Nationality": rng.choice(["KG", "KG", "KG", "UZ", "TJ"]),
        "hte_CountryOfExploitation": rng.choice(["RU", "RU", "KZ", "TR", "AE", "DE"]),
        "hte_CountryOfRecruitment": rng.choice(["KG", "KG", "KZ"]),
        "ukuk_TypeOfExploitation": rng.choice(
            [["forced_labour"], ["sexual_exploitation"], ["forced_labour", "servitude"]]
        ),
        "ukuk_RegistrationYear": rng.choice(["2023", "2024", "2025", "2026"]),
        "vic_MethodsOfControl": ["Threats"],
    }


def test_every_released_class_reaches_k_and_the_counts_add_up() -> None:
    rng = random.Random(7)
    for n in (0, 1, 4, 30, 200, 1000):
        for k in (2, 5, 11):
            records = [_record(rng) for _ in range(n)]
            done = deidentify(records, k)
            sizes = Counter(map(quasi_key, done.records))
            assert all(size >= k for size in sizes.values()), (n, k)
            assert len(done.records) + done.withheld == n
            assert 0 <= done.generalized <= len(done.records)
            assert done.generalized == 0 or done.steps


def test_generalization_first_then_suppression() -> None:
    alike = {
        "prs_Gender": "Female",
        "prs_Nationality": "KG",
        "hte_CountryOfExploitation": "RU",
        "hte_CountryOfRecruitment": "KG",
        "ukuk_TypeOfExploitation": ["forced_labour"],
        "ukuk_RegistrationYear": "2026",
    }
    records = [{**alike, "ukuk_AgeBand": band} for band in ("18-24", "25-34") * 3]
    done = deidentify(records, 5)
    assert done.withheld == 0 and done.generalized == 6 and done.steps == ["age band to a wide band"]
    assert {r["ukuk_AgeBand"] for r in done.records} == {"18-34"}
    # Records no step can merge (sex is never recoded) are withheld, and no step is taken for them.
    lone = {**alike, "ukuk_AgeBand": "18-24", "prs_Gender": "Male"}
    done = deidentify([{**alike, "ukuk_AgeBand": "18-24"}] * 10 + [lone] * 2, 5)
    assert MAX_WITHHELD_SHARE < 2 / 12
    assert done.withheld == 2 and done.steps == [] and done.generalized == 0
