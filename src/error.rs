//! The errors that reach the user, each mapped to its own exit code.

use crate::pattern::LoadError;
use crate::source::SourceError;

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
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Source(_) => exit::INPUT,
            Error::Patterns(_) | Error::Examples(_) => exit::PATTERNS,
            Error::Output(_) => exit::FAILURE,
        }
    }
}
