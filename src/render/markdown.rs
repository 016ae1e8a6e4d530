//! The markdown report: the bot's comment body and the step summary.
//!
//! Log text is hostile input here. Excerpts go in fences longer than any backtick
//! run they contain; every piece of text outside fences passes through
//! [`inert`](super::inert::markdown), the one escaping function; links are the
//! tool's own (run, jobs, references) and only to plain URLs; the body stays under
//! GitHub's 65,536-character comment limit, cutting whole blocks and saying so.

use crate::diagnose::{Diagnosis, Evidence, Report};
use crate::pattern::Confidence;

/// GitHub's limit on a comment body, in characters.
pub const GITHUB_BODY_MAX: usize = 65_536;

/// How the body is framed.
#[derive(Clone, Debug)]
pub struct Options {
    /// A hidden first line that lets the bot find its comment again.
    pub marker: Option<String>,
    /// Most characters in the body.
    pub max_chars: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { marker: None, max_chars: GITHUB_BODY_MAX }
    }
}

pub use super::inert::markdown as inert;

/// A fenced block whose fence no backtick run in `body` can close.
pub fn fenced(body: &str, lang: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{}\n{}\n{fence}\n", super::inert::lang(lang), super::inert::code(body))
}

/// A cause id in backticks (so the bot can read it back), or as escaped text if a
/// user's rule folder gave it an odd shape.
fn id(id: &str) -> String {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_/.".contains(&b)) {
        format!("`{id}`")
    } else {
        inert(id)
    }
}

fn evidence_block(evidence: &[Evidence]) -> String {
    let mut text = String::new();
    for e in evidence {
        // A pasted fragment has no step: do not print an empty crumb.
        if e.step.is_empty() {
            text.push_str(&format!("{} › line {}: {}\n", e.job, e.lines(), e.text));
        } else {
            text.push_str(&format!("{} › {} › line {}: {}\n", e.job, e.step, e.lines(), e.text));
        }
    }
    format!(
        "<details><summary>Evidence ({} line{})</summary>\n\n{}\n</details>\n",
        evidence.len(),
        if evidence.len() == 1 { "" } else { "s" },
        fenced(text.trim_end(), "text")
    )
}

/// What a tired maintainer reads first when the answer is not sure: the most
/// likely cause, each alternative with the check that tells it apart, and the
/// first cause's fixes in order.
fn lead_block(report: &Report) -> Option<String> {
    let first = report.diagnoses.first()?;
    let others: Vec<&Diagnosis> = report.diagnoses.iter().skip(1).filter(|d| d.candidate).collect();
    if others.is_empty() {
        return None;
    }
    let mut out = format!("**Most likely:** {} ({}, {})", inert(&first.title), id(&first.id), first.confidence);
    if let Some(c) = &first.confirm {
        out.push_str(&format!(" · confirm: {}", inert(c)));
    }
    out.push_str("\n\n**Otherwise:**\n\n");
    for d in others {
        out.push_str(&format!("- {}: {}", id(&d.id), inert(&d.title)));
        if let Some(c) = &d.confirm {
            out.push_str(&format!(" · check: {}", inert(c)));
        }
        out.push('\n');
    }
    if !first.fixes.is_empty() {
        out.push_str("\n**First, in order:** ");
        let steps: Vec<String> =
            first.fixes.iter().enumerate().map(|(n, f)| format!("{}. {}", n + 1, inert(&f.title))).collect();
        out.push_str(&steps.join(" "));
        out.push('\n');
    }
    Some(out)
}

