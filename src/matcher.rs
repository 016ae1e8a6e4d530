//! One pass over a job's bytes: a literal prefilter (Aho-Corasick over every rule
//! literal and every structure literal) finds the few lines worth reading; only those
//! are normalised, classified, fed to facts, and confirmed with their candidate
//! signals' regexes. Lines without a literal cost a newline count.
//!
//! Memory stays flat: input is read in fixed blocks, a line longer than a block is
//! read as several segments with one line number, and each signal keeps its first
//! few hits and a count.

use std::collections::VecDeque;
use std::io::{self, Read};

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use regex::bytes::Regex;

use crate::facts::{FACT_LITERALS, Facts, FactsBuilder};
use crate::normalize::{self, Line, LineKind, Structure};
use crate::pattern::{RuleSet, Scope};

/// Bytes read at a time; also the longest line segment handled as one line.
pub const BLOCK: usize = 1 << 20;
/// Hits kept per signal per job (the count goes on).
const HITS_KEPT: usize = 8;
/// Error-looking lines kept per job for the "no known cause" report.
const CONTEXT_KEPT: usize = 64;
/// Longest excerpt of a line kept as evidence.
pub const EXCERPT_MAX: usize = 400;

/// Literals of lines worth showing when no rule explains a failure.
const CONTEXT_LITERALS: &[&str] = &[
    "##[error]",
    "npm ERR!",
    "npm error",
    "Error:",
    "ERROR",
    "error TS",
    "error:",
    "ERR_PNPM",
    "➤ YN",
    "lerna ERR!",
    "FAIL ",
    "✘",
    "✕",
    "[semantic-release]",
];

/// Why a source could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("it holds binary data (NUL bytes near the start), not a text log")]
    Binary,
}

/// One line a signal matched.
#[derive(Clone, Debug)]
pub struct Hit {
    pub line: u64,
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

/// An error-looking output line, kept for the report when no rule matches.
#[derive(Clone, Debug)]
pub struct ContextLine {
    pub line: u64,
    pub step: usize,
    pub text: String,
}

/// What one job's log yielded.
#[derive(Debug)]
pub struct JobScan {
    pub name: String,
    pub origin: String,
    pub facts: Facts,
    /// Indexed like [`Matcher::signals`].
    pub hits: Vec<SignalHits>,
    pub context: Vec<ContextLine>,
}

impl JobScan {
    /// The hits of rule `rule`'s signal `local` (its index in the rule).
    pub fn hits_of(&self, matcher: &Matcher, rule: usize, local: usize) -> &SignalHits {
        &self.hits[matcher.rule_signals[rule][local] as usize]
    }
}

struct UniqueSignal {
    regex: Regex,
    scope: Scope,
}

/// The compiled prefilter and regexes of a rule set.
pub struct Matcher {
    ac: AhoCorasick,
    /// For each literal of `ac`: the unique signals it stands for.
    literal_signals: Vec<Vec<u32>>,
    literal_is_context: Vec<bool>,
    signals: Vec<UniqueSignal>,
    /// For each rule (in rule-set order), its signals' indexes into `signals`.
    pub rule_signals: Vec<Vec<u32>>,
}

impl Matcher {
    pub fn new(rules: &RuleSet) -> Matcher {
        let mut literals: Vec<String> = Vec::new();
        let mut literal_signals: Vec<Vec<u32>> = Vec::new();
        let mut literal_is_context: Vec<bool> = Vec::new();
        let mut signals: Vec<UniqueSignal> = Vec::new();
        let mut keys: Vec<(String, String, Scope)> = Vec::new();
        let mut rule_signals = Vec::new();
        let literal_index =
            |lit: &str, literals: &mut Vec<String>, ls: &mut Vec<Vec<u32>>, lc: &mut Vec<bool>| -> usize {
                match literals.iter().position(|l| l == lit) {
                    Some(i) => i,
                    None => {
                        literals.push(lit.to_string());
                        ls.push(Vec::new());
                        lc.push(false);
                        literals.len() - 1
                    }
                }
            };
        for rule in &rules.rules {
            let mut mine = Vec::new();
            for s in &rule.signals {
                let key = (s.literal.clone(), s.regex.as_str().to_string(), s.scope);
                let id = match keys.iter().position(|k| *k == key) {
                    Some(i) => i,
                    None => {
                        keys.push(key);
                        signals.push(UniqueSignal { regex: s.regex.clone(), scope: s.scope });
                        let id = signals.len() - 1;
                        let li =
                            literal_index(&s.literal, &mut literals, &mut literal_signals, &mut literal_is_context);
                        literal_signals[li].push(id as u32);
                        id
                    }
                };
                mine.push(id as u32);
            }
            rule_signals.push(mine);
        }
        for lit in FACT_LITERALS {
            literal_index(lit, &mut literals, &mut literal_signals, &mut literal_is_context);
        }
        for lit in CONTEXT_LITERALS {
            let i = literal_index(lit, &mut literals, &mut literal_signals, &mut literal_is_context);
            literal_is_context[i] = true;
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals)
            .or_else(|_| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&literals))
            .expect("literals are plain strings, which always build");
        Matcher { ac, literal_signals, literal_is_context, signals, rule_signals }
    }

