//! Shared by the integration tests that need it: the redaction matrix (every token
//! kind the README promises, glued to every kind of neighbour) and its leak check.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// One secret as a log would carry it: `text` is what is printed, `core` the part
/// that must never be printed again.
pub struct Secret {
    pub kind: &'static str,
    pub text: String,
    pub core: String,
}

fn secret(kind: &'static str, before: &str, core: &str, after: &str) -> Secret {
    Secret { kind, text: format!("{before}{core}{after}"), core: core.to_string() }
}

/// Every token kind, each with its own core so a leak names its kind.
pub fn secrets() -> Vec<Secret> {
    vec![
        secret("npm", "npm_", "Q7rT2vX9bN4mK8pL1sD6fG3hJ5wE0yUaZcVi", ""),
        secret("ghp", "ghp_", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", ""),
        secret("gho", "gho_", "B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9", ""),
        secret("ghu", "ghu_", "C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0", ""),
        secret("ghs", "ghs_", "D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1", ""),
        secret("ghr", "ghr_", "E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2", ""),
        secret(
            "github_pat",
            "github_pat_",
            "11AQZ4XKY0vR8mN2pL6sD3_f7Gh2Jk9Lm4Nb8Vc1Xz5Qw3Er7Ty6Ui0Op2As4Df8Gh1Jk5Lz9Xc3Vb7Nm2Qw6Er0T",
            "",
        ),
        secret("glpat", "glpat-", "xK9mQ2vL7pR4sT8wZ1nB", ""),
        secret(
            "jwt",
            "",
            "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJyZXBvOm9yZy9saWIifQ.U2lnbmF0dXJlT2ZUaGVKV1Q",
            "",
        ),
        secret("slack", "xoxb-", "2048617390-7713402958-Jk4Lm9Nq2Rs7Tv1Wx", ""),
        secret("slack-app", "xapp-1-", "A05QK2R7TPZ-6182739405-a8f3c1d9e7b2", ""),
        secret("aws-key-id", "", "AKIAQ4XZ7TKM2PLR9VWN", ""),
        secret("aws-temp-key-id", "", "ASIAZ8YV3QWE6RTL1KJH", ""),
        secret("aws-secret", "AWS_SECRET_ACCESS_KEY=", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", ""),
        secret("authToken", "//registry.npmjs.org/:_authToken=", "7f3a9c1e5b2d8f4a6c0e", ""),
        secret("npm-password", "//registry.npmjs.org/:_password=", "cGFzc3dvcmQxMjM0NTY3", ""),
        secret("bearer", "Authorization: Bearer ", "Zq8Wm3Xv7Kp2Ln9Rt4Ys", ""),
        secret("url-password", "https://deploy:", "Pw4nQ8zX2mL6vR9t", "@git.example.com/o/r.git"),
        secret("access-token-url", "https://x-access-token:", "Hq5Lw2Nz8Pv3Kx7Rm1Tb", "@github.com/o/r"),
    ]
}

/// What may sit right before a token: nothing, every printable ASCII character, a
/// tab, a few scripts written without spaces, a URL query, a JSON string.
pub fn befores() -> Vec<String> {
    let mut v = vec![String::new(), "\t".to_string()];
    v.extend((0x20u8..0x7f).map(|b| (b as char).to_string()));
    v.extend(
        [
            "トークンは",
            "令牌",
            "ключ",
            "المفتاح",
            "🔑",
            "%20",
            "%3D",
            "?a=1&token=",
            "{\"msg\":\"",
            "\\n",
            "\\\"",
            "MY_",
        ]
        .map(String::from),
    );
    v
}

/// What may sit right after a token.
pub fn afters() -> Vec<String> {
    let mut v = vec![String::new(), "\t".to_string()];
    v.extend((0x20u8..0x7f).map(|b| (b as char).to_string()));
    v.extend(["です", "的", "ключ", "é", "🔑", "\"}", "&b=2", "\\n", "_suffix", "%26"].map(String::from));
    v
}

/// One representative of each class, for the checks through every format:
/// `(label, text)`.
pub fn before_classes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("start of line", ""),
        ("upper", "Q"),
        ("lower", "q"),
        ("digit", "7"),
        ("underscore", "MY_"),
        ("punctuation", "="),
        ("slash", "/"),
        ("space", " "),
        ("tab", "\t"),
        ("CJK", "トークンは"),
        ("Cyrillic", "ключ"),
        ("URL query", "https://x.example/cb?a=1&token="),
        ("URL-encoded", "%3D"),
        ("JSON string", "{\"msg\":\"\\n"),
    ]
}

pub fn after_classes() -> Vec<&'static str> {
    vec!["", "Q", "q", "7", "_", "-", ".", " ", "\t", "です", "é", "\"}", "&b=2", "\\n"]
}

/// The matrix lines for checks through every format: every kind after every
/// class, each followed by the next after-class in turn.
pub fn class_lines() -> Vec<String> {
    let afters = after_classes();
    let mut lines = Vec::new();
    let mut n = 0;
    for s in secrets() {
        for (_, before) in before_classes() {
            lines.push(format!("{before}{}{}", s.text, afters[n % afters.len()]));
            n += 1;
        }
    }
    lines
}

