//! The GitHub source against a local mock of the REST API (wiremock on 127.0.0.1,
//! started here), driven through the real octocrab client: run and jobs JSON shaped
//! like GitHub's, jobs over several pages with `Link` headers, the 302 redirect to
//! log storage, the zip fallback, every error a user can act on, and the CLI end to
//! end. Nothing here touches the network beyond 127.0.0.1 or reads the environment:
//! base URL and token are passed in, and the CLI runs with a cleaned environment.

use std::io::{Cursor, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use npm_logdoc::source::ArchiveLimits;
use npm_logdoc::source::github::{GitHubError, JobPick, NoProgress, Repo, RunSource, Settings, Target, Token};
use npm_logdoc::{Analysis, Error, RuleSet};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");
const OWNER: &str = "orrery-dev";
const REPO: &str = "lintel";
const RUN: u64 = 21_988_430_115;
const RELEASE_JOB: u64 = 63_111_000_005;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn release_log() -> Vec<u8> {
    std::fs::read(fixture("release-e422.log")).unwrap()
}

/// A mock GitHub (and, optionally, a second server standing in for log storage on
/// another host). Its runtime only drives the test's own calls to wiremock; the
/// servers run on threads of their own.
struct GitHub {
    rt: tokio::runtime::Runtime,
    api: MockServer,
    storage: MockServer,
    /// Path prefix of the API (`/api/v3` for GitHub Enterprise Server).
    prefix: String,
}

impl GitHub {
    fn new() -> GitHub {
        GitHub::with_prefix("")
    }

    fn with_prefix(prefix: &str) -> GitHub {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let api = rt.block_on(MockServer::start());
        let storage = rt.block_on(MockServer::start());
        GitHub { rt, api, storage, prefix: prefix.to_string() }
    }

    fn api_url(&self) -> String {
        format!("{}{}", self.api.uri(), self.prefix)
    }

    fn route(&self, rest: &str) -> String {
        format!("{}/repos/{OWNER}/{REPO}{rest}", self.prefix)
    }

    fn mount(&self, mock: Mock) {
        self.rt.block_on(mock.mount(&self.api));
    }

    fn mount_storage(&self, mock: Mock) {
        self.rt.block_on(mock.mount(&self.storage));
    }

    fn requests(&self) -> Vec<Request> {
        self.rt.block_on(self.api.received_requests()).unwrap_or_default()
    }

    fn storage_requests(&self) -> Vec<Request> {
        self.rt.block_on(self.storage.received_requests()).unwrap_or_default()
    }

    fn settings(&self, token: Option<&str>) -> Settings {
        let mut s = Settings::new(self.api_url(), token.map(|t| Token::new(t, "GH_TOKEN")));
        s.backoff = Duration::from_millis(5);
        s.retries = 2;
        s.connect_timeout = Duration::from_secs(5);
        s.read_timeout = Duration::from_secs(5);
        s
    }

    /// `GET /runs/{id}` answered with `run`.
    fn run(&self, run: Value) {
        self.mount(
            Mock::given(method("GET")).and(path(self.route(&format!("/actions/runs/{RUN}")))).respond_with(ok(run)),
        );
    }

    /// The jobs list over three pages linked by `Link` headers, as GitHub pages them.
    fn jobs_in_pages(&self, jobs: &[Value]) {
        let base = format!("{}/repos/{OWNER}/{REPO}/actions/runs/{RUN}/jobs", self.api_url());
        let route = self.route(&format!("/actions/runs/{RUN}/jobs"));
        let pages: Vec<&[Value]> = jobs.chunks(jobs.len().div_ceil(3)).collect();
        let last = pages.len();
        for (i, page) in pages.iter().enumerate() {
            let n = i + 1;
            let mut links = Vec::new();
            if n < last {
                links.push(format!("<{base}?filter=latest&per_page=100&page={}>; rel=\"next\"", n + 1));
                links.push(format!("<{base}?filter=latest&per_page=100&page={last}>; rel=\"last\""));
            }
            if n > 1 {
                links.push(format!("<{base}?filter=latest&per_page=100&page={}>; rel=\"prev\"", n - 1));
                links.push(format!("<{base}?filter=latest&per_page=100&page=1>; rel=\"first\""));
            }
            let mut response = ok(json!({ "total_count": jobs.len(), "jobs": page }));
            if !links.is_empty() {
                response = response.insert_header("link", links.join(", ").as_str());
            }
            let matcher = Mock::given(method("GET")).and(path(route.clone())).and(query_param("filter", "latest"));
            let matcher = if n == 1 {
                matcher.and(query_param_is_missing("page"))
            } else {
                matcher.and(query_param("page", n.to_string()))
            };
            self.mount(matcher.respond_with(response));
        }
    }

    /// The job-logs endpoint: a 302 to the storage server, which serves `log`.
    fn job_log(&self, job: u64, log: Vec<u8>) {
        let storage_path = format!("/results/job-{job}.txt");
        let location = format!("{}{storage_path}?sig=short-lived&se=2026-02-20T11%3A10Z", self.storage.uri());
        self.mount(
            Mock::given(method("GET"))
                .and(path(self.route(&format!("/actions/jobs/{job}/logs"))))
                .respond_with(ResponseTemplate::new(302).insert_header("location", location.as_str())),
        );
        self.mount_storage(
            Mock::given(method("GET"))
                .and(path(storage_path))
                .and(query_param("sig", "short-lived"))
                .respond_with(ResponseTemplate::new(200).set_body_raw(log, "text/plain")),
        );
    }

    /// The job-logs endpoint answers `status` with GitHub's JSON error body.
    fn job_log_fails(&self, job: u64, status: u16, message: &str) {
        self.mount(
            Mock::given(method("GET"))
                .and(path(self.route(&format!("/actions/jobs/{job}/logs"))))
                .respond_with(gh_error(status, message)),
        );
    }

    /// The run's log archive: a 302 to storage serving `zip`.
    fn archive(&self, route: &str, zip: Vec<u8>) {
        let location = format!("{}/results/run-logs.zip?sig=short-lived", self.storage.uri());
        self.mount(
            Mock::given(method("GET"))
                .and(path(self.route(route)))
                .respond_with(ResponseTemplate::new(302).insert_header("location", location.as_str())),
        );
        self.mount_storage(
            Mock::given(method("GET"))
                .and(path("/results/run-logs.zip"))
                .respond_with(ResponseTemplate::new(200).set_body_raw(zip, "application/zip")),
        );
    }

    fn target(&self, jobs: JobPick) -> Target {
        Target { repo: Repo { owner: OWNER.into(), name: REPO.into() }, run_id: RUN, attempt: None, jobs }
    }

    fn analyze(&self, settings: Settings, target: Target) -> Result<Analysis, Error> {
        let rules = RuleSet::builtin().unwrap();
        npm_logdoc::analyze(&[], &[RunSource { settings, target }], &NoProgress, &rules, &ArchiveLimits::default())
    }
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body).insert_header("x-ratelimit-remaining", "4999")
}

