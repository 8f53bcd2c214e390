"""Name search keys that match one person across scripts and spellings.

"Айдаралиев Медетбек", "Aidaraliev Medetbek", "Aydaraliyev Medetbek" and "Medetbek Aidaraliev" all fold to
the skeleton "aidaralev medetbek". Cyrillic of Russian, Kyrgyz, Tajik and Uzbek goes to Latin through
anyascii (ISC licence); the folding after that is ours: it makes the spellings of ICAO 9303 (Russian
passports), BGN/PCGN and informal use of the same letter meet (y/i, kh/h/x, zh/j/dzh, q/k, gh/g, yu/iu, ya/ia,
ye/e, -iy/-y, doubled letters).

Patronymics: a marker (uulu, kyzy, ugli, kizi, ovich, ovna, ...) written apart or glued makes its token a
patronymic, kept as stem + "ulu" (son) or "kizi" (daughter), so "Azamat Bakyt uulu", "Bakyt uulu Azamat",
"Azamat Bakytuulu" and "Azamat Bakytovich" agree while the son "Bakyt Azamat uulu" does not. Because it is
written sometimes and sometimes not, a patronymic is left out when two other names remain.

`similarity` is pg_trgm's similarity computed the same way, so thresholds chosen on the labelled pairs in
tests/unit/name_pairs.tsv hold in the database, where the GIN index on the skeleton finds candidates.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from anyascii import anyascii

# Letters whose anyascii spelling is not the one the folding below expects.
_LETTERS = str.maketrans(
    {
        "ё": "е",  # Yo is written E in passports (ICAO) and most informal spellings
        "ъ": "",
        "ь": "",
        "ҷ": "дж",  # Tajik che with descender: Juraev, Dzhuraev
        "ӣ": "и",
        "ӯ": "у",
        "ў": "у",  # Uzbek: Uktam (Russian documents), O'ktam (Uzbek Latin, folded below)
        "ҳ": "х",
        "һ": "х",
        "ң": "н",  # Kyrgyz: Ыңгай, Ingai; ng and n meet
    }
)

_APOSTROPHES = "\u0027\u2018\u2019\u02bb\u02bc`"
# Uzbek Latin o' and g' (with every apostrophe in use), before apostrophes are dropped: El'mira is one word.
_UZBEK_LATIN = re.compile(f"([og])[{_APOSTROPHES}]")
_APOSTROPHE = re.compile(f"[{_APOSTROPHES}]")
_NOT_LETTERS = re.compile(r"[^a-z]+")

# Applied in order to each Latin token.
_FOLDS: tuple[tuple[str, str], ...] = (
    ("shch", "sh"),
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("x", "h"),
    ("gh", "g"),
    ("q", "k"),
    ("w", "v"),
    ("ng", "n"),
    ("ck", "k"),
    ("ph", "f"),
    ("y", "i"),
)
# io: Uzbek and Tajik yo (Bakhtiyor) is written with Cyrillic yo, folded to e above (Бахтиёр, Bakhtier).
_VOWEL_GLIDES: tuple[tuple[str, str], ...] = (("iu", "u"), ("ia", "a"), ("ie", "e"), ("io", "e"))
_DOUBLED = re.compile(r"(.)\1+")

SON, DAUGHTER = "ulu", "kizi"
# Folded markers written apart: Kyrgyz uulu/uly, Kazakh uly/kyzy, Uzbek ugli/o'g'li/qizi, Azeri oglu/ogly.
_MARKERS = {"ulu": SON, "uli": SON, "ugli": SON, "ogli": SON, "oglu": SON, "kizi": DAUGHTER}
# Folded suffixes glued to the father's name, longest first.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ovich", SON),
    ("evich", SON),
    ("ovna", DAUGHTER),
    ("evna", DAUGHTER),
    ("ichna", DAUGHTER),
    ("ugli", SON),
    ("ogli", SON),
    ("kizi", DAUGHTER),
    ("ulu", SON),
)
_MIN_STEM = 3


def fold_token(token: str) -> str:
    """One Latin token (lower case, letters only) to its skeleton."""
    for old, new in _FOLDS:
        token = token.replace(old, new)
    token = _DOUBLED.sub(r"\1", token)
    for old, new in _VOWEL_GLIDES:
        token = token.replace(old, new)
    return _DOUBLED.sub(r"\1", token)


def latin_tokens(name: str) -> list[str]:
    """The name in lower-case Latin letters, split into words (any script in, no marks out)."""
    text = name.lower().translate(_LETTERS)
    text = anyascii(text).lower()
    text = _UZBEK_LATIN.sub(lambda m: "u" if m.group(1) == "o" else "g", text)
    text = _APOSTROPHE.sub("", text)
    return [t for t in _NOT_LETTERS.split(text) if t]


def tokens(name: str) -> list[str]:
    """Folded name tokens, patronymics marked, in written order (a patronymic possibly left out)."""
    folded = [fold_token(t) for t in latin_tokens(name)]
    names: list[str] = []
    patronymics: list[str] = []
    for token in folded:
        if token in _MARKERS:
            if names:
                patronymics.append(names.pop() + _MARKERS[token])
            continue
        for suffix, marker in _SUFFIXES:
            stem = token[: -len(suffix)]
            if token.endswith(suffix) and len(stem) >= _MIN_STEM:
                patronymics.append(stem + marker)
                break
        else:
            names.append(token)
    return names if len(names) >= 2 else names + patronymics


def skeleton(name: str) -> str:
    """The search key stored with a person: folded tokens, sorted so that word order does not count."""
    return " ".join(sorted(tokens(name)))


def trigrams(key: str) -> set[str]:
    """pg_trgm's trigrams of a skeleton: each word padded with two spaces before and one after."""
    found: set[str] = set()
    for word in key.split():
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def key_similarity(a: str, b: str) -> float:
    """pg_trgm `similarity()` of two skeletons (or two name words): shared trigrams over all trigrams."""
    left, right = trigrams(a), trigrams(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def similarity(a: str, b: str) -> float:
    """pg_trgm `similarity()` of two names' skeletons."""
    return key_similarity(skeleton(a), skeleton(b))


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, right in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right))
            if i > 1 and j > 1 and left == b[j - 2] and a[i - 2] == right:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


