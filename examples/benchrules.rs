//! Writes copies of a patterns folder for the rule-count scaling benchmark
//! (`bench/run.sh`).
//!
//! ```sh
//! cargo run --release --example benchrules -- patterns OUT renamed
//! cargo run --release --example benchrules -- patterns OUT swapcase,reverse
//! ```
//!
//! Each variant adds a copy of every rule, under a new id (`family/name-VARIANT`).
//! `renamed` keeps the rule as it is (its literals and regexes de-duplicate with the
//! original's). `swapcase`, `reverse` and `reverse-swapcase` give every signal a new
//! literal (the original with its ASCII case swapped, reversed, or both) and a regex
//! that requires it, keeping the original regex's captures, so the prefilter really
//! holds more literals and candidate lines really get more regexes to try.

use std::path::Path;
use std::process::ExitCode;

fn swapcase(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()
}

fn transform(variant: &str, literal: &str) -> Option<String> {
    match variant {
        "renamed" => None,
        "swapcase" => Some(swapcase(literal)),
        "reverse" => Some(literal.chars().rev().collect()),
        "reverse-swapcase" => Some(swapcase(&literal.chars().rev().collect::<String>())),
        _ => None,
    }
}

fn copy(src: &Path, rel: &Path, out: &Path, variant: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mut table: toml::Table = text.parse().map_err(|e| format!("{}: {e}", src.display()))?;
    if let Some(toml::Value::Array(signals)) = table.get_mut("signal") {
        for s in signals.iter_mut().filter_map(toml::Value::as_table_mut) {
            let Some(literal) = s.get("literal").and_then(toml::Value::as_str).map(str::to_string) else { continue };
            let Some(new) = transform(variant, &literal) else { continue };
            let old =
                s.get("regex").and_then(toml::Value::as_str).map_or_else(|| regex::escape(&literal), str::to_string);
            s.insert("literal".into(), toml::Value::String(new.clone()));
            s.insert("regex".into(), toml::Value::String(format!("{}(?:{old})?", regex::escape(&new))));
            // A swapped literal may land on a word validation refuses (`FAIL` -> `fail`).
            s.insert("weak_literal".into(), toml::Value::String("a benchmark copy of a built-in rule".into()));
        }
    }
    let stem = rel.file_stem().and_then(|s| s.to_str()).ok_or("bad file name")?;
    let dest = out.join(rel.parent().unwrap_or(Path::new(""))).join(format!("{stem}-{variant}.toml"));
    std::fs::create_dir_all(dest.parent().expect("has a parent")).map_err(|e| e.to_string())?;
    let body = toml::to_string(&table).map_err(|e| e.to_string())?;
    std::fs::write(&dest, body).map_err(|e| format!("{}: {e}", dest.display()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [src, out, variants] = args.as_slice() else {
        eprintln!(
            "usage: benchrules PATTERNS_DIR OUT_DIR VARIANT[,VARIANT...]  (renamed, swapcase, reverse, reverse-swapcase)"
        );
        return ExitCode::from(2);
    };
    let src = Path::new(src);
    let files = match npm_logdoc::pattern::rule_files(src) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("benchrules: {}: {e}", src.display());
            return ExitCode::from(1);
        }
    };
    for variant in variants.split(',') {
        if variant != "renamed" && transform(variant, "x").is_none() {
            eprintln!("benchrules: unknown variant `{variant}`");
            return ExitCode::from(2);
        }
        for f in &files {
            let rel = f.strip_prefix(src).expect("collected under src");
            if let Err(e) = copy(f, rel, Path::new(out), variant) {
                eprintln!("benchrules: {e}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
