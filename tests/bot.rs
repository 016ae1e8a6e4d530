//! The comment bot against a fake GitHub on 127.0.0.1 (wiremock, started here),
//! driven through the project's real octocrab client: runs, jobs and logs as the
//! GitHub source reads them, and a small stateful store of comments and issues
//! behind the comment endpoints, paged with `Link` headers as GitHub pages them.
//! Also the markdown body under hostile log text, and `--format github` with its
//! step summary. Nothing here touches the network beyond 127.0.0.1 or changes
//! the environment: base URL and token are passed in, and the binary runs with a
//! cleaned environment (`Command::env` only touches the child).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

use npm_logdoc::RuleSet;
use npm_logdoc::bot::{self, BotConfig, BotError, Done, Marker, Mode, Outcome, State};
use npm_logdoc::source::ArchiveLimits;
use npm_logdoc::source::github::{GitHubError, JobPick, Repo, RunSource, Settings, Target, Token};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The exit codes of the binary this file checks (the README's table).
mod exit {
    pub const USAGE: i32 = 2;
    pub const FORBIDDEN: i32 = 13;
}

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");
const OWNER: &str = "orrery-dev";
const REPO: &str = "lintel";
const SHA: &str = "3f1c2d9e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";
const TAG_SHA: &str = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b";
const PR: u64 = 7;

fn corpus(rel: &str) -> (String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let log = std::fs::read_to_string(root.join(format!("{rel}.log"))).unwrap();
    let expect: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join(format!("{rel}.toml"))).unwrap()).unwrap();
    let id = expect["expect"][0].as_str().unwrap().to_string();
    (log, id)
}

/// A failed publish: `provenance/repository-url-missing`.
fn e422() -> (String, String) {
    corpus("provenance/repository-url-missing-oidc")
}

/// Another cause: `install/lockfile-out-of-sync`.
fn lockfile() -> (String, String) {
    corpus("install/lockfile-out-of-sync-npm-ci")
}

/// The comments and issues GitHub holds, as far as the bot can see them.
#[derive(Default)]
struct Store {
    base: String,
    next_id: u64,
    /// `issue/N` (comments of a pull request or issue) or `commit/SHA`.
    threads: BTreeMap<String, Vec<Value>>,
    issues: Vec<Value>,
    /// Items per page of every listing.
    page_size: usize,
    /// `GET /user` answers this login; `None`: 403, as for an Actions token.
    login: Option<String>,
    /// GraphQL's `viewer` is refused too (else it answers the author's login).
    viewer_refused: bool,
    /// Open pull requests headed by a commit.
    commit_pulls: BTreeMap<String, Vec<Value>>,
    forbid_writes: bool,
}

impl Store {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn author(&self) -> Value {
        match &self.login {
            Some(l) => json!({ "login": l, "type": "User" }),
            None => json!({ "login": "github-actions[bot]", "type": "Bot" }),
        }
    }

    fn page(&self, request: &Request, items: Vec<Value>) -> ResponseTemplate {
        let page: usize =
            request.url.query_pairs().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()).unwrap_or(1);
        let size = self.page_size.max(1);
        let pages = items.len().div_ceil(size).max(1);
        let chunk: Vec<Value> = items.into_iter().skip((page - 1) * size).take(size).collect();
        let mut response = ResponseTemplate::new(200).set_body_json(Value::Array(chunk));
        if page < pages {
            let mut next = request.url.clone();
            let query: Vec<(String, String)> = next
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            next.query_pairs_mut().clear().extend_pairs(query).append_pair("page", &(page + 1).to_string());
            let link = format!("<{}{}?{}>; rel=\"next\"", self.base, next.path(), next.query().unwrap_or(""));
            response = response.insert_header("link", link.as_str());
        }
        response
    }

    fn comment(&mut self, thread: &str, body: &str) -> Value {
        let id = self.id() + 1_000_000;
        let url = format!("https://github.com/{OWNER}/{REPO}/{thread}#comment-{id}");
        json!({ "id": id, "body": body, "user": self.author(), "html_url": url })
    }

    fn find_comment(&mut self, prefix: &str, id: u64) -> Option<&mut Value> {
        self.threads
            .iter_mut()
            .filter(|(k, _)| k.starts_with(prefix))
            .flat_map(|(_, v)| v.iter_mut())
            .find(|c| c["id"].as_u64() == Some(id))
    }
}

fn forbidden() -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(json!({
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
        "status": "403"
    }))
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({ "message": "Not Found" }))
}

