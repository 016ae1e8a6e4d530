//! Prints a [`CheckReport`]: table, json (versioned), markdown, GitHub workflow
//! annotations, SARIF 2.1.0. Renderers never decide; they print what `checks` found.

use serde::Serialize;
use serde_sarif::sarif;

use super::{CheckReport, Finding, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Table,
    Json,
    Markdown,
    Github,
    Sarif,
}

pub fn render(report: &CheckReport, format: CheckFormat) -> String {
    match format {
        CheckFormat::Table => table(report),
        CheckFormat::Json => json(report),
        CheckFormat::Markdown => markdown(report),
        CheckFormat::Github => github(report),
        CheckFormat::Sarif => sarif(report),
    }
}

fn clean(s: &str) -> String {
    crate::redact::shown(s)
}

fn summary(report: &CheckReport) -> String {
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    format!(
        "{} error(s), {} warning(s), {} note(s)",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note)
    )
}

fn table(report: &CheckReport) -> String {
    if report.findings.is_empty() {
        return "npm-logdoc check: no publishing problems found\n".into();
    }
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_width(120);
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    t.set_header(["where", "severity", "id", "finding", "fix"]);
    for f in &report.findings {
        t.add_row([
            format!("{}:{}:{}", f.file, f.line, f.column),
            f.severity.as_str().to_string(),
            f.id.clone(),
            clean(&f.message),
            clean(&f.fix),
        ]);
    }
    format!("{t}\n{}\n", summary(report))
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    id: &'a str,
    severity: Severity,
    file: &'a str,
    line: usize,
    column: usize,
    message: String,
    fix: String,
    /// Whether `check --fix` writes the fix.
    fixable: bool,
}

fn json(report: &CheckReport) -> String {
    let r = JsonReport {
        schema_version: 1,
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                id: &f.id,
                severity: f.severity,
                file: &f.file,
                line: f.line,
                column: f.column,
                message: clean(&f.message),
                fix: clean(&f.fix),
                fixable: f.edit.is_some(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&r).unwrap_or_default();
    s.push('\n');
    s
}

/// Markdown inline text: no HTML, no mentions, no table breaks.
fn md(s: &str) -> String {
    clean(s).replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;").replace('@', "@\u{200b}")
}

fn markdown(report: &CheckReport) -> String {
    let mut out = String::from("## npm-logdoc check\n\n");
    if report.findings.is_empty() {
        out.push_str("No publishing problems found.\n");
        return out;
    }
    out.push_str(&format!("{}\n\n| where | severity | id | finding | fix |\n|---|---|---|---|---|\n", summary(report)));
    for f in &report.findings {
        out.push_str(&format!(
            "| `{}:{}:{}` | {} | `{}` | {} | {} |\n",
            f.file.replace('`', "'"),
            f.line,
            f.column,
            f.severity.as_str(),
            f.id,
            md(&f.message),
            md(&f.fix)
        ));
    }
    out
}

/// Escapes a workflow-command value (data) and property.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(report: &CheckReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            gh_prop(&f.file),
            f.line,
            f.column,
            gh_prop(&f.id),
            gh_data(&format!("{} Fix: {}", clean(&f.message), clean(&f.fix)))
        ));
    }
    out.push_str(&format!("npm-logdoc check: {}\n", summary(report)));
    out
}

