//! Whole logs in `corpus/` against their hand-written expectations (ordered ids),
//! and the meta-tests that keep the corpus honest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use npm_logdoc::pattern::RuleSet;
use npm_logdoc::source::{ArchiveLimits, Source};

/// Cause ids SPEC section 3 requires.
const REQUIRED: &[&str] = &[
    "npm-auth/classic-token-revoked",
    "npm-auth/token-expired-or-invalid",
    "npm-auth/token-secret-missing",
    "npm-auth/otp-required",
    "npm-auth/token-lacks-package-permission",
    "npm-auth/e404-publish-refused",
    "npm-auth/setup-node-registry-url-missing",
    "npm-auth/wrong-registry-url",
    "oidc/missing-id-token-permission",
    "oidc/npm-too-old",
    "oidc/empty-node-auth-token",
    "oidc/trusted-publisher-mismatch",
    "oidc/first-publish",
    "oidc/package-manager-unsupported",
    "oidc/npm-upgrade-failed",
    "provenance/repository-url-missing",
    "provenance/repository-url-mismatch",
    "provenance/unsupported-runner",
    "provenance/private-repository",
    "publish/version-exists",
    "publish/scoped-needs-public-access",
    "publish/registry-transient",
    "release-tool/semantic-release-oidc-scoped-name",
];

const PUBLISH_FAMILIES: &[&str] = &["npm-auth/", "oidc/", "provenance/", "publish/", "release-tool/"];

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    expect: Vec<String>,
    why: String,
    #[serde(default)]
    negative: bool,
    /// The confidence the first diagnosis must have, when the log's evidence fixes
    /// it (`low` for the honest answer to a thin fragment).
    #[serde(default)]
    confidence: Option<String>,
    /// Causes the log leaves open: each must be among the candidates listed after
    /// an unsure first diagnosis (within the first three diagnoses).
    #[serde(default)]
    candidates: Vec<String>,
}

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn cases() -> BTreeMap<PathBuf, Expectation> {
    let mut files = Vec::new();
    walk(&corpus_root(), &mut files);
    let mut cases = BTreeMap::new();
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "toml")) {
        let text = std::fs::read_to_string(f).unwrap();
        let exp: Expectation = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!exp.why.trim().is_empty(), "{}: `why` must say what is true of the log", f.display());
        cases.insert(f.with_extension("log"), exp);
    }
    cases
}

