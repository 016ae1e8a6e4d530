//! The scanner: one pass over a job's bytes. It reads fixed blocks, refuses
//! binary data, and lets the block prefilter ([`filter`]: every rule literal and
//! every structure literal) find the few lines worth reading; only those are
//! normalised, joined with the lines that continue them, classified, split into
//! the jobs and steps of `gh run view` output, and handed to the job's sinks
//! ([`sink`]: facts, signals, context). Lines without a literal cost a newline
//! count.
//!
//! Memory stays flat: input is read in fixed blocks, a line longer than a block is
//! read as several segments with one line number, and each signal keeps its first
//! few hits and a count.

pub mod filter;
pub mod sink;

use std::collections::HashMap;
use std::io::{self, Read};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::anatomy::{self, Anatomy, Level, Speaker};
use crate::facts::{FACT_LITERALS, Facts};
use crate::normalize::{self, Line, LineKind, Prefix, Structure};
use crate::pattern::{RuleSet, Scope, SignalRegex};

use filter::{LANES, LineFilter};
pub use sink::{
    ContextLine, ContextSink, EXCERPT_MAX, FactsSink, Hit, Scanned, SignalHits, SignalSink, Sink, excerpt, package_name,
};

/// Most physical lines joined into one logical line, before and after the
/// candidate, and the longest logical line built.
const JOIN_BACK: usize = 4;
const JOIN_AHEAD: usize = 8;
const JOIN_BYTES: usize = 4096;

/// Bytes read at a time; also the longest line segment handled as one line.
pub const BLOCK: usize = 1 << 20;

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
        (self.speakers.is_empty()
            || self.speakers.contains(&a.speaker)
            || a.relayed && self.speakers.contains(&Speaker::Unknown))
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

/// The consumers of one job's lines, in the order each line reaches them.
type JobSinks<'m> = (FactsSink, SignalSink<'m>, ContextSink);

struct JobState<'m> {
    name: Option<String>,
    gh_job: Option<Vec<u8>>,
    /// The step column of `gh run view --log` lines: it names the step.
    gh_step: Option<Vec<u8>>,
    structure: Structure,
    sinks: JobSinks<'m>,
    lines: u64,
    saw_timestamp: bool,
    seen_any: bool,
}