/// The comment endpoints, backed by `store`.
fn route(store: &Mutex<Store>, request: &Request) -> ResponseTemplate {
    let mut s = store.lock().unwrap();
    let prefix = format!("/repos/{OWNER}/{REPO}");
    let p = request.url.path().to_string();
    let m = request.method.as_str().to_string();
    if p == "/graphql" {
        return if s.viewer_refused {
            forbidden()
        } else {
            ResponseTemplate::new(200).set_body_json(json!({ "data": { "viewer": { "login": s.author()["login"] } } }))
        };
    }
    if p == "/user" {
        return match &s.login {
            Some(l) => ResponseTemplate::new(200).set_body_json(json!({ "login": l, "type": "User" })),
            None => forbidden(),
        };
    }
    let Some(rest) = p.strip_prefix(&prefix) else { return not_found() };
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    if m != "GET" && s.forbid_writes {
        return forbidden();
    }
    match (m.as_str(), parts.as_slice()) {
        ("GET", ["commits", sha, "pulls"]) => {
            ResponseTemplate::new(200).set_body_json(s.commit_pulls.get(*sha).cloned().unwrap_or_default())
        }
        ("GET", ["issues", n, "comments"]) => {
            let items = s.threads.get(&format!("issue/{n}")).cloned().unwrap_or_default();
            s.page(request, items)
        }
        ("POST", ["issues", n, "comments"]) => {
            let thread = format!("issue/{n}");
            let c = s.comment(&thread, body["body"].as_str().unwrap());
            s.threads.entry(thread).or_default().push(c.clone());
            ResponseTemplate::new(201).set_body_json(c)
        }
        ("PATCH", ["issues", "comments", id]) => match s.find_comment("issue/", id.parse().unwrap()) {
            Some(c) => {
                c["body"] = body["body"].clone();
                ResponseTemplate::new(200).set_body_json(c.clone())
            }
            None => not_found(),
        },
        ("GET", ["commits", sha, "comments"]) => {
            let items = s.threads.get(&format!("commit/{sha}")).cloned().unwrap_or_default();
            s.page(request, items)
        }
        ("POST", ["commits", sha, "comments"]) => {
            let thread = format!("commit/{sha}");
            let c = s.comment(&thread, body["body"].as_str().unwrap());
            s.threads.entry(thread).or_default().push(c.clone());
            ResponseTemplate::new(201).set_body_json(c)
        }
        ("GET", ["comments"]) => {
            let items: Vec<Value> =
                s.threads.iter().filter(|(k, _)| k.starts_with("commit/")).flat_map(|(_, v)| v.clone()).collect();
            s.page(request, items)
        }
        ("PATCH", ["comments", id]) => match s.find_comment("commit/", id.parse().unwrap()) {
            Some(c) => {
                c["body"] = body["body"].clone();
                ResponseTemplate::new(200).set_body_json(c.clone())
            }
            None => not_found(),
        },
        ("GET", ["issues"]) => {
            let items: Vec<Value> = s.issues.iter().filter(|i| i["state"] == "open").cloned().collect();
            s.page(request, items)
        }
        ("POST", ["issues"]) => {
            let number = s.id() + 100;
            let issue = json!({
                "number": number,
                "title": body["title"],
                "body": body["body"],
                "state": "open",
                "user": s.author(),
                "html_url": format!("https://github.com/{OWNER}/{REPO}/issues/{number}"),
            });
            s.issues.push(issue.clone());
            ResponseTemplate::new(201).set_body_json(issue)
        }
        ("PATCH", ["issues", n]) => {
            let n: u64 = n.parse().unwrap();
            match s.issues.iter_mut().find(|i| i["number"].as_u64() == Some(n)) {
                Some(issue) => {
                    for key in ["body", "state", "state_reason", "title"] {
                        if !body[key].is_null() {
                            issue[key] = body[key].clone();
                        }
                    }
                    ResponseTemplate::new(200).set_body_json(issue.clone())
                }
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

/// A fake GitHub: the API (runs, jobs, logs, comments) and log storage.
struct Fake {
    rt: tokio::runtime::Runtime,
    api: MockServer,
    storage: MockServer,
    store: Arc<Mutex<Store>>,
}

/// A job of a run: id, name, log.
struct JobSpec<'a> {
    id: u64,
    name: &'a str,
    log: &'a str,
}

impl Fake {
    fn new() -> Fake {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let api = rt.block_on(MockServer::start());
        let storage = rt.block_on(MockServer::start());
        let store = Arc::new(Mutex::new(Store { base: api.uri(), page_size: 100, ..Store::default() }));
        let shared = Arc::clone(&store);
        rt.block_on(
            Mock::given(path_regex(r"^/(user$|graphql$|repos/[^/]+/[^/]+/(issues|commits|comments))"))
                .respond_with(move |r: &Request| route(&shared, r))
                .mount(&api),
        );
        Fake { rt, api, storage, store }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.store.lock().unwrap())
    }

    fn settings(&self) -> Settings {
        let mut s = Settings::new(self.api.uri(), Some(Token::new("ghs_faketokenfortests", "GITHUB_TOKEN")));
        s.backoff = Duration::from_millis(5);
        s.retries = 1;
        s.connect_timeout = Duration::from_secs(5);
        s.read_timeout = Duration::from_secs(10);
        s
    }

    fn route(rest: &str) -> String {
        format!("/repos/{OWNER}/{REPO}{rest}")
    }

    /// A completed run of the release workflow: `conclusion`, its pull requests,
    /// its commit, and its jobs with their logs.
    fn run(&self, id: u64, conclusion: &str, prs: &[u64], sha: &str, jobs: &[JobSpec<'_>]) {
        self.run_named(id, conclusion, prs, sha, jobs, ("Release", "Publish"));
    }

    /// [`Fake::run`] with the workflow's and the failing step's names.
    fn run_named(
        &self,
        id: u64,
        conclusion: &str,
        prs: &[u64],
        sha: &str,
        jobs: &[JobSpec<'_>],
        (workflow, step): (&str, &str),
    ) {
        let run = json!({
            "id": id,
            "name": workflow,
            "path": ".github/workflows/release.yml",
            "head_sha": sha,
            "head_branch": "main",
            "event": if prs.is_empty() { "push" } else { "pull_request" },
            "status": "completed",
            "conclusion": conclusion,
            "run_attempt": 1,
            "html_url": format!("https://github.com/{OWNER}/{REPO}/actions/runs/{id}"),
            "pull_requests": prs.iter().map(|n| json!({ "number": n, "id": n * 11 })).collect::<Vec<_>>(),
        });
        let jobs_json: Vec<Value> = jobs
            .iter()
            .map(|j| {
                json!({
                    "id": j.id,
                    "run_id": id,
                    "run_attempt": 1,
                    "name": j.name,
                    "status": "completed",
                    "conclusion": conclusion,
                    "html_url": format!("https://github.com/{OWNER}/{REPO}/actions/runs/{id}/job/{}", j.id),
                    "steps": [
                        { "name": "Set up job", "number": 1, "status": "completed", "conclusion": "success" },
                        { "name": step, "number": 2, "status": "completed", "conclusion": conclusion },
                    ],
                    "labels": ["ubuntu-latest"],
                })
            })
            .collect();
        let mount = |mock: Mock| self.rt.block_on(mock.mount(&self.api));
        mount(
            Mock::given(method("GET"))
                .and(path(Fake::route(&format!("/actions/runs/{id}"))))
                .respond_with(ResponseTemplate::new(200).set_body_json(run)),
        );
        mount(Mock::given(method("GET")).and(path(Fake::route(&format!("/actions/runs/{id}/jobs")))).respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "total_count": jobs.len(), "jobs": jobs_json })),
        ));
        for j in jobs {
            let storage_path = format!("/logs/job-{}.txt", j.id);
            let location = format!("{}{storage_path}?sig=short-lived", self.storage.uri());
            mount(
                Mock::given(method("GET"))
                    .and(path(Fake::route(&format!("/actions/jobs/{}/logs", j.id))))
                    .respond_with(ResponseTemplate::new(302).insert_header("location", location.as_str())),
            );
            self.rt.block_on(
                Mock::given(method("GET"))
                    .and(path(storage_path))
                    .respond_with(ResponseTemplate::new(200).set_body_raw(j.log.as_bytes().to_vec(), "text/plain"))
                    .mount(&self.storage),
            );
        }
    }

    /// A file of the repository at `sha`, as the contents API gives it.
    fn file(&self, file: &str, sha: &str, text: &str) {
        use base64::Engine as _;
        // GitHub wraps the base64 at 60 characters.
        let packed = base64::engine::general_purpose::STANDARD.encode(text);
        let wrapped: Vec<String> =
            packed.as_bytes().chunks(60).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        self.rt.block_on(
            Mock::given(method("GET"))
                .and(path(Fake::route(&format!("/contents/{file}"))))
                .and(wiremock::matchers::query_param("ref", sha))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "type": "file",
                    "encoding": "base64",
                    "path": file,
                    "content": wrapped.join("\n"),
                })))
                .mount(&self.api),
        );
    }

    fn failed(&self, id: u64, prs: &[u64], log: &str) {
        self.run(id, "failure", prs, SHA, &[JobSpec { id: id * 10, name: "release", log }]);
    }

    fn succeeded(&self, id: u64, prs: &[u64], sha: &str) {
        self.run(id, "success", prs, sha, &[]);
    }

    fn config(&self, run_id: u64, mode: Mode, dry_run: bool) -> BotConfig {
        BotConfig {
            run: RunSource {
                settings: self.settings(),
                target: Target {
                    repo: Repo { owner: OWNER.into(), name: REPO.into() },
                    run_id,
                    attempt: None,
                    jobs: JobPick::Failed,
                },
            },
            mode,
            dry_run,
        }
    }

    // The bot's own error, as the binary gets it, so a test can match its variant.
    #[allow(clippy::result_large_err)]
    fn comment(&self, run_id: u64, mode: Mode) -> Result<Outcome, BotError> {
        self.comment_with(self.config(run_id, mode, false))
    }

    #[allow(clippy::result_large_err)]
    fn comment_with(&self, config: BotConfig) -> Result<Outcome, BotError> {
        let rules = RuleSet::builtin().unwrap();
        bot::comment(&config, &rules, &ArchiveLimits::default())
    }

    /// Writes (POST, PATCH) received so far: `(method, path)`. A GraphQL query
    /// (`viewer`) is a POST that writes nothing.
    fn writes(&self) -> Vec<(String, String)> {
        let requests = self.rt.block_on(self.api.received_requests()).unwrap_or_default();
        requests
            .iter()
            .filter(|r| r.method.as_str() != "GET" && r.url.path() != "/graphql")
            .map(|r| (r.method.to_string(), r.url.path().to_string()))
            .collect()
    }

    fn gets(&self) -> Vec<String> {
        let requests = self.rt.block_on(self.api.received_requests()).unwrap_or_default();
        requests
            .iter()
            .filter(|r| r.method.as_str() == "GET")
            .map(|r| format!("{}?{}", r.url.path(), r.url.query().unwrap_or("")))
            .collect()
    }

    fn thread(&self, key: &str) -> Vec<Value> {
        self.with(|s| s.threads.get(key).cloned().unwrap_or_default())
    }
}

