//! libFuzzer entry of the `feed` target; the body is `nuntius_fuzz::feed` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nuntius_fuzz::feed(data));