@functools.lru_cache(maxsize=65_536)  # the duplicate search scores the same words again and again
def token_similarity(a: str, b: str) -> float:
    """Two folded tokens: 1 - edit distance / length. A masculine and a feminine form of one name (Karimov,
    Karimova; Aziz, Aziza) and a name with another built on it (Islom, Islomov) are different names."""
    if a == b:
        return 1.0
    if a + "a" == b or b + "a" == a:
        return 0.5
    shorter, longer = sorted((a, b), key=len)
    if len(longer) - len(shorter) >= 2 and longer.startswith(shorter):
        return 0.5  # a name and one built on it: Islom, Islomov; Temir, Temirlan; Said, Saidali
    return 1.0 - _edit_distance(a, b) / max(len(a), len(b))


# Two names are one person's at or above this score (chosen on tests/unit/name_pairs.tsv; the test there
# holds it to recall >= 0.95 and precision >= 0.9).
SAME_PERSON = 0.8
# The dictionary of name words is searched for spellings of a word with pg_trgm similarity at or above this:
# below every pair of words the score accepted in the labelled pairs (lowest 0.23). A word of 4 letters with
# one letter changed scores 0.25; a long word with three changes spread out can fall under it (a known limit).
WORD_SIMILARITY = 0.2
# Of those, a word is a spelling of another at or above this edit score (`token_similarity`). Both rules are
# symmetric; the pairs are stored when a word enters the dictionary (`name_spelling`, migration 0017 holds a
# copy of both figures): changing either means recomputing that table.
SPELLING_FLOOR = 0.7
_MAX_ALIGNED = 5


def is_spelling(a: str, b: str) -> bool:
    """Two different dictionary words that pg_trgm already found alike (`WORD_SIMILARITY`): does the name
    score accept one as a spelling of the other?"""
    return a != b and token_similarity(a, b) >= SPELLING_FLOOR


def score_tokens(left: list[str], right: list[str]) -> float:
    """Every token of the shorter name matched to a distinct token of the other; the weakest match counts,
    so a brother (same surname, other given name) scores low however long the shared surname is."""
    if not left or not right:
        return 0.0
    shorter, longer = sorted((left[:_MAX_ALIGNED], right[:_MAX_ALIGNED]), key=len)
    best = max(
        min(token_similarity(a, b) for a, b in zip(shorter, chosen, strict=True))
        for chosen in itertools.permutations(longer, len(shorter))
    )
    # One word against several: a given name alone says little.
    return best * 0.8 if len(shorter) == 1 and len(longer) > 1 else best


