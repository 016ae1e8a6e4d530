//! The rule model: one TOML file per rule under `patterns/<family>/<name>.toml`,
//! its id the path. Loading is strict (unknown keys are errors) and reports every
//! problem of every file at once with `path:line:column`, the way cargo-deny does.
//!
//! Built-in rules are compiled into the binary; `--patterns DIR` adds rules or
//! replaces built-ins with the same id.

pub mod catalog;
pub mod expr;
pub mod literal;

use crate::anatomy::{Level, Speaker};
pub mod template;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use regex::bytes::Regex;
use regex_syntax::ast::{self, Ast};
use serde::Deserialize;
use toml::Spanned;

pub use catalog::{describe, generic_title, list, suggest};
pub use expr::Condition;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_patterns.rs"));
}

/// How sure a diagnosis is. Ordered: `Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        })
    }
}

/// Which lines a signal may match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// What tools printed (the default): never the text of a command.
    #[default]
    Output,
    /// The step echo: script lines, `env:` and `with:` entries.
    Echo,
    /// Both.
    Any,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    title: Spanned<String>,
    confidence: Confidence,
    #[serde(default = "default_rank")]
    rank: i32,
    #[serde(default)]
    supersedes: Vec<Spanned<String>>,
    #[serde(default)]
    supersedes_in_step: Vec<Spanned<String>>,
    explanation: Spanned<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default, rename = "signal")]
    signals: Vec<SignalFile>,
    when: WhenFile,
    /// Alternative condition blocks: the rule matches when `when` or any of these holds.
    #[serde(default, rename = "or")]
    alternatives: Vec<WhenFile>,
    #[serde(default, rename = "adjust")]
    adjustments: Vec<AdjustFile>,
    #[serde(default, rename = "fix")]
    fixes: Vec<FixFile>,
    #[serde(default, rename = "example")]
    examples: Vec<ExampleFile>,
    /// How common the cause is among failed publishes (0..1), and where that
    /// figure comes from.
    #[serde(default)]
    prior: Option<f64>,
    #[serde(default)]
    prior_source: Option<String>,
    /// The rule names a refusal the log leaves undecided, not a cause of its own.
    #[serde(default)]
    umbrella: bool,
    /// The one check that tells this cause from its look-alikes.
    #[serde(default)]
    confirm: Option<Spanned<String>>,
    /// When the cause is a plausible alternative although its `when` does not hold.
    #[serde(default)]
    candidate: Option<WhenFile>,
    /// Evidence for (positive weight) or against (negative) the cause, in log-odds.
    #[serde(default, rename = "evidence")]
    weights: Vec<EvidenceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceFile {
    #[serde(default)]
    facts: Vec<Spanned<String>>,
    #[serde(default)]
    all: Vec<Spanned<String>>,
    #[serde(default)]
    none: Vec<Spanned<String>>,
    weight: f64,
    #[serde(default)]
    note: Option<String>,
}

