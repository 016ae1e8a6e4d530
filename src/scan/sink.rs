//! What reads the scanned lines: the scanner hands each logical line, once, to
//! every [`Sink`] of the job (as ripgrep's searcher hands lines to its printers).
//! The facts, the rules' signals and the "no known cause" context are three sinks;
//! a new consumer of the lines is a new type in the job's tuple of sinks, not a
//! new branch in the scan loop. Sinks are called through generics: no dynamic
//! call and no allocation per line.

use std::collections::VecDeque;

use crate::anatomy::Anatomy;
use crate::facts::{Facts, FactsBuilder};
use crate::normalize::{Line, LineKind};
use crate::pattern::Scope;

use super::UniqueSignal;

/// Hits kept per signal per job (the count goes on).
const HITS_KEPT: usize = 8;
/// Error-looking lines kept per job for the "no known cause" report.
const CONTEXT_KEPT: usize = 64;
/// Longest excerpt of a line kept as evidence.
pub const EXCERPT_MAX: usize = 400;

/// One logical line as the scanner hands it to the sinks: normalised, joined with
/// the physical lines that continue it, classified, and placed in its step.
#[derive(Clone, Copy, Debug)]
pub struct Scanned<'a> {
    /// The whole logical line: its text, kind, message, speaker and step.
    pub line: Line<'a>,
    /// The last physical line it spans (`line.number` when it is one line).
    pub last_number: u64,
    /// Each physical line taken apart on its own, the head first (one for a
    /// line that continues nothing).
    pub parts: &'a [Anatomy<'a>],
    /// The signals whose literal the line holds, each once: the candidates to
    /// confirm with their regexes.
    pub signals: &'a [u32],
    /// It holds one of the facts' literals.
    pub fact: bool,
    /// It holds an error-looking literal (worth showing when no rule explains
    /// the failure).
    pub context: bool,
}

/// A consumer of one job's scanned lines.
pub trait Sink {
    /// What the sink keeps of the job once its lines are read.
    type Output;

    /// Step `index` begins at `line`, named `name` by the source (an archive's
    /// step file, `gh run view`'s step column). Steps begun by a `Run` marker
    /// arrive as the marker's line (of kind [`LineKind::StepStart`]).
    fn named_step(&mut self, _index: usize, _name: &str, _line: u64) {}

    /// The job's first runner timestamp.
    fn timestamp(&mut self, _stamp: &str) {}

    /// Whether the next line must be handed over even if it holds no literal.
    fn wants_next_line(&self) -> bool {
        false
    }

    /// One logical line.
    fn line(&mut self, line: &Scanned<'_>);

    /// The job's lines are read (`lines` of them).
    fn finish(self, lines: u64) -> Self::Output;
}

/// Sinks side by side: each gets every event, in order.
impl<A: Sink, B: Sink, C: Sink> Sink for (A, B, C) {
    type Output = (A::Output, B::Output, C::Output);

    fn named_step(&mut self, index: usize, name: &str, line: u64) {
        self.0.named_step(index, name, line);
        self.1.named_step(index, name, line);
        self.2.named_step(index, name, line);
    }

    fn timestamp(&mut self, stamp: &str) {
        self.0.timestamp(stamp);
        self.1.timestamp(stamp);
        self.2.timestamp(stamp);
    }

    fn wants_next_line(&self) -> bool {
        self.0.wants_next_line() || self.1.wants_next_line() || self.2.wants_next_line()
    }

    fn line(&mut self, line: &Scanned<'_>) {
        self.0.line(line);
        self.1.line(line);
        self.2.line(line);
    }

    fn finish(self, lines: u64) -> Self::Output {
        (self.0.finish(lines), self.1.finish(lines), self.2.finish(lines))
    }
}

/// The facts read from the job's structure (see [`crate::facts`]).
pub struct FactsSink {
    builder: FactsBuilder,
    /// Read every line, not only those of a fact literal (see
    /// [`super::Matcher::every_line`]).
    every_line: bool,
}

impl FactsSink {
    pub fn new(every_line: bool) -> FactsSink {
        FactsSink { builder: FactsBuilder::new(), every_line }
    }

    pub fn step_name(&self, index: usize) -> &str {
        self.builder.step_name(index)
    }
}

impl Sink for FactsSink {
    type Output = Facts;

    fn named_step(&mut self, index: usize, name: &str, line: u64) {
        self.builder.start_named_step(index, name, line);
    }

    fn timestamp(&mut self, stamp: &str) {
        self.builder.saw_timestamp(stamp);
    }

    fn wants_next_line(&self) -> bool {
        self.builder.wants_next_line()
    }

    fn line(&mut self, line: &Scanned<'_>) {
        // Facts read only the lines of their own literals (FACT_LITERALS says
        // so); a line that is here for a rule's literal alone costs them nothing.
        if line.fact || self.every_line || self.builder.wants_next_line() {
            self.builder.line(&line.line);
        }
    }

