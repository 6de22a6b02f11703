//! Fuzzes the streaming WARC reader (input forced to look like a WARC file).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = b"WARC/1.0\r\n".to_vec();
    input.extend_from_slice(data);
    for record in nuntius_web::read_web(input.as_slice()) {
        let _ = record;
    }
});
