//! Hits and facts to ranked diagnoses: each rule's conditions are tested per job,
//! rules that a matched rule `supersedes` are folded into it (their evidence kept),
//! the same cause in several jobs is reported once with every job named, and the
//! result is ordered so the root cause to act on comes first.
//!
//! When no rule matches, the report still says what failed: the failing step and
//! the most telling error lines of each job.

use std::collections::BTreeMap;

use crate::pattern::{Confidence, Rule, RuleSet, When, template};
use crate::scan::{JobScan, Matcher};

/// Most evidence lines per diagnosis.
const EVIDENCE_MAX: usize = 12;
/// Most error lines shown per job when nothing matched.
const ERROR_LINES_MAX: usize = 12;

/// A log line that supports a diagnosis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub job: String,
    pub step: String,
    pub line: u64,
    /// The last line of a message joined from several lines (a hard wrap, npm's
    /// repeated `npm error 404` block); `None` for a single line.
    pub end_line: Option<u64>,
    pub text: String,
}

impl Evidence {
    /// `12`, or `12-14` for a message joined from several lines.
    pub fn lines(&self) -> String {
        match self.end_line {
            Some(end) => format!("{}-{end}", self.line),
            None => self.line.to_string(),
        }
    }
}

/// A fix with its placeholders filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub body: String,
    pub snippet: Option<String>,
    pub lang: Option<String>,
}

/// A named root cause with its proof and what to do.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    pub id: String,
    pub title: String,
    pub confidence: Confidence,
    pub explanation: String,
    pub evidence: Vec<Evidence>,
    pub fixes: Vec<Fix>,
    pub references: Vec<String>,
    /// Jobs in which the rule matched.
    pub jobs: Vec<String>,
    /// Ids of matched rules this one folded in.
    pub explains: Vec<String>,
    pub rank: i32,
    /// The one check that tells this cause from the others.
    pub confirm: Option<String>,
    /// Listed as a plausible alternative to the first diagnosis.
    pub candidate: bool,
    /// The rule's own conditions held (a candidate may still lead, and a matched
    /// low answer may step behind a candidate its evidence sets clearly ahead).
    pub matched: bool,
    /// The cause's prior plus the weights of its evidence that held, in log-odds.
    pub score: f64,
    /// The cause's prior (share of failed publishes).
    pub prior: f64,
    /// The weights that counted, for `--why`: (note or condition, weight).
    pub why: Vec<(String, f64)>,
    /// A candidate's evidence is its own signals' lines, not the failed step's error lines.
    pub own_evidence: bool,
}

/// What the report says about one job, whatever matched.
#[derive(Clone, Debug)]
pub struct JobSummary {
    pub name: String,
    pub origin: String,
    pub failed_step: Option<String>,
    /// The most telling error lines (of the failing step when known).
    pub error_lines: Vec<Evidence>,
    pub facts: BTreeMap<&'static str, String>,
    pub lines: u64,
}

/// The whole result of an analysis.
#[derive(Clone, Debug)]
pub struct Report {
    pub diagnoses: Vec<Diagnosis>,
    pub jobs: Vec<JobSummary>,
}

/// Families about publishing to a registry (the tool's first domain).
pub fn is_publish_family(id: &str) -> bool {
    ["npm-auth/", "oidc/", "provenance/", "publish/", "release-tool/"].iter().any(|f| id.starts_with(f))
}

fn step_name(scan: &JobScan, index: usize) -> String {
    scan.facts.steps.get(index).map(|s| s.name.clone()).unwrap_or_default()
}

/// Whether a block of conditions holds for rule `index` in one job.
fn holds(matcher: &Matcher, index: usize, scan: &JobScan, w: &When) -> bool {
    let hit = |i: &usize| scan.hits_of(matcher, index, *i).count > 0;
    w.all.iter().all(hit)
        && (w.any.is_empty() || w.any.iter().any(hit))
        && !w.none.iter().any(hit)
        && w.facts.iter().all(|c| c.holds(&scan.facts))
}

/// A rule's score in one job: its prior, moved by the weights of its evidence.
fn score(matcher: &Matcher, index: usize, rule: &Rule, scan: &JobScan) -> (f64, Vec<(String, f64)>) {
    let mut why = Vec::new();
    let mut total = rule.prior.ln();
    for w in &rule.weights {
        if holds(matcher, index, scan, &w.when) {
            total += w.weight;
            let what = w.note.clone().unwrap_or_else(|| {
                let mut parts: Vec<String> = w.when.facts.iter().map(|c| c.to_string()).collect();
                parts.extend(w.when.all.iter().map(|&i| format!("signal {}", rule.signals[i].name)));
                parts.extend(w.when.none.iter().map(|&i| format!("no signal {}", rule.signals[i].name)));
                parts.join(", ")
            });
            why.push((what, w.weight));
        }
    }
    (total, why)
}

