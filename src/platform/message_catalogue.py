"""The texts of src/platform/messages.py: problem details and field messages in en, ru and ky.

Russian follows the terms of Russian and Kyrgyz legal practice; Kyrgyz the terms of the Kyrgyz laws "On
External Labour Migration" and "On Preventing and Combating Trafficking in Persons" and of consular practice
(эмгек мигранты, адам сатуу, жабырлануучу, консулдук мекеме, жолдомо). Codes, field names and HTTP terms
stay as the API spells them.
"""

# ruff: noqa: E501  (tables: one message and its translations a line)

from __future__ import annotations

# `English | Russian | Kyrgyz`, a message a line: the English exactly as src/ raises it, `{0}`, `{1}`... for
# its dynamic parts in their English order (an f-string's holes). Lines starting with # are comments.
DETAILS = """
    # ---- authentication and tokens ----
    A bearer token is required. | Требуется токен доступа (Bearer). | Кирүү токени (Bearer) талап кылынат.
    A requested scope is not allowed for this account. | Запрошенная область доступа не разрешена для этой учётной записи. | Суралган кирүү чөйрөсүнө бул эсептик жазуу үчүн уруксат жок.
    A requested scope is not allowed for this client. | Запрошенная область доступа не разрешена для этого клиента. | Суралган кирүү чөйрөсүнө бул кардар үчүн уруксат жок.
    Refresh token already used; the session is revoked. | Токен обновления уже использован; сеанс отозван. | Жаңылоо токени мурда колдонулган; сеанс жокко чыгарылды.
    Sign-in fields may not hold control characters. | Поля входа не могут содержать управляющие символы. | Кирүү талааларында башкаруучу белгилер болбошу керек.
    The account is disabled. | Учётная запись отключена. | Эсептик жазуу өчүрүлгөн.
    The password must differ from the username. | Пароль должен отличаться от имени пользователя. | Сырсөз колдонуучунун атынан айырмаланышы керек.
    The refresh token is expired or revoked. | Срок действия токена обновления истёк, или он отозван. | Жаңылоо токенинин мөөнөтү бүткөн же ал жокко чыгарылган.
    The token expired. Ask for a new one: POST /v1/auth/token with grant_type=refresh_token and your refresh token, or sign in again. | Срок действия токена истёк. Получите новый: POST /v1/auth/token с grant_type=refresh_token и вашим токеном обновления, или войдите заново. | Токендин мөөнөтү бүттү. Жаңысын алыңыз: POST /v1/auth/token, grant_type=refresh_token жана жаңылоо токениңиз менен, же системага кайра кириңиз.
    The token is no longer valid. | Токен больше не действителен. | Токен мындан ары жарактуу эмес.
    The token is not valid. | Токен недействителен. | Токен жарактуу эмес.
    Too many failed sign-ins; try again later. | Слишком много неудачных попыток входа; повторите позже. | Системага кирүүнүн ийгиликсиз аракеттери өтө көп; кийинчерээк кайталаңыз.
    Unknown client or wrong secret. | Неизвестный клиент или неверный секрет. | Белгисиз кардар же жашыруун ачкыч туура эмес.
    Unknown refresh token. | Неизвестный токен обновления. | Белгисиз жаңылоо токени.
    Use password, client_credentials or refresh_token. | Используйте password, client_credentials или refresh_token. | password, client_credentials же refresh_token колдонуңуз.
    Wrong username or password. | Неверное имя пользователя или пароль. | Колдонуучунун аты же сырсөз туура эмес.
    client_id and client_secret are required. | Требуются client_id и client_secret. | client_id жана client_secret талап кылынат.
    refresh_token is required. | Требуется refresh_token. | refresh_token талап кылынат.
    username and password are required. | Требуются имя пользователя и пароль. | Колдонуучунун аты жана сырсөз талап кылынат.
    This username is taken. | Это имя пользователя уже занято. | Бул колдонуучу аты мурда эле катталган.
    The role '{0}' does not fit an organization of kind '{1}'. | Роль «{0}» не подходит для организации вида «{1}». | «{0}» ролу «{1}» түрүндөгү уюмга туура келбейт.
    An organization with this name, or one that looks like it, exists. | Организация с таким или похожим названием уже существует. | Ушундай же ага окшош аталыштагы уюм мурда эле бар.
    password equals username | пароль совпадает с именем пользователя | сырсөз колдонуучунун аты менен бирдей
    password is too simple | пароль слишком простой | сырсөз өтө жөнөкөй
    role does not fit the organization's kind | роль не подходит для вида организации | ролу уюмдун түрүнө туура келбейт
    Your token may not write referrals. | Ваш токен не даёт права создавать направления. | Сиздин токениңиз жолдомо түзүүгө укук бербейт.
    # ---- permissions ----
    Your role may not do this. | Ваша роль не даёт права на это действие. | Сиздин ролуңуз бул аракетке укук бербейт.
    Your role may not open cases. | Ваша роль не даёт права заводить дела. | Сиздин ролуңуз иш ачууга укук бербейт.
    Your role may not read the audit trail. | Ваша роль не даёт права читать журнал аудита. | Сиздин ролуңуз аудит журналын окууга укук бербейт.
    Your role may not move a case to '{0}'. | Ваша роль не даёт права перевести дело в состояние «{0}». | Сиздин ролуңуз ишти «{0}» абалына которууга укук бербейт.
    You may not change this case. | Вы не можете изменять это дело. | Бул ишти өзгөртүүгө укугуңуз жок.
    You may not refer this case. | Вы не можете направить это дело. | Бул иш боюнча жолдомо берүүгө укугуңуз жок.
    You may not add notes to this case. | Вы не можете добавлять заметки к этому делу. | Бул ишке эскертме кошууга укугуңуз жок.
    You may not link this case. | Вы не можете связывать это дело. | Бул ишти башка иш менен байланыштырууга укугуңуз жок.
    A supervisor of the owning consulate exports. | Выгрузку делает руководитель консульского учреждения, ведущего дело. | Ишти жүргүзгөн консулдук мекеменин жетекчиси гана экспорттойт.
    A supervisor withdraws referrals. | Направления отзывает руководитель. | Жолдомону жетекчи гана кайра чакыртып алат.
    Coordinators add legal instruments. | Правовые документы добавляют координаторы. | Укуктук документтерди координаторлор гана кошот.
    Coordinators and oversight bodies read reports. | Отчёты читают координаторы и надзорные органы. | Отчетторду координаторлор жана көзөмөл органдары гана окуйт.
    Only the ministry's coordinators export HTCDS records. | Записи HTCDS выгружают только координаторы министерства. | HTCDS жазууларын министрликтин координаторлору гана жүктөп алат.
    Only a platform administrator creates consulates. | Консульские учреждения создаёт только администратор платформы. | Консулдук мекемелерди платформанын администратору гана түзөт.
    Only a supervisor places or lifts a legal hold. | Запрет на удаление (legal hold) устанавливает и снимает только руководитель. | Өчүрүүгө тыюуну (legal hold) жетекчи гана коёт жана алып салат.
    Only partner organizations send inbound referrals. | Входящие направления присылают только партнёрские организации. | Кирүүчү жолдомолорду өнөктөш уюмдар гана жөнөтөт.
    Only the organization's admin configures its webhook. | Вебхук организации настраивает только её администратор. | Уюмдун вебхугун анын администратору гана жөндөйт.
    Only the organization's admin retries deliveries. | Повторную доставку запускает только администратор организации. | Жеткирүүнү уюмдун администратору гана кайталайт.
    Only the recipient may accept this referral. | Принять это направление может только получатель. | Бул жолдомону алуучу гана кабыл ала алат.
    Only the recipient may decline this referral. | Отклонить это направление может только получатель. | Бул жолдомодон алуучу гана баш тарта алат.
    Only the recipient may complete this referral. | Завершить это направление может только получатель. | Бул жолдомо боюнча ишти алуучу гана аяктай алат.
    Only the sender may withdraw this referral. | Отозвать это направление может только отправитель. | Бул жолдомону жөнөтүүчү гана кайра чакыртып ала алат.
    Only the {0} may {1} this referral. | Действие «{1}» с этим направлением может выполнить только {0}. | Бул жолдомо менен «{1}» аракетин {0} гана жасай алат.
    Oversight bodies read checkpoints. | Контрольные точки читают надзорные органы. | Текшерүү чекиттерин көзөмөл органдары гана окуйт.
    Oversight bodies verify the audit trail. | Журнал аудита проверяют надзорные органы. | Аудит журналын көзөмөл органдары гана текшерет.
    The case's supervisor deletes attachments. | Вложения удаляет руководитель, ведущий дело. | Тиркемелерди иштин жетекчиси гана өчүрөт.
    The case's supervisors and auditors read its access log. | Журнал доступа к делу читают его руководители и аудиторы. | Ишке кирүү журналын анын жетекчилери жана аудиторлор гана окуйт.
    The owning consulate's supervisor transfers a case. | Дело передаёт руководитель консульского учреждения, ведущего его. | Ишти аны жүргүзгөн консулдук мекеменин жетекчиси гана өткөрүп берет.
    The receiving consulate's supervisor decides. | Решение принимает руководитель принимающего консульского учреждения. | Чечимди кабыл алуучу консулдук мекеменин жетекчиси чыгарат.
    The referral's recipient reads its evidence here; the sender reads the case's attachments. | Получатель направления читает доказательства здесь; отправитель — во вложениях дела. | Жолдомону алуучу далилдерди бул жерден окуйт; жөнөтүүчү иштин тиркемелеринен окуйт.
    only ministry callers may name the owner | указать ведущую организацию может только министерство | ишти жүргүзүүчү уюмду министрлик гана көрсөтө алат
    # ---- not found ----
    No such attachment. | Вложение не найдено. | Мындай тиркеме табылган жок.
    No such case. | Дело не найдено. | Мындай иш табылган жок.
    No such consulate. | Консульское учреждение не найдено. | Мындай консулдук мекеме табылган жок.
    No such legal instrument. | Правовой документ не найден. | Мындай укуктук документ табылган жок.
    No such organization. | Организация не найдена. | Мындай уюм табылган жок.
    No such redress action. | Мера по восстановлению прав не найдена. | Укукту калыбына келтирүү боюнча мындай чара табылган жок.
    No such referral. | Направление не найдено. | Мындай жолдомо табылган жок.
    No such taxonomy. | Справочник не найден. | Мындай маалымдама табылган жок.
    No such transfer. | Передача не найдена. | Мындай өткөрүп берүү табылган жок.
    No such webhook delivery. | Доставка вебхука не найдена. | Вебхуктун мындай жеткирүүсү табылган жок.
    No such user. | Пользователь не найден. | Мындай колдонуучу табылган жок.
    No such api client. | API-клиент не найден. | Мындай API кардары табылган жок.
    No such person in this case. | В этом деле нет такого лица. | Бул иште мындай адам жок.
    No such violation in this case. | В этом деле нет такого нарушения. | Бул иште мындай укук бузуу жок.
    No such {0} in this case. | В этом деле нет такого объекта ({0}). | Бул иште мындай объект ({0}) жок.
    No such {0}. | Объект не найден ({0}). | Объект табылган жок ({0}).
    No webhook is configured. | Вебхук не настроен. | Вебхук жөндөлгөн эмес.
    no such case | такого дела нет | мындай иш жок
    Not Found | Не найдено | Табылган жок
    # ---- conflicts and preconditions ----
    A case in '{0}' cannot move to '{1}'. | Дело в состоянии «{0}» не может перейти в состояние «{1}». | «{0}» абалындагы иш «{1}» абалына өтө албайт.
    The case must stay in '{0}' at least {1} days: it may move to '{2}' from {3}. | Дело должно оставаться в состоянии «{0}» не менее {1} дн.: перейти в состояние «{2}» оно может с {3}. | Иш «{0}» абалында кеминде {1} күн турушу керек: «{2}» абалына {3} датасынан тартып өтө алат.
    A redress action that is {0} cannot become {1}. | Мера по восстановлению прав в статусе «{0}» не может перейти в статус «{1}». | «{0}» статусундагы укукту калыбына келтирүү чарасы «{1}» статусуна өтө албайт.
    A referral that is {0} cannot be {1}. | Направление в статусе «{0}» не может перейти в статус «{1}». | «{0}» статусундагы жолдомо «{1}» статусуна өтө албайт.
    A request with this Idempotency-Key is in progress or done; retry to read it. | Запрос с этим Idempotency-Key выполняется или уже выполнен; повторите, чтобы получить ответ. | Бул Idempotency-Key менен суроо-талап аткарылып жатат же аткарылып бүткөн; жоопту алуу үчүн кайталаңыз.
    This Idempotency-Key was used with another body. | Этот Idempotency-Key уже использован с другим содержимым запроса. | Бул Idempotency-Key башка мазмундагы суроо-талап менен колдонулган.
    Send an Idempotency-Key: inbound referrals are retried by partner systems. | Передайте Idempotency-Key: системы партнёров повторяют входящие направления. | Idempotency-Key жөнөтүңүз: өнөктөштөрдүн системалары кирүүчү жолдомолорду кайталап жөнөтөт.
    key reused with a different body | ключ повторно использован с другим содержимым | ачкыч башка мазмун менен кайра колдонулган
    A violation names this person as its perpetrator: change the violation first. | Это лицо указано нарушителем в одном из нарушений: сначала измените нарушение. | Бул адам укук бузуунун биринде укук бузуучу катары көрсөтүлгөн: адегенде укук бузууну өзгөртүңүз.
    An instrument with this code exists. | Документ с таким кодом уже существует. | Мындай коду бар документ мурда эле бар.
    Consent to share was withdrawn: no evidence. | Согласие на передачу данных отозвано: доказательства недоступны. | Маалыматтарды берүүгө макулдук кайра алынган: далилдер жеткиликсиз.
    The referral is {0}: no evidence. | Направление в статусе «{0}»: доказательства недоступны. | Жолдомо «{0}» статусунда: далилдер жеткиликсиз.
    The referral is {0}: no more updates. | Направление в статусе «{0}»: изменения больше не принимаются. | Жолдомо «{0}» статусунда: мындан ары өзгөртүүлөр кабыл алынбайт.
    Send If-Match with the case's ETag. | Передайте заголовок If-Match с ETag дела. | If-Match аталышын иштин ETag мааниси менен жөнөтүңүз.
    The ETag does not match the case. | ETag не соответствует делу. | ETag ишке дал келбейт.
    The case changed since you read it; read it again. | Дело изменилось после того, как вы его прочитали; прочитайте его заново. | Сиз окугандан кийин иш өзгөрдү; аны кайра окуңуз.
    The redress action changed since you read it; read it again. | Мера по восстановлению прав изменилась после того, как вы её прочитали; прочитайте её заново. | Сиз окугандан кийин укукту калыбына келтирүү чарасы өзгөрдү; аны кайра окуңуз.
    The case is under legal hold: its attachments cannot be deleted. | На дело наложен запрет на удаление (legal hold): его вложения нельзя удалить. | Ишке өчүрүүгө тыюу (legal hold) коюлган: анын тиркемелерин өчүрүүгө болбойт.
    The case's consent does not cover this referral; record a consent exception with its legal basis to proceed. | Согласие по делу не распространяется на это направление; чтобы продолжить, оформите исключение с указанием правового основания. | Иш боюнча макулдук бул жолдомону камтыбайт; улантуу үчүн укуктук негизин көрсөтүп, макулдуктан тышкаркы учурду каттаңыз.
    The jurisdiction overlaps another consulate of the same state. | Консульский округ пересекается с округом другого консульского учреждения того же государства. | Консулдук округ ошол эле мамлекеттин башка консулдук мекемесинин округу менен кесилишет.
    The request conflicts with existing data. | Запрос противоречит существующим данным. | Суроо-талап болгон маалыматтарга карама-каршы келет.
    These cases are already linked that way. | Эти дела уже связаны таким образом. | Бул иштер мурда эле ушундай байланыштырылган.
    This attachment was already deleted. | Это вложение уже удалено. | Бул тиркеме мурда эле өчүрүлгөн.
    This case already has an open referral to that organization. | По этому делу уже есть открытое направление в эту организацию. | Бул иш боюнча ошол уюмга ачык жолдомо мурда эле бар.
    This case is already under transfer. | Это дело уже передаётся. | Бул иш мурда эле өткөрүлүп берилүүдө.
    This case was anonymised under retention and can no longer change. | Это дело обезличено по истечении срока хранения и больше не может изменяться. | Бул иш сактоо мөөнөтү бүткөндө деперсоналдаштырылган, мындан ары өзгөртүлбөйт.
    This transfer was already {0}. | Эта передача уже в статусе «{0}». | Бул өткөрүп берүү мурда эле «{0}» статусунда.
    A protected field of this record failed its integrity check; the incident was recorded. | Защищённое поле этой записи не прошло проверку целостности; инцидент зарегистрирован. | Бул жазуунун корголгон талаасы бүтүндүгүн текшерүүдөн өткөн жок; окуя катталды.
    # ---- referrals, consulates, transfers ----
    No consulate covers this place. | Ни одно консульское учреждение не обслуживает это место. | Бул жерди бир да консулдук мекеме тейлебейт.
    No consulate of the subject's state covers the place where it happened. | Ни одно консульское учреждение государства заявителя не обслуживает место, где это произошло. | Арыз ээсинин мамлекетинин бир да консулдук мекемеси окуя болгон жерди тейлебейт.
    The recipient must be another consulate or a partner organization. | Получателем должно быть другое консульское учреждение или партнёрская организация. | Алуучу башка консулдук мекеме же өнөктөш уюм болушу керек.
    To decline a referral, say why in `note`. | Чтобы отклонить направление, укажите причину в `note`. | Жолдомодон баш тартуу үчүн себебин `note` талаасында көрсөтүңүз.
    To complete a referral, say why in `note`. | Чтобы завершить направление, укажите причину в `note`. | Жолдомо боюнча ишти аяктоо үчүн себебин `note` талаасында көрсөтүңүз.
    To {0} a referral, say why in `note`. | Для действия «{0}» с направлением укажите причину в `note`. | Жолдомо менен «{0}» аракети үчүн себебин `note` талаасында көрсөтүңүз.
    an inbound referral's intake_channel is partner_referral | у входящего направления intake_channel равен partner_referral | кирүүчү жолдомонун intake_channel мааниси partner_referral болот
    the owner of an inbound referral is found by routing | ведущая организация входящего направления определяется маршрутизацией | кирүүчү жолдомону жүргүзүүчү уюм маршрутташтыруу аркылуу аныкталат
    the subject's citizenship is needed to route the referral to a consulate | чтобы направить дело в консульское учреждение, нужно гражданство заявителя | жолдомону консулдук мекемеге жөнөтүү үчүн арыз ээсинин жарандыгы керек
    no covering consulate | нет консульского учреждения, обслуживающего это место | бул жерди тейлеген консулдук мекеме жок
    not a consulate of the ministry's state | не консульское учреждение государства министерства | министрликтин мамлекетинин консулдук мекемеси эмес
    not another consulate of the same state | не другое консульское учреждение того же государства | ошол эле мамлекеттин башка консулдук мекемеси эмес
    not a recipient | не может быть получателем | алуучу боло албайт
    jurisdiction lists a place twice | место указано в консульском округе дважды | консулдук округда бир жер эки жолу көрсөтүлгөн
    region must be an ISO 3166-2 code of the same country | регион должен быть кодом ISO 3166-2 той же страны | аймак ошол эле өлкөнүн ISO 3166-2 коду болушу керек
    region must be an ISO 3166-2 code of the country. | Регион должен быть кодом ISO 3166-2 этой страны. | Аймак ушул өлкөнүн ISO 3166-2 коду болушу керек.
    region not in country | регион не относится к стране | аймак бул өлкөгө кирбейт
    # ---- cases ----
    Nothing to change. | Нечего изменять. | Өзгөртө турган эч нерсе жок.
    nothing to change | нечего изменять | өзгөртө турган эч нерсе жок
    a case holds at most {0} persons | в деле может быть не более {0} лиц | бир иште {0} адамдан ашык болбойт
    a case holds at most {0} violations | в деле может быть не более {0} нарушений | бир иште {0} укук бузуудан ашык болбойт
    a case cannot be linked to itself | дело нельзя связать с самим собой | ишти өзү менен байланыштырууга болбойт
    a child's consent is given by a parent or guardian, or a best-interests authority | согласие за ребёнка даёт родитель или опекун либо орган опеки | баланын атынан макулдукту ата-энеси же камкорчусу, же камкордук органы берет
    a child_return case's subject has the role 'child' | заявитель в деле child_return имеет роль «child» | child_return ишинде арыз ээсинин ролу «child» болот
    a legal hold needs a reason | для запрета на удаление нужна причина | өчүрүүгө тыюу үчүн себеп керек
    a person needs a family_name (or a patronymic standing in its place) | у лица должна быть фамилия, family_name (или отчество вместо неё) | адамдын фамилиясы, family_name (же анын ордуна атасынын аты) болушу керек
    a person's name is given in parts: family_name and given_name, and patronymic when there is one (`full_name` is derived for display); an employer or agency takes organization_name instead | имя лица указывается по частям: family_name и given_name, а также patronymic, если есть (`full_name` составляется для отображения); для работодателя или агентства — organization_name | адамдын аты бөлүктөрү менен берилет: family_name жана given_name, бар болсо patronymic (`full_name` көрсөтүү үчүн түзүлөт); иш берүүчү же агенттик үчүн organization_name берилет
    an organization has organization_name and no name parts | у организации указывается organization_name без частей имени | уюм үчүн organization_name берилет, аттын бөлүктөрү берилбейт
    only an {0} may be an organization | организацией может быть только: {0} | уюм катары төмөнкүлөр гана боло алат: {0}
    the subject cannot be deleted, only corrected | заявителя нельзя удалить, только исправить | арыз ээсин өчүрүүгө болбойт, аны оңдоого гана болот
    the subject is a natural person, with name parts | заявитель — физическое лицо с частями имени | арыз ээси — аты бөлүктөрү менен берилген жеке жак
    the subject of a case is a natural person, with name parts | заявитель по делу — физическое лицо с частями имени | иштеги арыз ээси — аты бөлүктөрү менен берилген жеке жак
    violation perpetrator points past the persons list | нарушитель в нарушении указывает за пределы списка лиц | укук бузуудагы укук бузуучу адамдардын тизмесинен тышкары көрсөтүлгөн
    details do not fit the case kind | сведения не соответствуют виду дела | маалыматтар иштин түрүнө туура келбейт
    closing a case needs a reason | для закрытия дела нужна причина | ишти жабуу үчүн себеп керек
    not a person of this case | не лицо этого дела | бул иштин адамы эмес
    not a violation of this case | не нарушение этого дела | бул иштин укук бузуусу эмес
    not a redress action of this case | не мера по восстановлению прав этого дела | бул иштин укукту калыбына келтирүү чарасы эмес
    not an attachment of this case with content | не вложение этого дела с содержимым | бул иштин мазмуну бар тиркемеси эмес
    not an active case worker of the owning organization | не действующий сотрудник организации, ведущей дело | ишти жүргүзгөн уюмдун учурдагы кызматкери эмес
    not with assignee_id | нельзя вместе с assignee_id | assignee_id менен бирге болбойт
    not a state of any workflow | не состояние ни одного процесса | эч бир иш процессинин абалы эмес
    not a state of the {0} workflow | не состояние процесса {0} | {0} иш процессинин абалы эмес
    not a state of {0} | не состояние процесса: {0} | иш процессинин абалы эмес: {0}
    ended_on is before started_on | ended_on раньше started_on | ended_on датасы started_on датасынан мурда
    end_on is before start_on | end_on раньше start_on | end_on датасы start_on датасынан мурда
    decided_on is before filed_on | decided_on раньше filed_on | decided_on датасы filed_on датасынан мурда
    due_on is in the past. | Дата due_on уже прошла. | due_on датасы өтүп кеткен.
    date is in the future | дата в будущем | дата келечекте
    date is in the past | дата в прошлом | дата өткөн мезгилде
    unknown instrument | неизвестный правовой документ | белгисиз укуктук документ
    # ---- input values ----
    Control characters (but tab, newline, carriage return) and lone surrogates are refused. | Управляющие символы (кроме табуляции, перевода строки и возврата каретки) и одиночные суррогаты не принимаются. | Башкаруучу белгилер (табуляциядан, жаңы саптан жана кареткани кайтаруудан башка) жана жалгыз суррогаттар кабыл алынбайт.
    a code is repeated | код повторяется | код кайталанат
    an event is repeated | событие повторяется | окуя кайталанат
    a date between {0} and {1} | дата от {0} до {1} | {0} жана {1} ортосундагы дата
    an ISO 8601 date-time, like 2026-11-23T00:00:00Z | дата и время ISO 8601, например 2026-11-23T00:00:00Z | ISO 8601 форматындагы дата жана убакыт, мисалы 2026-11-23T00:00:00Z
    an amount is digits with at most two decimals, e.g. 1500.50 | сумма — число не более чем с двумя знаками после запятой, например 1500.50 | сумма — үтүрдөн кийин эки белгиден ашпаган сан, мисалы 1500.50
    not an ISO 4217 currency code | не код валюты ISO 4217 | ISO 4217 валюта коду эмес
    out of range | вне допустимого диапазона | жол берилген чектен тышкары
    required | обязательно | милдеттүү
    empty | пусто | бош
    percent-encoded UTF-8 text of at most {0} characters, no control characters | текст UTF-8 в процентной кодировке, не более {0} символов, без управляющих символов | пайыздык коддоодогу UTF-8 тексти, {0} белгиден ашпаган, башкаруучу белгилерсиз
    not a code | не код | код эмес
    {0} values are not codes | значения ({0}) не являются кодами | маанилер ({0}) код эмес
    # ---- attachments ----
    A file may be at most {0} bytes. | Размер файла — не более {0} байт. | Файлдын көлөмү {0} байттан ашпашы керек.
    Files of type {0} are not accepted; allowed: {1}. | Файлы типа {0} не принимаются; допустимы: {1}. | {0} түрүндөгү файлдар кабыл алынбайт; уруксат берилгендер: {1}.
    Matroska files other than WebM are not accepted. | Файлы Matroska, кроме WebM, не принимаются. | WebM'ден башка Matroska файлдары кабыл алынбайт.
    This ISO media file (HEIC, QuickTime or another brand) is not accepted. | Этот медиафайл ISO (HEIC, QuickTime или другой) не принимается. | Бул ISO медиа файлы (HEIC, QuickTime же башка түрү) кабыл алынбайт.
    Nothing of the file is left to store. | От файла не осталось ничего для сохранения. | Файлдан сактай турган эч нерсе калган жок.
    The case's attachments already take the {0} bytes a case may hold. | Вложения дела уже занимают все {0} байт, допустимые для одного дела. | Иштин тиркемелери бир иш үчүн жол берилген {0} байтты толук ээлеп алган.
    The case's attachments may take at most {0} bytes together. | Вложения дела вместе могут занимать не более {0} байт. | Иштин тиркемелери биригип {0} байттан ашпашы керек.
    The connection closed before the whole file arrived. | Соединение закрылось до получения всего файла. | Файл толук келгенге чейин байланыш үзүлдү.
    The content is not a valid JPEG image (it ends before the image data). | Содержимое не является корректным изображением JPEG (оно обрывается до данных изображения). | Мазмун жарактуу JPEG сүрөтү эмес (сүрөттүн маалыматтарына чейин үзүлөт).
    The content is not a valid JPEG image. | Содержимое не является корректным изображением JPEG. | Мазмун жарактуу JPEG сүрөтү эмес.
    The content is not a valid PNG image (it ends before IEND). | Содержимое не является корректным изображением PNG (оно обрывается до IEND). | Мазмун жарактуу PNG сүрөтү эмес (IEND'ге чейин үзүлөт).
    The content is not a valid PNG image. | Содержимое не является корректным изображением PNG. | Мазмун жарактуу PNG сүрөтү эмес.
    The content is not a valid WebP image (it ends early). | Содержимое не является корректным изображением WebP (оно обрывается раньше времени). | Мазмун жарактуу WebP сүрөтү эмес (аягына жетпей үзүлөт).
    The content is not a valid WebP image. | Содержимое не является корректным изображением WebP. | Мазмун жарактуу WebP сүрөтү эмес.
    The content is not an allowed type (binary data is not plain text). | Содержимое недопустимого типа (двоичные данные — не простой текст). | Мазмундун түрүнө уруксат жок (экилик маалыматтар жөнөкөй текст эмес).
    The content is not an allowed type (not valid UTF-8 text). | Содержимое недопустимого типа (не корректный текст UTF-8). | Мазмундун түрүнө уруксат жок (жарактуу UTF-8 тексти эмес).
    The content is {0}, not the declared {1}. | Содержимое имеет тип {0}, а не заявленный {1}. | Мазмундун түрү {0}, көрсөтүлгөн {1} эмес.
    The file has {0} bytes; the range asks for none of them. | В файле {0} байт; запрошенный диапазон не включает ни одного из них. | Файлда {0} байт бар; суралган диапазон алардын бирин да камтыбайт.
    The file is empty. | Файл пуст. | Файл бош.
    The file's content is no longer stored. | Содержимое файла больше не хранится. | Файлдын мазмуну мындан ары сакталбайт.
    # ---- queries, reports, audit ----
    The cursor is not valid. | Курсор недействителен. | Курсор жарактуу эмес.
    Unknown query parameter. This route takes: {0}. | Неизвестный параметр запроса. Этот маршрут принимает: {0}. | Суроо-талаптын белгисиз параметри. Бул маршрут кабыл алат: {0}.
    unknown query parameter | неизвестный параметр запроса | суроо-талаптын белгисиз параметри
    Too many searches; at most {0} a minute. | Слишком много поисковых запросов; не более {0} в минуту. | Издөө суроо-талаптары өтө көп; мүнөтүнө {0} жолдон ашпашы керек.
    `from` must not be after `to`. | `from` не может быть позже `to`. | `from` датасы `to` датасынан кийин болбошу керек.
    before from | раньше from | from датасынан мурда
    group_by takes distinct names from: {0}. | group_by принимает неповторяющиеся названия из списка: {0}. | group_by төмөнкү тизмеден кайталанбаган аталыштарды кабыл алат: {0}.
    unknown, repeated or missing dimension | неизвестный, повторяющийся или отсутствующий признак группировки | белгисиз, кайталанган же жок топтоо белгиси
    More than {0} groups: use fewer dimensions or a shorter period. | Больше {0} групп: уменьшите число признаков или сократите период. | {0} топтон ашык: белгилерди азайтыңыз же мезгилди кыскартыңыз.
    too many groups | слишком много групп | топтор өтө көп
    A period is at most {0} days. | Период не может быть длиннее {0} дн. | Мезгил {0} күндөн ашпашы керек.
    too long | слишком длинный | өтө узун
    Need 0 <= from_size <= to_size <= {0} and a span of at most {1}. | Нужно 0 <= from_size <= to_size <= {0} и промежуток не больше {1}. | 0 <= from_size <= to_size <= {0} жана аралык {1} ашпашы керек.
    Your organization's privacy budget for reports in {0} ({1}) is spent; it renews on 1 January (UTC). | Бюджет конфиденциальности вашей организации для отчётов на {0} год ({1}) исчерпан; он возобновится 1 января (UTC). | Уюмуңуздун {0}-жылга отчеттор үчүн купуялык бюджети ({1}) түгөндү; ал 1-январда (UTC) жаңыланат.
    The reports replica (UKUK_REPORTS_DATABASE_URL) is unavailable; retry later. | Реплика для отчётов (UKUK_REPORTS_DATABASE_URL) недоступна; повторите позже. | Отчеттор үчүн реплика (UKUK_REPORTS_DATABASE_URL) жеткиликсиз; кийинчерээк кайталаңыз.
    # ---- webhooks ----
    the URL is not valid | URL недействителен | URL жарактуу эмес
    the URL must use https | URL должен использовать https | URL https колдонушу керек
    the URL needs a host and no credentials | в URL должен быть хост и не должно быть учётных данных | URL'де хост болушу керек жана кирүү маалыматтары болбошу керек
    the URL resolves to an address that is not public ({0}) | URL указывает на непубличный адрес ({0}) | URL коомдук эмес дарекке багытталат ({0})
    the URL's host does not resolve | хост URL не разрешается в адрес | URL'дин хосту дарекке чечилбейт
    the URL's port is not valid | порт URL недействителен | URL'дин порту жарактуу эмес
    webhooks go over TCP only | вебхуки отправляются только по TCP | вебхуктар TCP аркылуу гана жөнөтүлөт
    # ---- the request itself (errors.py, middleware.py, Starlette) ----
    The request does not match the schema. | Запрос не соответствует схеме. | Суроо-талап схемага дал келбейт.
    A value of the request is outside what can be stored. | Значение в запросе выходит за пределы того, что можно сохранить. | Суроо-талаптагы маани сактала турган чектен чыгат.
    The database does not answer. | База данных не отвечает. | Маалыматтар базасы жооп бербей жатат.
    The database is unavailable; retry later. | База данных недоступна; повторите позже. | Маалыматтар базасы жеткиликсиз; кийинчерээк кайталаңыз.
    The request ran longer than the database allows (statement timeout); retry later or narrow it. | Запрос выполнялся дольше, чем допускает база данных (statement timeout); повторите позже или сузьте запрос. | Суроо-талап маалыматтар базасы уруксат берген убакыттан узак аткарылды (statement timeout); кийинчерээк кайталаңыз же суроо-талапты тарытыңыз.
    The Host header names no host this API serves. | Заголовок Host не называет хост, который обслуживает этот API. | Host аталышында бул API тейлеген хост көрсөтүлгөн эмес.
    Content-Length is not a number. | Content-Length не является числом. | Content-Length сан эмес.
    Send the body as {0}. | Передайте тело запроса как {0}. | Суроо-талаптын мазмунун {0} катары жөнөтүңүз.
    The body exceeds {0} bytes. | Тело запроса превышает {0} байт. | Суроо-талаптын мазмуну {0} байттан ашат.
    Method Not Allowed | Метод не поддерживается | Бул ыкма колдоого алынбайт
    Bad Request | Неверный запрос | Туура эмес суроо-талап
    Unauthorized | Требуется аутентификация | Аутентификациядан өтүү талап кылынат
    Forbidden | Доступ запрещён | Кирүүгө тыюу салынган
    Request Entity Too Large | Слишком большой запрос | Суроо-талап өтө чоң
    Unsupported Media Type | Неподдерживаемый тип содержимого | Мазмундун бул түрү колдоого алынбайт
"""

