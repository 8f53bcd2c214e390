"""Controlled vocabularies (shared/reference/taxonomies.md), each code labelled in en, ru and ky.

Codes are stable snake_case and are what the API stores and validates. Every code carries all three labels,
written in the terms of the region's labour-migration and trafficking law and consular practice (Kyrgyz after
the laws "On External Labour Migration" and "On Preventing and Combating Trafficking in Persons"); a line
that lacks one fails at import. `src.platform.i18n.label` still falls back ky -> ru -> en for any other
labelled data.
"""

# ruff: noqa: E501  (the vocabularies are tables: one code and its three labels a line)

from __future__ import annotations

from types import MappingProxyType

LANGUAGES = ("en", "ru", "ky")


def _parse(name: str, block: str) -> dict[str, dict[str, str]]:
    """Lines of `code | English | Russian | Kyrgyz`, every label non-empty."""
    entries: dict[str, dict[str, str]] = {}
    for line in block.strip().splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 1 + len(LANGUAGES) or not all(parts):
            raise ValueError(f"taxonomy {name}: {line.strip()!r} is not `code | English | Russian | Kyrgyz`")
        code, *labels = parts
        if code in entries:
            raise ValueError(f"taxonomy {name}: {code} appears twice")
        entries[code] = dict(zip(LANGUAGES, labels, strict=True))
    return entries