#[test]
fn every_corpus_log_gives_its_expected_diagnoses() {
    // The rules as `analyze` loads them: regexes compiled on first use.
    let rules = RuleSet::builtin_for_analysis().unwrap_or_else(|e| panic!("{e}"));
    // One prefilter for every log: building it costs far more than a log.
    let analyzer = npm_logdoc::Analyzer::new(&rules);
    let mut failures = Vec::new();
    for (log, exp) in cases() {
        let report = analyzer
            .sources(&[Source::Path(log.clone())], &ArchiveLimits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        // The root causes; candidates (plausible alternatives after an unsure
        // first answer) are checked against `candidates`.
        let got: Vec<String> = report.diagnoses.iter().filter(|d| !d.candidate).map(|d| d.id.clone()).collect();
        let first_three: Vec<&str> = report.diagnoses.iter().take(3).map(|d| d.id.as_str()).collect();
        for want in &exp.candidates {
            if !first_three.contains(&want.as_str()) {
                failures.push(format!(
                    "{}\n    expected candidate {want} in the first three\n    got      {first_three:?}",
                    log.strip_prefix(corpus_root()).unwrap().display()
                ));
            }
        }
        if let (Some(want), Some(first)) = (&exp.confidence, report.diagnoses.first()) {
            let have = format!("{:?}", first.confidence).to_lowercase();
            if *want != have {
                failures.push(format!(
                    "{}\n    expected confidence {want} for {}\n    got      {have}",
                    log.strip_prefix(corpus_root()).unwrap().display(),
                    first.id
                ));
            }
        }
        if got != exp.expect {
            failures.push(format!(
                "{}\n    expected {:?}\n    got      {:?}",
                log.strip_prefix(corpus_root()).unwrap().display(),
                exp.expect,
                got
            ));
        }
        if exp.negative {
            let all: Vec<&String> = report.diagnoses.iter().map(|d| &d.id).collect();
            assert!(
                !all.iter().any(|id| PUBLISH_FAMILIES.iter().any(|f| id.starts_with(f))),
                "{}: a negative log got a publish diagnosis {all:?}",
                log.display()
            );
        }
    }
    assert!(failures.is_empty(), "{} corpus case(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn corpus_files_come_in_pairs_and_ids_exist() {
    let rules = RuleSet::builtin().unwrap();
    let mut files = Vec::new();
    walk(&corpus_root(), &mut files);
    for f in &files {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext {
            "log" => assert!(f.with_extension("toml").exists(), "{} has no expectation (.toml)", f.display()),
            "toml" => assert!(f.with_extension("log").exists(), "{} has no log", f.display()),
            _ => panic!("{}: corpus holds only .log and .toml files", f.display()),
        }
    }
    for (log, exp) in cases() {
        for id in &exp.expect {
            assert!(rules.get(id).is_some(), "{}: expects `{id}`, which is not a rule", log.display());
        }
        // A case lives in the folder of the family of its first expected id.
        let rel = log.strip_prefix(corpus_root()).unwrap();
        let folder = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        match exp.expect.first() {
            Some(first) => assert_eq!(
                first.split('/').next().unwrap(),
                folder,
                "{}: first expected id {first} does not match its folder",
                log.display()
            ),
            None => {
                assert_eq!(folder, "negative", "{}: a case expecting nothing lives in corpus/negative", log.display())
            }
        }
    }
}

#[test]
fn every_required_cause_has_two_corpus_logs() {
    let mut counts: BTreeMap<&str, usize> = REQUIRED.iter().map(|id| (*id, 0)).collect();
    for exp in cases().values() {
        if let Some(first) = exp.expect.first() {
            if let Some(c) = counts.get_mut(first.as_str()) {
                *c += 1;
            }
        }
    }
    let short: Vec<String> = counts.iter().filter(|(_, c)| **c < 2).map(|(id, c)| format!("{id} ({c})")).collect();
    assert!(
        short.is_empty(),
        "required causes with fewer than two corpus logs as primary diagnosis: {}",
        short.join(", ")
    );
}

#[test]
fn every_required_cause_is_a_rule() {
    let rules = RuleSet::builtin().unwrap();
    let missing: Vec<&&str> = REQUIRED.iter().filter(|id| rules.get(id).is_none()).collect();
    assert!(missing.is_empty(), "required cause ids without a rule: {missing:?}");
}

#[test]
fn there_are_negative_logs() {
    let n = cases().values().filter(|e| e.negative).count();
    assert!(n >= 4, "the corpus needs at least four negative logs, has {n}");
}

/// The facts read from a log do not depend on the prefilter: fed every line, the
/// scanner finds the same facts as when fed only the lines holding a literal.
#[test]
fn facts_do_not_depend_on_the_prefilter() {
    let rules = RuleSet::builtin_for_analysis().unwrap();
    let matcher = npm_logdoc::Matcher::new(&rules);
    let mut every = npm_logdoc::Matcher::new(&rules);
    every.every_line = true;
    let mut failures = Vec::new();
    for log in cases().into_keys() {
        let facts = |m: &npm_logdoc::Matcher| {
            let mut file = std::fs::File::open(&log).unwrap();
            let scans = npm_logdoc::source::scan_reader("x", None, &mut file, m).unwrap();
            scans.iter().map(|s| s.facts.known()).collect::<Vec<_>>()
        };
        let (fast, slow) = (facts(&matcher), facts(&every));
        if fast != slow {
            failures.push(format!("{}\n    prefiltered {fast:?}\n    every line  {slow:?}", log.display()));
        }
    }
    assert!(failures.is_empty(), "{} log(s) read differently:\n{}", failures.len(), failures.join("\n"));
}

/// A shaped log's bytes, and the plain text it must read as.
type Shaped = (Vec<u8>, String);

/// The shapes a whole job log reaches npm-logdoc in, made from one log: CRLF line
/// ends, a copy from GitHub's web view (a line-number link before each line),
/// `gh run view --log` (job and step columns), `--log-failed` (the same columns,
/// only the failed step), both with the names GitHub gives steps without a
/// `name:` and with names of a workflow's own, and the run's log archive. Each comes with the plain
/// text it must read as: the whole log, except for `--log-failed`, which holds
/// only the failed step's lines. `None` when the log cannot take that shape (no
/// timestamps to put after gh's columns, no failed step).
fn shapes(text: &str) -> Vec<(&'static str, Option<Shaped>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let stamp = |l: &str| l.len() > 28 && l.as_bytes()[27] == b'Z' && l.as_bytes()[10] == b'T';
    // gh prints a timestamp on every line; a log that has them on most can be
    // printed by gh (a line without one gets its predecessor's).
    let stamped =
        lines.first().is_some_and(|l| stamp(l)) && lines.iter().filter(|l| stamp(l)).count() * 10 >= lines.len() * 9;
    // gh's step column: the step each line belongs to, as GitHub names a step
    // without a `name:` after its `##[group]Run` line, and as a workflow whose
    // steps all have a `name:` calls them (nothing like what they run).
    let (mut step, mut name) = ("Set up job".to_string(), "Set up job".to_string());
    let (mut steps, mut named) = (Vec::new(), Vec::new());
    for l in &lines {
        if let Some(run) = l.split_once("##[group]Run ").map(|(_, r)| r) {
            step = format!("Run {}", run.chars().take(40).collect::<String>().trim());
            name = format!("Step {}", steps.len());
        }
        steps.push(step.clone());
        named.push(name.clone());
    }
    let columns = |names: &[String], keep: &dyn Fn(usize) -> bool| -> (Vec<u8>, String) {
        let (mut out, mut plain) = (String::new(), String::new());
        let mut last = "";
        for (i, l) in lines.iter().enumerate() {
            let line = if stamp(l) {
                last = &l[..28];
                l.to_string()
            } else {
                format!("{last} {l}")
            };
            if keep(i) {
                out.push_str(&format!("release\t{}\t{line}\n", names[i]));
                plain.push_str(&format!("{line}\n"));
            }
        }
        (out.into_bytes(), plain)
    };
    let failed_step = lines.iter().rposition(|l| l.contains("##[error]")).map(|i| steps[i].clone());
    let web: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("[{}](https://github.com/o/r/actions/runs/1/job/2#step:7:{}){l}\n", i + 1, i + 1))
        .collect();
    let zip = {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file("0_release.txt", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut w, text.as_bytes()).unwrap();
        w.finish().unwrap();
        buf.into_inner()
    };
    let whole = || text.to_string();
    // A relaying tool's label before every line but the runner's own markers, the
    // way perturbed copies of a job log arrive: after the timestamp, if any. (A
    // docker build's frame is not among these shapes: inside a container the
    // runner's OIDC variables do not reach, so the frame is evidence of its own.)
    let relayed = |label: &str| -> Vec<u8> {
        let mut out = String::new();
        for l in &lines {
            let (ts, body) = if stamp(l) { l.split_at(29.min(l.len())) } else { ("", *l) };
            if body.trim().is_empty() || body.starts_with("##[") || body.starts_with("::") {
                out.push_str(l);
            } else {
                out.push_str(&format!("{ts}{label}{body}"));
            }
            out.push('\n');
        }
        out.into_bytes()
    };
    vec![
        ("relayed behind [0]", Some((relayed("[0] "), whole()))),
        ("relayed behind a turbo task label", Some((relayed("pkg:publish: "), whole()))),
        ("crlf", Some((text.replace('\n', "\r\n").into_bytes(), whole()))),
        ("web copy", Some((web.into_bytes(), whole()))),
        ("gh run view --log", stamped.then(|| (columns(&steps, &|_| true).0, whole()))),
        ("gh run view --log, named steps", stamped.then(|| (columns(&named, &|_| true).0, whole()))),
        (
            "gh run view --log-failed",
            match (stamped, &failed_step) {
                (true, Some(failed)) => Some(columns(&steps, &|i| steps[i] == *failed)),
                _ => None,
            },
        ),
        (
            "gh run view --log-failed, named steps",
            match (stamped, &failed_step) {
                (true, Some(failed)) => Some(columns(&named, &|i| steps[i] == *failed)),
                _ => None,
            },
        ),
        ("run-log zip", Some((zip, whole()))),
    ]
}

/// Shaped logs known to read differently from their plain text, each with why:
/// the test fails when one of them reads the same again, so the entry goes.
const SHAPE_GAPS: &[(&str, &str, &str)] = &[
    (
        "oidc/trusted-publisher-mismatch-e404-wrapped-webcopy.log",
        "relayed behind [0]",
        "a copy from the web view: its `Run ...` header and two-space echo are the page's, and a label before them makes them output",
    ),
    (
        "oidc/trusted-publisher-mismatch-e404-wrapped-webcopy.log",
        "relayed behind a turbo task label",
        "a copy from the web view: its `Run ...` header and two-space echo are the page's, and a label before them makes them output",
    ),
];

#[test]
fn every_corpus_log_gives_the_same_diagnoses_in_every_shape() {
    let rules = RuleSet::builtin_for_analysis().unwrap_or_else(|e| panic!("{e}"));
    // One prefilter for every log and shape: building it costs far more than a log.
    let analyzer = npm_logdoc::Analyzer::new(&rules);
    let tmp = tempfile::tempdir().unwrap();
    let ids = |r: &npm_logdoc::Report| r.diagnoses.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
    let mut failures = Vec::new();
    let mut made: BTreeMap<&str, usize> = BTreeMap::new();
    for log in cases().into_keys() {
        let text = std::fs::read_to_string(&log).unwrap();
        let rel = log.strip_prefix(corpus_root()).unwrap().display().to_string();
        for (shape, made_of) in shapes(&text) {
            let Some((bytes, plain)) = made_of else { continue };
            *made.entry(shape).or_default() += 1;
            let want = ids(&analyzer.text("release", &plain));
            let report = if shape == "run-log zip" {
                let path = tmp.path().join("logs.zip");
                std::fs::write(&path, &bytes).unwrap();
                analyzer.sources(&[Source::Path(path)], &ArchiveLimits::default()).unwrap()
            } else {
                analyzer.text("release", &String::from_utf8(bytes).unwrap())
            };
            let got = ids(&report);
            let known = SHAPE_GAPS.iter().any(|(l, s, _)| *l == rel && *s == shape);
            if (got != want) != known {
                let what = if known { "reads the same now: drop it from SHAPE_GAPS" } else { "differs" };
                failures.push(format!("{rel} as {shape} {what}\n    plain  {want:?}\n    shaped {got:?}"));
            }
        }
    }
    // Every shape is made from most logs (gh's columns need timestamps).
    for (shape, n) in &made {
        assert!(*n >= 100, "only {n} logs as {shape}: {made:?}");
    }
    assert!(failures.is_empty(), "{} shaped log(s):\n{}", failures.len(), failures.join("\n"));
}