fn default_rank() -> i32 {
    50
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalFile {
    name: Spanned<String>,
    literal: Spanned<String>,
    #[serde(default)]
    regex: Option<Spanned<String>>,
    #[serde(default)]
    scope: Scope,
    /// Why the signal has no distinctive literal, when it cannot have one.
    #[serde(default)]
    weak_literal: Option<String>,
    /// The tools whose lines may be evidence (`"npm"`, `["pnpm", "npm"]`).
    #[serde(default)]
    speaker: Option<Spanned<OneOrMany>>,
    /// The levels a line must have (`"error"`).
    #[serde(default)]
    level: Option<Spanned<OneOrMany>>,
    /// Quoted text (a test's diff, a string, a deep indent) counts too.
    #[serde(default)]
    quoted: bool,
}

/// A string or a list of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenFile {
    #[serde(default)]
    all: Vec<Spanned<String>>,
    #[serde(default)]
    any: Vec<Spanned<String>>,
    #[serde(default)]
    none: Vec<Spanned<String>>,
    #[serde(default)]
    facts: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustFile {
    #[serde(default)]
    facts: Vec<Spanned<String>>,
    /// Signals that must all have hit.
    #[serde(default)]
    all: Vec<Spanned<String>>,
    /// Signals none of which may have hit.
    #[serde(default)]
    none: Vec<Spanned<String>>,
    confidence: Confidence,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixFile {
    title: Spanned<String>,
    #[serde(default)]
    body: Option<Spanned<String>>,
    #[serde(default)]
    snippet: Option<Spanned<String>>,
    #[serde(default)]
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleFile {
    matches: bool,
    log: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    evidence: Vec<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    todo: Option<Spanned<String>>,
}

/// A signal: a literal for the prefilter, a regex to confirm it on a line's
/// message, and the speakers and levels that line may have.
#[derive(Clone, Debug)]
pub struct Signal {
    pub name: String,
    pub literal: String,
    pub regex: SignalRegex,
    pub scope: Scope,
    /// Empty: any speaker.
    pub speakers: Vec<Speaker>,
    /// Empty: any level.
    pub levels: Vec<Level>,
    pub quoted: bool,
}

/// The regex size limit: a pattern that compiles bigger is refused.
const REGEX_SIZE_LIMIT: usize = 1 << 22;

/// A signal's regex. Checked rules compile it when they load; the built-ins loaded
/// for analysis (checked by their tests and `patterns check`) compile it on first
/// use, since most signals never see a candidate line and compiling all of them
/// costs more than scanning a small log.
#[derive(Clone, Debug)]
pub struct SignalRegex {
    pattern: Arc<str>,
    compiled: Arc<OnceLock<Regex>>,
}

impl SignalRegex {
    fn build(pattern: &str) -> Result<Regex, regex::Error> {
        regex::bytes::RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).build()
    }

    fn compiled(pattern: String, regex: Regex) -> SignalRegex {
        SignalRegex { pattern: pattern.into(), compiled: Arc::new(OnceLock::from(regex)) }
    }

    fn deferred(pattern: String) -> SignalRegex {
        SignalRegex { pattern: pattern.into(), compiled: Arc::new(OnceLock::new()) }
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The compiled regex. A deferred pattern parsed when its rule loaded, and only
    /// built-in rules (whose every pattern compiles in their tests) are deferred, so
    /// a failure here is a build that skipped its tests: it matches nothing.
    pub fn get(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            Self::build(&self.pattern).unwrap_or_else(|_| Regex::new("[^\\s\\S]").expect("an empty class compiles"))
        })
    }
}

/// The names of a pattern's named groups, in order, from its syntax tree (cheap:
/// no automaton is built).
fn capture_names(tree: &Ast, out: &mut Vec<String>) {
    match tree {
        Ast::Group(g) => {
            if let ast::GroupKind::CaptureName { name, .. } = &g.kind {
                out.push(name.name.clone());
            }
            capture_names(&g.ast, out);
        }
        Ast::Repetition(r) => capture_names(&r.ast, out),
        Ast::Alternation(a) => a.asts.iter().for_each(|t| capture_names(t, out)),
        Ast::Concat(c) => c.asts.iter().for_each(|t| capture_names(t, out)),
        _ => {}
    }
}

/// A rule, validated and compiled.
#[derive(Clone, Debug)]
pub struct Rule {
    /// `family/name`, the path under the patterns folder.
    pub id: String,
    pub origin: String,
    pub title: String,
    pub confidence: Confidence,
    pub rank: i32,
    pub supersedes: Vec<String>,
    /// Families (`npm-auth`) or ids whose matches are folded into this rule when
    /// all their evidence lies in steps where this rule has evidence: a failing
    /// test explains the npm errors its own output quotes.
    pub supersedes_in_step: Vec<String>,
    /// Where the file says each of [`Rule::supersedes`] and [`Rule::supersedes_in_step`]
    /// (byte ranges into [`Rule::source`]), for problems found across rules.
    pub supersedes_spans: Vec<std::ops::Range<usize>>,
    pub supersedes_in_step_spans: Vec<std::ops::Range<usize>>,
    /// The rule file's text, shown under a problem.
    pub source: Arc<str>,
    pub explanation: String,
    pub references: Vec<String>,
    pub signals: Vec<Signal>,
    /// Indexes into `signals`.
    pub all: Vec<usize>,
    pub any: Vec<usize>,
    pub none: Vec<usize>,
    pub facts: Vec<Condition>,
    /// `[[or]]` blocks: the rule also matches when one of these holds.
    pub alternatives: Vec<When>,
    pub adjustments: Vec<Adjustment>,
    pub fixes: Vec<Fix>,
    pub examples: Vec<Example>,
    /// Share of failed publishes with this cause (0..1).
    pub prior: f64,
    pub prior_source: Option<String>,
    /// An umbrella answer ("refused, the log does not say why") leads only while no
    /// candidate is clearly ahead; a cause of its own also gives way to a likelier
    /// candidate whose signals hit every line it rests on.
    pub umbrella: bool,
    pub confirm: Option<String>,
    /// Plausible-alternative conditions (a candidate when the first answer is unsure).
    pub candidate: Option<When>,
    pub weights: Vec<Weight>,
}

/// Evidence that moves a cause's score by `weight` (log-odds) when it holds.
#[derive(Clone, Debug)]
pub struct Weight {
    pub when: When,
    pub weight: f64,
    pub note: Option<String>,
}

/// The prior of a rule that states none.
pub const DEFAULT_PRIOR: f64 = 0.01;

impl Rule {
    /// Every fact the rule reads: in its conditions, weights and texts.
    pub fn facts_read(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let blocks = std::iter::once(&self.facts)
            .chain(self.alternatives.iter().map(|w| &w.facts))
            .chain(self.adjustments.iter().map(|a| &a.facts))
            .chain(self.candidate.iter().map(|w| &w.facts))
            .chain(self.weights.iter().map(|w| &w.when.facts));
        for block in blocks {
            out.extend(block.iter().map(Condition::fact));
        }
        let texts = [&self.title, &self.explanation]
            .into_iter()
            .chain(self.confirm.as_ref())
            .chain(self.fixes.iter().flat_map(|f| [&f.title, &f.body].into_iter().chain(f.snippet.as_ref())));
        for t in texts {
            out.extend(template::placeholders(t).into_iter().map(|p| p.name));
        }
        out
    }

    pub fn family(&self) -> &str {
        self.id.split('/').next().unwrap_or("")
    }
}

/// One block of conditions: signals (indexes into the rule's `signals`) and facts.
#[derive(Clone, Debug, Default)]
pub struct When {
    pub all: Vec<usize>,
    pub any: Vec<usize>,
    pub none: Vec<usize>,
    pub facts: Vec<Condition>,
}

/// A confidence that replaces the rule's when its conditions hold.
#[derive(Clone, Debug)]
pub struct Adjustment {
    pub facts: Vec<Condition>,
    pub all: Vec<usize>,
    pub none: Vec<usize>,
    pub confidence: Confidence,
}

#[derive(Clone, Debug)]
pub struct Fix {
    pub title: String,
    pub body: String,
    pub snippet: Option<String>,
    pub lang: Option<String>,
}

/// An inline example, in semgrep's way: whether the rule matches `log`, and when
/// it does, what it must show for it.
#[derive(Clone, Debug)]
pub struct Example {
    pub matches: bool,
    pub log: String,
    pub note: Option<String>,
    /// Lines the diagnosis must cite as evidence (each a whole line of its
    /// evidence, as the report prints it).
    pub evidence: Vec<String>,
    /// The diagnosis's title with its captured values filled in (a wrong
    /// `{{pkg}}` shows here).
    pub title: Option<String>,
    /// Expected but not yet: the example states what should happen and the rule
    /// does not do it yet, for this reason. It is not a failure while the rule
    /// gets it wrong, and is one ("fixed") once the rule gets it right.
    pub todo: Option<String>,
}

/// One problem in one rule file, located when the location is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    /// 1-based; 0 when the problem has no place in the file (it cannot be read).
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The file's text and the bytes the problem is about, shown underlined.
    pub at: Option<(Arc<str>, std::ops::Range<usize>)>,
}

