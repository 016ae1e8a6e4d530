//! Bytes to lines: strips what real logs wrap around a tool's text (the
//! `<timestamp>Z ` prefix, `gh run view --log`'s `job<TAB>step<TAB>` columns, a BOM,
//! ANSI colour codes, CR, web-UI copy artefacts) and tells echoed commands from output.
//!
//! Only lines the scanner's prefilter picked are normalised, into a buffer the caller
//! reuses, so the common line costs nothing here. Invalid UTF-8 is replaced, never
//! fatal. Line numbers are the caller's: normalising never merges or splits lines.

use std::borrow::Cow;
use std::ops::Range;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a normalised line is, given where it stands in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// What a tool printed. Rules match these.
    Output,
    /// `##[group]Run <command or action>`: a step begins and its echo follows.
    StepStart,
    /// A script line the runner echoes before running it (a command, not output).
    Echo,
    /// `  KEY: value` in the step's `env:` echo.
    Env,
    /// `  input: value` in the `with:` echo of an action step.
    With,
}

/// A normalised candidate (logical) line, handed from the scanner to facts and
/// matching: its text, and for output its anatomy (see [`crate::anatomy`]).
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// 1-based line number in the source it came from (its first line).
    pub number: u64,
    /// The step it is in (see [`Structure::step`]).
    pub step: usize,
    /// The whole text, continuation lines joined on.
    pub text: &'a str,
    pub kind: LineKind,
    /// The tool's words (for echoes and env lines: the text).
    pub message: &'a str,
    pub speaker: crate::anatomy::Speaker,
    pub level: Option<crate::anatomy::Level>,
    /// The tool's line is quoted (a test diff, a string, a deep indent).
    pub quoted: bool,
    /// A docker build step or a compose service printed it.
    pub container: bool,
}

impl<'a> Line<'a> {
    /// A line taken apart on its own (no continuation joined), for tests and tools.
    pub fn single(number: u64, text: &'a str, kind: LineKind, anatomy: &'a crate::anatomy::Anatomy<'a>) -> Line<'a> {
        let output = kind == LineKind::Output;
        Line {
            number,
            step: 0,
            text,
            kind,
            message: if output { &anatomy.message } else { text },
            speaker: if output { anatomy.speaker } else { crate::anatomy::Speaker::Unknown },
            level: if output { anatomy.level } else { None },
            quoted: output && anatomy.quoted,
            container: output && anatomy.container,
        }
    }
}

/// What the prefix of a raw line carried besides the text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefix {
    /// `gh run view --log` job column, as a range into the raw line.
    pub job: Option<Range<usize>>,
    /// `gh run view --log` step column (`UNKNOWN STEP` is dropped).
    pub step: Option<Range<usize>>,
    /// The `<timestamp>Z` prefix, as a range into the raw line.
    pub timestamp: Option<Range<usize>>,
    /// The runner coloured the text as a script echo (`ESC[36;1m`).
    pub script_echo: bool,
}