    /// Number of distinct signals after de-duplication across rules.
    pub fn signal_count(&self) -> usize {
        self.signals.len()
    }

    /// A scanner for one job (or one stream that may hold several jobs, such as
    /// `gh run view --log` output).
    pub fn job(&self, name: Option<String>, origin: String) -> JobScanner<'_> {
        JobScanner {
            m: self,
            origin,
            current: JobState::new(self, name),
            done: Vec::new(),
            buf: Vec::new(),
            norm: Vec::with_capacity(4096),
            stamp: vec![0; self.signals.len()],
            generation: 0,
            candidates: Vec::new(),
        }
    }
}

struct JobState {
    name: Option<String>,
    gh_job: Option<Vec<u8>>,
    facts: FactsBuilder,
    structure: Structure,
    hits: Vec<SignalHits>,
    context: VecDeque<ContextLine>,
    lines: u64,
    saw_timestamp: bool,
    seen_any: bool,
}

impl JobState {
    fn new(m: &Matcher, name: Option<String>) -> JobState {
        JobState {
            name,
            gh_job: None,
            facts: FactsBuilder::new(),
            structure: Structure::default(),
            hits: vec![SignalHits::default(); m.signals.len()],
            context: VecDeque::new(),
            lines: 0,
            saw_timestamp: false,
            seen_any: false,
        }
    }

    fn finish(self, origin: &str) -> JobScan {
        let facts = self.facts.finish(self.lines);
        JobScan {
            name: self.name.unwrap_or_else(|| "log".to_string()),
            origin: origin.to_string(),
            facts,
            hits: self.hits,
            context: self.context.into(),
        }
    }
}

