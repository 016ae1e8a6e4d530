//! A package.json: its values (serde_json), where its keys are (a small scanner
//! over the original text), and format-preserving insertions at computed byte
//! positions. The file is never re-serialised.

use std::path::Path;

use serde_json::Value;

use super::Finding;

#[derive(Clone, Debug)]
pub struct Package {
    /// Folder relative to the root (`""` for the root).
    pub dir: String,
    /// `package.json` relative to the root.
    pub file: String,
    pub text: String,
    pub json: Value,
    pub name: Option<String>,
    pub private: bool,
}

/// Where a key and its value are in the text.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    /// Byte offset of the key's opening quote.
    pub key: usize,
    /// Byte range of the value.
    pub value: (usize, usize),
}

impl Package {
    /// Reads `dir/package.json`; `Ok(None)` when there is none.
    pub fn load(root: &Path, dir: &str) -> Result<Option<Package>, Box<Finding>> {
        let file = if dir.is_empty() { "package.json".to_string() } else { format!("{dir}/package.json") };
        let Ok(text) = std::fs::read_to_string(root.join(&file)) else { return Ok(None) };
        Package::parse(dir, &file, text).map(Some)
    }

    pub fn parse(dir: &str, file: &str, text: String) -> Result<Package, Box<Finding>> {
        let json: Value = serde_json::from_str(&text).map_err(|e| {
            Box::new(super::discover::parse_problem(
                file.to_string(),
                e.line(),
                e.column(),
                "package.json",
                e.to_string(),
            ))
        })?;
        let name = json.get("name").and_then(Value::as_str).map(str::to_string);
        let private = json.get("private").and_then(Value::as_bool).unwrap_or(false);
        Ok(Package { dir: dir.to_string(), file: file.to_string(), text, json, name, private })
    }

    pub fn str_at(&self, pointer: &str) -> Option<&str> {
        self.json.pointer(pointer).and_then(Value::as_str)
    }

    pub fn script(&self, name: &str) -> Option<&str> {
        self.json.get("scripts").and_then(|s| s.get(name)).and_then(Value::as_str)
    }

    /// `workspaces` as an array or `{ "packages": [...] }`.
    pub fn workspaces(&self) -> Vec<String> {
        let w = match self.json.get("workspaces") {
            Some(Value::Object(o)) => o.get("packages"),
            other => other,
        };
        w.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// The `repository` URL (string or `{url}` form).
    pub fn repository_url(&self) -> Option<&str> {
        match self.json.get("repository")? {
            Value::String(s) => Some(s),
            Value::Object(o) => o.get("url").and_then(Value::as_str),
            _ => None,
        }
    }

    pub fn is_scoped(&self) -> bool {
        self.name.as_deref().is_some_and(|n| n.starts_with('@'))
    }

    /// A dependency's declared range (dependencies or devDependencies).
    pub fn dependency(&self, name: &str) -> Option<&str> {
        ["devDependencies", "dependencies"].iter().find_map(|k| self.json.get(k)?.get(name)?.as_str())
    }

    /// Where the member at `path` (keys from the top) is.
    pub fn span(&self, path: &[&str]) -> Option<Span> {
        let members = scan(&self.text);
        members.into_iter().find(|(p, _)| p.iter().map(String::as_str).eq(path.iter().copied())).map(|(_, s)| s)
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.text, offset)
    }

    /// Line and column of the member at `path`, or of the top of the file.
    pub fn locate(&self, path: &[&str]) -> (usize, usize) {
        for n in (1..=path.len()).rev() {
            if let Some(s) = self.span(&path[..n]) {
                return self.line_col(s.key);
            }
        }
        if let Some(s) = self.span(&["name"]) {
            return self.line_col(s.key);
        }
        self.text.find('{').map_or((1, 1), |o| self.line_col(o))
    }

    /// The text with `"key": value_json` added as the last member of the object at
    /// `parent` (keys from the top; empty for the top object), in the file's own
    /// indentation. `value_json` is laid out with that indentation too.
    pub fn insert_member(&self, parent: &[&str], key: &str, value: &Value) -> Option<String> {
        let (open, close) = if parent.is_empty() {
            let open = self.text.find('{')?;
            (open, matching_close(&self.text, open)?)
        } else {
            let s = self.span(parent)?;
            (s.value.0, s.value.1.checked_sub(1)?)
        };
        if self.text.as_bytes().get(open) != Some(&b'{') {
            return None;
        }
        let unit = indent_unit(&self.text);
        let depth = parent.len() + 1;
        let inner = unit.repeat(depth);
        let body = &self.text[open + 1..close];
        let has_members = !body.trim().is_empty();
        let rendered = layout(value, &unit, depth);
        let mut out = String::with_capacity(self.text.len() + 64);
        if has_members {
            // After the last member's value (before trailing whitespace).
            let end = open + 1 + body.trim_end().len();
            out.push_str(&self.text[..end]);
            out.push_str(&format!(",\n{inner}\"{key}\": {rendered}"));
            out.push_str(&self.text[end..]);
        } else {
            out.push_str(&self.text[..=open]);
            out.push_str(&format!("\n{inner}\"{key}\": {rendered}\n{}", unit.repeat(depth - 1)));
            out.push_str(&self.text[close..]);
        }
        Some(out)
    }

