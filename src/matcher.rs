//! One pass over a job's bytes: a literal prefilter (Aho-Corasick over every rule
//! literal and every structure literal) finds the few lines worth reading; only those
//! are normalised, classified, fed to facts, and confirmed with their candidate
//! signals' regexes. Lines without a literal cost a newline count.
//!
//! Memory stays flat: input is read in fixed blocks, a line longer than a block is
//! read as several segments with one line number, and each signal keeps its first
//! few hits and a count.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read};

use aho_corasick::automaton::Automaton;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, MatchKind, StartKind};

use crate::anatomy::{self, Anatomy, Level, Speaker};
use crate::facts::{FACT_LITERALS, Facts, FactsBuilder};
use crate::normalize::{self, Line, LineKind, Prefix, Structure};
use crate::pattern::{RuleSet, Scope, SignalRegex};

/// Most physical lines joined into one logical line, before and after the
/// candidate, and the longest logical line built.
const JOIN_BACK: usize = 4;
const JOIN_AHEAD: usize = 8;
const JOIN_BYTES: usize = 4096;

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

/// What makes two rules' signals the same signal: literal, regex, scope, speakers,
/// levels, quoted.
type SignalKey = (String, String, Scope, Vec<Speaker>, Vec<Level>, bool);

struct UniqueSignal {
    regex: SignalRegex,
    scope: Scope,
    speakers: Vec<Speaker>,
    levels: Vec<Level>,
    quoted: bool,
}

impl UniqueSignal {
    /// Whether a line of this anatomy may be evidence for the signal.
    fn admits(&self, a: &Anatomy<'_>) -> bool {
        (self.speakers.is_empty() || self.speakers.contains(&a.speaker))
            && (self.levels.is_empty() || a.level.is_some_and(|l| self.levels.contains(&l)))
            && (self.quoted || !a.quoted)
    }
}

/// The compiled prefilter and regexes of a rule set.
pub struct Matcher {
    /// The block prefilter: every literal, searched over whole blocks.
    prefilter: LineFilter,
    /// The same literals, for the overlapping search within a candidate line.
    ac: AhoCorasick,
    /// For each literal of `ac`: the unique signals it stands for.
    literal_signals: Vec<Vec<u32>>,
    literal_is_context: Vec<bool>,
    /// The literal is one of [`FACT_LITERALS`]: facts read the lines it is in.
    literal_is_fact: Vec<bool>,
    signals: Vec<UniqueSignal>,
    /// For each rule (in rule-set order), its signals' indexes into `signals`.
    pub rule_signals: Vec<Vec<u32>>,
    /// Feed every line to the facts and signals, not only prefiltered ones. Slow;
    /// tests use it to prove the prefilter hides nothing the facts need.
    pub every_line: bool,
}

