//! The run-log archive reader on arbitrary bytes, under small caps: a clear error
//! or a report, never a panic, a hang or an unbounded allocation.
#![no_main]

use std::io::Cursor;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use npm_logdoc::source::{Archive, ArchiveLimits};
use npm_logdoc::{Matcher, RuleSet};

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(&RuleSet::builtin().expect("built-in rules load")))
}

fuzz_target!(|data: &[u8]| {
    let limits = ArchiveLimits { max_entries: 64, max_total_bytes: 1 << 20 };
    if let Ok(archive) = Archive::new(Cursor::new(data), "fuzz.zip", &limits) {
        let _ = archive.scan(matcher());
    }
});
