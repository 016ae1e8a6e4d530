//! The command line: clap-derive arguments (plain data), resolved once into a
//! [`Config`]. Environment variables are read here and nowhere else.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::render::Format;
use crate::source::Source;

const ANALYZE_EXAMPLES: &str = "\
Examples:
  npm-logdoc analyze job.log                       a plain log file
  npm-logdoc analyze logs_1234567890.zip           the run's log archive
  npm-logdoc analyze logs/                         an unpacked archive
  gh run view 1234567890 --log-failed | npm-logdoc analyze -
  npm-logdoc analyze --example                     the bundled example log
  npm-logdoc analyze job.log --format json | jq '.diagnoses[0].id'";

/// Forensics for failed CI logs: names the root cause of a failed npm publish,
/// with ordered fixes and the log lines that prove it.
#[derive(Debug, Parser)]
#[command(name = "npm-logdoc", version, about, long_about = None, after_help = "Run `npm-logdoc analyze --example` to see a report.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse logs and print the root causes, fixes and evidence.
    #[command(after_help = ANALYZE_EXAMPLES)]
    Analyze(AnalyzeArgs),
    /// Show one cause: what it means and every fix.
    #[command(after_help = "Example:\n  npm-logdoc explain oidc/npm-too-old")]
    Explain {
        /// A cause id such as `oidc/npm-too-old`.
        id: String,
        #[command(flatten)]
        patterns: PatternArgs,
    },
    /// List or check the rules.
    #[command(subcommand)]
    Patterns(PatternsCommand),
}

#[derive(Debug, Subcommand)]
pub enum PatternsCommand {
    /// Print every rule: id, confidence, family, title.
    #[command(after_help = "Example:\n  npm-logdoc patterns list --patterns ./my-rules")]
    List {
        #[command(flatten)]
        patterns: PatternArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Validate rule files and run their inline examples through the real pipeline.
    #[command(after_help = "Example:\n  npm-logdoc patterns check ./my-rules")]
    Check {
        /// Folders of extra rules (the built-ins are always checked too).
        dirs: Vec<PathBuf>,
    },
    /// Print the facts rules can test, with what each means.
    Facts,
}

#[derive(Debug, Args)]
pub struct PatternArgs {
    /// Add rules from a folder (`<family>/<name>.toml`); same ids replace built-ins.
    #[arg(long = "patterns", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// `-` (standard input), a log file, a run-log .zip, or an unpacked folder.
    /// Defaults to standard input when it is not a terminal.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Output format [default: table on a terminal, markdown otherwise].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub patterns: PatternArgs,
    /// Analyse the bundled example log.
    #[arg(long, conflicts_with = "sources")]
    pub example: bool,
}

/// Everything `analyze` needs, resolved.
#[derive(Debug)]
pub struct Config {
    pub sources: Vec<Source>,
    pub example: bool,
    pub format: Format,
    pub pattern_dirs: Vec<PathBuf>,
    pub width: Option<u16>,
    /// `GITHUB_STEP_SUMMARY`, for `--format github`.
    pub step_summary: Option<PathBuf>,
}

impl AnalyzeArgs {
    /// Resolves the arguments against the environment and the terminal.
    pub fn resolve(self) -> Result<Config, crate::Error> {
        let stdout_tty = std::io::stdout().is_terminal();
        let format = self.format.unwrap_or(if stdout_tty { Format::Table } else { Format::Markdown });
        let mut sources: Vec<Source> = self.sources.iter().map(|s| Source::parse(s)).collect();
        if sources.is_empty() && !self.example {
            sources.push(Source::Stdin);
        }
        if sources.iter().filter(|s| **s == Source::Stdin).count() > 1 {
            return Err(crate::Error::Usage("standard input (`-`) can be given once".into()));
        }
        let width =
            if stdout_tty { std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).or(Some(120)) } else { None };
        Ok(Config {
            sources,
            example: self.example,
            format,
            pattern_dirs: self.patterns.dirs,
            width,
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()).map(PathBuf::from),
        })
    }
}
