//! Every local source form through the real binary: a file, standard input, a run-log
//! zip, an unpacked folder, several sources at once, and `gh run view --log` output.

use std::io::Write;
use std::path::{Path, PathBuf};
mod common;

use std::process::{Command, Stdio};

use common::within_30s;

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(rel)
}

const E422_LOG: &str = "provenance/repository-url-missing-oidc.log";

fn ids(json: &[u8]) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(json).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(json)));
    v["diagnoses"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
}

fn analyze(args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("analyze").args(args).arg("--format").arg("json");
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn job_log() -> Vec<u8> {
    std::fs::read(corpus(E422_LOG)).unwrap()
}

#[test]
fn a_plain_file() {
    let out = analyze(&[corpus(E422_LOG).to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ids(&out.stdout), ["provenance/repository-url-missing"]);
}

#[test]
fn standard_input_by_dash_and_by_default() {
    let out = analyze(&["-"], Some(&job_log()));
    assert!(out.status.success());
    assert_eq!(ids(&out.stdout), ["provenance/repository-url-missing"]);
    let out = analyze(&[], Some(&job_log()));
    assert!(out.status.success());
    assert_eq!(ids(&out.stdout), ["provenance/repository-url-missing"]);
}

/// Splits a whole-job log into step files the way the archive does.
fn step_files(log: &[u8]) -> Vec<(String, Vec<u8>)> {
    let text = String::from_utf8_lossy(log);
    let mut steps: Vec<(String, Vec<u8>)> = vec![("Set up job".into(), Vec::new())];
    for line in text.split_inclusive('\n') {
        if let Some(i) = line.find("##[group]Run ") {
            let name = line[i + 13..].trim().replace('/', "");
            steps.push((format!("Run {name}"), Vec::new()));
        }
        steps.last_mut().unwrap().1.extend_from_slice(line.as_bytes());
    }
    steps
}

fn write_zip(path: &Path, whole: bool, steps: bool) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("0_lint.txt", opts).unwrap();
    zip.write_all(b"2026-01-01T00:00:00.0000000Z all good\n").unwrap();
    if whole {
        zip.start_file("1_release.txt", opts).unwrap();
        zip.write_all(&job_log()).unwrap();
    }
    if steps {
        for (i, (name, data)) in step_files(&job_log()).into_iter().enumerate() {
            zip.start_file(format!("release/{}_{}.txt", i + 1, name), opts).unwrap();
            zip.write_all(&data).unwrap();
        }
        zip.start_file("release/system.txt", opts).unwrap();
        zip.write_all(b"system\n").unwrap();
    }
    zip.finish().unwrap();
}

fn evidence_steps(json: &[u8]) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    v["diagnoses"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["job"].as_str().unwrap().to_string(), e["step"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_run_log_zip_with_step_files_or_only_whole_job_files() {
    let dir = tempfile::tempdir().unwrap();
    for (whole, steps) in [(true, true), (true, false), (false, true)] {
        let path = dir.path().join(format!("logs-{whole}-{steps}.zip"));
        write_zip(&path, whole, steps);
        let out = analyze(&[path.to_str().unwrap()], None);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(ids(&out.stdout), ["provenance/repository-url-missing"], "whole={whole} steps={steps}");
        let ev = evidence_steps(&out.stdout);
        assert!(ev.iter().all(|(job, _)| job == "release"), "{ev:?}");
        let want_step = if steps { "Run npm publish --access public" } else { "npm publish --access public" };
        assert!(ev.iter().any(|(_, step)| step == want_step), "whole={whole} steps={steps}: {ev:?}");
    }
}

#[test]
fn an_unpacked_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("0_lint.txt"), "2026-01-01T00:00:00.0000000Z fine\n").unwrap();
    std::fs::write(dir.path().join("1_release.txt"), job_log()).unwrap();
    std::fs::create_dir(dir.path().join("release")).unwrap();
    for (i, (name, data)) in step_files(&job_log()).into_iter().enumerate() {
        std::fs::write(dir.path().join("release").join(format!("{}_{}.txt", i + 1, name)), data).unwrap();
    }
    let out = analyze(&[dir.path().to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ids(&out.stdout), ["provenance/repository-url-missing"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let jobs: Vec<&str> = v["jobs"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap()).collect();
    assert_eq!(jobs, ["lint", "release"]);
}

#[test]
fn several_sources_give_one_report_with_each_job_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("build-a.log");
    let b = dir.path().join("build-b.log");
    std::fs::write(&a, job_log()).unwrap();
    std::fs::write(&b, job_log()).unwrap();
    let out = analyze(&[a.to_str().unwrap(), b.to_str().unwrap()], None);
    assert!(out.status.success());
    assert_eq!(ids(&out.stdout), ["provenance/repository-url-missing"], "one cause, reported once");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let jobs: Vec<&str> = v["diagnoses"][0]["jobs"].as_array().unwrap().iter().map(|j| j.as_str().unwrap()).collect();
    assert_eq!(jobs, ["build-a.log", "build-b.log"]);
}

#[test]
fn gh_run_view_output_is_split_by_job_column() {
    let mut text = String::new();
    for line in String::from_utf8(job_log()).unwrap().lines() {
        text.push_str(&format!("release / publish\tUNKNOWN STEP\t{line}\n"));
    }
    for line in [
        "2026-01-01T00:00:00.0000000Z ##[group]Run npm test",
        "2026-01-01T00:00:01.0000000Z ##[error]Process completed with exit code 1.",
    ] {
        text.push_str(&format!("test\tUNKNOWN STEP\t{line}\n"));
    }
    let out = analyze(&["-"], Some(text.as_bytes()));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let jobs: Vec<&str> = v["jobs"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap()).collect();
    assert_eq!(jobs, ["release / publish", "test"]);
    assert_eq!(v["diagnoses"][0]["evidence"][0]["job"], "release / publish");
    assert_eq!(v["jobs"][1]["failed_step"], "npm test");
}

#[test]
fn evidence_line_numbers_are_those_of_the_original_file() {
    let out = analyze(&[corpus(E422_LOG).to_str().unwrap()], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let original = std::fs::read_to_string(corpus(E422_LOG)).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    for e in v["diagnoses"][0]["evidence"].as_array().unwrap() {
        let n = e["line"].as_u64().unwrap() as usize;
        let text = e["text"].as_str().unwrap();
        assert!(lines[n - 1].ends_with(text), "line {n}: {:?} vs {text:?}", lines[n - 1]);
    }
}

#[test]
fn the_bundled_example_runs() {
    let out = Command::new(BIN).args(["analyze", "--example", "--format", "json"]).output().unwrap();
    assert!(out.status.success());
    assert!(!ids(&out.stdout).is_empty(), "the example log should show a diagnosis");
}

/// A FIFO at `path` that a thread fills with `data` once, as `mkfifo` + a writer.
fn fifo(path: &Path, data: Vec<u8>) -> std::thread::JoinHandle<()> {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success(), "mkfifo");
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        // Blocks until the reader opens it; a second open would find no writer.
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = f.write_all(&data);
        }
    })
}

