//! Line anatomy: who printed a line, at what level, and where its message starts.
//!
//! Logs put other tools' prefixes in front of a tool's words, nested in any order:
//! the runner's `##[error]`, BuildKit's `#12 45.1 `, turbo's `pkg:task: `,
//! changesets' `🦋  error `, concurrently's `[0] ` ... around npm's `npm error `.
//! [`anatomy`] peels them in a loop, outermost first, from the one table in
//! [`FORMS`], and reads the innermost tool's prefix as the speaker and level. Rules
//! match the message that is left, so no rule spells out a wrapper.
//!
//! A line whose tool prefix sits behind a quote, a diff marker or a deep indent
//! (a test's assertion quoting npm's output) is `quoted`: it is not evidence unless
//! a rule asks for quoted text. [`continues`] says when a line carries on the
//! message of the line before it (hard wraps, npm's repeated `npm error 404`
//! blocks), so the scanner can join them into one logical line.

use std::borrow::Cow;
use std::fmt;

/// The tool that printed a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Speaker {
    Npm,
    Pnpm,
    YarnBerry,
    YarnClassic,
    Lerna,
    Changesets,
    SemanticRelease,
    Nx,
    Turbo,
    Bun,
    GitHub,
    BuildKit,
    Compose,
    Unknown,
}

impl Speaker {
    pub const ALL: [Speaker; 14] = [
        Speaker::Npm,
        Speaker::Pnpm,
        Speaker::YarnBerry,
        Speaker::YarnClassic,
        Speaker::Lerna,
        Speaker::Changesets,
        Speaker::SemanticRelease,
        Speaker::Nx,
        Speaker::Turbo,
        Speaker::Bun,
        Speaker::GitHub,
        Speaker::BuildKit,
        Speaker::Compose,
        Speaker::Unknown,
    ];

    /// The name rules use (`speaker = "yarn-berry"`).
    pub fn name(self) -> &'static str {
        match self {
            Speaker::Npm => "npm",
            Speaker::Pnpm => "pnpm",
            Speaker::YarnBerry => "yarn-berry",
            Speaker::YarnClassic => "yarn-classic",
            Speaker::Lerna => "lerna",
            Speaker::Changesets => "changesets",
            Speaker::SemanticRelease => "semantic-release",
            Speaker::Nx => "nx",
            Speaker::Turbo => "turbo",
            Speaker::Bun => "bun",
            Speaker::GitHub => "github",
            Speaker::BuildKit => "buildkit",
            Speaker::Compose => "compose",
            Speaker::Unknown => "unknown",
        }
    }

    pub fn parse(name: &str) -> Option<Speaker> {
        Speaker::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Speaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How loud a line is, in the tools' common vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    Error,
    Warn,
    Notice,
    Info,
    Verbose,
    Silly,
    Http,
}

impl Level {
    pub const ALL: [Level; 7] =
        [Level::Error, Level::Warn, Level::Notice, Level::Info, Level::Verbose, Level::Silly, Level::Http];

    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Notice => "notice",
            Level::Info => "info",
            Level::Verbose => "verbose",
            Level::Silly => "silly",
            Level::Http => "http",
        }
    }

    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// One line taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anatomy<'a> {
    /// The innermost tool that printed it (`Unknown` when no prefix says).
    pub speaker: Speaker,
    pub level: Option<Level>,
    /// The tool's own words, every wrapper and the tool's prefix peeled. A tool's
    /// code stays in it (`ERR_PNPM_GIT_UNCLEAN ...`, `YN0033: ...`).
    pub message: Cow<'a, str>,
    /// The tool prefix sits behind a quote, a diff marker or a deep indent.
    pub quoted: bool,
    /// Spaces before the message, after the wrappers.
    pub indent: usize,
    /// The wrappers peeled, as kinds (labels included, times left out): two lines
    /// continue each other only inside the same frame.
    pub frame: u64,
    /// npm's title when it is a status (`404` in `npm error 404 ...`).
    pub status_title: Option<u16>,
    /// The whole line's width in characters (a hard wrap cuts long lines only).
    pub width: usize,
    /// A tool's own prefix or a level marker stood before the message (a line with
    /// one is a record of its own, never the rest of another line).
    pub prefixed: bool,
    /// The line came out of a container: a docker build step (BuildKit) or a
    /// compose service printed it, where the runner's environment (its OIDC
    /// variables among it) does not reach unless passed in.
    pub container: bool,
    /// The speaker is only the tool that relayed the line (BuildKit, compose,
    /// turbo's task label, yarn's foreach label), with no tool prefix inside: the
    /// words are some program's bare output, as a rule's `unknown` speaker means.
    pub relayed: bool,
}

/// Whether a form is a wrapper around another tool's line or the speaking tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Always peeled; the speaker is whatever is inside (or this one when nothing is).
    Wrapper,
    /// Peeled only when a known form follows (a bare `pkg: ` is too common a shape).
    WeakWrapper,
    /// The tool's own prefix; it becomes a wrapper when another form follows.
    Speaker,
}

/// A prefix form: who prints it, and a matcher returning (bytes consumed, level,
/// bytes of the consumed prefix to keep at the message's start).
struct Form {
    name: &'static str,
    speaker: Speaker,
    role: Role,
    /// Part of the frame (continuations must share it): labels yes, times no.
    framed: bool,
    /// Only outside every tool's prefix: the runner's markers and the web view's
    /// `Error: ` (inside npm's line, `Error: EACCES ...` is npm's own words).
    outer: bool,
    matcher: fn(&str) -> Option<Peel>,
}

/// What a form matched.
struct Peel {
    len: usize,
    /// How much of the prefix names its frame (BuildKit's `#12`, not its clock).
    label: Option<usize>,
    level: Option<Level>,
    /// Text that stays the message's start (a tool's code).
    keep: Option<String>,
}

fn peel(len: usize, level: Option<Level>) -> Option<Peel> {
    Some(Peel { len, label: None, level, keep: None })
}