fn gh_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run",
        "status": status.to_string(),
    }))
}

fn run_json(status: &str, conclusion: Option<&str>, attempt: u32) -> Value {
    json!({
        "id": RUN,
        "name": "Release",
        "node_id": "WFR_kwLOPx2c9M8AAAAFH6b3Yw",
        "head_branch": "main",
        "head_sha": "3f1c2d9e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
        "path": ".github/workflows/release.yml",
        "display_title": "release 0.9.0",
        "run_number": 57,
        "event": "push",
        "status": status,
        "conclusion": conclusion,
        "workflow_id": 171_442_321,
        "check_suite_id": 52_361_771_009u64,
        "url": format!("https://api.github.com/repos/{OWNER}/{REPO}/actions/runs/{RUN}"),
        "html_url": format!("https://github.com/{OWNER}/{REPO}/actions/runs/{RUN}"),
        "created_at": "2026-02-20T11:01:58Z",
        "updated_at": "2026-02-20T11:02:40Z",
        "run_attempt": attempt,
        "run_started_at": "2026-02-20T11:01:58Z",
        "jobs_url": format!("https://api.github.com/repos/{OWNER}/{REPO}/actions/runs/{RUN}/jobs"),
        "logs_url": format!("https://api.github.com/repos/{OWNER}/{REPO}/actions/runs/{RUN}/logs"),
        "repository": { "id": 1_033_882_311, "name": REPO, "full_name": format!("{OWNER}/{REPO}"), "private": false },
    })
}

fn step(number: u64, name: &str, conclusion: &str, from: &str, to: &str) -> Value {
    let skipped = conclusion == "skipped";
    json!({
        "name": name,
        "status": "completed",
        "conclusion": conclusion,
        "number": number,
        "started_at": if skipped { Value::Null } else { json!(format!("2026-02-20T11:{from}Z")) },
        "completed_at": if skipped { Value::Null } else { json!(format!("2026-02-20T11:{to}Z")) },
    })
}

fn job_json(id: u64, name: &str, status: &str, conclusion: Option<&str>, steps: Vec<Value>) -> Value {
    json!({
        "id": id,
        "run_id": RUN,
        "workflow_name": "Release",
        "head_branch": "main",
        "run_url": format!("https://api.github.com/repos/{OWNER}/{REPO}/actions/runs/{RUN}"),
        "run_attempt": 1,
        "node_id": "CR_kwDOPx2c9M8AAAAOsrKr0Q",
        "head_sha": "3f1c2d9e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
        "url": format!("https://api.github.com/repos/{OWNER}/{REPO}/actions/jobs/{id}"),
        "html_url": format!("https://github.com/{OWNER}/{REPO}/actions/runs/{RUN}/job/{id}"),
        "status": status,
        "conclusion": conclusion,
        "created_at": "2026-02-20T11:01:59Z",
        "started_at": "2026-02-20T11:02:10Z",
        "completed_at": if status == "completed" { json!("2026-02-20T11:02:31Z") } else { Value::Null },
        "name": name,
        "steps": steps,
        "check_run_url": format!("https://api.github.com/repos/{OWNER}/{REPO}/check-runs/{id}"),
        "labels": ["ubuntu-latest"],
        "runner_id": 1_000_000_123,
        "runner_name": "GitHub Actions 1000000123",
        "runner_group_id": 0,
        "runner_group_name": "GitHub Actions",
    })
}