impl Matcher {
    pub fn new(rules: &RuleSet) -> Matcher {
        let mut literals: Vec<String> = Vec::new();
        let mut literal_signals: Vec<Vec<u32>> = Vec::new();
        let mut literal_is_context: Vec<bool> = Vec::new();
        let mut signals: Vec<UniqueSignal> = Vec::new();
        // Hash look-ups keep building linear in the number of signals.
        let mut keys: HashMap<SignalKey, usize> = HashMap::new();
        let mut literal_at: HashMap<String, usize> = HashMap::new();
        let mut rule_signals = Vec::new();
        let mut literal_index = |lit: &str, literals: &mut Vec<String>, ls: &mut Vec<Vec<u32>>, lc: &mut Vec<bool>| {
            *literal_at.entry(lit.to_string()).or_insert_with(|| {
                literals.push(lit.to_string());
                ls.push(Vec::new());
                lc.push(false);
                literals.len() - 1
            })
        };
        for rule in &rules.rules {
            let mut mine = Vec::new();
            for s in &rule.signals {
                let key = (
                    s.literal.clone(),
                    s.regex.as_str().to_string(),
                    s.scope,
                    s.speakers.clone(),
                    s.levels.clone(),
                    s.quoted,
                );
                let id = match keys.get(&key) {
                    Some(&i) => i,
                    None => {
                        keys.insert(key, signals.len());
                        signals.push(UniqueSignal {
                            regex: s.regex.clone(),
                            scope: s.scope,
                            speakers: s.speakers.clone(),
                            levels: s.levels.clone(),
                            quoted: s.quoted,
                        });
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
        let mut fact_literals = Vec::new();
        // The facts' own literals, and every tool's words for a refused publish.
        let refusals = crate::facts::REFUSALS.iter().flat_map(|(_, words)| words.iter());
        for lit in FACT_LITERALS.iter().chain(refusals).chain(crate::facts::RELEASE_WORDS) {
            fact_literals.push(literal_index(lit, &mut literals, &mut literal_signals, &mut literal_is_context));
        }
        for lit in CONTEXT_LITERALS {
            let i = literal_index(lit, &mut literals, &mut literal_signals, &mut literal_is_context);
            literal_is_context[i] = true;
        }
        // It reads only candidate lines (about 1% of a log), but over a GiB those
        // are still some 13 MB, where an NFA's failure transitions cost a tenth of
        // the scan: a DFA takes a few milliseconds more to build and reads them at
        // a look-up per byte.
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals)
            .or_else(|_| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&literals))
            .expect("literals are plain strings, which always build");
        // The block prefilter looks for what of each literal a wrap leaves whole;
        // the whole literal is then looked for in the joined logical line.
        let keys: Vec<&str> = literals.iter().flat_map(|l| crate::pattern::literal::wrap_keys(l)).collect();
        let prefilter = LineFilter::new(&keys);
        let mut literal_is_fact = vec![false; literals.len()];
        fact_literals.into_iter().for_each(|i| literal_is_fact[i] = true);
        Matcher {
            prefilter,
            ac,
            literal_signals,
            literal_is_context,
            literal_is_fact,
            signals,
            rule_signals,
            every_line: false,
        }
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
            lossy: String::new(),
            stamp: vec![0; self.signals.len()],
            generation: 0,
            candidates: Vec::new(),
            lines: Default::default(),
        }
    }
}

struct JobState {
    name: Option<String>,
    gh_job: Option<Vec<u8>>,
    /// The step column of `gh run view --log` lines: it names the step.
    gh_step: Option<Vec<u8>>,
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
            gh_step: None,
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
    /// The cleaned line when it is not valid UTF-8 (reused).
    lossy: String,
    stamp: Vec<u32>,
    generation: u32,
    candidates: Vec<u32>,
    /// Candidate lines of the current block, per lane, reused from block to block.
    lines: [Vec<(usize, usize)>; LANES],
}

/// The line before the one starting at `pos`, when it starts at or after `floor`.
fn previous_line(block: &[u8], pos: usize, floor: usize) -> Option<(usize, usize)> {
    if pos == 0 || pos <= floor {
        return None;
    }
    let end = pos - 1;
    let start = memchr::memrchr(b'\n', &block[..end]).map_or(0, |i| i + 1);
    (start >= floor).then_some((start, end))
}

/// A neighbour of a candidate line, normalised into a fresh buffer.
fn clean(raw: &[u8]) -> (String, Prefix) {
    let mut out = Vec::new();
    let prefix = normalize::normalize_into(raw, &mut out);
    (normalize::text(&out).into_owned(), prefix)
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
        let mut lines = std::mem::take(&mut self.lines);
        self.m.prefilter.candidate_lines(block, &mut lines);
        let mut counted = 0usize;
        // Where the next line not yet fed starts: a line the facts asked for (the
        // output after a `npm --version` echo) is fed even without a literal, and
        // a line is never fed twice (a candidate joined into the logical line
        // before it is done).
        let mut next = 0usize;
        let mut candidates = lines.iter().flatten();
        loop {
            let (start, end) = if (self.m.every_line || self.current.facts.wants_next_line()) && next < block.len() {
                (next, memchr::memchr(b'\n', &block[next..]).map_or(block.len(), |i| next + i))
            } else {
                match candidates.next() {
                    Some(&(s, _)) if s < next => continue,
                    Some(&range) => range,
                    None => break,
                }
            };
            line_no += memchr::memchr_iter(b'\n', &block[counted..start]).count() as u64;
            counted = start;
            let last = self.line(block, (start, end), next, line_no + 1);
            next = last + 1;
        }
        self.lines = lines;
        line_no + memchr::memchr_iter(b'\n', &block[counted..]).count() as u64
    }

