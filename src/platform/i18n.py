"""Accept-Language negotiation among en, ru and ky, and the problem titles in each.

`label` picks a label in the negotiated language, falling back ky -> ru -> en when a label set lacks it
(taxonomies, workflow states, report codes and problem titles have all three; tests/unit/test_labels.py holds
them to it). Problem details and field messages: src/platform/messages.py."""

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


# Problem titles (RFC 9457 `title`) by problem code, in every supported language. The `en` title is the one
# the raising code names (AppError.title); these are what an Accept-Language of ru or ky answers with.
PROBLEM_TITLES: dict[str, dict[str, str]] = {
    "bad-request": {"en": "Bad request", "ru": "Неверный запрос", "ky": "Туура эмес суроо-талап"},
    "unauthorized": {
        "en": "Authentication required",
        "ru": "Требуется аутентификация",
        "ky": "Аутентификациядан өтүү талап кылынат",
    },
    "forbidden": {"en": "Not allowed", "ru": "Действие не разрешено", "ky": "Бул аракетке уруксат жок"},
    "not-found": {"en": "Not found", "ru": "Не найдено", "ky": "Табылган жок"},
    "method-not-allowed": {
        "en": "Method not allowed",
        "ru": "Метод не поддерживается",
        "ky": "Бул ыкма колдоого алынбайт",
    },
    "conflict": {"en": "Conflict", "ru": "Конфликт", "ky": "Маалыматтар карама-каршы келет"},
    "precondition-failed": {
        "en": "Precondition failed",
        "ru": "Условие не выполнено",
        "ky": "Алдын ала шарт аткарылган жок",
    },
    "payload-too-large": {
        "en": "Payload too large",
        "ru": "Слишком большой запрос",
        "ky": "Суроо-талап өтө чоң",
    },
    "unsupported-media-type": {
        "en": "Unsupported media type",
        "ru": "Неподдерживаемый тип содержимого",
        "ky": "Мазмундун бул түрү колдоого алынбайт",
    },
    "range-not-satisfiable": {
        "en": "Range not satisfiable",
        "ru": "Диапазон не может быть выдан",
        "ky": "Суралган диапазонду берүүгө мүмкүн эмес",
    },
    "validation-error": {
        "en": "Invalid request",
        "ru": "Некорректный запрос",
        "ky": "Суроо-талап туура эмес толтурулган",
    },
    "precondition-required": {
        "en": "Precondition required",
        "ru": "Требуется условие (If-Match)",
        "ky": "Алдын ала шарт (If-Match) талап кылынат",
    },
    "too-many-requests": {
        "en": "Too many requests",
        "ru": "Слишком много запросов",
        "ky": "Суроо-талаптар өтө көп",
    },
    "upload-interrupted": {
        "en": "Upload interrupted",
        "ru": "Загрузка прервана",
        "ky": "Файлды жүктөө үзгүлтүккө учурады",
    },
    "integrity-check-failed": {
        "en": "Stored data failed its integrity check",
        "ru": "Сохранённые данные не прошли проверку целостности",
        "ky": "Сакталган маалыматтар бүтүндүгүн текшерүүдөн өткөн жок",
    },
    "internal-error": {
        "en": "Internal server error",
        "ru": "Внутренняя ошибка сервера",
        "ky": "Сервердин ички катасы",
    },
    "service-unavailable": {
        "en": "Service unavailable",
        "ru": "Сервис недоступен",
        "ky": "Кызмат убактылуу жеткиликсиз",
    },
}


def problem_title(code: str, english: str, accept_language: str | None) -> str:
    language = negotiate(accept_language)
    if language == "en":
        return english
    return label({**PROBLEM_TITLES.get(code, {}), "en": english}, language)
