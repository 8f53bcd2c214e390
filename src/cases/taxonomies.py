"""Controlled vocabularies (shared/reference/taxonomies.md) with labels in en and ru; ky falls back to ru
until translated. Codes are stable snake_case and are what the API stores and validates."""

from __future__ import annotations

from types import MappingProxyType


def _parse(block: str) -> dict[str, dict[str, str]]:
    """Lines of `code | English | Russian`; an empty English label is made from the code."""
    entries: dict[str, dict[str, str]] = {}
    for line in block.strip().splitlines():
        code, en, ru = (part.strip() for part in line.split("|"))
        entries[code] = {"en": en or code.replace("_", " ").capitalize(), "ru": ru}
    return entries


_RAW = {
    "case_kind": """
        abuse | Abuse of a labour migrant | Нарушение прав трудового мигранта
        child_return | Return of a child left without care | Возвращение ребёнка, оставшегося без попечения
        trafficking | Trafficking in persons | Торговля людьми
    """,
    "violation_type": """
        wage_theft | Wage theft | Невыплата заработной платы
        passport_confiscation | | Изъятие паспорта
        physical_violence | | Физическое насилие
        sexual_violence | | Сексуальное насилие
        threats | | Угрозы
        forced_labour | | Принудительный труд
        debt_bondage | | Долговая кабала
        excessive_hours | Excessive working hours | Чрезмерная продолжительность работы
        unsafe_conditions | Unsafe working conditions | Небезопасные условия труда
        unlawful_detention | | Незаконное задержание
        unlawful_expulsion | | Незаконное выдворение
        denial_of_consular_access | | Отказ в консульском доступе
        extortion_by_officials | | Вымогательство со стороны должностных лиц
        discrimination | | Дискриминация
        fraudulent_recruitment | | Мошеннический наём
        sexual_exploitation | | Сексуальная эксплуатация
        forced_begging | | Принуждение к попрошайничеству
        forced_marriage | | Принудительный брак
        organ_removal | | Изъятие органов
        child_labour | | Детский труд
        child_abandonment | Child left without care | Оставление ребёнка без попечения
        other | | Другое
    """,
    "ilo_indicator": """
        abuse_of_vulnerability | | Злоупотребление уязвимостью
        deception | | Обман
        restriction_of_movement | | Ограничение свободы передвижения
        isolation | | Изоляция
        physical_sexual_violence | Physical and sexual violence | Физическое и сексуальное насилие
        intimidation_threats | Intimidation and threats | Запугивание и угрозы
        retention_of_documents | Retention of identity documents | Удержание документов
        withholding_wages | Withholding of wages | Удержание заработной платы
        debt_bondage | | Долговая кабала
        abusive_conditions | Abusive working and living conditions | Жестокие условия труда и проживания
        excessive_overtime | | Чрезмерная сверхурочная работа
    """,
    "trafficking_status": """
        possible | Possible victim | Возможная жертва
        actual | Identified victim | Установленная жертва
        not_a_victim | Not a victim | Не является жертвой
    """,
    "trafficking_decided_by": """
        police | | Полиция
        ngo | NGO | НКО
        court_or_prosecution | Court or prosecution | Суд или прокуратура
        other_government | Other government body | Иной государственный орган
        other | | Другое
    """,
    "exploitation": """
        forced_labour | | Принудительный труд
        sexual_exploitation | | Сексуальная эксплуатация
        child_labour | | Детский труд
        forced_marriage | | Принудительный брак
        servitude | | Подневольное состояние
        forced_begging | | Принуждение к попрошайничеству
        organ_removal | | Изъятие органов
        other | | Другое
    """,
    "means_of_control": """
        debt_bondage | | Долговая кабала
        takes_earnings | Takes earnings | Отбирает заработок
        restricts_financial_access | Restricts access to money | Ограничивает доступ к деньгам
        threats | | Угрозы
        threat_of_law_enforcement | Threatens with the police | Угрозы обращением в полицию
        threatens_family | Threatens the family | Угрозы семье
        psychological_abuse | | Психологическое насилие
        physical_abuse | | Физическое насилие
        sexual_abuse | | Сексуальное насилие
        false_promises | | Ложные обещания
        psychoactive_substances | Psychoactive substances | Психоактивные вещества
        restricts_movement | Restricts movement | Ограничивает передвижение
        restricts_medical_care | Restricts medical care | Ограничивает медицинскую помощь
        excessive_working_hours | | Чрезмерная продолжительность работы
        withholds_necessities | Withholds necessities | Лишает предметов первой необходимости
        withholds_documents | Withholds documents | Удерживает документы
        other | | Другое
    """,
    "recruiter_relation": """
        family | Family member | Член семьи
        intimate_partner | | Интимный партнёр
        friend | | Друг
        acquaintance | | Знакомый
        stranger | | Незнакомец
        unknown | | Неизвестно
    """,
    "intake_channel": """
        hotline | | Горячая линия
        walk_in | Walk-in | Личное обращение
        online | | Онлайн
        partner_referral | Referral by a partner | Направление от партнёра
        media_monitoring | | Мониторинг СМИ
        consular_outreach | | Консульский выезд
        diaspora | | Диаспора
        other | | Другое
    """,
    "person_role": """
        subject | | Заявитель
        victim | | Пострадавший
        child | | Ребёнок
        parent | | Родитель
        guardian | | Опекун
        witness | | Свидетель
        perpetrator | | Нарушитель
        employer | | Работодатель
        recruiter | | Вербовщик
        escort | | Сопровождающий
    """,
    "service": """
        legal_aid | | Юридическая помощь
        shelter | | Убежище
        medical | Medical care | Медицинская помощь
        psychosocial | Psychosocial support | Психосоциальная поддержка
        documentation | Documents | Документы
        repatriation | | Репатриация
        family_tracing | | Розыск семьи
        interpretation | | Устный перевод
        financial_aid | | Материальная помощь
        employment | | Трудоустройство
        education | | Образование
        reintegration | | Реинтеграция
    """,
    "share_group": """
        basic | Basic: given name, age band, sex, citizenship, language | Основное: имя, возраст, пол, язык
        identity | Identity (full name, birth date) | Личность (ФИО, дата рождения)
        contact | | Контакты
        document | Identity document | Документ, удостоверяющий личность
        narrative | | Описание
        violations | | Нарушения
        child_details | | Сведения о ребёнке
    """,
    "redress_forum": """
        court | | Суд
        labour_inspectorate | | Трудовая инспекция
        prosecutor | | Прокуратура
        police | | Полиция
        employer_negotiation | Negotiation with the employer | Переговоры с работодателем
        diplomatic_note | | Дипломатическая нота
        joint_commission | | Совместная комиссия
        ombudsman | | Омбудсмен
        other | | Другое
    """,
    "redress_status": """
        planned | | Запланировано
        filed | | Подано
        in_progress | | В работе
        granted | | Удовлетворено
        partially_granted | | Удовлетворено частично
        denied | | Отказано
        settled | | Урегулировано
        withdrawn | | Отозвано
    """,
    "consent_purpose": """
        case_management | | Ведение дела
        referral | | Направление к партнёрам
        partner_data_sharing | Sharing data with partners | Передача данных партнёрам
        anonymised_statistics | | Обезличенная статистика
    """,
    "consent_given_by": """
        self | The person | Сам человек
        parent_or_guardian | | Родитель или опекун
        best_interests_authority | Best-interests authority | Орган опеки (наилучшие интересы)
    """,
    "isic_section": """
        A | Agriculture, forestry and fishing | Сельское, лесное и рыбное хозяйство
        B | Mining and quarrying | Добыча полезных ископаемых
        C | Manufacturing | Обрабатывающие производства
        D | Electricity and gas supply | Электро- и газоснабжение
        E | Water supply and waste management | Водоснабжение и утилизация отходов
        F | Construction | Строительство
        G | Wholesale and retail trade | Торговля
        H | Transportation and storage | Транспортировка и хранение
        I | Accommodation and food service | Гостиницы и общественное питание
        J | Information and communication | Информация и связь
        K | Financial and insurance activities | Финансы и страхование
        L | Real estate | Операции с недвижимостью
        M | Professional and scientific activities | Профессиональная и научная деятельность
        N | Administrative and support services | Административная деятельность
        O | Public administration | Государственное управление
        P | Education | Образование
        Q | Health and social work | Здравоохранение и социальные услуги
        R | Arts and recreation | Культура и отдых
        S | Other services | Прочие услуги
        T | Households as employers | Домашние хозяйства как работодатели
        U | Extraterritorial organizations | Экстерриториальные организации
    """,
    "attachment_category": """
        passport_or_id | Passport or ID document | Паспорт или удостоверение личности
        contract | Contract | Договор
        wage_or_payment_record | Wage or payment record | Расчётный листок или платёжный документ
        photo | Photo | Фотография
        medical_record | Medical record | Медицинский документ
        police_or_court_document | Police or court document | Документ полиции или суда
        message_screenshot | Screenshot of messages | Снимок экрана с перепиской
        audio_or_video_testimony | Audio or video testimony | Аудио- или видеопоказания
        other | | Другое
    """,
    "sex": """
        female | | Женский
        male | | Мужской
        unknown | | Неизвестно
    """,
}

TAXONOMIES = MappingProxyType({name: _parse(block) for name, block in _RAW.items()})


def codes(name: str) -> frozenset[str]:
    return frozenset(TAXONOMIES[name])