    /// The full treatment for one candidate line of `block` (its byte range
    /// `at`, numbered `number`), joined with the lines it continues and those that
    /// continue it (none before `floor`, the first byte not yet fed). Returns where
    /// the last line it read ends.
    fn line(&mut self, block: &[u8], at: (usize, usize), floor: usize, number: u64) -> usize {
        let raw = &block[at.0..at.1];
        let prefix = normalize::normalize_into(raw, &mut self.norm);
        let mut text = normalize::text_in(&self.norm, &mut self.lossy).to_string();
        let mut stamped = prefix.timestamp.is_some();
        let mut columns = (
            prefix.job.clone().map(|r| raw[r].to_vec()),
            prefix.step.clone().map(|r| raw[r].to_vec()),
            prefix.timestamp.clone().map(|r| raw[r].to_vec()),
        );
        // A line cut right after its timestamp, or after a tool's bare prefix (a
        // wrapped paste of `gh run view` output): this indented line carries on
        // the stamped line, in its job and step.
        if !stamped && text.starts_with(' ') {
            if let Some(prev) = previous_line(block, at.0, 0) {
                let praw = &block[prev.0..prev.1];
                let (ptext, pprefix) = clean(praw);
                let stub = ptext.trim();
                if pprefix.timestamp.is_some() && (stub.is_empty() || anatomy::anatomy(stub).message.is_empty()) {
                    text = if stub.is_empty() {
                        text.trim_start().to_string()
                    } else {
                        format!("{stub} {}", text.trim_start())
                    };
                    stamped = true;
                    columns = (
                        pprefix.job.map(|r| praw[r].to_vec()),
                        pprefix.step.map(|r| praw[r].to_vec()),
                        pprefix.timestamp.map(|r| praw[r].to_vec()),
                    );
                }
            }
        }
        if let Some(job) = &columns.0 {
            if self.current.gh_job.as_ref() != Some(job) {
                let name = String::from_utf8_lossy(job).into_owned();
                if self.current.gh_job.is_some() || self.current.seen_any {
                    let next = JobState::new(self.m, Some(name));
                    let prev = std::mem::replace(&mut self.current, next);
                    self.done.push(prev.finish(&self.origin));
                } else {
                    // The first job column names the job, not the file it came in.
                    self.current.name = Some(name);
                }
                self.current.gh_job = Some(job.clone());
            }
        }
        let state = &mut self.current;
        if let Some(step) = &columns.1 {
            if state.gh_step.as_ref() != Some(step) {
                state.facts.start_named_step(&String::from_utf8_lossy(step), number);
                state.gh_step = Some(step.clone());
            }
        }
        state.seen_any = true;
        if !state.saw_timestamp {
            if let Some(stamp) = &columns.2 {
                state.saw_timestamp = true;
                state.facts.saw_timestamp(&String::from_utf8_lossy(stamp));
            }
        }
        let kind = state.structure.classify(&text, prefix.script_echo, stamped);
        let is_output = kind == LineKind::Output;

        // The logical line: the lines this one continues, itself, and the lines
        // that continue it (output only: echoes are whole lines).
        let mut lines: Vec<(String, bool)> = vec![(text, stamped)];
        let mut head_number = number;
        let mut last = at.1;
        let mut last_number = number;
        // Anatomies are taken once per text: the candidate's, and the head's when a
        // back-walk found an earlier one.
        let cur_text = lines[0].0.clone();
        let head_text: String;
        let mut head_out: Option<Anatomy<'_>> = None;
        if is_output {
            let cur = anatomy::anatomy(&cur_text);
            let mut chosen = 0;
            // Back, only for a line that can continue another (no tool prefix of its
            // own, or npm's repeated status title): the farthest earlier line with a
            // tool's prefix whose logical line reaches this one.
            // A runner-stamped line continues another only when indented, or as
            // npm's repeated status title; a pasted one may be any wrap's rest.
            let may_continue = !cur.prefixed && (!lines[0].1 || cur.indent >= 2) || cur.status_title.is_some();
            if may_continue {
                let mut before: Vec<(String, bool)> = Vec::new();
                let mut pos = at.0;
                for _ in 0..JOIN_BACK {
                    let Some(prev) = previous_line(block, pos, floor) else { break };
                    let praw = &block[prev.0..prev.1];
                    let (ptext, pprefix) = clean(praw);
                    let columns = |p: &Prefix, r: &[u8]| {
                        (p.job.clone().map(|x| r[x].to_vec()), p.step.clone().map(|x| r[x].to_vec()))
                    };
                    if columns(&pprefix, praw) != columns(&prefix, raw) {
                        break;
                    }
                    before.insert(0, (ptext, pprefix.timestamp.is_some()));
                    pos = prev.0;
                }
                // Each earlier line in turn as the head: the farthest whose logical
                // line reaches this one (anatomies computed once).
                let chain: Vec<&(String, bool)> = before.iter().chain(&lines).collect();
                let all: Vec<Anatomy<'_>> = chain.iter().map(|(t, _)| anatomy::anatomy(t)).collect();
                let n = before.len();
                for k in 1..=n {
                    let h = n - k;
                    let reaches = (h + 1..all.len())
                        .all(|i| anatomy::continues(&all[h], &all[i - 1], &all[i], chain[i].1).is_some());
                    if reaches {
                        chosen = k;
                    }
                }
                drop(all);
                if chosen > 0 {
                    let mut head = before.split_off(n - chosen);
                    head.append(&mut lines);
                    lines = head;
                    head_number -= chosen as u64;
                }
            }
            // Ahead: the lines that continue it.
            let head = if chosen > 0 {
                head_text = lines[0].0.clone();
                anatomy::anatomy(&head_text)
            } else {
                cur
            };
            {
                let mut pos = at.1;
                let mut bytes: usize = lines.iter().map(|(t, _)| t.len()).sum();
                for _ in 0..JOIN_AHEAD {
                    if pos >= block.len() || bytes > JOIN_BYTES {
                        break;
                    }
                    let start = pos + 1;
                    let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
                    // Most next lines are a runner line flush left: whole, unless
                    // npm repeats its status title there.
                    let next = &block[start..end];
                    if let Some(n) = normalize::timestamp_len(next) {
                        let flush = next.get(n + 1).is_some_and(|c| *c != b' ');
                        if flush && head.status_title.is_none() {
                            break;
                        }
                    }
                    let (ntext, nprefix) = clean(next);
                    if nprefix.job.is_some() != prefix.job.is_some() {
                        break;
                    }
                    let stamped = nprefix.timestamp.is_some();
                    let prev = (lines.len() > 1).then(|| anatomy::anatomy(&lines[lines.len() - 1].0));
                    let na = anatomy::anatomy(&ntext);
                    if anatomy::continues(&head, prev.as_ref().unwrap_or(&head), &na, stamped).is_none() {
                        break;
                    }
                    bytes += ntext.len();
                    lines.push((ntext, stamped));
                    pos = end;
                    last = end;
                    last_number += 1;
                }
            }
            head_out = Some(head);
        }
        // The logical line's text (for evidence and facts) and message (for rules).
        let anatomies: Vec<Anatomy<'_>> = match head_out {
            Some(head) if lines.len() == 1 => vec![head],
            _ => lines.iter().map(|(t, _)| anatomy::anatomy(t)).collect(),
        };
        let head_anatomy = &anatomies[0];
        let mut full = lines[0].0.clone();
        let mut message = if is_output { head_anatomy.message.to_string() } else { lines[0].0.clone() };
        for i in 1..lines.len() {
            let piece = anatomy::continues(head_anatomy, &anatomies[i - 1], &anatomies[i], lines[i].1)
                .unwrap_or(lines[i].0.trim());
            for out in [&mut full, &mut message] {
                if !out.is_empty() && !piece.is_empty() {
                    out.push(' ');
                }
                out.push_str(piece);
            }
        }

