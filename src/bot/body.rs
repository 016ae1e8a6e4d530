//! The texts the bot posts: the report (the markdown renderer with the marker as
//! its hidden first line), the "resolved" edit, the tracking issue's title and the
//! note it is closed with. Everything that came from a log or from GitHub passes
//! through `redact` and `markdown::inert` before it gets here or on its way in.

use crate::diagnose::Report;
use crate::render::markdown::{self, GITHUB_BODY_MAX, inert};
use crate::render::{Context, VERSION};

use super::marker::{Marker, State};

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
            (Some(n), Some(f)) => format!("**{}** (`{}`)", inert(n), f.replace('`', "")),
            (Some(n), None) => format!("**{}**", inert(n)),
            (None, Some(f)) => format!("`{}`", f.replace('`', "")),
            (None, None) => "the workflow".into(),
        }
    }
}

/// The report as a comment: marker first, then the markdown report, under GitHub's
/// limit. `report` must already be redacted.
pub fn failing(report: &Report, cx: &Context, marker: &Marker) -> String {
    let options = markdown::Options { marker: Some(marker.text()), max_chars: GITHUB_BODY_MAX };
    markdown::render(report, cx, &options)
}

/// The edit that marks an earlier failure comment as resolved by `run`.
pub fn resolved(old_body: &str, run: &RunInfo, marker: &Marker) -> String {
    let marker = Marker { state: State::Resolved, ..marker.clone() };
    let mut body = format!("{}\n## npm-logdoc: resolved\n\n", marker.line());
    body.push_str(&format!("A later run of {} succeeded", run.shown()));
    if let Some(url) = &run.html_url {
        body.push_str(&format!(": <{url}>"));
    }
    body.push_str(".\n");
    // The heading the failure comment had (re-made inert: it is read back from GitHub).
    if let Some(title) = old_body.lines().find_map(|l| l.strip_prefix("## npm-logdoc: ")) {
        body.push_str(&format!("\nThis comment reported: ~~{}~~\n", inert(title.trim())));
    }
    body.push_str(&format!("\n<sub>npm-logdoc {VERSION}</sub>\n"));
    body
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
    if let Some(url) = &run.html_url {
        note.push_str(&format!(": <{url}>"));
    }
    note.push_str(&format!(
        ". Closing this issue; npm-logdoc opens a new one if the workflow fails again.\n\n<sub>npm-logdoc {VERSION}</sub>\n"
    ));
    note
}
