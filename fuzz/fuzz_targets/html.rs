//! Fuzzes page extraction: any bytes, with and without an HTTP charset.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = nuntius_web::extract_page(data, Some("https://example.com/2024/01/02/a"), None);
    let _ = nuntius_web::extract_page(data, None, Some("text/html; charset=gbk"));
});
