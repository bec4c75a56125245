#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    homodyne_fuzz::data_entries::cache_file(homodyne_fuzz::scratch_dir(), data);
});