fn diagnosis_blocks(i: usize, d: &Diagnosis, blocks: &mut Vec<String>) {
    let mut head = format!("### {}. {}\n\n{} · confidence **{}**", i + 1, inert(&d.title), id(&d.id), d.confidence);
    if d.jobs.len() > 1 || !d.jobs.is_empty() {
        head.push_str(&format!(" · job{}: {}", if d.jobs.len() == 1 { "" } else { "s" }, inert(&d.jobs.join(", "))));
    }
    if d.candidate {
        head.push_str(" · a plausible alternative");
    }
    if let Some(c) = d.confirm.as_deref().filter(|_| d.candidate || d.confidence != Confidence::High) {
        head.push_str(&format!("\n\n**Confirm:** {}", inert(c)));
    }
    head.push_str(&format!("\n\n{}\n", inert(&d.explanation)));
    blocks.push(head);
    let mut fixes = String::from("**Fix, in this order:**\n\n");
    for (n, f) in d.fixes.iter().enumerate() {
        fixes.push_str(&format!("{}. **{}**", n + 1, inert(&f.title)));
        if !f.body.is_empty() {
            let body = inert(&f.body).replace('\n', "\n   ");
            fixes.push_str(&format!(" {body}"));
        }
        fixes.push('\n');
        if let Some(s) = &f.snippet {
            let block = fenced(s, f.lang.as_deref().unwrap_or(""));
            for line in block.lines() {
                fixes.push_str("   ");
                fixes.push_str(line);
                fixes.push('\n');
            }
        }
    }
    blocks.push(fixes);
    if !d.evidence.is_empty() {
        blocks.push(evidence_block(&d.evidence));
    }
    if !d.references.is_empty() {
        let refs: Vec<String> = d
            .references
            .iter()
            .map(|r| super::inert::link(r).map_or_else(|| inert(r), |url| format!("<{url}>")))
            .collect();
        blocks.push(format!("References: {}\n", refs.join(" · ")));
    }
}

pub fn render(report: &Report, cx: &super::Context, options: &Options) -> String {
    let mut blocks: Vec<String> = Vec::new();
    if let Some(m) = &options.marker {
        blocks.push(format!("<!-- {m} -->\n"));
    }
    let mut heading = String::from("## npm-logdoc: ");
    match report.diagnoses.first() {
        Some(d) => heading.push_str(&format!("{}\n", inert(&d.title))),
        None => heading.push_str("no known cause\n"),
    }
    if let Some(url) = cx.run_url.as_deref().and_then(super::inert::link) {
        heading.push_str(&format!("\nRun: <{url}>"));
        for (job, link) in &cx.job_urls {
            match super::inert::link(link) {
                Some(link) => heading.push_str(&format!(" · [{}]({link})", inert(job))),
                None => heading.push_str(&format!(" · {}", inert(job))),
            }
        }
        heading.push('\n');
    }
    blocks.push(heading);
    if let Some(lead) = lead_block(report) {
        blocks.push(lead);
    }
    for (i, d) in report.diagnoses.iter().enumerate() {
        diagnosis_blocks(i, d, &mut blocks);
    }
    if report.diagnoses.is_empty() {
        for job in &report.jobs {
            let step = job.failed_step.as_deref().map_or_else(|| "an unknown step".to_string(), inert);
            let mut block = format!("No rule matched job **{}**, which failed in **{step}**.\n", inert(&job.name));
            if !job.error_lines.is_empty() {
                block.push_str("\nThe most telling error lines:\n\n");
                block.push_str(&evidence_block(&job.error_lines));
            }
            blocks.push(block);
        }
    }
    let footer = format!(
        "\n<sub>npm-logdoc {} · diagnosis from the job log alone; check it against your workflow.</sub>\n",
        super::VERSION
    );

    let mut body = String::new();
    let budget = options.max_chars.saturating_sub(footer.chars().count() + 200);
    let total = blocks.len();
    let mut used = 0usize;
    for (n, block) in blocks.iter().enumerate() {
        let len = block.chars().count() + 1;
        if used + len > budget {
            body.push_str(&format!(
                "\n> [!NOTE]\n> Report truncated: {} of {total} sections left out to stay under GitHub's {} character limit. Run `npm-logdoc analyze` on the log for the whole report.\n",
                total - n,
                options.max_chars
            ));
            break;
        }
        used += len;
        body.push_str(block);
        body.push('\n');
    }
    body.push_str(&footer);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_names_the_step_only_when_there_is_one() {
        let line = |step: &str| Evidence {
            job: "build".into(),
            step: step.into(),
            line: 7,
            end_line: None,
            text: "npm error code E404".into(),
        };
        let block = evidence_block(&[line(""), line("Publish")]);
        assert!(block.contains("build › line 7: npm error code E404\n"), "{block}");
        assert!(block.contains("build › Publish › line 7: npm error code E404"), "{block}");
        assert!(!block.contains("›  ›"), "{block}");
    }

    #[test]
    fn fences_outlast_backtick_runs() {
        let f = fenced("a ```` b", "");
        assert!(f.starts_with("`````\n"), "{f}");
        assert!(f.ends_with("\n`````\n"));
    }
}
