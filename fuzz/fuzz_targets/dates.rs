//! Fuzzes the date finders and parsers on text, metadata strings and URLs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = nuntius_dates::find_dates(text);
        let _ = nuntius_dates::parse_date(text);
        let _ = nuntius_dates::date_from_url(text);
    }
});
