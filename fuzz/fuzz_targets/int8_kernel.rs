//! libFuzzer entry of the `int8_kernel` target; the body is `nuntius_fuzz::int8_kernel` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nuntius_fuzz::int8_kernel(data));