        // Which literals the logical line holds: its candidate signals, and
        // whether facts or the "no known cause" context want it.
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        self.candidates.clear();
        let mut context = false;
        let mut fact = false;
        // The literals are in the line's text, or (a join, a pnpm or yarn code set
        // before the words) in its message.
        let both = [full.as_str(), message.as_str()];
        let hays = if lines.len() == 1 && full.contains(message.as_str()) { &both[..1] } else { &both[..] };
        for hay in hays {
            for m in self.m.ac.find_overlapping_iter(hay.as_bytes()) {
                let lit = m.pattern().as_usize();
                context |= self.m.literal_is_context[lit];
                fact |= self.m.literal_is_fact[lit];
                for &sig in &self.m.literal_signals[lit] {
                    if self.stamp[sig as usize] != self.generation {
                        self.stamp[sig as usize] = self.generation;
                        self.candidates.push(sig);
                    }
                }
            }
        }
        let state = &mut self.current;
        let line = Line {
            number: head_number,
            text: &full,
            kind,
            message: &message,
            speaker: if is_output { head_anatomy.speaker } else { Speaker::Unknown },
            level: if is_output { head_anatomy.level } else { None },
            quoted: is_output && head_anatomy.quoted,
            container: is_output && head_anatomy.container,
        };
        // Facts read only the lines of their own literals (FACT_LITERALS says
        // so); a line that is here for a rule's literal alone costs them nothing.
        if fact || self.m.every_line || state.facts.wants_next_line() {
            state.facts.line(&line);
        }
        let step = state.facts.current_step();
        for &sig in &self.candidates {
            let signal = &self.m.signals[sig as usize];
            let in_scope = match signal.scope {
                Scope::Output => is_output && signal.admits(head_anatomy),
                Scope::Echo => !is_output && kind != LineKind::StepStart,
                Scope::Any => !is_output || signal.admits(head_anatomy),
            };
            if !in_scope {
                continue;
            }
            let regex = signal.regex.get();
            // The joined message, else the first line's own: a join never hides
            // what the line said alone (a wrong join of two plain lines).
            let found = regex.captures(message.as_bytes()).or_else(|| {
                if lines.len() == 1 || head_anatomy.quoted {
                    return None;
                }
                let alone = anatomies.iter().filter(|a| !a.quoted && (signal.scope == Scope::Echo || signal.admits(a)));
                alone.map(|a| a.message.as_ref()).find_map(|m| regex.captures(m.as_bytes()))
            });
            let Some(caps) = found else {
                continue;
            };
            let hits = &mut state.hits[sig as usize];
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
                    line: head_number,
                    last_line: last_number,
                    step,
                    text: excerpt(full.trim_end(), EXCERPT_MAX),
                    captures,
                });
            }
        }
        if context && is_output && !line.quoted && !message.starts_with("Process completed with exit code") {
            // Once the window is full, the oldest entry's buffer is reused.
            let mut slot = match state.context.len() {
                CONTEXT_KEPT => state.context.pop_front().expect("the window is full"),
                _ => ContextLine { line: 0, step: 0, text: String::new() },
            };
            slot.line = head_number;
            slot.step = step;
            excerpt_into(full.trim(), EXCERPT_MAX, &mut slot.text);
            state.context.push_back(slot);
        }
        last
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