/// The release job whose log is `tests/fixtures/release-e422.log`, with the API's
/// step names (which the log itself does not carry).
fn release_job() -> Value {
    job_json(
        RELEASE_JOB,
        "release",
        "completed",
        Some("failure"),
        vec![
            step(1, "Set up job", "success", "02:10", "02:14"),
            step(2, "Run actions/checkout@v4", "success", "02:14", "02:16"),
            step(3, "Setup Node", "success", "02:16", "02:19"),
            step(4, "Install", "success", "02:19", "02:23"),
            step(5, "Publish to npm", "failure", "02:24", "02:28"),
            step(6, "Create GitHub release", "skipped", "", ""),
            step(11, "Post Run actions/checkout@v4", "success", "02:29", "02:31"),
            step(12, "Complete job", "success", "02:31", "02:31"),
        ],
    )
}

fn green_job(id: u64, name: &str) -> Value {
    job_json(
        id,
        name,
        "completed",
        Some("success"),
        vec![step(1, "Set up job", "success", "02:00", "02:01"), step(2, "Complete job", "success", "02:05", "02:05")],
    )
}

/// Five jobs, one failed, over three pages.
fn failed_release_run(gh: &GitHub) {
    gh.run(run_json("completed", Some("failure"), 1));
    gh.jobs_in_pages(&[
        green_job(63_111_000_001, "lint"),
        green_job(63_111_000_002, "test (ubuntu-latest, 20)"),
        green_job(63_111_000_003, "test (ubuntu-latest, 22)"),
        green_job(63_111_000_004, "build"),
        release_job(),
    ]);
}

fn ids(a: &Analysis) -> Vec<&str> {
    a.report.diagnoses.iter().map(|d| d.id.as_str()).collect()
}

fn file_ids() -> Vec<String> {
    let rules = RuleSet::builtin().unwrap();
    let report = npm_logdoc::analyze_sources(
        &[npm_logdoc::source::Source::Path(fixture("release-e422.log"))],
        &rules,
        &ArchiveLimits::default(),
    )
    .unwrap();
    report.diagnoses.iter().map(|d| d.id.clone()).collect()
}

fn github_error(result: Result<Analysis, Error>) -> (GitHubError, String) {
    match result {
        Ok(a) => panic!("expected an error, got {:?}", ids(&a)),
        Err(Error::GitHub(e)) => {
            let text = e.to_string();
            assert!(!text.contains('\n'), "one line: {text}");
            (e, text)
        }
        Err(e) => panic!("expected a GitHub error, got {e:?}"),
    }
}

#[test]
fn failed_job_of_a_run_is_downloaded_through_the_redirect_and_named_by_the_api() {
    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.job_log(RELEASE_JOB, release_log());
    let a = gh.analyze(gh.settings(Some("ghp_mocktoken")), gh.target(JobPick::Failed)).unwrap();

    assert_eq!(ids(&a), file_ids());
    assert_eq!(ids(&a), ["provenance/repository-url-missing"]);
    let evidence = &a.report.diagnoses[0].evidence[0];
    assert_eq!((evidence.job.as_str(), evidence.step.as_str()), ("release", "Publish to npm"));
    assert!(evidence.text.contains("npm error 422"));
    assert_eq!(a.report.jobs.len(), 1, "only the failed job is read");
    assert_eq!(a.report.jobs[0].failed_step.as_deref(), Some("Publish to npm"));
    assert_eq!(a.run_url.as_deref(), Some(format!("https://github.com/{OWNER}/{REPO}/actions/runs/{RUN}").as_str()));
    assert_eq!(a.job_urls[0].0, "release");

    // Every page of jobs was read; the token went to the API and never to storage.
    let api = gh.requests();
    let pages: Vec<String> = api
        .iter()
        .filter(|r| r.url.path().ends_with("/jobs"))
        .map(|r| r.url.query().unwrap_or("").to_string())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[0].contains("per_page=100"));
    assert!(api.iter().all(|r| r.headers.get("authorization").is_some_and(|v| v == "Bearer ghp_mocktoken")));
    let storage = gh.storage_requests();
    assert_eq!(storage.len(), 1);
    assert!(storage[0].headers.get("authorization").is_none(), "the token must not follow the redirect");
}

#[test]
fn public_repositories_need_no_token() {
    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.job_log(RELEASE_JOB, release_log());
    let a = gh.analyze(gh.settings(None), gh.target(JobPick::Failed)).unwrap();
    assert_eq!(ids(&a), ["provenance/repository-url-missing"]);
    assert!(gh.requests().iter().all(|r| r.headers.get("authorization").is_none()));
}

