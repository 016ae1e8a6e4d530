//! The `npm-logdoc` binary: parse, run, map the result to an exit code. The only
//! place that prints errors, and the only one that knows exit codes ([`exit_code`]).

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use npm_logdoc::bot::BotError;
use npm_logdoc::cli::{Cli, Command, PatternsCommand, Spinner, UsageError};
use npm_logdoc::pattern::{LoadError, RuleSet};
use npm_logdoc::render::{self, Format};
use npm_logdoc::source::ArchiveLimits;
use npm_logdoc::source::github::{GitHubError, NoProgress, Progress};
use npm_logdoc::{Analysis, analyze, analyze_text};

/// Exit codes (also in the README).
mod exit {
    /// The analysis ran; a report was printed (whether or not a cause was found).
    pub const OK: u8 = 0;
    /// Something unexpected (a bug, or an output that could not be written).
    pub const FAILURE: u8 = 1;
    /// The command line was wrong.
    pub const USAGE: u8 = 2;
    /// A log source could not be read: missing, binary, a bad or oversized archive.
    pub const INPUT: u8 = 3;
    /// A pattern file is invalid (`--patterns`), or a rule's example fails.
    pub const PATTERNS: u8 = 4;
    /// The run has no failed job to diagnose (it succeeded, was cancelled, or
    /// failed before any job started).
    pub const NOTHING_FAILED: u8 = 10;
    /// The run or job is still in progress, so its log is not there yet.
    pub const IN_PROGRESS: u8 = 11;
    /// GitHub rejected the token (401), or the token cannot be sent.
    pub const UNAUTHORIZED: u8 = 12;
    /// GitHub refused access (403): a permission is missing (`actions: read`).
    pub const FORBIDDEN: u8 = 13;
    /// The run, job or repository was not found, or is private and no token was given (404).
    pub const NOT_FOUND: u8 = 14;
    /// The logs have expired (410, the repository's retention period).
    pub const EXPIRED: u8 = 15;
    /// GitHub's API rate limit is exhausted.
    pub const RATE_LIMITED: u8 = 16;
    /// GitHub could not be reached (connection refused, DNS, TLS, timeout).
    pub const NETWORK: u8 = 17;
    /// GitHub kept failing (5xx after every retry) or answered something unexpected.
    pub const GITHUB: u8 = 18;
}

