"""Accept-Language negotiation among en, ru and ky; labels fall back ky -> ru -> en until translated."""

from __future__ import annotations

from collections.abc import Mapping

SUPPORTED = ("en", "ru", "ky")
DEFAULT = "en"
FALLBACK = {"ky": ("ky", "ru", "en"), "ru": ("ru", "en"), "en": ("en",)}


def negotiate(accept_language: str | None) -> str:
    """The best supported language of an Accept-Language header (RFC 9110 section 12.5.4)."""
    if not accept_language:
        return DEFAULT
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary == "*":
            primary = DEFAULT
        if primary in SUPPORTED and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else DEFAULT


def label(labels: Mapping[str, str], language: str) -> str:
    for candidate in FALLBACK.get(language, FALLBACK[DEFAULT]):
        if candidate in labels:
            return labels[candidate]
    return next(iter(labels.values()))
