//! libFuzzer entry of the `warc` target; the body is `nuntius_fuzz::warc` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nuntius_fuzz::warc(data));