#[test]
fn a_fifo_and_process_substitution_are_read_once_whole() {
    let dir = tempfile::tempdir().unwrap();
    let expected = ids(&analyze(&[corpus(E422_LOG).to_str().unwrap()], None).stdout);
    assert!(!expected.is_empty());
    // A FIFO holding a log, then one holding a zip.
    let log_fifo = dir.path().join("job.log");
    let writer = fifo(&log_fifo, job_log());
    let mut cmd = Command::new(BIN);
    cmd.args(["analyze", "--format", "json"]).arg(&log_fifo);
    let out = within_30s(cmd);
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ids(&out.stdout), expected);

    let zip = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("1_release.txt", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(&job_log()).unwrap();
        zip.finish().unwrap().into_inner()
    };
    let zip_fifo = dir.path().join("logs.zip");
    let writer = fifo(&zip_fifo, zip);
    let mut cmd = Command::new(BIN);
    cmd.args(["analyze", "--format", "json"]).arg(&zip_fifo);
    let out = within_30s(cmd);
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ids(&out.stdout), expected);

    // `analyze <(cat job.log)`: the same diagnosis, and every line counted.
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(format!("'{BIN}' analyze --format json <(cat '{}')", corpus(E422_LOG).display()));
    let out = within_30s(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ids(&out.stdout), expected);
    let file: serde_json::Value =
        serde_json::from_slice(&analyze(&[corpus(E422_LOG).to_str().unwrap()], None).stdout).unwrap();
    let piped: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(piped["jobs"][0]["lines"], file["jobs"][0]["lines"]);
    // The same evidence (the job is named after /dev/fd/N, as any file after its name).
    let lines = |v: &serde_json::Value| -> Vec<(serde_json::Value, serde_json::Value)> {
        v["diagnoses"][0]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["line"].clone(), e["text"].clone()))
            .collect()
    };
    assert_eq!(lines(&piped), lines(&file));
}

