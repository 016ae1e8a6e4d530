//! The errors that reach the user, each mapped to its own exit code.

use crate::pattern::LoadError;
use crate::source::SourceError;
use crate::source::github::GitHubError;

/// Exit codes (also in the README).
pub mod exit {
    /// The analysis ran; a report was printed (whether or not a cause was found).
    pub const OK: i32 = 0;
    /// Something unexpected (a bug, or an output that could not be written).
    pub const FAILURE: i32 = 1;
    /// The command line was wrong.
    pub const USAGE: i32 = 2;
    /// A log source could not be read: missing, binary, a bad or oversized archive.
    pub const INPUT: i32 = 3;
    /// A pattern file is invalid (`--patterns`).
    pub const PATTERNS: i32 = 4;
    /// The run has no failed job to diagnose (it succeeded, was cancelled, or
    /// failed before any job started).
    pub const NOTHING_FAILED: i32 = 10;
    /// The run or job is still in progress, so its log is not there yet.
    pub const IN_PROGRESS: i32 = 11;
    /// GitHub rejected the token (401), or the token cannot be sent.
    pub const UNAUTHORIZED: i32 = 12;
    /// GitHub refused access (403): a permission is missing (`actions: read`).
    pub const FORBIDDEN: i32 = 13;
    /// The run, job or repository was not found, or is private and no token was given (404).
    pub const NOT_FOUND: i32 = 14;
    /// The logs have expired (410, the repository's retention period).
    pub const EXPIRED: i32 = 15;
    /// GitHub's API rate limit is exhausted.
    pub const RATE_LIMITED: i32 = 16;
    /// GitHub could not be reached (connection refused, DNS, TLS, timeout).
    pub const NETWORK: i32 = 17;
    /// GitHub kept failing (5xx after every retry) or answered something unexpected.
    pub const GITHUB: i32 = 18;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Patterns(#[from] LoadError),
    #[error("{0}")]
    Examples(String),
    #[error("cannot write the report: {0}")]
    Output(#[source] std::io::Error),
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    #[error(transparent)]
    Bot(Box<crate::bot::BotError>),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Source(_) => exit::INPUT,
            Error::Patterns(_) | Error::Examples(_) => exit::PATTERNS,
            Error::Output(_) => exit::FAILURE,
            Error::GitHub(e) => e.exit_code(),
            Error::Bot(e) => e.exit_code(),
        }
    }
}
