//! Prints a [`CheckReport`]: table, json (versioned), markdown, GitHub workflow
//! annotations, SARIF 2.1.0. Renderers never decide; they print what `checks` found.

use serde::Serialize;

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

fn sarif(report: &CheckReport) -> String {
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<serde_json::Value> = rule_ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id,
                "name": id.replace(['/', '-'], "_"),
                "shortDescription": { "text": format!("npm-logdoc cause {id}") },
                "helpUri": "https://docs.npmjs.com/trusted-publishers",
                "help": { "text": format!("Run `npm-logdoc explain {id}` for the cause and every fix.") },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f: &Finding| {
            serde_json::json!({
                "ruleId": f.id,
                "ruleIndex": rule_ids.iter().position(|r| *r == f.id).unwrap_or(0),
                "level": f.severity.as_str(),
                "message": { "text": format!("{} Fix: {}", clean(&f.message), clean(&f.fix)) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": f.line, "startColumn": f.column }
                    }
                }]
            })
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "npm-logdoc",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
