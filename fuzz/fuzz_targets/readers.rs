//! Fuzzes the readers (JSONL, JSON arrays, text dumps, gzip of them) under small limits, and
//! the JSON record parser: never a panic, never more than the limits read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nuntius_readers::{parse_jsonl_line, read_stream, Limits, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions {
        web: None,
        limits: Limits {
            max_record_bytes: 4096,
            max_file_bytes: 1 << 16,
        },
    };
    read_stream(Box::new(data), "fuzz", None, &options, &mut |item| {
        let _ = item;
    });
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_jsonl_line(text);
    }
});
