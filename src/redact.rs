//! Secrets out of every excerpt. A log can hold tokens GitHub failed to mask
//! (a token echoed through a transformation, a JWT in a debug line); every string a
//! renderer prints passes through [`report`] first, so nothing printed or posted
//! can carry one.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnose::{Diagnosis, Evidence, Fix, JobSummary, Report};

/// What replaces a secret.
pub const MASK: &str = "[REDACTED]";

static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        // npm tokens (granular and automation): npm_ + 36 alphanumerics
        r"\bnpm_[A-Za-z0-9]{36,}\b",
        // GitHub tokens: classic, OAuth, app, refresh, user-to-server; fine-grained PATs
        r"|\bgh[pousr]_[A-Za-z0-9]{30,}\b",
        r"|\bgithub_pat_[A-Za-z0-9_]{40,}",
        // JSON Web Tokens (OIDC id tokens, session tokens)
        r"|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        // Slack, AWS access key ids
        r"|\bxox[abposr]-[A-Za-z0-9-]{10,}",
        r"|\bAKIA[0-9A-Z]{16}\b",
    ))
    .expect("the token regex is valid")
});

/// A token cut short by an excerpt (`matcher::excerpt` ends a cut line with `…`):
/// too short for [`TOKENS`], but its prefix is still a secret's start.
static CUT_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\bnpm_|\bgh[pousr]_|\bgithub_pat_|\beyJ|\bxox[abposr]-|\bAKIA)[A-Za-z0-9_.-]*…$")
        .expect("the cut-token regex is valid")
});

/// `key=value` and `key: value` forms whose value is a secret whatever its shape.
static ASSIGNMENTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?P<key>_authToken\s*=\s*|_auth\s*=\s*|_password\s*=\s*",
        r#"|authorization["']?\s*[:=]\s*["']?(?:bearer|basic|token)\s+|\bbearer\s+"#,
        r#"|(?:NPM_TOKEN|NODE_AUTH_TOKEN|GH_TOKEN|GITHUB_TOKEN|NPM_AUTH_TOKEN|YARN_NPM_AUTH_TOKEN|npmAuthToken|password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)["']?\s*[:=]\s*["']?)"#,
        r#"(?P<value>[^\s"'`,;}]+)"#,
    ))
    .expect("the assignment regex is valid")
});

/// Values that look like an assignment's secret but are not one.
fn harmless(value: &str) -> bool {
    if value.ends_with('…') {
        // Cut by an excerpt: whatever is left of it may be a secret's start.
        return false;
    }
    value == "***"
        || value.starts_with("XXXXX-XXXXX")
        || value.starts_with("${")
        || value.starts_with("$")
        || value.starts_with("[secure]")
        || value == MASK
        || value.starts_with('<')
        || value.len() < 8
}

/// `text` with every token-shaped string replaced by [`MASK`].
pub fn text(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if TOKENS.is_match(&out) {
        out = Cow::Owned(TOKENS.replace_all(&out, MASK).into_owned());
    }
    if out.ends_with('…') && CUT_TOKEN.is_match(&out) {
        out = Cow::Owned(CUT_TOKEN.replace(&out, MASK).into_owned());
    }
    if ASSIGNMENTS.is_match(&out) {
        let replaced = ASSIGNMENTS
            .replace_all(&out, |c: &regex::Captures<'_>| {
                let value = &c["value"];
                if harmless(value) { c[0].to_string() } else { format!("{}{MASK}", &c["key"]) }
            })
            .into_owned();
        out = Cow::Owned(replaced);
    }
    out
}

fn owned(s: &str) -> String {
    text(s).into_owned()
}

fn evidence(e: &Evidence) -> Evidence {
    Evidence { job: owned(&e.job), step: owned(&e.step), line: e.line, end_line: e.end_line, text: owned(&e.text) }
}

/// A copy of `report` with every string redacted.
pub fn report(report: &Report) -> Report {
    Report {
        diagnoses: report
            .diagnoses
            .iter()
            .map(|d| Diagnosis {
                id: d.id.clone(),
                title: owned(&d.title),
                confidence: d.confidence,
                explanation: owned(&d.explanation),
                evidence: d.evidence.iter().map(evidence).collect(),
                fixes: d
                    .fixes
                    .iter()
                    .map(|f| Fix {
                        title: owned(&f.title),
                        body: owned(&f.body),
                        snippet: f.snippet.as_deref().map(owned),
                        lang: f.lang.clone(),
                    })
                    .collect(),
                references: d.references.clone(),
                jobs: d.jobs.iter().map(|j| owned(j)).collect(),
                explains: d.explains.clone(),
                rank: d.rank,
                confirm: d.confirm.as_deref().map(owned),
                candidate: d.candidate,
                matched: d.matched,
                score: d.score,
                prior: d.prior,
                why: d.why.iter().map(|(w, x)| (owned(w), *x)).collect(),
            })
            .collect(),
        jobs: report
            .jobs
            .iter()
            .map(|j| JobSummary {
                name: owned(&j.name),
                origin: owned(&j.origin),
                failed_step: j.failed_step.as_deref().map(owned),
                error_lines: j.error_lines.iter().map(evidence).collect(),
                facts: j.facts.iter().map(|(k, v)| (*k, owned(v))).collect(),
                lines: j.lines,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_token_shape() {
        let cases = [
            "token npm_abcdefghijklmnopqrstuvwxyz0123456789 end",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB",
            "gho_abcdefghijklmnopqrstuvwxyz0123456789AB",
            "ghs_abcdefghijklmnopqrstuvwxyz0123456789AB",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
            "id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vciJ9.c2lnbmF0dXJlLXZhbHVl",
            "//registry.npmjs.org/:_authToken=abcdef0123456789secret",
            "Authorization: Bearer abcdef0123456789abcdef",
            "curl -H 'authorization: token 0123456789abcdef0123'",
            "NODE_AUTH_TOKEN: s3cr3t-value-that-leaked",
        ];
        for c in cases {
            let r = text(c);
            assert!(r.contains(MASK), "not masked: {c} -> {r}");
            for secret in [
                "abcdefghijklmnopqrstuvwxyz0123456789",
                "abcdef0123456789",
                "s3cr3t",
                "c2lnbmF0dXJl",
                "0123456789abcdef0123",
            ] {
                assert!(!r.contains(secret), "leaked {secret}: {r}");
            }
        }
    }

    #[test]
    fn masks_tokens_an_excerpt_cut_short() {
        for c in [
            "npm error BBBB npm_ZYXWVUTSRQP…",
            "x ghp_abcdef…",
            "id eyJhbGciOiJSUzI1NiJ9.eyJzdWIi…",
            "//registry.npmjs.org/:_authToken=abc…",
        ] {
            let r = text(c);
            assert!(r.contains(MASK), "not masked: {c} -> {r}");
            for secret in ["ZYXW", "abcdef", "eyJzdWIi", "abc…"] {
                assert!(!r.contains(secret), "leaked {secret}: {r}");
            }
        }
        assert_eq!(text("npm error a long line of prose…"), "npm error a long line of prose…");
    }

    #[test]
    fn leaves_masks_placeholders_and_prose_alone() {
        for c in [
            "NODE_AUTH_TOKEN: ***",
            "NODE_AUTH_TOKEN: XXXXX-XXXXX-XXXXX-XXXXX",
            "_authToken=${NODE_AUTH_TOKEN}",
            "npm error code E404",
            "NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}",
        ] {
            assert_eq!(text(c), c);
        }
    }
}