/// Length of an Actions timestamp (`2025-12-09T23:19:44.3198866Z`) at the start
/// of `s`, including the `Z` but not the space after it.
pub fn timestamp_len(s: &[u8]) -> Option<usize> {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    if s.len() < SHAPE.len() + 1 {
        return None;
    }
    for (c, want) in s.iter().zip(SHAPE) {
        let ok = if *want == b'd' { c.is_ascii_digit() } else { c == want };
        if !ok {
            return None;
        }
    }
    let mut i = SHAPE.len();
    if s.get(i) == Some(&b'.') {
        i += 1;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    (s.get(i) == Some(&b'Z')).then_some(i + 1)
}

/// `job<TAB>step<TAB><timestamp>`: the job's and step's ranges (`UNKNOWN STEP` is
/// no step) and where the timestamp starts.
fn tab_columns(s: &[u8]) -> Option<(Range<usize>, Option<Range<usize>>, usize)> {
    let t1 = memchr::memchr(b'\t', s)?;
    let t2 = memchr::memchr(b'\t', &s[t1 + 1..]).map(|i| t1 + 1 + i)?;
    let mut ts = t2 + 1;
    if s[ts..].starts_with(BOM) {
        ts += BOM.len();
    }
    timestamp_len(&s[ts..])?;
    let step = (&s[t1 + 1..t2] != b"UNKNOWN STEP").then_some(t1 + 1..t2);
    Some((0..t1, step, ts))
}

/// `job  step  <timestamp>`: columns separated by two or more spaces before a
/// runner timestamp. Returns the job's and step's ranges and where the timestamp
/// starts.
fn spaced_columns(s: &[u8]) -> Option<(Range<usize>, Option<Range<usize>>, usize)> {
    let head = &s[..s.len().min(300)];
    let gap = memchr::memmem::find(head, b"  ")?;
    // The timestamp follows the last run of spaces before it.
    let mut i = gap;
    let ts = loop {
        let at = i + head[i..].iter().take_while(|c| **c == b' ').count();
        let at = if head[at..].starts_with(BOM) { at + BOM.len() } else { at };
        if timestamp_len(&head[at..]).is_some() {
            break at;
        }
        i = at + memchr::memmem::find(&head[at..], b"  ")?;
    };
    if gap == 0 {
        return None;
    }
    let job = 0..gap;
    let rest = &s[gap..ts];
    let lead = rest.iter().take_while(|c| **c == b' ').count();
    let body = &rest[lead..];
    let trail = body.iter().rev().take_while(|c| **c == b' ' || **c == 0xBF || **c == 0xBB || **c == 0xEF).count();
    let step = (body.len() > trail && &body[..body.len() - trail] != b"UNKNOWN STEP")
        .then(|| gap + lead..gap + lead + body.len() - trail);
    Some((job, step, ts))
}

/// Splits the prefixes off `raw` (one line, without its `\n`) and writes the
/// cleaned text into `out`. Returns what the prefixes carried.
pub fn normalize_into(raw: &[u8], out: &mut Vec<u8>) -> Prefix {
    out.clear();
    let mut prefix = Prefix::default();
    let mut line = raw;
    if let Some(stripped) = line.strip_suffix(b"\r") {
        line = stripped;
    }
    let mut start = 0usize;
    if line[start..].starts_with(BOM) {
        start += BOM.len();
    }
    // The web view's line link is outermost: copied lines of a `gh` log carry it
    // before their columns.
    if let Some(n) = web_copy_len(&line[start..]) {
        start += n;
    }
    // `gh run view --log`: job<TAB>step<TAB><timestamp> text; the columns may also
    // arrive as runs of spaces (a paste), or twice (gh's output of a gh log saved
    // again: the outer columns name the job).
    for _ in 0..2 {
        let columns = tab_columns(&line[start..]).or_else(|| spaced_columns(&line[start..]));
        let Some((job, step, ts)) = columns else { break };
        if prefix.job.is_none() {
            prefix.job = Some(start + job.start..start + job.end);
            prefix.step = step.map(|r| start + r.start..start + r.end);
        }
        let n = timestamp_len(&line[start + ts..]).expect("columns end at a timestamp");
        prefix.timestamp = Some(start + ts..start + ts + n);
        start += ts + n;
        if line.get(start) == Some(&b' ') {
            start += 1;
        }
        if line[start..].starts_with(BOM) {
            start += BOM.len();
        }
    }
    if let Some(n) = timestamp_len(&line[start..]) {
        prefix.timestamp = Some(start..start + n);
        start += n;
        if line.get(start) == Some(&b' ') {
            start += 1;
        }
    }
    if line[start..].starts_with(BOM) {
        start += BOM.len();
    }
    let text = &line[start..];
    prefix.script_echo = text.starts_with(b"\x1b[36;1m");
    strip_ansi_into(text, out);
    strip_web_copy_artefact(out);
    prefix
}

/// Copies `text` into `out` without terminal escape sequences: CSI (colours),
/// OSC (titles, links), and two-byte escapes such as `ESC ( B` that `tput sgr0`
/// prints, read by a real escape-sequence parser (`vte`). Lines without an ESC
/// byte, nearly all of them, are copied as they are.
fn strip_ansi_into(text: &[u8], out: &mut Vec<u8>) {
    if memchr::memchr(0x1b, text).is_none() {
        out.extend_from_slice(text);
        return;
    }
    struct Keep<'a>(&'a mut Vec<u8>);
    impl vte::Perform for Keep<'_> {
        fn print(&mut self, c: char) {
            // An invalid sequence stays one invalid byte: the text is made valid
            // (U+FFFD) where every line is, and cleaning never grows a line.
            if c == char::REPLACEMENT_CHARACTER {
                self.0.push(0xFF);
                return;
            }
            let mut buf = [0u8; 4];
            self.0.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        fn execute(&mut self, byte: u8) {
            if byte == b'\t' {
                self.0.push(byte);
            }
        }
    }
    let mut parser = vte::Parser::new();
    parser.advance(&mut Keep(out), text);
}

