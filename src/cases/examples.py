"""Examples the contract shows for the case bodies (requests and answers): made-up people, Moscow and
Yekaterinburg addresses, valid taxonomy codes; tests/test_contract.py checks each against its model. Kept
here so that the schemas stay readable."""

from __future__ import annotations

from pydantic import JsonValue

PERSON_IN_EXAMPLES: list[JsonValue] = [
    {
        "role": "witness",
        "family_name": "Петров",
        "given_name": "Иван",
        "patronymic": "Сергеевич",
        "sex": "male",
        "citizenship": "RU",
        "phone": "+7 912 345-67-89",
        "language": "ru",
    },
    {"role": "employer", "organization_name": "ООО «СтройМонтаж»"},
]

PERSON_PATCH_EXAMPLES: list[JsonValue] = [
    {"patronymic": "Бакыт кызы", "document": {"type": "passport", "number": "AN1234567"}},
]

VIOLATION_CHANGE_EXAMPLES: list[JsonValue] = [
    {
        "type": "physical_violence",
        "indicators": ["physical_sexual_violence", "intimidation_threats"],
        "started_on": "2026-10-03",
        "location": "г. Москва, ул. Люблинская, д. 12, кв. 5",
        "description": "Прораб ударил заявительницу, когда она потребовала зарплату за сентябрь.",
        "status": "reported",
        "perpetrator_id": "0193a1c5-8d21-7b6e-9c40-2f3a4b5c6d7e",
    }
]

VIOLATION_PATCH_EXAMPLES: list[JsonValue] = [{"status": "substantiated", "ended_on": "2026-11-15"}]

CONSENT_RECORD_IN_EXAMPLES: list[JsonValue] = [
    {
        "action": "given",
        "purposes": ["referral", "partner_data_sharing"],
        "given_by": "self",
        "on": "2026-11-20",
        "method": "signed_form",
        "note": "Подписано в консульском отделе в Москве.",
    },
    {
        "action": "withdrawn",
        "purposes": ["partner_data_sharing"],
        "given_by": "self",
        "on": "2026-11-27",
        "method": "oral_with_witness",
        "note": "Отозвано по телефону, свидетель — Иван Петров.",
    },
]

CASE_CREATE_EXAMPLES: list[JsonValue] = [
    {
        "kind": "abuse",
        "summary": "Работодатель на стройке в Москве третий месяц не платит зарплату и "
        "удерживает паспорт заявительницы.",
        "intake_channel": "hotline",
        "occurred": {"country": "RU", "region": "RU-MOW", "city": "Москва"},
        "subject": {
            "role": "subject",
            "family_name": "Токтогулова",
            "given_name": "Айгүл",
            "patronymic": "Бакытовна",
            "birth_date": "1994-03-17",
            "sex": "female",
            "citizenship": "KG",
            "document": {"type": "passport", "number": "AN1234567"},
            "phone": "+7 916 123-45-67",
            "language": "ky",
        },
        "persons": [{"role": "employer", "organization_name": "ООО «СтройМонтаж»"}],
        "violations": [
            {
                "type": "wage_theft",
                "indicators": ["withholding_wages"],
                "started_on": "2026-08-01",
                "location": "г. Москва, ул. Люблинская, д. 12",
                "perpetrator": 0,
            },
            {
                "type": "passport_confiscation",
                "indicators": ["retention_of_documents"],
                "started_on": "2026-08-01",
                "perpetrator": 0,
            },
        ],
        "consent": {
            "purposes": ["case_management", "referral", "partner_data_sharing"],
            "given_by": "self",
            "given_on": "2026-11-20",
        },
        "details": {
            "employer": {"name": "ООО «СтройМонтаж»", "sector": "F"},
            "wages_owed": {"amount": "240000.00", "currency": "RUB"},
            "documents_withheld": True,
        },
    },
    {
        "kind": "trafficking",
        "summary": "Вербовщик обещал работу на складе; в Екатеринбурге у заявителя забрали "
        "паспорт и заставляли работать по 14 часов без оплаты.",
        "intake_channel": "walk_in",
        "occurred": {"country": "RU", "region": "RU-SVE", "city": "Екатеринбург"},
        "subject": {
            "role": "subject",
            "family_name": "Исаев",
            "given_name": "Бакыт",
            "patronymic": "Жумабекович",
            "birth_date": "1998-06-02",
            "sex": "male",
            "citizenship": "KG",
            "document": {"type": "passport", "number": "AC7654321"},
            "phone": "+996 555 123 456",
            "language": "ru",
        },
        "persons": [{"role": "recruiter", "family_name": "Петров", "given_name": "Иван"}],
        "violations": [
            {
                "type": "forced_labour",
                "indicators": ["deception", "retention_of_documents", "excessive_overtime"],
                "started_on": "2026-09-10",
                "location": "г. Екатеринбург, ул. Малышева, д. 36",
                "perpetrator": 0,
            }
        ],
        "consent": {
            "purposes": ["case_management", "referral"],
            "given_by": "self",
            "given_on": "2026-11-18",
        },
        "details": {
            "trafficking_status": "possible",
            "exploitation": ["forced_labour"],
            "means_of_control": ["withholds_documents", "false_promises"],
            "recruiter_relation": "acquaintance",
            "recruitment_place": {"country": "KG", "region": "KG-O", "city": "Ош"},
            "exploitation_place": {"country": "RU", "region": "RU-SVE", "city": "Екатеринбург"},
        },
    },
]