#[test]
fn enterprise_server_base_path_is_kept_for_the_api_and_not_added_to_storage() {
    let gh = GitHub::with_prefix("/api/v3");
    failed_release_run(&gh);
    gh.job_log(RELEASE_JOB, release_log());
    let a = gh.analyze(gh.settings(Some("ghp_mocktoken")), gh.target(JobPick::Failed)).unwrap();
    assert_eq!(ids(&a), ["provenance/repository-url-missing"]);
    assert!(gh.requests().iter().all(|r| r.url.path().starts_with("/api/v3/repos/")));
}

#[test]
fn a_job_by_name_and_every_job() {
    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.job_log(RELEASE_JOB, release_log());
    gh.job_log(63_111_000_004, b"2026-02-20T11:02:00.0000000Z build ok\n".to_vec());
    for id in [63_111_000_001u64, 63_111_000_002, 63_111_000_003] {
        gh.job_log(id, format!("2026-02-20T11:02:00.0000000Z job {id} ok\n").into_bytes());
    }
    let a = gh.analyze(gh.settings(None), gh.target(JobPick::Named("BUILD".into()))).unwrap();
    assert_eq!(a.report.jobs.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(), ["build"]);
    assert!(a.report.diagnoses.is_empty());

    let a = gh.analyze(gh.settings(None), gh.target(JobPick::All)).unwrap();
    let names: Vec<&str> = a.report.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["lint", "test (ubuntu-latest, 20)", "test (ubuntu-latest, 22)", "build", "release"]);
    assert_eq!(ids(&a), ["provenance/repository-url-missing"]);

    let (error, text) = github_error(gh.analyze(gh.settings(None), gh.target(JobPick::Named("deploy".into()))));
    assert!(matches!(error, GitHubError::Usage(_)), "{error:?}");
    assert!(text.contains("`release`"), "{text}");
}

