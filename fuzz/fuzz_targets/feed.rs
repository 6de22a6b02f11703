//! Fuzzes the RSS/Atom and JSON Feed readers (input forced to sniff as a feed).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut xml = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>".to_vec();
    xml.extend_from_slice(data);
    let _ = nuntius_web::read_web(xml.as_slice()).count();
    let mut json = br#"{"version":"https://jsonfeed.org/version/1.1","items":"#.to_vec();
    json.extend_from_slice(data);
    let _ = nuntius_web::read_web(json.as_slice()).count();
});