#[test]
fn a_binary_entry_is_skipped_with_a_note_and_the_rest_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let expected = ids(&analyze(&[corpus(E422_LOG).to_str().unwrap()], None).stdout);
    let binary: Vec<u8> = (0u8..=255).cycle().take(20_000).collect();
    let zip_of = |entries: &[(&str, &[u8])]| {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    };
    let log = job_log();
    let mixed = dir.path().join("mixed.zip");
    std::fs::write(&mixed, zip_of(&[("1_build.txt", &binary), ("2_release.txt", &log)])).unwrap();
    // The same as an unpacked folder.
    let folder = dir.path().join("logs");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("1_build.txt"), &binary).unwrap();
    std::fs::write(folder.join("2_release.txt"), &log).unwrap();
    for source in [&mixed, &folder] {
        let out = analyze(&[source.to_str().unwrap()], None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(ids(&out.stdout), expected);
        assert!(stderr.contains("note:") && stderr.contains("1_build.txt") && stderr.contains("skipped"), "{stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["jobs"].as_array().unwrap().len(), 1, "only the readable job");
    }
    // Nothing but binary entries: still an input error.
    let only = dir.path().join("only.zip");
    std::fs::write(&only, zip_of(&[("1_build.txt", &binary)])).unwrap();
    let out = analyze(&[only.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn logs_that_are_still_logs_a_nul_utf16_and_cr_only_line_ends() {
    let dir = tempfile::tempdir().unwrap();
    let log = job_log();
    let file = analyze(&[corpus(E422_LOG).to_str().unwrap()], None);
    let expected = ids(&file.stdout);
    let file: serde_json::Value = serde_json::from_slice(&file.stdout).unwrap();
    let text = String::from_utf8(log.clone()).unwrap();
    let mut nul = log.clone();
    nul.insert(100, 0);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let cr_only = text.replace("\r\n", "\n").replace('\n', "\r").into_bytes();
    for (name, data, note) in [
        ("nul.log", nul, "NUL byte"),
        ("utf16.log", utf16, "decoded as UTF-16 LE"),
        ("cr.log", cr_only, "each CR ends a line"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &data).unwrap();
        let out = analyze(&[path.to_str().unwrap()], None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        assert_eq!(ids(&out.stdout), expected, "{name}");
        assert!(stderr.contains(note), "{name}: says so: {stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["jobs"][0]["lines"], file["jobs"][0]["lines"], "{name}");
        // The same from standard input.
        let out = analyze(&["-"], Some(&data));
        assert_eq!(ids(&out.stdout), expected, "{name} on stdin");
    }
}

#[test]
fn a_last_line_without_its_newline_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let log = job_log();
    let lines = log.iter().filter(|b| **b == b'\n').count();
    let cut = dir.path().join("cut.log");
    std::fs::write(&cut, &log[..log.len() - 1]).unwrap();
    assert_eq!(log.last(), Some(&b'\n'));
    for out in [analyze(&[cut.to_str().unwrap()], None), analyze(&["-"], Some(&log[..log.len() - 1]))] {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["jobs"][0]["lines"], lines, "{v}");
    }
}

/// `gh run view --log` output with several jobs: each job is named by its job
/// column, the first one too (not after the file it came in).
#[test]
fn a_multi_job_gh_log_names_every_job_by_its_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.log");
    let log = "build\tSet up job\t2026-01-04T08:12:00.0000000Z Current runner version: '2.330.0'\n\
               build\tTest\t2026-01-04T08:12:01.0000000Z ##[error]Process completed with exit code 1.\n\
               release\tPublish\t2026-01-04T08:12:02.0000000Z npm error code E404\n";
    std::fs::write(&path, log).unwrap();
    let out = analyze(&[path.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["jobs"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["build", "release"]);
}
