//! The whole scan (prefilter, normaliser, facts, regexes, diagnosis) on arbitrary
//! bytes: never panics, and counts exactly the newlines it was given.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use npm_logdoc::{Matcher, RuleSet, diagnose, source};

fn rules() -> &'static (RuleSet, Matcher) {
    static R: OnceLock<(RuleSet, Matcher)> = OnceLock::new();
    R.get_or_init(|| {
        let rules = RuleSet::builtin_for_analysis().expect("built-in rules load");
        let matcher = Matcher::new(&rules);
        (rules, matcher)
    })
}

fuzz_target!(|data: &[u8]| {
    let (rules, matcher) = rules();
    let Ok(scans) = source::scan_reader("fuzz", None, &mut &data[..], matcher) else {
        return;
    };
    let newlines = data.iter().filter(|b| **b == b'\n').count() as u64;
    let counted: u64 = scans.iter().map(|s| s.facts.lines).sum();
    assert_eq!(counted, newlines);
    let _ = diagnose::diagnose(rules, matcher, &scans);
});