    /// The text with the string value at `path` replaced by `new` (quoted).
    pub fn replace_string(&self, path: &[&str], new: &str) -> Option<String> {
        let s = self.span(path)?;
        let mut out = self.text.clone();
        out.replace_range(s.value.0..s.value.1, &serde_json::to_string(new).ok()?);
        Some(out)
    }
}

pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The indentation one level adds: the leading whitespace of the first indented line.
fn indent_unit(text: &str) -> String {
    text.lines().map(|l| &l[..l.len() - l.trim_start().len()]).find(|w| !w.is_empty()).unwrap_or("  ").to_string()
}

/// A JSON value laid out as npm writes package.json, at nesting `depth`.
fn layout(value: &Value, unit: &str, depth: usize) -> String {
    match value {
        Value::Object(o) if !o.is_empty() => {
            let inner = unit.repeat(depth + 1);
            // npm's own order for the fields this tool writes; others after them.
            let rank =
                |k: &str| ["type", "url", "directory", "access"].iter().position(|x| *x == k).unwrap_or(usize::MAX);
            let mut entries: Vec<(&String, &Value)> = o.iter().collect();
            entries.sort_by_key(|(k, _)| rank(k));
            let members: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{inner}{}: {}", Value::String(k.clone()), layout(v, unit, depth + 1)))
                .collect();
            format!("{{\n{}\n{}}}", members.join(",\n"), unit.repeat(depth))
        }
        other => other.to_string(),
    }
}

fn matching_close(text: &str, open: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_string(b, i)?,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Index of the closing quote of the string opening at `i`.
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Every object member in the text: its key path and span (valid JSON only).
fn scan(text: &str) -> Vec<(Vec<String>, Span)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    // Stack of containers: (is_object, key path of the container).
    let mut stack: Vec<(bool, Vec<String>)> = Vec::new();
    let mut pending: Option<(String, usize)> = None;
    let mut open_values: Vec<(usize, Vec<String>, usize)> = Vec::new(); // (stack depth, path, key offset)
    let mut i = 0;
    let mut expect_key = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let Some(end) = skip_string(b, i) else { break };
                let s: String = serde_json::from_str(&text[i..=end]).unwrap_or_default();
                if expect_key && stack.last().is_some_and(|(o, _)| *o) {
                    pending = Some((s, i));
                    expect_key = false;
                } else if let Some((key, at)) = pending.take() {
                    let mut path = stack.last().map(|(_, p)| p.clone()).unwrap_or_default();
                    path.push(key);
                    out.push((path, Span { key: at, value: (i, end + 1) }));
                }
                i = end;
            }
            b'{' | b'[' => {
                let mut path = stack.last().map(|(_, p)| p.clone()).unwrap_or_default();
                if let Some((key, at)) = pending.take() {
                    path.push(key);
                    open_values.push((stack.len(), path.clone(), at));
                    out.push((path.clone(), Span { key: at, value: (i, i) }));
                }
                stack.push((c == b'{', path));
                expect_key = c == b'{';
            }
            b'}' | b']' => {
                stack.pop();
                if let Some((d, path, _)) = open_values.last() {
                    if *d == stack.len() {
                        if let Some(entry) = out.iter_mut().rev().find(|(p, _)| p == path) {
                            entry.1.value.1 = i + 1;
                        }
                        open_values.pop();
                    }
                }
            }
            b',' => expect_key = stack.last().is_some_and(|(o, _)| *o),
            b':' => {}
            c if c.is_ascii_whitespace() => {}
            _ => {
                // A bare literal (number, true, false, null).
                let start = i;
                while i < b.len() && !matches!(b[i], b',' | b'}' | b']') && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if let Some((key, at)) = pending.take() {
                    let mut path = stack.last().map(|(_, p)| p.clone()).unwrap_or_default();
                    path.push(key);
                    out.push((path, Span { key: at, value: (start, i) }));
                }
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(text: &str) -> Package {
        Package::parse("", "package.json", text.to_string()).unwrap()
    }

    #[test]
    fn spans_of_nested_keys() {
        let p = pkg(
            "{\n  \"name\": \"a\",\n  \"publishConfig\": {\n    \"registry\": \"https://registry.npmjs.com\"\n  }\n}\n",
        );
        assert_eq!(p.locate(&["publishConfig", "registry"]), (4, 5));
        let s = p.span(&["publishConfig"]).unwrap();
        assert!(p.text[s.value.0..s.value.1].starts_with('{') && p.text[s.value.0..s.value.1].ends_with('}'));
    }

    #[test]
    fn insertion_keeps_everything_else() {
        let text = "{\n    \"name\": \"@a/b\",\n    \"version\": \"1.0.0\"\n}\n";
        let p = pkg(text);
        let out = p.insert_member(&[], "publishConfig", &serde_json::json!({"access": "public"})).unwrap();
        assert_eq!(
            out,
            "{\n    \"name\": \"@a/b\",\n    \"version\": \"1.0.0\",\n    \"publishConfig\": {\n        \"access\": \"public\"\n    }\n}\n"
        );
        let q = pkg(&out);
        let out2 = q.insert_member(&["publishConfig"], "provenance", &serde_json::json!(true)).unwrap();
        assert!(out2.contains("\"access\": \"public\",\n        \"provenance\": true\n    }"), "{out2}");
    }
}