/// Removes the line-number links that copying a log from GitHub's web page leaves
/// in front of a line: `[40](https://github.com/o/r/actions/runs/1/job/2#step:7:41)`.
fn strip_web_copy_artefact(out: &mut Vec<u8>) {
    let lead = out.iter().take_while(|c| **c == b' ').count();
    if let Some(n) = web_copy_len(&out[lead..]) {
        out.drain(..lead + n);
    }
}

/// The length of a web-view line-number link at the start of `s`, if one is there.
fn web_copy_len(s: &[u8]) -> Option<usize> {
    if !s.starts_with(b"[") {
        return None;
    }
    let digits = s[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || !s[1 + digits..].starts_with(b"](https://") {
        return None;
    }
    let link = 1 + digits + 2;
    let close = memchr::memchr(b')', &s[link..])?;
    let url = &s[link..link + close];
    memchr::memmem::find(url, b"#step:")?;
    Some(link + close + 1)
}

/// The text of a normalised buffer: borrowed when it is valid UTF-8 (nearly
/// always), else with U+FFFD for each invalid sequence.
pub fn text(buf: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(buf)
}

/// Like [`text`], without allocating: valid UTF-8 is borrowed, anything else is
/// written into `spare` (a buffer the caller reuses) with U+FFFD for each invalid
/// sequence, exactly as [`text`] does.
pub fn text_in<'a>(buf: &'a [u8], spare: &'a mut String) -> &'a str {
    if let Ok(t) = std::str::from_utf8(buf) {
        return t;
    }
    spare.clear();
    for chunk in buf.utf8_chunks() {
        spare.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            spare.push(char::REPLACEMENT_CHARACTER);
        }
    }
    spare
}

/// What a step's `Run` marker (`##[group]Run <x>`, or a web copy's `Run <x>`)
/// says the step runs: an action (`actions/setup-node@v4`) or a script's first
/// line.
pub fn run_marker(text: &str) -> &str {
    text.strip_prefix("##[group]Run ").or_else(|| text.strip_prefix("Run ")).unwrap_or(text).trim()
}

/// Tells echoed commands from output, and which step a line is in, line by line,
/// within one job.
///
/// The runner echoes a `run:` step as `##[group]Run <first line>`, the script lines
/// (coloured cyan), `shell:`, and an `env:` block, then `##[endgroup]`; an action
/// step echoes `with:` inputs instead of script lines. Only lines the scanner
/// looks at pass through here, so the classification relies on each line alone
/// plus whether an echo block is open.
///
/// Steps: the job's lines before any step are step 0 (`Set up job`). Each `Run`
/// marker begins the next step, unless the source names the steps (an archive's
/// step files, `gh run view`'s step column): then a step begins where the source
/// says, the first one taking the place of step 0, and markers stay inside it
/// (a composite action's inner steps).
#[derive(Debug, Default)]
pub struct Structure {
    in_echo: bool,
    /// A step header copied from the web view (`Run <command>`, its echo indented
    /// by two spaces below it, timestamps gone).
    web_echo: bool,
    step: usize,
    /// A step has begun (by a marker or by the source).
    stepped: bool,
    named_by_source: bool,
}

impl Structure {
    /// The step the lines classified last are in: 0 before any step.
    pub fn step(&self) -> usize {
        self.step
    }

    /// A step's echo block (`##[group]Run ...` up to `##[endgroup]`) is open.
    pub fn in_echo(&self) -> bool {
        self.in_echo
    }

    /// The source names a step that begins here; returns its index.
    pub fn named_step(&mut self) -> usize {
        if self.stepped {
            self.step += 1;
        }
        self.stepped = true;
        self.named_by_source = true;
        self.step
    }

