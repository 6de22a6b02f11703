#!/usr/bin/env python3
"""Writes sample.tsv: the fixed multilingual sample of `nuntius bench encoder`.

News-like titles and leads written for the benchmark from templates (no text from any
corpus), 16 languages in 8 scripts. Deterministic: the same script writes the same file.
Run from this directory: python3 make_sample.py > sample.tsv
"""

import itertools

# language, script, places, templates ({p} place, {n} number, {m} second number)
LANGS = [
    ("en", "Latin", ["London", "Chicago", "Lagos", "Sydney"], [
        "Floods in {p} force {n} families from their homes",
        "{p} council approves a budget of {n} million for new schools",
        "Police in {p} arrest {n} people after a night of protests",
        "A fire at a warehouse near {p} burned for {n} hours before firefighters contained it",
        "Train drivers in {p} will strike for {n} days from Monday, the union said",
        "Doctors in {p} warn that {n} patients are waiting more than a year for surgery",
    ]),
    ("de", "Latin", ["Berlin", "Hamburg", "Wien", "Zürich"], [
        "Hochwasser in {p}: {n} Familien müssen ihre Häuser verlassen",
        "Der Stadtrat von {p} beschließt {n} Millionen Euro für neue Schulen",
        "Polizei nimmt in {p} nach Protesten {n} Menschen fest",
        "Ein Brand in einer Lagerhalle bei {p} dauerte {n} Stunden, bevor die Feuerwehr ihn löschte",
        "Die Lokführer in {p} streiken ab Montag {n} Tage lang, teilte die Gewerkschaft mit",
        "Ärzte in {p} warnen, dass {n} Patienten länger als ein Jahr auf eine Operation warten",
    ]),
    ("fr", "Latin", ["Paris", "Lyon", "Marseille", "Bruxelles"], [
        "Inondations à {p} : {n} familles contraintes de quitter leur logement",
        "Le conseil municipal de {p} vote {n} millions d'euros pour de nouvelles écoles",
        "La police de {p} interpelle {n} personnes après une nuit de manifestations",
        "Un incendie dans un entrepôt près de {p} a duré {n} heures avant d'être maîtrisé",
        "Les conducteurs de train de {p} seront en grève pendant {n} jours à partir de lundi",
        "À {p}, les médecins alertent : {n} patients attendent une opération depuis plus d'un an",
    ]),
    ("es", "Latin", ["Madrid", "Sevilla", "Bogotá", "Lima"], [
        "Inundaciones en {p} obligan a {n} familias a dejar sus casas",
        "El ayuntamiento de {p} aprueba {n} millones para nuevas escuelas",
        "La policía de {p} detiene a {n} personas tras una noche de protestas",
        "Un incendio en un almacén cerca de {p} duró {n} horas antes de ser controlado",
        "Los maquinistas de {p} harán huelga durante {n} días a partir del lunes",
        "Los médicos de {p} advierten que {n} pacientes esperan más de un año una operación",
    ]),
    ("it", "Latin", ["Roma", "Milano", "Napoli", "Torino"], [
        "Alluvione a {p}: {n} famiglie costrette a lasciare le loro case",
        "Il consiglio comunale di {p} approva {n} milioni per nuove scuole",
        "La polizia di {p} arresta {n} persone dopo una notte di proteste",
        "Un incendio in un magazzino vicino a {p} è durato {n} ore prima di essere spento",
        "I macchinisti di {p} sciopereranno per {n} giorni a partire da lunedì",
        "I medici di {p} avvertono che {n} pazienti aspettano un intervento da oltre un anno",
    ]),
    ("pt", "Latin", ["Lisboa", "Porto", "São Paulo", "Recife"], [
        "Cheias em {p} obrigam {n} famílias a deixar as suas casas",
        "A câmara de {p} aprova {n} milhões para novas escolas",
        "Polícia de {p} detém {n} pessoas após uma noite de protestos",
        "Um incêndio num armazém perto de {p} durou {n} horas até ser dominado",
        "Os maquinistas de {p} fazem greve durante {n} dias a partir de segunda-feira",
        "Médicos de {p} alertam que {n} doentes esperam mais de um ano por uma cirurgia",
    ]),
    ("pl", "Latin", ["Warszawa", "Kraków", "Gdańsk", "Wrocław"], [
        "Powódź w mieście {p}: {n} rodzin musiało opuścić domy",
        "Rada miasta {p} przyznaje {n} milionów złotych na nowe szkoły",
        "Policja w mieście {p} zatrzymała {n} osób po nocy protestów",
        "Pożar magazynu pod miastem {p} trwał {n} godzin, zanim strażacy go opanowali",
        "Maszyniści w mieście {p} będą strajkować przez {n} dni od poniedziałku",
    ]),
    ("tr", "Latin", ["İstanbul", "Ankara", "İzmir", "Bursa"], [
        "{p}'da sel: {n} aile evlerini terk etmek zorunda kaldı",
        "{p} belediye meclisi yeni okullar için {n} milyon lira onayladı",
        "{p} polisi protestoların ardından {n} kişiyi gözaltına aldı",
        "{p} yakınlarındaki bir depoda çıkan yangın {n} saat sürdü",
        "{p}'daki makinistler pazartesiden itibaren {n} gün greve gidecek",
    ]),
    ("ru", "Cyrillic", ["Москва", "Казань", "Новосибирск", "Самара"], [
        "Наводнение в городе {p}: {n} семей покинули свои дома",
        "Городской совет {p} одобрил {n} миллионов рублей на новые школы",
        "Полиция города {p} задержала {n} человек после ночи протестов",
        "Пожар на складе под городом {p} продолжался {n} часов, прежде чем его потушили",
        "Машинисты поездов в городе {p} будут бастовать {n} дней начиная с понедельника",
        "Врачи города {p} предупреждают, что {n} пациентов ждут операции больше года",
    ]),
    ("uk", "Cyrillic", ["Київ", "Львів", "Одеса", "Харків"], [
        "Повінь у місті {p}: {n} родин залишили свої домівки",
        "Міська рада {p} схвалила {n} мільйонів гривень на нові школи",
        "Поліція міста {p} затримала {n} людей після ночі протестів",
        "Пожежа на складі біля міста {p} тривала {n} годин",
        "Машиністи потягів у місті {p} страйкуватимуть {n} днів з понеділка",
    ]),
    ("el", "Greek", ["Αθήνα", "Θεσσαλονίκη", "Πάτρα", "Ηράκλειο"], [
        "Πλημμύρες στην πόλη {p}: {n} οικογένειες εγκατέλειψαν τα σπίτια τους",
        "Το δημοτικό συμβούλιο της πόλης {p} ενέκρινε {n} εκατομμύρια για νέα σχολεία",
        "Η αστυνομία στην πόλη {p} συνέλαβε {n} άτομα μετά από μια νύχτα διαδηλώσεων",
        "Πυρκαγιά σε αποθήκη κοντά στην πόλη {p} διήρκεσε {n} ώρες",
        "Οι μηχανοδηγοί στην πόλη {p} θα απεργήσουν για {n} ημέρες από τη Δευτέρα",
    ]),
    ("ar", "Arabic", ["القاهرة", "بيروت", "الرباط", "عمّان"], [
        "فيضانات في {p} تجبر {n} عائلة على مغادرة منازلها",
        "مجلس مدينة {p} يوافق على {n} مليون لبناء مدارس جديدة",
        "شرطة {p} تعتقل {n} شخصا بعد ليلة من الاحتجاجات",
        "حريق في مستودع قرب {p} استمر {n} ساعات قبل السيطرة عليه",
        "سائقو القطارات في {p} يضربون عن العمل لمدة {n} أيام اعتبارا من الاثنين",
        "أطباء في {p} يحذرون من أن {n} مريضا ينتظرون عملية جراحية منذ أكثر من عام",
    ]),
    ("he", "Hebrew", ["ירושלים", "תל אביב", "חיפה", "באר שבע"], [
        "שיטפונות ב{p}: {n} משפחות נאלצו לעזוב את בתיהן",
        "מועצת העיר {p} אישרה {n} מיליון שקל לבתי ספר חדשים",
        "המשטרה ב{p} עצרה {n} אנשים אחרי לילה של הפגנות",
        "שריפה במחסן ליד {p} נמשכה {n} שעות עד שכובתה",
        "נהגי הרכבות ב{p} ישבתו במשך {n} ימים החל מיום שני",
    ]),
    ("hi", "Devanagari", ["दिल्ली", "मुंबई", "जयपुर", "पटना"], [
        "{p} में बाढ़: {n} परिवारों को अपने घर छोड़ने पड़े",
        "{p} नगर परिषद ने नए स्कूलों के लिए {n} करोड़ रुपये मंजूर किए",
        "{p} पुलिस ने विरोध प्रदर्शनों के बाद {n} लोगों को गिरफ्तार किया",
        "{p} के पास एक गोदाम में लगी आग {n} घंटे तक जलती रही",
        "{p} में ट्रेन चालक सोमवार से {n} दिनों की हड़ताल करेंगे",
    ]),
    ("zh", "Han", ["北京", "上海", "广州", "成都"], [
        "{p}发生洪水，{n}户家庭被迫离开家园",
        "{p}市议会批准{n}百万元用于新建学校",
        "{p}警方在一夜抗议后逮捕{n}人",
        "{p}附近一座仓库起火，燃烧了{n}个小时才被扑灭",
        "{p}的火车司机将从周一起罢工{n}天",
        "{p}的医生警告，有{n}名病人等待手术超过一年",
    ]),
    ("ja", "Han+Kana", ["東京", "大阪", "札幌", "福岡"], [
        "{p}で洪水、{n}世帯が避難",
        "{p}市議会、新しい学校に{n}億円の予算を承認",
        "{p}の警察、抗議活動の後に{n}人を逮捕",
        "{p}近くの倉庫で火災、鎮火まで{n}時間",
        "{p}の運転士、月曜日から{n}日間のストライキへ",
    ]),
]

NUMBERS = [3, 12, 40, 150, 7, 2500]


def main():
    print("lang\tscript\ttext")
    for lang, script, places, templates in LANGS:
        combos = list(itertools.product(range(len(templates)), range(len(places))))
        for i, (t, p) in enumerate(combos):
            n = NUMBERS[i % len(NUMBERS)]
            text = templates[t].format(p=places[p], n=n)
            # Every third text gets a lead: a second sentence, as title + lead.
            if i % 3 == 0:
                lead = templates[(t + 1) % len(templates)].format(
                    p=places[(p + 1) % len(places)], n=NUMBERS[(i + 1) % len(NUMBERS)]
                )
                text = f"{text}. {lead}."
            print(f"{lang}\t{script}\t{text}")


if __name__ == "__main__":
    main()
