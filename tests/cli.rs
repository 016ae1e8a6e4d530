//! Bad input through the real binary: each case ends in a normal report (exit 0)
//! or one clear line on stderr with exit code 3, never a panic or a hang.
//! Large inputs are generated here, in a temporary folder, never committed.

mod common;

use common::zip_bytes;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

fn analyze(path: &Path) -> Output {
    Command::new(BIN).args(["analyze", "--format", "json"]).arg(path).stdin(Stdio::null()).output().unwrap()
}

/// Exit code 3 and exactly one line on stderr that names the source and says `what`.
fn assert_input_error(out: &Output, path: &Path, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("npm-logdoc: error: "), "{stderr}");
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(stderr.contains(&*name), "names the source: {stderr}");
    assert!(stderr.contains(what), "says `{what}`: {stderr}");
    assert!(out.stdout.is_empty());
}

/// Exit code 0, nothing on stderr, and a JSON report; returns it.
fn assert_report(out: &Output) -> serde_json::Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn write(dir: &Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.log");
    assert_input_error(&analyze(&path), &path, "no such file or folder");
}

#[test]
fn an_empty_file_gives_an_empty_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.log", b"");
    let report = assert_report(&analyze(&path));
    assert_eq!(report["diagnoses"].as_array().unwrap().len(), 0);
}

#[test]
fn binary_data_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    data.extend((0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let path = write(dir.path(), "a.out", &data);
    assert_input_error(&analyze(&path), &path, "binary data");
}

#[test]
fn invalid_utf8_is_replaced_and_the_log_still_diagnosed() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/release-e404.log")).unwrap();
    let clean = assert_report(&analyze(&write(dir.path(), "clean.log", &log)));
    // Latin-1, a cut UTF-8 sequence and UTF-16 junk in the middle of the log.
    let at = log.len() / 2;
    log.splice(at..at, b"caf\xe9 r\xc3sum\xe9 \xe2\x9c \xff\xfe\n".iter().copied());
    let report = assert_report(&analyze(&write(dir.path(), "latin1.log", &log)));
    let ids = |r: &serde_json::Value| -> Vec<String> {
        r["diagnoses"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(ids(&report), ids(&clean));
}

#[test]
fn a_50_mb_single_line_is_read_in_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all(b"2026-01-01T00:00:00.0000000Z npm error code E404 ").unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..50 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\n").unwrap();
    drop(f);
    let report = assert_report(&analyze(&path));
    assert_eq!(report["jobs"][0]["lines"], 1, "{report}");
}

#[test]
fn a_truncated_zip() {
    let dir = tempfile::tempdir().unwrap();
    let whole = zip_bytes(&[("1_release.txt", b"2026-01-01T00:00:00.0000000Z npm error code E404\n")]);
    let path = write(dir.path(), "logs_1.zip", &whole[..whole.len() / 2]);
    assert_input_error(&analyze(&path), &path, "not a readable log archive");
}

#[test]
fn a_zip_with_no_job_logs() {
    let dir = tempfile::tempdir().unwrap();
    let data = zip_bytes(&[("README.md", b"hello"), ("deep/er/x.txt", b"x")]);
    let path = write(dir.path(), "logs_2.zip", &data);
    assert_input_error(&analyze(&path), &path, "holds no job logs");
}

#[test]
fn a_zip_with_more_entries_than_a_run_can_have() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..10_001).map(|i| format!("job/{i}_step.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let path = write(dir.path(), "logs_3.zip", &zip_bytes(&entries));
    assert_input_error(&analyze(&path), &path, "10001 entries, more than the 10000");
}

#[test]
fn a_folder_without_logs() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.md", b"nothing here");
    let out = analyze(dir.path());
    assert_input_error(&out, dir.path(), "holds no log files");
}

#[test]
fn binary_data_on_standard_input() {
    let mut child = Command::new(BIN)
        .args(["analyze", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader may stop early; a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(&[0u8; 100_000]);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("stdin") && stderr.contains("binary data"), "{stderr}");
}

#[test]
fn a_closed_standard_output_is_a_failure_not_a_lost_report() {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("'{BIN}' analyze --example --format json >&-"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard output is closed"));
    // Thrown away on purpose: fine.
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("'{BIN}' analyze --example --format json >/dev/null"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs the binary with standard input, output and error on a pseudo-terminal
/// (Python's `pty`, as `script` would); returns its exit code and what it printed.
fn on_a_terminal(args: &[&str]) -> (i32, String) {
    let script = "import os, pty, sys\nstatus = pty.spawn(sys.argv[1:])\nsys.exit(os.waitstatus_to_exitcode(status))";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs the binary on a pseudo-terminal");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn analyze_with_nothing_to_read_on_a_terminal_is_a_usage_error() {
    let (code, printed) = on_a_terminal(&["analyze"]);
    assert_eq!(code, 2, "{printed}");
    assert!(printed.contains("no log given"), "{printed}");
    let (code, _) = on_a_terminal(&["analyze", "-"]);
    assert_eq!(code, 2);
    let (code, printed) = on_a_terminal(&["analyze", "--example"]);
    assert_eq!(code, 0, "{printed}");
}

#[test]
fn an_unwritable_step_summary_is_a_warning_after_the_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("job.log");
    std::fs::write(&log, npm_logdoc::EXAMPLE_LOG).unwrap();
    let out = Command::new(BIN)
        .args(["analyze", "--format", "github"])
        .arg(&log)
        .env("GITHUB_STEP_SUMMARY", dir.path().join("no-such-folder/summary.md"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("::error"), "the annotations are printed");
    assert!(stderr.contains("warning: cannot append the report to GITHUB_STEP_SUMMARY"), "{stderr}");
}
