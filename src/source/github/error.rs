//! What can go wrong talking to GitHub, each as one sentence that says what to do
//! (the binary gives each its own exit code; the table is in the README).

use crate::source::SourceError;

/// The permission sentence shared by 403 and 404 messages.
const PERMISSIONS: &str = "a fine-grained token needs Actions: read and Metadata: read on the repository, a classic token the `repo` scope for a private repository, a workflow's GITHUB_TOKEN `permissions: actions: read`";

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// 401: the token was refused.
    #[error("{}", unauthorized(token_var.as_deref(), message, set))]
    Unauthorized { token_var: Option<String>, message: String, set: Box<str> },

    /// The token cannot be sent at all (a newline or space inside it).
    #[error(
        "{var} does not hold a usable token (it has characters a token never has, such as a space or a line break)"
    )]
    BadToken { var: String },

    /// 403 that is not a rate limit: a permission is missing.
    #[error("{}", forbidden(what, repo, message, accepted.as_deref(), *has_token, set))]
    Forbidden { what: String, repo: String, message: String, accepted: Option<String>, has_token: bool, set: Box<str> },

    /// 404: the run, the job or the repository is not there, or not visible.
    #[error("{}", not_found(what, repo, *has_token, *repo_visible, set))]
    NotFound { what: String, repo: String, has_token: bool, repo_visible: Option<bool>, set: Box<str> },

    /// 410: the logs were deleted (retention).
    #[error(
        "{what} has expired (410 Gone): GitHub deletes run logs after the repository's retention period (90 days by default), so they cannot be downloaded any more"
    )]
    Expired { what: String },

    /// 403/429 with the rate limit exhausted.
    #[error("{}", rate_limited(*reset, *retry_after, *has_token, set))]
    RateLimited { reset: Option<i64>, retry_after: Option<u64>, has_token: bool, set: Box<str> },

    /// No answer: refused connection, DNS, TLS, timeout, reset.
    #[error(
        "cannot reach {host}: {detail} (check the network or proxy, and --api-url / GITHUB_API_URL for GitHub Enterprise Server)"
    )]
    Network { host: String, detail: String },

    /// 5xx after every retry, or an answer that makes no sense.
    #[error("{what}: {detail}")]
    Api { what: String, detail: String },

    /// The run or job has not finished, so there is no log yet.
    #[error("{what} is still in progress: {hint}")]
    InProgress { what: String, hint: String },

    /// The run has no failed job to diagnose.
    #[error("{0}")]
    NothingFailed(String),

    /// `--job` named no job of the run; the command line is wrong.
    #[error("{0}")]
    Usage(String),

    /// A downloaded log or archive that cannot be read, or is over the size cap.
    #[error(transparent)]
    Log(#[from] SourceError),

    /// A temporary file could not be written.
    #[error("cannot store the downloaded log in a temporary file: {0}")]
    TempFile(#[source] std::io::Error),

    /// The small async runtime the client runs on could not start.
    #[error("cannot start the runtime that talks to GitHub: {0}")]
    Runtime(#[source] std::io::Error),
}

fn unauthorized(var: Option<&str>, message: &str, set: &str) -> String {
    match var {
        Some(var) => format!(
            "GitHub rejected the token in {var} (401 {message}): it is invalid, expired or revoked; set {var} to a valid token, or unset it to read a public repository without one"
        ),
        None => format!(
            "GitHub answered 401 ({message}): this server needs a token; set {set} to one that can read Actions logs ({PERMISSIONS})"
        ),
    }
}

fn forbidden(what: &str, repo: &str, message: &str, accepted: Option<&str>, has_token: bool, set: &str) -> String {
    let needs = match accepted {
        Some(p) if !p.trim().is_empty() => format!("GitHub says the token needs `{}`", p.trim().replace('=', ": ")),
        _ => "the token needs `actions: read`".to_string(),
    };
    if has_token {
        format!("GitHub refused {what} (403 {message}): {needs} on {repo} ({PERMISSIONS})")
    } else {
        format!(
            "GitHub refused {what} without a token (403 {message}): GitHub serves Actions logs only to signed-in users; set {set} to a token with `actions: read` on {repo} ({PERMISSIONS})"
        )
    }
}

fn not_found(what: &str, repo: &str, has_token: bool, repo_visible: Option<bool>, set: &str) -> String {
    match (repo_visible, has_token) {
        (Some(true), _) => format!("{what} was not found in {repo} (404): check the id or URL"),
        (_, false) => format!(
            "{what} was not found (404): check {repo} and the id; if the repository is private, set {set} to a token that can read it ({PERMISSIONS})"
        ),
        (_, true) => format!(
            "{what} was not found (404): check {repo} and the id; if they are right, the token cannot see the repository ({PERMISSIONS})"
        ),
    }
}

fn rate_limited(reset: Option<i64>, retry_after: Option<u64>, has_token: bool, set: &str) -> String {
    let when = match (retry_after, reset) {
        (Some(s), _) => format!("retry in {s} s"),
        (None, Some(t)) => match chrono::DateTime::from_timestamp(t, 0) {
            Some(at) => {
                let now = chrono::Utc::now().timestamp();
                let minutes = ((t - now).max(0) + 59) / 60;
                format!("it resets at {} (in {minutes} min)", at.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            None => "retry later".to_string(),
        },
        (None, None) => "retry in a few minutes".to_string(),
    };
    let hint = if has_token {
        String::new()
    } else {
        format!("; a token in {set} raises the limit from 60 to 5,000 requests an hour")
    };
    format!("GitHub's API rate limit is exhausted: {when}{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_say_what_to_do() {
        let errors = [
            GitHubError::Unauthorized {
                token_var: Some("GH_TOKEN".into()),
                message: "Bad credentials".into(),
                set: "GH_TOKEN".into(),
            },
            GitHubError::Forbidden {
                what: "the log of job `release`".into(),
                repo: "o/r".into(),
                message: "Resource not accessible by integration".into(),
                accepted: Some("actions=read".into()),
                has_token: true,
                set: "GH_TOKEN".into(),
            },
            GitHubError::NotFound {
                what: "run 1".into(),
                repo: "o/r".into(),
                has_token: false,
                repo_visible: None,
                set: "GH_TOKEN".into(),
            },
            GitHubError::Expired { what: "the log of run 1".into() },
            GitHubError::RateLimited {
                reset: Some(1_900_000_000),
                retry_after: None,
                has_token: false,
                set: "GH_TOKEN".into(),
            },
        ];
        for e in &errors {
            let text = e.to_string();
            assert!(!text.contains('\n'), "{text}");
        }
        assert!(errors[0].to_string().contains("GH_TOKEN"));
        assert!(errors[1].to_string().contains("`actions: read`"));
        assert!(errors[2].to_string().contains("private"));
        assert!(errors[4].to_string().contains("2030-03-17 17:46:40 UTC"));
    }
}
