//! `parse_date` on metadata strings: ISO 8601, RFC 2822, compact forms, written dates.

use nuntius_dates::parse_date;

/// Checks the ISO form of the date parsed from `input` ("" for none).
fn check(input: &str, expected: &str) {
    let found = parse_date(input).map(|d| d.to_iso()).unwrap_or_default();
    assert_eq!(found, expected, "in {input:?}");
}

#[test]
fn iso_8601() {
    for (input, expected) in [
        ("2022-01-21", "2022-01-21"),
        ("2022-01-21T11:57:00Z", "2022-01-21T11:57:00Z"),
        ("2022-01-21T11:57:00+01:00", "2022-01-21T11:57:00+01:00"),
        (
            "2022-01-21T11:57:00.123456+0100",
            "2022-01-21T11:57:00+01:00",
        ),
        ("2022-01-21T11:57:00.000Z", "2022-01-21T11:57:00Z"),
        ("2022-01-21T11:57:00", "2022-01-21T11:57:00"),
        ("2022-01-21T11:57", "2022-01-21T11:57:00"),
        ("2022-01-21 11:57:00 +0100", "2022-01-21T11:57:00+01:00"),
        ("2022-01-21T11:57:00-03:30", "2022-01-21T11:57:00-03:30"),
        ("  \"2022-01-21\"  ", "2022-01-21"),
        ("2022-01", "2022-01"),
        ("2022", "2022"),
        ("20220121", "2022-01-21"),
        ("20220121115700", "2022-01-21T11:57:00"),
    ] {
        check(input, expected);
    }
}

#[test]
fn rfc_2822() {
    for (input, expected) in [
        (
            "Tue, 01 Feb 2022 10:00:00 +0100",
            "2022-02-01T10:00:00+01:00",
        ),
        ("Tue, 01 Feb 2022 10:00:00 GMT", "2022-02-01T10:00:00Z"),
        (
            "Tue, 1 Feb 2022 10:00:00 -0500",
            "2022-02-01T10:00:00-05:00",
        ),
        ("Tue, 01 Feb 2022 10:00 EST", "2022-02-01T10:00:00-05:00"),
        ("01 Feb 2022 10:00:00 UT", "2022-02-01T10:00:00Z"),
        (
            "mar, 01 feb 2022 10:00:00 +0100",
            "2022-02-01T10:00:00+01:00",
        ),
        ("Tue, 01 Feb 2022", "2022-02-01"),
    ] {
        check(input, expected);
    }
}

#[test]
fn written_dates() {
    for (input, expected) in [
        ("21.01.2022", "2022-01-21"),
        ("1 febbraio 2022", "2022-02-01"),
        ("January 21, 2022", "2022-01-21"),
        ("January 2022", "2022-01"),
        (
            "Published: 21 January 2022 | Updated: 22 January 2022",
            "2022-01-21",
        ),
    ] {
        check(input, expected);
    }
}

#[test]
fn not_dates() {
    for input in [
        "",
        "yesterday",
        "14709989",
        "2022-13",
        "2022-02-30",
        "1642762620",
        "1850",
        "n/a",
    ] {
        check(input, "");
    }
}