/// The prefix forms, tried in order at each step of the peel loop.
const FORMS: &[Form] = &[
    Form {
        name: "runner marker",
        speaker: Speaker::GitHub,
        role: Role::Wrapper,
        outer: true,
        framed: false,
        matcher: runner_marker,
    },
    Form {
        name: "workflow command",
        speaker: Speaker::GitHub,
        role: Role::Wrapper,
        outer: true,
        framed: false,
        matcher: workflow_command,
    },
    Form {
        name: "web-copy level",
        speaker: Speaker::GitHub,
        role: Role::Wrapper,
        outer: true,
        framed: false,
        matcher: web_copy_level,
    },
    Form {
        name: "buildkit",
        speaker: Speaker::BuildKit,
        role: Role::Wrapper,
        outer: false,
        framed: true,
        matcher: buildkit,
    },
    Form {
        name: "buildkit replay",
        speaker: Speaker::BuildKit,
        role: Role::WeakWrapper,
        outer: false,
        framed: false,
        matcher: buildkit_replay,
    },
    Form {
        name: "compose",
        speaker: Speaker::Compose,
        role: Role::Wrapper,
        outer: false,
        framed: true,
        matcher: compose,
    },
    Form { name: "clock", speaker: Speaker::Unknown, role: Role::Wrapper, outer: false, framed: false, matcher: clock },
    Form {
        name: "semantic-release",
        speaker: Speaker::SemanticRelease,
        role: Role::Speaker,
        outer: false,
        framed: false,
        matcher: semantic_release,
    },
    Form {
        name: "pnpm badge",
        speaker: Speaker::Pnpm,
        role: Role::Speaker,
        outer: false,
        framed: false,
        matcher: pnpm_badge,
    },
    Form {
        name: "yarn foreach",
        speaker: Speaker::YarnBerry,
        role: Role::Wrapper,
        outer: false,
        framed: true,
        matcher: yarn_foreach,
    },
    Form { name: "turbo", speaker: Speaker::Turbo, role: Role::Speaker, outer: false, framed: false, matcher: turbo },
    Form {
        name: "bracket label",
        speaker: Speaker::Unknown,
        role: Role::Wrapper,
        outer: false,
        framed: true,
        matcher: bracket_label,
    },
    Form {
        name: "changesets",
        speaker: Speaker::Changesets,
        role: Role::Speaker,
        outer: false,
        framed: false,
        matcher: changesets,
    },
    Form { name: "npm", speaker: Speaker::Npm, role: Role::Speaker, outer: false, framed: false, matcher: npm },
    Form { name: "lerna", speaker: Speaker::Lerna, role: Role::Speaker, outer: false, framed: false, matcher: lerna },
    Form {
        name: "yarn berry",
        speaker: Speaker::YarnBerry,
        role: Role::Speaker,
        outer: false,
        framed: false,
        matcher: yarn_berry,
    },
    Form { name: "nx", speaker: Speaker::Nx, role: Role::Speaker, outer: false, framed: false, matcher: nx },
    Form {
        name: "turbo task",
        speaker: Speaker::Turbo,
        role: Role::Wrapper,
        outer: false,
        framed: true,
        matcher: turbo_task,
    },
    Form { name: "bun", speaker: Speaker::Bun, role: Role::Speaker, outer: false, framed: false, matcher: bun },
    Form {
        name: "error colon",
        speaker: Speaker::Unknown,
        role: Role::Speaker,
        outer: false,
        framed: false,
        matcher: error_colon,
    },
    Form {
        name: "yarn classic",
        speaker: Speaker::YarnClassic,
        role: Role::Speaker,
        outer: false,
        framed: false,
        matcher: yarn_classic,
    },
    Form {
        name: "pnpm recursive",
        speaker: Speaker::Pnpm,
        role: Role::WeakWrapper,
        outer: false,
        framed: true,
        matcher: pnpm_recursive,
    },
    Form {
        name: "stream label",
        speaker: Speaker::Unknown,
        role: Role::WeakWrapper,
        outer: false,
        framed: true,
        matcher: stream_label,
    },
];

/// The names of the forms, for documentation and tests.
pub fn form_names() -> impl Iterator<Item = &'static str> {
    FORMS.iter().map(|f| f.name)
}

fn level_word(w: &str) -> Option<Level> {
    Some(match w {
        "ERR!" | "error" | "ERROR" | "Error" | "ERR" => Level::Error,
        "WARN" | "warn" | "warning" | "WARNING" | "Warning" => Level::Warn,
        "notice" | "NOTICE" | "Notice" => Level::Notice,
        "info" | "INFO" | "success" | "timing" => Level::Info,
        "verb" | "verbose" | "debug" => Level::Verbose,
        "sill" | "silly" => Level::Silly,
        "http" => Level::Http,
        _ => return None,
    })
}

/// `##[error]`, `##[warning]`, `##[notice]`, `##[debug]`, `##[command]`.
fn runner_marker(s: &str) -> Option<Peel> {
    let rest = s.strip_prefix("##[")?;
    let close = rest.find(']')?;
    let word = &rest[..close];
    let level = match word {
        "error" => Level::Error,
        "warning" => Level::Warn,
        "notice" => Level::Notice,
        "debug" | "command" => Level::Verbose,
        _ => return None,
    };
    peel(3 + close + 1, Some(level))
}

/// `::error::`, `::error file=x,line=1::` left as text (not consumed by the runner).
fn workflow_command(s: &str) -> Option<Peel> {
    let rest = s.strip_prefix("::")?;
    let word_end = rest.find([':', ' '])?;
    let level = match &rest[..word_end] {
        "error" => Level::Error,
        "warning" => Level::Warn,
        "notice" => Level::Notice,
        _ => return None,
    };
    let close = rest[word_end..].find("::")? + word_end;
    peel(2 + close + 2, Some(level))
}

/// The web view copies `##[error]X` as `Error: X`.
fn web_copy_level(s: &str) -> Option<Peel> {
    for (p, level) in [("Error: ", Level::Error), ("Warning: ", Level::Warn), ("Notice: ", Level::Notice)] {
        if s.starts_with(p) && s.len() > p.len() {
            return peel(p.len(), Some(level));
        }
    }
    None
}

fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// BuildKit plain progress: `#12 45.120 ` before a command's output, `#12 ` before
/// its own lines (`#12 ERROR: ...`, `#12 DONE 1.2s`).
fn buildkit(s: &str) -> Option<Peel> {
    let rest = s.strip_prefix('#')?;
    let n = digits(rest);
    if n == 0 || rest.as_bytes().get(n) != Some(&b' ') {
        return None;
    }
    let after = &rest[n + 1..];
    let t = elapsed(after);
    let len = 1 + n + 1 + t;
    if t == 0 && after.is_empty() {
        return None;
    }
    Some(Peel { len, label: Some(1 + n), level: None, keep: None })
}

/// `45.120 ` (seconds with decimals and a space).
fn elapsed(s: &str) -> usize {
    let a = digits(s);
    if a == 0 || s.as_bytes().get(a) != Some(&b'.') {
        return 0;
    }
    let b = digits(&s[a + 1..]);
    if b == 0 || s.as_bytes().get(a + 1 + b) != Some(&b' ') {
        return 0;
    }
    a + 1 + b + 1
}

/// BuildKit's replay of a failed step's last lines: `1.741 npm ERR! ...`.
fn buildkit_replay(s: &str) -> Option<Peel> {
    let n = elapsed(s);
    (n > 0).then_some(Peel { len: n, label: None, level: None, keep: None })
}

/// docker compose: `web-1  | ` (name padded, then `| `).
fn compose(s: &str) -> Option<Peel> {
    let name = s.bytes().take_while(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c)).count();
    if name == 0 {
        return None;
    }
    // The name is padded to the longest name plus one, then ` | `: two spaces at least.
    let pad = s[name..].bytes().take_while(|c| *c == b' ').count();
    if pad < 2 || !s[name + pad..].starts_with("| ") {
        return None;
    }
    Some(Peel { len: name + pad + 2, label: Some(name), level: None, keep: None })
}