/// Scans the segments of a job, in order. See [`Matcher::job`].
pub struct JobScanner<'m> {
    m: &'m Matcher,
    origin: String,
    current: JobState,
    done: Vec<JobScan>,
    buf: Vec<u8>,
    norm: Vec<u8>,
    stamp: Vec<u32>,
    generation: u32,
    candidates: Vec<u32>,
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn excerpt(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl JobScanner<'_> {
    /// Reads one segment to its end. `step` names the step when the source knows it
    /// (a zip's step file); line numbers restart with each segment.
    pub fn feed(&mut self, step: Option<&str>, reader: &mut dyn Read) -> Result<(), ScanError> {
        if let Some(step) = step {
            self.current.facts.start_named_step(step, 1);
        }
        if self.buf.len() != BLOCK {
            self.buf = vec![0; BLOCK];
        }
        let mut buf = std::mem::take(&mut self.buf);
        let mut line_no = 0u64;
        let mut len = 0usize;
        let mut eof = false;
        let mut first = true;
        let result = loop {
            while len < BLOCK && !eof {
                match reader.read(&mut buf[len..]) {
                    Ok(0) => eof = true,
                    Ok(n) => len += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.buf = buf;
                        return Err(e.into());
                    }
                }
            }
            if first {
                first = false;
                if memchr::memchr(0, &buf[..len.min(8192)]).is_some() {
                    break Err(ScanError::Binary);
                }
            }
            if len == 0 {
                break Ok(());
            }
            let end = if eof { len } else { memchr::memrchr(b'\n', &buf[..len]).map_or(len, |i| i + 1) };
            line_no = self.scan_block(&buf[..end], line_no);
            buf.copy_within(end..len, 0);
            len -= end;
            if eof && len == 0 {
                break Ok(());
            }
        };
        self.current.lines += line_no;
        self.buf = buf;
        result
    }

    /// Scans whole lines in `block`; returns the newline count after it.
    fn scan_block(&mut self, block: &[u8], mut line_no: u64) -> u64 {
        let mut pos = 0usize;
        let mut counted = 0usize;
        while pos < block.len() {
            let Some(m) = self.m.ac.find(Input::new(block).span(pos..block.len())) else {
                break;
            };
            let start = memchr::memrchr(b'\n', &block[pos..m.start()]).map_or(pos, |i| pos + i + 1);
            let end = memchr::memchr(b'\n', &block[m.end()..]).map_or(block.len(), |i| m.end() + i);
            line_no += memchr::memchr_iter(b'\n', &block[counted..start]).count() as u64;
            counted = start;
            self.line(&block[start..end], line_no + 1);
            pos = end + 1;
        }
        line_no + memchr::memchr_iter(b'\n', &block[counted..]).count() as u64
    }

    /// The full treatment for one candidate line.
    fn line(&mut self, raw: &[u8], number: u64) {
        let prefix = normalize::normalize_into(raw, &mut self.norm);
        if let Some(r) = &prefix.job {
            let job = &raw[r.clone()];
            if self.current.gh_job.as_deref() != Some(job) {
                let name = String::from_utf8_lossy(job).into_owned();
                if self.current.gh_job.is_some() || self.current.seen_any {
                    let next = JobState::new(self.m, Some(name));
                    let prev = std::mem::replace(&mut self.current, next);
                    self.done.push(prev.finish(&self.origin));
                } else if self.current.name.is_none() {
                    self.current.name = Some(name);
                }
                self.current.gh_job = Some(job.to_vec());
            }
        }
        let state = &mut self.current;
        state.seen_any = true;
        if !state.saw_timestamp {
            if let Some(r) = &prefix.timestamp {
                state.saw_timestamp = true;
                state.facts.saw_timestamp(&String::from_utf8_lossy(&raw[r.clone()]));
            }
        }
        let text = normalize::text(&self.norm);
        let kind = state.structure.classify(&text, prefix.script_echo);
        state.facts.line(&Line { number, text: &text, kind });
        let step = state.facts.current_step();

        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        self.candidates.clear();
        let mut context = false;
        for m in self.m.ac.find_overlapping_iter(text.as_bytes()) {
            let lit = m.pattern().as_usize();
            context |= self.m.literal_is_context[lit];
            for &sig in &self.m.literal_signals[lit] {
                if self.stamp[sig as usize] != self.generation {
                    self.stamp[sig as usize] = self.generation;
                    self.candidates.push(sig);
                }
            }
        }
        let is_output = kind == LineKind::Output;
        for &sig in &self.candidates {
            let signal = &self.m.signals[sig as usize];
            let in_scope = match signal.scope {
                Scope::Output => is_output,
                Scope::Echo => !is_output && kind != LineKind::StepStart,
                Scope::Any => true,
            };
            if !in_scope {
                continue;
            }
            let Some(caps) = signal.regex.captures(text.as_bytes()) else {
                continue;
            };
            let hits = &mut state.hits[sig as usize];
            hits.count += 1;
            if hits.kept.len() < HITS_KEPT {
                let captures = signal
                    .regex
                    .capture_names()
                    .enumerate()
                    .filter_map(|(i, name)| {
                        let name = name?;
                        let value = caps.get(i)?;
                        Some((name.to_string(), String::from_utf8_lossy(value.as_bytes()).trim().to_string()))
                    })
                    .collect();
                hits.kept.push(Hit { line: number, step, text: excerpt(text.trim_end(), EXCERPT_MAX), captures });
            }
        }
        if context && is_output && !text.starts_with("##[error]Process completed with exit code") {
            if state.context.len() == CONTEXT_KEPT {
                state.context.pop_front();
            }
            state.context.push_back(ContextLine { line: number, step, text: excerpt(text.trim(), EXCERPT_MAX) });
        }
    }

    /// The jobs scanned (more than one when the stream carried several jobs).
    pub fn finish(mut self) -> Vec<JobScan> {
        let last = std::mem::replace(&mut self.current, JobState::new(self.m, None));
        self.done.push(last.finish(&self.origin));
        self.done
    }

    /// Names a segment's step for attribution without reading it (used by sources
    /// that know step names).
    pub fn step_name(&self, index: usize) -> &str {
        self.current.facts.step_name(index)
    }
}
