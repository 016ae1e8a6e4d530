//! The markdown report on arbitrary text in every field a log reaches: outside
//! fences, no raw HTML but the tool's own tags, no autolink, mention or issue
//! reference, no control character; no line a runner reads as a workflow command.
//! (`tests/markdown_gfm.rs` checks the same with cmark-gfm itself.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use npm_logdoc::diagnose::{Diagnosis, Evidence, Fix, JobSummary, Report};
use npm_logdoc::pattern::Confidence;
use npm_logdoc::render::{self, Context, Format, inert};

const OWN_TAGS: &[&str] =
    &["<code>", "</code>", "<details>", "</details>", "<summary>", "</summary>", "<sub>", "</sub>"];

/// Lines outside fenced blocks (the fence is the tool's: a backtick run at a line's start).
fn outside_fences(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut fence: Option<usize> = None;
    for line in body.lines() {
        let t = line.trim_start();
        let run = t.len() - t.trim_start_matches('`').len();
        match fence {
            Some(f) if run >= f && t[run..].trim().is_empty() => fence = None,
            Some(_) => {}
            None if run >= 3 => fence = Some(run),
            None => out.push(line),
        }
    }
    out
}

fn check_prose(line: &str, doc: &str) {
    // The tool's own headings (`## `, `### `).
    let line = line.strip_prefix("### ").or_else(|| line.strip_prefix("## ")).unwrap_or(line);
    let mut rest = line.to_string();
    for tag in OWN_TAGS {
        rest = rest.replace(tag, "");
    }
    // The tool's own autolinks and links: `<https://...>` and `](https://...)`.
    for own in ["<https://github.com/o/r/actions/runs/1>", "](https://github.com/o/r/actions/runs/1/job/2)"] {
        rest = rest.replace(own, "");
    }
    assert!(!rest.contains('<'), "raw HTML: {line:?}\n{doc}");
    let lower = rest.to_ascii_lowercase();
    assert!(!lower.contains("www.") && !rest.contains("://"), "an autolink: {line:?}\n{doc}");
    let chars: Vec<char> = rest.chars().collect();
    for w in chars.windows(2) {
        if w[0] == '@' || w[0] == '#' {
            assert!(w[1] == '\u{200B}', "a mention or reference: {line:?}\n{doc}");
        }
    }
    assert!(!rest.chars().any(|c| c.is_control() && c != '\t'), "a control character: {line:?}");
}

fn evidence(text: &str) -> Evidence {
    Evidence { job: text.into(), step: text.into(), line: 1, end_line: None, text: text.into() }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let alone = inert::markdown(&text);
    for line in alone.lines() {
        check_prose(line, &alone);
    }
    let d = Diagnosis {
        id: "test/fuzz".into(),
        title: text.to_string(),
        confidence: Confidence::High,
        explanation: text.to_string(),
        evidence: vec![evidence(&text)],
        fixes: vec![Fix { title: text.to_string(), body: text.to_string(), snippet: Some(text.to_string()), lang: Some(text.to_string()) }],
        references: vec!["https://github.com/o/r/actions/runs/1".into()],
        jobs: vec![text.to_string()],
        explains: Vec::new(),
        rank: 0,
        confirm: None,
        candidate: false,
        matched: true,
        score: 0.0,
        prior: 0.1,
        why: Vec::new(),
    };
    let job = JobSummary {
        name: text.to_string(),
        origin: text.to_string(),
        failed_step: Some(text.to_string()),
        error_lines: vec![evidence(&text)],
        facts: Default::default(),
        lines: 1,
    };
    let cx = Context {
        run_url: Some("https://github.com/o/r/actions/runs/1".into()),
        job_urls: vec![(text.to_string(), "https://github.com/o/r/actions/runs/1/job/2".into())],
        width: None,
    };
    let mut report = Report { diagnoses: vec![d], jobs: vec![job] };
    for _ in 0..2 {
        let doc = render::render(&report, Format::Markdown, &cx);
        for line in outside_fences(&doc) {
            check_prose(line, &doc);
        }
        for format in [Format::Markdown, Format::Table, Format::Json] {
            let out = if format == Format::Markdown { doc.clone() } else { render::render(&report, format, &cx) };
            for line in out.split(['\n', '\r']) {
                assert!(!line.trim_start().starts_with("::") && !line.contains("##["), "{format:?}: {line:?}");
            }
        }
        report.diagnoses.clear();
    }
});