/// Tests one rule against one job; returns its diagnosis when it matches.
fn evaluate(matcher: &Matcher, index: usize, rule: &Rule, scan: &JobScan) -> Option<Diagnosis> {
    let main =
        When { all: rule.all.clone(), any: rule.any.clone(), none: rule.none.clone(), facts: rule.facts.clone() };
    if !holds(matcher, index, scan, &main) && !rule.alternatives.iter().any(|w| holds(matcher, index, scan, w)) {
        return None;
    }
    let mut confidence = rule.confidence;
    for a in &rule.adjustments {
        let w = When { all: a.all.clone(), any: Vec::new(), none: a.none.clone(), facts: a.facts.clone() };
        if holds(matcher, index, scan, &w) {
            confidence = a.confidence;
        }
    }
    Some(build(matcher, index, rule, scan, confidence))
}

/// A rule's diagnosis in one job, whether it matched or is a candidate.
fn build(matcher: &Matcher, index: usize, rule: &Rule, scan: &JobScan, confidence: Confidence) -> Diagnosis {
    let hits = |i: usize| scan.hits_of(matcher, index, i);

    // Evidence: every kept hit of the rule's signals but those it requires absent.
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut captures: Vec<(String, String)> = Vec::new();
    let order = rule.all.iter().chain(&rule.any).copied().chain(0..rule.signals.len());
    let mut seen = vec![false; rule.signals.len()];
    for i in order {
        if seen[i] || rule.none.contains(&i) {
            continue;
        }
        seen[i] = true;
        for hit in &hits(i).kept {
            for (k, v) in &hit.captures {
                if !v.is_empty() && !captures.iter().any(|(ck, _)| ck == k) {
                    captures.push((k.clone(), v.clone()));
                }
            }
            if !evidence.iter().any(|e| e.line == hit.line && e.step == step_name(scan, hit.step)) {
                evidence.push(Evidence {
                    job: scan.name.clone(),
                    step: step_name(scan, hit.step),
                    line: hit.line,
                    end_line: (hit.last_line > hit.line).then_some(hit.last_line),
                    text: hit.text.clone(),
                });
            }
        }
    }
    evidence.sort_by(|a, b| (a.step.as_str(), a.line).cmp(&(b.step.as_str(), b.line)));
    evidence.sort_by_key(|e| scan.facts.steps.iter().position(|s| s.name == e.step));
    evidence.truncate(EVIDENCE_MAX);

    let step = scan
        .facts
        .failed_step
        .map(|i| step_name(scan, i))
        .or_else(|| evidence.first().map(|e| e.step.clone()))
        .unwrap_or_default();
    let fill = |text: &str| {
        template::render(text, |p| {
            if let Some((_, v)) = captures.iter().find(|(k, _)| k == p.name) {
                return v.clone();
            }
            match p.name {
                "job" => return scan.name.clone(),
                "step" if !step.is_empty() => return step.clone(),
                _ => {}
            }
            if let Some(v) = scan.facts.get(p.name) {
                return v.to_string();
            }
            p.fallback.map_or_else(|| format!("<{}>", p.name), str::to_string)
        })
    };
    let (score, why) = score(matcher, index, rule, scan);
    Diagnosis {
        id: rule.id.clone(),
        title: fill(&rule.title),
        confidence,
        explanation: fill(rule.explanation.trim()),
        evidence,
        fixes: rule
            .fixes
            .iter()
            .map(|f| Fix {
                title: fill(&f.title),
                body: fill(f.body.trim()),
                snippet: f.snippet.as_deref().map(|s| fill(s.trim_end())),
                lang: f.lang.clone(),
            })
            .collect(),
        references: rule.references.clone(),
        jobs: vec![scan.name.clone()],
        explains: Vec::new(),
        rank: rule.rank,
        confirm: rule.confirm.as_deref().map(|c| fill(c.trim())),
        candidate: false,
        matched: true,
        score,
        prior: rule.prior,
        why,
        own_evidence: false,
    }
}

/// Ranks root causes first: higher rank, then higher confidence, then earlier evidence.
fn rank_key(d: &Diagnosis) -> (i32, Confidence) {
    (d.rank, d.confidence)
}

