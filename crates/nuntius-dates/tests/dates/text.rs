//! `find_dates` on running text: every language's month names, numeric dates, timestamps, negatives.

use nuntius_dates::find_dates;

/// Checks the ISO dates found in `input`, space-separated in document order ("" for none).
fn check(input: &str, expected: &str) {
    let found: Vec<String> = find_dates(input).iter().map(|m| m.date.to_iso()).collect();
    assert_eq!(found.join(" "), expected, "in {input:?}");
}

#[test]
fn numeric_dates() {
    for (input, expected) in [
        ("21.01.2022, Sputnik Italia", "2022-01-21"),
        ("am 21/01/2022 in Genf", "2022-01-21"),
        ("2022-01-21", "2022-01-21"),
        ("01.02.2022", "2022-02-01"),
        ("1.2.2022", "2022-02-01"),
        ("1. 2. 2022", "2022-02-01"),
        ("21-01-2022", "2022-01-21"),
        ("2022/01/21 and 2022.01.22", "2022-01-21 2022-01-22"),
        // Day first by default; month first only when the day-first reading is impossible.
        ("03/04/2022", "2022-04-03"),
        ("12/25/2022", "2022-12-25"),
        ("٢١/٠١/٢٠٢٢", "2022-01-21"),
        ("۲۱.۰۱.۲۰۲۲", "2022-01-21"),
        ("(21.1.2022)", "2022-01-21"),
        ("Zagreb, 21.01.2022.", "2022-01-21"),
        ("13/25/2022", ""),
        // A range gives its last day: "9-10 marzo 2019".
        ("tra il 9-10 marzo 2019", "2019-03-10"),
        ("1.-2. února 2022", "2022-02-02"),
    ] {
        check(input, expected);
    }
}

#[test]
fn timestamps() {
    for (input, expected) in [
        ("2022-01-21T11:57+0100", "2022-01-21T11:57:00+01:00"),
        ("2022-01-21T11:57:00Z", "2022-01-21T11:57:00Z"),
        ("2022-01-21 11:57", "2022-01-21T11:57:00"),
        ("2022-01-21T11:57:30.123-05:00", "2022-01-21T11:57:30-05:00"),
        ("21.01.2022 11:57", "2022-01-21T11:57:00"),
        ("21.01.2022, 11:57 Uhr", "2022-01-21T11:57:00"),
        ("January 21, 2022 at 3:05 pm", "2022-01-21T15:05:00"),
        ("Publicada el 14/02/2020 a las 18:10", "2020-02-14T18:10:00"),
        ("publié le 24/04/2020 à 08h52", "2020-04-24T08:52:00"),
        ("Tue, 01 Feb 2022 10:00:00 GMT", "2022-02-01T10:00:00Z"),
        ("1 February 2022 10:00 CET", "2022-02-01T10:00:00+01:00"),
        ("le 21 janvier 2022 à 11h57", "2022-01-21T11:57:00"),
        ("Jan 21, 2022, 11:57 AM", "2022-01-21T11:57:00"),
        ("Stand: 21.01.2022 11:57 Uhr", "2022-01-21T11:57:00"),
        (
            "2022-01-21T11:57+0100\n\n2022-01-21T11:59+0100",
            "2022-01-21T11:57:00+01:00 2022-01-21T11:59:00+01:00",
        ),
        // A count after a date is not a time.
        ("on 21.01.2022 11 people died", "2022-01-21"),
    ] {
        check(input, expected);
    }
}

