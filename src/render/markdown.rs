//! The markdown report: the bot's comment body and the step summary.
//!
//! Log text is hostile input here. Excerpts go in fences longer than any backtick
//! run they contain; text outside fences has `@mentions`, `#123` references, HTML
//! tags and comments made inert; the body stays under GitHub's 65,536-character
//! comment limit, cutting whole blocks and saying so.

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

const ZWSP: char = '\u{200B}';

/// Makes untrusted text safe outside a code block: no mentions, no issue links, no
/// HTML (tags, comments, entities), no links or images, no fence openers.
///
/// Inline code spans (one or two backticks, closed on the same line) are kept as
/// they are, since GitHub renders nothing inside them (`npm view <package>` shows
/// as written); everything else is escaped.
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while !rest.is_empty() {
        if let Some((span, after)) = code_span(rest) {
            out.push_str(&break_fences(span));
            rest = after;
            continue;
        }
        let c = rest.chars().next().expect("rest is not empty");
        let n = if c == '`' { rest.len() - rest.trim_start_matches('`').len() } else { c.len_utf8() };
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // `&#64;org` would render as a mention, `&lt;` as a tag's start.
            '&' => out.push_str("&amp;"),
            // `[text](url)`, `![img](url)`; a backslash could undo the escape.
            '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '@' | '#' => {
                out.push(c);
                out.push(ZWSP);
            }
            '`' => out.push_str(&break_fences(&rest[..n])),
            _ => out.push(c),
        }
        rest = &rest[n..];
    }
    out
}

/// An inline code span at the start of `text`: a run of one or two backticks closed
/// by a run of the same length on the same line; `(span, rest)`.
fn code_span(text: &str) -> Option<(&str, &str)> {
    let open = text.len() - text.trim_start_matches('`').len();
    if !(1..=2).contains(&open) {
        return None;
    }
    let line_end = text.find('\n').unwrap_or(text.len());
    let mut i = open;
    while i < line_end {
        let run = text[i..line_end].len() - text[i..line_end].trim_start_matches('`').len();
        if run == 0 {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        } else if run == open {
            return (i > open).then(|| text.split_at(i + run));
        } else {
            i += run;
        }
    }
    None
}

/// Runs of three or more backticks get a zero-width space after every second one,
/// so they can never open or close a fence.
fn break_fences(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    let mut backticks = 0;
    for c in text.chars() {
        if c == '`' {
            backticks += 1;
            if backticks == 3 {
                out.push(ZWSP);
                backticks = 1;
            }
        } else {
            backticks = 0;
        }
        out.push(c);
    }
    out
}

/// Text for inside a fenced block: only what could confuse a reader of the raw body
/// (a marker look-alike) is changed.
fn code_text(text: &str) -> String {
    text.replace("<!--", "<!-\u{200B}-").replace("-->", "-\u{200B}->")
}

/// A fenced block whose fence no backtick run in `body` can close.
pub fn fenced(body: &str, lang: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let body = code_text(body);
    format!("{fence}{lang}\n{body}\n{fence}\n")
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
    let mut out = format!("**Most likely:** {} (`{}`, {})", inert(&first.title), first.id, first.confidence);
    if let Some(c) = &first.confirm {
        out.push_str(&format!(" · confirm: {}", inert(c)));
    }
    out.push_str("\n\n**Otherwise:**\n\n");
    for d in others {
        out.push_str(&format!("- `{}`: {}", d.id, inert(&d.title)));
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
    let mut head = format!("### {}. {}\n\n`{}` · confidence **{}**", i + 1, inert(&d.title), d.id, d.confidence);
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
        let refs: Vec<String> = d.references.iter().map(|r| format!("<{r}>")).collect();
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
    if let Some(url) = &cx.run_url {
        heading.push_str(&format!("\nRun: <{url}>"));
        for (job, link) in &cx.job_urls {
            heading.push_str(&format!(" · [{}]({link})", inert(job)));
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

    #[test]
    fn code_spans_are_kept_and_text_around_them_escaped() {
        assert_eq!(inert("run `npm view <package>` & check"), "run `npm view <package>` &amp; check");
        assert_eq!(inert("``a ` b`` <x>"), "``a ` b`` &lt;x&gt;");
        // Unclosed, or closed on another line: not a span, so escaped.
        assert_eq!(inert("`<b> @x"), "`&lt;b&gt; @\u{200B}x");
        assert_eq!(inert("`a\n<!-- x`"), "`a\n&lt;!-- x`");
        assert_eq!(inert("``"), "``");
    }

    #[test]
    fn links_images_entities_and_escapes_are_inert() {
        let s = inert("![x](https://evil.example/t.png) [click](https://evil.example) &#64;org \\[y]");
        assert!(!s.replace("\\]", "").contains("]("), "no unescaped link: {s}");
        assert!(s.contains("\\[click\\]"), "{s}");
        assert!(s.starts_with("!\\[x\\]") && s.contains("&amp;#"), "{s}");
        assert!(s.contains("\\\\\\[y\\]"), "{s}");
    }

    #[test]
    fn inert_text_cannot_ping_link_or_inject() {
        let s = inert("@org/team see #123 <img src=x onerror=alert(1)> <!-- m --> ```");
        assert!(!s.contains("@org"));
        assert!(!s.contains("#123"));
        assert!(!s.contains("<img"));
        assert!(!s.contains("<!--"));
        assert!(!s.contains("```"));
    }
}
