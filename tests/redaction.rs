//! Redaction by shape: every token kind the README promises, glued to every kind
//! of neighbour (start of line, each printable ASCII character, scripts written
//! without spaces, a URL query, a JSON string), through the redactor, through
//! every output format of the library, and through the binary.

mod common;

use std::process::{Command, Stdio};

use common::{after_classes, afters, assert_no_leak, befores, class_lines, leaky_log, leaky_rules, secrets};
use npm_logdoc::diagnose::{Diagnosis, Evidence, Fix, JobSummary, Report};
use npm_logdoc::pattern::Confidence;
use npm_logdoc::redact::{self, MASK};
use npm_logdoc::render::{self, Context, Format, markdown};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

#[test]
fn every_token_kind_is_masked_before_and_after_every_neighbour() {
    let (befores, afters) = (befores(), afters());
    let mut checked = 0;
    for s in secrets() {
        for b in &befores {
            for a in &afters {
                let line = format!("{b}{}{a}", s.text);
                let out = redact::text(&line);
                assert!(out.contains(MASK), "{} not masked in {line:?}: {out}", s.kind);
                assert!(!out.contains(&s.core[..10]), "{} leaked in {line:?}: {out}", s.kind);
                assert!(!out.contains(&s.core[s.core.len() - 10..]), "{} leaked in {line:?}: {out}", s.kind);
                checked += 1;
            }
        }
    }
    assert!(checked > 150_000, "{checked}");
}

#[test]
fn what_surrounds_a_secret_is_kept() {
    assert_eq!(
        redact::text("git push https://x-access-token:Hq5Lw2Nz8Pv3Kx7Rm1Tb@github.com/o/r.git main"),
        "git push https://x-access-token:[REDACTED]@github.com/o/r.git main"
    );
    assert_eq!(
        redact::text("remote: https://deploy:Pw4nQ8zX2mL6vR9t@git.example.com/o/r"),
        "remote: https://deploy:[REDACTED]@git.example.com/o/r"
    );
    assert_eq!(
        redact::text("GET /cb?access_token=Zq8Wm3Xv7Kp2Ln9Rt4Ys&page=2"),
        "GET /cb?access_token=[REDACTED]&page=2"
    );
    assert_eq!(redact::text("%3Dnpm_Q7rT2vX9bN4mK8pL1sD6fG3hJ5wE0yUaZcVi%26x"), "%3D[REDACTED]%26x");
    assert_eq!(redact::text("トークンはghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8です"), "トークンは[REDACTED]です");
    // A token split by control characters is whole once they are gone, and masked.
    assert_eq!(redact::shown("x npm_Q7rT2vX9bN4mK8\x07pL1sD6fG3hJ5wE0yUaZcVi\x1b y"), "x [REDACTED] y");
    // Placeholders, masks and prose stay.
    for kept in [
        "https://x-access-token:${GITHUB_TOKEN}@github.com/o/r",
        "https://user:***@example.com",
        "https://github.com/npm/cli/issues/8544",
        "npm error code E404",
        "Bearer authentication failed",
    ] {
        assert_eq!(redact::text(kept), kept);
    }
}

fn evidence(job: &str, line: u64, text: &str) -> Evidence {
    Evidence { job: job.into(), step: "Publish".into(), line, end_line: None, text: text.into() }
}

/// A report that carries every class line in its evidence and error lines, and a
/// secret in every other field.
fn report_of(lines: &[String]) -> Report {
    let all = lines.join(" | ");
    let evidence: Vec<Evidence> = lines.iter().enumerate().map(|(i, l)| evidence("release", i as u64 + 1, l)).collect();
    let d = Diagnosis {
        id: "test/leak".into(),
        title: format!("token {}", lines[0]),
        confidence: Confidence::High,
        explanation: format!("the log printed\n{}", lines.join("\n")),
        evidence: evidence.clone(),
        fixes: vec![Fix {
            title: format!("rotate {}", lines[1]),
            body: all.clone(),
            snippet: Some(lines.join("\n")),
            lang: Some("sh".into()),
        }],
        references: Vec::new(),
        jobs: vec![format!("release {}", lines[2])],
        explains: Vec::new(),
        rank: 0,
        confirm: Some(format!("check {}", lines[7])),
        candidate: false,
        matched: true,
        score: 0.0,
        prior: 0.1,
        why: vec![(format!("saw {}", lines[8]), 1.0)],
        own_evidence: false,
    };
    let job = JobSummary {
        name: format!("release {}", lines[3]),
        origin: format!("job.log {}", lines[4]),
        failed_step: Some(format!("Publish {}", lines[5])),
        error_lines: evidence,
        facts: [("npm_version", lines[6].clone())].into_iter().collect(),
        lines: 1,
    };
    Report { diagnoses: vec![d], jobs: vec![job] }
}

#[test]
fn every_format_and_the_bot_body_mask_every_class() {
    let lines = class_lines();
    let report = report_of(&lines);
    let mut no_cause = report.clone();
    no_cause.diagnoses.clear();
    for r in [&report, &no_cause] {
        for format in [Format::Table, Format::Json, Format::Markdown, Format::Github] {
            let out = render::render(r, format, &Context::default());
            assert!(out.contains(MASK), "{format:?}: no mask");
            assert_no_leak(&out, &format!("{format:?}"));
        }
        // `analyze --why` prints the evidence and the weights' notes too.
        assert_no_leak(&render::why(r), "--why");
        let options =
            markdown::Options { marker: Some("npm-logdoc:v1 workflow=x state=failing".into()), ..Default::default() };
        let body = markdown::render(&redact::report(r), &Context::default(), &options);
        assert_no_leak(&body, "bot body");
    }
}

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn the_binary_masks_every_class_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let lines = class_lines();
    let (log, rules) = leaky_log(&lines);
    leaky_rules(&dir.path().join("rules"), rules);
    let path = dir.path().join("job.log");
    std::fs::write(&path, log).unwrap();
    // A job named by its file: a token in a file name is a name like any other.
    let named = dir.path().join(format!("{}.log", secrets()[0].text));
    std::fs::write(&named, "npm error leaked\n##[error]Process completed with exit code 1.\n").unwrap();
    let rules_dir = dir.path().join("rules");
    for format in ["table", "json", "markdown", "github"] {
        let out = bin(&[
            "analyze",
            "--format",
            format,
            "--patterns",
            rules_dir.to_str().unwrap(),
            path.to_str().unwrap(),
            named.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains(MASK), "{format}: no mask");
        if format == "table" || format == "json" {
            // Every class line is evidence somewhere (markdown stays under GitHub's
            // comment limit, the github format shows titles only).
            assert!(stdout.matches(MASK).count() >= lines.len(), "{format}: {}", stdout.matches(MASK).count());
        }
        assert_no_leak(&stdout, format);
    }
    assert!(after_classes().len() > 10);
}