/// A clock before a line: `[10:58:32] `, `[11:02:12 PM] `, `10:58:32.123 `.
fn clock(s: &str) -> Option<Peel> {
    let (open, rest) = match s.strip_prefix('[') {
        Some(r) => (1, r),
        None => (0, s),
    };
    let b = rest.as_bytes();
    let h = digits(rest);
    if !(1..=2).contains(&h) || b.get(h) != Some(&b':') || digits(&rest[h + 1..]) != 2 {
        return None;
    }
    let mut i = h + 3;
    if b.get(i) == Some(&b':') && digits(&rest[i + 1..]) == 2 {
        i += 3;
    } else {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1 + digits(&rest[i + 1..]);
    }
    for ampm in [" AM", " PM", "\u{202f}AM", "\u{202f}PM"] {
        if rest[i..].starts_with(ampm) {
            i += ampm.len();
            break;
        }
    }
    if open == 1 {
        if b.get(i) != Some(&b']') {
            return None;
        }
        i += 1;
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    peel(open + i + 1, None)
}

/// signale as semantic-release configures it: `[semantic-release] [@semantic-release/npm] › ✘  `.
fn semantic_release(s: &str) -> Option<Peel> {
    let mut i = 0;
    let mut scopes = 0;
    while s[i..].starts_with('[') {
        let close = s[i..].find("] ")? + i;
        let scope = &s[i + 1..close];
        if scope.is_empty() || scope.contains(' ') {
            return None;
        }
        i = close + 2;
        scopes += 1;
    }
    if scopes == 0 {
        return None;
    }
    let rest = s[i..].strip_prefix("› ")?;
    let badge = rest.chars().next()?;
    let level = match badge {
        '✘' | '✖' => Some(Level::Error),
        '⚠' => Some(Level::Warn),
        'ℹ' | '✔' | '●' => Some(Level::Info),
        _ => None,
    };
    let mut len = i + "› ".len();
    if level.is_some() {
        len += badge.len_utf8();
    }
    len += s[len..].bytes().take_while(|c| *c == b' ').count();
    peel(len, level)
}

/// pnpm's badges: U+2009 padded (`\u2009ERR_PNPM_X\u2009 `, `\u2009WARN\u2009 `, pasted
/// with plain spaces) before 11.0.5, bracketed (`[ERR_PNPM_X] `, `[WARN] `, `[E404] `)
/// after; and pnpm 11's `pnpm: ` message line.
fn pnpm_badge(s: &str) -> Option<Peel> {
    let is_pad = |c: char| c == '\u{2009}' || c == ' ';
    let (inner, after) = if let Some(r) = s.strip_prefix('[') {
        let close = r.find(']')?;
        (&r[..close], 1 + close + 1)
    } else {
        let lead = s.len() - s.trim_start_matches(is_pad).len();
        if lead == 0 && !s.starts_with("ERR_PNPM_") || lead > 3 {
            return None;
        }
        let body = &s[lead..];
        let end = body.find(is_pad)?;
        (&body[..end], lead + end)
    };
    let is_code = |w: &str| w.len() > 1 && w.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
    let (level, keep) = if inner == "WARN" {
        (Level::Warn, None)
    } else if inner.starts_with("ERR_PNPM_") && is_code(inner)
        || inner == "ELIFECYCLE"
        || inner == "ERROR" && s.starts_with('\u{2009}')
    {
        (Level::Error, Some(inner.to_string()))
    } else if s.starts_with('[')
        && inner.len() == 4
        && inner.starts_with('E')
        && inner[1..].bytes().all(|c| c.is_ascii_digit())
    {
        // `[E404] 404 Not Found - PUT ...`: the status follows, npm's words.
        (Level::Error, None)
    } else if s.starts_with('[') && inner.len() > 2 && inner.starts_with('E') && is_code(inner) {
        // pnpm 11 puts npm's other codes in the badge: `[EOTP] This operation ...`.
        (Level::Error, Some(inner.to_string()))
    } else {
        return None;
    };
    let rest = &s[after.min(s.len())..];
    let pad = rest.len() - rest.trim_start_matches(is_pad).len();
    Some(Peel { len: after + pad, label: None, level: Some(level), keep })
}

/// yarn workspaces foreach -v: `[@scope/a]: `.
fn yarn_foreach(s: &str) -> Option<Peel> {
    let r = s.strip_prefix('[')?;
    let close = r.find("]: ")?;
    let name = &r[..close];
    (!name.is_empty() && !name.contains(' ')).then_some(Peel {
        len: 1 + close + 3,
        label: None,
        level: None,
        keep: None,
    })
}

/// concurrently / npm-run-all labels: `[0] `, `[publish] `, and `[ERROR] `-style levels.
fn bracket_label(s: &str) -> Option<Peel> {
    let r = s.strip_prefix('[')?;
    let close = r.find(']')?;
    let name = &r[..close];
    if name.is_empty()
        || name.len() > 40
        || !name.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_.:@/#".contains(&c))
        || r.as_bytes().get(close + 1) != Some(&b' ')
    {
        return None;
    }
    // Known tools' own brackets are theirs, not a label.
    if name == "semantic-release" || name.starts_with("@semantic-release/") || name.contains('/') && name.contains(':')
    {
        return None;
    }
    // Playwright's project (`[chromium] › tests/a.spec.ts:3:1 › ...`) is its output.
    if r[close + 1..].starts_with(" › ") {
        return None;
    }
    // yarn classic's step counter `[1/4] Bumping version...` is output.
    if name.contains('/') && name.bytes().all(|c| c.is_ascii_digit() || c == b'/') {
        return None;
    }
    peel(1 + close + 2, level_word(name))
}

/// changesets' logger: `🦋  error `, `🦋  warn `, `🦋  info `, `🦋  success `, `🦋  `.
fn changesets(s: &str) -> Option<Peel> {
    let rest = s.strip_prefix('🦋')?;
    let pad = rest.bytes().take_while(|c| *c == b' ').count();
    let after = &rest[pad..];
    let word = after.split(' ').next().unwrap_or("");
    let mut len = '🦋'.len_utf8() + pad;
    let level = match word {
        "error" | "warn" | "info" | "success" if after.len() > word.len() || after == word => {
            len += word.len();
            len += s[len..].bytes().take_while(|c| *c == b' ').count();
            level_word(word)
        }
        _ => None,
    };
    peel(len, level)
}

/// npm's two renderers: `npm ERR! `, `npm WARN `, `npm verb `... (npmlog, <= 10.5) and
/// `npm error `, `npm warn `, `npm verbose `... (proc-log, >= 10.6).
fn npm(s: &str) -> Option<Peel> {
    let rest = s.strip_prefix("npm ")?;
    let word = rest.split(' ').next()?;
    let level = level_word(word)?;
    if matches!(word, "ERROR" | "Error" | "INFO" | "NOTICE" | "Notice" | "WARNING" | "Warning" | "ERR" | "debug") {
        return None;
    }
    let mut len = 4 + word.len();
    if s.as_bytes().get(len) == Some(&b' ') {
        len += 1;
    }
    peel(len, Some(level))
}

/// lerna / lerna-lite's npmlog: `lerna ERR! `, `lerna WARN `, `lerna-lite verb `...
fn lerna(s: &str) -> Option<Peel> {
    let rest = s.strip_prefix("lerna-lite ").or_else(|| s.strip_prefix("lerna "))?;
    let head = s.len() - rest.len();
    let word = rest.split(' ').next()?;
    let level = level_word(word)?;
    let mut len = head + word.len();
    if s.as_bytes().get(len) == Some(&b' ') {
        len += 1;
    }
    // lerna 3 relayed npm's stderr under a `publish` title: `lerna ERR! publish npm ERR! ...`.
    if s[len..].starts_with("publish npm ") {
        len += "publish ".len();
    }
    peel(len, Some(level))
}

/// yarn berry's report: `➤ YN0033: │ ` (the code stays in the message).
fn yarn_berry(s: &str) -> Option<Peel> {
    let start = s.strip_prefix("➤ ").map_or(0, |_| "➤ ".len());
    let r = &s[start..];
    if !(r.starts_with("YN") && r.len() >= 8 && digits(&r[2..]) == 4 && r.as_bytes()[6] == b':') {
        return None;
    }
    let code = &r[..6];
    let mut i = start + 7;
    // Section and indent marks: `│ `, `┌ `, `└ `, `· `, and spaces.
    loop {
        let t = &s[i..];
        let skip = ["│", "┌", "└", "·", " "].iter().find_map(|m| t.strip_prefix(m).map(|_| m.len()));
        match skip {
            Some(n) => i += n,
            None => break,
        }
    }
    let level = if code == "YN0000" { Some(Level::Info) } else { None };
    Some(Peel { len: i, label: None, level, keep: Some(format!("{code}:")) })
}

/// nx's banner ` NX   ` and task header `> nx run pkg:target`.
fn nx(s: &str) -> Option<Peel> {
    for p in [" NX  ", "NX  "] {
        if let Some(r) = s.strip_prefix(p) {
            let pad = r.bytes().take_while(|c| *c == b' ').count();
            return peel(p.len() + pad, None);
        }
    }
    s.starts_with("> nx run ").then_some(Peel { len: 2, label: None, level: Some(Level::Info), keep: None })
}

/// turbo's task prefix: `pkg:task: `, `@scope/pkg:build: `.
fn turbo_task(s: &str) -> Option<Peel> {
    let end = s.find(": ")?;
    let label = &s[..end];
    let colon = label.find(':')?;
    let (pkg, task) = (&label[..colon], &label[colon + 1..]);
    let ok =
        |w: &str, extra: &[u8]| !w.is_empty() && w.bytes().all(|c| c.is_ascii_alphanumeric() || extra.contains(&c));
    let letter = task.bytes().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !ok(pkg, b"@/._-") || !ok(task, b":_-.") || !letter || label.contains("//") {
        return None;
    }
    peel(end + 2, None)
}

/// turbo's own lines: ` ERROR  run failed: ...`, `[ERROR] command finished with error: ...`.
fn turbo(s: &str) -> Option<Peel> {
    for p in [" ERROR  ", "[ERROR] "] {
        if s.starts_with(p) {
            return peel(p.len(), Some(Level::Error));
        }
    }
    None
}

/// bun's `bun publish v1.2.3` header.
fn bun(s: &str) -> Option<Peel> {
    s.starts_with("bun publish v").then_some(Peel { len: 0, label: None, level: Some(Level::Info), keep: None })
}

/// `error: ` as bun, git and many CLIs print it: a level, no telling speaker.
fn error_colon(s: &str) -> Option<Peel> {
    s.starts_with("error: ").then_some(Peel { len: 7, label: None, level: Some(Level::Error), keep: None })
}

/// yarn classic's reporter: `error `, `warning `, `info `, `success `.
fn yarn_classic(s: &str) -> Option<Peel> {
    // tsc's `error TS2345: ...` is the compiler's, not yarn's.
    if s.strip_prefix("error TS").is_some_and(|r| digits(r) >= 3) {
        return None;
    }
    for (p, level) in
        [("error ", Level::Error), ("warning ", Level::Warn), ("info ", Level::Info), ("success ", Level::Info)]
    {
        if s.starts_with(p) && s.len() > p.len() {
            return peel(p.len(), Some(level));
        }
    }
    None
}

/// pnpm -r's append-only prefix: `packages/a publish: `.
fn pnpm_recursive(s: &str) -> Option<Peel> {
    let sp = s.find(' ')?;
    let dir = &s[..sp];
    let rest = &s[sp + 1..];
    let end = rest.find(": ")?;
    let stage = &rest[..end];
    let ok_dir = !dir.is_empty() && dir.bytes().all(|c| c.is_ascii_alphanumeric() || b"@/._-".contains(&c));
    let ok_stage = !stage.is_empty() && stage.bytes().all(|c| c.is_ascii_alphanumeric() || b":._-".contains(&c));
    (ok_dir && ok_stage).then_some(Peel { len: sp + 1 + end + 2, label: None, level: None, keep: None })
}

/// lerna --stream and similar: `pkg: `, `@scope/pkg: `.
fn stream_label(s: &str) -> Option<Peel> {
    let end = s.find(": ")?;
    let label = &s[..end];
    let ok = !label.is_empty()
        && label.len() <= 64
        && label.bytes().all(|c| c.is_ascii_alphanumeric() || b"@/._-".contains(&c));
    ok.then_some(Peel { len: end + 2, label: None, level: None, keep: None })
}

/// Marks that quote a tool's line rather than print it.
fn quote_mark(s: &str) -> usize {
    let b = s.as_bytes();
    match b.first() {
        Some(b'\'' | b'"' | b'`') => 1,
        Some(b'-' | b'+' | b'|') if b.get(1) == Some(&b' ') => 2,
        _ => 0,
    }
}

fn hash_mix(h: u64, s: &str) -> u64 {
    s.bytes().fold(h ^ 0x9e37_79b9_7f4a_7c15, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Does a known form (other than a weak wrapper) start `s`? `inner`: after a
/// tool's prefix, where the runner's own forms cannot stand.
fn starts_with_form(s: &str, inner: bool) -> bool {
    FORMS.iter().any(|f| {
        f.role != Role::WeakWrapper
            && !(inner && f.outer)
            && (f.matcher)(s).is_some_and(|p| p.len > 0 || f.name == "bun")
    })
}

/// `text` without the labels and frames a relaying tool put before it (BuildKit's
/// `#12 3.4`, compose's `svc-1  | `, a clock, `[0] `, `pkg:task: `, yarn's
/// foreach label), but with any tool prefix and the spaces after the labels kept.
/// The runner's own lines (a step's `env:` echo, Set up job, setup-node's
/// Environment details) are read by their shape; a log that relays them behind a
/// label keeps that shape once the labels are gone.
pub fn peel_labels(text: &str) -> &str {
    let mut rest = text;
    for _ in 0..12 {
        if !may_start_with_label(rest) {
            break;
        }
        // The table's order decides, as in [`anatomy`]: pnpm's `[ENEEDAUTH] ` is its
        // badge, not a label.
        let first = FORMS.iter().filter(|f| !f.outer).find_map(|f| (f.matcher)(rest).map(|p| (f, p)));
        match first {
            Some((form, p)) if form.role == Role::Wrapper && p.len > 0 => rest = &rest[p.len..],
            _ => break,
        }
    }
    rest
}

/// A cheap test that `s` may begin with a relay's label: BuildKit's `#12`, a
/// bracket, a clock's digit, turbo's `pkg:task: ` or compose's `svc-1  | `. Most
/// lines do not, and skip the walk over the table.
fn may_start_with_label(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(b'#' | b'[' | b'0'..=b'9') => true,
        Some(c) if c.is_ascii_alphanumeric() || *c == b'@' => {
            let token = &s[..s.find([' ', '\t']).unwrap_or(s.len())];
            let turbo = token.len() > 1 && token.ends_with(':') && token[..token.len() - 1].contains(':');
            turbo || s[token.len()..].trim_start_matches(' ').starts_with("| ")
        }
        _ => false,
    }
}

/// Does a tool's own prefix (npm's, lerna's, yarn's ...) start `s`?
fn starts_with_tool(s: &str) -> bool {
    FORMS
        .iter()
        .any(|f| f.role == Role::Speaker && f.speaker != Speaker::Unknown && (f.matcher)(s).is_some_and(|p| p.len > 0))
}

/// Takes one normalised output line apart.
pub fn anatomy(text: &str) -> Anatomy<'_> {
    let mut rest = text;
    let mut speaker = Speaker::Unknown;
    let mut outer_speaker = Speaker::Unknown;
    let mut outer_relays = false;
    let mut level = None;
    let mut frame = 0u64;
    let mut keep: Option<String> = None;
    let mut quoted = false;
    let mut indent = 0;
    // A tool's prefix was peeled: the runner's forms no longer apply.
    let mut inside = false;
    let mut prefixed = false;
    let mut container = false;
    'peel: for _ in 0..12 {
        // Leading spaces: the web view indents by two; more, or a quote mark,
        // before a tool's prefix means the line quotes it (pnpm's padded badge
        // starts with a space of its own).
        let spaces = rest.len() - rest.trim_start_matches(' ').len();
        let badge = spaces == 1 && starts_with_form(rest, inside);
        let after_spaces = &rest[spaces..];
        let mark = quote_mark(after_spaces);
        let probe = &after_spaces[mark..];
        if (spaces > 0 || mark > 0) && !badge {
            if starts_with_form(probe, inside) && !probe.starts_with(['\u{2009}', ' ']) {
                if spaces > 2 || mark > 0 {
                    quoted = true;
                }
                indent = indent.max(spaces);
                rest = probe;
                continue;
            }
            if let Some(r) = after_spaces.strip_prefix("> ").filter(|r| starts_with_form(r, inside)) {
                // A pasted blockquote of log lines.
                rest = r;
                continue;
            }
            indent = spaces;
            break;
        }
        if let Some(r) = rest.strip_prefix("> ").filter(|r| starts_with_form(r, inside)) {
            rest = r;
            continue;
        }
        for form in FORMS {
            if inside && form.outer {
                continue;
            }
            let Some(p) = (form.matcher)(rest) else { continue };
            let after = &rest[p.len..];
            let nested = starts_with_form(after, inside || form.role == Role::Speaker);
            match form.role {
                Role::WeakWrapper if !nested => continue,
                Role::Speaker if !nested => {
                    prefixed = true;
                    speaker = form.speaker;
                    if p.level.is_some() {
                        level = p.level;
                    }
                    keep = p.keep;
                    rest = after;
                    break 'peel;
                }
                _ => {}
            }
            // A wrapper (or a speaker relaying another tool's line).
            if form.framed {
                frame = hash_mix(frame, form.name);
                frame = hash_mix(frame, &rest[..p.label.unwrap_or(p.len)]);
            }
            if form.speaker != Speaker::Unknown {
                outer_speaker = form.speaker;
                outer_relays = form.role != Role::Speaker && !form.outer;
            }
            container |= matches!(form.speaker, Speaker::BuildKit | Speaker::Compose);
            inside |= form.role == Role::Speaker;
            prefixed |= form.role == Role::Speaker;
            if p.level.is_some() {
                level = p.level;
            }
            if p.len == 0 {
                break 'peel;
            }
            rest = after;
            continue 'peel;
        }
        break;
    }
    let relayed = speaker == Speaker::Unknown && outer_relays;
    if speaker == Speaker::Unknown {
        speaker = outer_speaker;
    }
    let body = rest.trim_start_matches(' ');
    indent = indent.max(rest.len() - body.len());
    let message = match keep {
        Some(k) if body.is_empty() => Cow::Owned(k),
        Some(k) => Cow::Owned(format!("{k} {body}")),
        None => Cow::Borrowed(body.trim_end()),
    };
    // A tool's line quoted inside other text (`expected 'npm error 422 ...'`).
    if !quoted && (matches!(speaker, Speaker::Unknown | Speaker::GitHub) || relayed) {
        quoted = message.match_indices(['\'', '"', '`']).any(|(i, q)| starts_with_tool(&message[i + q.len()..]))
            || names_a_test(&message)
            || quotes_npm_mid_line(&message);
    }
    let status_title = (speaker == Speaker::Npm)
        .then(|| {
            let w = message.split(' ').next().unwrap_or("");
            (w.len() == 3 && w.bytes().all(|c| c.is_ascii_digit())).then(|| w.parse().ok()).flatten()
        })
        .flatten();
    let prefixed = prefixed || level.is_some();
    Anatomy {
        speaker,
        level,
        message,
        quoted,
        indent,
        frame,
        status_title,
        width: text.chars().count(),
        prefixed,
        container,
        relayed,
    }
}