impl Problem {
    /// A problem of the whole file or folder, with no place in it.
    fn of_file(path: &str, message: impl Into<String>) -> Problem {
        Problem { path: path.to_string(), line: 0, column: 0, message: message.into(), at: None }
    }

    /// A problem at `span` of `source`.
    fn at(path: &str, source: &Arc<str>, span: std::ops::Range<usize>, message: impl Into<String>) -> Problem {
        let (line, column) = line_col(source, span.start);
        Problem { path: path.to_string(), line, column, message: message.into(), at: Some((source.clone(), span)) }
    }
}

impl fmt::Display for Problem {
    /// As cargo-deny and rustc show one: the message, then the file's lines with
    /// the offending span underlined (`path: message` when it has no place).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((source, span)) = self.at.as_ref().filter(|(_, span)| self.line > 0 && !span.is_empty()) else {
            return if self.line > 0 {
                write!(f, "{}:{}:{}: {}", self.path, self.line, self.column, self.message)
            } else {
                write!(f, "{}: {}", self.path, self.message)
            };
        };
        use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
        let span = span.start.min(source.len())..span.end.min(source.len());
        let report = [Level::ERROR.primary_title(self.message.as_str()).element(
            Snippet::source(&**source).path(self.path.as_str()).annotation(AnnotationKind::Primary.span(span)),
        )];
        write!(f, "{}", Renderer::plain().render(&report))
    }
}

/// Every problem found while loading rules.
#[derive(Debug, thiserror::Error)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(f, "{n} problem{} in pattern files:", if n == 1 { "" } else { "s" })?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                if p.at.is_some() {
                    writeln!(f)?;
                }
            }
            let text = p.to_string();
            for (j, line) in text.lines().enumerate() {
                if j > 0 {
                    writeln!(f)?;
                }
                if !line.is_empty() {
                    write!(f, "  {line}")?;
                }
            }
        }
        Ok(())
    }
}

/// The rules in force, in id order.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

/// Line and column (1-based) of byte `offset` in `src`.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.chars().count(), |i| before[i + 1..].chars().count()) + 1;
    (line, col)
}

struct Ctx<'a> {
    path: &'a str,
    source: Arc<str>,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn at(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        self.problems.push(Problem::at(self.path, &self.source, span, message));
    }
}

fn valid_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('/').collect();
    parts.len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && !p.starts_with('-')
                && !p.ends_with('-')
                && p.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        })
}

/// Names a template may use besides its rule's captures.
const TEMPLATE_EXTRAS: &[&str] = &["job", "step"];

/// How much of a rule's regex work loading does. Every mode parses each regex
/// (syntax errors and capture names are always reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Load {
    /// Compile every regex and run it over the rule's examples, proving the literal
    /// covers every line it matches (`patterns check`, the tests).
    Check,
    /// Check each regex's full syntax now, compile it on first use, skip the
    /// example scan: `--patterns` rules loaded for analysis (`patterns check` runs
    /// the rest).
    Compile,
    /// Compile each regex on first use: the built-ins loaded for analysis, which
    /// their tests and `patterns check` prove; most signals never see a candidate line.
    Defer,
}

/// Parses and checks one rule file. `path` is shown in problems.
pub fn parse_rule(id: &str, path: &str, src: &str) -> Result<Rule, Vec<Problem>> {
    parse_rule_checked(id, path, src, Load::Check)
}