/// Independent DFA walks interleaved by [`LineFilter::candidate_lines`].
const LANES: usize = 4;

/// Set in a transition whose target state ends a literal.
const MATCH: u32 = 1 << 31;

/// The block prefilter: an Aho-Corasick DFA over every literal, flattened into
/// one table so that a step costs a class look-up, an add and a load.
///
/// States are numbered `0, stride, 2 * stride, ...` (premultiplied), so the next
/// state is `trans[state + class[byte]]`; [`MATCH`] marks the entries that enter
/// a state where a literal ends, so four walks test for a match with one `or`.
/// Bytes that occur in no literal share class 0 (they lead every state back to
/// the start).
pub struct LineFilter {
    class: [u8; 256],
    trans: Vec<u32>,
    start: u32,
}

impl LineFilter {
    /// Builds the filter. No literals: it finds nothing. An empty literal (or a
    /// set too large to tabulate): every non-empty line is a candidate.
    pub fn new<S: AsRef<[u8]>>(literals: &[S]) -> LineFilter {
        // Class 0: the bytes of no literal. `reps[c]` is a byte of class `c`.
        let mut used = [false; 256];
        literals.iter().flat_map(|l| l.as_ref()).for_each(|&b| used[usize::from(b)] = true);
        let mut class = [0u8; 256];
        let mut reps = Vec::with_capacity(256);
        if used.iter().all(|u| *u) {
            class = std::array::from_fn(|b| b as u8);
            reps.extend(0..=255u8);
        } else {
            reps.push((0..=255u8).find(|b| !used[usize::from(*b)]).unwrap_or(0));
            for b in 0..=255u8 {
                if used[usize::from(b)] {
                    class[usize::from(b)] = reps.len() as u8;
                    reps.push(b);
                }
            }
        }
        let stride = reps.len().next_power_of_two();
        let nothing = LineFilter { class, trans: vec![0; stride], start: 0 };
        let everything = LineFilter { class, trans: vec![MATCH; stride], start: 0 };
        if literals.is_empty() {
            return nothing;
        }
        if literals.iter().any(|l| l.as_ref().is_empty()) {
            return everything;
        }
        let built = aho_corasick::dfa::Builder::new()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(literals);
        let Some((dfa, start)) = built.ok().and_then(|d| d.start_state(Anchored::No).ok().map(|s| (d, s))) else {
            return everything;
        };
        // Number the DFA's states in the order a walk from the start reaches them;
        // `ids` maps a DFA state id to that number (u32::MAX: not reached yet).
        let mut ids = vec![u32::MAX; start.as_usize() + 1];
        let mut order = vec![start];
        ids[start.as_usize()] = 0;
        let mut trans = Vec::new();
        let mut next = 0;
        while next < order.len() {
            if (order.len() + 1) * stride >= MATCH as usize {
                return everything;
            }
            let sid = order[next];
            next += 1;
            let row = trans.len();
            trans.resize(row + stride, 0);
            for (c, &b) in reps.iter().enumerate() {
                let to = dfa.next_state(Anchored::No, sid, b);
                if to.as_usize() >= ids.len() {
                    ids.resize(to.as_usize() + 1, u32::MAX);
                }
                if ids[to.as_usize()] == u32::MAX {
                    ids[to.as_usize()] = order.len() as u32;
                    order.push(to);
                }
                let id = ids[to.as_usize()];
                let flag = if dfa.is_match(to) { MATCH } else { 0 };
                trans[row + c] = (id * stride as u32) | flag;
            }
        }
        LineFilter { class, trans, start: 0 }
    }

