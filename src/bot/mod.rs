//! The comment bot: `npm-logdoc comment <run>` analyses a run through the GitHub
//! source and posts the markdown report where the maintainer looks, once, kept
//! current. A failed run is reported to its pull requests (the run's own, else the
//! open ones whose head is the run's commit), else to its commit (a tag push, the
//! usual release), or with `--issue` to a tracking issue for the workflow. Each
//! place gets one post, found again by a hidden marker on its first line (and its
//! author) across every page, edited in place when the diagnosis changes, left
//! alone when it does not, and marked resolved (or the issue closed) by a later
//! successful run of the same workflow.

mod body;
mod marker;
mod patch;
mod places;

use std::fmt::Write as _;

use crate::pattern::RuleSet;
use crate::render::Context;
use crate::source::ArchiveLimits;
use crate::source::github::{GitHub, GitHubError, NoProgress, Run, RunSource};

pub use body::RunInfo;
pub use marker::{Marker, State, fingerprint};
pub use patch::{MAX_PATCH_CHARS, Patch};
pub use places::{MAX_PULL_REQUESTS, Me, Place};

use places::{Api, Post};

/// Where the report goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The run's pull requests, else its commit.
    #[default]
    Auto,
    /// The run's pull requests only (nothing when it has none).
    Pr,
    /// The run's head commit.
    Commit,
    /// A tracking issue for the workflow.
    Issue,
}

/// Everything `comment` needs, resolved.
#[derive(Debug)]
pub struct BotConfig {
    /// The run (settings, repository, id, attempt; its failed jobs are read).
    pub run: RunSource,
    pub mode: Mode,
    pub dry_run: bool,
}

/// What stops the bot: a refusal of its own (a write), or the GitHub source's
/// errors and the analysis's, passed through as they are.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// Reading or analysing the run's logs.
    #[error(transparent)]
    Analysis(#[from] crate::error::Error),
    /// 403 on a write: the token lacks the permission for this place.
    #[error("{}", forbidden(action, repo, message, permission, fine_grained, accepted.as_deref()))]
    Forbidden {
        action: String,
        repo: String,
        message: String,
        permission: &'static str,
        fine_grained: &'static str,
        accepted: Option<Box<str>>,
    },
    /// 410 on the issues endpoints.
    #[error(
        "issues are disabled in {repo} (410), so there is no tracking issue to write: enable Issues in the repository's settings, or post to the pull request or commit instead (drop --issue)"
    )]
    IssuesDisabled { repo: String },
}

fn forbidden(
    action: &str,
    repo: &str,
    message: &str,
    permission: &str,
    fine_grained: &str,
    accepted: Option<&str>,
) -> String {
    let (key, level) = permission.split_once(": ").unwrap_or((permission, "write"));
    let says = match accepted.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => format!(" (GitHub says it accepts `{}`)", a.replace('=', ": ")),
        None => String::new(),
    };
    format!(
        "GitHub refused to {action} in {repo} (403 {message}): the token needs `{permission}`{says}; \
         in the workflow, add `permissions: {{ {key}: {level} }}` to the job; a fine-grained token needs \
         \"{fine_grained}\"; a run started by `pull_request` from a fork gets a read-only token whatever \
         it asks for, so post from a `workflow_run` workflow instead"
    )
}

/// What was (or, in a dry run, would be) done at one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    Created,
    Updated,
    /// The posted diagnosis is the same: no write.
    Unchanged,
    /// A failure comment was edited to say it is resolved.
    Resolved,
    /// The tracking issue was closed with a note.
    Closed,
    /// A success found no failure comment to resolve.
    NothingToResolve,
}

/// One place's result.
#[derive(Clone, Debug)]
pub struct Posted {
    pub place: Place,
    pub done: Done,
    pub url: Option<String>,
    /// The body written (or that would be written).
    pub body: Option<String>,
}

/// What `comment` did.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub repo: String,
    pub run_id: u64,
    pub dry_run: bool,
    pub posted: Vec<Posted>,
    /// Why nothing was posted, when nothing was.
    pub note: Option<String>,
}

impl Outcome {
    /// The lines printed on standard output (with each body in a dry run), with no
    /// line the Actions runner would take for a workflow command (the action's dry
    /// run prints them in a step).
    pub fn render(&self) -> String {
        // URLs and notes come from GitHub: no control character reaches the terminal.
        crate::render::inert::commands(&crate::redact::lines(&self.lines()), false)
    }

