//! The JSON contract (SPEC section 2): `schema_version` 1, a `diagnoses` array in
//! the order to act on, and per-job context. These types are the contract and are
//! separate from the internal ones: a field may be added, never renamed or removed
//! without bumping the version.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnose::{Evidence, Report};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    diagnoses: Vec<DiagnosisDto<'a>>,
    /// What the tool can say about each job whatever matched: the failed step
    /// and the most telling error lines (the "no known cause" report).
    jobs: Vec<JobDto<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct DiagnosisDto<'a> {
    id: &'a str,
    title: &'a str,
    confidence: String,
    explanation: &'a str,
    evidence: Vec<EvidenceDto<'a>>,
    fixes: Vec<FixDto<'a>>,
    references: &'a [String],
    jobs: &'a [String],
    explains: &'a [String],
    /// `root` (a rule matched) or `candidate` (a plausible alternative).
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirm: Option<&'a str>,
    /// Prior and weighted evidence, in log-odds: orders the candidates.
    score: f64,
}

#[derive(Serialize)]
struct EvidenceDto<'a> {
    job: &'a str,
    step: &'a str,
    line: u64,
    /// The last line of a message joined from several lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u64>,
    text: &'a str,
}

#[derive(Serialize)]
struct FixDto<'a> {
    title: &'a str,
    body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<&'a str>,
}

#[derive(Serialize)]
struct JobDto<'a> {
    name: &'a str,
    source: &'a str,
    failed_step: Option<&'a str>,
    error_lines: Vec<EvidenceDto<'a>>,
    facts: &'a BTreeMap<&'static str, String>,
    lines: u64,
}

fn evidence(e: &Evidence) -> EvidenceDto<'_> {
    EvidenceDto { job: &e.job, step: &e.step, line: e.line, end_line: e.end_line, text: &e.text }
}

pub fn render(report: &Report) -> String {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool { name: "npm-logdoc", version: super::VERSION },
        diagnoses: report
            .diagnoses
            .iter()
            .map(|d| DiagnosisDto {
                id: &d.id,
                title: &d.title,
                confidence: d.confidence.to_string(),
                explanation: &d.explanation,
                evidence: d.evidence.iter().map(evidence).collect(),
                fixes: d
                    .fixes
                    .iter()
                    .map(|f| FixDto {
                        title: &f.title,
                        body: &f.body,
                        snippet: f.snippet.as_deref(),
                        lang: f.lang.as_deref(),
                    })
                    .collect(),
                references: &d.references,
                jobs: &d.jobs,
                explains: &d.explains,
                role: if d.candidate { "candidate" } else { "root" },
                confirm: d.confirm.as_deref(),
                score: (d.score * 100.0).round() / 100.0,
            })
            .collect(),
        jobs: report
            .jobs
            .iter()
            .map(|j| JobDto {
                name: &j.name,
                source: &j.origin,
                failed_step: j.failed_step.as_deref(),
                error_lines: j.error_lines.iter().map(evidence).collect(),
                facts: &j.facts,
                lines: j.lines,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("the report serializes");
    out.push('\n');
    out
}
