//! `npm-logdoc check` through the real binary, on the fixture repositories in
//! `tests/fixtures/check/<name>/`. Each fixture reproduces one cause; its `expect`
//! file lists `<cause id> <severity>` lines, the ids `analyze` would give for the
//! failure. A fixture is copied to a temporary folder with a `.git/config` whose
//! `origin` is https://github.com/octo-org/widget.git. Nothing touches the network.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The fixture in a temporary git-looking folder.
fn repo(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join(name), dir.path());
    std::fs::remove_file(dir.path().join("expect")).ok();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join(".git/config"),
        "[core]\n\trepositoryformatversion = 0\n[remote \"origin\"]\n\turl = https://github.com/octo-org/widget.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
    )
    .unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("check").arg(dir).args(args).stdin(Stdio::null()).output().unwrap()
}

fn json(dir: &Path) -> (serde_json::Value, Option<i32>) {
    let out = run(dir, &["--format", "json"]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (v, out.status.code())
}

fn findings(v: &serde_json::Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string()))
        .collect()
}

fn expected(name: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(fixtures().join(name).join("expect"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, sev) = l.split_once(' ').unwrap();
            (id.to_string(), sev.trim().to_string())
        })
        .collect()
}

fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(fixtures()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn every_fixture_gives_its_cause() {
    let mut failures = Vec::new();
    for name in fixture_names() {
        let dir = repo(&name);
        let (v, code) = json(dir.path());
        let got = findings(&v);
        let want = expected(&name);
        for w in &want {
            if !got.contains(w) {
                failures.push(format!("{name}: missing {} {} (got {got:?})", w.0, w.1));
            }
        }
        let errors = got.iter().any(|(_, s)| s == "error");
        if errors != want.iter().any(|(_, s)| s == "error") {
            failures.push(format!("{name}: errors {errors} but expected otherwise: {got:?}"));
        }
        if code != Some(if errors { 1 } else { 0 }) {
            failures.push(format!("{name}: exit code {code:?} with errors={errors}"));
        }
        for f in v["findings"].as_array().unwrap() {
            assert!(f["line"].as_u64().unwrap() >= 1 && f["column"].as_u64().unwrap() >= 1, "{name}: {f}");
            for k in ["id", "severity", "file", "message", "fix"] {
                assert!(f[k].is_string(), "{name}: {k} in {f}");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_cause_is_explained() {
    for name in fixture_names() {
        for (id, _) in expected(&name) {
            if id.starts_with("check/") {
                continue;
            }
            let out = Command::new(BIN).args(["explain", &id]).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{name}: `npm-logdoc explain {id}` fails");
        }
    }
}

#[test]
fn clean_fixture_has_no_error_and_names_the_trusted_publisher() {
    let dir = repo("clean");
    let (v, code) = json(dir.path());
    assert_eq!(code, Some(0), "{v}");
    let notes: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["id"] == "oidc/trusted-publisher-mismatch").collect();
    assert_eq!(notes.len(), 1, "{v}");
    let m = notes[0]["message"].as_str().unwrap();
    for part in ["owner `octo-org`", "repository `widget`", "workflow `release.yml`", "environment `(none)`"] {
        assert!(m.contains(part), "{m}");
    }
    assert_eq!(v["schema_version"], 1);
}

#[test]
fn findings_point_at_the_line() {
    let dir = repo("missing-id-token-permission");
    let (v, _) = json(dir.path());
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "oidc/missing-id-token-permission").unwrap();
    assert_eq!(f["file"], ".github/workflows/release.yml");
    let text = std::fs::read_to_string(dir.path().join(".github/workflows/release.yml")).unwrap();
    let line = text.lines().nth(f["line"].as_u64().unwrap() as usize - 1).unwrap();
    assert!(line.trim_start().starts_with("permissions:"), "{line}");
    assert!(f["message"].as_str().unwrap().contains("replaces the workflow's"), "{f}");
}

#[test]
fn bad_yaml_and_json_name_the_place_and_the_rest_is_checked() {
    let dir = repo("bad-yaml");
    let (v, code) = json(dir.path());
    assert_eq!(code, Some(1));
    let bad = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "check/unreadable-file").unwrap();
    assert_eq!(bad["file"], ".github/workflows/broken.yml");
    assert!(bad["line"].as_u64().unwrap() > 1, "{bad}");
    let dir = repo("bad-json");
    let (v, _) = json(dir.path());
    let bad = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "check/unreadable-file").unwrap();
    assert_eq!(bad["file"], "package.json");
    assert_eq!(bad["line"], 4, "{bad}");
    // The workflow was still read: its trusted-publisher note is there.
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["id"] == "oidc/trusted-publisher-mismatch"));
}

