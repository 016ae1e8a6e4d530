//! Runs on GitHub: `npm-logdoc analyze <run id | run URL>`. Async stops here:
//! [`scan_run`] starts a small Tokio runtime, asks the API for the run and its jobs
//! (every page), picks the jobs to read (by default the failed jobs of the latest
//! attempt), downloads their logs concurrently into temporary files, falling back
//! to the run's zip archive when a job log is unavailable, and then scans them
//! synchronously like any local log, naming each step as the API names it.
//!
//! The client, [`GitHub`], is reusable on its own (the comment bot builds on it):
//! it holds octocrab, the base URL and the token, and has methods for runs, jobs,
//! job logs and archives; see `client.rs`.

mod api;
mod client;
mod error;
mod steps;
mod target;

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};

use futures_util::StreamExt;

use crate::scan::{JobScan, JobScanner, Matcher};
use crate::source::{Archive, ArchiveLimits, SourceError};

pub use api::{Job, PullRequestRef, Run, Step};
pub use client::{Body, GitHub, Settings, Sink, Token};
pub use error::GitHubError;
pub use steps::{Marker, MarkerIndex, MarkerKind, Segment, plan};
pub use target::{DEFAULT_API_URL, Repo, RunRef, api_url_for_host, parse_remote};

/// Which jobs of a run to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobPick {
    /// Jobs that failed or timed out (the default).
    Failed,
    /// Every job that ran (`--all-jobs`).
    All,
    /// `--job NAME|ID`: an id, an exact name, or a unique name prefix.
    Named(String),
    /// The job of a `.../job/JOBID` URL.
    Id(u64),
}

/// A run to analyse, resolved: repository, run, attempt, jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub repo: Repo,
    pub run_id: u64,
    /// `None`: the latest attempt.
    pub attempt: Option<u32>,
    pub jobs: JobPick,
}

/// A run source: where to reach GitHub and what to read there.
#[derive(Clone, Debug)]
pub struct RunSource {
    pub settings: Settings,
    pub target: Target,
}

/// What a run yielded: one scan per job read, and links for the report.
#[derive(Debug)]
pub struct RunScan {
    pub scans: Vec<JobScan>,
    pub run: Run,
    pub run_url: Option<String>,
    /// `(job name, job URL)`.
    pub job_urls: Vec<(String, String)>,
}

/// What a caller shows while a run's logs download: the CLI draws a spinner on a
/// terminal, [`NoProgress`] draws nothing. Every method has a default that does
/// nothing.
pub trait Progress: Sync {
    /// A step that downloads no log ("reading run 42 of o/r").
    fn step(&self, _message: &str) {}
    /// Log downloads start: from now on [`Progress::bytes`] counts them.
    fn downloading(&self, _message: &str) {}
    /// `added` bytes arrived; `dropped` bytes counted before no longer count (a
    /// download started over).
    fn bytes(&self, _added: u64, _dropped: u64) {}
    /// The downloads are over, done or failed.
    fn finish(&self) {}
}

/// Shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// The runtime the client runs on: one thread, for the length of one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, GitHubError> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(GitHubError::Runtime)
}

/// Downloads and scans the jobs `source` names, telling `progress` how it goes.
pub fn scan_run(
    source: &RunSource,
    progress: &dyn Progress,
    matcher: &Matcher,
    limits: &ArchiveLimits,
) -> Result<RunScan, GitHubError> {
    let runtime = runtime()?;
    let fetched = runtime.block_on(async {
        let gh = GitHub::new(source.settings.clone())?;
        fetch(&gh, &source.target, progress).await
    });
    progress.finish();
    drop(runtime);
    scan_fetched(fetched?, &source.target, matcher, limits)
}

/// A downloaded job log, or a note that it must come from the archive.
enum Got {
    Log { file: File, markers: Option<Vec<Marker>> },
    FromArchive,
}

struct Fetched {
    run: Run,
    jobs: Vec<(Job, Got)>,
    archive: Option<File>,
}

