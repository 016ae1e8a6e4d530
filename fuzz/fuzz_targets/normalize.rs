//! The normaliser on arbitrary bytes: never panics, never grows a line, and the
//! structure classifier accepts whatever it produces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npm_logdoc::normalize::{self, Structure};

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let mut structure = Structure::default();
    for raw in data.split(|b| *b == b'\n') {
        let prefix = normalize::normalize_into(raw, &mut out);
        assert!(out.len() <= raw.len(), "normalising never adds bytes");
        for r in [&prefix.job, &prefix.step, &prefix.timestamp].into_iter().flatten() {
            assert!(r.start <= r.end && r.end <= raw.len());
        }
        let text = normalize::text(&out);
        let _ = structure.classify(&text, prefix.script_echo, prefix.timestamp.is_some());
    }
});
