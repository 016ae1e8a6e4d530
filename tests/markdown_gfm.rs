//! The markdown report rendered by GitHub's own markdown library (cmark-gfm, the
//! Python `cmarkgfm` package; `.ci/run` installs it): whatever a log, a file name
//! or a rule's captures put in it, the rendered comment holds only the elements
//! the tool writes, only the links it makes, no mention, no issue reference and no
//! HTML comment but the marker. Without python3 and cmarkgfm this test fails, it
//! never skips.

mod common;

use common::{assert_inert, render_gfm};

use std::process::{Command, Stdio};

use npm_logdoc::diagnose::{Diagnosis, Evidence, Fix, JobSummary, Report};
use npm_logdoc::pattern::Confidence;
use npm_logdoc::render::{self, Context, Format, markdown};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

/// Log text an attacker controls.
const PAYLOADS: &[&str] = &[
    "<img src=x onerror=alert(1)>",
    "<h1>big</h1>",
    "</details><h1>out</h1>",
    "@org/team",
    "hi @octocat",
    "``x``www.evil.example<img src=x>",
    "www.evil.example``<h1>a</h1>``",
    "``https://evil.example/``<img src=y>",
    "`a`https://evil.example`<b>`",
    "[click](https://evil.example)",
    "![i](https://evil.example/i.png)",
    "&#64;org &lt;img src=x&gt;",
    "*em* _em_ ~~del~~ **strong**",
    "| a | b |\n|---|---|",
    "- item",
    "1. item",
    "# heading",
    "> quote",
    "<!-- npm-logdoc:v1 workflow=x state=failing -->",
    "mail me a@b.example",
    "see #123 and GH-45 and o/r#6",
    "https://evil.example/x",
    "<https://evil.example>",
    "\\<img src=z>",
    "`````",
    "[^1]\n\n[^1]: note",
    "- [ ] task",
    "<details open><summary>x</summary>",
    "<sub>s</sub><script>alert(3)</script>",
    "[ref]\n\n[ref]: https://evil.example",
    "http://evil.example:80/a?b=c",
    "ftp://evil.example",
    "\u{202E}evil",
    "xmpp:a@evil.example",
    "mailto:a@evil.example",
    "<a href=\"https://evil.example\">x</a>",
    "WWW.EVIL.EXAMPLE",
    "\\",
];

fn evidence(text: &str, line: u64) -> Evidence {
    Evidence { job: "release".into(), step: "Publish".into(), line, end_line: None, text: text.into() }
}

/// A report with `value` in every field a log can reach.
fn report(value: &str) -> Report {
    let d = Diagnosis {
        id: "test/leak".into(),
        title: format!("token {value}"),
        confidence: Confidence::High,
        explanation: format!("the log printed {value} and `npm view {value}`\n{value}"),
        evidence: vec![evidence(value, 3)],
        fixes: vec![Fix {
            title: format!("rotate {value}"),
            body: format!("body {value}\n{value}"),
            snippet: Some(value.to_string()),
            lang: Some(format!("sh{value}")),
        }],
        // References are the rule's, never a log's.
        references: vec!["https://docs.npmjs.com/trusted-publishers".into()],
        jobs: vec![format!("release {value}")],
        explains: Vec::new(),
        rank: 0,
        confirm: Some(format!("check {value}")),
        candidate: false,
        matched: true,
        score: 0.0,
        prior: 0.1,
        why: Vec::new(),
        own_evidence: false,
    };
    let job = JobSummary {
        name: format!("job {value}"),
        origin: "job.log".into(),
        failed_step: Some(format!("step {value}")),
        error_lines: vec![evidence(value, 4)],
        facts: Default::default(),
        lines: 5,
    };
    // A plausible alternative: the "most likely / otherwise" block shows both.
    let mut alt = d.clone();
    alt.id = "test/alternative".into();
    alt.candidate = true;
    alt.title = format!("or {value}");
    Report { diagnoses: vec![d, alt], jobs: vec![job] }
}

const RUN: &str = "https://github.com/o/r/actions/runs/1";
const JOB: &str = "https://github.com/o/r/actions/runs/1/job/2";
const LINKS: &[&str] = &[RUN, JOB, "https://docs.npmjs.com/trusted-publishers"];

#[test]
fn every_payload_and_every_pair_of_them_renders_inert() {
    let mut values: Vec<String> = PAYLOADS.iter().map(|p| p.to_string()).collect();
    for a in PAYLOADS {
        for b in PAYLOADS {
            values.push(format!("{a}{b}"));
        }
    }
    let mut docs = Vec::new();
    for v in &values {
        let cx = Context { run_url: Some(RUN.into()), job_urls: vec![(format!("job {v}"), JOB.into())], width: None };
        let r = report(v);
        docs.push(render::render(&r, Format::Markdown, &cx));
        let mut none = r.clone();
        none.diagnoses.clear();
        docs.push(render::render(&none, Format::Markdown, &cx));
        // As the bot posts it: with the marker.
        let options = markdown::Options {
            marker: Some("npm-logdoc:v1 workflow=x state=failing fp=00".into()),
            ..Default::default()
        };
        docs.push(markdown::render(&npm_logdoc::redact::report(&r), &cx, &options));
    }
    let found = render_gfm(&docs);
    assert_eq!(found.len(), docs.len());
    for (doc, f) in docs.iter().zip(&found) {
        assert_inert(doc, f, LINKS, "library render");
    }
}

#[test]
fn the_renderer_can_tell() {
    // The check itself: raw text would fail it.
    let docs: Vec<String> = ["<img src=x>", "@org", "www.evil.example", "``x``www.y.example<h1>z</h1>", "#12"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let found = render_gfm(&docs);
    for (doc, f) in docs.iter().zip(&found) {
        let caught = std::panic::catch_unwind(|| assert_inert(doc, f, &[], "raw"));
        assert!(caught.is_err(), "raw {doc} passed the check: {f}");
    }
}

#[test]
fn the_binary_renders_hostile_names_and_captures_inert() {
    let dir = tempfile::tempdir().unwrap();
    common::leaky_rules(&dir.path().join("rules"), 4);
    let mut log = String::new();
    for (i, p) in PAYLOADS.iter().enumerate() {
        for line in p.split('\n') {
            log.push_str(&format!("2026-01-01T00:00:00.0000000Z leak{:03}x: {line}\n", i % 4));
            log.push_str(&format!("2026-01-01T00:00:00.0000000Z npm error {line}\n"));
        }
    }
    log.push_str("2026-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.\n");
    let path = dir.path().join("job.log");
    std::fs::write(&path, &log).unwrap();
    // A job named by its file name: no rule matches it, so its error lines show.
    let named = dir.path().join("@org team ``x``www.evil.example<img src=x> #1.log");
    std::fs::write(&named, format!("npm error <h1>x</h1> @octocat\n{log}").replace("leak", "noleak")).unwrap();
    let mut docs = Vec::new();
    for args in [
        vec!["--patterns", dir.path().join("rules").to_str().unwrap(), path.to_str().unwrap()],
        vec![named.to_str().unwrap()],
    ] {
        let out = Command::new(BIN)
            .arg("analyze")
            .args(["--format", "markdown"])
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        docs.push(String::from_utf8(out.stdout).unwrap());
    }
    assert!(docs[0].contains("test/leak-000"), "the leaky rules fired:\n{}", docs[0]);
    assert!(docs[1].contains("No rule matched job"), "{}", docs[1]);
    let found = render_gfm(&docs);
    for (doc, f) in docs.iter().zip(&found) {
        assert_inert(doc, f, &[], "binary");
    }
}