    fn finish(self, lines: u64) -> Facts {
        self.builder.finish(lines)
    }
}

/// One (logical) line a signal matched.
#[derive(Clone, Debug)]
pub struct Hit {
    pub line: u64,
    /// The last physical line of the logical line (`line` when it is one line).
    pub last_line: u64,
    pub step: usize,
    pub text: String,
    pub captures: Vec<(String, String)>,
}

/// The hits of one signal in one job.
#[derive(Clone, Debug, Default)]
pub struct SignalHits {
    pub count: u64,
    pub kept: Vec<Hit>,
}

/// The rules' signals, confirmed on their candidate lines by their regexes.
pub struct SignalSink<'m> {
    signals: &'m [UniqueSignal],
    /// Indexed like `signals`.
    hits: Vec<SignalHits>,
}

impl<'m> SignalSink<'m> {
    pub(super) fn new(signals: &'m [UniqueSignal]) -> SignalSink<'m> {
        SignalSink { signals, hits: vec![SignalHits::default(); signals.len()] }
    }
}

impl Sink for SignalSink<'_> {
    type Output = Vec<SignalHits>;

    fn line(&mut self, scanned: &Scanned<'_>) {
        let line = &scanned.line;
        let head = &scanned.parts[0];
        let is_output = line.kind == LineKind::Output;
        for &sig in scanned.signals {
            let signal = &self.signals[sig as usize];
            let in_scope = match signal.scope {
                Scope::Output => is_output && signal.admits(head),
                Scope::Echo => !is_output && line.kind != LineKind::StepStart,
                Scope::Any => !is_output || signal.admits(head),
            };
            if !in_scope {
                continue;
            }
            let regex = signal.regex.get();
            // The joined message, else the first line's own: a join never hides
            // what the line said alone (a wrong join of two plain lines).
            let found = regex.captures(line.message.as_bytes()).or_else(|| {
                if scanned.parts.len() == 1 || head.quoted {
                    return None;
                }
                let alone =
                    scanned.parts.iter().filter(|a| !a.quoted && (signal.scope == Scope::Echo || signal.admits(a)));
                alone.map(|a| a.message.as_ref()).find_map(|m| regex.captures(m.as_bytes()))
            });
            let Some(caps) = found else {
                continue;
            };
            let hits = &mut self.hits[sig as usize];
            hits.count += 1;
            if hits.kept.len() < HITS_KEPT {
                let captures = regex
                    .capture_names()
                    .enumerate()
                    .filter_map(|(i, name)| {
                        let name = name?;
                        let value = caps.get(i)?;
                        let mut value = String::from_utf8_lossy(value.as_bytes()).trim().to_string();
                        if name == "pkg" {
                            value = package_name(&value);
                        }
                        Some((name.to_string(), value))
                    })
                    .collect();
                hits.kept.push(Hit {
                    line: line.number,
                    last_line: scanned.last_number,
                    step: line.step,
                    text: excerpt(line.text.trim_end(), EXCERPT_MAX),
                    captures,
                });
            }
        }
    }

    fn finish(self, _lines: u64) -> Vec<SignalHits> {
        self.hits
    }
}

/// An error-looking output line, kept for the report when no rule matches.
#[derive(Clone, Debug)]
pub struct ContextLine {
    pub line: u64,
    pub step: usize,
    pub text: String,
}

/// The last error-looking output lines of the job (a window of
/// [`CONTEXT_KEPT`]), for a report that names no cause.
#[derive(Default)]
pub struct ContextSink {
    lines: VecDeque<ContextLine>,
}

impl Sink for ContextSink {
    type Output = Vec<ContextLine>;

    fn line(&mut self, scanned: &Scanned<'_>) {
        let line = &scanned.line;
        if !scanned.context
            || line.kind != LineKind::Output
            || line.quoted
            || line.message.starts_with("Process completed with exit code")
        {
            return;
        }
        // Once the window is full, the oldest entry's buffer is reused.
        let mut slot = match self.lines.len() {
            CONTEXT_KEPT => self.lines.pop_front().expect("the window is full"),
            _ => ContextLine { line: 0, step: 0, text: String::new() },
        };
        slot.line = line.number;
        slot.step = line.step;
        excerpt_into(line.text.trim(), EXCERPT_MAX, &mut slot.text);
        self.lines.push_back(slot);
    }

    fn finish(self, _lines: u64) -> Vec<ContextLine> {
        self.lines.into()
    }
}

/// A package name as a registry URL writes it (`@scope%2fname`, `%40scope%2Fname`)
/// to the name people type (`@scope/name`).
pub fn package_name(captured: &str) -> String {
    captured.replace("%2f", "/").replace("%2F", "/").replace("%40", "@")
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::new();
    excerpt_into(text, max, &mut out);
    out
}

/// [`excerpt`] into a buffer the caller reuses.
fn excerpt_into(text: &str, max: usize, out: &mut String) {
    out.clear();
    if text.len() <= max {
        out.push_str(text);
        return;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&text[..end]);
    out.push('…');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_shown_as_typed() {
        assert_eq!(package_name("@tinmouth%2frill-forms"), "@tinmouth/rill-forms");
        assert_eq!(package_name("%40a%2Fb"), "@a/b");
        assert_eq!(package_name("left-pad"), "left-pad");
    }
}