    /// Finds the lines of `block` that hold at least one literal, as `(start, end)`
    /// byte ranges without the newline, in order when `found`'s lists are read one
    /// after the other.
    ///
    /// A DFA walk is bound by the latency of its table look-ups: each step needs
    /// the state the previous one produced. The block is therefore cut at line
    /// starts into [`LANES`] stretches walked in lock step, so the look-ups of
    /// different stretches overlap. A literal never holds a newline, so a stretch
    /// that starts at a line start can start in the start state, and after a
    /// candidate line the walk restarts at the next line. No allocation once
    /// `found` has grown.
    pub fn candidate_lines(&self, block: &[u8], found: &mut [Vec<(usize, usize)>; LANES]) {
        found.iter_mut().for_each(Vec::clear);
        let (class, trans, start) = (&self.class, &self.trans[..], self.start);
        let step = |s: u32, b: u8| trans[(s + u32::from(class[usize::from(b)])) as usize];
        let n = block.len();
        // Stretch k is lo[k]..hi[k]; each begins at a line start.
        let mut lo = [0usize; LANES];
        let mut hi = [n; LANES];
        for k in 1..LANES {
            let at = (k * n / LANES).max(lo[k - 1]);
            lo[k] = memchr::memchr(b'\n', &block[at..]).map_or(n, |i| at + i + 1);
            hi[k - 1] = lo[k];
        }
        let mut state = [start; LANES];
        // Lock step while every stretch has bytes left.
        loop {
            let steps = (0..LANES).map(|k| hi[k] - lo[k]).min().unwrap_or(0);
            if steps == 0 {
                break;
            }
            let lanes: [&[u8]; LANES] = std::array::from_fn(|k| &block[lo[k]..lo[k] + steps]);
            let mut s = state;
            let mut i = 0;
            while i < steps {
                let mut any = 0;
                for k in 0..LANES {
                    s[k] = step(s[k], lanes[k][i]);
                    any |= s[k];
                }
                i += 1;
                if any & MATCH != 0 {
                    break;
                }
            }
            state = s;
            for k in 0..LANES {
                lo[k] += i;
                if state[k] & MATCH != 0 {
                    lo[k] = take_line(block, lo[k] - 1, &mut found[k]).min(hi[k]);
                    state[k] = start;
                }
            }
        }
        // Whatever is left of each stretch, one at a time.
        for k in 0..LANES {
            let mut s = state[k];
            let mut p = lo[k];
            while p < hi[k] {
                s = step(s, block[p]);
                if s & MATCH != 0 {
                    p = take_line(block, p, &mut found[k]).min(hi[k]);
                    s = start;
                } else {
                    p += 1;
                }
            }
        }
    }
}