#[test]
fn a_job_url_reads_that_job_and_an_attempt_reads_its_own_jobs() {
    let gh = GitHub::new();
    gh.run(run_json("completed", Some("failure"), 2));
    gh.mount(
        Mock::given(method("GET"))
            .and(path(gh.route(&format!("/actions/runs/{RUN}/attempts/1"))))
            .respond_with(ok(run_json("completed", Some("failure"), 1))),
    );
    gh.mount(
        Mock::given(method("GET"))
            .and(path(gh.route(&format!("/actions/runs/{RUN}/attempts/1/jobs"))))
            .respond_with(ok(json!({ "total_count": 1, "jobs": [release_job()] }))),
    );
    gh.mount(
        Mock::given(method("GET"))
            .and(path(gh.route(&format!("/actions/jobs/{RELEASE_JOB}"))))
            .respond_with(ok(release_job())),
    );
    gh.job_log(RELEASE_JOB, release_log());

    let a = gh.analyze(gh.settings(None), gh.target(JobPick::Id(RELEASE_JOB))).unwrap();
    assert_eq!(ids(&a), ["provenance/repository-url-missing"]);

    let mut target = gh.target(JobPick::Failed);
    target.attempt = Some(1);
    let a = gh.analyze(gh.settings(None), target).unwrap();
    assert_eq!(ids(&a), ["provenance/repository-url-missing"]);
    assert!(a.run_url.unwrap().ends_with("/attempts/1"));
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The fixture cut into per-step files the way the archive stores them.
fn step_files() -> Vec<(String, Vec<u8>)> {
    let log = String::from_utf8(release_log()).unwrap();
    let names = [
        "1_Set up job.txt",
        "2_Run actions_checkout@v4.txt",
        "3_Setup Node.txt",
        "4_Install.txt",
        "5_Publish to npm.txt",
        "11_Post Run actions_checkout@v4.txt",
    ];
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut current = Vec::new();
    let mut i = 0;
    for line in log.split_inclusive('\n') {
        if (line.contains("##[group]Run ") || line.contains("Post job cleanup.")) && i + 1 < names.len() {
            files.push((format!("release/{}", names[i]), std::mem::take(&mut current)));
            i += 1;
        }
        current.extend_from_slice(line.as_bytes());
    }
    files.push((format!("release/{}", names[i]), current));
    files
}

#[test]
fn unavailable_job_logs_fall_back_to_the_run_archive_with_step_files() {
    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.job_log_fails(RELEASE_JOB, 404, "Not Found");
    let steps = step_files();
    let log = release_log();
    let mut entries: Vec<(&str, &[u8])> = vec![("0_lint.txt", b"ok\n"), ("4_release.txt", &log)];
    entries.extend(steps.iter().map(|(n, d)| (n.as_str(), d.as_slice())));
    gh.archive(&format!("/actions/runs/{RUN}/logs"), zip(&entries));

    let a = gh.analyze(gh.settings(Some("t")), gh.target(JobPick::Failed)).unwrap();
    assert_eq!(ids(&a), ["provenance/repository-url-missing"]);
    assert_eq!(a.report.jobs.len(), 1, "only the failed job of the archive is read");
    let e = &a.report.diagnoses[0].evidence[0];
    assert_eq!((e.job.as_str(), e.step.as_str()), ("release", "Publish to npm"));
}

#[test]
fn an_archive_without_step_files_is_cut_into_steps_from_the_whole_job_log() {
    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.job_log_fails(RELEASE_JOB, 410, "Gone");
    let log = release_log();
    gh.archive(&format!("/actions/runs/{RUN}/logs"), zip(&[("0_lint.txt", b"ok\n"), ("4_release.txt", &log)]));
    let a = gh.analyze(gh.settings(Some("t")), gh.target(JobPick::Failed)).unwrap();
    assert_eq!(ids(&a), ["provenance/repository-url-missing"]);
    assert_eq!(a.report.diagnoses[0].evidence[0].step, "Publish to npm");
    assert_eq!(a.report.jobs[0].failed_step.as_deref(), Some("Publish to npm"));
}

#[test]
fn a_malformed_or_oversized_archive_is_an_input_error() {
    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.job_log_fails(RELEASE_JOB, 404, "Not Found");
    gh.archive(&format!("/actions/runs/{RUN}/logs"), b"<html>not a zip</html>".to_vec());
    let (error, text) = github_error(gh.analyze(gh.settings(Some("t")), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::Log(_)), "{error:?}");
    assert!(text.contains("not a readable log archive"), "{text}");

    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.job_log(RELEASE_JOB, release_log());
    let mut settings = gh.settings(Some("t"));
    settings.max_download_bytes = 1000;
    let (error, text) = github_error(gh.analyze(settings, gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::Log(_)), "{error:?}");
    assert!(text.contains("cap"), "{text}");
}

#[test]
fn unauthorized_names_the_variable() {
    let gh = GitHub::new();
    gh.mount(Mock::given(method("GET")).respond_with(gh_error(401, "Bad credentials")));
    let (error, text) = github_error(gh.analyze(gh.settings(Some("ghp_revoked")), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::Unauthorized { .. }), "{error:?}");
    assert!(text.contains("GH_TOKEN") && text.contains("Bad credentials"), "{text}");
    assert!(!text.contains("ghp_revoked"));
}

#[test]
fn a_github_com_token_is_not_sent_to_another_host_and_the_message_says_what_to_set() {
    use clap::Parser;
    use npm_logdoc::cli::{AnalyzeArgs, Cli, Command, Env};
    let gh = GitHub::new();
    gh.mount(Mock::given(method("GET")).respond_with(gh_error(404, "Not Found")));
    // As the command line resolves a run URL on another host with GH_TOKEN set.
    let env = Env { gh_token: Some("ghp_githubcomonly".into()), ..Env::default() };
    let argv = ["npm-logdoc", "analyze", "https://ghe.corp/o/r/actions/runs/1"];
    let Command::Analyze(args) = Cli::try_parse_from(argv).unwrap().command else { unreachable!() };
    let args: AnalyzeArgs = args;
    let mut run = args.resolve_with(&env, &|| None).unwrap().runs.remove(0);
    assert!(run.settings.token.is_none());
    // The same settings, pointed at the mock.
    run.settings.api_url = gh.api_url();
    run.settings.retries = 0;
    let (error, text) = github_error(gh.analyze(run.settings, gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::NotFound { .. }), "{error:?}");
    assert!(text.contains("GH_ENTERPRISE_TOKEN") && text.contains("ghe.corp"), "{text}");
    let requests = gh.rt.block_on(gh.api.received_requests()).unwrap();
    assert!(!requests.is_empty());
    for r in requests {
        assert!(r.headers.get("authorization").is_none(), "a token was sent: {:?}", r.headers);
    }
}

#[test]
fn forbidden_names_the_missing_permission() {
    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.mount(
        Mock::given(method("GET")).and(path(gh.route(&format!("/actions/jobs/{RELEASE_JOB}/logs")))).respond_with(
            gh_error(403, "Resource not accessible by integration")
                .insert_header("x-accepted-github-permissions", "actions=read"),
        ),
    );
    let (error, text) = github_error(gh.analyze(gh.settings(Some("ghs_workflow")), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::Forbidden { .. }), "{error:?}");
    assert!(text.contains("`actions: read`") && text.contains("`repo` scope"), "{text}");

    // Without a token GitHub refuses log downloads even on public repositories.
    let (error, text) = github_error(gh.analyze(gh.settings(None), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::Forbidden { .. }), "{error:?}");
    assert!(text.contains("GH_TOKEN"), "{text}");
}

#[test]
fn not_found_tells_a_missing_run_from_a_missing_or_private_repository() {
    let gh = GitHub::new();
    gh.mount(Mock::given(method("GET")).and(path(gh.route(""))).respond_with(ok(json!({ "id": 1, "full_name": "x" }))));
    gh.mount(Mock::given(method("GET")).respond_with(gh_error(404, "Not Found")));
    let (error, text) = github_error(gh.analyze(gh.settings(None), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::NotFound { .. }), "{error:?}");
    assert!(text.contains(&format!("run {RUN} was not found in {OWNER}/{REPO}")), "{text}");

    let gh = GitHub::new();
    gh.mount(Mock::given(method("GET")).respond_with(gh_error(404, "Not Found")));
    let (error, text) = github_error(gh.analyze(gh.settings(None), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::NotFound { .. }), "{error:?}");
    assert!(text.contains("private") && text.contains("GH_TOKEN"), "{text}");
}

#[test]
fn expired_logs_say_so() {
    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.job_log_fails(RELEASE_JOB, 410, "Gone");
    gh.mount(
        Mock::given(method("GET"))
            .and(path(gh.route(&format!("/actions/runs/{RUN}/logs"))))
            .respond_with(gh_error(410, "Gone")),
    );
    let (error, text) = github_error(gh.analyze(gh.settings(Some("t")), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::Expired { .. }), "{error:?}");
    assert!(text.contains("expired") && text.contains("retention"), "{text}");
}

#[test]
fn an_exhausted_rate_limit_says_when_it_resets() {
    let gh = GitHub::new();
    gh.mount(
        Mock::given(method("GET")).respond_with(
            gh_error(403, "API rate limit exceeded for 203.0.113.7.")
                .insert_header("x-ratelimit-limit", "60")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "1900000000"),
        ),
    );
    let (error, text) = github_error(gh.analyze(gh.settings(None), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::RateLimited { .. }), "{error:?}");
    assert!(text.contains("2030-03-17 17:46:40 UTC") && text.contains("GH_TOKEN"), "{text}");
    assert_eq!(gh.requests().len(), 1, "a rate limit is not retried");
}