fn body_of(v: &Value) -> String {
    v["body"].as_str().unwrap_or_default().to_string()
}

fn only(outcome: &Outcome) -> &Done {
    assert_eq!(outcome.posted.len(), 1, "{outcome:?}");
    &outcome.posted[0].done
}

#[test]
fn first_failure_creates_one_comment_and_the_same_run_again_writes_nothing() {
    let gh = Fake::new();
    let (log, id) = e422();
    gh.failed(101, &[PR], &log);

    let out = gh.comment(101, Mode::Auto).unwrap();
    assert_eq!(*only(&out), Done::Created);
    assert_eq!(gh.writes(), vec![("POST".to_string(), Fake::route(&format!("/issues/{PR}/comments")))]);
    let posted = gh.thread(&format!("issue/{PR}"));
    assert_eq!(posted.len(), 1);
    let body = body_of(&posted[0]);
    let marker = Marker::parse(&body).expect("the first line is the marker");
    assert_eq!((marker.workflow.as_str(), marker.state), (".github/workflows/release.yml", State::Failing));
    // What the comment shows: cause, numbered fixes, collapsed evidence, links, version.
    assert!(body.lines().skip(1).find(|l| !l.is_empty()).unwrap().starts_with("## npm-logdoc: "), "{body}");
    assert!(body.contains(&format!("`{id}`")), "{body}");
    assert!(body.contains("**Fix, in this order:**\n\n1. **"), "{body}");
    assert!(body.contains("<details><summary>Evidence ("), "{body}");
    assert!(body.contains(&format!("Run: <https://github.com/{OWNER}/{REPO}/actions/runs/101>")), "{body}");
    assert!(
        body.contains(&format!("[release](https://github.com/{OWNER}/{REPO}/actions/runs/101/job/1010)")),
        "{body}"
    );
    assert!(body.contains(&format!("npm-logdoc {}", env!("CARGO_PKG_VERSION"))), "{body}");
    assert!(out.render().contains(&format!("pull request #{PR}: created a comment: https://github.com/")));

    // The bot runs again for the same run (a re-run of the bot's workflow): no write.
    let out = gh.comment(101, Mode::Auto).unwrap();
    assert_eq!(*only(&out), Done::Unchanged);
    assert_eq!(gh.writes().len(), 1);
    assert_eq!(gh.thread(&format!("issue/{PR}")).len(), 1);
}

/// The release workflow at the run's commit: trusted publishing, so provenance is on.
const RELEASE_YML: &str = "name: Release\non:\n  push:\n    tags: ['v*']\npermissions:\n  contents: read\n  id-token: write\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v5\n      - uses: actions/setup-node@v5\n        with:\n          node-version: '24'\n          registry-url: 'https://registry.npmjs.org'\n      - run: npm ci\n      - run: npm publish\n";

#[test]
fn the_comment_shows_the_patch_check_fix_writes_for_the_diagnosed_cause() {
    let gh = Fake::new();
    let (log, id) = e422();
    assert_eq!(id, "provenance/repository-url-missing");
    gh.failed(101, &[PR], &log);
    gh.file(".github/workflows/release.yml", SHA, RELEASE_YML);
    gh.file("package.json", SHA, "{\n  \"name\": \"@orrery/lintel\",\n  \"version\": \"1.0.0\",\n  \"publishConfig\": {\"access\": \"public\"}\n}\n");
    gh.comment(101, Mode::Auto).unwrap();
    let body = body_of(&gh.thread(&format!("issue/{PR}"))[0]);
    let section = body.find("### The patch").unwrap_or_else(|| panic!("{body}"));
    assert!(section < body.find("<sub>npm-logdoc ").unwrap(), "the patch comes before the footer: {body}");
    let patch = &body[section..];
    assert!(patch.contains("```diff\n--- a/package.json\n+++ b/package.json\n"), "{patch}");
    assert!(patch.contains(&format!("+    \"url\": \"git+https://github.com/{OWNER}/{REPO}.git\"")), "{patch}");
    assert!(patch.contains("3f1c2d9"), "names the commit: {patch}");
    // Only the diagnosed cause: the workflow needs no edit for it.
    assert!(!patch.contains("release.yml\n+++"), "{patch}");
    assert!(gh.gets().iter().any(|g| g == &format!("{}?ref={SHA}", Fake::route("/contents/package.json"))));

    // Where GitHub will not give the files (no `contents: read`), the comment has no patch.
    let gh = Fake::new();
    gh.failed(102, &[PR], &log);
    gh.comment(102, Mode::Auto).unwrap();
    let body = body_of(&gh.thread(&format!("issue/{PR}"))[0]);
    assert!(body.contains(&format!("`{id}`")) && !body.contains("### The patch"), "{body}");
}

