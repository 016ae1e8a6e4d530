//! The GitHub client: octocrab with a base URL and token passed in (never read
//! from the environment here), explicit timeouts, bounded retries with backoff for
//! 5xx answers and dropped connections, and every refusal turned into a
//! [`GitHubError`] that names the fix.
//!
//! Logs are served through a redirect to short-lived storage, and octocrab has no
//! helper for job logs: [`GitHub::job_log`] asks the API with octocrab's `_get`,
//! then follows `Location` with a second octocrab client that carries no token, so
//! the token never leaves the API host, and streams the body into a [`Sink`].

use std::fs::File;
use std::io::{self, Seek, Write};
use std::time::Duration;

use http::{HeaderMap, StatusCode, Uri};
use http_body_util::BodyExt;
use octocrab::{FromResponse, Octocrab, Page};
use serde::de::DeserializeOwned;

use super::api::{Job, Run};
use super::error::GitHubError;
use super::target::{DEFAULT_API_URL, Repo};
use crate::source::SourceError;

/// The body of an answer, as octocrab hands it over.
pub type Body = http_body_util::combinators::BoxBody<bytes::Bytes, octocrab::Error>;

/// A token and the variable it came from (named in messages, never printed).
#[derive(Clone)]
pub struct Token {
    value: String,
    var: String,
}

impl Token {
    pub fn new(value: impl Into<String>, var: impl Into<String>) -> Token {
        Token { value: value.into().trim().to_string(), var: var.into() }
    }

    /// Where the token came from, e.g. `GH_TOKEN`.
    pub fn var(&self) -> &str {
        &self.var
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({}: ***)", self.var)
    }
}

/// How to reach GitHub. Everything is passed in; nothing is read from the
/// environment (the CLI does that, once).
#[derive(Clone, Debug)]
pub struct Settings {
    /// REST API base: `https://api.github.com`, `https://HOST/api/v3` for GHES.
    pub api_url: String,
    pub token: Option<Token>,
    /// The variable(s) to set when this host needs a token and has none, as
    /// messages name them (`GH_TOKEN (or GITHUB_TOKEN)`; another host's
    /// `GH_ENTERPRISE_TOKEN`, see `cli::Env::token_for`).
    pub token_vars: String,
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of an answer.
    pub read_timeout: Duration,
    /// Retries after a 5xx answer or a dropped connection (so `retries + 1` tries).
    pub retries: u32,
    /// First wait before a retry; doubled each time.
    pub backoff: Duration,
    /// Downloads at once.
    pub concurrency: usize,
    /// Largest log or archive downloaded.
    pub max_download_bytes: u64,
}

impl Settings {
    pub fn new(api_url: impl Into<String>, token: Option<Token>) -> Settings {
        Settings {
            api_url: api_url.into(),
            token,
            token_vars: "GH_TOKEN (or GITHUB_TOKEN)".to_string(),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(500),
            concurrency: 4,
            max_download_bytes: 4 << 30,
        }
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings::new(DEFAULT_API_URL, None)
    }
}

/// Where a download's bytes go. `restart` is called before a retry starts over.
pub trait Sink: Send {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()>;
    fn restart(&mut self) -> io::Result<()>;
}

impl Sink for File {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes)
    }

    fn restart(&mut self) -> io::Result<()> {
        self.set_len(0)?;
        self.rewind()
    }
}

/// Why one try failed, and whether another may succeed.
enum Failure {
    Retry(GitHubError),
    Fatal(GitHubError),
}

/// How many times a request has been tried, and whether it may be tried again
/// (see [`GitHub::retry`]).
struct Retry {
    tries: u32,
    retries: u32,
    backoff: Duration,
}

impl Retry {
    /// After `failure`: waits and returns `Ok` when the request should be tried
    /// again, else the error to give up with.
    async fn after(&mut self, failure: Failure) -> Result<(), GitHubError> {
        self.tries += 1;
        match failure {
            Failure::Retry(_) if self.tries <= self.retries => {
                let factor = 1u32 << (self.tries - 1).min(6);
                tokio::time::sleep(self.backoff * factor).await;
                Ok(())
            }
            Failure::Retry(e) | Failure::Fatal(e) => Err(e),
        }
    }
}

impl From<GitHubError> for Failure {
    fn from(e: GitHubError) -> Failure {
        Failure::Fatal(e)
    }
}

