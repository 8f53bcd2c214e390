"""Invented Central Asian names for benchmark persons: Kyrgyz, Tajik, Uzbek and Russian roots, written the
ways intake writes them (Cyrillic, Latin transliterations, given name first or last, patronymics), each with
its skeleton. Deterministic; no real person's record."""

from __future__ import annotations

import random
from dataclasses import dataclass

from anyascii import anyascii

from src.cases import names

SURNAME_ROOTS = """
Айдарали Асан Бакир Жумабек Кадыр Токтогул Осмон Садык Мамат Абдыкадыр Ташбай Усен Исак Алиев Назар Юсуп
Каримов Рахим Хасан Турсун Ибрагим Шарип Эргаш Юлдаш Мирза Сафар Султан Абдулла Ахмед Бобо Норма Жээнбек
Сейтказы Маматкул Орозбай Токтосун Абдрахман Бекназар Калыков Бердибек Дуйшен Кенжебай Курманбек Мырзабек
Нурбек Сатыбалды Темирбек Шамшы Эсенбек Раззак Давлат Файзулла Хамид Шукур Эшмат Холмат Жура Кодир Ганиев
Мухаммад Тошпулат Умар Бахрам Нурали Рустам Фарход Джалол Ислом Латиф Мансур Набиев Олим Пулат Рахмон Саид
Толиб Убайд Хайдар Чори Шерали Эркин Ёкуб Зокир Иномжон Камол Лутфулла Махмуд Неъмат Обид Парвиз Расул Собир
""".split()  # noqa: SIM905 (easier to read and extend as prose)
MALE = """
Медетбек Азамат Бакыт Нурлан Жаныбек Эрмек Алмаз Мирлан Бектур Улугбек Шерали Фаррух Далер Бахтиёр Тимур
Айбек Канат Эркин Бахром Шахзод Алишер Рустам Анвар Бобур Жамшид Ислом Шавкат Дилшод Умед Зафар Ойбек Нодир
Акмал Санжар Болот Кубанычбек Темирлан Нуржан Чынгыз Абдумалик Парвиз Сухроб Хуршед Манучехр Фирдавс Саид
Мухаммад Азиз Жасур Исмоил Камол Отабек Улан Адилет Эмир Арслан Байэл Кайрат Марат Руслан
""".split()  # noqa: SIM905 (easier to read and extend as prose)
FEMALE = """
Айгуль Асель Гульнара Эльмира Жылдыз Нургуль Чолпон Бермет Айжан Гулнора Дилноза Зарина Мадина Нилуфар
Шахноза Камила Лола Наргиза Сайёра Зульфия Нодира Мунира Гавхар Рухшона Нигина Фируза Мехрона Тахмина
Садбарг Шахло Малика Севара Феруза Дильбар Айпери Айсулуу Бегимай Венера Динара Элнура Аида Адина Асема
Алина Жибек Нурайым Каныкей Толгонай Уулжан
""".split()  # noqa: SIM905 (easier to read and extend as prose)


@dataclass(frozen=True)
class BenchName:
    family_name: str | None
    given_name: str
    patronymic: str | None
    full_name: str
    name_key: str
    sex: str


def _surname(root: str, female: bool) -> str:
    base = root.removesuffix("ов").removesuffix("ев")
    ending = (
        "ев" if base.endswith(("й", "ш", "ж", "ч", "щ", "ц", "а", "о", "у", "ы", "и", "е", "я")) else "ов"
    )
    return base + ending + ("а" if female else "")


def pool(size: int, seed: int = 7) -> list[BenchName]:
    """`size` written names (the same person may appear under several spellings)."""
    rng = random.Random(seed)  # noqa: S311 (repeatable bench data, no secret)
    found: list[BenchName] = []
    while len(found) < size:
        female = rng.random() < 0.45
        given = rng.choice(FEMALE if female else MALE)
        family: str | None = _surname(rng.choice(SURNAME_ROOTS), female)
        patronymic: str | None = None
        style = rng.random()
        if style < 0.4:
            pass
        elif style < 0.7:
            family, given = anyascii(family or ""), anyascii(given)
        elif style < 0.85:
            family, patronymic = None, f"{rng.choice(MALE)} {'кызы' if female else 'уулу'}"
        else:
            family, given = anyascii(family or "").replace("y", "i"), anyascii(given).replace("y", "i")
        written = names.display_name(family, given, patronymic, None, "KG")
        found.append(
            BenchName(
                family, given, patronymic, written, names.skeleton(written), "female" if female else "male"
            )
        )
    return found
