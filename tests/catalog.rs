//! `patterns list` and `explain` through the real binary say what the loaded rules
//! say: every rule, its title, confidence and family, and every fix of one cause.

use std::process::{Command, Output, Stdio};

use npm_logdoc::pattern::{RuleSet, generic_title};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).stdin(Stdio::null()).output().unwrap()
}

fn stdout_ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn builtin() -> RuleSet {
    RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"))
}

/// `patterns list --json` lists one item per rule file on disk (counted here,
/// not from the loaded rules it is printed from), and an item reads as reviewed.
#[test]
fn list_json_has_an_item_per_rule_file() {
    let items: Vec<serde_json::Value> =
        serde_json::from_str(&stdout_ok(&run(&["patterns", "list", "--json"]))).unwrap();
    let mut files = 0;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
    for family in std::fs::read_dir(&root).unwrap() {
        let family = family.unwrap().path();
        if family.is_dir() {
            files += std::fs::read_dir(&family)
                .unwrap()
                .filter(|f| f.as_ref().unwrap().path().extension().is_some_and(|e| e == "toml"))
                .count();
        }
    }
    assert_eq!(items.len(), files, "one item per patterns/<family>/<name>.toml");
    let version_exists = items.iter().find(|i| i["id"] == "publish/version-exists").expect("a known rule");
    insta::assert_snapshot!("list_json_item", serde_json::to_string_pretty(version_exists).unwrap());
}

#[test]
fn list_table_names_every_rule_with_a_readable_title() {
    let rules = builtin();
    let text = stdout_ok(&run(&["patterns", "list"]));
    for rule in &rules.rules {
        assert!(text.contains(&rule.id), "{} missing from:\n{text}", rule.id);
    }
    assert!(!text.contains("{{"), "a placeholder left in a title:\n{text}");
    assert_eq!(text.lines().last(), Some(format!("{} rules", rules.rules.len()).as_str()));
}

#[test]
fn generic_titles_use_fallbacks_and_name_bare_placeholders() {
    assert_eq!(
        generic_title("Version {{version|this version}} is already published"),
        "Version this version is already published"
    );
    assert_eq!(generic_title("npm {{npm}} cannot"), "npm <npm> cannot");
    assert_eq!(generic_title("use ${{ secrets.NPM_TOKEN }}"), "use ${{ secrets.NPM_TOKEN }}");
}

#[test]
fn explain_prints_each_cause_with_every_fix() {
    for rule in &builtin().rules {
        let text = stdout_ok(&run(&["explain", &rule.id]));
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(rule.id.as_str()));
        assert_eq!(lines.next(), Some(rule.title.as_str()));
        assert!(text.contains(&format!("confidence: {} (rank {})", rule.confidence, rule.rank)), "{text}");
        assert!(text.contains(rule.explanation.trim()), "{}: explanation missing", rule.id);
        assert!(!rule.fixes.is_empty(), "{} has no fix", rule.id);
        for (n, fix) in rule.fixes.iter().enumerate() {
            assert!(
                text.contains(&format!("  {}. {}\n", n + 1, fix.title)),
                "{}: fix {} missing:\n{text}",
                rule.id,
                n + 1
            );
        }
    }
}

/// Exit code 2 (usage) and one line on stderr holding `hint`.
fn assert_unknown(id: &str, hint: &str) {
    let out = run(&["explain", id]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with(&format!("npm-logdoc: error: no cause `{id}`: ")), "{stderr}");
    assert!(stderr.contains(hint), "wants {hint:?}: {stderr}");
}

#[test]
fn explain_of_an_unknown_id_suggests_the_near_ones() {
    assert_unknown("oidc/npm-to-old", "did you mean oidc/npm-too-old?");
    assert_unknown("npm-too-old", "did you mean oidc/npm-too-old?");
    assert_unknown("publish/versions-exist", "publish/version-exists");
    assert_unknown("provenance", "`provenance` is a family; its causes are provenance/");
    assert_unknown("zzzzzzzzzzzzzzzz", "`npm-logdoc patterns list` shows every id");
}

#[test]
fn a_rule_folder_replaces_a_builtin_in_list_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("publish")).unwrap();
    let builtin =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/patterns/publish/version-exists.toml")).unwrap();
    let own = builtin.replacen(
        "title = \"Version {{version|this version}} is already published\"",
        "title = \"Our own title for {{version|this version}}\"",
        1,
    );
    assert_ne!(own, builtin, "the built-in title changed; update this test");
    std::fs::write(dir.path().join("publish/version-exists.toml"), own).unwrap();
    let folder = dir.path().to_str().unwrap();

    let items: Vec<serde_json::Value> =
        serde_json::from_str(&stdout_ok(&run(&["patterns", "list", "--json", "--patterns", folder]))).unwrap();
    assert_eq!(items.len(), builtin_count());
    let item = items.iter().find(|i| i["id"] == "publish/version-exists").unwrap();
    assert_eq!(item["title"], "Our own title for {{version|this version}}");
    assert!(item["source"].as_str().unwrap().ends_with("version-exists.toml"));
    assert!(!item["source"].as_str().unwrap().starts_with("patterns/"), "{item}");

    let text = stdout_ok(&run(&["explain", "publish/version-exists", "--patterns", folder]));
    assert_eq!(text.lines().nth(1), Some("Our own title for {{version|this version}}"));
}

fn builtin_count() -> usize {
    builtin().rules.len()
}
