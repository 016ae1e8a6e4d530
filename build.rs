//! Embeds every `patterns/<family>/<name>.toml` into the binary as the built-in rules.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let patterns = root.join("patterns");
    println!("cargo:rerun-if-changed=patterns");
    let mut files = Vec::new();
    collect(&patterns, &mut files);
    let mut code =
        String::from("/// `(id, source)` of every built-in rule.\npub const PATTERNS: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let id = f.strip_prefix(&patterns).expect("under patterns").with_extension("");
        let id = id.to_string_lossy().replace('\\', "/");
        writeln!(code, "    ({id:?}, include_str!({:?})),", f.display().to_string()).expect("write to String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_patterns.rs");
    std::fs::write(out, code).expect("write builtin_patterns.rs");
}