CASE_PATCH_EXAMPLES: list[JsonValue] = [
    {
        "summary": "Работодатель не платит зарплату с августа и удерживает паспорт; паспорт "
        "вернули 27.11.2026.",
        "occurred": {"country": "RU", "region": "RU-MOW", "city": "Москва"},
    }
]

TRANSITION_IN_EXAMPLES: list[JsonValue] = [
    {
        "to": "triage",
        "reason": "Заявление принято: копия паспорта и переписка с работодателем в деле.",
    }
]

LEGAL_HOLD_IN_EXAMPLES: list[JsonValue] = [
    {"hold": True, "reason": "Иск о взыскании зарплаты в Люблинском районном суде г. Москвы."},
    {"hold": False},
]

ASSIGN_IN_EXAMPLES: list[JsonValue] = [{"assignee_id": "01938f30-1a2b-7c3d-8e4f-5a6b7c8d9e0f"}]

NOTE_IN_EXAMPLES: list[JsonValue] = [
    {
        "body": "Звонила Айгүл Токтогулова: работодатель вернул паспорт, зарплату за сентябрь и "
        "октябрь не выплатил. Готова дать показания инспекции труда."
    }
]

LINK_IN_EXAMPLES: list[JsonValue] = [
    {"case_id": "0193a1d0-3c4e-7f50-8b6c-7d8e9f0a1b2c", "type": "same_perpetrator"}
]

TRANSFER_IN_EXAMPLES: list[JsonValue] = [
    {
        "to_organization_id": "01938f2e-5b2c-7d4e-9f60-7b8c9d0e1f2a",
        "reason": "Заявитель переехал в Екатеринбург (ул. Малышева, д. 36): дело удобнее вести "
        "генеральному консульству там.",
    }
]

TRANSFER_DECISION_IN_EXAMPLES: list[JsonValue] = [{"note": "Принято: дело ведёт консул Бакыт Исаев."}]

