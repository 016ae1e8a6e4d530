//! Where logs come from: standard input, a plain log file, a run-log archive
//! (`.zip` as GitHub serves it) or the folder it unpacks to, and runs on GitHub
//! ([`github`]). Each source becomes one or more jobs, streamed segment by segment
//! into the scanner; nothing here holds a whole log in memory.

mod archive;
pub mod github;
mod sniff;

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::scan::{JobScan, Matcher, ScanError};

pub use archive::{Archive, ArchiveLimits, Capped, JobFiles, Layout, scan_folder, scan_zip};

/// One log source named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    Path(PathBuf),
}

impl Source {
    /// `-` is standard input; anything else a path.
    pub fn parse(arg: &str) -> Source {
        if arg == "-" { Source::Stdin } else { Source::Path(PathBuf::from(arg)) }
    }
}

/// Why a source could not be read. Each says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: no such file or folder")]
    NotFound { path: String },
    #[error("{path}: cannot read: {source}")]
    Unreadable { path: String, source: io::Error },
    #[error("{path}: {what}")]
    Binary { path: String, what: String },
    #[error("{path}: not a readable log archive: {reason}")]
    BadArchive { path: String, reason: String },
    #[error("{path}: {reason}")]
    TooLarge { path: String, reason: String },
    #[error("{path}: the folder holds no log files (*.txt or *.log)")]
    EmptyFolder { path: String },
}

impl SourceError {
    pub(crate) fn from_scan(path: &str, e: ScanError) -> SourceError {
        match e {
            ScanError::Io(source) => SourceError::Unreadable { path: path.to_string(), source },
            ScanError::Binary => SourceError::Binary { path: path.to_string(), what: e.to_string() },
        }
    }
}

fn not_text(path: &str, e: sniff::NotText) -> SourceError {
    match e {
        sniff::NotText::Io(source) => SourceError::Unreadable { path: path.to_string(), source },
        sniff::NotText::Binary(what) => SourceError::Binary { path: path.to_string(), what },
    }
}

/// Whether the bytes start like a zip archive.
fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Scans one local source into jobs.
pub fn scan(source: &Source, matcher: &Matcher, limits: &ArchiveLimits) -> Result<Vec<JobScan>, SourceError> {
    scan_noting(source, matcher, limits, &mut Vec::new())
}

/// [`scan`], with what was skipped said in `notes` (a binary entry of an archive
/// or a binary file of a folder; the rest is analysed).
pub fn scan_noting(
    source: &Source,
    matcher: &Matcher,
    limits: &ArchiveLimits,
    notes: &mut Vec<String>,
) -> Result<Vec<JobScan>, SourceError> {
    match source {
        Source::Stdin => {
            // Whether standard input is a terminal is the CLI's question (`cli.rs`).
            let stdin = io::stdin();
            let mut text = sniff::text(Vec::new(), stdin.lock(), "stdin", notes).map_err(|e| not_text("stdin", e))?;
            scan_reader("stdin", None, &mut text, matcher)
        }
        Source::Path(path) => scan_path_noting(path, matcher, limits, notes),
    }
}

/// Scans a file (plain or zip) or a folder.
pub fn scan_path(path: &Path, matcher: &Matcher, limits: &ArchiveLimits) -> Result<Vec<JobScan>, SourceError> {
    scan_path_noting(path, matcher, limits, &mut Vec::new())
}

fn scan_path_noting(
    path: &Path,
    matcher: &Matcher,
    limits: &ArchiveLimits,
    notes: &mut Vec<String>,
) -> Result<Vec<JobScan>, SourceError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => SourceError::NotFound { path: shown.clone() },
        _ => SourceError::Unreadable { path: shown.clone(), source: e },
    })?;
    if meta.is_dir() {
        return archive::scan_folder_noting(path, matcher, notes);
    }
    // Opened once: a FIFO or `<(cmd)` can be read only once, so the sniffed bytes
    // are read again from memory, never by reopening.
    let unreadable = |e: io::Error| SourceError::Unreadable { path: shown.clone(), source: e };
    let mut file = File::open(path).map_err(unreadable)?;
    let mut head = vec![0u8; sniff::HEAD];
    let n = sniff::read_up_to(&mut file, &mut head).map_err(unreadable)?;
    head.truncate(n);
    if is_zip(&head) {
        if meta.is_file() {
            file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
            return archive::scan_zip_file(file, &shown, matcher, limits, notes);
        }
        // A zip from a pipe: spooled to a temporary file (a zip is read from its
        // end), under the archive's size cap.
        let mut spool = tempfile::tempfile().map_err(unreadable)?;
        spool.write_all(&head).map_err(unreadable)?;
        let copied = io::copy(&mut (&mut file).take(limits.max_total_bytes), &mut spool).map_err(unreadable)?;
        if copied >= limits.max_total_bytes {
            return Err(SourceError::TooLarge {
                path: shown,
                reason: format!("the archive is over the {} MiB cap", limits.max_total_bytes >> 20),
            });
        }
        spool.seek(SeekFrom::Start(0)).map_err(unreadable)?;
        return archive::scan_zip_file(spool, &shown, matcher, limits, notes);
    }
    let mut text = sniff::text(head, file, &shown, notes).map_err(|e| not_text(&shown, e))?;
    scan_reader(&shown, Some(display_name(path)), &mut text, matcher)
}

/// Scans a plain log stream (possibly `gh run view --log` output with several jobs).
pub fn scan_reader(
    origin: &str,
    name: Option<String>,
    reader: &mut dyn Read,
    matcher: &Matcher,
) -> Result<Vec<JobScan>, SourceError> {
    let mut job = matcher.job(name, origin.to_string());
    job.feed(None, reader).map_err(|e| SourceError::from_scan(origin, e))?;
    Ok(job.finish())
}
