//! The rules' inline examples, run through the real pipeline with the whole rule
//! set (`patterns check`, and the tests): an example that should match and does
//! not is "missing", one that should not and does is "noisy". This sits above the
//! pipeline, which sits above the rule model in [`crate::pattern`].

use std::fmt;

use crate::diagnose::Report;
use crate::pattern::RuleSet;

/// An inline example whose outcome differs from what the rule file states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule: String,
    pub origin: String,
    /// 1-based position among the rule's examples.
    pub example: usize,
    /// `missing`: should have matched and did not; `noisy`: matched and should not.
    pub kind: &'static str,
    pub note: Option<String>,
    pub got: Vec<String>,
}

impl fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} example {} is {}", self.origin, self.rule, self.example, self.kind)?;
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

/// Runs every rule's examples through the real pipeline with the whole rule set.
pub fn check_examples(rules: &RuleSet) -> Vec<ExampleFailure> {
    let mut failures = Vec::new();
    for rule in &rules.rules {
        for (i, ex) in rule.examples.iter().enumerate() {
            let report = crate::analyze_text("example", &ex.log, rules);
            let hit = fired(&report, &rule.id);
            if hit != ex.matches {
                failures.push(ExampleFailure {
                    rule: rule.id.clone(),
                    origin: rule.origin.clone(),
                    example: i + 1,
                    kind: if ex.matches { "missing" } else { "noisy" },
                    note: ex.note.clone(),
                    got: report.diagnoses.iter().map(|d| d.id.clone()).collect(),
                });
            }
        }
    }
    failures
}
