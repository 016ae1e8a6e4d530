//! The modules of `src/` depend on each other in one direction: this reads every
//! `use crate::...` (and `super::...`) line and every inline `crate::` path, and
//! fails on a cycle, naming it.
//!
//! A node is a folder module (`source`, `source::github`, `pattern`, ...) or a file
//! directly in `src/` (`cli`, `walk`, ...); the crate root (`lib.rs`) is the node
//! `crate`, and its bare `module::` paths count as well. A file inside a folder
//! belongs to the folder's node, so a module and its own files may use each other.
//! Unit tests (`#[cfg(test)]` onwards) are left out: they may reach anywhere. An
//! item is counted where it is named: `crate::Report` is the root's (a re-export),
//! so a module below the root names `crate::diagnose::Report` instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file relative to `src/` (`source/github/mod.rs` ->
/// `source::github`, `lib.rs` -> ``), and whether it is a folder's `mod.rs`.
fn module_of(rel: &Path) -> (Vec<String>, bool) {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let file = parts.pop().unwrap();
    let stem = file.trim_end_matches(".rs").to_string();
    if stem == "mod" || (parts.is_empty() && stem == "lib") {
        (parts, true)
    } else {
        parts.push(stem);
        (parts, false)
    }
}

/// The node of a module path: the longest prefix that is a node.
fn node_of(path: &[String], nodes: &BTreeSet<String>) -> String {
    for n in (1..=path.len()).rev() {
        let name = path[..n].join("::");
        if nodes.contains(&name) {
            return name;
        }
    }
    "crate".to_string()
}

/// The paths a `use` tree names: `a::{b, c::{d, e}}` -> `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or(&tree).to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items.into_iter().filter(|i| !i.is_empty()).flat_map(expand).map(|rest| format!("{prefix}{rest}")).collect()
}

/// The code of a file without comments and without its unit tests.
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") || line.trim_start().starts_with("#[cfg(all(test") {
            break;
        }
        let line = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The paths (as segments) a file's code names: its `use` trees, and inline
/// `crate::a::b` paths; for the crate root also bare `a::b` with `a` a module.
fn paths(code: &str, top: &BTreeSet<String>, root: bool) -> Vec<(Vec<String>, String)> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let at = code.len() - rest.len() + i;
        let after = &rest[i + 4..];
        rest = after;
        // A `use` item starts its line, after at most a visibility: the word in
        // prose or a string (`"... to use OIDC"`) is no item.
        let line_start = code[..at].rfind('\n').map_or(0, |n| n + 1);
        let lead = code[line_start..at].trim();
        let visibility = lead.is_empty() || lead == "pub" || lead.starts_with("pub(") && lead.ends_with(')');
        if !visibility {
            continue;
        }
        let Some(end) = after.find(';') else { break };
        let tree = &after[..end];
        if tree.contains('\n') && !tree.contains('{') {
            continue;
        }
        for p in expand(tree) {
            found.push((p.split("::").map(str::to_string).collect(), format!("use {}", p)));
        }
    }
    let bytes = code.as_bytes();
    for (i, _) in code.match_indices("::") {
        // The identifier before this `::`, when it starts a path.
        let mut s = i;
        while s > 0 && (bytes[s - 1].is_ascii_alphanumeric() || bytes[s - 1] == b'_') {
            s -= 1;
        }
        if s == i || (s >= 2 && &code[s - 2..s] == "::") {
            continue;
        }
        let head = &code[s..i];
        if head != "crate" && !(root && top.contains(head)) {
            continue;
        }
        let mut e = i;
        while e < bytes.len() && (bytes[e].is_ascii_alphanumeric() || bytes[e] == b'_' || bytes[e] == b':') {
            e += 1;
        }
        let path = &code[s..e];
        found.push((path.split("::").filter(|p| !p.is_empty()).map(str::to_string).collect(), path.to_string()));
    }
    found
}

