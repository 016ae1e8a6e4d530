//! Hard-wrapped logs: every rule's inline examples, re-wrapped the way people paste
//! logs into issues and e-mails (at 60, 72 and 80 columns, with and without an
//! indented continuation, runner timestamps dropped), behave as the unwrapped
//! examples do: the lines a wrap cut apart are joined back into one message.

use npm_logdoc::examples::fired;
use npm_logdoc::pattern::RuleSet;

/// Drops a runner timestamp (`2026-01-01T00:00:00.0000000Z `) at the start of a line.
fn drop_timestamp(line: &str) -> &str {
    let b = line.as_bytes();
    let shape = b.len() > 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':';
    match line.find("Z ") {
        Some(i) if shape && i < 40 => &line[i + 2..],
        _ => line,
    }
}

/// Whether a line keeps its shape in a paste: runner markers, echoed commands and
/// their `env:`/`with:` entries are short or structural, and a wrap of them is not
/// what this test is about.
fn structural(line: &str) -> bool {
    line.starts_with("##[") || line.contains('\x1b') || line.starts_with("  ") && line.trim_start().contains(": ")
}

/// Greedy word wrap at `width` columns; a word longer than the width stays whole.
/// A step's echo (`##[group]Run` to `##[endgroup]`) is the runner's, kept whole.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut in_echo = false;
    for raw in text.lines() {
        let line = drop_timestamp(raw);
        if line.starts_with("##[group]Run ") {
            in_echo = true;
        } else if line.starts_with("##[endgroup]") {
            in_echo = false;
        }
        if line.chars().count() <= width || structural(line) || in_echo {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let lead: String = line.chars().take_while(|c| *c == ' ').collect();
        let mut current = lead.clone();
        let mut has_word = false;
        for word in line[lead.len()..].split(' ') {
            if has_word && current.chars().count() + 1 + word.chars().count() > width {
                out.push_str(&current);
                out.push('\n');
                current = format!("{indent}{word}");
                has_word = !word.is_empty();
                continue;
            } else {
                if has_word {
                    current.push(' ');
                }
                current.push_str(word);
            }
            has_word = true;
        }
        out.push_str(&current);
        out.push('\n');
    }
    out
}

#[test]
fn wrap_cuts_at_spaces_and_indents_continuations() {
    let w = wrap("2026-01-01T00:00:00.0000000Z npm error 422 aaa bbb ccc", 16, "  ");
    assert_eq!(w, "npm error 422\n  aaa bbb ccc\n");
    assert_eq!(wrap("short", 60, ""), "short\n");
}

#[test]
fn every_example_behaves_the_same_when_hard_wrapped() {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    // One prefilter for every wrapped example: building it costs far more than a log.
    let analyzer = npm_logdoc::Analyzer::new(&rules);
    let mut failures = Vec::new();
    for rule in &rules.rules {
        // A `todo` example states what the rule does not do yet.
        for (i, ex) in rule.examples.iter().enumerate().filter(|(_, ex)| ex.todo.is_none()) {
            for width in [60, 72, 80] {
                for indent in ["", "    "] {
                    let log = wrap(&ex.log, width, indent);
                    if log.lines().count() == ex.log.lines().count() {
                        continue;
                    }
                    let report = analyzer.text("wrapped", &log);
                    if fired(&report, &rule.id) != ex.matches {
                        let got: Vec<&str> = report.diagnoses.iter().map(|d| d.id.as_str()).collect();
                        failures.push(format!(
                            "{} example {} at {width} columns{}: {} (got {got:?})\n{log}",
                            rule.id,
                            i + 1,
                            if indent.is_empty() { "" } else { ", indented" },
                            if ex.matches { "missing" } else { "noisy" },
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} wrapped example(s) differ:\n{}", failures.len(), failures.join("\n"));
}