/// A GitHub API client for one base URL and token: runs, jobs, logs, and the
/// octocrab instance itself for anything else (comments, for the bot).
///
/// Must be created inside a Tokio runtime (octocrab spawns its worker there).
pub struct GitHub {
    crab: Octocrab,
    /// No token: follows redirects to log storage.
    storage: Octocrab,
    api: Uri,
    settings: Settings,
}

impl GitHub {
    pub fn new(settings: Settings) -> Result<GitHub, GitHubError> {
        let bad_url = |why: &str| {
            GitHubError::Usage(format!(
                "`{}` is not a usable API URL ({why}); pass e.g. --api-url https://github.example.com/api/v3",
                settings.api_url
            ))
        };
        let api: Uri = settings.api_url.trim_end_matches('/').parse().map_err(|_| bad_url("not a URL"))?;
        if !matches!(api.scheme_str(), Some("http" | "https")) || api.authority().is_none() {
            return Err(bad_url("it needs http:// or https:// and a host"));
        }
        if let Some(t) = &settings.token {
            if t.value.is_empty() || http::HeaderValue::from_str(&format!("Bearer {}", t.value)).is_err() {
                return Err(GitHubError::BadToken { var: t.var.clone() });
            }
        }
        let build = |base: &Uri, token: Option<&Token>| {
            let mut b = Octocrab::builder()
                .base_uri(base.clone())
                .map_err(|_| bad_url("not a URL"))?
                .set_connect_timeout(Some(settings.connect_timeout))
                .set_read_timeout(Some(settings.read_timeout))
                .set_write_timeout(Some(settings.read_timeout));
            if let Some(t) = token {
                b = b.personal_token(t.value.clone());
            }
            b.build().map_err(|e| GitHubError::Api { what: "setting up the HTTP client".into(), detail: e.to_string() })
        };
        let crab = build(&api, settings.token.as_ref())?;
        let origin = Uri::builder()
            .scheme(api.scheme_str().unwrap_or("https"))
            .authority(api.authority().map_or("", |a| a.as_str()))
            .path_and_query("/")
            .build()
            .map_err(|_| bad_url("not a URL"))?;
        let storage = build(&origin, None)?;
        Ok(GitHub { crab, storage, api, settings })
    }

