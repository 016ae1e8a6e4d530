//! The rules' inline examples, run through the real pipeline with the whole rule
//! set (`patterns check`, and the tests): an example that should match and does
//! not is "missing", one that should not and does is "noisy". This sits above the
//! pipeline, which sits above the rule model in [`crate::pattern`].

use std::fmt;

use crate::diagnose::Report;
use crate::pattern::{Example, RuleSet};

/// An inline example whose outcome differs from what the rule file states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule: String,
    pub origin: String,
    /// 1-based position among the rule's examples.
    pub example: usize,
    /// `missing`: should have matched and did not; `noisy`: matched and should
    /// not; `off`: matched without the stated evidence or title; `fixed`: a
    /// `todo` example that now does what it states.
    pub kind: &'static str,
    /// What was off, for `off` and `fixed`.
    pub detail: Option<String>,
    pub note: Option<String>,
    pub got: Vec<String>,
}

impl fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} example {} is {}", self.origin, self.rule, self.example, self.kind)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        if let Some(n) = &self.note {
            write!(f, " ({n})")?;
        }
        write!(f, "; diagnoses were [{}]", self.got.join(", "))
    }
}

/// Whether `id` fired on the report: its rule matched, or it was folded into a
/// rule that did (a candidate listed after an unsure answer is not a match).
pub fn fired(report: &Report, id: &str) -> bool {
    report.diagnoses.iter().filter(|d| d.matched).any(|d| d.id == id || d.explains.iter().any(|e| e == id))
}

/// What is off in `report` against `example` of rule `id`: `None` when it does
/// what the example states, else the kind of failure and what was off.
pub fn judge(report: &Report, id: &str, example: &Example) -> Option<(&'static str, Option<String>)> {
    let hit = fired(report, id);
    if hit != example.matches {
        return Some((if example.matches { "missing" } else { "noisy" }, None));
    }
    let Some(d) = report.diagnoses.iter().find(|d| d.matched && d.id == id) else {
        // Matched by being folded into another cause: nothing of its own to show.
        return None;
    };
    let mut off = Vec::new();
    for want in &example.evidence {
        if !d.evidence.iter().any(|e| e.text.trim() == want.trim()) {
            let cited: Vec<&str> = d.evidence.iter().map(|e| e.text.as_str()).collect();
            off.push(format!("no evidence line `{want}` (it cites {cited:?})"));
        }
    }
    if let Some(want) = &example.title {
        if d.title != *want {
            off.push(format!("titled `{}`, not `{want}`", d.title));
        }
    }
    (!off.is_empty()).then(|| ("off", Some(off.join("; "))))
}

/// Runs every rule's examples through the real pipeline with the whole rule set
/// (the prefilter built once). A `todo` example fails only once it passes.
pub fn check_examples(rules: &RuleSet) -> Vec<ExampleFailure> {
    let analyzer = crate::Analyzer::new(rules);
    let mut failures = Vec::new();
    for rule in &rules.rules {
        for (i, ex) in rule.examples.iter().enumerate() {
            let report = analyzer.text("example", &ex.log);
            let verdict = match (judge(&report, &rule.id, ex), &ex.todo) {
                (Some(off), None) => off,
                (None, Some(why)) => ("fixed", Some(format!("it does what it states now: drop `todo = \"{why}\"`"))),
                (None, None) | (Some(_), Some(_)) => continue,
            };
            failures.push(ExampleFailure {
                rule: rule.id.clone(),
                origin: rule.origin.clone(),
                example: i + 1,
                kind: verdict.0,
                detail: verdict.1,
                note: ex.note.clone(),
                got: report.diagnoses.iter().map(|d| d.id.clone()).collect(),
            });
        }
    }
    failures
}
