#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| errscope_fuzz::check_extract(data));
