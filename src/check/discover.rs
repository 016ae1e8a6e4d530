//! Finds and reads what `check` looks at: workflows, publishable package.json
//! files (workspaces included), `.npmrc`, Node version files, the lockfile's
//! release-tool versions and the `origin` remote (read from `.git/config`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::package::Package;
use super::workflow::WorkflowFile;
use super::{Finding, Severity};
use crate::source::github::{Repo, parse_remote};

/// Everything read from one repository.
#[derive(Debug, Default)]
pub struct Repository {
    pub root: PathBuf,
    pub workflows: Vec<WorkflowFile>,
    /// The root package.json, publishable or not (its scripts and workspaces).
    pub root_package: Option<Package>,
    /// Every package.json that is not `private: true`.
    pub packages: Vec<Package>,
    /// `.npmrc` at the root: `(relative path, text)`.
    pub npmrc: Option<(String, String)>,
    /// `.yarnrc.yml` at the root.
    pub yarnrc: Option<String>,
    /// The `origin` remote: `(host, owner/name)`.
    pub origin: Option<(String, Repo)>,
    /// Versions the lockfile records for the release tools (`lerna` -> `8.2.4`).
    pub locked: BTreeMap<String, String>,
    /// Files that could not be read or parsed, as findings.
    pub problems: Vec<Finding>,
}

impl Repository {
    /// The text of a file relative to the root, if present.
    pub fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(rel)).ok()
    }

    /// The package.json in folder `dir` (relative, `""` for the root).
    pub fn package_in(&self, dir: &str) -> Option<&Package> {
        let dir = dir.trim_start_matches("./").trim_end_matches('/');
        if dir.is_empty() || dir == "." {
            return self.root_package.as_ref();
        }
        self.packages.iter().find(|p| p.dir == dir)
    }
}

pub fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