_RAW = {
    "case_kind": """
        abuse | Abuse of a labour migrant | Нарушение прав трудового мигранта | Эмгек мигрантынын укуктарын бузуу
        child_return | Return of a child left without care | Возвращение ребёнка, оставшегося без попечения | Ата-эненин камкордугусуз калган баланы кайтаруу
        trafficking | Trafficking in persons | Торговля людьми | Адам сатуу
    """,
    "violation_type": """
        wage_theft | Wage theft | Невыплата заработной платы | Эмгек акыны төлөбөй коюу
        passport_confiscation | Passport confiscation | Изъятие паспорта | Паспортту тартып алуу
        physical_violence | Physical violence | Физическое насилие | Физикалык зомбулук
        sexual_violence | Sexual violence | Сексуальное насилие | Сексуалдык зомбулук
        threats | Threats | Угрозы | Коркутуу
        forced_labour | Forced labour | Принудительный труд | Мажбурлап иштетүү
        debt_bondage | Debt bondage | Долговая кабала | Карыз кулчулугу
        excessive_hours | Excessive working hours | Чрезмерная продолжительность работы | Ашыкча узак иш убактысы
        unsafe_conditions | Unsafe working conditions | Небезопасные условия труда | Коопсуз эмес эмгек шарттары
        unlawful_detention | Unlawful detention | Незаконное задержание | Мыйзамсыз кармоо
        unlawful_expulsion | Unlawful expulsion | Незаконное выдворение | Өлкөдөн мыйзамсыз чыгарып жиберүү
        denial_of_consular_access | Denial of consular access | Отказ в консульском доступе | Консулга жолугууга жол бербөө
        extortion_by_officials | Extortion by officials | Вымогательство со стороны должностных лиц | Кызмат адамдарынын опузалап талап кылуусу
        discrimination | Discrimination | Дискриминация | Басмырлоо
        fraudulent_recruitment | Fraudulent recruitment | Мошеннический наём | Алдамчылык жолу менен жалдоо
        sexual_exploitation | Sexual exploitation | Сексуальная эксплуатация | Сексуалдык эксплуатациялоо
        forced_begging | Forced begging | Принуждение к попрошайничеству | Кайырчылыкка мажбурлоо
        forced_marriage | Forced marriage | Принудительный брак | Мажбурлап нике кыюу
        organ_removal | Organ removal | Изъятие органов | Адамдын органдарын алуу
        child_labour | Child labour | Детский труд | Балдар эмгеги
        child_abandonment | Child left without care | Оставление ребёнка без попечения | Баланы камкордуксуз калтыруу
        other | Other | Другое | Башка
    """,
    "ilo_indicator": """
        abuse_of_vulnerability | Abuse of vulnerability | Злоупотребление уязвимостью | Аярлуу абалынан кыянаттык менен пайдалануу
        deception | Deception | Обман | Алдоо
        restriction_of_movement | Restriction of movement | Ограничение свободы передвижения | Жүрүп-туруу эркиндигин чектөө
        isolation | Isolation | Изоляция | Обочолонтуу
        physical_sexual_violence | Physical and sexual violence | Физическое и сексуальное насилие | Физикалык жана сексуалдык зомбулук
        intimidation_threats | Intimidation and threats | Запугивание и угрозы | Кысым көрсөтүү жана коркутуу
        retention_of_documents | Retention of identity documents | Удержание документов | Инсандыгын тастыктаган документтерди кармап калуу
        withholding_wages | Withholding of wages | Удержание заработной платы | Эмгек акыны кармап калуу
        debt_bondage | Debt bondage | Долговая кабала | Карыз кулчулугу
        abusive_conditions | Abusive working and living conditions | Жестокие условия труда и проживания | Адамгерчиликсиз эмгек жана жашоо шарттары
        excessive_overtime | Excessive overtime | Чрезмерная сверхурочная работа | Ченемден ашык иштетүү
    """,
    "trafficking_status": """
        possible | Possible victim | Возможная жертва | Болжолдуу жабырлануучу
        actual | Identified victim | Установленная жертва | Аныкталган жабырлануучу
        not_a_victim | Not a victim | Не является жертвой | Жабырлануучу эмес
    """,
    "trafficking_decided_by": """
        police | Police | Полиция | Милиция (полиция)
        ngo | NGO | НКО | Өкмөттүк эмес уюм
        court_or_prosecution | Court or prosecution | Суд или прокуратура | Сот же прокуратура
        other_government | Other government body | Иной государственный орган | Башка мамлекеттик орган
        other | Other | Другое | Башка
    """,
    "exploitation": """
        forced_labour | Forced labour | Принудительный труд | Мажбурлап иштетүү
        sexual_exploitation | Sexual exploitation | Сексуальная эксплуатация | Сексуалдык эксплуатациялоо
        child_labour | Child labour | Детский труд | Балдар эмгеги
        forced_marriage | Forced marriage | Принудительный брак | Мажбурлап нике кыюу
        servitude | Servitude | Подневольное состояние | Эрксиз кызматчылык абалы
        forced_begging | Forced begging | Принуждение к попрошайничеству | Кайырчылыкка мажбурлоо
        organ_removal | Organ removal | Изъятие органов | Адамдын органдарын алуу
        other | Other | Другое | Башка
    """,
    "means_of_control": """
        debt_bondage | Debt bondage | Долговая кабала | Карыз кулчулугу
        takes_earnings | Takes earnings | Отбирает заработок | Тапкан акчасын тартып алат
        restricts_financial_access | Restricts access to money | Ограничивает доступ к деньгам | Акчасын колдонууга жол бербейт
        threats | Threats | Угрозы | Коркутуу
        threat_of_law_enforcement | Threatens with the police | Угрозы обращением в полицию | Милицияга (полицияга) кайрылам деп коркутат
        threatens_family | Threatens the family | Угрозы семье | Үй-бүлөсүн коркутат
        psychological_abuse | Psychological abuse | Психологическое насилие | Психологиялык зомбулук
        physical_abuse | Physical abuse | Физическое насилие | Физикалык зомбулук
        sexual_abuse | Sexual abuse | Сексуальное насилие | Сексуалдык зомбулук
        false_promises | False promises | Ложные обещания | Жалган убадалар
        psychoactive_substances | Psychoactive substances | Психоактивные вещества | Психоактивдүү заттар
        restricts_movement | Restricts movement | Ограничивает передвижение | Жүрүп-турушун чектейт
        restricts_medical_care | Restricts medical care | Ограничивает медицинскую помощь | Медициналык жардам алуусун чектейт
        excessive_working_hours | Excessive working hours | Чрезмерная продолжительность работы | Ашыкча узак иш убактысы
        withholds_necessities | Withholds necessities | Лишает предметов первой необходимости | Турмушка эң зарыл нерселерден ажыратат
        withholds_documents | Withholds documents | Удерживает документы | Документтерин кармап калат
        other | Other | Другое | Башка
    """,
    "recruiter_relation": """
        family | Family member | Член семьи | Үй-бүлө мүчөсү
        intimate_partner | Intimate partner | Интимный партнёр | Жакын мамиледеги өнөктөш
        friend | Friend | Друг | Дос
        acquaintance | Acquaintance | Знакомый | Тааныш
        stranger | Stranger | Незнакомец | Бейтааныш адам
        unknown | Unknown | Неизвестно | Белгисиз
    """,
    "intake_channel": """
        hotline | Hotline | Горячая линия | Ысык линия
        walk_in | Walk-in | Личное обращение | Жеке кайрылуу
        online | Online | Онлайн | Интернет аркылуу
        partner_referral | Referral by a partner | Направление от партнёра | Өнөктөштүн жолдомосу
        media_monitoring | Media monitoring | Мониторинг СМИ | ЖМК мониторинги
        consular_outreach | Consular outreach | Консульский выезд | Консулдук көчмө кабыл алуу
        diaspora | Diaspora | Диаспора | Мекендештер коому (диаспора)
        other | Other | Другое | Башка
    """,
    "person_role": """
        subject | Subject of the case | Заявитель | Арыз ээси
        victim | Victim | Пострадавший | Жабырлануучу
        child | Child | Ребёнок | Бала
        parent | Parent | Родитель | Ата-эне
        guardian | Guardian | Опекун | Камкорчу
        witness | Witness | Свидетель | Күбө
        perpetrator | Perpetrator | Нарушитель | Укук бузуучу
        employer | Employer | Работодатель | Иш берүүчү
        recruiter | Recruiter | Вербовщик | Жалдоочу
        escort | Escort | Сопровождающий | Коштоп жүрүүчү
    """,
    "service": """
        legal_aid | Legal aid | Юридическая помощь | Юридикалык жардам
        shelter | Shelter | Убежище | Баш калкалоочу жай
        medical | Medical care | Медицинская помощь | Медициналык жардам
        psychosocial | Psychosocial support | Психосоциальная поддержка | Психосоциалдык колдоо
        documentation | Documents | Документы | Документтерди тариздөө
        repatriation | Repatriation | Репатриация | Мекенине кайтаруу
        family_tracing | Family tracing | Розыск семьи | Үй-бүлөсүн издөө
        interpretation | Interpretation | Устный перевод | Оозеки котормо
        financial_aid | Financial aid | Материальная помощь | Материалдык жардам
        employment | Employment | Трудоустройство | Жумушка орноштуруу
        education | Education | Образование | Билим берүү
        reintegration | Reintegration | Реинтеграция | Коомго кайра аралашуу (реинтеграция)
    """,
    "share_group": """
        basic | Basic: given name, age band, sex, citizenship, language | Основное: имя, возрастная группа, пол, гражданство, язык | Негизги: аты, жаш курагы, жынысы, жарандыгы, тили
        identity | Identity (full name, birth date) | Личность (ФИО, дата рождения) | Инсандыгы (толук аты-жөнү, туулган күнү)
        contact | Contact details | Контакты | Байланыш маалыматтары
        document | Identity document | Документ, удостоверяющий личность | Инсандыгын тастыктаган документ
        narrative | Narrative | Описание | Окуянын баяндамасы
        violations | Violations | Нарушения | Укук бузуулар
        child_details | Child details | Сведения о ребёнке | Бала жөнүндө маалымат
    """,
    "redress_forum": """
        court | Court | Суд | Сот
        labour_inspectorate | Labour inspectorate | Трудовая инспекция | Эмгек инспекциясы
        prosecutor | Prosecutor's office | Прокуратура | Прокуратура органдары
        police | Police | Полиция | Милиция (полиция)
        employer_negotiation | Negotiation with the employer | Переговоры с работодателем | Иш берүүчү менен сүйлөшүүлөр
        diplomatic_note | Diplomatic note | Дипломатическая нота | Дипломатиялык нота
        joint_commission | Joint commission | Совместная комиссия | Биргелешкен комиссия
        ombudsman | Ombudsman | Омбудсмен | Акыйкатчы (омбудсмен)
        other | Other | Другое | Башка
    """,
    "redress_status": """
        planned | Planned | Запланировано | Пландаштырылган
        filed | Filed | Подано | Берилген
        in_progress | In progress | В работе | Каралууда
        granted | Granted | Удовлетворено | Канааттандырылган
        partially_granted | Partially granted | Удовлетворено частично | Жарым-жартылай канааттандырылган
        denied | Denied | Отказано | Баш тартылган
        settled | Settled | Урегулировано | Жөнгө салынган
        withdrawn | Withdrawn | Отозвано | Кайра чакыртылып алынган
    """,
    "consent_purpose": """
        case_management | Case management | Ведение дела | Ишти жүргүзүү
        referral | Referral to partners | Направление к партнёрам | Өнөктөштөргө жолдоо
        partner_data_sharing | Sharing data with partners | Передача данных партнёрам | Маалыматтарды өнөктөштөргө берүү
        anonymised_statistics | Anonymised statistics | Обезличенная статистика | Деперсоналдаштырылган статистика
    """,
    "consent_given_by": """
        self | The person | Сам человек | Адамдын өзү
        parent_or_guardian | Parent or guardian | Родитель или опекун | Ата-энеси же камкорчусу
        best_interests_authority | Best-interests authority | Орган опеки (наилучшие интересы) | Камкордук органы (баланын кызыкчылыгы)
    """,
    "isic_section": """
        A | Agriculture, forestry and fishing | Сельское, лесное и рыбное хозяйство | Айыл, токой жана балык чарбасы
        B | Mining and quarrying | Добыча полезных ископаемых | Кен казып алуу
        C | Manufacturing | Обрабатывающие производства | Иштетүү өнөр жайы
        D | Electricity and gas supply | Электро- и газоснабжение | Электр энергиясы жана газ менен камсыздоо
        E | Water supply and waste management | Водоснабжение и утилизация отходов | Суу менен камсыздоо жана калдыктарды утилдештирүү
        F | Construction | Строительство | Курулуш
        G | Wholesale and retail trade | Торговля | Дүң жана чекене соода
        H | Transportation and storage | Транспортировка и хранение | Ташуу жана сактоо
        I | Accommodation and food service | Гостиницы и общественное питание | Мейманканалар жана коомдук тамактануу
        J | Information and communication | Информация и связь | Маалымат жана байланыш
        K | Financial and insurance activities | Финансы и страхование | Каржы жана камсыздандыруу
        L | Real estate | Операции с недвижимостью | Кыймылсыз мүлк менен операциялар
        M | Professional and scientific activities | Профессиональная и научная деятельность | Кесиптик жана илимий иш
        N | Administrative and support services | Административная деятельность | Административдик жана көмөкчү кызматтар
        O | Public administration | Государственное управление | Мамлекеттик башкаруу
        P | Education | Образование | Билим берүү
        Q | Health and social work | Здравоохранение и социальные услуги | Саламаттыкты сактоо жана социалдык кызматтар
        R | Arts and recreation | Культура и отдых | Маданият жана эс алуу
        S | Other services | Прочие услуги | Башка кызматтар
        T | Households as employers | Домашние хозяйства как работодатели | Иш берүүчү катары үй чарбалары
        U | Extraterritorial organizations | Экстерриториальные организации | Экстерриториялык уюмдар
    """,
    "attachment_category": """
        passport_or_id | Passport or ID document | Паспорт или удостоверение личности | Паспорт же инсандык күбөлүк
        contract | Contract | Договор | Келишим
        wage_or_payment_record | Wage or payment record | Расчётный листок или платёжный документ | Эмгек акы баракчасы же төлөм документи
        photo | Photo | Фотография | Сүрөт
        medical_record | Medical record | Медицинский документ | Медициналык документ
        police_or_court_document | Police or court document | Документ полиции или суда | Милициянын (полициянын) же соттун документи
        message_screenshot | Screenshot of messages | Снимок экрана с перепиской | Кат алышуунун скриншоту
        audio_or_video_testimony | Audio or video testimony | Аудио- или видеопоказания | Аудио же видео көрсөтмө
        other | Other | Другое | Башка
    """,
    "sex": """
        female | Female | Женский | Аял
        male | Male | Мужской | Эркек
        unknown | Unknown | Неизвестно | Белгисиз
    """,
}

TAXONOMIES = MappingProxyType({name: _parse(name, block) for name, block in _RAW.items()})


def codes(name: str) -> frozenset[str]:
    return frozenset(TAXONOMIES[name])
