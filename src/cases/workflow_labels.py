"""The names of workflow states (src/cases/workflow.py) in en, ru and ky, and of the reopening request.

A state's code is what the API stores and takes; these are what a person reads. One name per code: a state
that several kinds share (intake, assistance) means the same step in each. tests/unit/test_labels.py holds
every state of every workflow, `closed` and `reopened` to all three languages.
"""

# ruff: noqa: E501  (a table: one state and its three labels a line)

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

from src.cases.taxonomies import LANGUAGES
from src.platform import i18n


def _parse(block: str) -> dict[str, dict[str, str]]:
    """Lines of `code | English | Russian | Kyrgyz`, every label non-empty."""
    entries: dict[str, dict[str, str]] = {}
    for line in block.strip().splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 1 + len(LANGUAGES) or not all(parts) or parts[0] in entries:
            raise ValueError(
                f"workflow state {line.strip()!r} is not a new `code | English | Russian | Kyrgyz`"
            )
        entries[parts[0]] = dict(zip(LANGUAGES, parts[1:], strict=True))
    return entries


STATE_LABELS = MappingProxyType(
    _parse(
        """
        intake | Intake | Приём обращения | Кайрылууну кабыл алуу
        triage | Triage | Первичная оценка | Алгачкы баалоо
        verification | Verification | Проверка сведений | Маалыматтарды текшерүү
        assistance | Assistance | Оказание помощи | Жардам көрсөтүү
        redress | Redress | Восстановление нарушенных прав | Бузулган укуктарды калыбына келтирүү
        screening | Screening | Предварительная проверка (скрининг) | Алдын ала текшерүү (скрининг)
        presumed_victim | Presumed victim of trafficking | Предполагаемая жертва торговли людьми | Адам сатуунун болжолдуу жабырлануучусу
        reflection_period | Reflection period | Период восстановления и размышления | Калыбына келүү жана ой жүгүртүү мезгили
        identified | Identified as a victim of trafficking | Признан(а) жертвой торговли людьми | Адам сатуунун жабырлануучусу деп таанылды
        not_a_victim | Not identified as a victim | Не признан(а) жертвой | Жабырлануучу деп таанылган жок
        return_or_integration | Return or integration | Возвращение или интеграция | Мекенге кайтуу же интеграция
        reintegration | Reintegration | Реинтеграция | Коомго кайра аралашуу (реинтеграция)
        detected | Child detected | Ребёнок выявлен | Бала аныкталды
        placed | Placed in care | Помещён(а) в учреждение | Мекемеге жайгаштырылды
        consulate_notified | Consulate notified | Консульское учреждение уведомлено | Консулдук мекемеге кабарланды
        identity_verified | Identity verified | Личность установлена | Инсандыгы тастыкталды
        family_traced | Family traced | Семья найдена | Үй-бүлөсү табылды
        return_accepted | Return agreed | Возвращение согласовано | Кайтаруу макулдашылды
        travel_document_issued | Travel document issued | Выдан документ на въезд (свидетельство на возвращение) | Кайтып келүү күбөлүгү берилди
        escorted_transfer | Escorted transfer | Передача в сопровождении | Коштоп жеткирүү
        handed_over | Handed over | Передан(а) законным представителям или органу опеки | Мыйзамдуу өкүлдөрүнө же камкордук органына өткөрүлүп берилди
        reunified | Reunited with the family | Воссоединён(а) с семьёй | Үй-бүлөсү менен кайра кошулду
        alternative_care | Alternative care | Альтернативный уход | Альтернативдик камкордук
        follow_up | Follow-up | Последующее сопровождение | Андан аркы көзөмөл
        closed | Closed | Закрыто | Жабылды
        reopened | Reopened | Возобновлено | Кайра ачылды
        """
    )
)


def state_labels(states: Iterable[str], language: str) -> dict[str, str]:
    """Each state's name in `language`; a state without one (none, tests say) goes unnamed."""
    return {state: i18n.label(STATE_LABELS[state], language) for state in states if state in STATE_LABELS}
