//! The texts the bot posts: the report (the markdown renderer with the marker as
//! its hidden first line), the "resolved" edit, the tracking issue's title and the
//! note it is closed with. Everything that came from a log or from GitHub passes
//! through `redact` and `markdown::inert` before it gets here or on its way in.

use crate::diagnose::Report;
use crate::render::markdown::{self, GITHUB_BODY_MAX, inert};
use crate::render::{Context, VERSION};

use super::marker::{Marker, State};
use super::patch::Patch;

/// What the bot knows about the run it reports on.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    /// The workflow's name (`Release`).
    pub name: Option<String>,
    /// The workflow file (`.github/workflows/release.yml`).
    pub path: Option<String>,
    pub html_url: Option<String>,
    pub head_sha: Option<String>,
}

impl RunInfo {
    /// The workflow's identity in markers: its file, else its name.
    pub fn workflow_key(&self) -> String {
        self.path.clone().or_else(|| self.name.clone()).unwrap_or_else(|| "unknown-workflow".into())
    }

    /// "**Release** (`release.yml`)", made inert.
    fn shown(&self) -> String {
        let file = self.path.as_deref().map(|p| p.rsplit('/').next().unwrap_or(p));
        match (&self.name, file) {
            (Some(n), Some(f)) => format!("**{}** ({})", inert(n), inert(&format!("`{}`", f.replace('`', "")))),
            (Some(n), None) => format!("**{}**", inert(n)),
            (None, Some(f)) => inert(&format!("`{}`", f.replace('`', ""))),
            (None, None) => "the workflow".into(),
        }
    }
}

/// The report as a comment: marker first, then the markdown report, then the
/// patch `check --fix` writes for it (when the run's files gave one), under
/// GitHub's limit. `report` must already be redacted.
pub fn failing(report: &Report, cx: &Context, marker: &Marker, patch: Option<&Patch>) -> String {
    let section = patch.map(patch_section).unwrap_or_default();
    let max_chars = GITHUB_BODY_MAX.saturating_sub(section.chars().count());
    let options = markdown::Options { marker: Some(marker.text()), max_chars };
    let mut body = markdown::render(report, cx, &options);
    if !section.is_empty() {
        // Before the footer (the tool's version line), after the causes.
        let at = body.rfind("\n<sub>npm-logdoc ").unwrap_or(body.len());
        body.insert_str(at, &section);
    }
    body
}

/// The patch as a section: which files at which commit, the diff in a fence no
/// line of it can close (redacted: it is the repository's text), and how to apply it.
fn patch_section(patch: &Patch) -> String {
    let files: Vec<String> = patch.files.iter().map(|f| format!("`{}`", f.replace('`', ""))).collect();
    let sha = &patch.sha[..patch.sha.len().min(7)];
    format!(
        "### The patch\n\n{}\n\n{}\nIn a clone, `npm-logdoc check --fix` shows it for the whole repository and `npm-logdoc check --fix --write` applies it.\n",
        inert(&format!(
            "`npm-logdoc check --fix` on {} at commit {sha} writes this for the diagnosed cause:",
            files.join(", ")
        )),
        markdown::fenced(crate::redact::shown_lines(&patch.diff).trim_end(), "diff")
    )
}

/// The edit that marks an earlier failure comment as resolved by `run`.
pub fn resolved(old_body: &str, run: &RunInfo, marker: &Marker) -> String {
    let marker = Marker { state: State::Resolved, ..marker.clone() };
    let mut body = format!("{}\n## npm-logdoc: resolved\n\n", marker.line());
    body.push_str(&format!("A later run of {} succeeded", run.shown()));
    if let Some(url) = run.html_url.as_deref().and_then(crate::render::inert::link) {
        body.push_str(&format!(": <{url}>"));
    }
    body.push_str(".\n");
    // What the failure comment reported: its cause ids (read back from GitHub, so
    // only strings shaped like an id are taken).
    let ids = reported_ids(old_body);
    if !ids.is_empty() {
        let ids: Vec<String> = ids.iter().map(|id| format!("~~`{id}`~~")).collect();
        body.push_str(&format!("\nThis comment reported: {}\n", ids.join(", ")));
    }
    body.push_str(&format!("\n<sub>npm-logdoc {VERSION}</sub>\n"));
    body
}

/// The cause ids of a report body: each cause's line starts with `` `family/name` · ``.
fn reported_ids(body: &str) -> Vec<String> {
    let is_id = |s: &str| {
        s.split_once('/').is_some_and(|(f, n)| {
            let ok =
                |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            ok(f) && ok(n)
        })
    };
    let mut ids: Vec<String> = Vec::new();
    for line in body.lines() {
        let Some(rest) = line.strip_prefix('`') else { continue };
        let Some((id, tail)) = rest.split_once('`') else { continue };
        if tail.starts_with(" · confidence") && is_id(id) && !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }
    ids
}

/// The tracking issue's title.
pub fn issue_title(run: &RunInfo) -> String {
    let name = run.name.clone().or_else(|| run.path.clone()).unwrap_or_else(|| "A workflow".into());
    // Titles are plain text, but keep them on one line and short.
    let name: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
    format!("npm-logdoc: {name} is failing")
}

/// The comment that closes the tracking issue.
pub fn closing_note(run: &RunInfo) -> String {
    let mut note = format!("Resolved: a later run of {} succeeded", run.shown());
    if let Some(url) = run.html_url.as_deref().and_then(crate::render::inert::link) {
        note.push_str(&format!(": <{url}>"));
    }
    note.push_str(&format!(
        ". Closing this issue; npm-logdoc opens a new one if the workflow fails again.\n\n<sub>npm-logdoc {VERSION}</sub>\n"
    ));
    note
}
