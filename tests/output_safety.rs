//! What reaches a terminal or the Actions runner through the binary: no output
//! line of `table`, `json` or `markdown` that the runner reads as a workflow
//! command (`::cmd` at a line's start, `##[cmd` anywhere, a CR that starts a new
//! runner line), and no control character from a log, a zip entry name or a path
//! on stdout or stderr.

mod common;

use common::zip_bytes;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

/// A rule that puts a captured value at the start of lines of its explanation,
/// fix body and snippet, where a renderer writes them at a line's start.
const RULE: &str = r#"
title = "echo {{value}}"
confidence = "high"
explanation = "{{value}}\n{{value}}"
[[signal]]
name = "echo"
literal = "echo-this:"
regex = 'echo-this: (?P<value>.+)'
[when]
all = ["echo"]
[[fix]]
title = "{{value}}"
body = "{{value}}\n{{value}}"
snippet = "{{value}}"
[[example]]
matches = true
log = "echo-this: x"
[[example]]
matches = false
log = "nothing"
"#;

fn bin(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The runner splits on LF and CR and trims leading white space before looking
/// for `::`; it looks for `##[` anywhere.
fn assert_no_command(out: &str, what: &str) {
    for line in out.split(['\n', '\r']) {
        let t = line.trim_start();
        assert!(!t.starts_with("::"), "{what}: a workflow command: {line:?}");
        assert!(!line.contains("##["), "{what}: a v1 workflow command: {line:?}");
    }
    assert_no_control(out, what);
}

fn assert_no_control(out: &str, what: &str) {
    for c in out.chars() {
        let bad = (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202E}');
        assert!(!bad, "{what}: control character {:?} in:\n{out}", c);
    }
}

const HOSTILE: &[&str] = &[
    "::warning file=x::pwned",
    "  ::error::indented",
    "#\x1b[0m#[set-output name=x]y",
    "##[add-mask]secret",
    "a\r::error::after a bare CR",
    "b\u{85}::error::after NEL",
    "c\u{2028}::error::after LS",
    "d\u{2029}::error::after PS",
    "e\x1b]0;window title\x07 f\x1b]52;c;cHduZWQ=\x07 g\x1b[2J h\u{202E}rtl",
    "::stop-commands::token",
];

#[test]
fn no_log_line_becomes_a_workflow_command_or_a_control_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules/test");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("echo.toml"), RULE).unwrap();
    let mut log = Vec::new();
    for h in HOSTILE {
        writeln!(log, "2026-01-01T00:00:00.0000000Z echo-this: {h}").unwrap();
        writeln!(log, "2026-01-01T00:00:00.0000000Z npm error {h}").unwrap();
    }
    writeln!(log, "2026-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.").unwrap();
    std::fs::write(dir.path().join("job.log"), &log).unwrap();
    // The same log with no rule for it: the error lines are printed instead.
    std::fs::write(dir.path().join("other.log"), String::from_utf8_lossy(&log).replace("echo-this", "npm error"))
        .unwrap();
    for format in ["table", "json", "markdown"] {
        for args in [vec!["--patterns", "rules", "job.log"], vec!["other.log"]] {
            let mut all = vec!["analyze", "--format", format];
            all.extend(&args);
            let out = bin(&all, dir.path());
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            let stdout = String::from_utf8(out.stdout).unwrap();
            // The hostile lines are reported (which of them a rule takes is the rules' business).
            let kept = ["pwned", "indented", "set-output", "add-mask", "bare CR"]
                .iter()
                .filter(|w| stdout.contains(*w))
                .count();
            assert!(kept >= 2, "{format}: the text is kept:\n{stdout}");
            assert_no_command(&stdout, format);
            if format == "json" {
                let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                let text = v.to_string();
                assert!(text.contains("##[set-output"), "JSON decodes to the log's text: {text}");
            }
        }
    }
}

#[test]
fn names_from_zip_entries_and_paths_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = b"npm error code E404\n##[error]Process completed with exit code 1.\n";
    let name = "1_rel\x1b]0;title\x07\x1b]52;c;cHduZWQ=\x07\x1b[2Jease\u{9b}31m.txt";
    let step = "release\x1b[2J/2_Pub\x1b]0;t\x07lish.txt";
    std::fs::write(dir.path().join("logs.zip"), zip_bytes(&[(name, log), (step, log)])).unwrap();
    for format in ["table", "json", "markdown"] {
        let out = bin(&["analyze", "--format", format, "logs.zip"], dir.path());
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains("rel") && stdout.contains("Pub"), "{stdout}");
        assert_no_command(&stdout, format);
    }
    // An error message naming a hostile path.
    let out = bin(&["analyze", "missing\x1b]0;pwned\x07\x1b[2J.log"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("missing") && stderr.contains("no such file"), "{stderr}");
    assert_no_control(&stderr, "stderr");
}
