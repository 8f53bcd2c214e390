"""The messages an API user reads besides problem titles, in en, ru and ky: problem details, field messages
(`errors[].msg`) by text and by pydantic error type, and the words that fill their blanks.

The raising code writes English (`Conflict(f"This transfer was already {status}.")`); a problem is put into
the caller's language when it is rendered (src/platform/errors.py, src/platform/middleware.py): its English
text is matched against the catalogue's templates (src/platform/message_catalogue.py), whose `{0}`, `{1}`...
match the dynamic parts and are put back into the Russian or Kyrgyz template. A text nothing matches stays
English. tests/unit/test_messages.py finds every detail and field message in src/ and fails on one without
all three languages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from src.platform import message_catalogue

LANGUAGES = ("en", "ru", "ky")


def _table(name: str, block: str, columns: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Lines of `key | ...columns`, every cell non-empty; a key appears once."""
    entries: dict[str, dict[str, str]] = {}
    for line in block.strip().splitlines():
        if line.strip().startswith("#"):
            continue
        key, *cells = (part.strip() for part in line.split("|"))
        if len(cells) != len(columns) or not key or not all(cells) or key in entries:
            raise ValueError(f"{name}: {line.strip()!r} is not a new `key | {' | '.join(columns)}`")
        entries[key] = dict(zip(columns, cells, strict=True))
    return entries


# English template -> {"en", "ru", "ky"}
MESSAGES: dict[str, dict[str, str]] = {
    en: {"en": en, **labels}
    for en, labels in _table("DETAILS", message_catalogue.DETAILS, ("ru", "ky")).items()
}
# pydantic error type -> {"en", "ru", "ky"}
FIELD_TYPES: dict[str, dict[str, str]] = _table("FIELD_TYPES", message_catalogue.FIELD_TYPES, LANGUAGES)
TERMS: dict[str, dict[str, str]] = {
    en: {"en": en, **labels} for en, labels in _table("TERMS", message_catalogue.TERMS, ("ru", "ky")).items()
}

_HOLE = re.compile(r"\{(\d+)\}")