#[test]
fn reusable_workflow_blames_the_caller_and_names_it_as_publisher() {
    let dir = repo("reusable-workflow");
    let (v, _) = json(dir.path());
    let all = v["findings"].as_array().unwrap();
    let f = all.iter().find(|f| f["id"] == "oidc/missing-id-token-permission").unwrap();
    assert_eq!(f["file"], ".github/workflows/release.yml", "{f}");
    let note = all.iter().find(|f| f["id"] == "oidc/trusted-publisher-mismatch").unwrap();
    assert!(note["message"].as_str().unwrap().contains("workflow `release.yml`"), "{note}");
}

#[test]
fn monorepo_skips_private_packages_and_wants_directory() {
    let dir = repo("monorepo");
    let (v, _) = json(dir.path());
    let all = v["findings"].as_array().unwrap();
    assert!(all.iter().all(|f| !f["file"].as_str().unwrap().contains("internal")), "{v}");
    assert!(
        all.iter().any(|f| f["id"] == "provenance/repository-url-missing" && f["file"] == "packages/cli/package.json")
    );
    assert!(all.iter().any(|f| f["id"] == "provenance/repository-url-mismatch"
        && f["file"] == "packages/core/package.json"
        && f["severity"] == "warning"));
}

/// Original lines that the new text no longer has, in order.
fn removed_lines(before: &str, after: &str) -> Vec<String> {
    similar::TextDiff::from_lines(before, after)
        .iter_all_changes()
        .filter(|c| c.tag() == similar::ChangeTag::Delete)
        .map(|c| c.to_string())
        .collect()
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if !p.ends_with(".git") {
                    stack.push(p);
                }
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fix_round_trips() {
    // (fixture, cause the fix removes, most original lines the edit may touch)
    let cases = [
        ("missing-id-token-permission", "oidc/missing-id-token-permission", 0),
        ("empty-node-auth-token", "oidc/empty-node-auth-token", 2),
        ("composite-action", "oidc/empty-node-auth-token", 2),
        ("npm-upgrade-failed", "oidc/npm-upgrade-failed", 1),
        ("repository-url-missing", "provenance/repository-url-missing", 1),
        ("repository-url-mismatch", "provenance/repository-url-mismatch", 1),
        ("scoped-needs-public-access", "publish/scoped-needs-public-access", 1),
        ("wrong-registry-url", "npm-auth/wrong-registry-url", 1),
        ("npmrc-wrong-registry", "npm-auth/wrong-registry-url", 1),
        ("reusable-workflow", "oidc/missing-id-token-permission", 0),
        ("setup-node-registry-url-missing", "npm-auth/setup-node-registry-url-missing", 0),
        ("token-in-oidc-job", "oidc/empty-node-auth-token", 2),
        ("several-causes", "oidc/empty-node-auth-token", 3),
        ("permissions-read-all", "oidc/missing-id-token-permission", 1),
        ("permissions-read-all-job", "oidc/missing-id-token-permission", 1),
        ("permissions-empty", "oidc/missing-id-token-permission", 1),
        ("reusable-caller-read-all", "oidc/missing-id-token-permission", 1),
    ];
    for (name, id, max_removed) in cases {
        let dir = repo(name);
        let before = snapshot(dir.path());
        // Dry run: a diff, nothing written.
        let out = run(dir.path(), &["--fix"]);
        let diff = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(diff.contains("--- a/") && diff.contains("+++ b/"), "{name}: {diff}");
        assert_eq!(snapshot(dir.path()), before, "{name}: the dry run wrote");
        // Apply, then check again.
        let out = run(dir.path(), &["--fix", "--write"]);
        assert!(out.status.code().is_some(), "{name}");
        let (v, code) = json(dir.path());
        let left: Vec<_> = findings(&v).into_iter().filter(|(i, _)| i == id).collect();
        assert!(left.is_empty(), "{name}: {id} still there after --fix --write: {v}\n{diff}");
        assert_eq!(code, Some(0), "{name}: not clean after --fix --write: {v}");
        let after = snapshot(dir.path());
        for ((path, old), (_, new)) in before.iter().zip(&after) {
            let removed = removed_lines(old, new);
            assert!(removed.len() <= max_removed, "{name}: {} lost {removed:?}\n{new}", path.display());
            // Comment lines survive whole; a comment after a value survives when the
            // value is rewritten (`permissions: read-all  # why`).
            for line in old.lines() {
                let comment = if line.trim_start().starts_with('#') {
                    line
                } else if let Some(at) = line.find("  # ") {
                    &line[at..]
                } else {
                    continue;
                };
                assert!(new.contains(comment), "{name}: comment `{comment}` lost in {}", path.display());
            }
        }
    }
}

#[test]
fn fix_expands_read_all_keeping_read_access() {
    let dir = repo("permissions-read-all");
    run(dir.path(), &["--fix", "--write"]);
    let text = std::fs::read_to_string(dir.path().join(".github/workflows/release.yml")).unwrap();
    assert!(text.contains("\npermissions:  # least privilege for every job\n  actions: read\n"), "{text}");
    let wf: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    let perms = wf["permissions"].as_mapping().unwrap_or_else(|| panic!("{text}"));
    for scope in npm_logdoc::check::fix::READ_ALL_SCOPES {
        assert_eq!(perms.get(*scope).and_then(|v| v.as_str()), Some("read"), "{scope}: {text}");
    }
    assert_eq!(perms.get("id-token").and_then(|v| v.as_str()), Some("write"), "{text}");
    assert_eq!(perms.len(), npm_logdoc::check::fix::READ_ALL_SCOPES.len() + 1, "{text}");
}

#[test]
fn fix_pins_an_upgrade_that_installs_on_that_node() {
    let dir = repo("npm-upgrade-failed");
    run(dir.path(), &["--fix", "--write"]);
    let text = std::fs::read_to_string(dir.path().join(".github/workflows/release.yml")).unwrap();
    assert!(text.contains("run: npm install -g npm@^11.5.1"), "{text}");
}

fn sarif(dir: &Path) -> (serde_sarif::sarif::Sarif, serde_json::Value) {
    let out = run(dir, &["--format", "sarif"]);
    let typed = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not SARIF 2.1.0 ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (typed, serde_json::from_slice(&out.stdout).unwrap())
}

/// What GitHub code scanning needs of an upload, checked on the typed document
/// (`serde-sarif`'s types are generated from the 2.1.0 schema: a required member
/// missing or a level outside the schema's enum fails the deserialisation), and
/// what those types leave open (the version's value, 1-based regions, a relative
/// URI that names a file of the repository, unique rule ids) checked here.
fn assert_code_scanning_ready(name: &str, dir: &Path, doc: &serde_sarif::sarif::Sarif) {
    assert_eq!(doc.version, "2.1.0", "{name}");
    assert!(doc.schema.as_deref().is_some_and(|s| s.contains("sarif-2.1.0")), "{name}");
    assert_eq!(doc.runs.len(), 1, "{name}");
    let run = &doc.runs[0];
    assert_eq!(run.tool.driver.name, "npm-logdoc", "{name}");
    let rules = run.tool.driver.rules.as_deref().unwrap_or_default();
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), rules.len(), "{name}: duplicate rule ids");
    for r in rules {
        assert!(r.short_description.as_ref().is_some_and(|d| !d.text.is_empty()), "{name}: {}", r.id);
    }
    let mut fingerprints = Vec::new();
    for r in run.results.as_deref().unwrap_or_default() {
        let id = r.rule_id.as_deref().unwrap_or_else(|| panic!("{name}: a result without ruleId"));
        let index = r.rule_index.unwrap_or_else(|| panic!("{name}: {id} without ruleIndex")) as usize;
        assert_eq!(rules[index].id, id, "{name}");
        assert!(r.level.is_some(), "{name}: {id} without level");
        assert!(r.message.text.as_deref().is_some_and(|t| !t.is_empty()), "{name}: {id} without message.text");
        let locations = r.locations.as_deref().unwrap_or_default();
        assert_eq!(locations.len(), 1, "{name}: {id}");
        let physical = locations[0].physical_location.as_ref().unwrap();
        let artifact = physical.artifact_location.as_ref().unwrap();
        let uri = artifact.uri.as_deref().unwrap();
        assert!(!uri.contains("://") && !uri.starts_with('/') && !uri.contains('\\'), "{name}: {uri} is not relative");
        assert_eq!(artifact.uri_base_id.as_deref(), Some("%SRCROOT%"), "{name}");
        let text = std::fs::read_to_string(dir.join(uri)).unwrap_or_else(|e| panic!("{name}: {uri}: {e}"));
        let region = physical.region.as_ref().unwrap();
        let line = region.start_line.unwrap();
        assert!(line >= 1 && line as usize <= text.lines().count().max(1), "{name}: {uri}:{line}");
        assert!(region.start_column.unwrap() >= 1, "{name}: {uri}");
        let fp = r.partial_fingerprints.as_ref().and_then(|f| f.get("npmLogdocFinding/v1")).cloned();
        fingerprints.push(fp.unwrap_or_else(|| panic!("{name}: {id} without a fingerprint")));
    }
    let n = fingerprints.len();
    fingerprints.sort();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), n, "{name}: two results share a fingerprint");
}

