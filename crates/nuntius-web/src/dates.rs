//! Date reading and normalisation to ISO 8601: ISO forms, RFC 822 (feeds), dates in
//! URLs and the usual written forms ("3 May 2021", "May 3, 2021", "03.05.2021").

/// Normalises a date string to `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS±HH:MM`
/// (the time is kept only when an offset or `Z` says what it means).
pub fn normalise_date(s: &str) -> Option<String> {
    let s = s.trim();
    iso(s).or_else(|| rfc822(s)).or_else(|| date_in_text(s))
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn valid(y: u32, m: u32, d: u32) -> bool {
    (1990..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d)
}

fn ymd(y: u32, m: u32, d: u32) -> Option<String> {
    valid(y, m, d).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

fn iso(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 10 || !matches!(b[4], b'-' | b'/') || b[7] != b[4] {
        return None;
    }
    // `get` rather than indexing: a multi-byte character may sit at any of these offsets.
    let date = ymd(num(s.get(0..4)?)?, num(s.get(5..7)?)?, num(s.get(8..10)?)?)?;
    let rest = s.get(10..)?;
    let Some(time) = rest.strip_prefix(['T', ' ']) else {
        return Some(date);
    };
    // HH:MM[:SS][.fff](Z|±HH[:]MM)
    let tb = time.as_bytes();
    if tb.len() < 5 || tb[2] != b':' {
        return Some(date);
    }
    let (h, mi) = (num(time.get(0..2)?)?, num(time.get(3..5)?)?);
    let mut i = 5;
    let mut sec = 0;
    if tb.get(5) == Some(&b':') && tb.len() >= 8 {
        sec = time.get(6..8).and_then(num).unwrap_or(0);
        i = 8;
    }
    if tb.get(i) == Some(&b'.') {
        i += 1;
        while tb.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match tb.get(i) {
        Some(b'Z' | b'z') => "+00:00".to_string(),
        Some(b'+' | b'-') => {
            let digits: String = time
                .get(i + 1..)
                .unwrap_or("")
                .chars()
                .filter(char::is_ascii_digit)
                .take(4)
                .collect();
            if digits.len() != 4 {
                return Some(date);
            }
            format!("{}{}:{}", tb[i] as char, &digits[..2], &digits[2..])
        }
        _ => return Some(date),
    };
    if h > 23 || mi > 59 || sec > 60 {
        return Some(date);
    }
    Some(format!("{date}T{h:02}:{mi:02}:{sec:02}{offset}"))
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("januar", 1),
    ("februar", 2),
    ("märz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    ("janvier", 1),
    ("février", 2),
    ("mars", 3),
    ("avril", 4),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("gennaio", 1),
    ("febbraio", 2),
    ("aprile", 4),
    ("maggio", 5),
    ("giugno", 6),
    ("luglio", 7),
    ("settembre", 9),
    ("ottobre", 10),
    ("dicembre", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("okt", 10),
    ("nov", 11),
    ("dec", 12),
    ("dez", 12),
];

fn month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    MONTHS.iter().find(|(name, _)| *name == w).map(|&(_, m)| m)
}

/// RFC 822/2822 dates as RSS writes them: `Tue, 05 Mar 2024 10:20:00 +0100`.
fn rfc822(s: &str) -> Option<String> {
    let s = s.split_once(',').map_or(s, |(_, rest)| rest).trim();
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() < 3 {
        return None;
    }
    let d = num(parts[0])?;
    let m = month(parts[1])?;
    let y = num(parts[2])?;
    let y = if y < 100 { y + 2000 } else { y };
    let date = ymd(y, m, d)?;
    let (Some(time), Some(zone)) = (parts.get(3), parts.get(4)) else {
        return Some(date);
    };
    let offset = match *zone {
        "GMT" | "UT" | "UTC" | "Z" => "+00:00".to_string(),
        "EST" => "-05:00".into(),
        "EDT" => "-04:00".into(),
        "CST" => "-06:00".into(),
        "CDT" => "-05:00".into(),
        "PST" => "-08:00".into(),
        "PDT" => "-07:00".into(),
        z if z.len() == 5
            && (z.starts_with('+') || z.starts_with('-'))
            && num(&z[1..]).is_some() =>
        {
            format!("{}:{}", &z[..3], &z[3..])
        }
        _ => return Some(date),
    };
    let t: Vec<u32> = time.split(':').filter_map(num).collect();
    match t.as_slice() {
        [h, mi] if *h < 24 && *mi < 60 => Some(format!("{date}T{h:02}:{mi:02}:00{offset}")),
        [h, mi, sec] if *h < 24 && *mi < 60 && *sec <= 60 => {
            Some(format!("{date}T{h:02}:{mi:02}:{sec:02}{offset}"))
        }
        _ => Some(date),
    }
}

/// A `/2021/07/15/` or `/2021-07-15` date in a URL path.
pub fn date_in_url(url: &str) -> Option<String> {
    let path = url
        .split("://")
        .nth(1)
        .and_then(|r| r.find('/').map(|i| &r[i..]))
        .unwrap_or(url);
    let parts: Vec<&str> = path.split(['/', '-', '_', '.']).collect();
    for w in parts.windows(3) {
        if w[0].len() == 4 && w[1].len() <= 2 && w[2].len() <= 2 {
            if let (Some(y), Some(m), Some(d)) = (num(w[0]), num(w[1]), num(w[2])) {
                if let Some(date) = ymd(y, m, d) {
                    return Some(date);
                }
            }
        }
    }
    None
}

/// A full written date (day, month and year) in free text.
pub fn date_in_text(text: &str) -> Option<String> {
    if text.len() > 2000 {
        return None;
    }
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        // 03.05.2021 / 03/05/2021 (day first outside the US is the common case in our inputs)
        let parts: Vec<&str> = w.trim_end_matches(['.', ',']).split(['.', '/']).collect();
        if parts.len() == 3 && parts[2].len() == 4 {
            if let (Some(d), Some(m), Some(y)) = (num(parts[0]), num(parts[1]), num(parts[2])) {
                if let Some(date) = ymd(y, m, d) {
                    return Some(date);
                }
            }
        }
        if let Some(date) = iso(w) {
            return Some(date);
        }
        let Some(m) = month(w) else { continue };
        // "3 May 2021", "3. Mai 2021", "3 de mayo de 2021"
        let before = i
            .checked_sub(1)
            .and_then(|j| num(words[j].trim_end_matches('.')));
        let after_year = words.get(i + 1).and_then(|y| num(y)).or_else(|| {
            (words.get(i + 1) == Some(&"de"))
                .then(|| words.get(i + 2).and_then(|y| num(y)))
                .flatten()
        });
        if let (Some(d), Some(y)) = (before, after_year) {
            if let Some(date) = ymd(y, m, d) {
                return Some(date);
            }
        }
        let before_de = (i >= 2 && words[i - 1] == "de")
            .then(|| num(words[i - 2]))
            .flatten();
        if let (Some(d), Some(y)) = (before_de, after_year) {
            if let Some(date) = ymd(y, m, d) {
                return Some(date);
            }
        }
        // "May 3, 2021"
        let day_after = words
            .get(i + 1)
            .and_then(|d| num(d.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '.')));
        let year_after = words.get(i + 2).and_then(|y| num(y));
        if let (Some(d), Some(y)) = (day_after, year_after) {
            if let Some(date) = ymd(y, m, d) {
                return Some(date);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&str>) {
        assert_eq!(normalise_date(input).as_deref(), expected, "{input}");
    }

    #[test]
    fn normalises_common_forms() {
        check("2024-03-05", Some("2024-03-05"));
        check(
            "2024-03-05T10:20:00+01:00",
            Some("2024-03-05T10:20:00+01:00"),
        );
        check(
            "2024-03-05T10:20:00.123Z",
            Some("2024-03-05T10:20:00+00:00"),
        );
        check("2024-03-05T10:20", Some("2024-03-05"));
        check(
            "Tue, 05 Mar 2024 10:20:00 +0100",
            Some("2024-03-05T10:20:00+01:00"),
        );
        check(
            "Tue, 05 Mar 2024 10:20:00 GMT",
            Some("2024-03-05T10:20:00+00:00"),
        );
        check("March 5, 2024", Some("2024-03-05"));
        check("5. März 2024", Some("2024-03-05"));
        check("05.03.2024", Some("2024-03-05"));
        check("5 de marzo de 2024", Some("2024-03-05"));
        check("Copyright 2019", None);
        check("2024-13-45", None);
        // Regression: a multi-byte character at a fixed offset used to panic on slicing.
        check("2024-03-0é", None);
        check("2024-03-05T1é:00", Some("2024-03-05"));
        check("2024-03-05T10:20:0é+01:00", Some("2024-03-05"));
    }

    #[test]
    fn url_dates() {
        assert_eq!(
            date_in_url("https://a.example/2021/07/15/x").as_deref(),
            Some("2021-07-15")
        );
        assert_eq!(
            date_in_url("https://a.example/news-2021-07-15.html").as_deref(),
            Some("2021-07-15")
        );
        assert_eq!(date_in_url("https://a.example/1234/5678"), None);
    }
}