#[test]
fn a_later_run_failing_the_same_way_writes_nothing_and_a_different_cause_edits_in_place() {
    let gh = Fake::new();
    let (log, _) = e422();
    let (other, other_id) = lockfile();
    gh.failed(101, &[PR], &log);
    gh.failed(102, &[PR], &log);
    gh.failed(103, &[PR], &other);

    gh.comment(101, Mode::Auto).unwrap();
    let first = gh.thread(&format!("issue/{PR}"))[0].clone();
    assert_eq!(*only(&gh.comment(102, Mode::Auto).unwrap()), Done::Unchanged);
    assert_eq!(gh.writes().len(), 1, "same diagnosis in a new run: nothing written");

    assert_eq!(*only(&gh.comment(103, Mode::Auto).unwrap()), Done::Updated);
    let writes = gh.writes();
    assert_eq!(writes.len(), 2);
    assert_eq!(writes[1], ("PATCH".to_string(), Fake::route(&format!("/issues/comments/{}", first["id"]))));
    let thread = gh.thread(&format!("issue/{PR}"));
    assert_eq!(thread.len(), 1, "edited in place, never a second comment");
    let body = body_of(&thread[0]);
    assert!(body.contains(&format!("`{other_id}`")), "{body}");
    assert!(body.contains("actions/runs/103"), "{body}");
}

#[test]
fn a_successful_run_marks_the_comment_resolved_once() {
    let gh = Fake::new();
    let (log, _) = e422();
    gh.failed(101, &[PR], &log);
    gh.succeeded(104, &[PR], SHA);

    gh.comment(101, Mode::Auto).unwrap();
    let out = gh.comment(104, Mode::Auto).unwrap();
    assert_eq!(*only(&out), Done::Resolved);
    let body = body_of(&gh.thread(&format!("issue/{PR}"))[0]);
    assert_eq!(Marker::parse(&body).unwrap().state, State::Resolved);
    assert!(body.contains("## npm-logdoc: resolved"), "{body}");
    assert!(body.contains("A later run of **Release** (<code>release.yml</code>) succeeded"), "{body}");
    assert!(body.contains("actions/runs/104"), "{body}");
    assert!(body.contains(&format!("This comment reported: ~~`{}`~~", e422().1)), "{body}");
    assert_eq!(gh.writes().len(), 2);

    // Another success: already resolved, nothing written.
    assert_eq!(*only(&gh.comment(104, Mode::Auto).unwrap()), Done::NothingToResolve);
    assert_eq!(gh.writes().len(), 2);

    // Failing again re-opens the same comment.
    assert_eq!(*only(&gh.comment(101, Mode::Auto).unwrap()), Done::Updated);
    assert_eq!(gh.thread(&format!("issue/{PR}")).len(), 1);
}

#[test]
fn the_comment_is_found_across_pages_and_only_its_own_author_counts() {
    let gh = Fake::new();
    let (log, _) = e422();
    let (other, _) = lockfile();
    gh.failed(101, &[PR], &log);
    gh.failed(103, &[PR], &other);
    gh.comment(101, Mode::Auto).unwrap();
    let ours = gh.thread(&format!("issue/{PR}"))[0].clone();
    let marker_line = body_of(&ours).lines().next().unwrap().to_string();
    // Bury it: comments before and after, a person's copy of the marker, another
    // workflow's bot comment; two per page.
    gh.with(|s| {
        s.page_size = 2;
        let thread = s.threads.get_mut(&format!("issue/{PR}")).unwrap();
        let person = |id: u64, body: &str| {
            json!({ "id": id, "body": body, "user": { "login": "mallory", "type": "User" }, "html_url": "x" })
        };
        let mut all = vec![
            person(1, "LGTM"),
            person(2, &format!("{marker_line}\nI copied the marker")),
            person(3, "@octocat please look"),
            json!({ "id": 4, "body": "<!-- npm-logdoc:v1 workflow=.github/workflows/ci.yml state=failing fp=00 -->\nci",
                    "user": { "login": "github-actions[bot]", "type": "Bot" }, "html_url": "x" }),
            person(5, "more"),
        ];
        all.push(thread.remove(0));
        all.push(person(6, "after"));
        *thread = all;
    });
    let out = gh.comment(103, Mode::Auto).unwrap();
    assert_eq!(*only(&out), Done::Updated);
    let pages: Vec<String> =
        gh.gets().into_iter().filter(|g| g.starts_with(&Fake::route(&format!("/issues/{PR}/comments")))).collect();
    assert!(pages.iter().any(|g| g.contains("page=3")), "{pages:?}");
    let writes = gh.writes();
    assert_eq!(writes.last().unwrap().1, Fake::route(&format!("/issues/comments/{}", ours["id"])));
    let thread = gh.thread(&format!("issue/{PR}"));
    assert_eq!(thread.len(), 7);
    assert!(body_of(&thread[1]).ends_with("I copied the marker"), "a person's comment is never edited");
    assert!(body_of(&thread[3]).ends_with("\nci"), "another workflow's comment is left alone");
}

/// Another bot's comment that carries our marker, as a copy would.
fn other_bots_copy(gh: &Fake, marker_line: &str) {
    gh.with(|s| {
        let thread = s.threads.get_mut(&format!("issue/{PR}")).unwrap();
        thread.insert(
            0,
            json!({ "id": 9, "body": format!("{marker_line}\ncopied by another bot"),
                    "user": { "login": "renovate[bot]", "type": "Bot" }, "html_url": "x" }),
        );
    });
}

