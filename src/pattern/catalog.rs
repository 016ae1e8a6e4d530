//! What `patterns list`, `patterns check` and `explain` print about the rules.

use std::fmt;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::{Rule, RuleSet};

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

/// Whether `id` fired on the report: as a diagnosis, or folded into one.
pub fn fired(report: &crate::Report, id: &str) -> bool {
    report.diagnoses.iter().any(|d| d.id == id || d.explains.iter().any(|e| e == id))
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

/// `patterns list`: every rule's id, confidence, family and title.
pub fn list(rules: &RuleSet, json: bool) -> String {
    if json {
        let items: Vec<serde_json::Value> = rules
            .rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "family": r.family(), "title": r.title,
                    "confidence": r.confidence.to_string(), "rank": r.rank,
                    "supersedes": r.supersedes, "source": r.origin,
                })
            })
            .collect();
        return serde_json::to_string_pretty(&items).expect("serializable") + "\n";
    }
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_width(140);
    t.set_header(vec!["id", "confidence", "family", "title"]);
    for r in &rules.rules {
        t.add_row(vec![r.id.clone(), r.confidence.to_string(), r.family().to_string(), r.title.clone()]);
    }
    format!("{t}\n{} rules\n", rules.rules.len())
}

/// `explain ID`: the cause, when it fires, and every fix (placeholders shown as
/// they are filled in from a log).
pub fn describe(rule: &Rule) -> String {
    let mut out = format!(
        "{}\n{}\n\nconfidence: {} (rank {})\nsource: {}\n\n",
        rule.id, rule.title, rule.confidence, rule.rank, rule.origin
    );
    out.push_str(rule.explanation.trim());
    out.push_str("\n\nFires when:\n");
    let names = |ix: &[usize]| ix.iter().map(|&i| rule.signals[i].name.clone()).collect::<Vec<_>>().join(", ");
    if !rule.all.is_empty() {
        out.push_str(&format!("  all of: {}\n", names(&rule.all)));
    }
    if !rule.any.is_empty() {
        out.push_str(&format!("  any of: {}\n", names(&rule.any)));
    }
    if !rule.none.is_empty() {
        out.push_str(&format!("  none of: {}\n", names(&rule.none)));
    }
    if !rule.facts.is_empty() {
        out.push_str(&format!(
            "  facts: {}\n",
            rule.facts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    for (n, w) in rule.alternatives.iter().enumerate() {
        out.push_str(&format!("  or ({}):", n + 1));
        if !w.all.is_empty() {
            out.push_str(&format!(" all of: {};", names(&w.all)));
        }
        if !w.any.is_empty() {
            out.push_str(&format!(" any of: {};", names(&w.any)));
        }
        if !w.none.is_empty() {
            out.push_str(&format!(" none of: {};", names(&w.none)));
        }
        if !w.facts.is_empty() {
            out.push_str(&format!(
                " facts: {}",
                w.facts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ));
        }
        out.push('\n');
    }
    for s in &rule.signals {
        out.push_str(&format!("    {}: /{}/ (literal {:?})\n", s.name, s.regex.as_str(), s.literal));
    }
    if !rule.supersedes.is_empty() {
        out.push_str(&format!("  and folds in: {}\n", rule.supersedes.join(", ")));
    }
    out.push_str("\nFix, in this order:\n");
    for (n, f) in rule.fixes.iter().enumerate() {
        out.push_str(&format!("  {}. {}\n", n + 1, f.title));
        for l in f.body.trim().lines() {
            out.push_str(&format!("     {l}\n"));
        }
        if let Some(s) = &f.snippet {
            out.push('\n');
            for l in s.trim_end().lines() {
                out.push_str(&format!("        {l}\n"));
            }
            out.push('\n');
        }
    }
    for r in &rule.references {
        out.push_str(&format!("See: {r}\n"));
    }
    out
}
