//! `npm-logdoc check`: reads a repository (workflows, package.json files, .npmrc,
//! Node version files, the origin remote) and names the publish failures that are
//! coming, with the same cause ids `analyze` gives after the fact.
//!
//! The stages: [`discover`] finds the files and reads them into a [`discover::Repository`];
//! [`workflow`] turns each workflow into jobs and steps and finds the ones that
//! publish; [`checks`] turns those into [`Finding`]s; [`fix`] turns the mechanical
//! ones into edits; [`render`] prints them.

pub mod checks;
pub mod discover;
pub mod fix;
pub mod node;
pub mod online;
pub mod package;
pub mod render;
pub mod workflow;

use std::path::{Path, PathBuf};

use serde::Serialize;

/// How bad a finding is: `error` means the publish will fail as configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One thing `check` found, at a place in a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// A cause id (`oidc/missing-id-token-permission`), or `check/...` for a file
    /// that could not be read.
    pub id: String,
    pub severity: Severity,
    /// Path relative to the repository root, with `/`.
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    pub message: String,
    pub fix: String,
    /// The edit `--fix` makes for it, when the fix is mechanical.
    pub edit: Option<fix::Edit>,
}

/// What `check` found in one repository.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub root: PathBuf,
    pub findings: Vec<Finding>,
}

impl CheckReport {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Arguments of `npm-logdoc check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The repository to check [default: the git repository around the current folder].
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: render::CheckFormat,
    /// Print the edits for the mechanical fixes as a unified diff (nothing is written).
    #[arg(long)]
    pub fix: bool,
    /// With `--fix`: apply the edits to the files.
    #[arg(long, requires = "fix")]
    pub write: bool,
    /// Also ask the registry whether each package exists (trusted publishing
    /// cannot create one). Off by default: nothing else leaves the machine.
    #[arg(long)]
    pub online: bool,
    /// The registry `--online` asks.
    #[arg(long, value_name = "URL", default_value = online::DEFAULT_REGISTRY, requires = "online")]
    pub registry: String,
}

pub const CHECK_EXAMPLES: &str = "\
Examples:
  npm-logdoc check                       the repository around the current folder
  npm-logdoc check path/to/repo --format json
  npm-logdoc check --format github       annotations on the workflow lines (in CI)
  npm-logdoc check --format sarif > check.sarif
  npm-logdoc check --fix                 show the edits as a diff
  npm-logdoc check --fix --write         apply them

Exit status: 0 when nothing is at error level, 1 otherwise.";

/// The repository root for `path`: `path` itself when it holds `.github/workflows`,
/// else the nearest folder at or above it holding `.git`, else `path`.
pub fn find_root(path: &Path) -> PathBuf {
    let start = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if start.join(".github").join("workflows").is_dir() {
        return start;
    }
    let mut dir = start.as_path();
    loop {
        if dir.join(".git").exists() {
            return dir.to_path_buf();
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => return start,
        }
    }
}

/// Runs every check on the repository at `root`.
pub fn check(root: &Path) -> CheckReport {
    check_with(root, None)
}

/// Runs every check; `registry` (with `--online`) is asked which packages exist.
pub fn check_with(root: &Path, registry: Option<&str>) -> CheckReport {
    let repo = discover::discover(root);
    let mut findings = repo.problems.clone();
    let missing: Vec<String> = match registry {
        Some(url) => {
            let names: Vec<String> = repo.packages.iter().filter_map(|p| p.name.clone()).collect();
            match online::exists(url, &names) {
                Ok(found) => found.into_iter().filter(|(_, there)| !there).map(|(n, _)| n).collect(),
                Err(why) => {
                    findings.push(Finding {
                        id: "check/online-failed".into(),
                        severity: Severity::Warning,
                        file: "package.json".into(),
                        line: 1,
                        column: 1,
                        message: format!("--online could not ask the registry: {why}"),
                        fix: "Check the network or --registry, or run without --online.".into(),
                        edit: None,
                    });
                    Vec::new()
                }
            }
        }
        None => Vec::new(),
    };
    findings.extend(checks::run_with(&repo, &missing));
    // Errors first, then warnings, then notes; by place within each.
    findings.sort_by(|a, b| {
        (std::cmp::Reverse(a.severity), &a.file, a.line, a.column, &a.id).cmp(&(
            std::cmp::Reverse(b.severity),
            &b.file,
            b.line,
            b.column,
            &b.id,
        ))
    });
    findings.dedup_by(|a, b| a.id == b.id && a.file == b.file && a.line == b.line && a.message == b.message);
    CheckReport { root: root.to_path_buf(), findings }
}

/// Why `check` could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{}: not a folder (give the repository to check)", .0.display())]
    NotAFolder(PathBuf),
    #[error("cannot write the fixes: {0}")]
    Write(#[source] std::io::Error),
}

/// `npm-logdoc check` as the binary runs it: the text for standard output, and
/// whether a finding is at error level (the binary then exits 1).
pub fn command(args: &CheckArgs) -> Result<(String, bool), CheckError> {
    let start = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if !start.is_dir() {
        return Err(CheckError::NotAFolder(start));
    }
    let root = find_root(&start);
    let registry = args.online.then_some(args.registry.as_str());
    let report = check_with(&root, registry);
    let code = |r: &CheckReport| r.has_errors();
    if !args.fix {
        return Ok((render::render(&report, args.format), code(&report)));
    }
    let edits: Vec<fix::Edit> = report.findings.iter().filter_map(|f| f.edit.clone()).collect();
    let (changes, failed) = fix::plan(&root, &edits);
    let mut out = fix::diff(&changes);
    for f in &failed {
        out.push_str(&format!("npm-logdoc check --fix: could not edit {f}\n"));
    }
    if changes.is_empty() {
        out.push_str("npm-logdoc check --fix: nothing to edit mechanically\n");
    }
    if !args.write {
        if !changes.is_empty() {
            out.push_str(&format!(
                "npm-logdoc check --fix: {} file(s) would change; run with --write to apply\n",
                changes.len()
            ));
        }
        return Ok((out, code(&report)));
    }
    fix::write(&root, &changes).map_err(CheckError::Write)?;
    out.push_str(&format!("npm-logdoc check --fix: wrote {} file(s)\n", changes.len()));
    let after = check_with(&root, registry);
    out.push_str(&render::render(&after, args.format));
    Ok((out, code(&after)))
}

/// For `analyze`: when a diagnosed cause has a mechanical fix that `check --fix`
/// would write in the repository around `cwd`, a sentence saying so.
pub fn analyze_hint(diagnosed: &[&str], cwd: &Path) -> Option<String> {
    let root = find_root(cwd);
    if !root.join(".git").exists() || !root.join(".github").join("workflows").is_dir() {
        return None;
    }
    let report = check(&root);
    let mut ids: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.edit.is_some() && diagnosed.contains(&f.id.as_str()))
        .map(|f| f.id.as_str())
        .collect();
    ids.dedup();
    if ids.is_empty() {
        return None;
    }
    Some(format!(
        "`npm-logdoc check --fix` shows the edit for {} in this repository (`--fix --write` applies it)",
        ids.join(", ")
    ))
}
