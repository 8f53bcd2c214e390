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
_MAX_ALIGNED = 5


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