/// "run 42 of o/r (release.yml, attempt 2)".
fn describe(run: &Run, target: &Target) -> String {
    let mut extra = Vec::new();
    if let Some(w) = run.workflow() {
        extra.push(w.to_string());
    }
    if let Some(n) = target.attempt.or(run.run_attempt).filter(|n| *n > 1) {
        extra.push(format!("attempt {n}"));
    }
    let extra = if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) };
    format!("run {} of {}{extra}", target.run_id, target.repo)
}

/// The jobs to read, or the sentence saying why there are none.
fn pick(run: &Run, jobs: Vec<Job>, how: &JobPick, desc: &str) -> Result<Vec<Job>, GitHubError> {
    let still_running = |job: &Job| GitHubError::InProgress {
        what: format!("job `{}` of {desc}", job.name),
        hint: "its log can be read when it completes".into(),
    };
    match how {
        JobPick::Id(_) => {
            if let Some(job) = jobs.iter().find(|j| !j.is_completed()) {
                return Err(still_running(job));
            }
            Ok(jobs)
        }
        JobPick::Named(want) => {
            let lower = want.to_lowercase();
            let by_id = jobs.iter().position(|j| j.id.to_string() == *want);
            let exact = || jobs.iter().position(|j| j.name == *want);
            let folded = || jobs.iter().position(|j| j.name.to_lowercase() == lower);
            let prefix = || {
                let hits: Vec<usize> =
                    (0..jobs.len()).filter(|&i| jobs[i].name.to_lowercase().starts_with(&lower)).collect();
                (hits.len() == 1).then(|| hits[0])
            };
            let Some(i) = by_id.or_else(exact).or_else(folded).or_else(prefix) else {
                let names: Vec<String> = jobs.iter().map(|j| format!("`{}` ({})", j.name, j.id)).collect();
                return Err(GitHubError::Usage(format!(
                    "--job `{want}` names no job of {desc}; its jobs: {}",
                    if names.is_empty() { "none".to_string() } else { names.join(", ") }
                )));
            };
            let job = jobs.into_iter().nth(i).expect("index from the same list");
            if !job.is_completed() {
                return Err(still_running(&job));
            }
            Ok(vec![job])
        }
        JobPick::All => {
            let running = jobs.iter().any(|j| !j.is_completed());
            let done: Vec<Job> = jobs.into_iter().filter(Job::has_log).collect();
            if !done.is_empty() {
                return Ok(done);
            }
            if running || !run.is_completed() {
                return Err(GitHubError::InProgress {
                    what: desc.to_string(),
                    hint: "no job has finished yet; run npm-logdoc again when it completes".into(),
                });
            }
            Err(GitHubError::NothingFailed(format!("{desc} has no job that ran, so there is no log to read")))
        }
        JobPick::Failed => {
            let running = jobs.iter().any(|j| !j.is_completed());
            let empty = jobs.is_empty();
            let failed: Vec<Job> = jobs.into_iter().filter(|j| j.is_completed() && j.failed()).collect();
            if !failed.is_empty() {
                return Ok(failed);
            }
            if running || !run.is_completed() {
                return Err(GitHubError::InProgress {
                    what: desc.to_string(),
                    hint: "no job has failed so far; run npm-logdoc again when it completes".into(),
                });
            }
            let conclusion = run.conclusion.as_deref().unwrap_or("unknown");
            let link = run.html_url.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
            Err(GitHubError::NothingFailed(if empty {
                format!(
                    "{desc} finished with `{conclusion}` before any job started (an invalid workflow file?), so there is no job log to read; GitHub shows why on the run's page{link}"
                )
            } else {
                format!(
                    "{desc} finished with `{conclusion}` and no job failed: nothing to diagnose (pass --all-jobs to read every job anyway)"
                )
            }))
        }
    }
}

/// A temporary file that indexes step markers and counts progress as bytes arrive.
struct LogSink<'p> {
    file: File,
    index: MarkerIndex,
    written: u64,
    progress: &'p dyn Progress,
}

impl Sink for LogSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        Sink::write(&mut self.file, bytes)?;
        self.index.observe(bytes);
        self.written += bytes.len() as u64;
        self.progress.bytes(bytes.len() as u64, 0);
        Ok(())
    }

    fn restart(&mut self) -> io::Result<()> {
        self.file.restart()?;
        self.index = MarkerIndex::new();
        self.progress.bytes(0, self.written);
        self.written = 0;
        Ok(())
    }
}

