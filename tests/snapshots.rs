//! Reviewed snapshots (insta) of what a user sees: the table, markdown and github
//! renderings of a handful of corpus reports, `--help` of every command, the
//! errors a user can get from local input, and `patterns list`. A change shows as
//! a diff of the `.snap` file under `tests/snapshots/`; review it and accept it
//! with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test snapshots`).
//! CI compares: a missing or different snapshot fails the test.

use std::path::Path;
use std::process::{Command, Output};

use npm_logdoc::pattern::RuleSet;
use npm_logdoc::render::{self, Context, Format};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

/// Corpus logs whose reports are snapshotted: one cause, two causes, an unsure
/// answer, and a log with no publish cause.
const REPORTS: &[&str] = &[
    "npm-auth/classic-token-revoked-e401-paste",
    "oidc/npm-upgrade-failed-eacces",
    "npm-auth/token-expired-or-invalid-after-continue-on-error-tests",
    "negative/install-network-reset",
];

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("COLUMNS")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Exit code and both streams, as one text to review.
fn shown(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    format!("exit: {:?}\n--- stdout\n{stdout}--- stderr\n{stderr}", out.status.code())
}

/// The version moves on its own; a snapshot should not.
fn unversioned(text: &str) -> String {
    text.replace(render::VERSION, "[VERSION]")
}

#[test]
fn reports_in_every_human_format() {
    let rules = RuleSet::builtin_for_analysis().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for case in REPORTS {
        let log = std::fs::read_to_string(root.join(format!("{case}.log"))).unwrap();
        let report = npm_logdoc::analyze_text("release", &log, &rules);
        let name = case.replace('/', "__");
        for (format, ext) in [(Format::Table, "table"), (Format::Markdown, "markdown"), (Format::Github, "github")] {
            let cx = Context { width: Some(100), ..Context::default() };
            let text = unversioned(&render::render(&report, format, &cx));
            insta::assert_snapshot!(format!("report__{name}__{ext}"), text);
        }
    }
}

#[test]
fn help_of_every_command() {
    for args in [
        &["--help"][..],
        &["analyze", "--help"],
        &["explain", "--help"],
        &["patterns", "--help"],
        &["patterns", "list", "--help"],
        &["patterns", "check", "--help"],
        &["patterns", "facts", "--help"],
        &["comment", "--help"],
        &["check", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let name = format!("help__{}", args[..args.len() - 1].join("_"));
        insta::assert_snapshot!(if name == "help__" { "help".to_string() } else { name }, shown(&out));
    }
}

#[test]
fn patterns_list() {
    let out = run(&["patterns", "list"]);
    insta::assert_snapshot!("patterns_list", shown(&out));
}

/// The errors of local input and of the command line, each with its exit code.
#[test]
fn errors_a_user_can_get() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir_all(rules.join("custom")).unwrap();
    // An unknown key.
    std::fs::write(
        rules.join("custom/bad.toml"),
        "title = \"Bad\"\nexplanation = \"x\"\nconfidence = \"high\"\nsurprise = 1\n",
    )
    .unwrap();
    let dir = rules.to_str().unwrap();
    // A problem found across rules: shown at the entry that says it, never at 1:1.
    let across = tmp.path().join("across");
    std::fs::create_dir_all(across.join("custom")).unwrap();
    std::fs::write(
        across.join("custom/folds.toml"),
        "title = \"t\"\nconfidence = \"high\"\nexplanation = \"e\"\nsupersedes = [\"custom/nothing\"]\n[[signal]]\nname = \"s\"\nliteral = \"zzqx unique\"\n[when]\nall = [\"s\"]\n[[fix]]\ntitle = \"f\"\nbody = \"b\"\n[[example]]\nmatches = true\nlog = \"zzqx unique\"\n[[example]]\nmatches = false\nlog = \"no\"\n",
    )
    .unwrap();
    let across = across.to_str().unwrap();
    let shown_in = |args: &[&str]| shown(&run(args)).replace(tmp.path().to_str().unwrap(), "[TMP]");
    let cases: &[(&str, &[&str])] = &[
        ("missing_file", &["analyze", "/nonexistent/job.log"]),
        ("bad_rule_file", &["patterns", "check", dir]),
        ("bad_rule_file_on_analyze", &["analyze", "--example", "--patterns", dir]),
        ("rule_supersedes_nothing", &["patterns", "check", across]),
        ("unknown_cause", &["explain", "oidc/npm-to-old"]),
        ("run_flag_without_run", &["analyze", "--job", "x", "--example"]),
        ("bad_repo_flag", &["analyze", "1", "-R", "not a repo"]),
        ("comment_not_a_run", &["comment", "job.log"]),
        ("comment_on_a_job", &["comment", "https://github.com/o/r/actions/runs/1/job/2"]),
        ("attempts_differ", &["analyze", "https://github.com/o/r/actions/runs/1/attempts/2", "--attempt", "3"]),
    ];
    for (name, args) in cases {
        insta::assert_snapshot!(format!("error__{name}"), shown_in(args));
    }
}
