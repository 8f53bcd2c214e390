"""Names, in en, ru and ky, of the codes reports carry that no taxonomy or workflow names: the kinds of
organization a referral goes to, and the outcome columns of the referral and redress reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from src.cases.taxonomies import TAXONOMIES
from src.cases.workflow_labels import STATE_LABELS
from src.platform import i18n


def _labels(en: str, ru: str, ky: str) -> dict[str, str]:
    return {"en": en, "ru": ru, "ky": ky}


# src/auth/models.py ORGANIZATION_KINDS
ORGANIZATION_KINDS = MappingProxyType(
    {
        "ministry": _labels("Ministry", "Министерство", "Министрлик"),
        "consulate": _labels("Consulate", "Консульское учреждение", "Консулдук мекеме"),
        "partner": _labels("Partner organization", "Партнёрская организация", "Өнөктөш уюм"),
        "oversight": _labels("Oversight body", "Надзорный орган", "Көзөмөл органы"),
    }
)

# src/reports/schemas.py REFERRAL_OUTCOMES: the referral report's count columns.
REFERRAL_OUTCOMES = MappingProxyType(
    {
        "pending": _labels("Awaiting a decision", "Ожидает решения", "Чечим күтүүдө"),
        "accepted": _labels("Accepted", "Принято", "Кабыл алынды"),
        "completed": _labels("Completed", "Выполнено", "Аткарылды"),
        "declined": _labels("Declined", "Отклонено", "Четке кагылды"),
        "withdrawn": _labels("Withdrawn", "Отозвано", "Кайра чакыртылып алынды"),
        "expired": _labels("Expired", "Срок истёк", "Мөөнөтү өттү"),
    }
)

# src/reports/schemas.py REDRESS_OUTCOMES: the redress report's count columns.
REDRESS_OUTCOMES = MappingProxyType(
    {
        "planned": _labels("Planned", "Запланировано", "Пландаштырылган"),
        "filed": _labels("Filed, awaiting a decision", "Подано, ожидает решения", "Берилди, чечим күтүүдө"),
        "granted": _labels(
            "Granted, partially granted or settled",
            "Удовлетворено полностью или частично, урегулировано",
            "Толук же жарым-жартылай канааттандырылды, жөнгө салынды",
        ),
        "denied": _labels("Denied", "Отказано", "Баш тартылды"),
        "withdrawn": _labels("Withdrawn", "Отозвано", "Кайра чакыртылып алынды"),
    }
)


def named(table: Mapping[str, Mapping[str, str]], codes: Iterable[str], language: str) -> dict[str, str]:
    """The name in `language` of each of `codes` that `table` names."""
    return {code: i18n.label(table[code], language) for code in codes if code in table}


def of_taxonomy(taxonomy: str, language: str) -> dict[str, str]:
    return named(TAXONOMIES[taxonomy], TAXONOMIES[taxonomy], language)


def of_states(language: str) -> dict[str, str]:
    return named(STATE_LABELS, STATE_LABELS, language)
