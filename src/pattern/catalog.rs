//! What `patterns list`, `patterns check` and `explain` print about the rules.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::{Rule, RuleSet};

/// `patterns list`: every rule's id, confidence, family and title. The table shows
/// titles as they read without captured values; JSON keeps the template.
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
        t.add_row(vec![r.id.clone(), r.confidence.to_string(), r.family().to_string(), generic_title(&r.title)]);
    }
    format!("{t}\n{} rules\n", rules.rules.len())
}

/// What to say when `explain` is given an id no rule has: the causes of a family
/// named on its own, else the ids within a few typos, else those that contain its
/// last part.
pub fn suggest(rules: &RuleSet, query: &str) -> String {
    let in_family: Vec<&str> = rules.rules.iter().filter(|r| r.family() == query).map(|r| r.id.as_str()).collect();
    if !in_family.is_empty() {
        return format!("`{query}` is a family; its causes are {}", in_family.join(", "));
    }
    let last = query.rsplit('/').next().unwrap_or(query);
    let mut near: Vec<(usize, &str)> = rules
        .rules
        .iter()
        .filter_map(|r| {
            let name = r.id.rsplit('/').next().unwrap_or(&r.id);
            let d = strsim::levenshtein(&r.id, query).min(strsim::levenshtein(name, last) + usize::from(r.id != query));
            (d <= 3.max(query.len() / 6)).then_some((d, r.id.as_str()))
        })
        .collect();
    near.sort();
    let mut ids: Vec<&str> = near.into_iter().take(3).map(|(_, id)| id).collect();
    if ids.is_empty() && !last.is_empty() {
        ids = rules.rules.iter().map(|r| r.id.as_str()).filter(|id| id.contains(last)).take(5).collect();
    }
    if ids.is_empty() {
        "`npm-logdoc patterns list` shows every id".to_string()
    } else {
        format!("did you mean {}?", ids.join(", "))
    }
}

/// One condition block as `explain` prints it: `all of: a, b`, `any of: ...`,
/// `none of: ...`, `facts: ...`, the empty parts left out.
fn conditions(rule: &Rule, all: &[usize], any: &[usize], none: &[usize], facts: &[super::Condition]) -> Vec<String> {
    let names = |ix: &[usize]| ix.iter().map(|&i| rule.signals[i].name.as_str()).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    for (label, ix) in [("all of", all), ("any of", any), ("none of", none)] {
        if !ix.is_empty() {
            parts.push(format!("{label}: {}", names(ix)));
        }
    }
    if !facts.is_empty() {
        parts.push(format!("facts: {}", facts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")));
    }
    parts
}

/// A title as it reads when the log gave none of its placeholders: each
/// `{{name|fallback}}` is its fallback, a bare `{{name}}` is `<name>`.
pub fn generic_title(title: &str) -> String {
    super::template::render(title, |p| match p.fallback {
        Some(f) => f.to_string(),
        None => format!("<{}>", p.name),
    })
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
    let main = conditions(rule, &rule.all, &rule.any, &rule.none, &rule.facts);
    for part in main {
        out.push_str(&format!("  {part}\n"));
    }
    for (n, w) in rule.alternatives.iter().enumerate() {
        let parts = conditions(rule, &w.all, &w.any, &w.none, &w.facts);
        out.push_str(&format!("  or ({}): {}\n", n + 1, parts.join("; ")));
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