pub fn discover(root: &Path) -> Repository {
    let mut repo = Repository { root: root.to_path_buf(), ..Repository::default() };
    repo.origin = origin(root);
    let wf_dir = root.join(".github").join("workflows");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&wf_dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    files.retain(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")));
    files.sort();
    for path in files {
        let rel = rel(root, &path);
        match WorkflowFile::load(&path, rel.clone()) {
            Ok(w) => {
                repo.problems.extend(w.skipped.iter().cloned());
                repo.workflows.push(w);
            }
            Err(f) => repo.problems.push(*f),
        }
    }
    // Packages: the root, then its workspaces.
    match Package::load(root, "") {
        Ok(Some(p)) => {
            let globs = p.workspaces();
            repo.root_package = Some(p);
            let mut dirs: Vec<String> = Vec::new();
            for g in globs.iter().chain(pnpm_workspaces(root).iter()) {
                dirs.extend(expand_glob(root, g));
            }
            dirs.sort();
            dirs.dedup();
            for dir in dirs {
                match Package::load(root, &dir) {
                    Ok(Some(p)) if !p.private => repo.packages.push(p),
                    Ok(_) => {}
                    Err(f) => repo.problems.push(*f),
                }
            }
            if let Some(rootp) = &repo.root_package {
                if !rootp.private {
                    repo.packages.insert(0, rootp.clone());
                }
            }
        }
        Ok(None) => {}
        Err(f) => repo.problems.push(*f),
    }
    if let Ok(text) = std::fs::read_to_string(root.join(".npmrc")) {
        repo.npmrc = Some((".npmrc".to_string(), text));
    }
    repo.yarnrc = std::fs::read_to_string(root.join(".yarnrc.yml")).ok();
    repo.locked = locked_versions(root);
    repo
}

/// `origin`'s URL from `.git/config` (a worktree's `.git` file points at the
/// common folder, which holds the config).
fn origin(root: &Path) -> Option<(String, Repo)> {
    let git = root.join(".git");
    let config = if git.is_file() {
        let text = std::fs::read_to_string(&git).ok()?;
        let dir = PathBuf::from(text.trim().strip_prefix("gitdir:")?.trim());
        let dir = if dir.is_absolute() { dir } else { root.join(dir) };
        let common = std::fs::read_to_string(dir.join("commondir"))
            .ok()
            .map(|c| {
                let c = PathBuf::from(c.trim());
                if c.is_absolute() { c } else { dir.join(c) }
            })
            .unwrap_or(dir);
        std::fs::read_to_string(common.join("config")).ok()?
    } else {
        std::fs::read_to_string(git.join("config")).ok()?
    };
    parse_remote(&origin_url(&config)?)
}

/// The `url` of `[remote "origin"]` in a git config file.
pub fn origin_url(config: &str) -> Option<String> {
    let mut in_origin = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let section: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            in_origin = section == "[remote\"origin\"]";
        } else if in_origin {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == "url" {
                    return Some(v.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    None
}

/// `packages:` of `pnpm-workspace.yaml`.
fn pnpm_workspaces(root: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(root.join("pnpm-workspace.yaml")) else { return Vec::new() };
    #[derive(serde::Deserialize)]
    struct Ws {
        #[serde(default)]
        packages: Vec<String>,
    }
    yaml_serde::from_str::<Ws>(&text).map(|w| w.packages).unwrap_or_default()
}

/// Folders matching a workspace glob: `packages/*`, `packages/**`, `tools/cli`.
/// `!` globs are ignored (they only exclude).
fn expand_glob(root: &Path, glob: &str) -> Vec<String> {
    let glob = glob.trim().trim_start_matches("./").trim_end_matches('/');
    if glob.starts_with('!') || glob.is_empty() {
        return Vec::new();
    }
    let mut current = vec![String::new()];
    for part in glob.split('/') {
        let mut next = Vec::new();
        for base in &current {
            if part == "*" || part == "**" {
                let dir = root.join(base);
                let Ok(entries) = std::fs::read_dir(&dir) else { continue };
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .filter(|n| n != "node_modules" && !n.starts_with('.'))
                    .collect();
                names.sort();
                for n in names {
                    next.push(join(base, &n));
                }
            } else if part.contains('*') {
                let (pre, post) = part.split_once('*').unwrap_or((part, ""));
                let Ok(entries) = std::fs::read_dir(root.join(base)) else { continue };
                for e in entries.filter_map(|e| e.ok()) {
                    if let Some(n) = e.file_name().to_str() {
                        if e.path().is_dir() && n.starts_with(pre) && n.ends_with(post) {
                            next.push(join(base, n));
                        }
                    }
                }
            } else {
                next.push(join(base, part));
            }
        }
        current = next;
    }
    current.retain(|d| root.join(d).join("package.json").is_file());
    current
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() { name.to_string() } else { format!("{base}/{name}") }
}

/// The release tools whose version decides OIDC, as the lockfile records them
/// (package-lock.json v2/v3 `packages["node_modules/<name>"].version`; pnpm-lock.yaml
/// and yarn.lock by a line scan).
const RELEASE_TOOLS: &[&str] =
    &["lerna", "semantic-release", "@semantic-release/npm", "@changesets/cli", "pnpm", "npm"];

fn locked_versions(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(text) = std::fs::read_to_string(root.join("package-lock.json")) {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
            for tool in RELEASE_TOOLS {
                let key = format!("node_modules/{tool}");
                if let Some(v) =
                    json.pointer(&format!("/packages/{}", key.replace('/', "~1"))).and_then(|p| p.get("version"))
                {
                    if let Some(v) = v.as_str() {
                        out.insert(tool.to_string(), v.to_string());
                    }
                }
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("pnpm-lock.yaml")) {
        // `  /lerna@8.2.4:` (v6) or `  lerna@8.2.4:` (v9 `packages:`).
        for line in text.lines() {
            let l = line.trim().trim_start_matches('/').trim_matches(['\'', ':']);
            for tool in RELEASE_TOOLS {
                if let Some(rest) = l.strip_prefix(&format!("{tool}@")) {
                    let ver: String =
                        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
                    if super::node::version(&ver).is_some() {
                        out.entry(tool.to_string()).or_insert(ver);
                    }
                }
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("yarn.lock")) {
        let mut current: Option<&str> = None;
        for line in text.lines() {
            if !line.starts_with(' ') && !line.is_empty() {
                let head = line.trim_start_matches('"');
                current = RELEASE_TOOLS.iter().copied().find(|t| head.starts_with(&format!("{t}@")));
            } else if let Some(tool) = current {
                let l = line.trim();
                if let Some(ver) = l.strip_prefix("version ").or_else(|| l.strip_prefix("version: ")) {
                    out.entry(tool.to_string()).or_insert(ver.trim_matches('"').to_string());
                    current = None;
                }
            }
        }
    }
    out
}

/// A finding for a file that could not be parsed.
pub fn parse_problem(file: String, line: usize, column: usize, what: &str, error: String) -> Finding {
    Finding {
        id: "check/unreadable-file".to_string(),
        severity: Severity::Error,
        file,
        line: line.max(1),
        column: column.max(1),
        message: format!("this {what} could not be parsed: {error}"),
        fix: format!("Fix the {what} syntax at this line; the other files were still checked."),
        edit: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_url_from_git_config() {
        let cfg = "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = x\n[remote \"origin\"]\n\turl = git@github.com:Owner/Repo.git\n";
        assert_eq!(origin_url(cfg).as_deref(), Some("git@github.com:Owner/Repo.git"));
    }
}