#[test]
fn an_actions_token_edits_only_what_its_own_account_wrote() {
    let gh = Fake::new();
    let (log, _) = e422();
    let (other, _) = lockfile();
    gh.failed(101, &[PR], &log);
    gh.failed(103, &[PR], &other);
    gh.comment(101, Mode::Auto).unwrap();
    let ours = gh.thread(&format!("issue/{PR}"))[0].clone();
    let marker_line = body_of(&ours).lines().next().unwrap().to_string();
    other_bots_copy(&gh, &marker_line);
    // GET /user is refused (403); GraphQL's viewer says github-actions[bot].
    let out = gh.comment(103, Mode::Auto).unwrap();
    assert_eq!(*only(&out), Done::Updated);
    assert_eq!(gh.writes().last().unwrap().1, Fake::route(&format!("/issues/comments/{}", ours["id"])));
    let thread = gh.thread(&format!("issue/{PR}"));
    assert!(body_of(&thread[0]).ends_with("copied by another bot"), "another bot's comment is never edited");
    assert!(gh.gets().iter().any(|g| g.starts_with("/user")));
}

#[test]
fn when_github_will_not_say_who_the_token_is_nothing_is_edited() {
    let gh = Fake::new();
    let (log, _) = e422();
    let (other, _) = lockfile();
    gh.failed(101, &[PR], &log);
    gh.failed(103, &[PR], &other);
    gh.comment(101, Mode::Auto).unwrap();
    let marker_line = body_of(&gh.thread(&format!("issue/{PR}"))[0]).lines().next().unwrap().to_string();
    other_bots_copy(&gh, &marker_line);
    gh.with(|s| s.viewer_refused = true);
    let writes_before = gh.writes().len();
    // The same diagnosis again: a bot's comment shows it already, nothing is written.
    let out = gh.comment(101, Mode::Auto).unwrap();
    assert_eq!(*only(&out), Done::Unchanged);
    assert!(out.render().contains("no existing comment is edited"), "{}", out.render());
    assert_eq!(gh.writes().len(), writes_before);
    // Another diagnosis: a new comment; neither earlier one is touched.
    let out = gh.comment(103, Mode::Auto).unwrap();
    assert_eq!(*only(&out), Done::Created);
    let writes = gh.writes();
    assert_eq!(writes.len(), writes_before + 1);
    assert_eq!(writes.last().unwrap().0, "POST");
    let thread = gh.thread(&format!("issue/{PR}"));
    assert!(body_of(&thread[0]).ends_with("copied by another bot"));
    // A success resolves nothing it cannot prove is its own.
    gh.succeeded(104, &[PR], SHA);
    let out = gh.comment(104, Mode::Auto).unwrap();
    assert_eq!(*only(&out), Done::NothingToResolve);
    assert_eq!(gh.writes().len(), writes_before + 1);
}

#[test]
fn a_user_token_owns_only_its_users_comments() {
    let gh = Fake::new();
    let (log, _) = e422();
    let (other, _) = lockfile();
    gh.failed(101, &[PR], &log);
    gh.failed(103, &[PR], &other);
    gh.with(|s| s.login = Some("maintainer".into()));
    gh.comment(101, Mode::Auto).unwrap();
    // The same marker by a bot account is not the user's comment.
    gh.with(|s| {
        let thread = s.threads.get_mut(&format!("issue/{PR}")).unwrap();
        let mut copy = thread[0].clone();
        copy["id"] = json!(42);
        copy["user"] = json!({ "login": "other-bot[bot]", "type": "Bot" });
        thread.insert(0, copy);
    });
    gh.comment(103, Mode::Auto).unwrap();
    let thread = gh.thread(&format!("issue/{PR}"));
    assert_eq!(gh.writes().last().unwrap().1, Fake::route(&format!("/issues/comments/{}", thread[1]["id"])));
}

#[test]
fn matrix_jobs_failing_the_same_way_are_reported_once_with_both_names() {
    let gh = Fake::new();
    let (log, id) = e422();
    gh.run(
        105,
        "failure",
        &[PR],
        SHA,
        &[JobSpec { id: 1051, name: "publish (20)", log: &log }, JobSpec { id: 1052, name: "publish (22)", log: &log }],
    );
    gh.comment(105, Mode::Auto).unwrap();
    let body = body_of(&gh.thread(&format!("issue/{PR}"))[0]);
    assert_eq!(body.matches(&format!("`{id}`")).count(), 1, "{body}");
    assert!(body.contains("jobs: publish (20), publish (22)"), "{body}");
    assert!(body.contains("[publish (20)](") && body.contains("[publish (22)]("), "{body}");
}

#[test]
fn a_tag_push_goes_to_the_commit_and_a_later_success_resolves_it() {
    let gh = Fake::new();
    let (log, id) = e422();
    gh.failed(201, &[], &log);
    gh.succeeded(202, &[], TAG_SHA);
    let out = gh.comment(201, Mode::Auto).unwrap();
    assert_eq!(out.posted[0].place, bot::Place::Commit(SHA.into()));
    assert_eq!(
        gh.writes(),
        vec![("POST".to_string(), Fake::route(&format!("/commits/{SHA}/comments")))],
        "the associated-PR lookup found none, so the commit gets it"
    );
    assert!(gh.gets().iter().any(|g| g.starts_with(&Fake::route(&format!("/commits/{SHA}/pulls")))));
    let comment = gh.thread(&format!("commit/{SHA}"))[0].clone();
    assert!(body_of(&comment).contains(&format!("`{id}`")));

    assert_eq!(*only(&gh.comment(201, Mode::Auto).unwrap()), Done::Unchanged);
    let out = gh.comment(202, Mode::Auto).unwrap();
    assert_eq!(*only(&out), Done::Resolved);
    assert_eq!(
        gh.writes().last().unwrap(),
        &("PATCH".to_string(), Fake::route(&format!("/comments/{}", comment["id"])))
    );
    assert_eq!(Marker::parse(&body_of(&gh.thread(&format!("commit/{SHA}"))[0])).unwrap().state, State::Resolved);
}

#[test]
fn open_pull_requests_of_the_commit_are_found_when_the_run_names_none() {
    let gh = Fake::new();
    let (log, _) = e422();
    gh.failed(301, &[], &log);
    gh.with(|s| {
        s.commit_pulls.insert(
            SHA.into(),
            vec![json!({ "number": 9, "state": "open" }), json!({ "number": 3, "state": "closed" })],
        );
    });
    let out = gh.comment(301, Mode::Auto).unwrap();
    assert_eq!(out.posted.iter().map(|p| p.place.clone()).collect::<Vec<_>>(), vec![bot::Place::PullRequest(9)]);
    assert_eq!(gh.thread("issue/9").len(), 1);
    assert!(gh.thread("issue/3").is_empty(), "a closed pull request is not written to");
}