#[test]
fn sarif_is_2_1_0_and_what_code_scanning_needs() {
    for name in fixture_names() {
        let dir = repo(&name);
        let (doc, raw) = sarif(dir.path());
        assert_code_scanning_ready(&name, dir.path(), &doc);
        // One result per finding of the JSON output, with its level.
        let (v, _) = json(dir.path());
        let want: Vec<(String, String)> = findings(&v);
        let got: Vec<(String, String)> = raw["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["ruleId"].as_str().unwrap().to_string(), r["level"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn sarif_names_nested_files_relative_to_the_root() {
    let dir = repo("monorepo");
    let (doc, _) = sarif(dir.path());
    let uris: Vec<String> = doc.runs[0]
        .results
        .iter()
        .flatten()
        .filter_map(|r| r.locations.as_ref()?[0].physical_location.as_ref()?.artifact_location.as_ref()?.uri.clone())
        .collect();
    assert!(uris.iter().any(|u| u == "packages/cli/package.json"), "{uris:?}");
}

#[test]
fn sarif_fingerprints_survive_moved_lines() {
    let dir = repo("several-causes");
    let prints = |dir: &Path| -> Vec<(String, i64)> {
        let (doc, _) = sarif(dir);
        doc.runs[0]
            .results
            .iter()
            .flatten()
            .map(|r| {
                let line =
                    r.locations.as_ref().unwrap()[0].physical_location.as_ref().unwrap().region.as_ref().unwrap();
                (r.partial_fingerprints.as_ref().unwrap()["npmLogdocFinding/v1"].clone(), line.start_line.unwrap())
            })
            .collect()
    };
    let before = prints(dir.path());
    let wf = dir.path().join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&wf).unwrap();
    std::fs::write(&wf, format!("# a comment above everything\n# and another\n{text}")).unwrap();
    let after = prints(dir.path());
    assert_eq!(before.len(), after.len());
    let moved = before.iter().zip(&after).filter(|(b, a)| b.1 != a.1).count();
    assert!(moved > 0, "no line moved: {before:?}");
    let ids = |v: &[(String, i64)]| {
        let mut v: Vec<String> = v.iter().map(|(f, _)| f.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&before), ids(&after), "fingerprints changed with the line numbers");
}

#[test]
fn github_annotations_point_at_the_file_and_line() {
    let dir = repo("npm-too-old");
    let out = run(dir.path(), &["--format", "github"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("::error ")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("file=.github/workflows/release.yml,line=20,"), "{line}");
    assert!(line.contains("title=oidc/npm-too-old::"), "{line}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn markdown_and_table_render() {
    let dir = repo("self-hosted-runner");
    let md = String::from_utf8_lossy(&run(dir.path(), &["--format", "markdown"]).stdout).into_owned();
    assert!(md.contains("| `.github/workflows/release.yml:") && md.contains("`oidc/self-hosted-runner`"), "{md}");
    let table = String::from_utf8_lossy(&run(dir.path(), &["--format", "table"]).stdout).into_owned();
    assert!(table.contains("oidc/self-hosted-runner"), "{table}");
}

#[test]
fn analyze_says_check_fix_writes_the_fix_inside_the_repository() {
    let dir = repo("empty-node-auth-token");
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/oidc/empty-node-auth-token-empty-string.log");
    let out = Command::new(BIN)
        .args(["analyze", "--format", "json"])
        .arg(&log)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("npm-logdoc check --fix") && stderr.contains("oidc/empty-node-auth-token"), "{stderr}");
    // Outside a repository, nothing is said.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["analyze", "--format", "json"])
        .arg(&log)
        .current_dir(elsewhere.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("check --fix"));
}

#[test]
fn online_asks_a_mock_registry_whether_the_package_exists() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("GET")).and(path("/widget")).respond_with(ResponseTemplate::new(404)).mount(&server),
    );
    let dir = repo("clean");
    let out = run(dir.path(), &["--format", "json", "--online", "--registry", &server.uri()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(findings(&v).contains(&("oidc/first-publish".into(), "error".into())), "{v}");
    assert_eq!(out.status.code(), Some(1));
    rt.block_on(server.reset());
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/widget"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"name": "widget"})))
            .mount(&server),
    );
    let out = run(dir.path(), &["--format", "json", "--online", "--registry", &server.uri()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}