fn parse_rule_checked(id: &str, path: &str, src: &str, load: Load) -> Result<Rule, Vec<Problem>> {
    let mut cx = Ctx { path, source: Arc::from(src), problems: Vec::new() };
    if !valid_id(id) {
        cx.at(
            0..0,
            format!(
                "rule id `{id}` must be `family/name` in kebab-case (it is the file's path under the patterns folder)"
            ),
        );
    }
    let file: RuleFile = match toml::from_str(src) {
        Ok(f) => f,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            cx.at(span, msg);
            return Err(cx.problems);
        }
    };

    let mut signals = Vec::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut captures: HashSet<String> = HashSet::new();
    for s in &file.signals {
        let name = s.name.get_ref().clone();
        if names.insert(name.clone(), signals.len()).is_some() {
            cx.at(s.name.span(), format!("signal `{name}` is defined twice"));
        }
        let literal = s.literal.get_ref();
        if literal.trim().len() < 3 && s.weak_literal.is_none() {
            cx.at(
                s.literal.span(),
                format!(
                    "literal `{literal}` is too short to prefilter on (3 bytes at least, or say why in `weak_literal`)"
                ),
            );
        }
        if let Some(why) = literal::too_common(literal).filter(|_| s.weak_literal.is_none()) {
            cx.at(s.literal.span(), format!("{why}: choose a more specific literal, or say why in `weak_literal`"));
        }
        if literal.contains('\n') {
            cx.at(s.literal.span(), "a literal is matched within one line and cannot contain a newline");
        }
        let pattern = match &s.regex {
            Some(r) => r.get_ref().clone(),
            None => regex::escape(literal),
        };
        let span = s.regex.as_ref().map_or(s.literal.span(), |r| r.span());
        let tree = match ast::parse::Parser::new().parse(&pattern) {
            Ok(t) => t,
            Err(e) => {
                let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
                cx.at(span, format!("signal `{name}`: invalid regex: {first}"));
                continue;
            }
        };
        let mut names = Vec::new();
        capture_names(&tree, &mut names);
        if load == Load::Compile {
            // The full syntax (Unicode classes, flags) without building an automaton.
            if let Err(e) = regex_syntax::ParserBuilder::new().build().parse(&pattern) {
                let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
                cx.at(span, format!("signal `{name}`: invalid regex: {first}"));
                continue;
            }
        }
        let regex = if load == Load::Check {
            let regex = match SignalRegex::build(&pattern) {
                Ok(r) => r,
                Err(e) => {
                    let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
                    cx.at(span, format!("signal `{name}`: invalid regex: {first}"));
                    continue;
                }
            };
            // Every line whose message the regex matches in the examples must hold
            // the literal, or the prefilter would hide matches the author expects.
            for ex in file.examples.iter().filter(|_| load == Load::Check) {
                for line in ex.log.lines() {
                    let message = crate::anatomy::anatomy(line).message;
                    if regex.is_match(message.as_bytes())
                        && !line.contains(literal.as_str())
                        && !message.contains(literal.as_str())
                    {
                        cx.at(span.clone(), format!("signal `{name}`: the regex matches example line `{line}`, which lacks the literal `{literal}`; the prefilter would hide that match"));
                    }
                }
            }
            SignalRegex::compiled(pattern, regex)
        } else {
            SignalRegex::deferred(pattern)
        };
        captures.extend(names);
        let mut speakers = Vec::new();
        if let Some(list) = &s.speaker {
            for item in list.get_ref().items() {
                match Speaker::parse(item) {
                    Some(sp) => speakers.push(sp),
                    None => cx.at(
                        list.span(),
                        format!(
                            "signal `{name}`: unknown speaker `{item}` (one of: {})",
                            Speaker::ALL.map(Speaker::name).join(", ")
                        ),
                    ),
                }
            }
        }
        let mut levels = Vec::new();
        if let Some(list) = &s.level {
            for item in list.get_ref().items() {
                match Level::parse(item) {
                    Some(l) => levels.push(l),
                    None => cx.at(
                        list.span(),
                        format!(
                            "signal `{name}`: unknown level `{item}` (one of: {})",
                            Level::ALL.map(Level::name).join(", ")
                        ),
                    ),
                }
            }
        }
        signals.push(Signal {
            name,
            literal: literal.clone(),
            regex,
            scope: s.scope,
            speakers,
            levels,
            quoted: s.quoted,
        });
    }

    let resolve = |list: &[Spanned<String>], cx: &mut Ctx<'_>| -> Vec<usize> {
        list.iter()
            .filter_map(|n| {
                let found = signals.iter().position(|s| s.name == *n.get_ref());
                if found.is_none() {
                    cx.at(n.span(), format!("no signal named `{}` in this rule", n.get_ref()));
                }
                found
            })
            .collect()
    };
    let all = resolve(&file.when.all, &mut cx);
    let any = resolve(&file.when.any, &mut cx);
    let none = resolve(&file.when.none, &mut cx);
    if file.when.all.is_empty() && file.when.any.is_empty() {
        cx.at(
            file.title.span(),
            "`when` needs at least one signal in `all` or `any`: a rule fires on evidence in the log",
        );
    }
    let conditions = |list: &[Spanned<String>], cx: &mut Ctx<'_>| -> Vec<Condition> {
        list.iter()
            .filter_map(|c| match Condition::parse(c.get_ref()) {
                Ok(c) => Some(c),
                Err(e) => {
                    cx.at(c.span(), e);
                    None
                }
            })
            .collect()
    };
    let facts = conditions(&file.when.facts, &mut cx);
    let mut alternatives = Vec::new();
    for alt in &file.alternatives {
        if alt.all.is_empty() && alt.any.is_empty() {
            cx.at(file.title.span(), "each `[[or]]` block needs at least one signal in `all` or `any`");
        }
        alternatives.push(When {
            all: resolve(&alt.all, &mut cx),
            any: resolve(&alt.any, &mut cx),
            none: resolve(&alt.none, &mut cx),
            facts: conditions(&alt.facts, &mut cx),
        });
    }
    let candidate = file.candidate.as_ref().map(|c| When {
        all: resolve(&c.all, &mut cx),
        any: resolve(&c.any, &mut cx),
        none: resolve(&c.none, &mut cx),
        facts: conditions(&c.facts, &mut cx),
    });
    let weights: Vec<Weight> = file
        .weights
        .iter()
        .map(|w| Weight {
            when: When {
                all: resolve(&w.all, &mut cx),
                any: Vec::new(),
                none: resolve(&w.none, &mut cx),
                facts: conditions(&w.facts, &mut cx),
            },
            weight: w.weight,
            note: w.note.clone(),
        })
        .collect();
    if let Some(p) = file.prior.filter(|p| !(*p > 0.0 && *p <= 1.0)) {
        cx.at(file.title.span(), format!("prior {p} is not a share: it must be above 0 and at most 1"));
    }
    if file.candidate.is_some() && file.confirm.is_none() {
        cx.at(file.title.span(), "a rule with a `[candidate]` block needs `confirm`: the check that tells it apart");
    }
    let adjustments = file
        .adjustments
        .iter()
        .map(|a| Adjustment {
            facts: conditions(&a.facts, &mut cx),
            all: resolve(&a.all, &mut cx),
            none: resolve(&a.none, &mut cx),
            confidence: a.confidence,
        })
        .collect();

    // Placeholders must name a capture, a fact, or carry a fallback.
    let check_template = |text: &Spanned<String>, cx: &mut Ctx<'_>| {
        // What is left after every placeholder is filled must not look like one:
        // a fallback that spans lines or lacks its `}}` is printed raw otherwise.
        let rest = template::render(text.get_ref(), |_| String::new());
        let mut from = 0;
        while let Some(i) = rest[from..].find("{{") {
            let after = &rest[from + i + 2..];
            let name = after.bytes().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_').count();
            if name > 0 && after[name..].starts_with(['|', '}']) {
                cx.at(
                    text.span(),
                    format!(
                        "malformed placeholder `{{{{{}...`: a fallback ends with `}}}}` on the same line",
                        &after[..name]
                    ),
                );
                break;
            }
            from += i + 2;
        }
        for p in template::placeholders(text.get_ref()) {
            let known =
                captures.contains(p.name) || crate::facts::fact(p.name).is_some() || TEMPLATE_EXTRAS.contains(&p.name);
            if !known && p.fallback.is_none() {
                cx.at(text.span(), format!("placeholder `{{{{{}}}}}` names no capture of this rule's signals and no fact; add one or give a fallback `{{{{{}|...}}}}`", p.name, p.name));
            }
        }
    };
    check_template(&file.title, &mut cx);
    check_template(&file.explanation, &mut cx);
    if let Some(c) = &file.confirm {
        check_template(c, &mut cx);
    }
    for f in &file.fixes {
        check_template(&f.title, &mut cx);
        if let Some(b) = &f.body {
            check_template(b, &mut cx);
        }
        if let Some(s) = &f.snippet {
            check_template(s, &mut cx);
        }
    }
    if file.fixes.is_empty() {
        cx.at(file.title.span(), "a rule needs at least one `[[fix]]`: a diagnosis tells the user what to do");
    }
    for e in &file.examples {
        if let Some(todo) = &e.todo {
            if todo.get_ref().trim().is_empty() {
                cx.at(todo.span(), "`todo` says why the rule does not do this yet: it cannot be empty");
            }
        }
        if !e.matches && (!e.evidence.is_empty() || e.title.is_some()) {
            let span = e.todo.as_ref().map_or(0..0, Spanned::span);
            cx.at(span, "an example that must not match has no `evidence` or `title` to show");
        }
    }
    // The examples that hold today: a `todo` one does not count as proof.
    let proven = || file.examples.iter().filter(|e| e.todo.is_none());
    if !proven().any(|e| e.matches) || !proven().any(|e| !e.matches) {
        cx.at(
            file.title.span(),
            "a rule needs `[[example]]`s that must match (`matches = true`) and that must not (`matches = false`)",
        );
    }
    for s in &file.supersedes {
        if !valid_id(s.get_ref()) {
            cx.at(s.span(), format!("`{}` is not a rule id (`family/name`)", s.get_ref()));
        }
    }
    let family = id.split('/').next().unwrap_or("");
    for s in &file.supersedes_in_step {
        let target = s.get_ref();
        if !valid_id(target) && !valid_id(&format!("{target}/x")) {
            cx.at(s.span(), format!("`{target}` is neither a family (`npm-auth`) nor a rule id (`family/name`)"));
        } else if target == family || target.split('/').next() == Some(family) {
            cx.at(s.span(), format!("`{target}` is this rule's own family: use `supersedes` within a family"));
        }
    }

    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    Ok(Rule {
        id: id.to_string(),
        origin: path.to_string(),
        title: file.title.into_inner(),
        confidence: file.confidence,
        rank: file.rank,
        supersedes_spans: file.supersedes.iter().map(Spanned::span).collect(),
        supersedes_in_step_spans: file.supersedes_in_step.iter().map(Spanned::span).collect(),
        source: cx.source.clone(),
        supersedes: file.supersedes.into_iter().map(Spanned::into_inner).collect(),
        supersedes_in_step: file.supersedes_in_step.into_iter().map(Spanned::into_inner).collect(),
        explanation: file.explanation.into_inner(),
        references: file.references,
        signals,
        all,
        any,
        none,
        facts,
        alternatives,
        adjustments,
        fixes: file
            .fixes
            .into_iter()
            .map(|f| Fix {
                title: f.title.into_inner(),
                body: f.body.map(Spanned::into_inner).unwrap_or_default(),
                snippet: f.snippet.map(Spanned::into_inner),
                lang: f.lang,
            })
            .collect(),
        examples: file
            .examples
            .into_iter()
            .map(|e| Example {
                matches: e.matches,
                log: e.log,
                note: e.note,
                evidence: e.evidence,
                title: e.title,
                todo: e.todo.map(Spanned::into_inner),
            })
            .collect(),
        prior: file.prior.unwrap_or(DEFAULT_PRIOR),
        prior_source: file.prior_source,
        umbrella: file.umbrella,
        confirm: file.confirm.map(Spanned::into_inner),
        candidate,
        weights,
    })
}

