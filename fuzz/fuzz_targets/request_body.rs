//! libFuzzer entry of the `request_body` target; the body is `nuntius_fuzz::request_body` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nuntius_fuzz::request_body(data));
