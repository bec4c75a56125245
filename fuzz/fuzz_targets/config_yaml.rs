#![no_main]

use homodyne_config::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    homodyne_fuzz::config_entries::config_text(data, Format::Yaml);
});
