//! libFuzzer entry of the `readers` target; the body is `nuntius_fuzz::readers` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nuntius_fuzz::readers(data));