impl<'m> JobState<'m> {
    fn new(m: &'m Matcher, name: Option<String>) -> JobState<'m> {
        JobState {
            name,
            gh_job: None,
            gh_step: None,
            structure: Structure::default(),
            sinks: (FactsSink::new(m.every_line), SignalSink::new(&m.signals), ContextSink::default()),
            lines: 0,
            saw_timestamp: false,
            seen_any: false,
        }
    }

    /// A step its source names begins at `line`.
    fn named_step(&mut self, name: &str, line: u64) {
        let index = self.structure.named_step();
        self.sinks.named_step(index, name, line);
    }

    fn finish(self, origin: &str) -> JobScan {
        let (facts, hits, context) = self.sinks.finish(self.lines);
        JobScan {
            name: self.name.unwrap_or_else(|| "log".to_string()),
            origin: origin.to_string(),
            facts,
            hits,
            context,
        }
    }
}

/// Scans the segments of a job, in order. See [`Matcher::job`].
pub struct JobScanner<'m> {
    m: &'m Matcher,
    origin: String,
    current: JobState<'m>,
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

/// The indent of a `gh run view` line cut after its columns by a hard wrap: its
/// timestamp and text begin this indented line. `None` for any other line.
fn cut_after_columns(line: &[u8]) -> Option<usize> {
    let lead = line.iter().take_while(|b| **b == b' ').count();
    (lead > 0 && normalize::timestamp_len(&line[lead..]).is_some()).then_some(lead)
}

/// The rest of a line cut after its columns, joined back to the columns on the
/// line before (`job<TAB>step`, or the same as runs of spaces).
fn cut_columns_rest(block: &[u8], pos: usize, raw: &[u8]) -> Option<Vec<u8>> {
    let lead = cut_after_columns(raw)?;
    let prev = previous_line(block, pos, 0)?;
    let praw = &block[prev.0..prev.1];
    let praw = praw.strip_suffix(b"\r").unwrap_or(praw);
    if clean(praw).1.timestamp.is_some() {
        return None;
    }
    let sep: &[u8] = if praw.contains(&b'\t') { b"\t" } else { b"  " };
    Some([praw, sep, &raw[lead..]].concat())
}

/// A terminal's copy of gh's columns with every tab turned into one space: no run
/// of spaces tells the columns apart, but the job's name, known from an earlier
/// line, begins the line and a timestamp ends the step column. Returns the line
/// with its tabs back.
fn job_spaced_columns(job: Option<&[u8]>, raw: &[u8]) -> Option<Vec<u8>> {
    let job = job.filter(|j| raw.starts_with(j))?;
    let after = &raw[job.len()..];
    if after.first() != Some(&b' ') {
        return None;
    }
    let head = &after[..after.len().min(300)];
    let i = memchr::memchr_iter(b' ', head).skip(1).find(|&i| normalize::timestamp_len(&after[i + 1..]).is_some())?;
    let step = after[1..i].trim_ascii();
    (!step.is_empty()).then(|| [job, b"\t", step, b"\t", &after[i + 1..]].concat())
}

impl JobScanner<'_> {
    /// Reads one segment to its end. `step` names the step when the source knows it
    /// (a zip's step file); line numbers restart with each segment.
    pub fn feed(&mut self, step: Option<&str>, reader: &mut dyn Read) -> Result<(), ScanError> {
        if let Some(step) = step {
            self.current.named_step(step, 1);
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
            let (start, end) = if (self.m.every_line || self.current.sinks.wants_next_line()) && next < block.len() {
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
        let mut prefix = normalize::normalize_into(raw, &mut self.norm);
        let mut text = normalize::text_in(&self.norm, &mut self.lossy).to_string();
        // A `gh run view` line whose columns a terminal copy or a hard wrap broke:
        // read it as the line gh printed, when that has columns and a timestamp.
        let mut joined = Vec::new();
        if prefix.timestamp.is_none() {
            let tries = [cut_columns_rest(block, at.0, raw), job_spaced_columns(self.current.gh_job.as_deref(), raw)];
            for both in tries.into_iter().flatten() {
                let mut buf = Vec::new();
                let p = normalize::normalize_into(&both, &mut buf);
                if p.job.is_some() && p.timestamp.is_some() {
                    text = normalize::text_in(&buf, &mut self.lossy).to_string();
                    prefix = p;
                    joined = both;
                    break;
                }
            }
        }
        // The width the wrap cut this line at (its own, not the joined one's), and
        // whether it was put back together.
        let rebuilt = !joined.is_empty();
        let physical = if rebuilt { String::from_utf8_lossy(raw).chars().count() } else { 0 };
        // The prefix's ranges index the joined line when there is one.
        let raw: &[u8] = if joined.is_empty() { raw } else { &joined };
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
        // A terminal's copy of gh's columns turns each tab into spaces up to the next
        // tab stop: a single space after a job name that nearly fills its stop, so
        // the spaced columns read job and step as one. A known job's name and a
        // space begin such a column; the rest is the step.
        if let (Some(job), None, Some(known)) = (&columns.0, &columns.1, &self.current.gh_job) {
            if job.len() > known.len() + 1 && job.starts_with(known) && job[known.len()] == b' ' {
                let step = job[known.len() + 1..].to_vec();
                columns.0 = Some(known.clone());
                columns.1 = Some(step);
            }
        }
        if let Some(job) = &columns.0 {
            // The other way round: the job's first lines were copied with spaces, and
            // their job column took the step in. This job's name begins it.
            let misread = self.current.gh_job.as_ref().is_some_and(|cur| {
                cur.len() > job.len() + 1
                    && cur.starts_with(job)
                    && cur[job.len()] == b' '
                    && self.current.gh_step.is_none()
            });
            if misread {
                self.current.name = Some(String::from_utf8_lossy(job).into_owned());
                self.current.gh_job = Some(job.clone());
            }
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
                state.named_step(&String::from_utf8_lossy(step), number);
                state.gh_step = Some(step.clone());
            }
        }
        state.seen_any = true;
        if !state.saw_timestamp {
            if let Some(stamp) = &columns.2 {
                state.saw_timestamp = true;
                state.sinks.timestamp(&String::from_utf8_lossy(stamp));
            }
        }
        // A log that relays the runner's lines behind a label (`[0] `, `pkg:task: `,
        // BuildKit's frame) labels the echo too: read it by its shape.
        if state.structure.in_echo() && !text.starts_with("##[") {
            let bare = anatomy::peel_labels(&text);
            if bare.len() < text.len() {
                text = bare.to_string();
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
            let mut cur = anatomy::anatomy(&cur_text);
            if rebuilt {
                cur.width = cur.width.max(physical);
            }
            let mut chosen = 0;
            // Back, only for a line that can continue another (no tool prefix of its
            // own, or npm's repeated status title): the farthest earlier line with a
            // tool's prefix whose logical line reaches this one.
            // A runner-stamped line continues another only when indented, or as
            // npm's repeated status title; a pasted one may be any wrap's rest.
            let may_continue = !cur.prefixed && (!lines[0].1 || cur.indent >= 2) || cur.status_title.is_some();
            if may_continue {
                let mut before: Vec<(String, bool)> = Vec::new();
                // The physical width of a `gh` line cut after its columns that heads
                // this one: the wrap cut it there, not at its text's width.
                let mut cut_head_width = None;
                let mut pos = at.0;
                for _ in 0..JOIN_BACK {
                    let Some(prev) = previous_line(block, pos, floor) else { break };
                    let praw = &block[prev.0..prev.1];
                    let (ptext, pprefix) = clean(praw);
                    if let Some(plead) = cut_after_columns(praw) {
                        // Such a line is a record of its own, and may head this one
                        // when this is its wrapped rest.
                        if prefix.job.is_none() && raw.starts_with(b" ") {
                            before.insert(0, (clean(&praw[plead..]).0, true));
                            cut_head_width = Some(String::from_utf8_lossy(praw).chars().count());
                        }
                        break;
                    }
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
                let mut all: Vec<Anatomy<'_>> = chain.iter().map(|(t, _)| anatomy::anatomy(t)).collect();
                if let (Some(w), Some(first)) = (cut_head_width, all.first_mut()) {
                    first.width = first.width.max(w);
                }
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
                    // An indented line that begins with a runner timestamp is a `gh`
                    // line cut after its columns: a record of its own.
                    if cut_after_columns(next).is_some() {
                        break;
                    }
                    let (ntext, nprefix) = clean(next);
                    // In a wrapped `gh` paste the rest of a rebuilt line is a bare
                    // indented line, without columns.
                    let wrap_rest = rebuilt && next.starts_with(b" ") && nprefix.timestamp.is_none();
                    if nprefix.job.is_some() != prefix.job.is_some() && !wrap_rest {
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
        let line = Line {
            number: head_number,
            step: self.current.structure.step(),
            text: &full,
            kind,
            message: &message,
            speaker: if is_output { head_anatomy.speaker } else { Speaker::Unknown },
            level: if is_output { head_anatomy.level } else { None },
            quoted: is_output && head_anatomy.quoted,
            container: is_output && head_anatomy.container,
        };
        let scanned = Scanned { line, last_number, parts: &anatomies, signals: &self.candidates, fact, context };
        self.current.sinks.line(&scanned);
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
        self.current.sinks.0.step_name(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(log: &str) -> Vec<JobScan> {
        let rules = RuleSet::builtin_for_analysis().unwrap();
        let m = Matcher::new(&rules);
        let mut job = m.job(None, "test".into());
        job.feed(None, &mut log.as_bytes()).unwrap();
        job.finish()
    }

    /// The steps the hits and context lines name are the steps the facts read,
    /// whether markers begin them or `gh run view`'s step column names them.
    #[test]
    fn every_sink_places_a_line_in_the_same_step() {
        let body = [
            "2026-01-05T10:11:40.0000000Z Current runner version: '2.330.0'",
            "2026-01-05T10:11:40.1000000Z ##[group]Run npm ci",
            "2026-01-05T10:11:40.2000000Z ##[endgroup]",
            "2026-01-05T10:11:40.3000000Z added 12 packages in 1s",
            "2026-01-05T10:11:41.0000000Z ##[group]Run npm publish --access public",
            "2026-01-05T10:11:41.1000000Z ##[endgroup]",
            "2026-01-05T10:11:41.5000000Z npm error code E404",
            "2026-01-05T10:11:41.6000000Z npm error 404 Not Found - PUT https://registry.npmjs.org/left-pad - Not found",
            "2026-01-05T10:11:41.7000000Z ##[error]Process completed with exit code 1.",
        ];
        let names =
            ["Set up job", "Set up job", "Install", "Install", "Publish", "Publish", "Publish", "Publish", "Publish"];
        let plain: String = body.iter().map(|l| format!("{l}\n")).collect();
        let gh: String = body.iter().zip(names).map(|(l, n)| format!("release\t{n}\t{l}\n")).collect();
        for (log, publish) in [(plain, "npm publish --access public"), (gh, "Publish")] {
            let scans = scan(&log);
            let job = &scans[0];
            let step = |i: usize| job.facts.steps[i].name.as_str();
            let hits: Vec<&Hit> = job.hits.iter().flat_map(|h| &h.kept).collect();
            assert!(hits.iter().any(|h| h.text.contains("E404")), "{log}");
            for hit in hits.iter().filter(|h| h.text.contains("npm error")) {
                assert_eq!(step(hit.step), publish, "{}", hit.text);
            }
            let errors: Vec<&ContextLine> = job.context.iter().filter(|c| c.text.contains("npm error")).collect();
            assert_eq!(errors.len(), 2);
            assert!(errors.iter().all(|c| step(c.step) == publish), "{log}");
            assert_eq!(
                job.facts.get("failed_step").map(|v| v.to_string()).as_deref(),
                Some("npm publish --access public")
            );
        }
    }

    /// A hard-wrapped terminal copy of `gh run view --log`: tabs became spaces (one
    /// after a job name that nearly fills its tab stop), some lines were cut after
    /// their columns, so the timestamp and text begin the next, indented line. It
    /// reads as one job whose steps and env echo are those of the columns.
    #[test]
    fn a_wrapped_terminal_copy_of_gh_columns_keeps_its_job_and_steps() {
        let log = [
            "Release package Set up job      2026-01-05T10:11:40.0000000Z Current",
            "    runner version: '2.330.0'",
            "Release package\tSet up job\t2026-01-05T10:11:40.1000000Z Secret source: Actions",
            "Release package Upgrade npm",
            "    2026-01-05T10:11:40.2000000Z ##[group]Run npm install -g npm@^11.5.1",
            "Release package\tUpgrade npm\t2026-01-05T10:11:40.2100000Z \x1b[36;1mnpm install -g npm@^11.5.1\x1b[0m",
            "Release package\tUpgrade npm\t2026-01-05T10:11:40.2200000Z ##[endgroup]",
            "Release package Upgrade npm",
            "    2026-01-05T10:11:40.9000000Z removed 13 packages, and changed 96",
            "    packages in 3s",
            "Release package Publish",
            "    2026-01-05T10:11:41.0000000Z ##[group]Run npm publish --access public",
            "Release package\tPublish\t2026-01-05T10:11:41.0500000Z shell: /usr/bin/bash -e {0}",
            "Release package\tPublish\t2026-01-05T10:11:41.0600000Z env:",
            "Release package Publish",
            "    2026-01-05T10:11:41.0700000Z   NODE_AUTH_TOKEN: ***",
            "Release package\tPublish\t2026-01-05T10:11:41.1000000Z ##[endgroup]",
            "Release package\tPublish\t2026-01-05T10:11:41.5000000Z npm error code E404",
            "Release package\tPublish\t2026-01-05T10:11:41.7000000Z ##[error]Process completed with exit code 1.",
        ]
        .map(|l| format!("{l}\n"))
        .concat();
        let scans = scan(&log);
        assert_eq!(scans.len(), 1, "one job");
        let fact = |name: &str| scans[0].facts.get(name).map(|v| v.to_string());
        assert_eq!(fact("token").as_deref(), Some("secret"));
        assert_eq!(fact("failed_step").as_deref(), Some("npm publish --access public"));
        assert_eq!(fact("secret_source").as_deref(), Some("Actions"));
        // The upgrade's outcome: its line's words went on to the next line.
        assert_eq!(fact("npm_upgrade").as_deref(), Some("ok"));
    }
}