#[test]
fn the_tracking_issue_is_opened_updated_and_closed() {
    let gh = Fake::new();
    let (log, _) = e422();
    let (other, other_id) = lockfile();
    gh.failed(401, &[PR], &log);
    gh.failed(402, &[PR], &other);
    gh.succeeded(403, &[PR], SHA);

    assert_eq!(*only(&gh.comment(401, Mode::Issue).unwrap()), Done::Created);
    let issues = gh.with(|s| s.issues.clone());
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0]["title"], "npm-logdoc: Release is failing");
    let number = issues[0]["number"].as_u64().unwrap();
    assert!(gh.thread(&format!("issue/{PR}")).is_empty(), "--issue never writes to the pull request");

    assert_eq!(*only(&gh.comment(401, Mode::Issue).unwrap()), Done::Unchanged);
    assert_eq!(*only(&gh.comment(402, Mode::Issue).unwrap()), Done::Updated);
    let issue = gh.with(|s| s.issues[0].clone());
    assert!(body_of(&issue).contains(&format!("`{other_id}`")));
    assert_eq!(gh.writes().last().unwrap(), &("PATCH".to_string(), Fake::route(&format!("/issues/{number}"))));

    let out = gh.comment(403, Mode::Issue).unwrap();
    assert_eq!(*only(&out), Done::Closed);
    let issue = gh.with(|s| s.issues[0].clone());
    assert_eq!((issue["state"].as_str(), issue["state_reason"].as_str()), (Some("closed"), Some("completed")));
    let note = body_of(&gh.thread(&format!("issue/{number}"))[0]);
    assert!(note.starts_with("Resolved: a later run of **Release**"), "{note}");
    assert!(note.contains("actions/runs/403"), "{note}");

    // A new failure after that opens a new issue.
    assert_eq!(*only(&gh.comment(401, Mode::Issue).unwrap()), Done::Created);
    assert_eq!(gh.with(|s| s.issues.len()), 2);
}

#[test]
fn a_dry_run_reads_but_writes_nothing() {
    let gh = Fake::new();
    let (log, id) = e422();
    gh.failed(101, &[PR], &log);
    let out = gh.comment_with(gh.config(101, Mode::Auto, true)).unwrap();
    assert!(gh.writes().is_empty());
    let text = out.render();
    assert!(
        text.starts_with("npm-logdoc comment: dry run for run 101 of orrery-dev/lintel; nothing is written\n"),
        "{text}"
    );
    assert!(text.contains(&format!("pull request #{PR}: would create a comment")), "{text}");
    assert!(text.contains("<!-- npm-logdoc:v1 workflow=.github/workflows/release.yml state=failing"), "{text}");
    assert!(text.contains(&format!("`{id}`")), "{text}");
}

#[test]
fn a_refused_write_names_the_missing_permission() {
    let (log, _) = e422();
    for (mode, prs, permission) in [
        (Mode::Auto, &[PR][..], "pull-requests: write"),
        (Mode::Auto, &[][..], "contents: write"),
        (Mode::Commit, &[PR][..], "contents: write"),
        (Mode::Issue, &[PR][..], "issues: write"),
    ] {
        let gh = Fake::new();
        gh.failed(101, prs, &log);
        gh.with(|s| s.forbid_writes = true);
        let e = gh.comment(101, mode).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, BotError::Forbidden { .. }), "{text}");
        assert!(text.contains(&format!("the token needs `{permission}`")), "{mode:?}: {text}");
        assert!(text.contains("403 Resource not accessible by integration"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }
}

#[test]
fn a_run_that_is_not_finished_is_not_reported() {
    let gh = Fake::new();
    gh.rt.block_on(
        Mock::given(method("GET"))
            .and(path(Fake::route("/actions/runs/501")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": 501, "name": "Release", "path": ".github/workflows/release.yml",
                "status": "in_progress", "conclusion": null, "head_sha": SHA, "pull_requests": [],
            })))
            .mount(&gh.api),
    );
    let e = gh.comment(501, Mode::Auto).unwrap_err();
    assert!(matches!(e, BotError::GitHub(GitHubError::InProgress { .. })), "{e}");
    assert!(gh.writes().is_empty());
}

// ---- hostile log text ------------------------------------------------------