/// A test runner's title line (jest's and vitest's `✓`, jest's `✕`, mocha's and
/// node's `✔`, `√`): the words name a test, they are not the output of the tool
/// they mention. (`×` is also Biome's mark for its own diagnostics, `✖` ESLint's.)
fn names_a_test(m: &str) -> bool {
    ["✓ ", "✕ ", "✔ ", "√ "].iter().any(|mark| m.starts_with(mark))
}

/// npm starts every line of its own with its prefix: `npm error code E404` in the
/// middle of another line (a test's name, a sentence) quotes it.
fn quotes_npm_mid_line(m: &str) -> bool {
    m.match_indices(" npm ").any(|(i, _)| {
        let rest = &m[i + 5..];
        ["error ", "ERR! ", "warn ", "notice "].iter().any(|level| rest.starts_with(level))
    })
}

/// Sentence ends after which a line does not run on.
fn ends_sentence(s: &str) -> bool {
    s.ends_with(['.', '!', '?', ';', ')']) || s.is_empty()
}

/// Running text starts with a letter, a digit or a quote, not with a record's
/// mark (`📦`, `✔`, `→`, a bracket).
fn runs_on(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_alphanumeric() || c.is_ascii_punctuation() && !"[#$>{}|".contains(c))
}

/// How `cur` continues the logical line that `head` opened (`prev` is the line
/// just before `cur`), if it does: the text to append to the logical line.
///
/// * npm repeats its whole prefix on every line of a message: lines under the same
///   status title (`npm error 404 ...`) are one message.
/// * A line with no tool prefix of its own, carrying the head's labels or none at
///   all (a terminal's wrap does not repeat them), continues a tool's line when it
///   is indented deeper than the head, or (in a paste without runner timestamps)
///   when the line before stopped mid-sentence and this one runs on.
pub fn continues<'a>(
    head: &Anatomy<'_>,
    prev: &Anatomy<'_>,
    cur: &'a Anatomy<'a>,
    cur_stamped: bool,
) -> Option<&'a str> {
    // A quoted line never continues a real one; text after a quoted head is the
    // rest of the quote.
    if cur.quoted && !head.quoted || cur.message.is_empty() {
        return None;
    }
    if head.speaker == Speaker::Npm && cur.speaker == Speaker::Npm {
        let same = head.level == cur.level && head.frame == cur.frame && head.status_title.is_some();
        return (same && head.status_title == cur.status_title).then(|| cur.message[3..].trim_start());
    }
    if cur.prefixed {
        return None;
    }
    if cur.frame != head.frame && cur.frame != 0 {
        return None;
    }
    let m = cur.message.as_ref();
    // The runner's markers, a step header copied from the web view, a stack frame,
    // a command echo: records of their own after any line.
    let structural = ["##[", "Run ", "at ", "$ ", "> "].iter().any(|p| m.starts_with(p));
    if structural {
        return None;
    }
    let record = m.starts_with(['[', '#', '$', '>', '{', '}', '|']);
    // npm, lerna, yarn berry and changesets prefix every line of their own output: in
    // a paste, a bare line after theirs is their line cut by a wrap.
    let every_line = matches!(head.speaker, Speaker::Npm | Speaker::Lerna | Speaker::YarnBerry | Speaker::Changesets);
    if head.quoted && !cur_stamped && !record {
        // The rest of a quote the head opened and a wrap cut: quote text too, up to
        // the line that closes it.
        let open = ['\'', '"', '`'].into_iter().find(|q| head.message.matches(*q).count() % 2 == 1);
        if let Some(q) = open {
            let prev_is_head = prev == head;
            let closed = !prev_is_head && prev.message.contains(q);
            return (!closed).then_some(m);
        }
    }
    if head.speaker == Speaker::Unknown {
        // Plain text: only a hard wrap of a long line in a paste carries on.
        let long = prev.width >= WRAPPED_MIN;
        return (!cur_stamped && long && !record && !ends_sentence(&prev.message) && runs_on(m)).then_some(m);
    }
    if cur.indent > head.indent && cur.indent >= 2 && !record {
        return Some(m);
    }
    // npm prints a registry error as one record, `<status> <text> - <METHOD> <url> -
    // <body>`; a body that holds line breaks arrives as bare lines after it, each
    // with its own timestamp in a runner log. They carry on the record until a
    // line ends a sentence.
    if cur_stamped && head.speaker == Speaker::Npm && head.status_title.is_some() {
        return (!ends_sentence(&prev.message) && cur.indent == 0 && !record && runs_on(m)).then_some(m);
    }
    if cur_stamped {
        return None;
    }
    if every_line {
        return Some(m);
    }
    let level_with = cur.indent == prev.indent || cur.indent == head.indent;
    // A line that is only a tool's prefix (`[semantic-release] › ℹ`) was cut from its words.
    let cut = !ends_sentence(&prev.message) || prev.message.is_empty();
    (level_with && !record && runs_on(m) && cut).then_some(m)
}