def score(a: str, b: str) -> float:
    """How alike two written names are, 0..1, across scripts and spellings."""
    return score_tokens(tokens(a), tokens(b))


@functools.lru_cache(maxsize=65_536)
def score_keys(a: str, b: str) -> float:
    """`score` of two stored skeletons."""
    return score_tokens(a.split(), b.split())


# ---- structured names ----------------------------------------------------------------------------------

# States whose documents write the family name first (Асанов Бакыт Жумабекович; Chinese, Korean,
# Hungarian and Vietnamese names too); elsewhere the given name comes first.
FAMILY_FIRST = frozenset("KG KZ UZ TJ TM RU BY UA MD AM AZ GE MN CN TW HK MO JP KR KP VN HU".split())  # noqa: SIM905


def display_name(
    family_name: str | None,
    given_name: str | None,
    patronymic: str | None,
    organization_name: str | None,
    citizenship: str | None,
) -> str:
    """`full_name` for display, derived from the parts in the order the person's country writes them."""
    if organization_name is not None:
        return organization_name
    if citizenship is None or citizenship in FAMILY_FIRST:
        parts = (family_name, given_name, patronymic)
    else:
        parts = (given_name, patronymic, family_name)
    return " ".join(p for p in parts if p)


_GIVEN_NAMES_FILE = Path(__file__).with_name("given_names.txt")


@functools.cache
def known_given_names() -> dict[str, int]:
    """Folded spelling -> the number of the name it spells, from given_names.txt (one name a line, its
    spellings in every script). Two spellings of one name share a number; two different names that differ
    by a letter or two (Alina, Alena; Marat, Murat) have different numbers, which edit distance cannot
    tell. A folded spelling that two names share spells neither for certain and is left out."""
    found: dict[str, int] = {}
    clashes: set[str] = set()
    for number, line in enumerate(_GIVEN_NAMES_FILE.read_text(encoding="utf-8").splitlines()):
        if not line.strip() or line.startswith("#"):
            continue
        _, _, spellings = line.partition("\t")
        for spelling in spellings.split(","):
            for word in {fold_token(t) for t in latin_tokens(spelling)}:
                if found.setdefault(word, number) != number:
                    clashes.add(word)
    for word in clashes:
        del found[word]
    return found


@functools.cache
def _spellings_by_name() -> dict[int, frozenset[str]]:
    by_name: dict[int, set[str]] = {}
    for word, number in known_given_names().items():
        by_name.setdefault(number, set()).add(word)
    return {number: frozenset(words) for number, words in by_name.items()}


def known_spellings(word: str) -> frozenset[str]:
    """The folded spellings of the known name `word` spells (empty when it spells none): looked up directly,
    since two spellings of one name can share few trigrams (Muhammad, Magomed)."""
    number = known_given_names().get(word)
    return _spellings_by_name()[number] if number is not None else frozenset()


def _fold_part(part: str | None) -> tuple[str, ...]:
    """A part's folded words; a patronymic form (Бакыт уулу, Бакытович) as its marked stem."""
    return tuple(tokens(part)) if part else ()


@functools.lru_cache(maxsize=65_536)
def given_similarity(a: str, b: str) -> float:
    """Two folded given-name words: 1 for spellings of one name, 0 for two different known names however
    close their letters, else the edit score."""
    if a == b:
        return 1.0
    known = known_given_names()
    left, right = known.get(a), known.get(b)
    if left is not None and right is not None:
        return 1.0 if left == right else 0.0
    return token_similarity(a, b)


@functools.lru_cache(maxsize=65_536)
def family_similarity(a: str, b: str) -> float:
    """Two folded family-name words. Surnames that share an ending but differ in a leading syllable
    (Bekmuratov, Muratov; Tashmatov, Eshmatov; Abdukarimov, Karimov; Aliev, Valiev) are other families, not
    spellings."""
    if a == b:
        return 1.0
    common = 0
    while common < min(len(a), len(b)) and a[-1 - common] == b[-1 - common]:
        common += 1
    lead = _edit_distance(a[: len(a) - common], b[: len(b) - common])
    # Another leading syllable, or letters put before the whole of the other (Aliev, Valiev; Asanov, Jasanov).
    if common >= 4 and (lead >= 2 or common == min(len(a), len(b))):
        return 0.5
    return token_similarity(a, b)