    fn marker(&mut self) -> LineKind {
        if !self.named_by_source {
            self.step += 1;
            self.stepped = true;
        }
        LineKind::StepStart
    }

    /// Classifies one line; `stamped`: it carried a runner timestamp.
    pub fn classify(&mut self, text: &str, script_echo: bool, stamped: bool) -> LineKind {
        if let Some(rest) = text.strip_prefix("##[") {
            self.web_echo = false;
            if rest.starts_with("group]Run ") {
                self.in_echo = true;
                return self.marker();
            }
            if rest.starts_with("endgroup]") || rest.starts_with("group]") {
                self.in_echo = false;
            }
            return LineKind::Output;
        }
        if !stamped && !self.in_echo {
            if text.starts_with("Run ") && text.len() > 4 {
                self.web_echo = true;
                return self.marker();
            }
            if self.web_echo {
                match text.strip_prefix("  ") {
                    // The web view indents the whole echo by two spaces.
                    Some(inner) => return Self::echo_entry(inner, false),
                    None => self.web_echo = false,
                }
            }
        }
        if !self.in_echo {
            return LineKind::Output;
        }
        Self::echo_entry(text, script_echo)
    }

    /// A line inside a step's echo: a script line, or an `env:`/`with:` entry.
    fn echo_entry(text: &str, script_echo: bool) -> LineKind {
        if script_echo {
            return LineKind::Echo;
        }
        if let Some(entry) = text.strip_prefix("  ") {
            if let Some((key, _)) = entry.split_once(':') {
                let key_ok =
                    !key.is_empty() && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
                if key_ok {
                    let env_like = key.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
                    return if env_like { LineKind::Env } else { LineKind::With };
                }
            }
        }
        LineKind::Echo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &[u8]) -> (String, Prefix) {
        let mut out = Vec::new();
        let p = normalize_into(raw, &mut out);
        (text(&out).into_owned(), p)
    }

    #[test]
    fn strips_timestamp_bom_cr_and_ansi() {
        let (t, p) = norm(b"\xEF\xBB\xBF2025-12-09T23:19:44.3198866Z \x1b[31merror\x1b[39m code E404\r");
        assert_eq!(t, "error code E404");
        assert_eq!(p.timestamp, Some(3..31));
    }

    #[test]
    fn strips_gh_run_view_columns() {
        let raw = b"Release / Release\tUNKNOWN STEP\t\xEF\xBB\xBF2025-12-09T23:19:44.3198866Z Current runner version: '2.329.0'";
        let (t, p) = norm(raw);
        assert_eq!(t, "Current runner version: '2.329.0'");
        assert_eq!(&raw[p.job.unwrap()], b"Release / Release");
        assert_eq!(p.step, None);
    }

    #[test]
    fn strips_gh_columns_pasted_as_spaces() {
        let raw = b"release   Publish to npm   2026-01-04T08:12:00.0000000Z npm error code E404";
        let (t, p) = norm(raw);
        assert_eq!(t, "npm error code E404");
        assert_eq!(&raw[p.job.unwrap()], b"release");
        assert_eq!(&raw[p.step.unwrap()], b"Publish to npm");
        let (t, p) = norm(b"Release / Release       UNKNOWN STEP    2025-12-09T23:54:25.9807169Z x");
        assert_eq!((t.as_str(), p.step), ("x", None));
        let (t, _) = norm(b"two  spaces but no time");
        assert_eq!(t, "two  spaces but no time");
    }

    #[test]
    fn keeps_tabs_that_are_not_gh_columns() {
        let (t, p) = norm(b"a\tb\tc");
        assert_eq!(t, "a\tb\tc");
        assert_eq!(p.job, None);
    }

    #[test]
    fn strips_web_copy_line_links() {
        let (t, _) = norm(b"[40](https://github.com/o/r/actions/runs/1/job/2#step:7:41)npm ERR! 402 Payment Required");
        assert_eq!(t, "npm ERR! 402 Payment Required");
        let (t, _) = norm(b"[see](https://example.com) text");
        assert_eq!(t, "[see](https://example.com) text");
    }

