//! `check --fix`: the mechanical edits, applied in a way that keeps comments,
//! order and indentation: `yamlpatch` for YAML, byte-position insertions for
//! package.json, one-line replacements for `.npmrc`. Dry run prints a unified diff.

use std::collections::BTreeMap;
use std::path::Path;

use yamlpatch::{Op, Patch};
use yamlpath::{Component, Route};

use super::package::Package;
use super::workflow::RouteBuf;

/// One edit to one file.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Add `id-token: write` to the `permissions` of the mapping at `at` (a job, or
    /// `[]` for the workflow), creating the block (with `contents: read`) if absent.
    AddIdToken { file: String, at: RouteBuf },
    /// Set `key.name: value` pairs in the mapping `key` of the mapping at `at`
    /// (created if absent).
    MergeYaml { file: String, at: RouteBuf, key: String, pairs: Vec<(String, String)> },
    /// Remove the YAML key at `route`.
    RemoveYaml { file: String, route: RouteBuf },
    /// Rewrite the first `from` in the scalar at `route` to `to`.
    RewriteYaml { file: String, route: RouteBuf, from: String, to: String },
    /// Add `"key": value` as the last member of the object at `parent` of a package.json.
    JsonInsert { file: String, parent: Vec<String>, key: String, value: serde_json::Value },
    /// Replace the string at `path` of a package.json.
    JsonReplace { file: String, path: Vec<String>, value: String },
    /// Replace `from` with `to` on 1-based line `line` of a text file.
    TextReplace { file: String, line: usize, from: String, to: String },
}

impl Edit {
    pub fn file(&self) -> &str {
        match self {
            Edit::AddIdToken { file, .. }
            | Edit::MergeYaml { file, .. }
            | Edit::RemoveYaml { file, .. }
            | Edit::RewriteYaml { file, .. }
            | Edit::JsonInsert { file, .. }
            | Edit::JsonReplace { file, .. }
            | Edit::TextReplace { file, .. } => file,
        }
    }
}

/// A file's text before and after the edits.
#[derive(Debug)]
pub struct Change {
    pub file: String,
    pub before: String,
    pub after: String,
}

/// Applies `edits` to the files under `root` in memory. An edit that cannot be
/// made is reported in the second list and the others still apply.
pub fn plan(root: &Path, edits: &[Edit]) -> (Vec<Change>, Vec<String>) {
    let mut by_file: BTreeMap<&str, Vec<&Edit>> = BTreeMap::new();
    for e in edits {
        let list = by_file.entry(e.file()).or_default();
        if !list.contains(&e) {
            list.push(e);
        }
    }
    let mut changes = Vec::new();
    let mut failed = Vec::new();
    for (file, edits) in by_file {
        let Ok(before) = std::fs::read_to_string(root.join(file)) else {
            failed.push(format!("{file}: cannot be read"));
            continue;
        };
        let mut text = before.clone();
        for e in edits {
            match apply(&text, file, e) {
                Ok(t) => text = t,
                Err(why) => failed.push(format!("{file}: {why}")),
            }
        }
        if text != before {
            changes.push(Change { file: file.to_string(), before, after: text });
        }
    }
    (changes, failed)
}

fn route(r: &RouteBuf) -> Route<'static> {
    Route::from(r.clone())
}