    fn lines(&self) -> String {
        let mut out = String::new();
        if self.dry_run {
            let _ = writeln!(
                out,
                "npm-logdoc comment: dry run for run {} of {}; nothing is written",
                self.run_id, self.repo
            );
        }
        if let Some(note) = &self.note {
            let _ = writeln!(out, "{note}");
        }
        for p in &self.posted {
            let place = p.place.describe();
            let would = if self.dry_run { "would " } else { "" };
            let what = match (&p.done, self.dry_run) {
                (Done::Created, false) => "created a comment".to_string(),
                (Done::Created, true) => "create a comment".to_string(),
                (Done::Updated, false) => "updated the comment".to_string(),
                (Done::Updated, true) => "update the comment".to_string(),
                (Done::Resolved, false) => "marked the comment resolved".to_string(),
                (Done::Resolved, true) => "mark the comment resolved".to_string(),
                (Done::Closed, false) => "closed the issue with a note".to_string(),
                (Done::Closed, true) => "close the issue with a note".to_string(),
                (Done::Unchanged, _) => "unchanged: same diagnosis, nothing written".to_string(),
                (Done::NothingToResolve, _) => "no failure comment to resolve".to_string(),
            };
            let would = if matches!(p.done, Done::Unchanged | Done::NothingToResolve) { "" } else { would };
            let url = p.url.as_deref().map(|u| format!(": {u}")).unwrap_or_default();
            let _ = writeln!(out, "{place}: {would}{what}{url}");
            if self.dry_run {
                if let Some(body) = &p.body {
                    let _ = writeln!(
                        out,
                        "----- body ({} characters) -----\n{body}\n----- end -----",
                        body.chars().count()
                    );
                }
            }
        }
        out
    }
}

/// Runs the bot for `config`: reads the run, analyses it when it failed, and
/// writes (unless `dry_run`) to each place.
pub fn comment(config: &BotConfig, rules: &RuleSet, limits: &ArchiveLimits) -> Result<Outcome, BotError> {
    let runtime = crate::source::github::runtime()?;
    let gh = {
        let _inside = runtime.enter();
        GitHub::new(config.run.settings.clone())?
    };
    let target = &config.run.target;
    let api = Api { gh: &gh, repo: &target.repo };
    let meta = runtime.block_on(api.run(target.run_id, target.attempt))?;
    let info = RunInfo {
        name: meta.name.clone(),
        path: meta.path.clone(),
        html_url: meta.html_url.clone(),
        head_sha: meta.head_sha.clone(),
    };
    let mut outcome = Outcome {
        repo: target.repo.to_string(),
        run_id: target.run_id,
        dry_run: config.dry_run,
        posted: Vec::new(),
        note: None,
    };
    if meta.status.as_deref() != Some("completed") {
        return Err(GitHubError::InProgress {
            what: format!("run {} of {}", target.run_id, target.repo),
            hint: "comment when it completes (in a workflow: `on: workflow_run: types: [completed]`)".into(),
        }
        .into());
    }
    let conclusion = meta.conclusion.clone().unwrap_or_default();
    match conclusion.as_str() {
        "failure" | "timed_out" | "startup_failure" => {
            // The analysis runs its own runtime; ours is idle meanwhile.
            let analysis = crate::analyze(&[], std::slice::from_ref(&config.run), &NoProgress, rules, limits).map_err(
                |e| match e {
                    crate::error::Error::GitHub(e) => BotError::GitHub(e),
                    other => BotError::Analysis(other),
                },
            )?;
            let report = crate::redact::report(&analysis.report);
            let marker =
                Marker { workflow: info.workflow_key(), state: State::Failing, fingerprint: fingerprint(&report) };
            let cx = Context { run_url: analysis.run_url, job_urls: analysis.job_urls, width: None };
            let ids: Vec<&str> = report.diagnoses.iter().map(|d| d.id.as_str()).collect();
            let patch = runtime.block_on(patch::suggest(&api, &meta, &ids));
            let text = body::failing(&report, &cx, &marker, patch.as_ref());
            let title = body::issue_title(&info);
            runtime.block_on(report_failure(&api, config, &meta, &marker, &text, &title, &mut outcome))?;
        }
        "success" => {
            let marker = Marker { workflow: info.workflow_key(), state: State::Resolved, fingerprint: String::new() };
            runtime.block_on(resolve(&api, config, &meta, &info, &marker, &mut outcome))?;
        }
        other => {
            outcome.note = Some(format!(
                "run {} of {} concluded `{other}`: neither a failure to report nor a success that resolves one; nothing posted",
                target.run_id, target.repo
            ));
        }
    }
    Ok(outcome)
}

/// The pull requests of the run: GitHub's link, else the open ones headed by its commit.
async fn pull_requests(api: &Api<'_>, meta: &Run) -> Result<Vec<u64>, BotError> {
    let mut prs: Vec<u64> = meta.pull_requests.iter().map(|p| p.number).collect();
    if prs.is_empty() {
        if let Some(sha) = &meta.head_sha {
            prs = api.pulls_of_commit(sha).await?;
        }
    }
    prs.sort_unstable();
    prs.dedup();
    prs.truncate(MAX_PULL_REQUESTS);
    Ok(prs)
}

/// The first post at a place that is the bot's own for this workflow.
/// The note when GitHub will not say whose token it is.
const UNKNOWN_ME: &str = "GitHub would not say which account the token belongs to (GET /user and GraphQL's viewer were refused), so no existing comment is edited: a failure is posted as a new comment unless a bot's comment already shows the same diagnosis";