def _part_score(
    left: tuple[str, ...], right: tuple[str, ...], words: Callable[[str, str], float]
) -> float | None:
    """Words of one part against the same part: each word of the shorter matched to a distinct word of the
    longer, the weakest match counting. None when either side is unknown."""
    if not left or not right:
        return None
    shorter, longer = sorted((left[:_MAX_ALIGNED], right[:_MAX_ALIGNED]), key=len)
    return max(
        min(words(a, b) for a, b in zip(shorter, chosen, strict=True))
        for chosen in itertools.permutations(longer, len(shorter))
    )


# The caches hold only strings, numbers and plain tuples of them, which the cycle collector stops tracking;
# it tracks an object of our classes (a NamedTuple too) for ever, and a full collection over six filled
# caches of NameParts and PartScores took 0.4-1 s, every request waiting. So these cache plain tuples and
# answer a NamedTuple made from one (`tuple.__new__`: no Python frame, as `_make` has).
_new = tuple.__new__
_Folded = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


class NameParts(NamedTuple):
    """A natural person's name, folded part by part (see `parts_of`)."""

    family: tuple[str, ...]
    given: tuple[str, ...]
    patronymic: tuple[str, ...]


def parts_of(family_name: str | None, given_name: str | None, patronymic: str | None) -> NameParts:
    return _new(NameParts, _folded_parts(family_name, given_name, patronymic))


@functools.lru_cache(maxsize=65_536)
def _folded_parts(family_name: str | None, given_name: str | None, patronymic: str | None) -> _Folded:
    return _fold_part(family_name), _fold_part(given_name), _fold_part(patronymic)


class PartScores(NamedTuple):
    given: float
    family: float | None
    patronymic: float | None
    swapped: bool = False

    @property
    def name(self) -> float:
        """One figure for ordering: the weaker of the parts both sides have."""
        known = [s for s in (self.given, self.family) if s is not None]
        return min(known)


def _patronymic_form(words: tuple[str, ...]) -> bool:
    return bool(words) and all(w.endswith((SON, DAUGHTER)) for w in words)


def _surnames(a: NameParts, b: NameParts) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """The words to compare as family names, and whether the patronymics are compared besides. A patronymic
    stands in for a missing family name (Azamat Bakyt uulu) only against the other's patronymic, or against a
    family name that is itself a patronymic form (Kyrgyz passports write "Bakyt uulu" as the surname); never
    against a real surname: Asanova Aigerim Bakyt kyzy and Aigerim Bakyt kyzy compare their patronymics."""
    if a.family and b.family:
        return a.family, b.family, True
    if not a.family and not b.family:
        return a.patronymic, b.patronymic, False
    family, other = (a, b) if a.family else (b, a)
    if _patronymic_form(family.family) and not other.family:
        return family.family, other.patronymic, False
    return (), (), True


def score_parts(a: NameParts, b: NameParts) -> PartScores:
    """Given name against given name, family against family, patronymic against patronymic (`family` is None
    when one side has none to compare). The parts entered in each other's fields on one side (a data-entry
    slip) are tried too, and said so."""
    return _new(PartScores, _scored_parts(tuple(a), tuple(b)))


@functools.lru_cache(maxsize=65_536)  # a search scores its subject against the same names again and again
def _scored_parts(folded_a: _Folded, folded_b: _Folded) -> tuple[float, float | None, float | None, bool]:
    a, b = _new(NameParts, folded_a), _new(NameParts, folded_b)
    a_family, b_family, patronymics = _surnames(a, b)
    straight = PartScores(
        given=_part_score(a.given, b.given, given_similarity) or 0.0,
        family=_part_score(a_family, b_family, family_similarity),
        patronymic=_part_score(a.patronymic, b.patronymic, token_similarity) if patronymics else None,
    )
    if a.family and b.family:
        crossed_given = _part_score(a.given, b.family, given_similarity) or 0.0
        crossed_family = _part_score(a.family, b.given, family_similarity) or 0.0
        if min(crossed_given, crossed_family) > min(straight.given, straight.family or 0.0):
            return crossed_given, crossed_family, straight.patronymic, True
    return straight.given, straight.family, straight.patronymic, False