fn apply(text: &str, file: &str, edit: &Edit) -> Result<String, String> {
    match edit {
        Edit::AddIdToken { at, .. } => {
            let doc = yamlpath::Document::new(text.to_string()).map_err(|e| e.to_string())?;
            let mut perms = at.clone();
            perms.push(Component::Key("permissions".into()));
            let exists = doc.query_exists(&route(&perms));
            // The shorthand forms: `write-all` already grants it; `read-all` becomes
            // the explicit map it stands for, plus `id-token: write`. (`{}` is an
            // empty flow mapping, which `Op::Add` fills in.)
            let shorthand = doc
                .query_exact(&route(&perms))
                .ok()
                .flatten()
                .and_then(|f| yaml_serde::from_str::<String>(doc.extract(&f)).ok());
            match shorthand.as_deref() {
                Some("write-all") => return Ok(text.to_string()),
                Some("read-all") => {
                    return expand_read_all(text, &doc, at)
                        .ok_or_else(|| "cannot rewrite `permissions: read-all` into a map here".to_string());
                }
                _ => {}
            }
            let patch = if exists {
                Patch {
                    route: route(&perms),
                    operation: Op::Add { key: "id-token".into(), value: yaml_serde::Value::String("write".into()) },
                }
            } else if let Some(out) = permissions_before_body(text, &doc, at) {
                return Ok(out);
            } else {
                let mut updates = indexmap::IndexMap::new();
                updates.insert("contents".to_string(), yaml_serde::Value::String("read".into()));
                updates.insert("id-token".to_string(), yaml_serde::Value::String("write".into()));
                Patch { route: route(at), operation: Op::MergeInto { key: "permissions".into(), updates } }
            };
            yaml(&doc, patch)
        }
        Edit::MergeYaml { at, key, pairs, .. } => {
            let doc = yamlpath::Document::new(text.to_string()).map_err(|e| e.to_string())?;
            let updates = pairs.iter().map(|(k, v)| (k.clone(), yaml_serde::Value::String(v.clone()))).collect();
            yaml(&doc, Patch { route: route(at), operation: Op::MergeInto { key: key.clone(), updates } })
        }
        Edit::RemoveYaml { route: r, .. } => {
            let doc = yamlpath::Document::new(text.to_string()).map_err(|e| e.to_string())?;
            yaml(&doc, Patch { route: route(r), operation: Op::Remove })
        }
        Edit::RewriteYaml { route: r, from, to, .. } => {
            let doc = yamlpath::Document::new(text.to_string()).map_err(|e| e.to_string())?;
            yaml(
                &doc,
                Patch {
                    route: route(r),
                    operation: Op::RewriteFragment {
                        from: subfeature::Subfeature::new(0, from.as_str()),
                        to: to.as_str().into(),
                    },
                },
            )
        }
        Edit::JsonInsert { parent, key, value, .. } => {
            let p = Package::parse("", file, text.to_string()).map_err(|f| f.message.clone())?;
            let parent: Vec<&str> = parent.iter().map(String::as_str).collect();
            p.insert_member(&parent, key, value).ok_or_else(|| format!("cannot add `{key}`"))
        }
        Edit::JsonReplace { path, value, .. } => {
            let p = Package::parse("", file, text.to_string()).map_err(|f| f.message.clone())?;
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            p.replace_string(&path, value).ok_or_else(|| format!("cannot replace `{}`", path.join(".")))
        }
        Edit::TextReplace { line, from, to, .. } => {
            let mut out = String::with_capacity(text.len());
            let mut done = false;
            for (i, l) in text.split_inclusive('\n').enumerate() {
                if i + 1 == *line && !done && l.contains(from.as_str()) {
                    out.push_str(&l.replacen(from.as_str(), to, 1));
                    done = true;
                } else {
                    out.push_str(l);
                }
            }
            if done { Ok(out) } else { Err(format!("line {line} no longer holds `{from}`")) }
        }
    }
}

/// A new `permissions:` block written on the lines before the job's `steps:` (or
/// `uses:`), or before the workflow's `jobs:`, where people put it, in the file's
/// own indentation. `None` when that key does not start its line (flow style).
fn permissions_before_body(text: &str, doc: &yamlpath::Document, at: &RouteBuf) -> Option<String> {
    let anchors: &[&str] = if at.is_empty() { &["jobs"] } else { &["steps", "uses", "runs-on"] };
    let (start, _) = anchors.iter().find_map(|a| {
        let mut r = at.clone();
        r.push(Component::Key((*a).into()));
        let f = doc.query_key_only(&route(&r)).ok()?;
        Some(f.location.byte_span)
    })?;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..start];
    if !indent.chars().all(|c| c == ' ') {
        return None;
    }
    let unit = indent_unit(text, doc, at, indent.len())?;
    let block = format!("{indent}permissions:\n{indent}{unit}contents: read\n{indent}{unit}id-token: write\n");
    let mut out = String::with_capacity(text.len() + block.len());
    out.push_str(&text[..line_start]);
    out.push_str(&block);
    out.push_str(&text[line_start..]);
    // Only if it still parses as the same kind of document.
    yaml_serde::from_str::<yaml_serde::Value>(&out).ok()?;
    Some(out)
}

/// One level of the file's indentation below the mapping at `at` (a job, or `[]`
/// for the workflow), whose keys stand at column `key_col`.
fn indent_unit(text: &str, doc: &yamlpath::Document, at: &RouteBuf, key_col: usize) -> Option<String> {
    if at.is_empty() {
        // The indentation of the first job key.
        let jobs = doc.query_pretty(&route(&vec![Component::Key("jobs".into())])).ok()?;
        let inner = &text[jobs.location.byte_span.0..];
        let first = inner.lines().skip(1).find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
        Some(" ".repeat(first.len() - first.trim_start().len()).max("  ".to_string()))
    } else {
        let job = doc.query_key_only(&route(at)).ok()?;
        let job_col = job.location.point_span.0.1;
        Some(" ".repeat(key_col.saturating_sub(job_col).max(2)))
    }
}

/// The scopes `permissions: read-all` grants read access to, as GitHub documents
/// them for `GITHUB_TOKEN` (`repository-projects` left out: GitHub removed it with
/// Projects (classic)). `id-token` is the one `--fix` adds, at `write`.
pub const READ_ALL_SCOPES: &[&str] = &[
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "security-events",
    "statuses",
];

