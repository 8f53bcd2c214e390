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


# Problem titles (RFC 9457 `title`) by problem code; ky falls back to ru until translated.
PROBLEM_TITLES: dict[str, dict[str, str]] = {
    "bad-request": {"ru": "Неверный запрос"},
    "unauthorized": {"ru": "Требуется аутентификация"},
    "forbidden": {"ru": "Действие не разрешено"},
    "not-found": {"ru": "Не найдено"},
    "method-not-allowed": {"ru": "Метод не поддерживается"},
    "conflict": {"ru": "Конфликт"},
    "precondition-failed": {"ru": "Условие не выполнено"},
    "payload-too-large": {"ru": "Слишком большой запрос"},
    "unsupported-media-type": {"ru": "Неподдерживаемый тип содержимого"},
    "validation-error": {"ru": "Некорректный запрос"},
    "precondition-required": {"ru": "Требуется условие (If-Match)"},
    "too-many-requests": {"ru": "Слишком много запросов"},
    "internal-error": {"ru": "Внутренняя ошибка сервера"},
    "service-unavailable": {"ru": "Сервис недоступен"},
}


def problem_title(code: str, english: str, accept_language: str | None) -> str:
    language = negotiate(accept_language)
    if language == "en":
        return english
    return label({"en": english, **PROBLEM_TITLES.get(code, {})}, language)
