//! libFuzzer entry of the `dates` target; the body is `nuntius_fuzz::dates` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nuntius_fuzz::dates(data));
