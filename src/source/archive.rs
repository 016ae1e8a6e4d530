//! The run-log archive GitHub serves (`GET /runs/{id}/logs`) and the folder it
//! unpacks to: top-level `<N>_<job>.txt` whole-job logs and `<job>/<N>_<step>.txt`
//! step logs, either of which may be missing. Step files win when a job has them
//! (they name each step exactly); the whole-job file is the fallback.
//!
//! Entries are inflated as streams, never into memory, under caps on entry count
//! and total inflated size that a zip bomb hits at once (declared sizes are
//! checked before anything is inflated, and actual bytes are counted as they come).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

use crate::scan::{JobScan, Matcher};

use super::SourceError;

/// Caps for archives.
#[derive(Clone, Copy, Debug)]
pub struct ArchiveLimits {
    pub max_entries: usize,
    pub max_total_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> ArchiveLimits {
        ArchiveLimits { max_entries: 10_000, max_total_bytes: 8 << 30 }
    }
}

/// How the files of one job are laid out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Job name to (whole-job file, step files ordered by step number).
    pub jobs: BTreeMap<String, JobFiles>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobFiles {
    /// Order of the job in the run (the `N_` of its whole-job file).
    pub order: Option<u64>,
    pub whole: Option<String>,
    /// `(step number, step name, entry path)`.
    pub steps: Vec<(u64, String, String)>,
}

/// `12_Publish to npm.txt` to `(12, "Publish to npm")`.
fn numbered(file: &str) -> Option<(u64, String)> {
    let stem = file.strip_suffix(".txt")?;
    let (n, name) = stem.split_once('_')?;
    Some((n.parse().ok()?, name.to_string()))
}

impl Layout {
    /// Sorts entry paths (with `/` separators) into jobs. Other files are ignored.
    pub fn from_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Layout {
        let mut layout = Layout::default();
        for path in paths {
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            match parts.as_slice() {
                [file] => {
                    if let Some((n, job)) = numbered(file) {
                        let entry = layout.jobs.entry(job).or_default();
                        entry.order = Some(n);
                        entry.whole = Some(path.to_string());
                    } else if file.ends_with(".txt") || file.ends_with(".log") {
                        let job = file.trim_end_matches(".txt").trim_end_matches(".log").to_string();
                        layout.jobs.entry(job).or_default().whole.get_or_insert_with(|| path.to_string());
                    }
                }
                [job, file] => {
                    if let Some((n, step)) = numbered(file) {
                        layout.jobs.entry((*job).to_string()).or_default().steps.push((n, step, path.to_string()));
                    }
                }
                _ => {}
            }
        }
        for files in layout.jobs.values_mut() {
            files.steps.sort_by_key(|(n, _, _)| *n);
        }
        layout
    }

    /// Jobs in run order, each with the entries to read: `(step name, path)`.
    pub fn plan(&self) -> Vec<(String, Vec<Segment>)> {
        let mut jobs: Vec<(&String, &JobFiles)> = self.jobs.iter().collect();
        jobs.sort_by_key(|(name, f)| (f.order.unwrap_or(u64::MAX), (*name).clone()));
        jobs.into_iter()
            .filter_map(|(name, files)| {
                let segments: Vec<Segment> = if !files.steps.is_empty() {
                    files.steps.iter().map(|(_, step, path)| (Some(step.clone()), path.clone())).collect()
                } else {
                    files.whole.iter().map(|p| (None, p.clone())).collect()
                };
                (!segments.is_empty()).then(|| (name.clone(), segments))
            })
            .collect()
    }
}

/// One file to read for a job: the step it holds (when known) and its path.
pub type Segment = (Option<String>, String);

/// Counts bytes and fails past a cap, so a lying header cannot inflate forever.
/// The budget is shared by every entry of one archive.
pub struct Capped<'a, R> {
    inner: R,
    left: &'a mut u64,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > *self.left {
            return Err(io::Error::other("the archive inflates past the size cap (a zip bomb?)"));
        }
        *self.left -= n as u64;
        Ok(n)
    }
}

/// An opened run-log archive: its entries sorted into a [`Layout`], read one by
/// one under the caps. `scan` reads it the way `analyze logs.zip` does; the GitHub
/// source reads entries itself to name steps after the API's step list.
pub struct Archive<R: Read + Seek> {
    zip: zip::ZipArchive<R>,
    layout: Layout,
    shown: String,
    left: u64,
}

