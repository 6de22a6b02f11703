//! `date_from_url` on URL paths.

use nuntius_dates::date_from_url;

/// Checks the ISO form of the date read from `url` ("" for none).
fn check(url: &str, expected: &str) {
    let found = date_from_url(url).map(|d| d.to_iso()).unwrap_or_default();
    assert_eq!(found, expected, "in {url:?}");
}

#[test]
fn dates_in_paths() {
    for (url, expected) in [
        (
            "https://it.sputniknews.com/20220121/lavrov-sullincontro-con-blinken-14709989.html",
            "2022-01-21",
        ),
        (
            "https://www.example.com/2022/01/21/some-story/",
            "2022-01-21",
        ),
        (
            "https://www.example.com/news/2022-01-21/story",
            "2022-01-21",
        ),
        (
            "https://example.com/world/story-20220121-abc.html",
            "2022-01-21",
        ),
        (
            "https://example.com/world/story_2022_01_21.html",
            "2022-01-21",
        ),
        ("https://example.com/2022/1/5/story", "2022-01-05"),
        (
            "https://example.com/politica/21-01-2022/story",
            "2022-01-21",
        ),
        ("https://example.com/2022/01/some-story", "2022-01"),
        ("https://example.com/2022/01/", "2022-01"),
        ("https://example.com/2022/01", "2022-01"),
        ("/2022/01/21/relative", "2022-01-21"),
        (
            "https://www.theguardian.com/world/2022/jan/21/blinken-lavrov-geneva",
            "2022-01-21",
        ),
        (
            "https://www.rbc.ru/politics/21/01/2022/61ea8d7b9a79471",
            "2022-01-21",
        ),
        // A day later in the path wins over a month earlier.
        (
            "https://example.com/2022/01/story-20220121.html",
            "2022-01-21",
        ),
    ] {
        check(url, expected);
    }
}

#[test]
fn ids_are_not_dates() {
    for url in [
        "https://it.sputniknews.com/mondo/14709989.html",
        "https://cdnnit1.img.sputniknews.com/img/07e5/05/0c/10538300_0:0:2967:1669_1920x0_80_0_0_612ffca.jpg",
        "https://example.com/article/20221399.html",
        "https://example.com/a/123202201211",
        "https://example.com/euro-2022/final",
        "https://example.com/2022/13/story",
        "https://20220121.example.com/story",
        "https://example.com/story?date=20220121",
        "https://example.com/p/a20220121",
    ] {
        check(url, "");
    }
}