fn ours<'p>(posts: &'p [Post], me: &Me, marker: &Marker) -> Vec<(&'p Post, Marker)> {
    posts.iter().filter(|p| me.wrote(p)).filter_map(|p| marker.same_workflow(&p.body).map(|m| (p, m))).collect()
}

async fn report_failure(
    api: &Api<'_>,
    config: &BotConfig,
    meta: &Run,
    marker: &Marker,
    text: &str,
    title: &str,
    outcome: &mut Outcome,
) -> Result<(), BotError> {
    let commit = || meta.head_sha.clone().map(Place::Commit);
    let places: Vec<Place> = match config.mode {
        Mode::Issue => vec![Place::Issue],
        Mode::Commit => commit().into_iter().collect(),
        Mode::Pr => pull_requests(api, meta).await?.into_iter().map(Place::PullRequest).collect(),
        Mode::Auto => {
            let prs = pull_requests(api, meta).await?;
            if prs.is_empty() {
                commit().into_iter().collect()
            } else {
                prs.into_iter().map(Place::PullRequest).collect()
            }
        }
    };
    if places.is_empty() {
        outcome.note = Some(match config.mode {
            Mode::Pr => {
                "the run has no open pull request; nothing posted (use --target auto to fall back to the commit)".into()
            }
            _ => "GitHub gave no head commit for the run; nothing posted".into(),
        });
        return Ok(());
    }
    let me = api.me().await?;
    if me == Me::Unknown {
        outcome.note = Some(UNKNOWN_ME.into());
    }
    for place in places {
        let posts = api.list(&place).await?;
        let found = ours(&posts, &me, marker);
        // Not knowing who we are, we edit nothing, but do not post the same
        // diagnosis twice: a bot's post showing it already is left as it is.
        let shown_by_a_bot = || {
            posts.iter().find(|p| {
                let bot = p.author.kind.as_deref() == Some("Bot") || p.author.login.ends_with("[bot]");
                bot && marker
                    .same_workflow(&p.body)
                    .is_some_and(|m| m.state == State::Failing && m.fingerprint == marker.fingerprint)
            })
        };
        let posted = match found.first() {
            None if me == Me::Unknown && shown_by_a_bot().is_some() => {
                let url = shown_by_a_bot().and_then(|p| p.url.clone());
                Posted { place, done: Done::Unchanged, url, body: None }
            }
            Some((post, old))
                if old.state == State::Failing && (old.fingerprint == marker.fingerprint || post.body == text) =>
            {
                Posted { place, done: Done::Unchanged, url: post.url.clone(), body: None }
            }
            Some((post, _)) => {
                let url = if config.dry_run { post.url.clone() } else { api.update(&place, post.id, text).await?.url };
                Posted { place, done: Done::Updated, url, body: Some(text.to_string()) }
            }
            None => {
                let url = if config.dry_run { None } else { api.create(&place, text, title).await?.url };
                Posted { place, done: Done::Created, url, body: Some(text.to_string()) }
            }
        };
        outcome.posted.push(posted);
    }
    Ok(())
}

async fn resolve(
    api: &Api<'_>,
    config: &BotConfig,
    meta: &Run,
    info: &RunInfo,
    marker: &Marker,
    outcome: &mut Outcome,
) -> Result<(), BotError> {
    let places: Vec<Place> = match config.mode {
        Mode::Issue => vec![Place::Issue],
        Mode::Commit => vec![Place::AnyCommit],
        Mode::Pr => pull_requests(api, meta).await?.into_iter().map(Place::PullRequest).collect(),
        Mode::Auto => {
            let prs = pull_requests(api, meta).await?;
            if prs.is_empty() { vec![Place::AnyCommit] } else { prs.into_iter().map(Place::PullRequest).collect() }
        }
    };
    if places.is_empty() {
        outcome.note = Some("the run has no open pull request; nothing to resolve".into());
        return Ok(());
    }
    let me = api.me().await?;
    if me == Me::Unknown {
        outcome.note = Some(UNKNOWN_ME.into());
    }
    for place in places {
        let posts = api.list(&place).await?;
        let found = ours(&posts, &me, marker);
        let failing: Vec<&(&Post, Marker)> = found.iter().filter(|(_, m)| m.state == State::Failing).collect();
        if failing.is_empty() {
            outcome.posted.push(Posted { place, done: Done::NothingToResolve, url: None, body: None });
            continue;
        }
        // A tracking issue and a pull request have one post; earlier commits may each have one.
        let take = if place == Place::AnyCommit { failing.len() } else { 1 };
        for (post, old) in failing.into_iter().take(take) {
            if place == Place::Issue {
                let note = body::closing_note(info);
                let url = if config.dry_run { post.url.clone() } else { api.close_issue(post.id, &note).await?.url };
                outcome.posted.push(Posted { place: place.clone(), done: Done::Closed, url, body: Some(note) });
                continue;
            }
            let text = body::resolved(&post.body, info, old);
            let url = if config.dry_run { post.url.clone() } else { api.update(&place, post.id, &text).await?.url };
            outcome.posted.push(Posted { place: place.clone(), done: Done::Resolved, url, body: Some(text) });
        }
    }
    Ok(())
}