/// Diagnoses one job: matched rules minus those superseded by another match.
fn diagnose_job(rules: &RuleSet, matcher: &Matcher, scan: &JobScan) -> Vec<Diagnosis> {
    let mut matched: Vec<(usize, Diagnosis)> =
        rules.rules.iter().enumerate().filter_map(|(i, r)| evaluate(matcher, i, r, scan).map(|d| (i, d))).collect();
    // Fold superseded rules into the rules that supersede them.
    let ids: Vec<String> = matched.iter().map(|(_, d)| d.id.clone()).collect();
    let mut folded: Vec<(String, String)> = Vec::new(); // (superseded, by)
    for (i, _) in &matched {
        for s in &rules.rules[*i].supersedes {
            if ids.contains(s) && !folded.iter().any(|(f, _)| f == s) {
                folded.push((s.clone(), rules.rules[*i].id.clone()));
            }
        }
    }
    let mut absorbed: Vec<(String, Vec<Evidence>, Vec<String>)> = Vec::new();
    matched.retain(|(_, d)| match folded.iter().find(|(f, _)| *f == d.id) {
        Some((_, by)) => {
            let mut ids = vec![d.id.clone()];
            ids.extend(d.explains.iter().cloned());
            absorbed.push((by.clone(), d.evidence.clone(), ids));
            false
        }
        None => true,
    });
    let mut out: Vec<Diagnosis> = matched.into_iter().map(|(_, d)| d).collect();
    for (by, evidence, ids) in absorbed {
        // `by` may itself have been folded; follow the chain to a survivor.
        let mut target = by;
        while let Some((_, next)) = folded.iter().find(|(f, _)| *f == target) {
            if *next == target {
                break;
            }
            target = next.clone();
        }
        if let Some(d) = out.iter_mut().find(|d| d.id == target) {
            absorb(d, evidence, ids);
        }
    }
    // Steps that failed (a fragment has none, so all its lines count).
    let failed: Vec<&str> = scan.facts.steps.iter().filter(|s| s.failed).map(|s| s.name.as_str()).collect();
    fold_in_step(rules, &failed, &mut out);
    out
}

/// Does `id` belong to an entry of `supersedes_in_step` (a family or an id)?
fn names(entry: &str, id: &str) -> bool {
    if entry.contains('/') { id == entry } else { id.split('/').next() == Some(entry) }
}

/// Folds a diagnosis into one whose rule names it in `supersedes_in_step` when
/// the two share a step and none of the first's evidence lies in another failing
/// step (corroboration from Set up job does not count; a fragment is one failing
/// step). A test failure that quotes `npm error code E404` explains that line; a
/// publish that failed in its own step after a `continue-on-error` test step stays.
fn fold_in_step(rules: &RuleSet, failed: &[&str], out: &mut Vec<Diagnosis>) {
    let failing = |step: &str| failed.is_empty() || failed.contains(&step);
    let mut i = 0;
    while i < out.len() {
        let host = out.iter().enumerate().find(|(j, t)| {
            let d = &out[i];
            let in_t = |step: &str| t.evidence.iter().any(|te| te.step == step);
            *j != i
                && rules.get(&t.id).is_some_and(|r| r.supersedes_in_step.iter().any(|e| names(e, &d.id)))
                && d.evidence.iter().any(|e| in_t(&e.step))
                && d.evidence.iter().all(|e| in_t(&e.step) || !failing(&e.step))
        });
        let Some((j, _)) = host else {
            i += 1;
            continue;
        };
        let d = out.remove(i);
        let t = &mut out[if j > i { j - 1 } else { j }];
        absorb(t, d.evidence, std::iter::once(d.id).chain(d.explains));
    }
}

/// Folds a diagnosis's evidence (up to [`EVIDENCE_MAX`], in line order) and its
/// ids, its own and those it explained, into the diagnosis that explains it.
fn absorb(into: &mut Diagnosis, evidence: Vec<Evidence>, ids: impl IntoIterator<Item = String>) {
    for e in evidence {
        if !into.evidence.contains(&e) && into.evidence.len() < EVIDENCE_MAX {
            into.evidence.push(e);
        }
    }
    for id in ids {
        if !into.explains.contains(&id) {
            into.explains.push(id);
        }
    }
    into.evidence.sort_by_key(|e| e.line);
}

fn summarize(scan: &JobScan) -> JobSummary {
    let failed = scan.facts.failed_step;
    let mut lines: Vec<&crate::scan::ContextLine> = match failed {
        Some(i) => scan.context.iter().filter(|c| c.step == i).collect(),
        None => Vec::new(),
    };
    if lines.is_empty() {
        lines = scan.context.iter().collect();
    }
    // The first lines of an error block say more than its tail of stack frames.
    let error_lines = lines
        .into_iter()
        .take(ERROR_LINES_MAX)
        .map(|c| Evidence {
            job: scan.name.clone(),
            step: step_name(scan, c.step),
            line: c.line,
            end_line: None,
            text: c.text.clone(),
        })
        .collect();
    JobSummary {
        name: scan.name.clone(),
        origin: scan.origin.clone(),
        failed_step: failed.map(|i| step_name(scan, i)),
        error_lines,
        facts: scan.facts.known(),
        lines: scan.facts.lines,
    }
}

