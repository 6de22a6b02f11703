//! libFuzzer entry of the `html` target; the body is `nuntius_fuzz::html` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nuntius_fuzz::html(data));
