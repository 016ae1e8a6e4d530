//! Every built-in rule loads, and its inline examples behave as the file says when
//! run through the real pipeline with the whole rule set.

use npm_logdoc::examples::check_examples;
use npm_logdoc::pattern::RuleSet;

#[test]
fn builtin_rules_load() {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    assert!(!rules.rules.is_empty());
}

#[test]
fn every_inline_example_behaves() {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let failures = check_examples(&rules);
    let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
    assert!(failures.is_empty(), "{} example(s) failed:\n{}", failures.len(), text.join("\n"));
}

/// Ids are paths (build.rs), so they are unique; what the loader must catch is a
/// `supersedes` that names nothing, or the rule itself, in a user's folder.
#[test]
fn a_supersedes_of_nothing_or_of_itself_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("custom")).unwrap();
    let rule = |supersedes: &str| {
        format!(
            "title = \"t\"\nconfidence = \"high\"\nexplanation = \"e\"\nsupersedes = [\"{supersedes}\"]\n[[signal]]\nname = \"s\"\nliteral = \"zzqx unique literal\"\n[when]\nall = [\"s\"]\n[[fix]]\ntitle = \"f\"\nbody = \"b\"\n[[example]]\nmatches = true\nlog = \"zzqx unique literal\"\n[[example]]\nmatches = false\nlog = \"nothing\"\n"
        )
    };
    std::fs::write(tmp.path().join("custom/a.toml"), rule("custom/nothing")).unwrap();
    std::fs::write(tmp.path().join("custom/b.toml"), rule("custom/b")).unwrap();
    let e = RuleSet::builtin().unwrap().with_dirs(&[tmp.path().to_path_buf()]).unwrap_err().to_string();
    assert!(e.contains("supersedes `custom/nothing`, which is not a rule"), "{e}");
    assert!(e.contains("a rule cannot supersede itself"), "{e}");
}

#[test]
fn no_rule_fires_on_a_command_echo() {
    // A step that echoes the text of every message but prints nothing: commands are
    // not evidence.
    let rules = RuleSet::builtin().unwrap();
    let mut log = String::from("2026-01-01T00:00:00.0000000Z ##[group]Run echo npm error\n");
    for r in &rules.rules {
        for ex in r.examples.iter().filter(|e| e.matches) {
            for line in ex.log.lines() {
                log.push_str(&format!("2026-01-01T00:00:00.0000000Z \x1b[36;1mecho '{line}'\x1b[0m\n"));
            }
        }
    }
    log.push_str(
        "2026-01-01T00:00:00.0000000Z shell: /usr/bin/bash -e {0}\n2026-01-01T00:00:00.0000000Z ##[endgroup]\n",
    );
    let report = npm_logdoc::analyze_text("echo", &log, &rules);
    let ids: Vec<&str> = report.diagnoses.iter().map(|d| d.id.as_str()).collect();
    assert!(ids.is_empty(), "rules fired on echoed commands: {ids:?}");
}

/// Wrappers are peeled once, by the line anatomy, for every rule: a regex that
/// spells one out again (the runner's `##[error]`, changesets' `🦋`, BuildKit's
/// `#12 3.4`, yarn's `➤`, semantic-release's `[semantic-release]`, a bracketed
/// workspace label)
/// would miss every other wrapper, and a tool's prefix belongs in `speaker`/`level`.
#[test]
fn no_rule_regex_repeats_a_wrapper() {
    const WRAPPERS: &[&str] = &[
        r"##\[error",
        r"##\[warning",
        "🦋",
        r"#\d+ ",
        r"|Error: )",
        "➤",
        r"semantic-release\]",
        r"\[[@\w./-]+\]: ",
        r"npm (?:ERR!|error)",
        "npm ERR! ",
        "npm error ",
        r"[@\w./-]+:[\w:-]+: ",
    ];
    let rules = RuleSet::builtin().unwrap();
    let mut found = Vec::new();
    for r in &rules.rules {
        for s in &r.signals {
            if let Some(w) = WRAPPERS.iter().find(|w| s.regex.as_str().contains(**w)) {
                found.push(format!("{} signal {}: `{w}` in {}", r.id, s.name, s.regex.as_str()));
            }
        }
    }
    assert!(found.is_empty(), "{} regexes spell out a wrapper:\n{}", found.len(), found.join("\n"));
}

/// Every fact the engine extracts is read by some rule (a condition, a weight or
/// a placeholder); a fact nobody reads is work the engine does for nothing, or a
/// decision a rule forgot to make.
#[test]
fn every_fact_is_read_by_some_rule() {
    let rules = RuleSet::builtin().unwrap();
    let read: std::collections::BTreeSet<&str> = rules.rules.iter().flat_map(|r| r.facts_read()).collect();
    let unused: Vec<&str> =
        npm_logdoc::facts::FACT_NAMES.iter().map(|(n, _)| *n).filter(|n| !read.contains(n)).collect();
    assert!(unused.is_empty(), "facts no rule reads: {unused:?}");
}
