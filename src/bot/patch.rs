//! The patch a failure comment shows: the run's workflow file, the root
//! package.json and `.npmrc` read at the run's commit through the contents API,
//! `check` run on them in a temporary folder, and `check --fix`'s diff for the
//! findings that are the causes the log diagnosed. The bot has no checkout of the
//! repository, so what these three files do not show (composite actions, called
//! workflows, workspace packages, Node version files) gives no patch rather than a
//! wrong one; a file GitHub will not give (no `contents: read`, too large) gives
//! none either, and the comment is posted without it.

use std::path::Path;

use base64::Engine as _;
use serde::Deserialize;

use crate::source::github::Run;

use super::places::Api;

/// The files read besides the run's workflow.
const OTHER_FILES: &[&str] = &["package.json", ".npmrc"];

/// The cause families whose fixes `check --fix` writes.
const FIXABLE_FAMILIES: &[&str] = &["oidc/", "provenance/", "publish/", "npm-auth/"];

/// Most characters of diff shown (a larger one is left out).
pub const MAX_PATCH_CHARS: usize = 12_000;

/// What `check --fix` would change for the diagnosed causes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patch {
    /// The commit the files were read at.
    pub sha: String,
    /// The files read, relative to the repository root.
    pub files: Vec<String>,
    /// A unified diff.
    pub diff: String,
}

#[derive(Deserialize)]
struct Contents {
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    content: Option<String>,
}

/// A repository path safe to put in a route as it is.
fn plain_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.split('/').any(|p| p.is_empty() || p == "." || p == "..")
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
}

/// The file at `path` at commit `sha`, or `None` when GitHub will not give it.
async fn file(api: &Api<'_>, path: &str, sha: &str) -> Option<String> {
    if !plain_path(path) || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let route = format!("/repos/{}/contents/{path}?ref={sha}", api.repo);
    let c: Contents = api.gh.get_json(&route, &format!("{path} at {sha}"), api.repo).await.ok()?;
    if c.encoding.as_deref() != Some("base64") {
        return None;
    }
    let packed: String = c.content?.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(packed).ok()?).ok()
}

/// The web host the repository lives on, for the `origin` that `check` reads:
/// `https://HOST` for GitHub Enterprise Server's `https://HOST/api/v3`, else github.com.
fn web_host(api_url: &str) -> String {
    match api_url.trim_end_matches('/').strip_suffix("/api/v3") {
        Some(host) => host.to_string(),
        None => "https://github.com".to_string(),
    }
}

/// The patch for the causes `diagnosed`, when the run's files show one.
pub async fn suggest(api: &Api<'_>, meta: &Run, diagnosed: &[&str]) -> Option<Patch> {
    if !diagnosed.iter().any(|id| FIXABLE_FAMILIES.iter().any(|f| id.starts_with(f))) {
        return None;
    }
    let sha = meta.head_sha.clone()?;
    // A called workflow's path may carry its ref (`path@refs/heads/main`).
    let workflow = meta.path.as_deref()?.split('@').next()?.to_string();
    if !workflow.starts_with(".github/workflows/") {
        return None;
    }
    let mut files = vec![(workflow.clone(), file(api, &workflow, &sha).await?)];
    for other in OTHER_FILES {
        if let Some(text) = file(api, other, &sha).await {
            files.push((other.to_string(), text));
        }
    }
    let origin = format!("{}/{}/{}.git", web_host(&api.gh.settings().api_url), api.repo.owner, api.repo.name);
    let diff = diff_for(&files, &origin, diagnosed)?;
    (diff.chars().count() <= MAX_PATCH_CHARS).then(|| Patch {
        sha,
        files: files.into_iter().map(|(p, _)| p).collect(),
        diff,
    })
}

/// `check --fix`'s diff for the findings among `diagnosed`, on `files` laid out in
/// a temporary folder whose `origin` is `origin`.
fn diff_for(files: &[(String, String)], origin: &str, diagnosed: &[&str]) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    for (path, text) in files {
        let at = dir.path().join(path);
        std::fs::create_dir_all(at.parent()?).ok()?;
        std::fs::write(at, text).ok()?;
    }
    write_origin(dir.path(), origin).ok()?;
    let report = crate::check::check(dir.path());
    let edits: Vec<crate::check::fix::Edit> = report
        .findings
        .iter()
        .filter(|f| diagnosed.contains(&f.id.as_str()))
        .filter_map(|f| f.edit.clone())
        .filter(|e| files.iter().any(|(p, _)| p == e.file()))
        .collect();
    if edits.is_empty() {
        return None;
    }
    let (changes, _) = crate::check::fix::plan(dir.path(), &edits);
    let diff = crate::check::fix::diff(&changes);
    (!diff.is_empty()).then_some(diff)
}

fn write_origin(root: &Path, origin: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(root.join(".git"))?;
    std::fs::write(root.join(".git/config"), format!("[remote \"origin\"]\n\turl = {origin}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_reach_a_route() {
        assert!(plain_path(".github/workflows/release.yml"));
        assert!(plain_path("package.json"));
        assert!(!plain_path("../secrets"));
        assert!(!plain_path(".github/workflows/a b.yml"));
        assert!(!plain_path("a?ref=main"));
        assert!(!plain_path("/etc/passwd"));
    }

    #[test]
    fn hosts() {
        assert_eq!(web_host("https://api.github.com"), "https://github.com");
        assert_eq!(web_host("https://ghe.example.com/api/v3/"), "https://ghe.example.com");
    }

    #[test]
    fn the_diff_is_for_the_diagnosed_cause_only() {
        let workflow = "on: push\npermissions:\n  id-token: write\n  contents: read\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-node@v5\n        with:\n          node-version: '24'\n          registry-url: 'https://registry.npmjs.org'\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ''\n";
        let package = "{\n  \"name\": \"widget\",\n  \"version\": \"1.0.0\"\n}\n";
        let files = vec![
            (".github/workflows/release.yml".to_string(), workflow.to_string()),
            ("package.json".into(), package.into()),
        ];
        let origin = "https://github.com/octo-org/widget.git";
        let diff = diff_for(&files, origin, &["provenance/repository-url-missing"]).unwrap();
        assert!(
            diff.contains("+++ b/package.json") && diff.contains("git+https://github.com/octo-org/widget.git"),
            "{diff}"
        );
        assert!(!diff.contains("NODE_AUTH_TOKEN"), "{diff}");
        let diff = diff_for(&files, origin, &["oidc/empty-node-auth-token"]).unwrap();
        assert!(diff.contains("-          NODE_AUTH_TOKEN: ''") && !diff.contains("package.json"), "{diff}");
        assert!(diff_for(&files, origin, &["install/lockfile-out-of-sync"]).is_none());
    }
}
