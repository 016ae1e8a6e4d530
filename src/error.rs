//! The error of an analysis: a source that cannot be read, a rule file that is
//! wrong, or GitHub. Library errors say what happened and what to do; they carry
//! no exit code (the binary maps each error to its own, in `main.rs`).

use crate::pattern::LoadError;
use crate::source::SourceError;
use crate::source::github::GitHubError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Patterns(#[from] LoadError),
    #[error(transparent)]
    GitHub(#[from] GitHubError),
}