    /// The octocrab client (token and base URL set), for endpoints not wrapped here.
    pub fn octocrab(&self) -> &Octocrab {
        &self.crab
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn has_token(&self) -> bool {
        self.settings.token.is_some()
    }

    /// A run, or one attempt of it.
    pub async fn run(&self, repo: &Repo, run_id: u64, attempt: Option<u32>) -> Result<Run, GitHubError> {
        let route = match attempt {
            Some(n) => format!("/repos/{repo}/actions/runs/{run_id}/attempts/{n}"),
            None => format!("/repos/{repo}/actions/runs/{run_id}"),
        };
        let what = match attempt {
            Some(n) => format!("attempt {n} of run {run_id}"),
            None => format!("run {run_id}"),
        };
        match self.get_json(&route, &what, repo).await {
            Err(GitHubError::NotFound { what, repo: r, has_token, set, .. }) => {
                let visible = self.repo_visible(repo).await;
                Err(GitHubError::NotFound { what, repo: r, has_token, repo_visible: visible, set })
            }
            other => other,
        }
    }

    /// Whether the repository itself answers (to tell "no such run" from "no such
    /// repository, or not visible"); `None` when that cannot be told.
    async fn repo_visible(&self, repo: &Repo) -> Option<bool> {
        match self.get_json::<serde_json::Value>(&format!("/repos/{repo}"), "the repository", repo).await {
            Ok(_) => Some(true),
            Err(GitHubError::NotFound { .. }) => Some(false),
            Err(_) => None,
        }
    }

    /// Every job of the run's latest attempt (or of `attempt`), all pages.
    pub async fn jobs(&self, repo: &Repo, run_id: u64, attempt: Option<u32>) -> Result<Vec<Job>, GitHubError> {
        let first = match attempt {
            Some(n) => format!("/repos/{repo}/actions/runs/{run_id}/attempts/{n}/jobs?per_page=100"),
            None => format!("/repos/{repo}/actions/runs/{run_id}/jobs?filter=latest&per_page=100"),
        };
        let what = format!("the jobs of run {run_id}");
        let (jobs, complete) = self.all_pages::<Job>(first, &what, repo, 100).await?;
        if !complete {
            return Err(GitHubError::Api { what, detail: "more than 100 pages of jobs; giving up".into() });
        }
        Ok(jobs)
    }

    /// The items of a listing over every page (octocrab's [`Page`] follows the
    /// `Link: next` header), at most `max_pages` of them; `false` when there were more.
    pub async fn all_pages<T: DeserializeOwned>(
        &self,
        first: String,
        what: &str,
        repo: &Repo,
        max_pages: usize,
    ) -> Result<(Vec<T>, bool), GitHubError> {
        let mut items = Vec::new();
        let mut next = Some(first);
        for _ in 0..max_pages {
            let Some(uri) = next.take() else { break };
            let response = self.get(&uri, what, repo).await?;
            let page = Page::<T>::from_response(response).await.map_err(|e| GitHubError::Api {
                what: what.to_string(),
                detail: format!("unexpected answer from GitHub: {e}"),
            })?;
            items.extend(page.items);
            next = page.next.map(|u| u.to_string());
        }
        Ok((items, next.is_none()))
    }

    /// One job by id.
    pub async fn job(&self, repo: &Repo, job_id: u64) -> Result<Job, GitHubError> {
        self.get_json(&format!("/repos/{repo}/actions/jobs/{job_id}"), &format!("job {job_id}"), repo).await
    }

    /// Streams a job's plain-text log into `sink`; returns its size.
    pub async fn job_log(&self, repo: &Repo, job: &Job, sink: &mut dyn Sink) -> Result<u64, GitHubError> {
        let route = format!("/repos/{repo}/actions/jobs/{}/logs", job.id);
        self.download(&route, &format!("the log of job `{}`", job.name), repo, sink).await
    }

    /// Streams a run's log archive (zip) into `sink`; returns its size.
    pub async fn run_archive(
        &self,
        repo: &Repo,
        run_id: u64,
        attempt: Option<u32>,
        sink: &mut dyn Sink,
    ) -> Result<u64, GitHubError> {
        let route = match attempt {
            Some(n) => format!("/repos/{repo}/actions/runs/{run_id}/attempts/{n}/logs"),
            None => format!("/repos/{repo}/actions/runs/{run_id}/logs"),
        };
        self.download(&route, &format!("the log archive of run {run_id}"), repo, sink).await
    }

    /// GET with retries; the answer is a success or a redirect.
    pub async fn get(&self, uri: &str, what: &str, repo: &Repo) -> Result<http::Response<Body>, GitHubError> {
        let mut retry = self.retry(self.settings.retries);
        loop {
            let failure = match self.crab._get(uri).await {
                Ok(response) => match self.check(response, what, repo, self.settings.retries + 1).await {
                    Ok(response) => return Ok(response),
                    Err(f) => f,
                },
                Err(e) => Failure::Retry(self.network(&e)),
            };
            retry.after(failure).await?;
        }
    }

    /// GET and parse JSON, with retries.
    pub async fn get_json<T: DeserializeOwned>(&self, uri: &str, what: &str, repo: &Repo) -> Result<T, GitHubError> {
        let response = self.get(uri, what, repo).await?;
        let bytes = response.into_body().collect().await.map_err(|e| self.network(&e))?.to_bytes();
        serde_json::from_slice(&bytes).map_err(|e| GitHubError::Api {
            what: what.to_string(),
            detail: format!("unexpected answer from GitHub: {e}"),
        })
    }

    /// POST or PATCH a JSON body and parse the JSON answer (the comment bot's
    /// writes). Refusals become [`GitHubError`]s as for reads; a PATCH is retried
    /// like a GET, a POST never (a retry could post twice).
    pub async fn send_json<B: serde::Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: http::Method,
        uri: &str,
        body: &B,
        what: &str,
        repo: &Repo,
    ) -> Result<T, GitHubError> {
        let retries = if method == http::Method::PATCH { self.settings.retries } else { 0 };
        let mut retry = self.retry(retries);
        let response = loop {
            let sent = if method == http::Method::PATCH {
                self.crab._patch(uri, Some(body)).await
            } else {
                self.crab._post(uri, Some(body)).await
            };
            let failure = match sent {
                Ok(response) => match self.check(response, what, repo, retries + 1).await {
                    Ok(response) => break response,
                    Err(f) => f,
                },
                Err(e) => Failure::Retry(self.network(&e)),
            };
            retry.after(failure).await?;
        };
        let bytes = response.into_body().collect().await.map_err(|e| self.network(&e))?.to_bytes();
        serde_json::from_slice(&bytes).map_err(|e| GitHubError::Api {
            what: what.to_string(),
            detail: format!("unexpected answer from GitHub: {e}"),
        })
    }

