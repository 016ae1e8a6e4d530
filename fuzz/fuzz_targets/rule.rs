//! The rule loader on arbitrary text: a list of located problems or a rule,
//! never a panic; every problem's location lies inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npm_logdoc::pattern::parse_rule;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) = parse_rule("fuzz/rule", "fuzz/rule.toml", src) {
        assert!(!problems.is_empty());
        let lines = src.lines().count().max(1) + 1;
        for p in problems {
            assert!(p.line <= lines, "{p} points past the end of the file");
        }
    }
});