/// The module graph: node -> (node it uses -> the first file and path that says so).
fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.retain(|f| f.strip_prefix(&src).unwrap() != Path::new("main.rs"));
    let mut nodes = BTreeSet::from(["crate".to_string()]);
    let mut top = BTreeSet::new();
    for f in &files {
        let (module, is_mod) = module_of(f.strip_prefix(&src).unwrap());
        if let Some(first) = module.first() {
            top.insert(first.clone());
        }
        if (is_mod || module.len() == 1) && !module.is_empty() {
            nodes.insert(module.join("::"));
        }
    }
    let mut graph = Graph::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let (module, _) = module_of(rel);
        let from = if module.is_empty() { "crate".to_string() } else { node_of(&module, &nodes) };
        let text = std::fs::read_to_string(f).unwrap();
        for (segments, said) in paths(&code(&text), &top, module.is_empty()) {
            // Absolute module path of what is named.
            let mut abs: Vec<String> = Vec::new();
            let mut segs = segments.as_slice();
            match segs.first().map(String::as_str) {
                Some("crate") => segs = &segs[1..],
                Some("super") => {
                    abs = module.clone();
                    while segs.first().is_some_and(|s| s == "super") {
                        abs.pop();
                        segs = &segs[1..];
                    }
                }
                Some(first) if module.is_empty() && top.contains(first) => {}
                _ => continue,
            }
            abs.extend(segs.iter().cloned());
            let to = node_of(&abs, &nodes);
            if to != from {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| format!("src/{}: {said}", rel.display()));
            }
        }
    }
    graph
}

/// A cycle in `graph`, as the nodes along it and the line that makes each step.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|m| m.keys()) {
            match state.get(next.as_str()) {
                Some(1) => {
                    let start = stack.iter().position(|n| n == next).unwrap();
                    let mut path: Vec<String> = stack[start..].to_vec();
                    path.push(next.clone());
                    return Some(path);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node.as_str()) {
            let mut stack = Vec::new();
            if let Some(c) = visit(node, graph, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

/// The groups of nodes that all reach each other (more than one node each).
fn tangles(graph: &Graph) -> Vec<BTreeSet<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(n) = todo.pop() {
            for next in graph.get(&n).into_iter().flat_map(|m| m.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|n| (n, reach(n))).collect();
    let mut groups: Vec<BTreeSet<String>> = Vec::new();
    for (n, r) in &reaches {
        if !r.contains(*n) || groups.iter().any(|g| g.contains(*n)) {
            continue;
        }
        let group: BTreeSet<String> =
            r.iter().filter(|m| reaches.get(m).is_some_and(|back| back.contains(*n))).cloned().collect();
        groups.push(group);
    }
    groups
}

#[test]
fn src_modules_depend_on_each_other_in_one_direction() {
    let graph = graph();
    if let Some(path) = cycle(&graph) {
        let steps: Vec<String> =
            path.windows(2).map(|w| format!("  {} -> {}   ({})", w[0], w[1], graph[&w[0]][&w[1]])).collect();
        let groups: Vec<String> =
            tangles(&graph).iter().map(|g| g.iter().cloned().collect::<Vec<_>>().join(", ")).collect();
        panic!(
            "an import cycle among src/ modules:\n{}\nmodules that all reach each other: [{}]",
            steps.join("\n"),
            groups.join("], [")
        );
    }
}

#[test]
fn the_reader_sees_nested_use_trees_super_and_inline_paths() {
    let mut got = expand("crate::a::{b, c::{D, e::F}}");
    got.sort();
    assert_eq!(got, ["crate::a::b", "crate::a::c::D", "crate::a::c::e::F"]);
    let top = BTreeSet::from(["source".to_string()]);
    let text = "use super::X;\nconst D: &str = \"the job means to use OIDC: yes\";\nfn f() { crate::bot::run(); x::crate_y(); }\n// crate::cli::no\n#[cfg(test)]\nuse crate::cli::Y;";
    let said: Vec<String> = paths(&code(text), &top, false).into_iter().map(|(_, s)| s).collect();
    assert_eq!(said, ["use super::X", "crate::bot::run"]);
    let said: Vec<String> =
        paths("fn f() { source::github::scan(); other::x(); }", &top, true).into_iter().map(|(_, s)| s).collect();
    assert_eq!(said, ["source::github::scan"]);
    // The real graph sees the edges everyone knows are there.
    let graph = graph();
    assert!(graph["cli"].contains_key("source::github"), "{graph:?}");
    assert!(graph["source::github"].contains_key("source"), "{graph:?}");
}
/// `cargo test --test layers -- --ignored --nocapture` prints the graph.
#[test]
#[ignore = "prints the module graph for a reader"]
fn print_the_module_graph() {
    for (from, tos) in graph() {
        for (to, said) in tos {
            println!("{from} -> {to}   {said}");
        }
    }
}