CASE_READ_EXAMPLES: list[JsonValue] = [
    {
        "id": "0193a1c4-2b3d-7e4f-8a5b-6c7d8e9f0a1b",
        "reference": "ABU-2026-000042",
        "kind": "abuse",
        "status": "intake",
        "summary": "Работодатель на стройке в Москве третий месяц не платит зарплату и удерживает паспорт.",
        "intake_channel": "hotline",
        "occurred": {"country": "RU", "region": "RU-MOW", "city": "Москва"},
        "owner_organization_id": "01938f2e-4a1b-7c3d-8e5f-6a7b8c9d0e1f",
        "assignee_id": "01938f30-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "linked_case_id": None,
        "subject": {
            "id": "0193a1c4-2b3e-7a10-9b2c-3d4e5f6a7b8c",
            "role": "subject",
            "full_name": "Токтогулова Айгүл Бакытовна",
            "family_name": "Токтогулова",
            "given_name": "Айгүл",
            "patronymic": "Бакытовна",
            "organization_name": None,
            "name_parts_inferred": False,
            "birth_date": "1994-03-17",
            "sex": "female",
            "citizenship": "KG",
            "document": {"type": "passport", "number": "AN1234567"},
            "phone": "+7 916 123-45-67",
            "language": "ky",
        },
        "persons": [
            {
                "id": "0193a1c5-8d21-7b6e-9c40-2f3a4b5c6d7e",
                "role": "employer",
                "full_name": "ООО «СтройМонтаж»",
                "organization_name": "ООО «СтройМонтаж»",
                "birth_date": None,
                "sex": None,
                "citizenship": None,
                "document": None,
                "phone": None,
                "language": None,
            }
        ],
        "violations": [
            {
                "id": "0193a1c4-2b40-7c20-8d3e-4f5a6b7c8d9e",
                "type": "wage_theft",
                "indicators": ["withholding_wages"],
                "started_on": "2026-08-01",
                "ended_on": None,
                "location": "г. Москва, ул. Люблинская, д. 12",
                "description": None,
                "status": "reported",
                "perpetrator_id": "0193a1c5-8d21-7b6e-9c40-2f3a4b5c6d7e",
            }
        ],
        "consent": {
            "purposes": ["case_management", "partner_data_sharing", "referral"],
            "given_by": "self",
            "given_on": "2026-11-20",
        },
        "details": {
            "employer": {"name": "ООО «СтройМонтаж»", "sector": "F"},
            "wages_owed": {"amount": "240000.00", "currency": "RUB"},
            "documents_withheld": True,
        },
        "version": 3,
        "overdue": False,
        "due_at": "2026-12-04T09:15:00Z",
        "created_at": "2026-11-20T09:15:00Z",
        "updated_at": "2026-11-21T14:02:11Z",
        "legal_hold": False,
        "anonymised_at": None,
        "possible_duplicates": [
            {
                "case_id": "0193a1d0-3c4e-7f50-8b6c-7d8e9f0a1b2c",
                "reference": "ABU-2026-000017",
                "score": 0.91,
                "band": "likely",
                "reasons": ["given_name 1.00", "family_name 0.93", "birth_date exact"],
            }
        ],
    }
]

CASE_SUMMARY_EXAMPLES: list[JsonValue] = [
    {
        "id": "0193a1c4-2b3d-7e4f-8a5b-6c7d8e9f0a1b",
        "reference": "ABU-2026-000042",
        "kind": "abuse",
        "status": "intake",
        "owner_organization_id": "01938f2e-4a1b-7c3d-8e5f-6a7b8c9d0e1f",
        "assignee_id": "01938f30-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "occurred_country": "RU",
        "overdue": False,
        "due_at": "2026-12-04T09:15:00Z",
        "created_at": "2026-11-20T09:15:00Z",
        "subject_name": "Токтогулова Айгүл Бакыт кызы",
        "subject_age_band": "25-34",
    }
]

NOTE_READ_EXAMPLES: list[JsonValue] = [
    {
        "id": "0193a2e0-5f6a-7b70-8c8d-9e0f1a2b3c4d",
        "author_id": "01938f30-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "body": "Звонила Айгүл Токтогулова: работодатель вернул паспорт.",
        "created_at": "2026-11-27T10:30:00Z",
    }
]
