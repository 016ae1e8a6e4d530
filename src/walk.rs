//! Bounded walks of a folder someone else filled (`--patterns DIR`): regular
//! files only (a FIFO named `x.toml` would block the read forever), symlinked
//! folders followed only while they stay inside the folder (a link to `/` would
//! walk the whole filesystem) and each folder visited once (a link loop), under
//! caps on depth and on entries seen (`/proc/self` is a folder too).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// How far a walk may go.
#[derive(Clone, Copy, Debug)]
pub struct WalkLimits {
    /// Folders below the top one.
    pub max_depth: usize,
    /// Directory entries looked at, in all.
    pub max_entries: usize,
}

impl Default for WalkLimits {
    fn default() -> WalkLimits {
        WalkLimits { max_depth: 8, max_entries: 20_000 }
    }
}

/// The `*.toml` files under `dir`, sorted, by [`files`] with the default limits:
/// a drop-in for the rule loader's folder listing.
pub fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    files(dir, "toml", &WalkLimits::default())
}

/// The regular files under `dir` whose extension is `ext`, sorted; symlinks to
/// files are followed when the file is inside `dir`.
pub fn files(dir: &Path, ext: &str, limits: &WalkLimits) -> Result<Vec<PathBuf>, String> {
    let root = dir.canonicalize().map_err(|e| format!("cannot read patterns folder: {e}"))?;
    if !root.is_dir() {
        return Err("cannot read patterns folder: not a folder".into());
    }
    let mut walk = Walk { root: root.clone(), ext, limits: *limits, seen: 0, visited: HashSet::new(), out: Vec::new() };
    walk.visited.insert(root);
    walk.dir(dir, 0)?;
    walk.out.sort();
    Ok(walk.out)
}

struct Walk<'a> {
    /// `dir`, canonical: nothing outside it is read.
    root: PathBuf,
    ext: &'a str,
    limits: WalkLimits,
    seen: usize,
    /// Canonical folders already walked (a symlink loop ends here).
    visited: HashSet<PathBuf>,
    out: Vec<PathBuf>,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, depth: usize) -> Result<(), String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read patterns folder {}: {e}", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            self.seen += 1;
            if self.seen > self.limits.max_entries {
                return Err(format!(
                    "more than {} entries under the patterns folder: is it the right folder?",
                    self.limits.max_entries
                ));
            }
            // Not followed yet: what the entry itself is.
            let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
            let (is_dir, is_file) = if meta.file_type().is_symlink() {
                // A link counts only when its target is inside the folder.
                let Ok(target) = path.canonicalize() else { continue };
                if !target.starts_with(&self.root) {
                    continue;
                }
                match std::fs::metadata(&target) {
                    Ok(m) => (m.is_dir(), m.is_file()),
                    Err(_) => continue,
                }
            } else {
                (meta.is_dir(), meta.is_file())
            };
            if is_dir {
                if depth >= self.limits.max_depth {
                    continue;
                }
                let Ok(canonical) = path.canonicalize() else { continue };
                if self.visited.insert(canonical) {
                    self.dir(&path, depth + 1)?;
                }
            } else if is_file && path.extension().is_some_and(|e| e == self.ext) {
                self.out.push(path);
            }
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }

    #[test]
    fn only_regular_files_inside_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("rules");
        touch(&dir.join("a/one.toml"));
        touch(&dir.join("a/notes.md"));
        touch(&dir.join("b/c/two.toml"));
        touch(&tmp.path().join("outside/three.toml"));
        // A FIFO named like a rule, a link to /, a link out of the folder, a loop,
        // a link to a rule inside.
        assert!(std::process::Command::new("mkfifo").arg(dir.join("a/fifo.toml")).status().unwrap().success());
        symlink("/", dir.join("root")).unwrap();
        symlink(tmp.path().join("outside"), dir.join("out")).unwrap();
        symlink(&dir, dir.join("b/loop")).unwrap();
        symlink(dir.join("a/one.toml"), dir.join("b/again.toml")).unwrap();
        let got = rule_files(&dir).unwrap();
        let rel: Vec<String> =
            got.iter().map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(rel, ["a/one.toml", "b/again.toml", "b/c/two.toml"]);
    }

    #[test]
    fn the_walk_is_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let mut deep = tmp.path().to_path_buf();
        for i in 0..12 {
            deep = deep.join(format!("d{i}"));
        }
        touch(&deep.join("deep.toml"));
        touch(&tmp.path().join("d0/shallow.toml"));
        let got = rule_files(tmp.path()).unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        let limits = WalkLimits { max_depth: 8, max_entries: 5 };
        assert!(files(tmp.path(), "toml", &limits).unwrap_err().contains("more than 5 entries"));
    }

    #[test]
    fn proc_self_ends() {
        if Path::new("/proc/self").is_dir() {
            // Either it lists what is there or it stops at the cap; it never hangs
            // in /proc/self/root or a FIFO.
            let _ = rule_files(Path::new("/proc/self"));
        }
    }
}
