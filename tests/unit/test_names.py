"""Name folding across scripts: per letter, Latin spellings, patronymics, and the labelled pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.cases import names


def fold(text: str) -> str:
    return "".join(names.fold_token(t) for t in names.latin_tokens(text))


RUSSIAN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "j", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "",
    "э": "e", "ю": "u", "я": "a",
}  # fmt: skip
KYRGYZ = {"ң": "n", "ө": "o", "ү": "u"}
TAJIK = {"ғ": "g", "ӣ": "i", "қ": "k", "ӯ": "u", "ҳ": "h", "ҷ": "j"}
UZBEK = {"ў": "u", "қ": "k", "ғ": "g", "ҳ": "h"}


@pytest.mark.parametrize(
    ("letter", "folded"),
    [*RUSSIAN.items(), *KYRGYZ.items(), *TAJIK.items(), *UZBEK.items()],
)
def test_each_cyrillic_letter_folds_to_its_latin_skeleton(letter: str, folded: str) -> None:
    assert fold(letter) == folded
    assert fold(letter.upper()) == folded


@pytest.mark.parametrize(
    "spellings",
    [
        ("Хасанов", "Khasanov", "Hasanov", "Xasanov"),  # kh / h / x
        ("Жумабеков", "Zhumabekov", "Jumabekov", "Dzhumabekov", "Djumabekov"),  # zh / j / dzh / dj
        ("Ҷӯраев", "Juraev", "Dzhuraev"),  # Tajik che
        ("Юсупов", "Yusupov", "Iusupov", "Usupov"),  # yu / iu
        ("Яковлев", "Yakovlev", "Iakovlev"),  # ya / ia
        ("Евгений", "Yevgeniy", "Evgenii", "Evgeny"),  # ye / e, -iy / -ii / -y
        ("Айдаралиев", "Aidaraliev", "Aydaraliyev"),  # y / i, ie / iye
        ("Қодиров", "Qodirov", "Kodirov"),  # q / k
        ("Ғафур", "Ghafur", "Gafur", "G'afur"),  # gh / g / g'
        ("Ўктам", "O'ktam", "Oʻktam", "Uktam"),  # Uzbek o' with two apostrophes
        ("Бахтиёр", "Bakhtiyor", "Baxtiyor", "Bakhtier"),  # yo
        ("Сыдыкова", "Sydykova", "Sidikova"),  # y / i
        ("Исаков", "Issakov"),  # doubled letters
        ("Эльмира", "Elmira", "El'mira"),  # soft sign, apostrophe inside a word
        ("Гүлнара", "Gulnara", "Gülnara"),  # Kyrgyz u and the umlaut
    ],
)
def test_spellings_of_one_name_fold_to_one_skeleton(spellings: tuple[str, ...]) -> None:
    assert {names.skeleton(s) for s in spellings} == {names.skeleton(spellings[0])}


def test_word_order_does_not_count() -> None:
    assert (
        names.skeleton("Medetbek Aidaraliev") == names.skeleton("Айдаралиев Медетбек") == "aidaralev medetbek"
    )


@pytest.mark.parametrize(
    "written",
    ["Азамат Бакыт уулу", "Bakyt uulu Azamat", "Azamat Bakytuulu", "Azamat Bakyt uly", "Azamat Bakytovich"],
)
def test_a_patronymic_is_recognised_written_apart_or_glued(written: str) -> None:
    assert names.tokens(written) == ["azamat", "bakitulu"]


def test_son_and_daughter_markers_differ_and_father_and_son_do_not_meet() -> None:
    assert names.tokens("Айгүл Бакыт кызы") == ["aigul", "bakitkizi"]
    assert names.tokens("Dilnoza Alisher qizi") == names.tokens("Dilnoza Alisherovna")
    assert names.tokens("Alisher Bahodir o'g'li") == names.tokens("Alisher Bahodirovich")
    assert names.score("Azamat Bakyt uulu", "Bakyt Azamat uulu") < names.SAME_PERSON


def test_a_patronymic_is_left_out_when_two_names_remain() -> None:
    assert names.skeleton("Айдаралиев Медетбек Бакытович") == names.skeleton("Aidaraliev Medetbek")
    assert names.skeleton("Ўктам Қодиров Ғани ўғли") == names.skeleton("Uktam Kodirov")


def test_masculine_and_feminine_forms_are_different_people() -> None:
    assert names.token_similarity("karimov", "karimova") == 0.5
    assert names.score("Азиз Каримов", "Азиза Каримова") < names.SAME_PERSON


def test_similarity_is_pg_trgm_similarity_of_the_skeletons() -> None:
    # "aidaralev medetbek" and "aidaralev nurbek": 12 shared of 24 trigrams (checked against PostgreSQL in
    # tests/cases/test_duplicates.py for every labelled pair).
    assert names.similarity("Aidaraliev Medetbek", "Айдаралиев Нурбек") == pytest.approx(0.5)
    assert names.trigrams("ab") == {"  a", " ab", "ab "}


def test_a_name_built_on_another_is_another_name() -> None:
    assert names.token_similarity("islom", "islomov") == 0.5
    assert names.token_similarity("said", "saidali") == 0.5
    assert names.score("Ислом Исломов", "Ислом Ислом") < names.SAME_PERSON


def test_edit_distance_counts_a_transposition_as_one() -> None:
    assert names.token_similarity("cholpon", "chlopon") == pytest.approx(1 - 1 / 7)


def test_empty_or_markless_names_score_zero() -> None:
    assert names.score("", "Aidaraliev") == 0.0
    assert names.skeleton("!!! 123") == ""


PAIRS = Path(__file__).with_name("name_pairs.tsv")


def labelled_pairs() -> list[tuple[bool, str, str]]:
    rows = []
    for line in PAIRS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            same, a, b, _pattern = line.split("\t")
            rows.append((same == "1", a, b))
    return rows


def test_labelled_pairs_meet_recall_and_precision_at_the_default_threshold() -> None:
    pairs = labelled_pairs()
    assert len(pairs) >= 200
    assert sum(same for same, _, _ in pairs) >= 100 and sum(not same for same, _, _ in pairs) >= 100
    predicted = [(same, names.score(a, b) >= names.SAME_PERSON) for same, a, b in pairs]
    true_positive = sum(same and hit for same, hit in predicted)
    false_positive = sum(hit and not same for same, hit in predicted)
    false_negative = sum(same and not hit for same, hit in predicted)
    recall = true_positive / (true_positive + false_negative)
    precision = true_positive / (true_positive + false_positive)
    print(
        f"\nname pairs: {len(pairs)}, recall {recall:.3f}, precision {precision:.3f} at {names.SAME_PERSON}"
    )
    assert recall >= 0.95
    assert precision >= 0.9


def test_the_dictionary_search_finds_every_word_the_score_accepts() -> None:
    """Candidates come from looking up each word's spellings with pg_trgm at WORD_SIMILARITY: no pair of
    words the score accepts may fall under it, or the database would never offer the pair."""
    accepted = []
    for _, a, b in labelled_pairs():
        left, right = names.tokens(a), names.tokens(b)
        for word in left:
            for other in right:
                if names.token_similarity(word, other) >= 0.7:
                    accepted.append(names.key_similarity(word, other))
    assert len(accepted) > 300
    assert min(accepted) >= names.WORD_SIMILARITY