# `pydantic error type | English | Russian | Kyrgyz`: the English is pydantic's own template (`{expected_plural}`
# is "s" or ""), the others take the error's ctx by name.
FIELD_TYPES = """
    missing | Field required | Обязательное поле | Милдеттүү талаа
    extra_forbidden | Extra inputs are not permitted | Лишние поля не допускаются | Ашыкча талааларга жол берилбейт
    string_type | Input should be a valid string | Ожидается строка | Сап (текст) күтүлөт
    string_too_short | String should have at least {min_length} character{expected_plural} | Минимальная длина строки (символов): {min_length} | Саптын эң аз узундугу (белги): {min_length}
    string_too_long | String should have at most {max_length} character{expected_plural} | Максимальная длина строки (символов): {max_length} | Саптын эң чоң узундугу (белги): {max_length}
    string_pattern_mismatch | String should match pattern '{pattern}' | Строка должна соответствовать шаблону «{pattern}» | Сап «{pattern}» үлгүсүнө дал келиши керек
    too_short | {field_type} should have at least {min_length} item{expected_plural} after validation, not {actual_length} | Минимальное число элементов: {min_length} (передано: {actual_length}) | Элементтердин эң аз саны: {min_length} (берилгени: {actual_length})
    too_long | {field_type} should have at most {max_length} item{expected_plural} after validation, not {actual_length} | Максимальное число элементов: {max_length} (передано: {actual_length}) | Элементтердин эң көп саны: {max_length} (берилгени: {actual_length})
    int_type | Input should be a valid integer | Ожидается целое число | Бүтүн сан күтүлөт
    int_parsing | Input should be a valid integer, unable to parse string as an integer | Ожидается целое число: строку не удалось прочитать как целое число | Бүтүн сан күтүлөт: сапты бүтүн сан катары окууга мүмкүн болгон жок
    int_from_float | Input should be a valid integer, got a number with a fractional part | Ожидается целое число, получено число с дробной частью | Бүтүн сан күтүлөт, бөлчөк бөлүгү бар сан берилди
    float_type | Input should be a valid number | Ожидается число | Сан күтүлөт
    float_parsing | Input should be a valid number, unable to parse string as a number | Ожидается число: строку не удалось прочитать как число | Сан күтүлөт: сапты сан катары окууга мүмкүн болгон жок
    decimal_parsing | Input should be a valid decimal | Ожидается десятичное число | Ондук сан күтүлөт
    decimal_type | Decimal input should be an integer, float, string or Decimal object | Ожидается десятичное число | Ондук сан күтүлөт
    decimal_max_digits | Decimal input should have no more than {max_digits} digit{expected_plural} in total | Всего цифр — не более {max_digits} | Цифралардын жалпы саны {max_digits} ашпашы керек
    decimal_max_places | Decimal input should have no more than {decimal_places} decimal place{expected_plural} | Знаков после запятой — не более {decimal_places} | Үтүрдөн кийинки белгилердин саны {decimal_places} ашпашы керек
    decimal_whole_digits | Decimal input should have no more than {whole_digits} digit{expected_plural} before the decimal point | Цифр до запятой — не более {whole_digits} | Үтүргө чейинки цифралардын саны {whole_digits} ашпашы керек
    greater_than | Input should be greater than {gt} | Значение должно быть больше {gt} | Маани {gt} санынан чоң болушу керек
    greater_than_equal | Input should be greater than or equal to {ge} | Значение должно быть не меньше {ge} | Маани {ge} же андан чоң болушу керек
    less_than | Input should be less than {lt} | Значение должно быть меньше {lt} | Маани {lt} санынан кичине болушу керек
    less_than_equal | Input should be less than or equal to {le} | Значение должно быть не больше {le} | Маани {le} же андан кичине болушу керек
    bool_type | Input should be a valid boolean | Ожидается логическое значение (true или false) | Логикалык маани (true же false) күтүлөт
    bool_parsing | Input should be a valid boolean, unable to interpret input | Ожидается логическое значение (true или false) | Логикалык маани (true же false) күтүлөт
    enum | Input should be {expected} | Допустимые значения: {expected} | Уруксат берилген маанилер: {expected}
    literal_error | Input should be {expected} | Допустимые значения: {expected} | Уруксат берилген маанилер: {expected}
    uuid_type | UUID input should be a string, bytes or UUID object | Ожидается UUID | UUID күтүлөт
    uuid_parsing | Input should be a valid UUID, {error} | Ожидается корректный UUID | Жарактуу UUID күтүлөт
    date_type | Input should be a valid date | Ожидается дата | Дата күтүлөт
    date_parsing | Input should be a valid date in the format YYYY-MM-DD, {error} | Ожидается дата в формате ГГГГ-ММ-ДД | ЖЖЖЖ-АА-КК форматындагы дата күтүлөт
    date_from_datetime_parsing | Input should be a valid date or datetime, {error} | Ожидается дата в формате ГГГГ-ММ-ДД | ЖЖЖЖ-АА-КК форматындагы дата күтүлөт
    date_from_datetime_inexact | Datetimes provided to dates should have zero time - e.g. be exact dates | Ожидается дата без времени | Убакытсыз дата күтүлөт
    datetime_type | Input should be a valid datetime | Ожидаются дата и время | Дата жана убакыт күтүлөт
    datetime_parsing | Input should be a valid datetime, {error} | Ожидаются дата и время ISO 8601 | ISO 8601 форматындагы дата жана убакыт күтүлөт
    datetime_from_date_parsing | Input should be a valid datetime or date, {error} | Ожидаются дата и время ISO 8601 | ISO 8601 форматындагы дата жана убакыт күтүлөт
    timezone_aware | Input should have timezone info | Укажите часовой пояс | Убакыт алкагын көрсөтүңүз
    list_type | Input should be a valid list | Ожидается список | Тизме күтүлөт
    dict_type | Input should be a valid dictionary | Ожидается объект | Объект күтүлөт
    model_type | Input should be a valid dictionary or instance of {class_name} | Ожидается объект | Объект күтүлөт
    model_attributes_type | Input should be a valid dictionary or object to extract fields from | Ожидается объект | Объект күтүлөт
    json_invalid | Invalid JSON: {error} | Некорректный JSON | JSON туура эмес
    json_type | JSON input should be string, bytes or bytearray | Ожидается JSON | JSON күтүлөт
    url_parsing | Input should be a valid URL, {error} | Ожидается корректный URL | Жарактуу URL күтүлөт
    url_scheme | URL scheme should be {expected_schemes} | Допустимые схемы URL: {expected_schemes} | URL'дин уруксат берилген схемалары: {expected_schemes}
    union_tag_invalid | Input tag '{tag}' found using {discriminator} does not match any of the expected tags: {expected_tags} | Значение «{tag}» поля {discriminator} не входит в допустимые: {expected_tags} | {discriminator} талаасынын «{tag}» мааниси уруксат берилгендерге кирбейт: {expected_tags}
    union_tag_not_found | Unable to extract tag using discriminator {discriminator} | Не указано поле {discriminator} | {discriminator} талаасы көрсөтүлгөн эмес
    # A validator's ValueError: its message is put into the language through DETAILS.
    value_error | Value error, {error} | {error} | {error}
    # Custom types (PydanticCustomError) of src/: src/platform/schemas.py, src/cases/values.py.
    control_character | Control characters (but tab, newline, carriage return) and lone surrogates are refused. | Управляющие символы (кроме табуляции, перевода строки и возврата каретки) и одиночные суррогаты не принимаются. | Башкаруучу белгилер (табуляциядан, жаңы саптан жана кареткани кайтаруудан башка) жана жалгыз суррогаттар кабыл алынбайт.
    taxonomy_code | {what} of the {taxonomy} taxonomy (its codes: GET /v1/taxonomies/{taxonomy}) | {what} справочника {taxonomy} (его коды: GET /v1/taxonomies/{taxonomy}) | {what}: {taxonomy} маалымдамасы (анын коддору: GET /v1/taxonomies/{taxonomy})
"""

# Words that fill a blank and are English themselves (codes fill most blanks, and stay as they are).
TERMS = """
    recipient | получатель | алуучу
    sender | отправитель | жөнөтүүчү
    person | лицо | адам
    violation | нарушение | укук бузуу
"""