    #[test]
    fn escape_sequences_of_every_kind_are_removed() {
        let (t, _) = norm(b"\x1b[1m\x1b[31mnpm error\x1b(B\x1b[m code E404");
        assert_eq!(t, "npm error code E404");
        let (t, _) = norm(b"\x1b]0;title\x07npm error\x1b]8;;https://x\x1b\\ link\x1b]8;;\x1b\\");
        assert_eq!(t, "npm error link");
        let (t, _) = norm(b"a\tb\x1b[2Kc");
        assert_eq!(t, "a\tbc");
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let (t, _) = norm(b"npm error \xff\xfe code");
        assert_eq!(t, "npm error \u{fffd}\u{fffd} code");
    }

    #[test]
    fn text_in_agrees_with_text_and_borrows_valid_utf8() {
        let mut spare = String::new();
        for raw in [&b"plain"[..], b"caf\xe9 r\xc3sum\xe9", b"\xe2\x9c", b"\xff\xfeab\xc0\xaf\xed\xa0\x80", b""] {
            assert_eq!(text_in(raw, &mut spare), text(raw));
        }
        spare.clear();
        assert_eq!(text_in(b"ok", &mut spare), "ok");
        assert!(spare.is_empty());
    }

    #[test]
    fn detects_script_echo_and_truncated_escapes() {
        let (t, p) = norm(b"2025-12-09T23:19:47.3211336Z \x1b[36;1mnpm publish\x1b[0m");
        assert_eq!(t, "npm publish");
        assert!(p.script_echo);
        let (t, _) = norm(b"tail \x1b[31");
        assert_eq!(t, "tail ");
    }

    #[test]
    fn classifies_echo_blocks() {
        let mut s = Structure::default();
        assert_eq!(s.classify("##[group]Run npm publish", false, true), LineKind::StepStart);
        assert_eq!(s.classify("npm publish --provenance", true, true), LineKind::Echo);
        assert_eq!(s.classify("  NODE_AUTH_TOKEN: ***", false, true), LineKind::Env);
        assert_eq!(s.classify("  registry-url: https://registry.npmjs.org", false, true), LineKind::With);
        assert_eq!(s.classify("##[endgroup]", false, true), LineKind::Output);
        assert_eq!(s.classify("npm error code E404", false, true), LineKind::Output);
        assert_eq!(s.classify("  NODE_AUTH_TOKEN: ***", false, true), LineKind::Output);
    }

    #[test]
    fn markers_begin_steps_unless_the_source_names_them() {
        let mut s = Structure::default();
        s.classify("Current runner version: '2.330.0'", false, true);
        assert_eq!(s.step(), 0);
        s.classify("##[group]Run actions/checkout@v4", false, true);
        s.classify("##[endgroup]", false, true);
        assert_eq!(s.step(), 1);
        s.classify("##[group]Run npm publish", false, true);
        assert_eq!(s.step(), 2);
        // Named by the source: the first named step is step 0, and its own marker
        // (or a composite action's inner ones) begins no other.
        let mut s = Structure::default();
        assert_eq!(s.named_step(), 0);
        s.classify("##[group]Run ./.github/actions/release", false, true);
        s.classify("##[group]Run npm publish", false, true);
        assert_eq!(s.step(), 0);
        assert_eq!(s.named_step(), 1);
        assert_eq!(run_marker("##[group]Run npm publish --access public"), "npm publish --access public");
        assert_eq!(run_marker("Run actions/setup-node@v4"), "actions/setup-node@v4");
    }

    #[test]
    fn classifies_a_web_view_copy_of_an_echo() {
        let mut s = Structure::default();
        assert_eq!(s.classify("Run npm publish --access public", false, false), LineKind::StepStart);
        assert_eq!(s.classify("  npm publish --access public", false, false), LineKind::Echo);
        assert_eq!(s.classify("  env:", false, false), LineKind::Echo);
        assert_eq!(s.classify("    NODE_AUTH_TOKEN: XXXXX-XXXXX-XXXXX-XXXXX", false, false), LineKind::Env);
        assert_eq!(s.classify("npm error code E404", false, false), LineKind::Output);
        assert_eq!(s.classify("  npm error 404 x", false, false), LineKind::Output, "the echo ended");
        assert_eq!(s.classify("Run tests", false, true), LineKind::Output, "a runner line is never a web copy");
    }
}