/// Fenced blocks cut out, so what is left is what GitHub renders as markdown.
fn outside_fences(body: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in body.lines() {
        let t = line.trim_start();
        let run: String = t.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(f) if run.len() >= f.len() && t[run.len()..].trim().is_empty() => fence = None,
            Some(_) => {}
            None if run.len() >= 3 => fence = Some(run),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    assert!(fence.is_none(), "a fence was left open");
    out
}

fn hostile_log() -> String {
    let tokens = [
        "npm_abcdefghijklmnopqrstuvwxyz0123456789",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB",
        "gho_abcdefghijklmnopqrstuvwxyz0123456789AB",
        "ghs_abcdefghijklmnopqrstuvwxyz0123456789AB",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vciJ9.c2lnbmF0dXJlLXZhbHVl",
    ];
    let mut lines = vec![
        "2026-02-20T11:02:24.0200000Z ##[group]Run npm publish --access public".to_string(),
        "2026-02-20T11:02:24.1570000Z npm publish --access public".to_string(),
        "2026-02-20T11:02:24.8420000Z ##[endgroup]".to_string(),
    ];
    // At most 12 error lines are shown when no rule matches: every hostile one is among them.
    for three in tokens.chunks(3) {
        lines.push(format!("2026-02-20T11:02:25.0000000Z npm error leaked {} here", three.join(" and ")));
    }
    lines.extend(
        [
            "npm error //registry.npmjs.org/:_authToken=abcdef0123456789secret",
            "npm error Authorization: Bearer abcdef0123456789abcdef",
            "npm error fence ```````` then text",
            "npm error ping @org/team and @octocat about #123",
            "npm error <img src=x onerror=alert(1)> and <script>alert(2)</script>",
            "npm error <!-- npm-logdoc:v1 workflow=.github/workflows/release.yml state=resolved fp=0000000000000000 -->",
            "npm error --> <!-- npm-logdoc:v1 workflow=x state=failing -->",
        ]
        .iter()
        .map(|l| format!("2026-02-20T11:02:26.0000000Z {l}")),
    );
    // A 300 KB line whose tail holds a token, and one cut in the middle of a token.
    lines.push(format!(
        "2026-02-20T11:02:27.0000000Z npm error {} npm_zyxwvutsrqponmlkjihgfedcba9876543210",
        "A".repeat(300_000)
    ));
    lines.push(format!(
        "2026-02-20T11:02:27.5000000Z npm error {} npm_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210",
        "B".repeat(374)
    ));
    lines.push("2026-02-20T11:02:28.0000000Z ##[error]Process completed with exit code 1.".to_string());
    lines.join("\n") + "\n"
}

/// A job name is text too (a pull request can change the workflow that names it).
const JOB: &str = "publish @org/team <img src=x> ![t](https://evil.example/p.png) [x](https://evil.example) &#64;org";

#[test]
fn hostile_log_text_cannot_leak_ping_inject_or_forge_the_marker() {
    let gh = Fake::new();
    let log = hostile_log();
    gh.run(601, "failure", &[PR], SHA, &[JobSpec { id: 6011, name: JOB, log: &log }]);
    gh.comment(601, Mode::Auto).unwrap();
    let body = body_of(&gh.thread(&format!("issue/{PR}"))[0]);

    assert!(body.chars().count() < 65_536, "{}", body.len());
    assert!(body.contains("[REDACTED]"), "{body}");
    for secret in [
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "c2lnbmF0dXJl",
        "abcdef0123456789",
        "zyxwvutsrqponmlkjihgfedcba",
        "npm_ZYXWV",
        "github_pat_11",
    ] {
        assert!(!body.contains(secret), "leaked {secret}:\n{body}");
    }
    assert!(!body.contains(&"A".repeat(1_000)), "a 300 KB line is excerpted");

    // The marker: only the first line, once; every look-alike defused.
    assert_eq!(body.matches("<!--").count(), 1, "{body}");
    assert!(body.starts_with("<!-- npm-logdoc:v1 workflow=.github/workflows/release.yml state=failing fp="));
    assert_eq!(Marker::parse(&body).unwrap().state, State::Failing);

    // Rendered markdown: no mention, issue link, tag or comment.
    // (Escaped brackets are text, not link syntax: leave them out of the search.)
    let prose = outside_fences(&body).replace("\\[", "").replace("\\]", "");
    for bad in
        ["@org", "@octocat", "#123", "<img", "<script", "<!-- npm-logdoc:v1 workflow=x", "&#64;", "](https://evil"]
    {
        assert!(!prose.contains(bad), "{bad} outside a fence:\n{prose}");
    }
    // The only links are the run's and the job's.
    assert_eq!(prose.matches("](").count(), 1, "{prose}");
    assert!(
        body.contains("!\\[t\\](https:\u{200B}//evil.example/p.png) \\[x\\](https:\u{200B}//evil.example) &amp;#"),
        "{body}"
    );
    // The backtick run stays inside a fence longer than itself.
    assert!(body.contains("````````"), "the text is kept");
    let fence = body.lines().find(|l| l.starts_with('`') && l.ends_with("text")).unwrap();
    assert!(fence.trim_end_matches("text").len() > 8, "{fence}");
    for needle in ["@org/team and @octocat about #123", "<img src=x onerror", "[REDACTED]"] {
        assert!(body.contains(needle), "kept verbatim inside the fence: {needle}");
    }
}

#[test]
fn the_posted_body_masks_every_token_kind_after_every_class() {
    let gh = Fake::new();
    let dir = tempfile::tempdir().unwrap();
    let lines = common::class_lines();
    // Two runs' worth: one comment stays under GitHub's limit.
    for (n, half) in lines.chunks(lines.len().div_ceil(2)).enumerate() {
        let (log, count) = common::leaky_log(half);
        let rules_dir = dir.path().join(format!("rules-{n}"));
        common::leaky_rules(&rules_dir, count);
        let id = 620 + n as u64;
        let job = format!("release {}", half[0]);
        gh.run(id, "failure", &[PR + n as u64], SHA, &[JobSpec { id: id * 10, name: &job, log: &log }]);
        let rules = RuleSet::builtin().unwrap().with_dirs(&[rules_dir]).unwrap();
        bot::comment(&gh.config(id, Mode::Auto, false), &rules, &ArchiveLimits::default()).unwrap();
        let body = body_of(&gh.thread(&format!("issue/{}", PR + n as u64))[0]);
        assert!(!body.contains("Report truncated"), "every line is in the body");
        assert!(body.matches("[REDACTED]").count() >= half.len(), "{body}");
        common::assert_no_leak(&body, "posted comment");
    }
}

/// What reached a posted comment raw before: markup in a step name, a job name, a
/// workflow name and an E404 package name, glued to a code span and a URL.
const HOSTILE: &str = "``x``www.evil.example<img src=x></details><h1>t</h1>@org/team";

#[test]
fn hostile_names_render_inert_on_github() {
    let gh = Fake::new();
    let log = format!(
        "2026-02-20T11:02:24.0200000Z ##[group]Run npm publish --access public\n\
         2026-02-20T11:02:24.8420000Z ##[endgroup]\n\
         2026-02-20T11:02:25.0000000Z npm notice Publishing to https://registry.npmjs.org/ with tag latest and public access\n\
         2026-02-20T11:02:26.0000000Z npm error code E404\n\
         2026-02-20T11:02:26.0000000Z npm error 404 Not Found - PUT https://registry.npmjs.org/@scope%2fpkg{} - Not found\n\
         2026-02-20T11:02:28.0000000Z ##[error]Process completed with exit code 1.\n",
        HOSTILE.replace(' ', "")
    );
    let job = format!("release {HOSTILE}");
    gh.run_named(
        611,
        "failure",
        &[PR],
        SHA,
        &[JobSpec { id: 6111, name: &job, log: &log }],
        (&format!("Release {HOSTILE}"), &format!("Publish {HOSTILE}")),
    );
    gh.comment(611, Mode::Auto).unwrap();
    let body = body_of(&gh.thread(&format!("issue/{PR}"))[0]);
    assert!(body.contains("pkg``x``www.evil"), "the package name is in the evidence:\n{body}");
    let resolved_run = 612;
    gh.succeeded(resolved_run, &[PR], SHA);
    gh.run_named(resolved_run, "success", &[PR], SHA, &[], (&format!("Release {HOSTILE}"), "x"));
    gh.comment(resolved_run, Mode::Auto).unwrap();
    let resolved = body_of(&gh.thread(&format!("issue/{PR}"))[0]);
    assert!(resolved.contains("resolved"), "{resolved}");
    let links = [
        "https://github.com/orrery-dev/lintel/actions/runs/611",
        "https://github.com/orrery-dev/lintel/actions/runs/612",
        "https://github.com/orrery-dev/lintel/actions/runs/611/job/6111",
    ];
    let docs = vec![body, resolved];
    let found = common::render_gfm(&docs);
    // Every reference the rule cites is the tool's own link too.
    let refs: Vec<String> = docs[0]
        .split('<')
        .filter_map(|p| p.split_once('>'))
        .map(|(u, _)| u.to_string())
        .filter(|u| u.starts_with("https://"))
        .collect();
    let mut allowed: Vec<&str> = links.to_vec();
    allowed.extend(refs.iter().map(String::as_str));
    for (doc, f) in docs.iter().zip(&found) {
        common::assert_inert(doc, f, &allowed, "posted comment");
    }
}

#[test]
fn a_report_too_long_for_one_comment_is_cut_with_a_note() {
    let rules = RuleSet::builtin().unwrap();
    let (log, _) = e422();
    let report = npm_logdoc::analyze_text("release", &log, &rules);
    let mut big = report.clone();
    for i in 0..400 {
        let mut d = report.diagnoses[0].clone();
        d.id = format!("test/padding-{i}");
        big.diagnoses.push(d);
    }
    let marker = Marker { workflow: "release.yml".into(), state: State::Failing, fingerprint: bot::fingerprint(&big) };
    let options = npm_logdoc::render::markdown::Options { marker: Some(marker.text()), ..Default::default() };
    let body = npm_logdoc::render::markdown::render(&big, &Default::default(), &options);
    assert!(body.chars().count() <= 65_536, "{}", body.chars().count());
    assert!(body.contains("Report truncated:"), "honest note");
    assert!(body.contains("65536 character limit"));
    assert_eq!(Marker::parse(&body).unwrap(), marker);
}

// ---- the binary ------------------------------------------------------------

fn bin() -> Command {
    let mut c = Command::new(BIN);
    c.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).stdin(Stdio::null());
    c
}