/// Everything that can end a command early.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Analysis(#[from] npm_logdoc::Error),
    #[error(transparent)]
    Patterns(#[from] LoadError),
    /// `patterns check`: examples that do not do what their rule says.
    #[error("{0}")]
    Examples(String),
    #[error("cannot write the report: {0}")]
    Output(#[source] std::io::Error),
    #[error(transparent)]
    Bot(Box<BotError>),
    #[error(transparent)]
    Check(#[from] npm_logdoc::check::CheckError),
}

impl From<BotError> for Failure {
    fn from(e: BotError) -> Failure {
        Failure::Bot(Box::new(e))
    }
}

/// The exit code and the message of every error a command can end with (the
/// README has the table of codes).
fn to_exit(failure: &Failure) -> (u8, String) {
    // Paths, entry names and job names in a message are text from outside: no
    // control character reaches the terminal, no secret is shown.
    let message = npm_logdoc::redact::shown_lines(&failure.to_string());
    (exit_code(failure), message)
}

fn exit_code(failure: &Failure) -> u8 {
    fn github(e: &GitHubError) -> u8 {
        match e {
            GitHubError::Unauthorized { .. } | GitHubError::BadToken { .. } => exit::UNAUTHORIZED,
            GitHubError::Forbidden { .. } => exit::FORBIDDEN,
            GitHubError::NotFound { .. } => exit::NOT_FOUND,
            GitHubError::Expired { .. } => exit::EXPIRED,
            GitHubError::RateLimited { .. } => exit::RATE_LIMITED,
            GitHubError::Network { .. } => exit::NETWORK,
            GitHubError::Api { .. } => exit::GITHUB,
            GitHubError::InProgress { .. } => exit::IN_PROGRESS,
            GitHubError::NothingFailed(_) => exit::NOTHING_FAILED,
            GitHubError::Usage(_) => exit::USAGE,
            GitHubError::Log(_) => exit::INPUT,
            GitHubError::TempFile(_) | GitHubError::Runtime(_) => exit::FAILURE,
        }
    }
    fn analysis(e: &npm_logdoc::Error) -> u8 {
        match e {
            npm_logdoc::Error::Source(_) => exit::INPUT,
            npm_logdoc::Error::Patterns(_) => exit::PATTERNS,
            npm_logdoc::Error::GitHub(e) => github(e),
        }
    }
    match failure {
        Failure::Usage(_) => exit::USAGE,
        Failure::Analysis(e) => analysis(e),
        Failure::Patterns(_) | Failure::Examples(_) => exit::PATTERNS,
        Failure::Output(_) => exit::FAILURE,
        Failure::Check(npm_logdoc::check::CheckError::NotAFolder(_)) => exit::USAGE,
        Failure::Check(npm_logdoc::check::CheckError::Write(_)) => exit::FAILURE,
        Failure::Bot(e) => match e.as_ref() {
            BotError::Forbidden { .. } => exit::FORBIDDEN,
            BotError::IssuesDisabled { .. } => exit::GITHUB,
            BotError::GitHub(e) => github(e),
            BotError::Analysis(e) => analysis(e),
        },
    }
}

/// The rules to work with; `check` loads the built-ins with every check.
fn rules(dirs: &[std::path::PathBuf], check: bool) -> Result<RuleSet, LoadError> {
    Ok(match (check, dirs.is_empty()) {
        (true, true) => RuleSet::builtin()?,
        (true, false) => RuleSet::builtin()?.with_dirs(dirs)?,
        (false, true) => RuleSet::builtin_for_analysis()?,
        (false, false) => RuleSet::builtin_for_analysis()?.with_dirs_for_analysis(dirs)?,
    })
}

fn write_out(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Output(e)),
    }
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Analyze(args) => {
            let config = args.resolve()?;
            let rules = rules(&config.pattern_dirs, false)?;
            let Analysis { report, run_url, job_urls, notes } = if config.example {
                let report = analyze_text("release", npm_logdoc::EXAMPLE_LOG, &rules);
                Analysis { report, run_url: None, job_urls: Vec::new(), notes: Vec::new() }
            } else {
                let spinner = Spinner::default();
                let progress: &dyn Progress = if config.progress { &spinner } else { &NoProgress };
                analyze(&config.sources, &config.runs, progress, &rules, &ArchiveLimits::default())?
            };
            for note in &notes {
                let _ = writeln!(std::io::stderr().lock(), "npm-logdoc: note: {}", npm_logdoc::redact::shown(note));
            }
            let ids: Vec<&str> = report.diagnoses.iter().map(|d| d.id.as_str()).collect();
            if let Some(hint) = std::env::current_dir().ok().and_then(|cwd| npm_logdoc::check::analyze_hint(&ids, &cwd))
            {
                let _ = writeln!(std::io::stderr().lock(), "npm-logdoc: note: {hint}");
            }
            let cx = render::Context { width: config.width, run_url, job_urls };
            write_out(&render::render(&report, config.format, &cx))?;
            if config.why {
                write_out(&render::why(&report))?;
            }
            if config.format == Format::Github {
                if let Some(path) = &config.step_summary {
                    let body = render::render(&report, Format::Markdown, &cx);
                    let written = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .and_then(|mut f| f.write_all(body.as_bytes()));
                    // The annotations are out already: a summary that cannot be
                    // written is worth a warning, not a failed step.
                    if let Err(e) = written {
                        let path = npm_logdoc::redact::shown(&path.display().to_string());
                        let _ = writeln!(
                            std::io::stderr().lock(),
                            "npm-logdoc: warning: cannot append the report to GITHUB_STEP_SUMMARY ({path}): {e}"
                        );
                    }
                }
            }
            Ok(exit::OK)
        }
        Command::Explain { id, patterns } => {
            let rules = rules(&patterns.dirs, false)?;
            let Some(rule) = rules.get(&id) else {
                let hint = npm_logdoc::pattern::suggest(&rules, &id);
                return Err(UsageError(format!("no cause `{id}`: {hint}")).into());
            };
            write_out(&npm_logdoc::pattern::describe(rule))?;
            Ok(exit::OK)
        }
        Command::Patterns(PatternsCommand::List { patterns, json }) => {
            let rules = rules(&patterns.dirs, false)?;
            write_out(&npm_logdoc::pattern::list(&rules, json))?;
            Ok(exit::OK)
        }
        Command::Patterns(PatternsCommand::Check { dirs }) => {
            let rules = rules(&dirs, true)?;
            let failures = npm_logdoc::examples::check_examples(&rules);
            if failures.is_empty() {
                let n: usize = rules.rules.iter().map(|r| r.examples.len()).sum();
                write_out(&format!("{} rules valid; {n} examples pass\n", rules.rules.len()))?;
                Ok(exit::OK)
            } else {
                let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
                let n = failures.len();
                Err(Failure::Examples(format!(
                    "{n} rule example{} failed:\n  {}",
                    if n == 1 { "" } else { "s" },
                    text.join("\n  ")
                )))
            }
        }
        Command::Comment(args) => {
            let config = args.resolve()?;
            let rules = rules(&config.pattern_dirs, false)?;
            let outcome = npm_logdoc::bot::comment(&config.bot, &rules, &ArchiveLimits::default())?;
            write_out(&outcome.render())?;
            Ok(exit::OK)
        }
        Command::Check(args) => {
            let (text, failed) = npm_logdoc::check::command(&args)?;
            write_out(&text)?;
            Ok(if failed { exit::FAILURE } else { exit::OK })
        }
        Command::Docs(command) => {
            match npm_logdoc::docs::run(&command, <Cli as clap::CommandFactory>::command()).map_err(Failure::Output)? {
                npm_logdoc::docs::Output::Text(text) => write_out(&text)?,
                npm_logdoc::docs::Output::Written(paths) => {
                    write_out(&paths.iter().map(|p| format!("{}\n", p.display())).collect::<String>())?;
                }
            }
            Ok(exit::OK)
        }
        Command::Patterns(PatternsCommand::Facts) => {
            let mut out = String::new();
            for f in npm_logdoc::facts::FACTS {
                out.push_str(&format!("{:<20} {}\n", f.name, f.doc));
            }
            write_out(&out)?;
            Ok(exit::OK)
        }
    }
}