#[test]
fn server_errors_are_retried_with_backoff_then_succeed() {
    let gh = GitHub::new();
    gh.mount(
        Mock::given(method("GET"))
            .and(path(gh.route(&format!("/actions/runs/{RUN}"))))
            .respond_with(gh_error(502, "Server Error"))
            .up_to_n_times(2)
            .with_priority(1),
    );
    failed_release_run(&gh);
    // The first storage fetch fails too: the log is asked for again.
    gh.mount_storage(
        Mock::given(method("GET"))
            .and(path(format!("/results/job-{RELEASE_JOB}.txt")))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1),
    );
    gh.job_log(RELEASE_JOB, release_log());
    let a = gh.analyze(gh.settings(Some("t")), gh.target(JobPick::Failed)).unwrap();
    assert_eq!(ids(&a), ["provenance/repository-url-missing"]);
    let run_calls = gh.requests().iter().filter(|r| r.url.path().ends_with(&format!("/runs/{RUN}"))).count();
    assert_eq!(run_calls, 3);
    assert_eq!(gh.storage_requests().len(), 2);
}

#[test]
fn server_errors_that_persist_end_with_their_own_code() {
    let gh = GitHub::new();
    gh.mount(Mock::given(method("GET")).respond_with(gh_error(503, "Service Unavailable")));
    let (error, text) = github_error(gh.analyze(gh.settings(None), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::Api { .. }), "{error:?}");
    assert!(text.contains("503") && text.contains("3 tries"), "{text}");
    assert_eq!(gh.requests().len(), 3);
}

#[test]
fn network_failures_and_timeouts() {
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut settings = Settings::new(format!("http://127.0.0.1:{port}"), None);
    settings.backoff = Duration::from_millis(1);
    let target = Target {
        repo: Repo { owner: OWNER.into(), name: REPO.into() },
        run_id: RUN,
        attempt: None,
        jobs: JobPick::Failed,
    };
    let rules = RuleSet::builtin().unwrap();
    let result = npm_logdoc::analyze(
        &[],
        &[RunSource { settings, target: target.clone() }],
        &NoProgress,
        &rules,
        &ArchiveLimits::default(),
    );
    let (error, text) = github_error(result);
    assert!(matches!(error, GitHubError::Network { .. }), "{error:?}");
    assert!(text.contains(&format!("cannot reach 127.0.0.1:{port}")), "{text}");

    // An answer that never comes.
    let gh = GitHub::new();
    gh.mount(Mock::given(method("GET")).respond_with(ok(json!({})).set_delay(Duration::from_secs(3))));
    let mut settings = gh.settings(None);
    settings.read_timeout = Duration::from_millis(200);
    settings.retries = 0;
    let (error, text) = github_error(gh.analyze(settings, gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::Network { .. }), "{error:?}");
    assert!(text.contains("timed out"), "{text}");
}