impl<R: Read + Seek> Archive<R> {
    /// Opens `reader` as a zip, checking entry count and declared sizes before
    /// anything is inflated. `shown` names the archive in messages.
    pub fn new(reader: R, shown: &str, limits: &ArchiveLimits) -> Result<Archive<R>, SourceError> {
        let bad = |reason: String| SourceError::BadArchive { path: shown.to_string(), reason };
        let mut zip = zip::ZipArchive::new(reader).map_err(|e| bad(e.to_string()))?;
        if zip.len() > limits.max_entries {
            return Err(SourceError::TooLarge {
                path: shown.to_string(),
                reason: format!(
                    "the archive has {} entries, more than the {} a run's logs can have",
                    zip.len(),
                    limits.max_entries
                ),
            });
        }
        let mut declared = 0u64;
        let mut names = Vec::with_capacity(zip.len());
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i).map_err(|e| bad(e.to_string()))?;
            declared = declared.saturating_add(entry.size());
            names.push(entry.name().map_err(|e| bad(e.to_string()))?.replace('\\', "/"));
        }
        if declared > limits.max_total_bytes {
            return Err(SourceError::TooLarge {
                path: shown.to_string(),
                reason: format!(
                    "the archive would inflate to {} MiB, over the {} MiB cap",
                    declared >> 20,
                    limits.max_total_bytes >> 20
                ),
            });
        }
        let layout = Layout::from_paths(names.iter().map(String::as_str));
        if layout.plan().is_empty() {
            return Err(bad("it holds no job logs (`<N>_<job>.txt` or `<job>/<N>_<step>.txt`)".into()));
        }
        Ok(Archive { zip, layout, shown: shown.to_string(), left: limits.max_total_bytes })
    }

    /// How the archive's files are laid out.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The archive's name in messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Inflates one entry as a stream, counted against the archive's size cap.
    pub fn entry(&mut self, path: &str) -> Result<Capped<'_, zip::read::ZipFile<'_, R>>, SourceError> {
        let Archive { zip, shown, left, .. } = self;
        let inner = zip
            .by_name(path)
            .map_err(|e| SourceError::BadArchive { path: shown.clone(), reason: format!("{path}: {e}") })?;
        Ok(Capped { inner, left })
    }

    /// Scans every job: step files when a job has them, else its whole-job file.
    pub fn scan(self, matcher: &Matcher) -> Result<Vec<JobScan>, SourceError> {
        self.scan_noting(matcher, &mut Vec::new())
    }

    /// [`Archive::scan`], skipping a binary entry with a note in `notes` (the rest
    /// is analysed); only an archive whose every entry is binary is an error.
    pub fn scan_noting(mut self, matcher: &Matcher, notes: &mut Vec<String>) -> Result<Vec<JobScan>, SourceError> {
        let plan = self.layout.plan();
        let mut scans = Vec::new();
        let mut skipped = None;
        for (job, segments) in plan {
            let mut scanner = matcher.job(Some(job.clone()), format!("{}:{job}", self.shown));
            let mut fed = 0;
            for (step, entry) in segments {
                let origin = format!("{}:{entry}", self.shown);
                let reader = self.entry(&entry)?;
                fed += feed_noting(&mut scanner, step.as_deref(), reader, &origin, notes, &mut skipped)?;
            }
            if fed > 0 {
                scans.extend(scanner.finish());
            }
        }
        all_skipped(scans, skipped, notes)
    }
}

/// Feeds one entry or file, read as [`sniff::text`] decides; `Some(what)` when
/// it is binary (and nothing was fed).
fn feed(
    scanner: &mut crate::scan::JobScanner<'_>,
    step: Option<&str>,
    reader: impl Read,
    origin: &str,
    notes: &mut Vec<String>,
) -> Result<Option<String>, SourceError> {
    let mut text = match super::sniff::text(Vec::new(), reader, origin, notes) {
        Ok(text) => text,
        Err(super::sniff::NotText::Binary(what)) => return Ok(Some(what)),
        Err(super::sniff::NotText::Io(source)) => {
            return Err(SourceError::Unreadable { path: origin.to_string(), source });
        }
    };
    match scanner.feed(step, &mut text) {
        Ok(()) => Ok(None),
        Err(e @ crate::scan::ScanError::Binary) => Ok(Some(e.to_string())),
        Err(e) => Err(SourceError::from_scan(origin, e)),
    }
}

/// Scans a run-log zip.
pub fn scan_zip(path: &Path, matcher: &Matcher, limits: &ArchiveLimits) -> Result<Vec<JobScan>, SourceError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| SourceError::Unreadable { path: shown.clone(), source: e })?;
    scan_zip_file(file, &shown, matcher, limits, &mut Vec::new())
}