    /// The one retry policy: a [`Failure::Retry`] is tried again `retries` times,
    /// with a backoff that doubles each time; anything else ends the request.
    fn retry(&self, retries: u32) -> Retry {
        Retry { tries: 0, retries, backoff: self.settings.backoff }
    }

    /// Passes successes and redirects; turns the rest into errors.
    async fn check(
        &self,
        response: http::Response<Body>,
        what: &str,
        repo: &Repo,
        attempts: u32,
    ) -> Result<http::Response<Body>, Failure> {
        let status = response.status();
        if status.is_success() || status.is_redirection() {
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let message = error_message(status, &bytes);
        let has_token = self.has_token();
        let what = what.to_string();
        let repo = repo.to_string();
        let set: Box<str> = self.settings.token_vars.as_str().into();
        if let Some(limited) = rate_limit(status, &parts.headers, &message, has_token, &set) {
            return Err(Failure::Fatal(limited));
        }
        Err(match status {
            StatusCode::UNAUTHORIZED => Failure::Fatal(GitHubError::Unauthorized {
                token_var: self.settings.token.as_ref().map(|t| t.var.clone()),
                message,
                set,
            }),
            StatusCode::FORBIDDEN => Failure::Fatal(GitHubError::Forbidden {
                what,
                repo,
                message,
                accepted: header(&parts.headers, "x-accepted-github-permissions"),
                has_token,
                set,
            }),
            StatusCode::NOT_FOUND => {
                Failure::Fatal(GitHubError::NotFound { what, repo, has_token, repo_visible: None, set })
            }
            StatusCode::GONE => Failure::Fatal(GitHubError::Expired { what }),
            s if s.is_server_error() => Failure::Retry(GitHubError::Api {
                what,
                detail: format!(
                    "GitHub answered {} {} after {attempts} {}; try again later",
                    s.as_u16(),
                    message,
                    if attempts == 1 { "try" } else { "tries" }
                ),
            }),
            s => Failure::Fatal(GitHubError::Api { what, detail: format!("GitHub answered {} {message}", s.as_u16()) }),
        })
    }

    fn network(&self, e: &(dyn std::error::Error + 'static)) -> GitHubError {
        let host = self.api.authority().map_or_else(|| self.settings.api_url.clone(), |a| a.to_string());
        GitHubError::Network { host, detail: root_cause(e) }
    }

    /// A log: ask the API, follow its redirect to storage, stream the body.
    async fn download(&self, route: &str, what: &str, repo: &Repo, sink: &mut dyn Sink) -> Result<u64, GitHubError> {
        let mut retry = self.retry(self.settings.retries);
        loop {
            match self.download_once(route, what, repo, sink).await {
                Ok(n) => return Ok(n),
                Err(failure) => retry.after(failure).await?,
            }
            sink.restart().map_err(GitHubError::TempFile)?;
        }
    }

    async fn download_once(&self, route: &str, what: &str, repo: &Repo, sink: &mut dyn Sink) -> Result<u64, Failure> {
        let response = match self.crab._get(route).await {
            Ok(r) => self.check(r, what, repo, self.settings.retries + 1).await?,
            Err(e) => return Err(Failure::Retry(self.network(&e))),
        };
        let response = if response.status().is_redirection() {
            let Some(location) = header(response.headers(), "location") else {
                return Err(Failure::Fatal(GitHubError::Api {
                    what: what.into(),
                    detail: format!("GitHub answered {} without a Location", response.status().as_u16()),
                }));
            };
            let target = self.resolve(route, &location);
            let response = match self.storage._get(target.as_str()).await {
                Ok(r) => r,
                Err(e) => return Err(Failure::Retry(self.storage_network(&target, &e))),
            };
            let status = response.status();
            if !status.is_success() {
                // The link is short-lived: a refusal from storage is worth a fresh one.
                return Err(Failure::Retry(GitHubError::Api {
                    what: what.into(),
                    detail: format!("the log storage answered {} after {} tries", status, self.settings.retries + 1),
                }));
            }
            response
        } else {
            response
        };
        let cap = self.settings.max_download_bytes;
        let mut body = response.into_body();
        let mut total = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Failure::Retry(self.network(&e)))?;
            if let Ok(data) = frame.into_data() {
                total += data.len() as u64;
                if total > cap {
                    return Err(Failure::Fatal(GitHubError::Log(SourceError::TooLarge {
                        path: what.to_string(),
                        reason: format!("the download is over the {} MiB cap", cap >> 20),
                    })));
                }
                sink.write(&data).map_err(|e| Failure::Fatal(GitHubError::TempFile(e)))?;
            }
        }
        Ok(total)
    }