/// At least one date per language, using an inflected form where the language inflects month names.
#[test]
fn month_names_in_every_language() {
    for (lang, input, expected) in [
        ("en", "January 21, 2022", "2022-01-21"),
        ("en", "21 January 2022", "2022-01-21"),
        ("en", "the 1st of February, 2022", "2022-02-01"),
        ("en", "Jan. 21st, 2022", "2022-01-21"),
        ("en", "on 1 may 2022", "2022-05-01"),
        ("de", "Genf, 1. Februar 2022", "2022-02-01"),
        ("de", "21. Jänner 2022", "2022-01-21"),
        ("fr", "le 1er février 2022", "2022-02-01"),
        ("fr", "le 3 août 2022", "2022-08-03"),
        ("es", "1 de febrero de 2022", "2022-02-01"),
        ("es", "15 de septiembre del 2022", "2022-09-15"),
        ("pt", "1º de fevereiro de 2022", "2022-02-01"),
        ("pt", "7 de março de 2022", "2022-03-07"),
        ("it", "Mosca, 1 febbraio 2022", "2022-02-01"),
        ("it", "1° maggio 2022", "2022-05-01"),
        ("ro", "1 februarie 2022", "2022-02-01"),
        ("nl", "1 februari 2022", "2022-02-01"),
        ("nl", "5 mrt. 2022", "2022-03-05"),
        ("sv", "1 mars 2022", "2022-03-01"),
        ("da", "1. marts 2022", "2022-03-01"),
        ("fi", "1. helmikuuta 2022", "2022-02-01"),
        ("et", "1. veebruaril 2022", "2022-02-01"),
        ("et", "1. veebruar 2022", "2022-02-01"),
        ("lv", "2022. gada 1. februārī", "2022-02-01"),
        ("lv", "2022. gada februārī", "2022-02"),
        ("lv", "2022. gada 21. janvārī", "2022-01-21"),
        ("lt", "2022 m. vasario 1 d.", "2022-02-01"),
        ("lt", "2022 m. vasarį", "2022-02"),
        ("pl", "1 lutego 2022 r.", "2022-02-01"),
        ("pl", "1 listopada 2022", "2022-11-01"),
        ("cs", "1. února 2022", "2022-02-01"),
        ("cs", "1. unora 2022", "2022-02-01"),
        ("cs", "1. listopadu 2022", "2022-11-01"),
        ("sk", "1. februára 2022", "2022-02-01"),
        ("sl", "1. februarja 2022", "2022-02-01"),
        ("hr", "1. veljače 2022.", "2022-02-01"),
        ("hr", "1. listopada 2022.", "2022-10-01"),
        ("hr", "u listopadu 2022.", "2022-10"),
        ("hu", "2022. február 1.", "2022-02-01"),
        ("hu", "2022. febr. 1-jén", "2022-02-01"),
        ("hu", "2022. január 21-én", "2022-01-21"),
        ("el", "1 Φεβρουαρίου 2022", "2022-02-01"),
        ("el", "τον Φεβρουάριο του 2022", "2022-02"),
        ("el", "1 ΜΑΐΟΥ 2022", "2022-05-01"),
        ("el", "1η Φεβ 2022", "2022-02-01"),
        ("bg", "1 февруари 2022 г.", "2022-02-01"),
        ("ga", "1 Feabhra 2022", "2022-02-01"),
        ("ga", "21 Meán Fómhair 2022", "2022-09-21"),
        ("ga", "1 Samhna 2022", "2022-11-01"),
        ("mt", "1 ta' Frar 2022", "2022-02-01"),
        ("mt", "3 ta’ Diċembru 2022", "2022-12-03"),
        ("ru", "1 февраля 2022 года", "2022-02-01"),
        ("ru", "в феврале 2022 года", "2022-02"),
        ("uk", "1 лютого 2022 року", "2022-02-01"),
        ("uk", "у листопаді 2022", "2022-11"),
        ("uk", "1 лютого 2022 р.", "2022-02-01"),
        ("tr", "1 Şubat 2022", "2022-02-01"),
        ("tr", "1 Subat 2022", "2022-02-01"),
        ("tr", "Kasım 2022'de", "2022-11"),
        ("ar", "1 فبراير 2022", "2022-02-01"),
        ("ar", "١ فبراير ٢٠٢٢", "2022-02-01"),
        ("ar-sy", "21 كانون الثاني 2022", "2022-01-21"),
        ("ar-sy", "1 شباط/فبراير 2022", "2022-02-01"),
        ("ar-sy", "في تشرين الأول 2022", "2022-10"),
        ("ar-dz", "1 أوت 2022", "2022-08-01"),
    ] {
        let found: Vec<String> = find_dates(input).iter().map(|m| m.date.to_iso()).collect();
        assert_eq!(found.join(" "), expected, "{lang}: {input:?}");
    }
}

#[test]
fn every_language_row_is_tested() {
    let source = include_str!("text.rs");
    for lang in nuntius_dates::languages() {
        assert!(
            source.contains(&format!("(\"{lang}\", ")),
            "no test for {lang}"
        );
    }
}

#[test]
fn month_and_year() {
    for (input, expected) in [
        ("gennaio 2022", "2022-01"),
        ("in January 2022 the", "2022-01"),
        ("febrero de 2022", "2022-02"),
        ("Jan. 2022", "2022-01"),
        ("March 2022", "2022-03"),
    ] {
        check(input, expected);
    }
}

#[test]
fn spans_cover_the_date() {
    let text = "Mosca, 1 febbraio 2022 - Lavrov";
    let found = find_dates(text);
    assert_eq!(found.len(), 1);
    assert_eq!(&text[found[0].start..found[0].end], "1 febbraio 2022");
    let text = "Updated: January 21, 2022.";
    let found = find_dates(text);
    assert_eq!(&text[found[0].start..found[0].end], "January 21, 2022");
}

#[test]
fn not_dates() {
    for input in [
        "32.01.2022",
        "2022-02-30",
        "31.04.2022",
        "29.02.2021",
        "21.01.1850",
        "21.01.2150",
        // A month name without an adjacent number.
        "the march of the penguins in 2022",
        "marzolino 2022",
        "1 marzolino 2022",
        // "mar" is the sea; weak abbreviations make no month on their own.
        "il mar 2022",
        "set 2022",
        // A date needs a year.
        "1 febbraio",
        "Mosca, 1 febbraio alle 11:00",
        "A320 2022",
        "version 1.21.01.2022",
        "score 3-2 in 2022",
        "14709989",
        "0:0:2967",
        "2022-23 season",
        "in 2022. January was cold",
        "may 2022",
        "The mai tai 2022",
    ] {
        check(input, "");
    }
}

#[test]
fn invalid_day_does_not_fall_back_to_month() {
    check("32 January 2022", "");
    check("30 февраля 2022 года", "");
}

#[test]
fn document_order() {
    check(
        "Il 21.01.2022 Lavrov, poi il 1 febbraio 2022 e a marzo 2022; gennaio 2023.",
        "2022-01-21 2022-02-01 2022-03 2023-01",
    );
}