#[test]
fn a_run_in_progress_or_without_failures_gets_a_sentence() {
    let gh = GitHub::new();
    gh.run(run_json("in_progress", None, 1));
    let mut running = release_job();
    running["status"] = json!("in_progress");
    running["conclusion"] = Value::Null;
    gh.jobs_in_pages(&[green_job(1, "lint"), green_job(2, "test"), running]);
    let (error, text) = github_error(gh.analyze(gh.settings(None), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::InProgress { .. }), "{error:?}");
    assert!(text.contains("still in progress"), "{text}");
    let (error, _) = github_error(gh.analyze(gh.settings(None), gh.target(JobPick::Named("release".into()))));
    assert!(matches!(error, GitHubError::InProgress { .. }), "{error:?}");

    let gh = GitHub::new();
    gh.run(run_json("completed", Some("success"), 1));
    gh.jobs_in_pages(&[green_job(1, "lint"), green_job(2, "test"), green_job(3, "release")]);
    let (error, text) = github_error(gh.analyze(gh.settings(None), gh.target(JobPick::Failed)));
    assert!(matches!(error, GitHubError::NothingFailed(_)), "{error:?}");
    assert!(text.contains("`success`") && text.contains("--all-jobs"), "{text}");
}

fn cli(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("GIT_CEILING_DIRECTORIES", cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json_ids(out: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)));
    v["diagnoses"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn cli_end_to_end_gives_the_diagnosis_of_the_downloaded_log() {
    let gh = GitHub::new();
    failed_release_run(&gh);
    gh.job_log(RELEASE_JOB, release_log());
    let dir = tempfile::tempdir().unwrap();
    let run = RUN.to_string();
    let api = gh.api_url();
    let out =
        cli(&["analyze", &run, "-R", &format!("{OWNER}/{REPO}"), "--api-url", &api, "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "nothing on stderr off a terminal: {}", String::from_utf8_lossy(&out.stderr));
    let from_file = cli(&["analyze", fixture("release-e422.log").to_str().unwrap(), "--format", "json"], dir.path());
    assert_eq!(json_ids(&out.stdout), json_ids(&from_file.stdout));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let evidence = &v["diagnoses"][0]["evidence"][0];
    assert_eq!(evidence["job"], "release");
    assert_eq!(evidence["step"], "Publish to npm");
    assert_eq!(v["jobs"][0]["failed_step"], "Publish to npm");
    assert_eq!(
        v["jobs"][0]["source"],
        format!("https://github.com/{OWNER}/{REPO}/actions/runs/{RUN}/job/{RELEASE_JOB}")
    );

    // The run's URL, with the API given explicitly, reaches the same run.
    let url = format!("https://github.com/{OWNER}/{REPO}/actions/runs/{RUN}");
    let out = cli(&["analyze", &url, "--api-url", &api, "--format", "markdown"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&url));
}

#[test]
fn cli_errors_are_one_line_with_their_exit_code() {
    let gh = GitHub::new();
    gh.mount(
        Mock::given(method("GET"))
            .and(header("authorization", "Bearer ghp_revoked"))
            .respond_with(gh_error(401, "Bad credentials")),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["analyze", "42", "-R", "o/r", "--api-url", &gh.api_url()])
        .current_dir(dir.path())
        .env("GH_TOKEN", "ghp_revoked")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_API_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(12), "the exit code of a refused token");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("npm-logdoc: error: GitHub rejected the token in GH_TOKEN"), "{err}");
    assert!(out.stdout.is_empty());

    // No repository for a bare run id outside a clone.
    let out = cli(&["analyze", "42"], dir.path());
    assert_eq!(out.status.code(), Some(2), "the exit code of a wrong command line");
    assert!(String::from_utf8_lossy(&out.stderr).contains("-R OWNER/REPO"));
}

#[test]
fn cli_reads_an_existing_file_named_like_a_run_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("123"), release_log()).unwrap();
    // No API is reachable at this address: a run would fail with a network error.
    let out = cli(&["analyze", "123", "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_ids(&out.stdout), ["provenance/repository-url-missing"]);
}

#[test]
fn job_and_step_names_from_github_cannot_drive_the_terminal() {
    let gh = GitHub::new();
    gh.run(run_json("completed", Some("failure"), 1));
    let hostile = job_json(
        RELEASE_JOB,
        "rel\u{1b}]0;window title\u{7}ease\u{1b}[2J\u{9b}2J",
        "completed",
        Some("failure"),
        vec![
            step(1, "Set up job", "success", "02:10", "02:14"),
            step(2, "Run actions/checkout@v4", "success", "02:14", "02:16"),
            step(3, "Setup Node", "success", "02:16", "02:19"),
            step(4, "Install", "success", "02:19", "02:23"),
            step(5, "Publish\u{1b}]52;c;cHduZWQ=\u{7} to npm\r::error::forged", "failure", "02:24", "02:28"),
            step(12, "Complete job", "success", "02:31", "02:31"),
        ],
    );
    gh.jobs_in_pages(&[hostile]);
    gh.job_log(RELEASE_JOB, release_log());
    let dir = tempfile::tempdir().unwrap();
    let api = gh.api_url();
    for format in ["table", "markdown", "json"] {
        let out = cli(
            &["analyze", &RUN.to_string(), "-R", &format!("{OWNER}/{REPO}"), "--api-url", &api, "--format", format],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains("Publish") && stdout.contains("rel"), "{format}: the names are shown:\n{stdout}");
        for c in stdout.chars().chain(String::from_utf8_lossy(&out.stderr).chars()) {
            assert!(!c.is_control() || c == '\n' || c == '\t', "{format}: control {c:?} in:\n{stdout}");
        }
        for line in stdout.lines() {
            assert!(!line.trim_start().starts_with("::"), "{format}: {line}");
        }
    }
}

/// Every GitHub failure as the user sees it from the binary: the exit code and
/// the one line on standard error (reviewed snapshots under `tests/snapshots/`).
#[test]
fn every_github_failure_as_the_user_sees_it() {
    type Setup = fn(&GitHub);
    let cases: &[(&str, Option<&str>, Setup)] = &[
        ("unauthorized", Some("ghp_revoked"), |gh| {
            gh.mount(Mock::given(method("GET")).respond_with(gh_error(401, "Bad credentials")));
        }),
        ("forbidden", Some("ghs_workflow"), |gh| {
            failed_release_run(gh);
            gh.mount(
                Mock::given(method("GET"))
                    .and(path(gh.route(&format!("/actions/jobs/{RELEASE_JOB}/logs"))))
                    .respond_with(
                        gh_error(403, "Resource not accessible by integration")
                            .insert_header("x-accepted-github-permissions", "actions=read"),
                    ),
            );
        }),
        ("forbidden_without_a_token", None, |gh| {
            failed_release_run(gh);
            gh.job_log_fails(RELEASE_JOB, 403, "Must have admin rights to Repository.");
        }),
        ("run_not_found", None, |gh| {
            gh.mount(
                Mock::given(method("GET"))
                    .and(path(gh.route("")))
                    .respond_with(ok(json!({ "id": 1, "full_name": "x" }))),
            );
            gh.mount(Mock::given(method("GET")).respond_with(gh_error(404, "Not Found")));
        }),
        ("repository_not_found", None, |gh| {
            gh.mount(Mock::given(method("GET")).respond_with(gh_error(404, "Not Found")));
        }),
        ("expired", Some("t"), |gh| {
            failed_release_run(gh);
            gh.job_log_fails(RELEASE_JOB, 410, "Gone");
            gh.mount(
                Mock::given(method("GET"))
                    .and(path(gh.route(&format!("/actions/runs/{RUN}/logs"))))
                    .respond_with(gh_error(410, "Gone")),
            );
        }),
        ("rate_limited", None, |gh| {
            gh.mount(
                Mock::given(method("GET"))
                    .respond_with(gh_error(429, "API rate limit exceeded").insert_header("retry-after", "60")),
            );
        }),
        ("server_errors", None, |gh| {
            gh.mount(Mock::given(method("GET")).respond_with(gh_error(503, "Service Unavailable")));
        }),
        ("in_progress", None, |gh| {
            gh.run(run_json("in_progress", None, 1));
            let mut running = release_job();
            running["status"] = json!("in_progress");
            running["conclusion"] = Value::Null;
            gh.jobs_in_pages(&[green_job(1, "lint"), running]);
        }),
        ("nothing_failed", None, |gh| {
            gh.run(run_json("completed", Some("success"), 1));
            gh.jobs_in_pages(&[green_job(1, "lint"), green_job(3, "release")]);
        }),
        ("malformed_archive", Some("t"), |gh| {
            failed_release_run(gh);
            gh.job_log_fails(RELEASE_JOB, 404, "Not Found");
            gh.archive(&format!("/actions/runs/{RUN}/logs"), b"<html>not a zip</html>".to_vec());
        }),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, token, setup) in cases {
        let gh = GitHub::new();
        setup(&gh);
        let api = gh.api_url();
        let mut cmd = Command::new(BIN);
        cmd.args(["analyze", &RUN.to_string(), "-R", &format!("{OWNER}/{REPO}"), "--api-url", &api])
            .current_dir(dir.path())
            .env_remove("GH_TOKEN")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GITHUB_API_URL")
            .stdin(Stdio::null());
        if let Some(t) = token {
            cmd.env("GH_TOKEN", t);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).replace(&api, "[API]");
        let shown = format!("exit: {:?}\n{stderr}", out.status.code());
        assert!(out.stdout.is_empty(), "{name}: {}", String::from_utf8_lossy(&out.stdout));
        insta::assert_snapshot!(format!("github_failure__{name}"), shown);
    }

    // Nothing listens: the network failure, after its retries.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let api = format!("http://127.0.0.1:{port}");
    let out = Command::new(BIN)
        .args(["analyze", "1", "-R", "o/r", "--api-url", &api])
        .current_dir(dir.path())
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&port.to_string(), "[PORT]");
    insta::assert_snapshot!("github_failure__network", format!("exit: {:?}\n{stderr}", out.status.code()));
}
