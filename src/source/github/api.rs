//! The parts of GitHub's REST answers npm-logdoc reads: a workflow run, its jobs
//! and their steps. Lenient on purpose (every field GitHub Enterprise Server may
//! lack is optional), so an older server or a new field never breaks a download.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `GET /repos/{owner}/{repo}/actions/runs/{run_id}` (or `.../attempts/{n}`).
#[derive(Clone, Debug, Deserialize)]
pub struct Run {
    pub id: u64,
    /// The workflow's name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_title: Option<String>,
    /// The workflow file, `.github/workflows/release.yml`.
    #[serde(default)]
    pub path: Option<String>,
    /// `queued`, `in_progress`, `completed`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// `success`, `failure`, `cancelled`, ... once completed.
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub run_attempt: Option<u32>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub head_branch: Option<String>,
    #[serde(default)]
    pub head_sha: Option<String>,
    /// Pull requests whose head is this run's (empty for tag pushes and forks).
    #[serde(default)]
    pub pull_requests: Vec<PullRequestRef>,
}

/// A pull request as a run or a commit lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct PullRequestRef {
    pub number: u64,
    /// `open` or `closed` (commit listings only).
    #[serde(default)]
    pub state: Option<String>,
}

impl Run {
    pub fn is_completed(&self) -> bool {
        self.status.as_deref() == Some("completed")
    }

    /// The workflow file name, else the workflow name, for messages.
    pub fn workflow(&self) -> Option<&str> {
        self.path.as_deref().map(|p| p.rsplit('/').next().unwrap_or(p)).or(self.name.as_deref())
    }
}

/// One job of a run (`GET .../runs/{run_id}/jobs`, `GET .../jobs/{job_id}`).
#[derive(Clone, Debug, Deserialize)]
pub struct Job {
    pub id: u64,
    #[serde(default)]
    pub run_id: Option<u64>,
    #[serde(default)]
    pub run_attempt: Option<u32>,
    pub name: String,
    /// `queued`, `in_progress`, `completed`, `waiting`, ...
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub runner_name: Option<String>,
    #[serde(default)]
    pub runner_group_name: Option<String>,
}

impl Job {
    pub fn is_completed(&self) -> bool {
        self.status.as_deref() == Some("completed")
    }

    /// Failed the way a user means it: `failure` or `timed_out`.
    pub fn failed(&self) -> bool {
        matches!(self.conclusion.as_deref(), Some("failure" | "timed_out"))
    }

    /// Has a log worth reading: completed and not skipped.
    pub fn has_log(&self) -> bool {
        self.is_completed() && self.conclusion.as_deref() != Some("skipped")
    }

    /// The step whose failure failed the job (the first with `failure`).
    pub fn failed_step(&self) -> Option<&Step> {
        let mut steps: Vec<&Step> = self.steps.iter().collect();
        steps.sort_by_key(|s| s.number);
        steps.into_iter().find(|s| matches!(s.conclusion.as_deref(), Some("failure" | "timed_out")))
    }
}

/// One step of a job.
#[derive(Clone, Debug, Deserialize)]
pub struct Step {
    pub name: String,
    pub number: u64,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

impl Step {
    /// The step ran, so it has lines in the log.
    pub fn ran(&self) -> bool {
        self.status != "queued" && self.status != "pending" && self.conclusion.as_deref() != Some("skipped")
    }
}