/// The SARIF document for code scanning, built with `serde-sarif`'s types (generated
/// from the SARIF 2.1.0 schema, so a required member cannot be left out): one run,
/// one rule per cause id (titled from the built-in rules where the id is one), one
/// result per finding at its file (a URI relative to the repository root, under
/// `%SRCROOT%`), line and column, with a fingerprint that does not move with the line.
pub fn sarif_document(report: &CheckReport) -> sarif::Sarif {
    let catalog = crate::pattern::RuleSet::builtin_for_analysis().ok();
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<sarif::ReportingDescriptor> = rule_ids
        .iter()
        .map(|id| {
            let known = catalog.as_ref().and_then(|c| c.get(id));
            let title =
                known.map_or_else(|| format!("npm-logdoc check: {id}"), |r| crate::pattern::generic_title(&r.title));
            let help_uri = known
                .and_then(|r| r.references.first().cloned())
                .unwrap_or_else(|| "https://docs.npmjs.com/trusted-publishers".into());
            let family = id.split('/').next().unwrap_or(id).to_string();
            let fixable = report.findings.iter().any(|f| f.id == *id && f.edit.is_some());
            let help = format!(
                "Run `npm-logdoc explain {id}` for the cause and every fix.{}",
                if fixable { " `npm-logdoc check --fix` shows the edit for the findings it can fix." } else { "" }
            );
            sarif::ReportingDescriptor::builder()
                .id(*id)
                .name(id.replace(['/', '-'], "_"))
                .short_description(sarif::MultiformatMessageString::builder().text(clean(&title)).build())
                .help(sarif::MultiformatMessageString::builder().text(help).build())
                .help_uri(help_uri)
                .properties(sarif::PropertyBag::builder().tags(vec!["npm-publish".to_string(), family]).build())
                .build()
        })
        .collect();
    let mut seen: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let results: Vec<sarif::Result> = report
        .findings
        .iter()
        .map(|f: &Finding| {
            let message = format!("{} Fix: {}", clean(&f.message), clean(&f.fix));
            let index = rule_ids.iter().position(|r| *r == f.id).unwrap_or(0);
            // The same finding in the same file keeps its identity when lines move;
            // the n-th repeat of one is told apart by n.
            let key = fnv1a(&[f.id.as_str(), f.file.as_str(), clean(&f.message).as_str()]);
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            let fingerprint = format!("{key:016x}:{n}");
            let location = sarif::Location::builder()
                .physical_location(
                    sarif::PhysicalLocation::builder()
                        .artifact_location(
                            sarif::ArtifactLocation::builder().uri(uri_path(&f.file)).uri_base_id("%SRCROOT%").build(),
                        )
                        .region(
                            sarif::Region::builder()
                                .start_line(f.line.max(1) as i64)
                                .start_column(f.column.max(1) as i64)
                                .build(),
                        )
                        .build(),
                )
                .build();
            sarif::Result::builder()
                .rule_id(f.id.clone())
                .rule_index(index as i64)
                .level(match f.severity {
                    Severity::Error => sarif::ResultLevel::Error,
                    Severity::Warning => sarif::ResultLevel::Warning,
                    Severity::Note => sarif::ResultLevel::Note,
                })
                .message(sarif::Message::builder().text(message).build())
                .locations(vec![location])
                .partial_fingerprints(std::collections::BTreeMap::from([(SARIF_FINGERPRINT.to_string(), fingerprint)]))
                .build()
        })
        .collect();
    let driver =
        sarif::ToolComponent::builder().name("npm-logdoc").version(env!("CARGO_PKG_VERSION")).rules(rules).build();
    let run = sarif::Run::builder().tool(sarif::Tool::builder().driver(driver).build()).results(results).build();
    sarif::Sarif::builder()
        .schema(SARIF_SCHEMA)
        .version(serde_json::to_value(sarif::Version::V2_1_0).unwrap_or_else(|_| "2.1.0".into()))
        .runs(vec![run])
        .build()
}

/// The JSON schema the document names.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of each result's `partialFingerprints` entry.
pub const SARIF_FINGERPRINT: &str = "npmLogdocFinding/v1";

fn sarif(report: &CheckReport) -> String {
    let mut s = serde_json::to_string_pretty(&sarif_document(report)).unwrap_or_default();
    s.push('\n');
    s
}

/// FNV-1a (64 bit) over the parts, each followed by a NUL: stable across builds and
/// platforms, unlike `std`'s hasher.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A relative path as a URI reference: `/` kept, every byte outside RFC 3986's
/// unreserved set percent-encoded (a space, `#`, `%`, non-ASCII).
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_are_percent_encoded_and_keep_slashes() {
        assert_eq!(uri_path(".github/workflows/release.yml"), ".github/workflows/release.yml");
        assert_eq!(uri_path("packages/my pkg/package.json"), "packages/my%20pkg/package.json");
        assert_eq!(uri_path("a#b%c/\u{e9}.json"), "a%23b%25c/%C3%A9.json");
    }

    #[test]
    fn fingerprints_are_fnv1a() {
        // No parts: the offset basis; "a" is hashed as "a\0" (FNV-1a of "a" alone
        // is the published vector 0xaf63dc4c8601ec8c).
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&["a"]), 0x089b_e207_b544_f1e4);
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
