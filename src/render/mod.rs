//! Reports to text: `table` for a terminal, `json` for machines (a versioned
//! contract), `markdown` for comments and summaries, `github` for workflow
//! commands. Renderers only format: the order and content were decided by
//! `diagnose`, and every string has passed through `redact` before it gets here.

pub mod github;
pub mod inert;
pub mod json;
pub mod markdown;
pub mod prose;
pub mod table;

use crate::diagnose::Report;

/// Output formats of `analyze`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Markdown,
    Github,
}

/// Context the report itself does not carry (links, version).
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Link to the run, when the log came from GitHub.
    pub run_url: Option<String>,
    /// Links to jobs by name.
    pub job_urls: Vec<(String, String)>,
    /// Terminal width for tables (None: not a terminal).
    pub width: Option<u16>,
}

/// The version string shown in reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Renders `report` (redacted here, whatever the caller did) in `format`. Only
/// `github` may print workflow commands: every other format passes through
/// [`inert::commands`], so a log line cannot become one when the runner reads it.
pub fn render(report: &Report, format: Format, cx: &Context) -> String {
    let safe = crate::redact::report(report);
    match format {
        Format::Table => inert::commands(&table::render(&safe, cx), false),
        Format::Json => inert::commands(&json::render(&safe), true),
        Format::Markdown => inert::commands(&markdown::render(&safe, cx, &markdown::Options::default()), false),
        Format::Github => github::render(&safe),
    }
}

/// `analyze --why`: for each cause, its prior and the weighted evidence that
/// counted for and against it, and the symptoms it folded in.
pub fn why(report: &Report) -> String {
    inert::commands(&why_text(report), false)
}

fn why_text(report: &Report) -> String {
    let safe = crate::redact::report(report);
    let mut out = String::from("\nWhy these causes, in this order:\n");
    if safe.diagnoses.is_empty() {
        out.push_str("  no rule matched and no candidate's conditions held\n");
    }
    for (i, d) in safe.diagnoses.iter().enumerate() {
        let role = match (d.matched, d.candidate) {
            (true, false) => "matched",
            (true, true) => "matched, behind a likelier candidate",
            (false, false) => "candidate, the likeliest",
            (false, true) => "candidate",
        };
        out.push_str(&format!(
            "\n{}. {} ({role}, {}): score {:.2} = prior {} (ln {:.2})",
            i + 1,
            d.id,
            d.confidence,
            d.score,
            d.prior,
            d.prior.ln()
        ));
        out.push('\n');
        for (what, w) in &d.why {
            out.push_str(&format!("   {:+.2}  {what}\n", w));
        }
        for e in d.evidence.iter().take(6) {
            out.push_str(&format!("   line {}: {}\n", e.line, e.text));
        }
        if !d.explains.is_empty() {
            out.push_str(&format!("   folded in: {}\n", d.explains.join(", ")));
        }
        if let Some(c) = &d.confirm {
            out.push_str(&format!("   confirm: {c}\n"));
        }
    }
    out
}