class _Template:
    """An English template split at its `{n}` blanks, matched in linear time: the text must start and end with
    the outer literals, and each inner literal is taken at its first occurrence after a non-empty blank.
    No regex: a backtracking pattern with several blanks took seconds on a crafted detail (a ReDoS)."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.holes = [int(hole.group(1)) for hole in _HOLE.finditer(template)]
        self.literals = [part.replace("{{", "{").replace("}}", "}") for part in _HOLE.split(template)[::2]]

    def match(self, text: str) -> dict[str, str] | None:
        first, *inner, last = self.literals
        if not text.startswith(first) or not text.endswith(last) or len(text) < len(first) + len(last):
            return None
        end = len(text) - len(last)
        position, values = len(first), {}
        for hole, literal in zip(self.holes, [*inner, None], strict=True):
            if literal is None:
                found = end
            else:
                found = text.find(literal, position + 1, end)
                if found < 0:
                    return None
            if found <= position:
                return None  # a blank is never empty
            values[f"h{hole}"] = text[position:found]
            position = found + len(literal or "")
        return values


# The most specific first: more literal text, then fewer blanks.
_TEMPLATES: tuple[_Template, ...] = tuple(
    _Template(en)
    for en in sorted(
        (en for en in MESSAGES if _HOLE.search(en)),
        key=lambda en: (-len(_HOLE.sub("", en)), len(_HOLE.findall(en))),
    )
)
_EXACT = {en: labels for en, labels in MESSAGES.items() if not _HOLE.search(en)}
# Longer texts stay English: no catalogued message is near this long, and matching costs are bounded.
_MAX_TRANSLATED = 2000


def _fill(template: str, values: Mapping[str, str], language: str) -> str:
    def value(hole: re.Match[str]) -> str:
        found = values[f"h{hole.group(1)}"]
        return TERMS.get(found, {}).get(language, found)

    return _HOLE.sub(value, template).replace("{{", "{").replace("}}", "}")


@lru_cache(maxsize=1024)
def translate(text: str, language: str) -> str:
    """`text` (English, as raised) in `language`; the English itself when the catalogue has no match."""
    if language == "en" or not text:
        return text
    exact = _EXACT.get(text)
    if exact is not None:
        return exact.get(language, text)
    if len(text) > _MAX_TRANSLATED:
        return text
    for template in _TEMPLATES:
        found = template.match(text)
        if found is not None and language in MESSAGES[template.template]:
            return _fill(MESSAGES[template.template][language], found, language)
    return text


# ---- field messages by pydantic error type -------------------------------------------------------------

# FIELD_TYPES' templates take the error's `ctx` by name; a blank the ctx lacks keeps pydantic's English
# message. Its `en` (pydantic's own template) recognises a message that comes without its type (a corrected
# body's first error, re-raised with its location).
_VALUE_ERROR = "Value error, "
# Joining words in pydantic's `expected` lists ('a', 'b' or 'c').
_OR = {"ru": " или ", "ky": " же "}
_NAMED = re.compile(r"\{(\w+)\}")
# A message recognised by its text is at most this long, each blank at most _FIELD_BLANK characters: with up
# to three blanks a pattern then tries at most 80**3 splits of a crafted message, not len**3.
_FIELD_MAX, _FIELD_BLANK = 300, 80


def _field_pattern(template: str) -> re.Pattern[str]:
    """pydantic's English template as a full-match regex (a blank named twice must match the same text)."""
    parts, position, seen = [], 0, set()
    for hole in _NAMED.finditer(template):
        parts.append(re.escape(template[position : hole.start()]))
        name = hole.group(1)
        if name == "expected_plural":
            parts.append("(?:s?)")
        elif name in seen:
            parts.append(f"(?P={name})")
        else:
            parts.append(f"(?P<{name}>.{{1,{_FIELD_BLANK}}}?)")  # bounded: no ReDoS on a crafted message
            seen.add(name)
        position = hole.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts), re.DOTALL)


# The most specific first ("greater than or equal to {ge}" before "greater than {gt}").
_FIELD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, _field_pattern(en))
    for kind, en in sorted(
        ((kind, labels["en"]) for kind, labels in FIELD_TYPES.items() if kind != "value_error"),
        key=lambda item: -len(_NAMED.sub("", item[1])),
    )
)


def _context(ctx: Mapping[str, Any] | None, language: str) -> dict[str, str]:
    values = {}
    for name, value in (ctx or {}).items():
        text = str(value)
        if name in ("expected", "expected_schemes"):
            text = text.replace(" or ", _OR.get(language, " or "))
        values[name] = translate(text, language)
    return values


def field_message(
    msg: str, language: str, kind: str | None = None, ctx: Mapping[str, Any] | None = None
) -> str:
    """A field error's message in `language`: by its pydantic type and ctx when known, else by its text
    (a catalogued message, a validator's ValueError, or pydantic's own message); else as given."""
    if language == "en" or not msg:
        return msg
    if kind == "value_error" or msg.startswith(_VALUE_ERROR):
        return translate(msg.removeprefix(_VALUE_ERROR), language)
    if kind is None:
        translated = translate(msg, language)
        if translated != msg:
            return translated
        for known, pattern in _FIELD_PATTERNS if len(msg) <= _FIELD_MAX else ():
            found = pattern.fullmatch(msg)
            if found is not None:
                kind, ctx = known, {k: v for k, v in found.groupdict().items() if v is not None}
                break
        else:
            return msg
    template = FIELD_TYPES.get(kind, {}).get(language)
    if template is None:
        return translate(msg, language)
    try:
        return template.format(**_context(ctx, language))
    except (KeyError, IndexError, ValueError):
        return msg