/// Records the line holding byte `at`; returns where the next line starts.
/// A package name as a registry URL writes it (`@scope%2fname`, `%40scope%2Fname`)
/// to the name people type (`@scope/name`).
pub fn package_name(captured: &str) -> String {
    captured.replace("%2f", "/").replace("%2F", "/").replace("%40", "@")
}

fn take_line(block: &[u8], at: usize, out: &mut Vec<(usize, usize)>) -> usize {
    let start = memchr::memrchr(b'\n', &block[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |i| at + i);
    out.push((start, end));
    end + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn package_names_are_shown_as_typed() {
        assert_eq!(package_name("@tinmouth%2frill-forms"), "@tinmouth/rill-forms");
        assert_eq!(package_name("%40a%2Fb"), "@a/b");
        assert_eq!(package_name("left-pad"), "left-pad");
    }

    /// The lines (start, end) of `block` that contain any literal, the slow way.
    fn naive(literals: &[Vec<u8>], block: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        for line in block.split(|b| *b == b'\n') {
            let end = start + line.len();
            let hit = literals.iter().any(|l| l.is_empty() || line.windows(l.len()).any(|w| w == l.as_slice()));
            if hit && (!line.is_empty() || literals.iter().all(|l| !l.is_empty())) {
                out.push((start, end));
            }
            start = end + 1;
        }
        out
    }

    fn filter_lines(literals: &[Vec<u8>], block: &[u8]) -> Vec<(usize, usize)> {
        let f = LineFilter::new(literals);
        let mut found: [Vec<(usize, usize)>; LANES] = Default::default();
        f.candidate_lines(block, &mut found);
        found.iter().flatten().copied().collect()
    }

    #[test]
    fn finds_lines_with_a_literal_in_every_lane_and_the_last_line() {
        let lits = vec![b"npm error".to_vec(), b"##[".to_vec(), b"publish".to_vec()];
        let mut block = Vec::new();
        for i in 0..200 {
            match i % 7 {
                0 => block.extend_from_slice(b"2025-01-01T00:00:00.0000000Z npm error code E404\n"),
                3 => block.extend_from_slice(b"##[group]Run npm publish\n"),
                _ => block.extend_from_slice(b"nothing to see here, npm erro r\n"),
            }
        }
        block.extend_from_slice(b"last line has publish");
        let want = naive(&lits, &block);
        assert_eq!(filter_lines(&lits, &block), want);
        assert_eq!(want.last(), Some(&(block.len() - 21, block.len())));
    }

    #[test]
    fn no_literals_find_nothing_and_an_empty_literal_finds_every_line() {
        assert!(filter_lines(&[], b"a\nb\n").is_empty());
        assert_eq!(filter_lines(&[Vec::new()], b"a\nbc\n"), [(0, 1), (2, 4)]);
    }

    #[test]
    fn literals_with_every_byte_value_still_work() {
        let lits: Vec<Vec<u8>> = (0..=255u8).filter(|b| *b != b'\n').map(|b| vec![b, b]).collect();
        let block = b"ab\naa\n\xff\xff\nx\n";
        assert_eq!(filter_lines(&lits, block), naive(&lits, block));
    }

    proptest! {
        #[test]
        fn the_filter_finds_exactly_the_lines_holding_a_literal(
            literals in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(0xe2u8)], 1..5), 0..6),
            block in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'\n'), Just(0xe2u8), Just(b'x')], 0..600),
        ) {
            prop_assert_eq!(filter_lines(&literals, &block), naive(&literals, &block));
        }
    }
}