impl LogSink<'_> {
    fn new(progress: &dyn Progress) -> Result<LogSink<'_>, GitHubError> {
        let file = tempfile::tempfile().map_err(GitHubError::TempFile)?;
        Ok(LogSink { file, index: MarkerIndex::new(), written: 0, progress })
    }
}

async fn fetch(gh: &GitHub, target: &Target, progress: &dyn Progress) -> Result<Fetched, GitHubError> {
    let repo = &target.repo;
    progress.step(&format!("reading run {} of {repo}", target.run_id));
    let run = gh.run(repo, target.run_id, target.attempt).await?;
    let desc = describe(&run, target);
    let jobs = match &target.jobs {
        JobPick::Id(id) => {
            let job = gh.job(repo, *id).await?;
            if job.run_id.is_some_and(|r| r != target.run_id) {
                return Err(GitHubError::Usage(format!(
                    "job {id} belongs to run {}, not to run {}",
                    job.run_id.unwrap_or_default(),
                    target.run_id
                )));
            }
            vec![job]
        }
        _ => gh.jobs(repo, target.run_id, target.attempt).await?,
    };
    let picked = pick(&run, jobs, &target.jobs, &desc)?;
    let n = picked.len();
    progress.downloading(&format!("downloading the log{} of {n} job{}", plural(n), plural(n)));
    let downloads = futures_util::stream::iter(picked.into_iter().map(|job| async move {
        let mut sink = LogSink::new(progress)?;
        match gh.job_log(repo, &job, &mut sink).await {
            Ok(_) => {
                sink.file.rewind().map_err(GitHubError::TempFile)?;
                Ok((job, Got::Log { file: sink.file, markers: sink.index.finish() }))
            }
            // Not served one by one (older servers, expired parts): try the archive.
            Err(GitHubError::NotFound { .. } | GitHubError::Expired { .. }) => Ok((job, Got::FromArchive)),
            Err(e) => Err(e),
        }
    }))
    .buffered(gh.settings().concurrency.max(1))
    .collect::<Vec<Result<(Job, Got), GitHubError>>>()
    .await;
    let jobs = downloads.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mut archive = None;
    if let Some((job, _)) = jobs.iter().find(|(_, g)| matches!(g, Got::FromArchive)) {
        progress.downloading(&format!("downloading the log archive of run {}", target.run_id));
        // The latest attempt's archive is `/runs/{id}/logs`; an older one's has its own route.
        let attempt = target.attempt.or(job.run_attempt.filter(|a| Some(*a) != run.run_attempt));
        let mut sink = LogSink::new(progress)?;
        gh.run_archive(repo, target.run_id, attempt, &mut sink).await?;
        sink.file.rewind().map_err(GitHubError::TempFile)?;
        archive = Some(sink.file);
    }
    Ok(Fetched { run, jobs, archive })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn scan_fetched(
    fetched: Fetched,
    target: &Target,
    matcher: &Matcher,
    limits: &ArchiveLimits,
) -> Result<RunScan, GitHubError> {
    let Fetched { run, jobs, archive } = fetched;
    let run_url = run.html_url.as_ref().map(|u| match target.attempt {
        Some(n) => format!("{}/attempts/{n}", u.trim_end_matches('/')),
        None => u.clone(),
    });
    let shown = format!("the log archive of run {}", target.run_id);
    let mut archive = match archive {
        Some(file) => Some(Archive::new(BufReader::new(file), &shown, limits)?),
        None => None,
    };
    let mut scans = Vec::new();
    let mut job_urls = Vec::new();
    for (job, got) in jobs {
        let origin = job.html_url.clone().unwrap_or_else(|| {
            format!(
                "{}/job/{}",
                run_url.as_deref().unwrap_or(&format!("{}/actions/runs/{}", target.repo, run.id)),
                job.id
            )
        });
        if let Some(url) = &job.html_url {
            job_urls.push((job.name.clone(), url.clone()));
        }
        let mut scanner = matcher.job(Some(job.name.clone()), origin.clone());
        match got {
            Got::Log { file, markers } => {
                let segments = markers.map(|m| plan(&m, &job.steps)).unwrap_or_default();
                feed_segments(&mut scanner, &mut BufReader::with_capacity(64 * 1024, file), &segments, &origin)?;
            }
            Got::FromArchive => {
                let archive = archive.as_mut().expect("the archive was downloaded for this job");
                feed_from_archive(&mut scanner, archive, &job, &origin)?;
            }
        }
        for mut scan in scanner.finish() {
            name_failed_step(&mut scan, &job);
            scans.push(scan);
        }
    }
    Ok(RunScan { scans, run, run_url, job_urls })
}

/// Feeds a whole-job log cut at `segments` (unsplit when there are none).
fn feed_segments(
    scanner: &mut JobScanner<'_>,
    reader: &mut dyn Read,
    segments: &[Segment],
    origin: &str,
) -> Result<(), GitHubError> {
    let fail = |e| GitHubError::Log(SourceError::from_scan(origin, e));
    if segments.is_empty() {
        return scanner.feed(None, reader).map_err(fail);
    }
    for (i, seg) in segments.iter().enumerate() {
        match segments.get(i + 1) {
            Some(next) => {
                let mut part = (&mut *reader).take(next.offset.saturating_sub(seg.offset));
                scanner.feed(Some(&seg.step), &mut part).map_err(fail)?;
            }
            None => scanner.feed(Some(&seg.step), reader).map_err(fail)?,
        }
    }
    Ok(())
}

/// A job name as the archive spells it in file names: without `/` and `:`, cut to
/// 90 UTF-16 units, trimmed.
fn archive_name(name: &str) -> String {
    let mut out = String::new();
    let mut units = 0;
    for c in name.chars().filter(|c| *c != '/' && *c != ':') {
        units += c.len_utf16();
        if units > 90 {
            break;
        }
        out.push(c);
    }
    out.trim().to_string()
}

fn feed_from_archive(
    scanner: &mut JobScanner<'_>,
    archive: &mut Archive<BufReader<File>>,
    job: &Job,
    origin: &str,
) -> Result<(), GitHubError> {
    let want = archive_name(&job.name);
    let files = archive.layout().jobs.iter().find(|(name, _)| archive_name(name) == want).map(|(_, f)| f.clone());
    let Some(files) = files else {
        return Err(GitHubError::Api {
            what: archive.shown().to_string(),
            detail: format!("it has no log for job `{}`", job.name),
        });
    };
    let fail = |e| GitHubError::Log(SourceError::from_scan(origin, e));
    if !files.steps.is_empty() {
        // Step files: named by number, so the API's name is exact.
        for (number, file_name, path) in &files.steps {
            let name = job.steps.iter().find(|s| s.number == *number).map_or(file_name.as_str(), |s| &s.name);
            let mut reader = archive.entry(path)?;
            scanner.feed(Some(name), &mut reader).map_err(fail)?;
        }
        return Ok(());
    }
    let Some(path) = &files.whole else { return Ok(()) };
    let mut index = MarkerIndex::new();
    {
        let mut reader = archive.entry(path)?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(fail(e.into())),
            };
            index.observe(&buf[..n]);
        }
    }
    let segments = index.finish().map(|m| plan(&m, &job.steps)).unwrap_or_default();
    let mut reader = archive.entry(path)?;
    feed_segments(scanner, &mut reader, &segments, origin)
}

/// When the log had no `##[error]` line, the API still knows which step failed.
fn name_failed_step(scan: &mut JobScan, job: &Job) {
    if scan.facts.failed_step.is_some() {
        return;
    }
    let Some(failed) = job.failed_step() else { return };
    if let Some(i) = scan.facts.steps.iter().position(|s| s.name == failed.name) {
        scan.facts.failed_step = Some(i);
        scan.facts.steps[i].failed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names_drop_slashes_and_colons() {
        assert_eq!(archive_name("release / publish: npm"), "release  publish npm");
        assert_eq!(archive_name(&"x".repeat(120)).len(), 90);
    }
}