/// Fails when `out` still holds any part of a secret's core (ten characters from
/// its start, middle or end), after undoing the escapes the formats add.
pub fn assert_no_leak(out: &str, what: &str) {
    let plain = out.replace(['\u{200B}', '\\'], "").replace("%25", "%");
    for s in secrets() {
        let c = &s.core;
        let mid = c.len() / 2 - 5;
        for part in [&c[..10], &c[mid..mid + 10], &c[c.len() - 10..]] {
            assert!(!plain.contains(part), "{what}: the {} token leaked ({part}):\n{out}", s.kind);
        }
    }
}

/// A rule folder with `n` rules (`test/leak-000` ...), each capturing what follows
/// its own literal into its title, explanation, fix and evidence.
pub fn leaky_rules(dir: &Path, n: usize) {
    let family = dir.join("test");
    std::fs::create_dir_all(&family).unwrap();
    for k in 0..n {
        let rule = format!(
            r#"title = "token {{{{value}}}}"
confidence = "high"
explanation = "the log printed {{{{value}}}}"
[[signal]]
name = "leak"
literal = "leak{k:03}x:"
regex = 'leak{k:03}x: (?P<value>.+)'
[when]
all = ["leak"]
[[fix]]
title = "rotate {{{{value}}}}"
body = "body {{{{value}}}}"
snippet = "NODE_AUTH_TOKEN={{{{value}}}}"
[[example]]
matches = true
log = "leak{k:03}x: x"
[[example]]
matches = false
log = "nothing"
"#
        );
        std::fs::write(family.join(format!("leak-{k:03}.toml")), rule).unwrap();
    }
}

/// The log for [`leaky_rules`]: the class lines, twelve to a rule (the evidence a
/// diagnosis keeps), with the Actions timestamp prefix.
pub fn leaky_log(lines: &[String]) -> (String, usize) {
    let mut log = String::new();
    for (i, l) in lines.iter().enumerate() {
        log.push_str(&format!("2026-01-01T00:00:00.0000000Z leak{:03}x: {l}\n", i / 12));
    }
    log.push_str("2026-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.\n");
    (log, lines.len().div_ceil(12))
}

/// What the tool writes itself: headings, paragraphs, bold, code, the fix list,
/// the list of alternatives, the evidence `<details>`, the footer's `<sub>`, its links, the truncation note,
/// the struck-out ids of a resolved comment.
const ALLOWED: &[&str] = &[
    "h2",
    "h3",
    "p",
    "strong",
    "code",
    "pre",
    "ol",
    "ul",
    "li",
    "details",
    "summary",
    "sub",
    "a",
    "blockquote",
    "del",
    "br",
];

/// Renders each of `docs` with cmark-gfm (`tests/gfm.py`); fails, never skips,
/// when python3 or the `cmarkgfm` package is missing.
pub fn render_gfm(docs: &[String]) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/gfm.py");
    let child =
        Command::new("python3").arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let mut child = child.unwrap_or_else(|e| {
        panic!("python3 is needed to render with cmark-gfm ({e}): install python3 and `pip install cmarkgfm`")
    });
    child.stdin.take().unwrap().write_all(serde_json::to_string(docs).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "rendering with cmark-gfm failed; is the Python package installed (`pip install cmarkgfm`, as .ci/run does)?\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Everything GitHub would show of `doc` is the tool's own.
pub fn assert_inert(doc: &str, found: &Value, links: &[&str], what: &str) {
    let show = || format!("{what}\n--- markdown ---\n{doc}\n--- html ---\n{}", found["html"].as_str().unwrap());
    for tag in found["tags"].as_array().unwrap() {
        assert!(ALLOWED.contains(&tag.as_str().unwrap()), "element <{tag}> rendered: {}", show());
    }
    for href in found["hrefs"].as_array().unwrap() {
        assert!(links.contains(&href.as_str().unwrap()), "a link the tool did not make ({href}): {}", show());
    }
    let comments = found["comments"].as_array().unwrap();
    assert!(comments.len() <= 1, "HTML comments: {comments:?}: {}", show());
    if let Some(c) = comments.first() {
        assert!(doc.starts_with("<!-- npm-logdoc:v1 ") && doc.lines().next().unwrap().contains(c.as_str().unwrap()));
    }
    let text = found["text"].as_str().unwrap();
    let chars: Vec<char> = text.chars().collect();
    for (i, w) in chars.windows(2).enumerate() {
        let mention = w[0] == '@' && (w[1].is_ascii_alphanumeric() || w[1] == '-');
        let issue = w[0] == '#' && w[1].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric());
        assert!(
            !mention && !issue,
            "a mention or issue reference in the text ({}): {}",
            w.iter().collect::<String>(),
            show()
        );
    }
    let lower = text.to_ascii_lowercase();
    assert!(!lower.contains("gh-4"), "GH-45 reference: {}", show());
}

/// Runs `cmd` (stdin closed, output captured), killing it and failing if it has
/// not ended within 30 s: a FIFO opened twice, or a walk that loops, would hang.
pub fn within_30s(mut cmd: Command) -> std::process::Output {
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(30)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("still running after 30 s (a source read twice, or a walk that loops?)");
        }
    }
}

/// A zip archive (stored, not deflated) of `entries`, as a run's log archive holds
/// its step files.
pub fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