/// The shortest line a hard wrap leaves before its cut (wraps are at 60 columns or
/// more, and the cut falls before the word that did not fit).
const WRAPPED_MIN: usize = 48;

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> (Speaker, Option<Level>, String, bool) {
        let x = anatomy(s);
        (x.speaker, x.level, x.message.into_owned(), x.quoted)
    }

    fn said(s: &str, speaker: Speaker, level: Option<Level>, message: &str) {
        assert_eq!(a(s), (speaker, level, message.to_string(), false), "{s:?}");
    }

    #[test]
    fn labels_peel_off_and_tool_prefixes_stay() {
        // The runner's echo and Set up job lines, relayed behind a label.
        assert_eq!(peel_labels("[0]   NODE_AUTH_TOKEN: ***"), "  NODE_AUTH_TOKEN: ***");
        assert_eq!(peel_labels("pkg:publish: env:"), "env:");
        assert_eq!(peel_labels("#12 3.456 npm: 10.8.2"), "npm: 10.8.2");
        assert_eq!(peel_labels("web-1  | [publish] Secret source: Actions"), "Secret source: Actions");
        // A tool's prefix is not a label: pnpm's badge, npm's prefix, yarn's step counter.
        assert_eq!(
            peel_labels("[ENEEDAUTH] This command requires you to be logged in"),
            "[ENEEDAUTH] This command requires you to be logged in"
        );
        assert_eq!(peel_labels("[0] [E404] Not Found"), "[E404] Not Found");
        assert_eq!(peel_labels("npm error code E404"), "npm error code E404");
        assert_eq!(peel_labels("[1/4] Resolving packages..."), "[1/4] Resolving packages...");
        assert_eq!(peel_labels("Secret source: Actions"), "Secret source: Actions");
        assert_eq!(
            peel_labels("##[error]Process completed with exit code 1."),
            "##[error]Process completed with exit code 1."
        );
    }

    #[test]
    fn a_relayed_bare_line_is_marked_as_such() {
        let x =
            anatomy("pkg:publish: 403 Forbidden - PUT https://registry.npmjs.org/kelp-ui - You cannot publish over");
        assert_eq!((x.speaker, x.relayed), (Speaker::Turbo, true));
        let x = anatomy("#12 45.7 403 Forbidden - PUT https://registry.npmjs.org/kelp-ui - x");
        assert_eq!((x.speaker, x.relayed), (Speaker::BuildKit, true));
        // A tool inside the relay speaks for itself.
        let x = anatomy("#12 45.7 npm error code E404");
        assert_eq!((x.speaker, x.relayed), (Speaker::Npm, false));
        // The runner's own markers relay nothing.
        let x = anatomy("##[error]403 Forbidden - PUT https://registry.npmjs.org/kelp-ui - x");
        assert_eq!((x.speaker, x.relayed), (Speaker::GitHub, false));
        // A relayed code frame quoting a tool's line is quoted text, as it is bare.
        assert!(
            anatomy("pkg:publish:      54|     const line = '\u{27a4} YN0033: No authentication configured'").quoted
        );
        assert!(anatomy("     54|     const line = '\u{27a4} YN0033: No authentication configured'").quoted);
    }

    #[test]
    fn npm_both_renderers() {
        said("npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("npm ERR! code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("npm WARN publish x", Speaker::Npm, Some(Level::Warn), "publish x");
        said(
            "npm notice Publishing to https://r/ with tag latest",
            Speaker::Npm,
            Some(Level::Notice),
            "Publishing to https://r/ with tag latest",
        );
        said("npm verb oidc x", Speaker::Npm, Some(Level::Verbose), "oidc x");
        said("npm verbose oidc x", Speaker::Npm, Some(Level::Verbose), "oidc x");
        said("npm sill x", Speaker::Npm, Some(Level::Silly), "x");
        said("npm http fetch GET 200 u", Speaker::Npm, Some(Level::Http), "fetch GET 200 u");
        said("npm error 404", Speaker::Npm, Some(Level::Error), "404");
        said("npm ERR! 404 ", Speaker::Npm, Some(Level::Error), "404");
    }

    #[test]
    fn runner_markers_and_web_copy() {
        said(
            "##[error]Process completed with exit code 1.",
            Speaker::GitHub,
            Some(Level::Error),
            "Process completed with exit code 1.",
        );
        said(
            "Error: Process completed with exit code 1.",
            Speaker::GitHub,
            Some(Level::Error),
            "Process completed with exit code 1.",
        );
        said("##[error]npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("::error::npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("::error file=a.js,line=1::boom", Speaker::GitHub, Some(Level::Error), "boom");
        said("##[warning]x", Speaker::GitHub, Some(Level::Warn), "x");
    }

    #[test]
    fn buildkit_compose_and_replay() {
        said("#12 45.72 npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said(
            "#6 ERROR: process \"/bin/sh -c npm ci\" did not complete",
            Speaker::BuildKit,
            None,
            "ERROR: process \"/bin/sh -c npm ci\" did not complete",
        );
        said("1.741 npm ERR! code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("web-1  | npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("type 'string | undefined'", Speaker::Unknown, None, "type 'string | undefined'");
        said("1.5 apples", Speaker::Unknown, None, "1.5 apples");
    }

    #[test]
    fn task_runners() {
        said("pkg:publish: npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("@scope/a:release: npm ERR! code ENEEDAUTH", Speaker::Npm, Some(Level::Error), "code ENEEDAUTH");
        said("[0] npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("[publish] npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("[0] anything at all", Speaker::Unknown, None, "anything at all");
        said("packages/b publish-it: npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("@scope/pkg: npm ERR! code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said(
            "[@scope/a]: ➤ YN0033: No authentication configured for request",
            Speaker::YarnBerry,
            None,
            "YN0033: No authentication configured for request",
        );
        said(
            " NX   Running target publish for 3 projects failed",
            Speaker::Nx,
            None,
            "Running target publish for 3 projects failed",
        );
        said(
            " ERROR  run failed: command  exited (1)",
            Speaker::Turbo,
            Some(Level::Error),
            "run failed: command  exited (1)",
        );
        said("#12 3.456 pkg:publish: [0] npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
    }

    #[test]
    fn a_bare_label_is_output() {
        said("Build failed: see above", Speaker::Unknown, None, "Build failed: see above");
        said("note: something", Speaker::Unknown, None, "note: something");
        said("https://registry.npmjs.org/x: 404", Speaker::Unknown, None, "https://registry.npmjs.org/x: 404");
    }

    #[test]
    fn pnpm_badges_every_form() {
        said(
            "\u{2009}ERR_PNPM_GIT_UNCLEAN\u{2009} Unclean working tree.",
            Speaker::Pnpm,
            Some(Level::Error),
            "ERR_PNPM_GIT_UNCLEAN Unclean working tree.",
        );
        said(
            " ERR_PNPM_GIT_UNCLEAN  Unclean working tree.",
            Speaker::Pnpm,
            Some(Level::Error),
            "ERR_PNPM_GIT_UNCLEAN Unclean working tree.",
        );
        said(
            "[ERR_PNPM_GIT_UNCLEAN] Unclean working tree.",
            Speaker::Pnpm,
            Some(Level::Error),
            "ERR_PNPM_GIT_UNCLEAN Unclean working tree.",
        );
        said("[WARN] Skipped OIDC: ERR_PNPM_X: y", Speaker::Pnpm, Some(Level::Warn), "Skipped OIDC: ERR_PNPM_X: y");
        said("\u{2009}WARN\u{2009}  Skipped OIDC: y", Speaker::Pnpm, Some(Level::Warn), "Skipped OIDC: y");
        said(" WARN  Skipped OIDC: y", Speaker::Pnpm, Some(Level::Warn), "Skipped OIDC: y");
        said(
            "[E404] 404 Not Found - PUT https://r/x - Not found",
            Speaker::Pnpm,
            Some(Level::Error),
            "404 Not Found - PUT https://r/x - Not found",
        );
        said(
            "[ELIFECYCLE] Command failed with exit code 1.",
            Speaker::Pnpm,
            Some(Level::Error),
            "ELIFECYCLE Command failed with exit code 1.",
        );
    }

    #[test]
    fn yarn_lerna_changesets_semantic_release_bun() {
        said(
            "➤ YN0033: No authentication configured for request",
            Speaker::YarnBerry,
            None,
            "YN0033: No authentication configured for request",
        );
        said("➤ YN0000: · Yarn 4.10.3", Speaker::YarnBerry, Some(Level::Info), "YN0000: Yarn 4.10.3");
        said(
            "➤ YN0035: │   Response Code: 404 (Not Found)",
            Speaker::YarnBerry,
            None,
            "YN0035: Response Code: 404 (Not Found)",
        );
        said(
            "error Couldn't publish package: \"x\"",
            Speaker::YarnClassic,
            Some(Level::Error),
            "Couldn't publish package: \"x\"",
        );
        said("lerna ERR! E404 Not found", Speaker::Lerna, Some(Level::Error), "E404 Not found");
        said(
            "lerna WARN notice Package failed to publish: x",
            Speaker::Lerna,
            Some(Level::Warn),
            "notice Package failed to publish: x",
        );
        said("lerna-lite verb oidc x", Speaker::Lerna, Some(Level::Verbose), "oidc x");
        said("lerna ERR! publish npm ERR! code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said("🦋  error npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said(
            "🦋  error an error occurred while publishing x: E404",
            Speaker::Changesets,
            Some(Level::Error),
            "an error occurred while publishing x: E404",
        );
        said("🦋  info npm info x", Speaker::Npm, Some(Level::Info), "x");
        said(
            "error npm error 404  'x@1' is not in this registry.",
            Speaker::Npm,
            Some(Level::Error),
            "404  'x@1' is not in this registry.",
        );
        said(
            "[11:02:12 PM] [semantic-release] › ✘  ENONPMTOKEN No npm token specified.",
            Speaker::SemanticRelease,
            Some(Level::Error),
            "ENONPMTOKEN No npm token specified.",
        );
        said(
            "[semantic-release] [@semantic-release/npm] › ℹ  Verify authentication",
            Speaker::SemanticRelease,
            Some(Level::Info),
            "Verify authentication",
        );
        said(
            "[@semantic-release/npm] › ℹ  Verifying OIDC context",
            Speaker::SemanticRelease,
            Some(Level::Info),
            "Verifying OIDC context",
        );
        said(
            "[1:48:16 PM] [semantic-release] › ✖  Failed step",
            Speaker::SemanticRelease,
            Some(Level::Error),
            "Failed step",
        );
        said(
            "error: missing authentication (run `bunx npm login`)",
            Speaker::Unknown,
            Some(Level::Error),
            "missing authentication (run `bunx npm login`)",
        );
        said("bun publish v1.4.5 (a7733435c)", Speaker::Bun, Some(Level::Info), "bun publish v1.4.5 (a7733435c)");
        said("error TS2345: Argument of type", Speaker::Unknown, None, "error TS2345: Argument of type");
        said("[12:01:02] npm error code E404", Speaker::Npm, Some(Level::Error), "code E404");
        said(
            "npm error Error: EACCES: permission denied",
            Speaker::Npm,
            Some(Level::Error),
            "Error: EACCES: permission denied",
        );
        said("🦋  error Error: boom", Speaker::Changesets, Some(Level::Error), "Error: boom");
        said(
            "[EOTP] This operation requires a one-time password.",
            Speaker::Pnpm,
            Some(Level::Error),
            "EOTP This operation requires a one-time password.",
        );
        said(
            "[ENEEDAUTH] This command requires you to be logged in",
            Speaker::Pnpm,
            Some(Level::Error),
            "ENEEDAUTH This command requires you to be logged in",
        );
    }

    #[test]
    fn quoted_lines_are_marked() {
        assert!(anatomy("    npm error code E404").quoted);
        assert!(anatomy("  - npm error code E404").quoted);
        assert!(anatomy("'npm ERR! code E403\\n' +").quoted);
        assert!(anatomy("\"npm error code E404\",").quoted);
        assert!(anatomy("+ npm error code E404").quoted);
        assert!(anatomy("Error: expected 'npm error 422 Unprocessable Entity' to include x").quoted);
        assert!(anatomy("Expected: \"npm error code E404\"").quoted);
        assert!(!anatomy("  npm ERR! code E404").quoted, "the web view's two-space indent");
        assert!(!anatomy("> lerna WARN notice Package failed to publish: x").quoted, "a blockquote paste");
        assert!(anatomy("[0]     npm error code ENEEDAUTH").quoted, "a deep indent behind a label");
        // A test's name that mentions a tool's line, and npm's prefix in mid-line.
        assert!(anatomy("✕ reports npm error code ENEEDAUTH when the token is empty (5 ms)").quoted);
        assert!(anatomy("✓ points at the registry from need auth This command requires you to be logged in").quoted);
        assert!(anatomy("● publish › reports npm error code E404 for a missing token").quoted);
        assert!(!anatomy("× Some errors were emitted while running checks.").quoted, "Biome's own mark");
        assert!(!anatomy("an error occurred while publishing kelp: E404").quoted);
        let x = anatomy("    at Object.<anonymous> (test.js:1:1)");
        assert_eq!((x.speaker, x.indent), (Speaker::Unknown, 4));
    }

    #[test]
    fn continuation_lines() {
        // Each case: the head line, then the lines after it; returns the pieces joined.
        let join = |lines: &[&str], stamped: bool| {
            let all: Vec<Anatomy<'_>> = lines.iter().map(|l| anatomy(l)).collect();
            let mut pieces = Vec::new();
            for i in 1..all.len() {
                match continues(&all[0], &all[i - 1], &all[i], stamped) {
                    Some(p) => pieces.push(p.to_string()),
                    None => break,
                }
            }
            pieces.join("|")
        };
        assert_eq!(
            join(&["npm error 404 Note that you can also install from a", "npm error 404 tarball, folder."], true),
            "tarball, folder."
        );
        assert_eq!(join(&["npm error 404 x", "npm error 422 y"], false), "");
        assert_eq!(join(&["npm error 404 x", "npm error code E404"], false), "");
        assert_eq!(join(&["npm error code E404", "npm error 404 x"], false), "");
        assert_eq!(
            join(&["[WARN] Skipped OIDC: ERR_X:", "       Incorrect permissions for idToken"], true),
            "Incorrect permissions for idToken"
        );
        assert_eq!(
            join(
                &[
                    "npm error 422 Unsupported GitHub Actions",
                    "runner environment: \"self-hosted\". Only",
                    "supported."
                ],
                false
            ),
            "runner environment: \"self-hosted\". Only|supported."
        );
        assert_eq!(
            join(&["[WARN] Unsupported GitHub Actions", "runner environment"], true),
            "",
            "runner lines are whole lines"
        );
        assert_eq!(
            join(&["npm error 422 Unsupported GitHub Actions", "runner environment"], true),
            "runner environment",
            "a registry body's line breaks: bare stamped lines carry on npm's status record"
        );
        assert_eq!(
            join(&["npm error 404 Not Found - PUT https://r.example/x - Not found.", "Deploying docs"], true),
            "",
            "until the record ends a sentence"
        );
        assert_eq!(
            join(&["npm error code E404", "runner environment"], true),
            "",
            "only a status record carries on; other stamped lines are whole"
        );
        assert_eq!(join(&["#12 45.1 npm error 404 a", "#12 45.2 npm error 404 b"], true), "b");
        assert_eq!(join(&["npm error 404 a.", "    at foo (x.js:1:1)"], false), "");
        assert_eq!(join(&["npm error 404 a", "##[error]Process completed"], false), "");
        assert_eq!(
            join(&["[WARN] Skipped OIDC: ERR_X: failed (status code 404)", "📦 @k/ui@2.0.0 → https://r/"], false),
            ""
        );
        assert_eq!(
            join(
                &[
                    "npm ERR! 422 a - ",
                    "Error verifying x: ",
                    "package.json: \"repository.url\" is \"\", expected",
                    "\"https://github.com/o/r\" from provenance"
                ],
                false
            ),
            "Error verifying x:|package.json: \"repository.url\" is \"\", expected|\"https://github.com/o/r\" from provenance"
        );
        assert_eq!(join(&["🦋  error an error occurred:", "    E422 a", "    b c"], true), "E422 a|b c");
        assert_eq!(join(&[" FAIL  src/a.test.ts", "  ● a › b"], true), "", "a test reporter's own lines stand alone");
        assert_eq!(
            join(
                &[
                    "[2:14:04 PM] [semantic-release] › ✘  EGHNOPERMISSION The GitHub token doesn't",
                    "allow to push on the repository acme/widgets."
                ],
                false
            ),
            "allow to push on the repository acme/widgets."
        );
    }
}
