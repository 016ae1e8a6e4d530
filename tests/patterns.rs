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
    let unused: Vec<&str> = npm_logdoc::facts::FACTS.iter().map(|f| f.name).filter(|n| !read.contains(n)).collect();
    assert!(unused.is_empty(), "facts no rule reads: {unused:?}");
}

/// An example may state the evidence line and the filled-in title (its captured
/// values) it must produce, and `todo` marks one the rule does not get right yet.
#[test]
fn examples_state_evidence_titles_and_todos() {
    let rule = |examples: &str| {
        format!(
            r#"
title = "cannot publish {{{{pkg|the package}}}}"
confidence = "high"
explanation = "e"
[[signal]]
name = "refused"
literal = "zzqx refused"
regex = 'zzqx refused (?P<pkg>\S+)'
[when]
all = ["refused"]
[[fix]]
title = "f"
body = "b"
[[example]]
matches = false
log = "nothing here"
{examples}"#
        )
    };
    let failures = |examples: &str| -> Vec<String> {
        let mut rules = RuleSet::builtin().unwrap();
        let parsed = npm_logdoc::pattern::parse_rule("custom/refused", "refused.toml", &rule(examples));
        rules.rules.push(parsed.unwrap_or_else(|p| panic!("{p:?}")));
        check_examples(&rules).into_iter().filter(|f| f.rule == "custom/refused").map(|f| f.to_string()).collect()
    };
    let right = "[[example]]\nmatches = true\nlog = \"zzqx refused left-pad\"\nevidence = [\"zzqx refused left-pad\"]\ntitle = \"cannot publish left-pad\"\n";
    assert_eq!(failures(right), Vec::<String>::new());
    let wrong_pkg = right.replace("title = \"cannot publish left-pad\"", "title = \"cannot publish right-pad\"");
    let got = failures(&wrong_pkg);
    assert!(got.len() == 1 && got[0].contains("is off: titled `cannot publish left-pad`"), "{got:?}");
    let wrong_line = right.replace("evidence = [\"zzqx refused left-pad\"]", "evidence = [\"npm error code E404\"]");
    let got = failures(&wrong_line);
    assert!(got.len() == 1 && got[0].contains("no evidence line `npm error code E404`"), "{got:?}");
    // Not yet: a todo that fails is no failure; one that passes is "fixed".
    let todo =
        "[[example]]\nmatches = true\ntodo = \"the wrapped form is not read yet\"\nlog = \"zzqx\\nrefused left-pad\"\n";
    assert_eq!(failures(&format!("{right}{todo}")), Vec::<String>::new());
    let fixed = "[[example]]\nmatches = true\ntodo = \"thought to be missed\"\nlog = \"zzqx refused x\"\n";
    let got = failures(&format!("{right}{fixed}"));
    assert!(got.len() == 1 && got[0].contains("is fixed: it does what it states now"), "{got:?}");
    // A todo example is no proof: the rule still needs a passing one of each kind.
    let only_todo = rule(todo);
    let problems = npm_logdoc::pattern::parse_rule("custom/refused", "refused.toml", &only_todo).unwrap_err();
    assert!(problems.iter().any(|p| p.message.contains("must match")), "{problems:?}");
}
