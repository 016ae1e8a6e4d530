//! What every output format prints: redaction of token-shaped strings whatever the
//! format, and the shape of each format.

use npm_logdoc::pattern::{RuleSet, parse_rule};
use npm_logdoc::render::{self, Context, Format};

/// A rule that captures whatever follows `leaked:` into its title, explanation,
/// fix and evidence: the worst case for redaction.
const LEAKY_RULE: &str = r#"
title = "token {{value}}"
confidence = "high"
explanation = "the log printed {{value}}"
[[signal]]
name = "leak"
literal = "leaked:"
regex = 'leaked: (?P<value>.+)'
[when]
all = ["leak"]
[[fix]]
title = "rotate {{value}}"
body = "body {{value}}"
snippet = "NODE_AUTH_TOKEN={{value}}"
[[example]]
matches = true
log = "leaked: x"
[[example]]
matches = false
log = "nothing"
"#;

const SECRETS: &[&str] = &[
    "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "gho_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "ghs_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "github_pat_11AAAAAAA0123456789_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIj",
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJyZXBvOm9yZy9yZXBvIn0.c2lnbmF0dXJlc2lnbmF0dXJl",
];

fn rules() -> RuleSet {
    let mut set = RuleSet::builtin().unwrap();
    set.rules.push(parse_rule("test/leaky", "leaky.toml", LEAKY_RULE).unwrap());
    set
}

#[test]
fn no_format_prints_a_token() {
    let rules = rules();
    let mut log = String::new();
    for s in SECRETS {
        log.push_str(&format!("2026-01-01T00:00:00.0000000Z leaked: {s}\n"));
    }
    log.push_str("2026-01-01T00:00:00.0000000Z leaked: //registry.npmjs.org/:_authToken=0123456789abcdefSECRET\n");
    log.push_str("2026-01-01T00:00:00.0000000Z leaked: Authorization: Bearer 0123456789abcdefSECRET\n");
    log.push_str("2026-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.\n");
    let report = npm_logdoc::analyze_text("job", &log, &rules);
    assert_eq!(report.diagnoses[0].id, "test/leaky", "the leaky rule must fire for the test to mean anything");
    for format in [Format::Table, Format::Json, Format::Markdown, Format::Github] {
        let out = render::render(&report, format, &Context::default());
        for s in SECRETS {
            let core = &s[s.len() - 20..];
            assert!(!out.contains(core), "{format:?} leaked {s}:\n{out}");
        }
        assert!(!out.contains("0123456789abcdefSECRET"), "{format:?} leaked an assignment:\n{out}");
        assert!(out.contains("[REDACTED]"), "{format:?} shows no redaction mark");
    }
}

#[test]
fn no_known_cause_reports_still_redact_error_lines() {
    let rules = RuleSet::builtin().unwrap();
    let log = format!(
        "2026-01-01T00:00:00.0000000Z ##[group]Run ./deploy.sh\n2026-01-01T00:00:00.0000000Z ##[endgroup]\n2026-01-01T00:00:00.0000000Z Error: deploy refused for {}\n2026-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.\n",
        SECRETS[0]
    );
    let report = npm_logdoc::analyze_text("job", &log, &rules);
    assert!(report.diagnoses.is_empty());
    for format in [Format::Table, Format::Json, Format::Markdown, Format::Github] {
        let out = render::render(&report, format, &Context::default());
        assert!(!out.contains(&SECRETS[0][4..]), "{format:?} leaked:\n{out}");
        assert!(out.contains("deploy refused"), "{format:?} should still show the error line:\n{out}");
    }
}

/// The JSON contract, whole: every field, its type and its value for one small
/// report (a reviewed snapshot; a field renamed or dropped shows as a diff).
#[test]
fn the_json_contract() {
    let rules = rules();
    let report = npm_logdoc::analyze_text("job", "leaked: x\n", &rules);
    let json = render::render(&report, Format::Json, &Context::default()).replace(render::VERSION, "[VERSION]");
    insta::assert_snapshot!("json_contract", json);
}

/// The table numbers fixes; github prints one workflow command per cause, its
/// message escaped onto one line.
#[test]
fn table_and_github_of_a_small_report() {
    let rules = rules();
    let report = npm_logdoc::analyze_text("job", "leaked: a\nb%c\n", &rules);
    let cx = Context { width: Some(100), ..Context::default() };
    insta::assert_snapshot!("small_table", render::render(&report, Format::Table, &cx));
    insta::assert_snapshot!("small_github", render::render(&report, Format::Github, &cx));
}
