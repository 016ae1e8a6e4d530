//! Bounded walks of a folder someone else filled (`--patterns DIR`): regular
//! files only (a FIFO named `x.toml` would block the read forever), symlinked
//! folders followed only while they stay inside the folder (a link to `/` would
//! walk the whole filesystem) and each folder visited once (a link loop), under
//! caps on depth and on entries seen (`/proc/self` is a folder too).

use std::cell::Cell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

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
    let too_many =
        || format!("more than {} entries under the patterns folder: is it the right folder?", limits.max_entries);
    let seen = Cell::new(0usize);
    // Canonical folders already walked: a second link to one, or a link loop, ends here.
    let mut visited: HashSet<PathBuf> = HashSet::new();
    let walk = WalkDir::new(dir)
        .follow_links(true)
        // Files of the deepest folder walked are one level further down.
        .max_depth(limits.max_depth + 1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() > 0 {
                seen.set(seen.get() + 1);
            }
            if seen.get() > limits.max_entries {
                return false;
            }
            let canonical = || entry.path().canonicalize().ok();
            // A link counts only when its target is inside the folder.
            if entry.path_is_symlink() && !canonical().is_some_and(|t| t.starts_with(&root)) {
                return false;
            }
            if entry.file_type().is_dir() {
                return canonical().is_some_and(|c| visited.insert(c));
            }
            true
        });
    let mut out = Vec::new();
    for entry in walk {
        if seen.get() > limits.max_entries {
            return Err(too_many());
        }
        let entry = match entry {
            Ok(entry) => entry,
            // A loop walkdir saw itself, or a link to nothing: skipped.
            Err(e) if e.loop_ancestor().is_some() || e.path().is_some_and(Path::is_symlink) => continue,
            Err(e) => {
                let path = e.path().unwrap_or(dir).display().to_string();
                let why = e.io_error().map_or_else(|| e.to_string(), ToString::to_string);
                return Err(format!("cannot read patterns folder {path}: {why}"));
            }
        };
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == ext) {
            out.push(entry.into_path());
        }
    }
    if seen.get() > limits.max_entries {
        return Err(too_many());
    }
    out.sort();
    Ok(out)
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