    /// A `Location` made absolute against the URL of the request (`route` on the
    /// API), as RFC 9110 resolves a relative reference.
    fn resolve(&self, route: &str, location: &str) -> String {
        let request = format!("{}{route}", self.api.to_string().trim_end_matches('/'));
        match url::Url::parse(&request).and_then(|base| base.join(location)) {
            Ok(url) => url.into(),
            Err(_) => location.to_string(),
        }
    }

    fn storage_network(&self, target: &str, e: &(dyn std::error::Error + 'static)) -> GitHubError {
        let host = target.parse::<Uri>().ok().and_then(|u| u.authority().map(|a| a.to_string()));
        GitHubError::Network { host: host.unwrap_or_else(|| "the log storage".into()), detail: root_cause(e) }
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// GitHub's `message`, else the body's first line, else the status reason.
fn error_message(status: StatusCode, body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string));
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).lines().next().unwrap_or("").to_string());
    let text = text.trim();
    let text = if text.is_empty() || text.len() > 300 { status.canonical_reason().unwrap_or("") } else { text };
    text.to_string()
}

/// A 403 or 429 that is a rate limit (primary or secondary), if it is one.
fn rate_limit(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    has_token: bool,
    set: &str,
) -> Option<GitHubError> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let exhausted = header(headers, "x-ratelimit-remaining").is_some_and(|r| r.trim() == "0");
    let retry_after = header(headers, "retry-after").and_then(|v| v.trim().parse().ok());
    let says_so = message.to_ascii_lowercase().contains("rate limit");
    if !(exhausted || retry_after.is_some() || says_so || status == StatusCode::TOO_MANY_REQUESTS) {
        return None;
    }
    let reset = header(headers, "x-ratelimit-reset").and_then(|v| v.trim().parse().ok());
    Some(GitHubError::RateLimited { reset, retry_after, has_token, set: set.into() })
}

/// The innermost cause of a transport error ("Connection refused (os error 111)").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = e;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    let text = deepest.to_string();
    if let Some(io) = deepest.downcast_ref::<io::Error>() {
        if io.kind() == io::ErrorKind::TimedOut {
            return "timed out".to_string();
        }
    }
    if text.is_empty() { e.to_string() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_are_told_from_permission_refusals() {
        let mut h = HeaderMap::new();
        assert!(rate_limit(StatusCode::FORBIDDEN, &h, "Resource not accessible by integration", true, "").is_none());
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", "1900000000".parse().unwrap());
        match rate_limit(StatusCode::FORBIDDEN, &h, "API rate limit exceeded", false, "GH_TOKEN") {
            Some(GitHubError::RateLimited { reset: Some(1_900_000_000), .. }) => {}
            other => panic!("{other:?}"),
        }
        assert!(rate_limit(StatusCode::NOT_FOUND, &h, "", true, "").is_none());
    }

    #[test]
    fn error_messages_come_from_the_body() {
        assert_eq!(error_message(StatusCode::NOT_FOUND, br#"{"message":"Not Found"}"#), "Not Found");
        assert_eq!(error_message(StatusCode::BAD_GATEWAY, b""), "Bad Gateway");
        assert_eq!(error_message(StatusCode::GONE, b"gone\nmore"), "gone");
    }

    #[test]
    fn tokens_are_never_printed() {
        let t = Token::new("ghp_secret\n", "GH_TOKEN");
        assert_eq!(format!("{t:?}"), "Token(GH_TOKEN: ***)");
        assert_eq!(t.value, "ghp_secret");
    }
}
