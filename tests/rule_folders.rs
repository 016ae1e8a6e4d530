//! Hostile rule folders through the binary: a FIFO named like a rule, a symlink to
//! `/`, a symlink loop and `/proc/self` end promptly with the folder's own rules.

mod common;

use std::process::Command;

use common::within_30s;

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

#[test]
fn hostile_rule_folders_end_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("mine")).unwrap();
    assert!(Command::new("mkfifo").arg(rules.join("mine/fifo.toml")).status().unwrap().success());
    std::os::unix::fs::symlink("/", rules.join("root")).unwrap();
    std::os::unix::fs::symlink(&rules, rules.join("mine/loop")).unwrap();
    for folder in [rules.to_str().unwrap(), "/proc/self"] {
        let mut cmd = Command::new(BIN);
        cmd.args(["patterns", "list", "--patterns", folder]);
        let out = within_30s(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0) | Some(4)), "{folder}: {stderr}");
        let mut cmd = Command::new(BIN);
        cmd.args(["analyze", "--example", "--format", "json", "--patterns", folder]);
        let out = within_30s(cmd);
        assert!(matches!(out.status.code(), Some(0) | Some(4)), "{folder}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