/// Scans a run-log zip already open (`shown` names it in messages); binary
/// entries are skipped with a note.
pub(crate) fn scan_zip_file(
    file: File,
    shown: &str,
    matcher: &Matcher,
    limits: &ArchiveLimits,
    notes: &mut Vec<String>,
) -> Result<Vec<JobScan>, SourceError> {
    Archive::new(BufReader::new(file), shown, limits)?.scan_noting(matcher, notes)
}

/// Scans an unpacked archive, or any folder of `.txt` / `.log` job logs.
pub fn scan_folder(dir: &Path, matcher: &Matcher) -> Result<Vec<JobScan>, SourceError> {
    scan_folder_noting(dir, matcher, &mut Vec::new())
}

/// [`scan_folder`], skipping a binary file with a note (as [`Archive::scan_noting`]).
pub(crate) fn scan_folder_noting(
    dir: &Path,
    matcher: &Matcher,
    notes: &mut Vec<String>,
) -> Result<Vec<JobScan>, SourceError> {
    let shown = dir.display().to_string();
    let unreadable = |e: io::Error| SourceError::Unreadable { path: shown.clone(), source: e };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ty = entry.file_type().map_err(unreadable)?;
        if ty.is_dir() {
            for sub in std::fs::read_dir(entry.path()).map_err(unreadable)? {
                let sub = sub.map_err(unreadable)?;
                if sub.file_type().map_err(unreadable)?.is_file() {
                    paths.push(format!("{name}/{}", sub.file_name().to_string_lossy()));
                }
            }
        } else if ty.is_file() {
            paths.push(name);
        }
    }
    let layout = Layout::from_paths(paths.iter().map(String::as_str));
    let plan = layout.plan();
    if plan.is_empty() {
        return Err(SourceError::EmptyFolder { path: shown });
    }
    let mut scans = Vec::new();
    let mut skipped = None;
    for (job, segments) in plan {
        let mut scanner = matcher.job(Some(job.clone()), format!("{shown}/{job}"));
        let mut fed = 0;
        for (step, rel) in segments {
            let full = dir.join(&rel);
            let origin = full.display().to_string();
            let file = File::open(&full).map_err(|e| SourceError::Unreadable { path: origin.clone(), source: e })?;
            fed += feed_noting(&mut scanner, step.as_deref(), file, &origin, notes, &mut skipped)?;
        }
        if fed > 0 {
            scans.extend(scanner.finish());
        }
    }
    all_skipped(scans, skipped, notes)
}

/// [`feed`], noting a binary segment as skipped (the first such one is the error if
/// nothing else was read); 1 when the segment was read.
fn feed_noting(
    scanner: &mut crate::scan::JobScanner<'_>,
    step: Option<&str>,
    reader: impl Read,
    origin: &str,
    notes: &mut Vec<String>,
    skipped: &mut Option<SourceError>,
) -> Result<usize, SourceError> {
    match feed(scanner, step, reader, origin, notes)? {
        Some(what) => {
            notes.push(format!("{origin}: skipped, {what}"));
            skipped.get_or_insert_with(|| SourceError::Binary { path: origin.to_string(), what });
            Ok(0)
        }
        None => Ok(1),
    }
}

/// The scans, or the first skipped segment's error when every segment was skipped.
fn all_skipped(
    scans: Vec<JobScan>,
    skipped: Option<SourceError>,
    notes: &mut Vec<String>,
) -> Result<Vec<JobScan>, SourceError> {
    match skipped {
        Some(e) if scans.is_empty() => {
            notes.clear();
            Err(e)
        }
        _ => Ok(scans),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_step_files_and_falls_back_to_whole_job_logs() {
        let layout = Layout::from_paths([
            "0_build.txt",
            "1_release.txt",
            "release/1_Set up job.txt",
            "release/12_Publish to npm.txt",
            "release/2_Run actions_checkout@v4.txt",
            "release/system.txt",
            "2_only-steps/x.txt",
            "lint/3_Run eslint.txt",
        ]);
        let plan = layout.plan();
        let names: Vec<&str> = plan.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["build", "release", "lint"]);
        assert_eq!(plan[0].1, [(None, "0_build.txt".to_string())]);
        let steps: Vec<Option<&str>> = plan[1].1.iter().map(|(s, _)| s.as_deref()).collect();
        assert_eq!(steps, [Some("Set up job"), Some("Run actions_checkout@v4"), Some("Publish to npm")]);
    }
}
