//! `npm-logdoc completions SHELL` and `npm-logdoc man`, through the binary: every
//! shell gets a script that knows the subcommands, the bash one parses, and the
//! man pages are roff, one per command.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn every_shell_gets_a_completion_script_with_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&run(&["completions", shell]));
        for word in ["npm-logdoc", "analyze", "explain", "patterns", "comment", "completions", "format"] {
            assert!(script.contains(word), "the {shell} script lacks {word}");
        }
    }
    let bash = stdout(&run(&["completions", "bash"]));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bash).unwrap();
    let parsed = Command::new("bash").arg("-n").arg(file.path()).output().unwrap();
    assert!(parsed.status.success(), "bash -n: {}", String::from_utf8_lossy(&parsed.stderr));
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_prints_roff_and_writes_one_page_per_command() {
    let page = stdout(&run(&["man"]));
    assert!(page.contains(".TH npm-logdoc 1"), "{page}");
    assert!(page.contains("npm\\-logdoc\\-analyze(1)"), "no SUBCOMMANDS entry for analyze:\n{page}");

    let dir = tempfile::tempdir().unwrap();
    let listed = stdout(&run(&["man", "--dir", dir.path().to_str().unwrap()]));
    let mut pages: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    pages.sort();
    for name in ["npm-logdoc.1", "npm-logdoc-analyze.1", "npm-logdoc-patterns-check.1", "npm-logdoc-completions.1"] {
        assert!(pages.iter().any(|p| p == name), "no {name} in {pages:?}");
    }
    assert_eq!(listed.lines().count(), pages.len(), "stdout lists the pages written:\n{listed}");
    let analyze = std::fs::read_to_string(dir.path().join("npm-logdoc-analyze.1")).unwrap();
    assert!(analyze.contains(".TH npm-logdoc-analyze 1") && analyze.contains("\\-\\-example"), "{analyze}");
}
