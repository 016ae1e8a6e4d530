//! npm-logdoc reads the log of a failed CI job and names the root cause.
//!
//! The pipeline: a [`source`] yields each job's bytes as a stream; the [`scan`]ner
//! runs one literal prefilter pass over it, has [`normalize`] and [`anatomy`] take
//! the few candidate lines apart (prefixes, colour codes, echo versus output, who
//! said it), and hands each to its sinks: [`facts`] (versions, env echoes, runner,
//! publisher), the rule signals confirmed with their regexes, and the context of
//! a failure no rule explains; the [`pattern`] rules then turn hits and facts into
//! ranked diagnoses in [`diagnose`]; [`render`] prints them after [`redact`] has
//! removed anything secret.

pub mod anatomy;
pub mod bot;
pub mod check;
pub mod cli;
pub mod diagnose;
pub mod docs;
pub mod error;
pub mod examples;
pub mod facts;
pub mod normalize;
pub mod pattern;
pub mod redact;
pub mod render;
pub mod scan;
pub mod source;
pub mod walk;

pub use diagnose::{Diagnosis, Evidence, Report};
pub use error::Error;
pub use pattern::RuleSet;
/// The scanner's former name, for code written against it.
pub use scan as matcher;
pub use scan::Matcher;

/// The log analysed by `npm-logdoc analyze --example`: a release job whose publish
/// failed (shipped so a newcomer sees a real report at once).
pub const EXAMPLE_LOG: &str = include_str!("../examples/release-e404.log");

/// Analyses local sources with `rules` into one report.
pub fn analyze_sources(
    sources: &[source::Source],
    rules: &RuleSet,
    limits: &source::ArchiveLimits,
) -> Result<Report, Error> {
    Analyzer::new(rules).sources(sources, limits)
}

/// The rules with their prefilter built once, for analysing many logs one after
/// another (the corpus tests; building the prefilter costs far more than a log).
pub struct Analyzer<'r> {
    rules: &'r RuleSet,
    matcher: Matcher,
}

impl<'r> Analyzer<'r> {
    pub fn new(rules: &'r RuleSet) -> Analyzer<'r> {
        Analyzer { rules, matcher: Matcher::new(rules) }
    }

    /// Analyses local sources into one report.
    pub fn sources(&self, sources: &[source::Source], limits: &source::ArchiveLimits) -> Result<Report, Error> {
        let mut scans = Vec::new();
        for s in sources {
            scans.extend(source::scan(s, &self.matcher, limits)?);
        }
        Ok(diagnose::diagnose(self.rules, &self.matcher, &scans))
    }

    /// Analyses one in-memory log.
    pub fn text(&self, name: &str, text: &str) -> Report {
        let scans =
            source::scan_reader(name, Some(name.to_string()), &mut text.as_bytes(), &self.matcher).unwrap_or_default();
        diagnose::diagnose(self.rules, &self.matcher, &scans)
    }
}

/// What `analyze` produced: the report, and links to the run and jobs when the
/// logs came from GitHub.
#[derive(Debug)]
pub struct Analysis {
    pub report: Report,
    pub run_url: Option<String>,
    /// `(job name, job URL)`.
    pub job_urls: Vec<(String, String)>,
    /// What was skipped and why (a binary entry of an archive), for standard error.
    pub notes: Vec<String>,
}

/// Analyses local sources and runs on GitHub into one report, telling `progress`
/// how the downloads go.
pub fn analyze(
    sources: &[source::Source],
    runs: &[source::github::RunSource],
    progress: &dyn source::github::Progress,
    rules: &RuleSet,
    limits: &source::ArchiveLimits,
) -> Result<Analysis, Error> {
    let matcher = Matcher::new(rules);
    let mut scans = Vec::new();
    let mut notes = Vec::new();
    for s in sources {
        scans.extend(source::scan_noting(s, &matcher, limits, &mut notes)?);
    }
    let mut run_url = None;
    let mut job_urls = Vec::new();
    for run in runs {
        let got = source::github::scan_run(run, progress, &matcher, limits)?;
        run_url = run_url.or(got.run_url);
        job_urls.extend(got.job_urls);
        scans.extend(got.scans);
    }
    Ok(Analysis { report: diagnose::diagnose(rules, &matcher, &scans), run_url, job_urls, notes })
}

/// Analyses one in-memory log (examples, tests).
pub fn analyze_text(name: &str, text: &str, rules: &RuleSet) -> Report {
    Analyzer::new(rules).text(name, text)
}
