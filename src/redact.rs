//! Secrets and control characters out of every excerpt. A log can hold tokens
//! GitHub failed to mask (a token echoed through a transformation, URL-encoded or
//! JSON-escaped, a JWT in a debug line, a password in a remote URL); every string a
//! renderer prints passes through [`report`] first, so nothing printed or posted
//! can carry one, nor a control character that would drive a terminal or the
//! Actions runner.
//!
//! Tokens are found by their own shape (prefix, charset, length), never by word
//! boundaries: `MY_ghp_…`, `%3Dnpm_…`, `\nnpm_…` and a token glued to Japanese
//! text are tokens too.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnose::{Evidence, Report};

/// What replaces a secret.
pub const MASK: &str = "[REDACTED]";

/// The token kinds, each by its prefix and the shape of what follows it (no
/// boundary before or after: a longer run of the same charset is masked whole).
static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        // npm tokens (granular and automation): npm_ + 36 alphanumerics
        r"npm_[A-Za-z0-9]{36,}",
        // GitHub tokens: classic, OAuth, user-to-server, server-to-server, refresh;
        // fine-grained PATs (github_pat_ + 22 + _ + 59)
        r"|gh[pousr]_[A-Za-z0-9]{30,}",
        r"|github_pat_[A-Za-z0-9_]{40,}",
        // GitLab personal, project and group access tokens
        r"|glpat-[A-Za-z0-9_-]{20,}",
        // JSON Web Tokens (OIDC id tokens, session tokens)
        r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        // Slack bot, user, app-level and refresh tokens
        r"|xox[abposre]-[A-Za-z0-9-]{10,}",
        r"|xapp-[0-9]+-[A-Za-z0-9-]{10,}",
        // AWS access key ids (long-lived and temporary)
        r"|(?:AKIA|ASIA)[0-9A-Z]{16}",
    ))
    .expect("the token regex is valid")
});

/// A token cut short by an excerpt (`scan::excerpt` ends a cut line with `…`):
/// too short for [`TOKENS`], but its prefix is still a secret's start.
static CUT_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:npm_|gh[pousr]_|github_pat_|glpat-|eyJ|xox[abposre]-|xapp-|AKIA|ASIA)[A-Za-z0-9_.-]*…$")
        .expect("the cut-token regex is valid")
});

/// `scheme://user:password@host`: the password goes, the user and host stay.
static USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<key>[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:)(?P<value>[^\s/?#@]+)(?P<tail>@)")
        .expect("the userinfo regex is valid")
});

/// `key=value` and `key: value` forms whose value is a secret whatever its shape
/// (also quoted, and JSON-escaped: `\"NPM_TOKEN\":\"...\"`). A value stops at `@`
/// and `&`, so `x-access-token:...@github.com/o/r` keeps its host and path and a
/// URL query keeps its other parameters.
static ASSIGNMENTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?i)(?P<key>(?:authorization\\?["']?\s*[:=]\s*\\?["']?(?:bearer|basic|token)\s+|bearer\s+"#,
        r"|(?:_authToken|_auth|_password|NPM_TOKEN|NODE_AUTH_TOKEN|GH_TOKEN|GITHUB_TOKEN|GH_ENTERPRISE_TOKEN",
        r"|GITHUB_ENTERPRISE_TOKEN|NPM_AUTH_TOKEN|YARN_NPM_AUTH_TOKEN|npmAuthToken|password|passwd|secret",
        r"|client[_-]?secret|api[_-]?key|access[_-]?token|auth[_-]?token|private[_-]?token",
        r"|aws[_-]?secret[_-]?access[_-]?key|secret[_-]?access[_-]?key|aws[_-]?session[_-]?token)",
        r#"\\?["']?\s*[:=]\s*\\?["']?))"#,
        r#"(?P<value>[^\s"'`,;}\\@&]+)"#,
    ))
    .expect("the assignment regex is valid")
});

/// Values that look like an assignment's secret but are not one.
fn harmless(value: &str) -> bool {
    if value.ends_with('…') {
        // Cut by an excerpt: whatever is left of it may be a secret's start.
        return false;
    }
    value.starts_with("***")
        || value.starts_with("XXXXX-XXXXX")
        || value.starts_with('$')
        || value.starts_with('%')
        || value.starts_with("[secure]")
        || value.starts_with(MASK)
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
    for re in [&*USERINFO, &*ASSIGNMENTS] {
        if re.is_match(&out) {
            let replaced = re
                .replace_all(&out, |c: &regex::Captures<'_>| {
                    let value = &c["value"];
                    let tail = c.name("tail").map_or("", |m| m.as_str());
                    // `Bearer authentication failed`: prose, not a token.
                    let word = c["key"].len() < 12
                        && c["key"].to_ascii_lowercase().starts_with("bearer")
                        && value.chars().all(|c| c.is_ascii_alphabetic());
                    if harmless(value) || word { c[0].to_string() } else { format!("{}{MASK}{tail}", &c["key"]) }
                })
                .into_owned();
            out = Cow::Owned(replaced);
        }
    }
    out
}

/// Whether `c` must not reach a terminal or the runner: C0 and C1 controls (ESC,
/// CR, BEL, NEL ...), DEL, the Unicode line and paragraph separators, and the
/// bidirectional overrides and isolates that reorder what a reader sees.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` on one line with no control character: tabs and line breaks (LF, CR,
/// NEL, LS, PS) become spaces, every other control character is dropped.
pub fn line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) || c == '\n' || c == '\t') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter_map(|c| match c {
                '\n' | '\r' | '\t' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some(' '),
                c if is_unsafe(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// `text` with its lines kept (LF) and every other control character dropped
/// (CR, NEL, LS and PS become LF; tabs stay).
pub fn lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let text = text.replace("\r\n", "\n");
    Cow::Owned(
        text.chars()
            .filter_map(|c| match c {
                '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some('\n'),
                c if is_unsafe(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// A one-line string safe to print: redacted, no control characters. For names
/// and excerpts (and error messages on standard error).
pub fn shown(s: &str) -> String {
    // Controls go first: a token split by one must be whole when it is looked for.
    text(&line(s)).into_owned()
}

/// A multi-line string safe to print: redacted, lines kept, no other controls.
/// For explanations and fixes (and multi-line error messages).
pub fn shown_lines(s: &str) -> String {
    text(&lines(s)).into_owned()
}

fn evidence(e: &mut Evidence) {
    e.job = shown(&e.job);
    e.step = shown(&e.step);
    e.text = shown(&e.text);
}

/// A copy of `report` with every string redacted and every name and excerpt on
/// one line, free of control characters.
pub fn report(report: &Report) -> Report {
    let mut r = report.clone();
    for d in &mut r.diagnoses {
        d.title = shown(&d.title);
        d.explanation = shown_lines(&d.explanation);
        d.evidence.iter_mut().for_each(evidence);
        for f in &mut d.fixes {
            f.title = shown(&f.title);
            f.body = shown_lines(&f.body);
            f.snippet = f.snippet.as_deref().map(shown_lines);
        }
        d.references = d.references.iter().map(|s| shown(s)).collect();
        d.jobs = d.jobs.iter().map(|s| shown(s)).collect();
        d.confirm = d.confirm.as_deref().map(shown);
        for (what, _) in &mut d.why {
            *what = shown(what);
        }
    }
    for j in &mut r.jobs {
        j.name = shown(&j.name);
        j.origin = shown(&j.origin);
        j.failed_step = j.failed_step.as_deref().map(shown);
        j.error_lines.iter_mut().for_each(evidence);
        for v in j.facts.values_mut() {
            *v = shown(v);
        }
    }
    r
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