/// `permissions: read-all` at `at` rewritten as the map it stands for, with
/// `id-token: write` added in its place in the order: the key's line keeps its
/// comment, the map follows in the file's indentation. `None` when the key does
/// not start its line (flow style) or the result would not parse.
fn expand_read_all(text: &str, doc: &yamlpath::Document, at: &RouteBuf) -> Option<String> {
    let mut perms = at.clone();
    perms.push(Component::Key("permissions".into()));
    let key = doc.query_key_only(&route(&perms)).ok()?;
    let value = doc.query_exact(&route(&perms)).ok()??;
    let (key_start, key_end) = key.location.byte_span;
    let (value_start, value_end) = value.location.byte_span;
    let line_start = text[..key_start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..key_start];
    if !indent.chars().all(|c| c == ' ') || text[key_end..value_start].contains('\n') {
        return None;
    }
    let line_end = text[value_end..].find('\n').map_or(text.len(), |i| value_end + i);
    let unit = indent_unit(text, doc, at, indent.len())?;
    let mut scopes: Vec<(&str, &str)> = READ_ALL_SCOPES.iter().map(|s| (*s, "read")).collect();
    scopes.push(("id-token", "write"));
    scopes.sort_unstable();
    let mut out = String::with_capacity(text.len() + 32 * scopes.len());
    out.push_str(text[..value_start].trim_end_matches([' ', '\t']));
    // What followed the value on its line: a comment, or nothing.
    out.push_str(&text[value_end..line_end]);
    for (scope, level) in scopes {
        out.push_str(&format!("\n{indent}{unit}{scope}: {level}"));
    }
    out.push_str(&text[line_end..]);
    yaml_serde::from_str::<yaml_serde::Value>(&out).ok()?;
    Some(out)
}

fn yaml(doc: &yamlpath::Document, patch: Patch) -> Result<String, String> {
    yamlpatch::apply_yaml_patches(doc, &[patch]).map(|d| d.source().to_string()).map_err(|e| e.to_string())
}

/// A unified diff of the changes (`a/` and `b/` paths, three lines of context).
pub fn diff(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let d = similar::TextDiff::from_lines(&c.before, &c.after);
        out.push_str(
            &d.unified_diff().context_radius(3).header(&format!("a/{}", c.file), &format!("b/{}", c.file)).to_string(),
        );
    }
    out
}

/// Writes the changes.
pub fn write(root: &Path, changes: &[Change]) -> std::io::Result<()> {
    for c in changes {
        std::fs::write(root.join(&c.file), &c.after)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::workflow::key;

    fn add_id_token(text: &str, at: &[&str]) -> Result<String, String> {
        let at: RouteBuf = at.iter().map(|k| key(k)).collect();
        apply(text, "w.yml", &Edit::AddIdToken { file: "w.yml".into(), at })
    }

    const JOBS: &str = "jobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish\n";

    #[test]
    fn read_all_becomes_the_explicit_map_with_id_token() {
        let text = format!("on: push\npermissions: read-all  # least privilege\n{JOBS}");
        let out = add_id_token(&text, &[]).unwrap();
        assert!(out.starts_with("on: push\npermissions:  # least privilege\n  actions: read\n"), "{out}");
        assert!(out.contains("\n  discussions: read\n  id-token: write\n  issues: read\n"), "{out}");
        assert!(out.ends_with(&format!("  statuses: read\n{JOBS}")), "{out}");
        let wf: github_actions_models::workflow::Workflow = yaml_serde::from_str(&out).unwrap();
        let github_actions_models::common::Permissions::Explicit(map) = &wf.permissions else { panic!("{out}") };
        assert_eq!(map.len(), READ_ALL_SCOPES.len() + 1);
        assert!(map.iter().all(|(k, v)| {
            use github_actions_models::common::Permission;
            *v == if k == "id-token" { Permission::Write } else { Permission::Read }
        }));
    }

    #[test]
    fn read_all_on_a_job_keeps_the_job_indentation() {
        let text = "on: push\njobs:\n    publish:\n        runs-on: ubuntu-latest\n        permissions: 'read-all'\n        steps:\n            - run: npm publish\n";
        let out = add_id_token(text, &["jobs", "publish"]).unwrap();
        assert!(out.contains("        permissions:\n            actions: read\n"), "{out}");
        assert!(out.contains("            statuses: read\n        steps:\n"), "{out}");
    }

    #[test]
    fn empty_and_write_all_forms() {
        let text = format!("on: push\npermissions: {{}}\n{JOBS}");
        let out = add_id_token(&text, &[]).unwrap();
        assert!(out.contains("permissions: { id-token: write }\n"), "{out}");
        let text = format!("on: push\npermissions: write-all\n{JOBS}");
        assert_eq!(add_id_token(&text, &[]).unwrap(), text);
        // A flow-style shorthand inside a flow job cannot be expanded in place.
        let text =
            "on: push\njobs: {publish: {runs-on: ubuntu-latest, permissions: read-all, steps: [{run: npm publish}]}}\n";
        assert!(add_id_token(text, &["jobs", "publish"]).is_err());
    }
}
