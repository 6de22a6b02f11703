//! libFuzzer entry of the `search_query` target; the body is `nuntius_fuzz::search_query` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nuntius_fuzz::search_query(data));