/// Whether standard output was open when the process started. A closed one
/// (`>&-`) is not seen as closed: Rust's runtime puts `/dev/null` there, opened
/// read-write, so the report would vanish with exit 0. A shell's `>/dev/null`
/// opens it write-only, and is left alone.
#[cfg(target_os = "linux")]
fn stdout_is_open() -> bool {
    let is_null = std::fs::read_link("/proc/self/fd/1").is_ok_and(|p| p == std::path::Path::new("/dev/null"));
    if !is_null {
        return true;
    }
    let flags = std::fs::read_to_string("/proc/self/fdinfo/1").ok().and_then(|info| {
        info.lines().find_map(|l| l.strip_prefix("flags:")).and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
    });
    // O_ACCMODE == O_RDWR
    !matches!(flags, Some(f) if f & 0o3 == 0o2)
}

#[cfg(not(target_os = "linux"))]
fn stdout_is_open() -> bool {
    true
}

fn main() -> ExitCode {
    // Checked before anything is opened: a file opened now could take the free
    // descriptor 1.
    if !stdout_is_open() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "npm-logdoc: error: standard output is closed, so the report has nowhere to go (redirect it to a file or a pipe)"
        );
        return ExitCode::from(exit::FAILURE);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let (code, message) = to_exit(&e);
            let _ = writeln!(std::io::stderr().lock(), "npm-logdoc: error: {message}");
            ExitCode::from(code)
        }
    }
}