impl RuleSet {
    /// The rules compiled into the binary, with every check `patterns check` makes.
    pub fn builtin() -> Result<RuleSet, LoadError> {
        Self::builtin_with(Load::Check)
    }

    /// The rules compiled into the binary, loaded for analysis: the checks that
    /// cannot change between runs of one binary (examples against literals) are left
    /// to `builtin` (tests and `patterns check`).
    pub fn builtin_for_analysis() -> Result<RuleSet, LoadError> {
        Self::builtin_with(Load::Defer)
    }

    fn builtin_with(load: Load) -> Result<RuleSet, LoadError> {
        let mut set = RuleSet::default();
        let mut problems = Vec::new();
        for (id, src) in builtin::PATTERNS {
            match parse_rule_checked(id, &format!("patterns/{id}.toml"), src, load) {
                Ok(rule) => set.rules.push(rule),
                Err(p) => problems.extend(p),
            }
        }
        set.finish(problems)
    }

    /// Adds the rules under each folder, replacing built-ins with the same id, with
    /// every check `patterns check` makes.
    pub fn with_dirs(self, dirs: &[PathBuf]) -> Result<RuleSet, LoadError> {
        self.with_dirs_as(dirs, Load::Check)
    }

    /// Adds the rules under each folder for analysis: each regex's syntax is checked
    /// (a bad one is still an error) and it compiles on first use; the examples are
    /// left to `patterns check`.
    pub fn with_dirs_for_analysis(self, dirs: &[PathBuf]) -> Result<RuleSet, LoadError> {
        self.with_dirs_as(dirs, Load::Compile)
    }

