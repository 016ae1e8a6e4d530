//! What `cargo install npm-logdoc --locked` builds from: the packaged crate holds
//! the code, build.rs, every built-in rule and the example log, and none of the
//! tests, corpus, fuzz, npm or CI files. Runs `cargo package --list` offline.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn packaged() -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--offline", "--quiet"])
        .current_dir(ROOT)
        .output()
        .expect("cargo");
    assert!(out.status.success(), "cargo package --list failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

fn files_under(dir: &str, ext: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(Path::new(ROOT).join(dir)).unwrap() {
        let path = entry.unwrap().path();
        let rel = path.strip_prefix(ROOT).unwrap().to_string_lossy().replace('\\', "/");
        if path.is_dir() {
            files_under(&rel, ext, out);
        } else if rel.ends_with(ext) {
            out.push(rel);
        }
    }
}

/// `a/b/../c` as `a/c`, with `/` separators.
fn normal(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

#[test]
fn the_crate_holds_what_the_build_needs_and_nothing_else() {
    let list = packaged();
    let mut needed = vec!["Cargo.toml".to_string(), "Cargo.lock".into(), "build.rs".into()];
    needed.push("examples/release-e404.log".into());
    files_under("src", ".rs", &mut needed);
    files_under("patterns", ".toml", &mut needed);
    for file in &needed {
        assert!(list.contains(file), "the packaged crate lacks {file}");
    }
    for file in &list {
        for left_out in ["corpus/", "tests/", "fuzz/", "bench/", "npm/", "action/", ".github/", ".ci/"] {
            assert!(!file.starts_with(left_out), "the packaged crate holds {file}");
        }
    }
    // Every file the code embeds is in the package.
    let mut sources = Vec::new();
    files_under("src", ".rs", &mut sources);
    for src in sources {
        let text = std::fs::read_to_string(Path::new(ROOT).join(&src)).unwrap();
        let opening = "include_str!(\"";
        for (i, _) in text.match_indices(opening) {
            let rest = &text[i + opening.len()..];
            let target = &rest[..rest.find('"').unwrap()];
            let embedded = normal(&Path::new(&src).parent().unwrap().join(target));
            assert!(list.contains(&embedded), "{src} embeds {target}, which the package lacks");
        }
    }
}