/// Diagnoses every scanned job and merges the result into one report.
pub fn diagnose(rules: &RuleSet, matcher: &Matcher, scans: &[JobScan]) -> Report {
    let mut diagnoses: Vec<Diagnosis> = Vec::new();
    for scan in scans {
        for d in diagnose_job(rules, matcher, scan) {
            match diagnoses.iter_mut().find(|x| x.id == d.id) {
                Some(existing) => {
                    if !existing.jobs.contains(&d.jobs[0]) {
                        existing.jobs.push(d.jobs[0].clone());
                    }
                    existing.confidence = existing.confidence.max(d.confidence);
                    for e in d.evidence {
                        if existing.evidence.len() < EVIDENCE_MAX * 2 && !existing.evidence.contains(&e) {
                            existing.evidence.push(e);
                        }
                    }
                    for id in d.explains {
                        if !existing.explains.contains(&id) {
                            existing.explains.push(id);
                        }
                    }
                }
                None => diagnoses.push(d),
            }
        }
    }
    // Stable sort: equal keys keep the order of their first evidence.
    diagnoses.sort_by_key(|d| d.evidence.first().map_or(u64::MAX, |e| e.line));
    diagnoses.sort_by_key(|d| std::cmp::Reverse(rank_key(d)));
    add_candidates(rules, matcher, scans, &mut diagnoses);
    Report { diagnoses, jobs: scans.iter().map(summarize).collect() }
}

/// Most plausible alternatives listed after an unsure first diagnosis.
const CANDIDATES_MAX: usize = 3;

/// When the first diagnosis is a publish cause but not `high`, or a publish
/// failed and no rule named its cause, the causes whose `[candidate]` conditions
/// hold follow it, most likely first (prior and weighted evidence), each with the
/// check that confirms it. With no first diagnosis the best candidate leads.
fn add_candidates(rules: &RuleSet, matcher: &Matcher, scans: &[JobScan], diagnoses: &mut Vec<Diagnosis>) {
    let unsure = match diagnoses.first() {
        Some(d) => is_publish_family(&d.id) && d.confidence != Confidence::High,
        None => scans.iter().any(|s| s.facts.publish_failed()),
    };
    if !unsure {
        return;
    }
    let taken: Vec<&str> = diagnoses
        .iter()
        .flat_map(|d| std::iter::once(d.id.as_str()).chain(d.explains.iter().map(String::as_str)))
        .collect();
    let mut found: Vec<Diagnosis> = Vec::new();
    for scan in scans {
        for (i, rule) in rules.rules.iter().enumerate() {
            let Some(gate) = &rule.candidate else { continue };
            if taken.contains(&rule.id.as_str()) || !holds(matcher, i, scan, gate) {
                continue;
            }
            let mut d = build(matcher, i, rule, scan, Confidence::Low);
            d.candidate = true;
            d.matched = false;
            d.own_evidence = !d.evidence.is_empty();
            if d.evidence.is_empty() {
                d.evidence = summarize(scan).error_lines.into_iter().take(3).collect();
            }
            match found.iter_mut().find(|x| x.id == d.id) {
                Some(x) if x.score >= d.score => {}
                Some(x) => *x = d,
                None => found.push(d),
            }
        }
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found.truncate(CANDIDATES_MAX);
    // A `low` first answer gives way to a candidate that its evidence sets clearly
    // ahead of both it and the next candidate: a toss-up stays the honest "could
    // be any of these" of the first answer.
    let lead = match (diagnoses.first(), found.first()) {
        (Some(first), Some(best)) => {
            let next = found.get(1).map_or(f64::NEG_INFINITY, |d| d.score);
            // Two causes resting on the same lines: the match adds nothing, the score decides.
            let covers = best.own_evidence
                && !rules.get(&first.id).is_some_and(|r| r.umbrella)
                && !first.evidence.is_empty()
                && first.evidence.iter().all(|e| best.evidence.iter().any(|b| b.line == e.line && b.job == e.job));
            first.confidence == Confidence::Low
                && ((best.score >= first.score + MARGIN && best.score >= next + MARGIN)
                    || (covers && best.score > first.score))
        }
        _ => false,
    };
    let at = diagnoses.len().min(1);
    if at == 0 {
        // No rule named the cause: the most likely candidate is the answer.
        if let Some(best) = found.first_mut() {
            best.candidate = false;
        }
    }
    diagnoses.splice(at..at, found);
    if lead {
        let mut first = diagnoses.remove(0);
        first.candidate = true;
        diagnoses.insert(1, first);
        diagnoses[0].candidate = false;
    }
}

/// How far ahead (in log-odds) a candidate must be to lead.
const MARGIN: f64 = 1.0;