    fn with_dirs_as(mut self, dirs: &[PathBuf], load: Load) -> Result<RuleSet, LoadError> {
        let mut problems = Vec::new();
        for dir in dirs {
            let files = match rule_files(dir) {
                Ok(files) => files,
                Err(e) => {
                    problems.push(Problem::of_file(&dir.display().to_string(), e));
                    continue;
                }
            };
            for file in files {
                let rel = file.strip_prefix(dir).unwrap_or(&file);
                let id = rel.with_extension("").to_string_lossy().replace('\\', "/");
                let shown = file.display().to_string();
                let src = match std::fs::read_to_string(&file) {
                    Ok(s) => s,
                    Err(e) => {
                        problems.push(Problem::of_file(&shown, format!("cannot read: {e}")));
                        continue;
                    }
                };
                match parse_rule_checked(&id, &shown, &src, load) {
                    Ok(rule) => {
                        self.rules.retain(|r| r.id != rule.id);
                        self.rules.push(rule);
                    }
                    Err(p) => problems.extend(p),
                }
            }
        }
        self.finish(problems)
    }

    fn finish(mut self, mut problems: Vec<Problem>) -> Result<RuleSet, LoadError> {
        self.rules.sort_by(|a, b| a.id.cmp(&b.id));
        let ids: HashSet<&str> = self.rules.iter().map(|r| r.id.as_str()).collect();
        for rule in &self.rules {
            for (s, span) in rule.supersedes.iter().zip(&rule.supersedes_spans) {
                let at = |message: String| Problem::at(&rule.origin, &rule.source, span.clone(), message);
                if !ids.contains(s.as_str()) {
                    problems.push(at(format!("supersedes `{s}`, which is not a rule")));
                }
                if s == &rule.id {
                    problems.push(at(String::from("a rule cannot supersede itself")));
                }
            }
        }
        // `supersedes_in_step` names families or ids that exist, and two families
        // may not fold each other.
        let families: HashSet<&str> = self.rules.iter().map(Rule::family).collect();
        for rule in &self.rules {
            for (s, span) in rule.supersedes_in_step.iter().zip(&rule.supersedes_in_step_spans) {
                let at = |message: String| Problem::at(&rule.origin, &rule.source, span.clone(), message);
                let known = if s.contains('/') { ids.contains(s.as_str()) } else { families.contains(s.as_str()) };
                if !known {
                    problems
                        .push(at(format!("supersedes_in_step `{s}`, which is neither a rule nor a family of rules")));
                }
                let back = self.rules.iter().find(|other| {
                    s.split('/').next() == Some(other.family())
                        && other.supersedes_in_step.iter().any(|t| t.split('/').next() == Some(rule.family()))
                });
                if let Some(other) = back {
                    problems.push(at(format!(
                        "supersedes_in_step `{s}`, while `{}` folds `{}` back in the same way",
                        other.id,
                        rule.family()
                    )));
                }
            }
        }
        // A cycle of `supersedes` would fold every member away.
        for rule in &self.rules {
            // Shown at the rule's whole `supersedes` list: the cycle starts there.
            let list = rule.supersedes_spans.iter().fold(None, |all: Option<std::ops::Range<usize>>, s| {
                Some(all.map_or(s.clone(), |a| a.start.min(s.start)..a.end.max(s.end)))
            });
            let at = |message: String| match &list {
                Some(span) => Problem::at(&rule.origin, &rule.source, span.clone(), message),
                None => Problem::of_file(&rule.origin, message),
            };
            let mut stack: Vec<&str> = rule.supersedes.iter().map(String::as_str).collect();
            let mut seen: HashSet<&str> = HashSet::new();
            while let Some(id) = stack.pop() {
                if id == rule.id {
                    problems.push(at(format!("`supersedes` forms a cycle back to `{}`", rule.id)));
                    break;
                }
                if seen.insert(id) {
                    if let Some(next) = self.rules.iter().find(|r| r.id == id) {
                        stack.extend(next.supersedes.iter().map(String::as_str));
                    }
                }
            }
        }
        if problems.is_empty() { Ok(self) } else { Err(LoadError { problems }) }
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The rule files of a folder (a bounded walk: see [`crate::walk::rule_files`]).
pub use crate::walk::rule_files;

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "t"
confidence = "high"
explanation = "saw {{code}} with npm {{npm_version|unknown}}"
[[signal]]
name = "code"
literal = "code E"
regex = 'code (?P<code>E\d+)'
[when]
all = ["code"]
facts = ["publish_reached"]
[[fix]]
title = "do it"
[[example]]
matches = true
log = "npm error code E404"
[[example]]
matches = false
log = "ok"
"#;

    #[test]
    fn deferred_regexes_compile_on_first_use_with_the_same_captures() {
        let checked = RuleSet::builtin().unwrap();
        let deferred = RuleSet::builtin_for_analysis().unwrap();
        for (a, b) in checked.rules.iter().zip(&deferred.rules) {
            assert_eq!(a.id, b.id);
            for (x, y) in a.signals.iter().zip(&b.signals) {
                assert!(x.regex.compiled.get().is_some(), "{}: checked rules compile at load", a.id);
                assert!(y.regex.compiled.get().is_none(), "{}: analysis defers compiling", b.id);
                assert_eq!(x.regex.as_str(), y.regex.as_str());
                let names = |r: &Regex| r.capture_names().flatten().map(str::to_string).collect::<Vec<_>>();
                assert_eq!(names(x.regex.get()), names(y.regex.get()), "{}/{}", a.id, x.name);
            }
        }
    }

    #[test]
    fn capture_names_come_from_the_syntax_tree() {
        let tree = ast::parse::Parser::new().parse(r"^(?:a(?P<pkg>\S+)|(?P<ver>\d+)(x)*)(?:(?P<n>y))?").unwrap();
        let mut names = Vec::new();
        capture_names(&tree, &mut names);
        assert_eq!(names, ["pkg", "ver", "n"]);
    }

    #[test]
    fn rules_loaded_for_analysis_still_report_bad_regexes() {
        let bad = GOOD.replace(r"(?P<code>E\d+)", r"(?P<code>E\p{Nope})");
        assert_ne!(bad, GOOD);
        for load in [Load::Check, Load::Compile] {
            let p = parse_rule_checked("npm-auth/x", "x.toml", &bad, load).unwrap_err();
            assert!(p.iter().any(|p| p.message.contains("Unicode property not found")), "{load:?}: {p:?}");
        }
        let r = parse_rule_checked("npm-auth/x", "x.toml", GOOD, Load::Compile).unwrap();
        assert!(r.signals.iter().all(|s| s.regex.compiled.get().is_none()), "compiled on first use");
    }

    #[test]
    fn an_uncompilable_deferred_pattern_matches_nothing() {
        let r = SignalRegex::deferred("a{99999}{99999}".to_string());
        assert!(!r.get().is_match(b"a"));
    }

    #[test]
    fn parses_a_good_rule() {
        let r = parse_rule("npm-auth/x", "x.toml", GOOD).unwrap();
        assert_eq!(r.all, [0]);
        assert_eq!(r.rank, 50);
    }

    #[test]
    fn reports_every_problem_with_a_position() {
        let bad = GOOD
            .replace("regex = 'code (?P<code>E\\d+)'", "regex = 'code ('")
            .replace("facts = [\"publish_reached\"]", "facts = [\"publish_reachd\"]\nany = [\"nope\"]");
        let problems = parse_rule("npm-auth/x", "x.toml", &bad).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let regex = problems.iter().find(|p| p.message.starts_with("signal `code`: invalid regex")).expect("{text:?}");
        assert_eq!((regex.line, regex.column), (8, 9), "{text:?}");
        // Shown as rustc shows it: the line, and the span underlined.
        assert!(text.iter().any(|p| p.contains("--> x.toml:8:9\n") && p.contains("regex = 'code ('")), "{text:?}");
        assert!(text.iter().any(|p| p.contains("unknown fact `publish_reachd`")), "{text:?}");
        assert!(text.iter().any(|p| p.contains("no signal named `nope`")), "{text:?}");
    }

    #[test]
    fn rejects_unknown_keys_with_position() {
        let bad = GOOD.replace("confidence = \"high\"", "confidence = \"high\"\nconfidance = 1");
        let p = parse_rule("npm-auth/x", "x.toml", &bad).unwrap_err();
        assert_eq!(p[0].line, 4, "{p:?}");
        assert!(p[0].message.contains("unknown field `confidance`"), "{p:?}");
    }

    #[test]
    fn rejects_unresolvable_placeholders_and_bad_ids() {
        let broken = GOOD.replace("{{npm_version|unknown}}", "{{npm_version|un\\nknown}}");
        let p = parse_rule("npm-auth/x", "x.toml", &broken).unwrap_err();
        assert!(p.iter().any(|p| p.message.contains("malformed placeholder")), "{p:?}");
        let bad = GOOD.replace("{{npm_version|unknown}}", "{{nothing}}");
        let p = parse_rule("Bad Id", "x.toml", &bad).unwrap_err();
        assert!(p.iter().any(|p| p.message.contains("rule id")));
        assert!(p.iter().any(|p| p.message.contains("placeholder `{{nothing}}`")));
    }

    #[test]
    fn or_blocks_and_signal_adjustments_parse() {
        let src = GOOD.replace(
            "[[fix]]",
            "[[or]]\nany = [\"code\"]\nfacts = [\"!publish_reached\"]\n[[adjust]]\nnone = [\"code\"]\nconfidence = \"low\"\n[[fix]]",
        );
        let r = parse_rule("npm-auth/x", "x.toml", &src).unwrap();
        assert_eq!(r.alternatives.len(), 1);
        assert_eq!(r.adjustments[0].none, [0]);
        let bad = src.replace("any = [\"code\"]\nfacts", "any = [\"nope\"]\nfacts");
        let p = parse_rule("npm-auth/x", "x.toml", &bad).unwrap_err();
        assert!(p.iter().any(|p| p.message.contains("no signal named `nope`")), "{p:?}");
    }

    #[test]
    fn refuses_supersedes_cycles() {
        let a = parse_rule(
            "npm-auth/a",
            "a.toml",
            &GOOD.replace("confidence = \"high\"", "confidence = \"high\"\nsupersedes = [\"npm-auth/b\"]"),
        )
        .unwrap();
        let b = parse_rule(
            "npm-auth/b",
            "b.toml",
            &GOOD.replace("confidence = \"high\"", "confidence = \"high\"\nsupersedes = [\"npm-auth/a\"]"),
        )
        .unwrap();
        let err = RuleSet { rules: vec![a, b] }.finish(Vec::new()).unwrap_err();
        assert!(err.problems.iter().any(|p| p.message.contains("cycle")), "{err}");
    }

    #[test]
    fn checks_supersedes_in_step() {
        let with = |id: &str, list: &str| {
            let src =
                GOOD.replace("confidence = \"high\"", &format!("confidence = \"high\"\nsupersedes_in_step = {list}"));
            parse_rule(id, "x.toml", &src)
        };
        let own = with("test/a", "[\"test\"]").unwrap_err();
        assert!(own.iter().any(|p| p.message.contains("own family")), "{own:?}");
        let bad = with("test/a", "[\"Not A Family\"]").unwrap_err();
        assert!(bad.iter().any(|p| p.message.contains("neither a family")), "{bad:?}");
        let t = with("test/a", "[\"npm-auth\", \"lint\"]").unwrap();
        let n = with("npm-auth/b", "[\"test/a\"]").unwrap();
        let err = RuleSet { rules: vec![t, n] }.finish(Vec::new()).unwrap_err();
        assert!(err.problems.iter().any(|p| p.message.contains("folds `test` back")), "{err}");
        assert!(err.problems.iter().any(|p| p.message.contains("`lint`, which is neither")), "{err}");
    }

    #[test]
    fn rejects_a_regex_without_its_literal() {
        let bad = GOOD.replace("literal = \"code E\"", "literal = \"ENEEDAUTH\"");
        let p = parse_rule("npm-auth/x", "x.toml", &bad).unwrap_err();
        assert!(p.iter().any(|p| p.message.contains("lacks the literal")), "{p:?}");
    }
}