#[test]
fn the_command_posts_and_reports_a_refusal_in_one_line() {
    let gh = Fake::new();
    let (log, _) = e422();
    gh.failed(101, &[PR], &log);
    let out = bin()
        .args(["comment", "101", "-R", &format!("{OWNER}/{REPO}"), "--api-url", &gh.api.uri(), "--dry-run"])
        .env("GH_TOKEN", "ghs_faketokenfortests")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("would create a comment"), "{stdout}");
    assert!(gh.writes().is_empty());

    gh.with(|s| s.forbid_writes = true);
    let out = bin()
        .args(["comment", "101", "-R", &format!("{OWNER}/{REPO}"), "--api-url", &gh.api.uri(), "--issue"])
        .env("GITHUB_TOKEN", "ghs_faketokenfortests")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(exit::FORBIDDEN), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("`issues: write`"), "{stderr}");
    assert!(!stderr.contains("ghs_faketokenfortests"));
}

#[test]
fn the_command_line_is_checked() {
    let out = bin().args(["comment", "job.log"]).output().unwrap();
    assert_eq!(out.status.code(), Some(exit::USAGE));
    assert!(String::from_utf8_lossy(&out.stderr).contains("takes a run id or a run URL"));
    let out = bin().args(["comment", "1", "-R", "o/r", "--issue", "--target", "pr"]).output().unwrap();
    assert_eq!(out.status.code(), Some(exit::USAGE));
    let out = bin().args(["comment", "https://github.com/o/r/actions/runs/1/job/2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(exit::USAGE));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/job/"));
}

// ---- --format github and the step summary ------------------------------------

fn temp_dir() -> PathBuf {
    let dir = tempfile::tempdir().unwrap();
    dir.keep()
}

#[test]
fn format_github_prints_annotations_and_appends_the_step_summary() {
    let dir = temp_dir();
    let summary = dir.join("summary.md");
    std::fs::write(&summary, "## earlier step\n").unwrap();
    let log = dir.join("release.log");
    let (text, id) = e422();
    std::fs::write(&log, text).unwrap();
    let out = bin()
        .args(["analyze", log.to_str().unwrap(), "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().next().unwrap();
    assert!(first.starts_with(&format!("::error title=npm-logdoc%3A {id}::")), "{stdout}");
    assert!(stdout.lines().all(|l| l.starts_with("::")), "one command per line: {stdout}");
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(written.starts_with("## earlier step\n## npm-logdoc: "), "appended, not replaced: {written}");
    assert!(written.contains(&format!("`{id}`")));
    assert!(!written.contains("<!-- npm-logdoc"), "the summary carries no marker");

    // Without the variable, no file is touched.
    std::fs::write(&summary, "kept\n").unwrap();
    let out = bin().args(["analyze", log.to_str().unwrap(), "--format", "github"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), "kept\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn workflow_commands_are_escaped_and_capped_per_step_most_important_first() {
    use npm_logdoc::pattern::Confidence;
    let rules = RuleSet::builtin().unwrap();
    let (log, _) = e422();
    let template = npm_logdoc::analyze_text("release", &log, &rules).diagnoses[0].clone();
    let mut report = npm_logdoc::analyze_text("release", &log, &rules);
    report.diagnoses.clear();
    for i in 0..15 {
        for confidence in [Confidence::High, Confidence::Low] {
            let mut d = template.clone();
            d.id = format!("test/{confidence}-{i}");
            d.confidence = confidence;
            d.title = format!("50% off\r\n::error::forged, {i}: npm_abcdefghijklmnopqrstuvwxyz0123456789");
            report.diagnoses.push(d);
        }
    }
    let out = npm_logdoc::render::render(&report, npm_logdoc::render::Format::Github, &Default::default());
    let lines: Vec<&str> = out.lines().collect();
    let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("::error ")).collect();
    let warnings: Vec<&&str> = lines.iter().filter(|l| l.starts_with("::warning ")).collect();
    assert_eq!((errors.len(), warnings.len()), (10, 10), "{out}");
    assert!(errors[0].starts_with("::error title=npm-logdoc%3A test/high-0::"), "{out}");
    assert!(errors[9].contains("test/high-9"), "the first ten, in the report's order");
    assert!(warnings[0].contains("test/low-0"));
    for l in &lines {
        assert!(l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice "), "{l}");
        assert!(!l.contains("abcdefghijklmnopqrstuvwxyz"), "redacted: {l}");
    }
    // The title's CR LF became spaces (redaction keeps names on one line), and the
    // forged command sits inside the message, not at a line's start.
    assert!(errors[0].contains("50%25 off  ::error::forged"), "{}", errors[0]);
}

#[test]
fn no_known_cause_notices_are_capped_too() {
    let rules = RuleSet::builtin().unwrap();
    let mut report = npm_logdoc::analyze_text("job", "##[error]Something odd happened\n", &rules);
    assert!(report.diagnoses.is_empty());
    let job = report.jobs[0].clone();
    report.jobs = (0..25)
        .map(|i| {
            let mut j = job.clone();
            j.name = format!("job {i}");
            j
        })
        .collect();
    let out = npm_logdoc::render::render(&report, npm_logdoc::render::Format::Github, &Default::default());
    assert_eq!(out.lines().filter(|l| l.starts_with("::notice ")).count(), 10, "{out}");
}
