//! The terminal report: a summary table of causes, then each cause with its
//! explanation, numbered fixes and evidence lines.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::prose::{fill, reflow};
use crate::diagnose::{Evidence, Report};

fn table(cx: &super::Context) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(cx.width.unwrap_or(120));
    t
}

fn evidence_table(evidence: &[Evidence], cx: &super::Context) -> String {
    let mut t = table(cx);
    t.set_header(vec!["job", "step", "line", "text"]);
    for e in evidence {
        t.add_row(vec![e.job.clone(), e.step.clone(), e.lines(), e.text.clone()]);
    }
    t.to_string()
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
}

pub fn render(report: &Report, cx: &super::Context) -> String {
    let mut out = String::new();
    if report.diagnoses.is_empty() {
        out.push_str("No known cause found.\n");
        for job in &report.jobs {
            out.push_str(&format!(
                "\nJob {}: failed step: {}\n",
                job.name,
                job.failed_step.as_deref().unwrap_or("unknown (no ##[error] line)")
            ));
            if job.error_lines.is_empty() {
                out.push_str("No error lines found.\n");
            } else {
                out.push_str("Most telling error lines:\n");
                out.push_str(&evidence_table(&job.error_lines, cx));
                out.push('\n');
            }
        }
        return out;
    }
    let width = super::prose::width(cx.width);
    let alternatives: Vec<_> = report.diagnoses.iter().skip(1).filter(|d| d.candidate).collect();
    if let (Some(first), false) = (report.diagnoses.first(), alternatives.is_empty()) {
        let head = format!("{} [{}, {}]", first.title, first.id, first.confidence);
        out.push_str(&fill(&head, width, "Most likely: ", "  "));
        out.push('\n');
        if let Some(c) = &first.confirm {
            out.push_str(&fill(c, width, "  confirm: ", "    "));
            out.push('\n');
        }
        out.push_str("Otherwise:\n");
        for d in &alternatives {
            out.push_str(&fill(&format!("{} [{}]", d.title, d.id), width, "  - ", "    "));
            out.push('\n');
            if let Some(c) = &d.confirm {
                out.push_str(&fill(c, width, "    check: ", "      "));
                out.push('\n');
            }
        }
        out.push('\n');
    }
    let mut summary = table(cx);
    summary.set_header(vec!["#", "cause", "confidence", "jobs"]);
    for (i, d) in report.diagnoses.iter().enumerate() {
        summary.add_row(vec![
            (i + 1).to_string(),
            format!("{}\n{}", d.id, d.title),
            d.confidence.to_string(),
            d.jobs.join(", "),
        ]);
    }
    out.push_str(&summary.to_string());
    out.push('\n');
    for (i, d) in report.diagnoses.iter().enumerate() {
        let head = format!("{} [{}, confidence {}]", d.title, d.id, d.confidence);
        out.push('\n');
        out.push_str(&fill(&head, width, &format!("{}. ", i + 1), "   "));
        out.push_str("\n\n");
        if let Some(c) = d.confirm.as_deref().filter(|_| d.candidate) {
            out.push_str(&fill(c, width, "   Confirm: ", "      "));
            out.push_str("\n\n");
        }
        out.push_str(&reflow(&d.explanation, width, "   "));
        out.push_str("\n\n   Fix, in this order:\n");
        for (n, f) in d.fixes.iter().enumerate() {
            out.push_str(&fill(&f.title, width, &format!("   {}. ", n + 1), "      "));
            out.push('\n');
            if !f.body.is_empty() {
                out.push_str(&reflow(&f.body, width, "      "));
                out.push('\n');
            }
            if let Some(s) = &f.snippet {
                out.push('\n');
                out.push_str(&indent(s, "         "));
                out.push_str("\n\n");
            }
        }
        if !d.evidence.is_empty() {
            out.push_str("\n   Evidence:\n");
            out.push_str(&indent(&evidence_table(&d.evidence, cx), "   "));
            out.push('\n');
        }
        if !d.explains.is_empty() {
            out.push_str(&format!("\n   Also explains: {}\n", d.explains.join(", ")));
        }
        for r in &d.references {
            out.push_str(&format!("   See: {r}\n"));
        }
    }
    out
}
