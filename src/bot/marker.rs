//! The hidden first line that lets the bot find its own comment again, and the
//! fingerprint that tells whether the diagnosis changed.
//!
//! `<!-- npm-logdoc:v1 workflow=.github/workflows/release.yml state=failing fp=0123456789abcdef -->`
//!
//! Only the body's first line counts. Log text never reaches it (the report starts
//! with the heading), and inside the report `markdown.rs` defuses `<!--` both in
//! fences and in prose, so no log line can pose as a marker.

use std::fmt::Write as _;

use crate::diagnose::Report;

/// What the marker says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// The workflow file (`.github/workflows/release.yml`), or its name when the
    /// server does not say.
    pub workflow: String,
    pub state: State,
    /// [`fingerprint`] of the report the comment shows.
    pub fingerprint: String,
}

/// Whether the comment reports a failure or says it is resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Failing,
    Resolved,
}

const TAG: &str = "npm-logdoc:v1";

impl Marker {
    /// The inside of the HTML comment (what `markdown::Options::marker` takes).
    pub fn text(&self) -> String {
        let state = match self.state {
            State::Failing => "failing",
            State::Resolved => "resolved",
        };
        format!("{TAG} workflow={} state={state} fp={}", encode(&self.workflow), self.fingerprint)
    }

    /// The whole first line.
    pub fn line(&self) -> String {
        format!("<!-- {} -->", self.text())
    }

    /// The marker on the first line of `body`, if there is one.
    pub fn parse(body: &str) -> Option<Marker> {
        let first = body.lines().next()?.trim();
        let inner = first.strip_prefix("<!--")?.strip_suffix("-->")?.trim();
        let mut words = inner.split_ascii_whitespace();
        if words.next()? != TAG {
            return None;
        }
        let (mut workflow, mut state, mut fingerprint) = (None, None, String::new());
        for word in words {
            match word.split_once('=')? {
                ("workflow", w) => workflow = Some(decode(w)?),
                ("state", "failing") => state = Some(State::Failing),
                ("state", "resolved") => state = Some(State::Resolved),
                ("fp", f) if f.bytes().all(|b| b.is_ascii_hexdigit()) => fingerprint = f.to_string(),
                _ => {}
            }
        }
        Some(Marker { workflow: workflow?, state: state?, fingerprint })
    }

    /// Whether `body` carries a marker of the same workflow.
    pub fn same_workflow(&self, body: &str) -> Option<Marker> {
        Marker::parse(body).filter(|m| m.workflow == self.workflow)
    }
}

/// Percent-encodes all but `[A-Za-z0-9._/-]`, so the value has no space and can
/// never close the comment.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// 64-bit FNV-1a: stable across builds and Rust versions (unlike `DefaultHasher`).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// What the maintainer is told to do, hashed: each cause's id, confidence, jobs,
/// title, explanation and fixes; with no known cause, each job's failed step and
/// error lines. Run links and line numbers are left out, so a later run that
/// fails the same way has the same fingerprint (and the comment is left alone).
pub fn fingerprint(report: &Report) -> String {
    let mut parts: Vec<String> = Vec::new();
    for d in &report.diagnoses {
        let mut jobs = d.jobs.clone();
        jobs.sort();
        parts.push(d.id.clone());
        parts.push(d.confidence.to_string());
        parts.push(jobs.join("\u{1f}"));
        parts.push(d.title.clone());
        parts.push(d.explanation.clone());
        for f in &d.fixes {
            parts.extend([f.title.clone(), f.body.clone(), f.snippet.clone().unwrap_or_default()]);
        }
    }
    if report.diagnoses.is_empty() {
        let mut jobs: Vec<_> = report.jobs.iter().collect();
        jobs.sort_by(|a, b| a.name.cmp(&b.name));
        for j in jobs {
            parts.push(j.name.clone());
            parts.push(j.failed_step.clone().unwrap_or_default());
            parts.extend(j.error_lines.iter().map(|e| e.text.clone()));
        }
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    format!("{:016x}", fnv1a(&refs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_cannot_be_closed() {
        let m = Marker {
            workflow: ".github/workflows/re lease-->x.yml".into(),
            state: State::Failing,
            fingerprint: "00ff".into(),
        };
        let line = m.line();
        assert_eq!(line.matches("-->").count(), 1, "{line}");
        assert_eq!(Marker::parse(&format!("{line}\n## body")), Some(m.clone()));
        assert!(Marker::parse(&format!("text\n{line}")).is_none());
        assert!(Marker::parse("<!-- npm-logdoc:v2 workflow=a state=failing -->").is_none());
        assert!(Marker::parse("<!-- npm-logdoc:v1 workflow=a -->").is_none());
        assert!(m.same_workflow(&line).is_some());
        let other = Marker { workflow: "ci.yml".into(), ..m };
        assert!(other.same_workflow(&line).is_none());
    }

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(format!("{:016x}", fnv1a(&["a"])), format!("{:016x}", fnv1a(&["a"])));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
