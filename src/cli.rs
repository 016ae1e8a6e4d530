//! The command line: clap-derive arguments (plain data), resolved once into a
//! [`Config`] (or a [`CommentConfig`]). Environment variables are read here and
//! nowhere else, and so are terminals: the download spinner is drawn here too.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::bot::{BotConfig, Mode};
use crate::render::Format;
use crate::source::Source;
use crate::source::github::{self, JobPick, Progress, Repo, RunRef, RunSource, Settings, Target, Token};

/// A command line that cannot be run as it is; the message says what to change.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// What `analyze` says when the only source is a person's keyboard.
const NO_LOG: &str = "no log given: pass a file, a folder, a run id, or pipe a log into standard input (`gh run view ID --log-failed | npm-logdoc analyze -`)";

const ANALYZE_EXAMPLES: &str = "\
Examples:
  npm-logdoc analyze job.log                       a plain log file
  npm-logdoc analyze logs_1234567890.zip           the run's log archive
  npm-logdoc analyze logs/                         an unpacked archive
  gh run view 1234567890 --log-failed | npm-logdoc analyze -
  npm-logdoc analyze --example                     the bundled example log
  npm-logdoc analyze job.log --format json | jq '.diagnoses[0].id'
  npm-logdoc analyze 1234567890                    the failed jobs of a run of this clone's repository
  npm-logdoc analyze 1234567890 -R owner/repo --job release
  npm-logdoc analyze https://github.com/owner/repo/actions/runs/1234567890/attempts/2

Runs are read from GitHub with the token in GH_TOKEN, else GITHUB_TOKEN (it needs
`actions: read`); they are sent only to github.com, *.ghe.com, or an API named with
--api-url or GITHUB_API_URL. Another host (GitHub Enterprise Server, from a run URL,
-R HOST/OWNER/REPO or the origin remote) gets GH_ENTERPRISE_TOKEN, else
GITHUB_ENTERPRISE_TOKEN. An argument that names an existing file or folder is read as one.";

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
    #[command(
        subcommand,
        after_help = "Examples:\n  npm-logdoc patterns list\n  npm-logdoc patterns check ./my-rules\n  npm-logdoc patterns facts"
    )]
    Patterns(PatternsCommand),
    /// Analyse a run and post the report as one comment, kept up to date: on its
    /// pull requests, else its commit, or a tracking issue (`--issue`).
    #[command(after_help = COMMENT_EXAMPLES)]
    Comment(CommentArgs),
    /// Read the repository (workflows, package.json, .npmrc) and name the publish
    /// failures that are coming; `--fix` writes the mechanical fixes.
    #[command(after_help = crate::check::CHECK_EXAMPLES)]
    Check(crate::check::CheckArgs),
    /// `completions` and `man` (src/docs.rs).
    #[command(flatten)]
    Docs(crate::docs::DocsCommand),
}

#[derive(Debug, Subcommand)]
pub enum PatternsCommand {
    /// Print every rule: id, confidence, family, title (as it reads when the log
    /// gave none of its values; `--json` keeps the `{{name|fallback}}` template).
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
    #[command(after_help = "Example:\n  npm-logdoc patterns facts | grep npm_")]
    Facts,
}

#[derive(Debug, Args)]
pub struct PatternArgs {
    /// Add rules from a folder (`<family>/<name>.toml`); same ids replace built-ins.
    #[arg(long = "patterns", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
}

/// Where a run is: shared by `analyze` and `comment`, resolved by [`resolve_run`].
#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// Repository of a run id [default: GITHUB_REPOSITORY, else the `origin` remote].
    #[arg(short = 'R', long = "repo", value_name = "[HOST/]OWNER/REPO")]
    pub repo: Option<String>,
    /// Read this attempt of the run [default: the latest].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub attempt: Option<u32>,
    /// GitHub API base URL [default: GITHUB_API_URL, else https://api.github.com];
    /// for GitHub Enterprise Server, https://HOST/api/v3.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
}

/// `--format`: the CLI's names for [`Format`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Markdown,
    Github,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Github => Format::Github,
        }
    }
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// `-` (standard input), a log file, a run-log .zip, an unpacked folder, a run id,
    /// or a run URL (`https://github.com/OWNER/REPO/actions/runs/ID[/attempts/N][/job/JOB_ID]`).
    /// Defaults to standard input when it is not a terminal.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Read one job of the run: its id, name, or a unique name prefix.
    #[arg(long, value_name = "NAME|ID", conflicts_with = "all_jobs")]
    pub job: Option<String>,
    /// Read every job that ran, not only the failed ones.
    #[arg(long)]
    pub all_jobs: bool,
    /// Output format [default: table on a terminal, markdown otherwise].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<FormatArg>,
    #[command(flatten)]
    pub patterns: PatternArgs,
    /// Analyse the bundled example log.
    #[arg(long, conflicts_with = "sources")]
    pub example: bool,
    /// After the report, show for each cause the evidence that counted for and
    /// against it (its prior and weights) and what it folded in.
    #[arg(long)]
    pub why: bool,
}

/// Everything `analyze` needs, resolved.
#[derive(Debug)]
pub struct Config {
    /// Local sources.
    pub sources: Vec<Source>,
    /// Runs on GitHub.
    pub runs: Vec<RunSource>,
    /// Show download progress on standard error (it is a terminal).
    pub progress: bool,
    pub example: bool,
    pub why: bool,
    pub format: Format,
    pub pattern_dirs: Vec<PathBuf>,
    pub width: Option<u16>,
    /// `GITHUB_STEP_SUMMARY`, for `--format github`.
    pub step_summary: Option<PathBuf>,
}

/// The environment `analyze` depends on, read once (here and nowhere else).
#[derive(Debug, Default)]
pub struct Env {
    pub gh_token: Option<String>,
    pub github_token: Option<String>,
    pub gh_enterprise_token: Option<String>,
    pub github_enterprise_token: Option<String>,
    pub github_api_url: Option<String>,
    pub github_repository: Option<String>,
    pub step_summary: Option<PathBuf>,
    pub columns: Option<u16>,
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    pub stdin_tty: bool,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Env {
    pub fn from_process() -> Env {
        Env {
            gh_token: var("GH_TOKEN"),
            github_token: var("GITHUB_TOKEN"),
            gh_enterprise_token: var("GH_ENTERPRISE_TOKEN"),
            github_enterprise_token: var("GITHUB_ENTERPRISE_TOKEN"),
            github_api_url: var("GITHUB_API_URL"),
            github_repository: var("GITHUB_REPOSITORY"),
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()).map(PathBuf::from),
            columns: var("COLUMNS").and_then(|c| c.trim().parse().ok()),
            stdout_tty: std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            stdin_tty: std::io::stdin().is_terminal(),
        }
    }

    /// The token for the API at `api_url`, and the variables a message tells the
    /// user to set when there is none. gh's rule: `GH_TOKEN`, else `GITHUB_TOKEN`,
    /// for github.com and GHE.com tenants (`*.ghe.com`); any other host gets
    /// `GH_ENTERPRISE_TOKEN`, else `GITHUB_ENTERPRISE_TOKEN`, and the github.com
    /// variables only when the user named that API (`explicit`: `--api-url`, or
    /// `GITHUB_API_URL` as Actions sets it), never because a run URL, `-R HOST/...`
    /// or the `origin` remote points there.
    pub fn token_for(&self, api_url: &str, explicit: bool) -> (Option<Token>, String) {
        let host = api_host(api_url);
        let github = host == "api.github.com" || host == "github.com" || host.ends_with(".ghe.com");
        let public = match (&self.gh_token, &self.github_token) {
            (Some(t), _) => Some(Token::new(t, "GH_TOKEN")),
            (None, Some(t)) => Some(Token::new(t, "GITHUB_TOKEN")),
            (None, None) => None,
        };
        if github {
            return (public, "GH_TOKEN (or GITHUB_TOKEN)".into());
        }
        let enterprise = match (&self.gh_enterprise_token, &self.github_enterprise_token) {
            (Some(t), _) => Some(Token::new(t, "GH_ENTERPRISE_TOKEN")),
            (None, Some(t)) => Some(Token::new(t, "GITHUB_ENTERPRISE_TOKEN")),
            (None, None) => None,
        };
        let vars = if explicit {
            "GH_ENTERPRISE_TOKEN or GH_TOKEN".to_string()
        } else if public.is_some() {
            format!(
                "GH_ENTERPRISE_TOKEN (or GITHUB_ENTERPRISE_TOKEN) for {host}: GH_TOKEN and GITHUB_TOKEN are sent only to github.com, or to an API named with --api-url or GITHUB_API_URL"
            )
        } else {
            format!("GH_ENTERPRISE_TOKEN (or GITHUB_ENTERPRISE_TOKEN) for {host}")
        };
        (enterprise.or(if explicit { public } else { None }), vars)
    }
}

/// The host of an API base URL, lower-cased, without port or path.
fn api_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.to_ascii_lowercase()
}

/// The `origin` remote of the git checkout around the current folder, if any.
fn origin_remote() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["config", "--get", "remote.origin.url"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|s| !s.is_empty())
}

impl AnalyzeArgs {
    /// Resolves the arguments against the environment and the terminal.
    pub fn resolve(self) -> Result<Config, UsageError> {
        self.resolve_with(&Env::from_process(), &origin_remote)
    }

    /// Resolves against `env`; `origin` is asked for the git remote only when a
    /// run id needs a repository.
    pub fn resolve_with(self, env: &Env, origin: &dyn Fn() -> Option<String>) -> Result<Config, UsageError> {
        let usage = UsageError;
        let format = self.format.map_or(if env.stdout_tty { Format::Table } else { Format::Markdown }, Format::from);
        let mut sources: Vec<Source> = Vec::new();
        let mut run_refs: Vec<RunRef> = Vec::new();
        for arg in &self.sources {
            // An existing file or folder is read as one, even if its name is all digits
            // (like ripgrep); a run's URL always reaches the run.
            if arg == "-" || Path::new(arg).exists() {
                sources.push(Source::parse(arg));
                continue;
            }
            match RunRef::parse(arg) {
                Some(Ok(run)) => run_refs.push(run),
                Some(Err(message)) => return Err(usage(message)),
                None => sources.push(Source::parse(arg)),
            }
        }
        if run_refs.is_empty() {
            let run_only = [
                (self.run.repo.is_some(), "-R/--repo"),
                (self.job.is_some(), "--job"),
                (self.all_jobs, "--all-jobs"),
                (self.run.attempt.is_some(), "--attempt"),
                (self.run.api_url.is_some(), "--api-url"),
            ];
            if let Some((_, flag)) = run_only.iter().find(|(given, _)| *given) {
                return Err(usage(format!("{flag} applies to a run id or run URL, and none was given")));
            }
        }
        if sources.is_empty() && run_refs.is_empty() && !self.example {
            sources.push(Source::Stdin);
        }
        if env.stdin_tty && sources.contains(&Source::Stdin) {
            // Nothing to read but a person's keyboard: the command line lacks its source.
            return Err(usage(NO_LOG.into()));
        }
        if sources.iter().filter(|s| **s == Source::Stdin).count() > 1 {
            return Err(usage("standard input (`-`) can be given once".into()));
        }
        let mut runs = Vec::new();
        for run in run_refs {
            runs.push(resolve_run(run, &self.run, self.job.as_deref(), self.all_jobs, env, origin)?);
        }
        let width = if env.stdout_tty { env.columns.or(Some(120)) } else { None };
        Ok(Config {
            sources,
            runs,
            progress: env.stderr_tty,
            example: self.example,
            why: self.why,
            format,
            pattern_dirs: self.patterns.dirs,
            width,
            step_summary: env.step_summary.clone(),
        })
    }
}

/// The one resolution of a run, for `analyze` and `comment`: its repository and web
/// host (the URL's, else `-R`, else `GITHUB_REPOSITORY`, else the `origin` remote),
/// the API and the token for it, the attempt and the jobs to read (`job`: `--job`;
/// `all_jobs`: `--all-jobs`). `origin` is asked only when nothing else names the
/// repository.
pub fn resolve_run(
    run: RunRef,
    args: &RunArgs,
    job: Option<&str>,
    all_jobs: bool,
    env: &Env,
    origin: &dyn Fn() -> Option<String>,
) -> Result<RunSource, UsageError> {
    let usage = UsageError;
    let flag_repo =
        match &args.repo {
            Some(r) => Some(Repo::parse(r).ok_or_else(|| {
                usage(format!("-R `{r}` is not a repository: expected OWNER/REPO or HOST/OWNER/REPO"))
            })?),
            None => None,
        };
    // Repository and web host: the URL's, else -R, else GITHUB_REPOSITORY, else `origin`.
    let (host, repo, host_is_explicit) = if let Some(repo) = run.repo.clone() {
        (run.host.clone(), repo, true)
    } else if let Some((host, repo)) = flag_repo {
        let explicit = host.is_some();
        (host, repo, explicit)
    } else if let Some((_, repo)) = env.github_repository.as_deref().and_then(Repo::parse) {
        (None, repo, false)
    } else if let Some((host, repo)) = origin().as_deref().and_then(github::parse_remote) {
        (Some(host), repo, false)
    } else {
        return Err(usage(format!(
            "run {}: which repository? Pass -R OWNER/REPO or the run's URL, or run this in a clone of the repository",
            run.run_id
        )));
    };
    // API base: --api-url, else the URL's (or -R's) host, else GITHUB_API_URL,
    // else the remote's host, else the public API.
    // `named`: the user named the API itself, so the github.com token may go there.
    let (api_url, named) = if let Some(url) = &args.api_url {
        (url.clone(), true)
    } else if let (Some(h), true) = (&host, host_is_explicit) {
        (github::api_url_for_host(h), false)
    } else if let Some(url) = &env.github_api_url {
        (url.clone(), true)
    } else if let Some(h) = &host {
        (github::api_url_for_host(h), false)
    } else {
        (github::DEFAULT_API_URL.to_string(), false)
    };
    let (token, token_vars) = env.token_for(&api_url, named);
    let attempt = match (run.attempt, args.attempt) {
        (Some(a), Some(b)) if a != b => {
            return Err(usage(format!("the URL names attempt {a} but --attempt says {b}")));
        }
        (a, b) => a.or(b),
    };
    let jobs = match (run.job_id, job) {
        (Some(_), Some(_)) => return Err(usage("the URL names a job; drop --job or the URL's /job/ part".into())),
        (Some(id), None) => JobPick::Id(id),
        (None, Some(name)) => JobPick::Named(name.to_string()),
        (None, None) if all_jobs => JobPick::All,
        (None, None) => JobPick::Failed,
    };
    let mut settings = Settings::new(api_url, token);
    settings.token_vars = token_vars;
    Ok(RunSource { settings, target: Target { repo, run_id: run.run_id, attempt, jobs } })
}

pub const COMMENT_EXAMPLES: &str = "\
Examples:
  npm-logdoc comment 1234567890 -R owner/repo --dry-run   show what would be posted, and where
  npm-logdoc comment https://github.com/owner/repo/actions/runs/1234567890
  npm-logdoc comment 1234567890 --issue                   open or update the workflow's tracking issue
  npm-logdoc comment 1234567891 --issue                   a later successful run closes it

The token (GH_TOKEN, else GITHUB_TOKEN; GH_ENTERPRISE_TOKEN for another host, as for
`analyze`) needs `actions: read` to read the logs and, to
write, `pull-requests: write` (pull requests), `contents: write` (commit comments) or
`issues: write` (--issue).";

/// `--target`: the CLI's names for the bot's [`Mode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// The run's pull requests, else its commit.
    Auto,
    /// The run's pull requests only (nothing when it has none).
    Pr,
    /// The run's head commit.
    Commit,
    /// A tracking issue for the workflow.
    Issue,
}

impl From<TargetArg> for Mode {
    fn from(t: TargetArg) -> Mode {
        match t {
            TargetArg::Auto => Mode::Auto,
            TargetArg::Pr => Mode::Pr,
            TargetArg::Commit => Mode::Commit,
            TargetArg::Issue => Mode::Issue,
        }
    }
}

#[derive(Debug, Args)]
pub struct CommentArgs {
    /// A run id, or a run URL (`https://github.com/OWNER/REPO/actions/runs/ID[/attempts/N]`).
    #[arg(value_name = "RUN")]
    pub run: String,
    #[command(flatten)]
    pub run_args: RunArgs,
    /// Where to post: the run's pull requests else its commit (`auto`), or only one kind.
    #[arg(long, value_enum, default_value_t = TargetArg::Auto)]
    pub target: TargetArg,
    /// Post to a tracking issue for the workflow (`--target issue`): opened on a
    /// failure, updated on the next, closed by a successful run.
    #[arg(long, conflicts_with = "target")]
    pub issue: bool,
    /// Print what would be posted and where; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub patterns: PatternArgs,
}

/// Everything `comment` needs, resolved: the bot's own configuration, and the
/// rules to analyse with.
#[derive(Debug)]
pub struct CommentConfig {
    pub bot: BotConfig,
    pub pattern_dirs: Vec<PathBuf>,
}

impl CommentArgs {
    /// Resolves against the process environment.
    pub fn resolve(self) -> Result<CommentConfig, UsageError> {
        self.resolve_with(&Env::from_process(), &origin_remote)
    }

    /// Resolves against `env`, as `analyze` resolves a run ([`resolve_run`]);
    /// `origin` is asked for the git remote of a bare run id.
    pub fn resolve_with(self, env: &Env, origin: &dyn Fn() -> Option<String>) -> Result<CommentConfig, UsageError> {
        let run = match RunRef::parse(&self.run) {
            None => {
                return Err(UsageError(format!(
                    "`{}` is not a run: `comment` takes a run id or a run URL (https://github.com/OWNER/REPO/actions/runs/ID)",
                    self.run
                )));
            }
            // An existing file is read as a file, as by `analyze`: not a run.
            Some(_) if Path::new(&self.run).exists() => {
                return Err(UsageError("`comment` takes exactly one run id or run URL".into()));
            }
            Some(Err(message)) => return Err(UsageError(message)),
            Some(Ok(run)) => run,
        };
        let run = resolve_run(run, &self.run_args, None, false, env, origin)?;
        if matches!(run.target.jobs, JobPick::Id(_)) {
            return Err(UsageError("`comment` reports on a whole run: drop the URL's /job/ part".into()));
        }
        let mode = if self.issue { Mode::Issue } else { self.target.into() };
        Ok(CommentConfig { bot: BotConfig { run, mode, dry_run: self.dry_run }, pattern_dirs: self.patterns.dirs })
    }
}

/// The download spinner on standard error, for a terminal (see [`Config::progress`]):
/// one bar for each run read, cleared when its downloads are over.
#[derive(Default)]
pub struct Spinner {
    bar: Mutex<Option<ProgressBar>>,
}

impl Spinner {
    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        let mut bar = self.bar.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let bar = bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::default_spinner());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        f(bar);
    }
}

impl Progress for Spinner {
    fn step(&self, message: &str) {
        self.with_bar(|bar| bar.set_message(message.to_string()));
    }

    fn downloading(&self, message: &str) {
        self.with_bar(|bar| {
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}: {bytes} ({bytes_per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(message.to_string());
        });
    }

    fn bytes(&self, added: u64, dropped: u64) {
        self.with_bar(|bar| bar.set_position(bar.position().saturating_sub(dropped) + added));
    }

    fn finish(&self) {
        let mut bar = self.bar.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(bar) = bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> AnalyzeArgs {
        let mut full = vec!["npm-logdoc", "analyze"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full).unwrap().command {
            Command::Analyze(a) => a,
            _ => unreachable!(),
        }
    }

    fn no_remote() -> Option<String> {
        None
    }

    fn resolve(argv: &[&str], env: &Env) -> Result<Config, UsageError> {
        args(argv).resolve_with(env, &no_remote)
    }

    #[test]
    fn a_run_id_takes_its_repository_from_flag_then_env_then_remote() {
        let env = Env { github_repository: Some("env/repo".into()), ..Env::default() };
        let c = resolve(&["123", "-R", "flag/repo"], &env).unwrap();
        assert_eq!(c.runs[0].target.repo.to_string(), "flag/repo");
        assert_eq!(c.runs[0].settings.api_url, "https://api.github.com");
        let c = resolve(&["123"], &env).unwrap();
        assert_eq!(c.runs[0].target.repo.to_string(), "env/repo");
        let remote = || Some("git@ghe.corp:team/app.git".to_string());
        let c = args(&["123"]).resolve_with(&Env::default(), &remote).unwrap();
        assert_eq!(c.runs[0].target.repo.to_string(), "team/app");
        assert_eq!(c.runs[0].settings.api_url, "https://ghe.corp/api/v3");
        assert!(resolve(&["123"], &Env::default()).is_err());
    }

    #[test]
    fn api_url_and_token_precedence() {
        let env = Env {
            gh_token: Some("ghp_one".into()),
            github_token: Some("ghs_two".into()),
            github_api_url: Some("https://ghe.example.com/api/v3".into()),
            ..Env::default()
        };
        let c = resolve(&["1", "-R", "o/r"], &env).unwrap();
        assert_eq!(c.runs[0].settings.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(c.runs[0].settings.token.as_ref().unwrap().var(), "GH_TOKEN");
        let c = resolve(&["1", "-R", "o/r", "--api-url", "http://127.0.0.1:9"], &env).unwrap();
        assert_eq!(c.runs[0].settings.api_url, "http://127.0.0.1:9");
        let c = resolve(&["https://github.com/o/r/actions/runs/5/attempts/2"], &env).unwrap();
        assert_eq!(c.runs[0].settings.api_url, "https://api.github.com");
        assert_eq!(c.runs[0].target.attempt, Some(2));
        let env = Env { github_token: Some("ghs_two".into()), ..Env::default() };
        assert_eq!(
            resolve(&["1", "-R", "o/r"], &env).unwrap().runs[0].settings.token.as_ref().unwrap().var(),
            "GITHUB_TOKEN"
        );
    }

    #[test]
    fn job_selection_and_conflicts() {
        let env = Env::default();
        let pick = |argv: &[&str]| resolve(argv, &env).map(|c| c.runs[0].target.jobs.clone());
        assert_eq!(pick(&["1", "-R", "o/r"]).unwrap(), JobPick::Failed);
        assert_eq!(pick(&["1", "-R", "o/r", "--all-jobs"]).unwrap(), JobPick::All);
        assert_eq!(pick(&["1", "-R", "o/r", "--job", "release"]).unwrap(), JobPick::Named("release".into()));
        assert_eq!(pick(&["https://github.com/o/r/actions/runs/1/job/9"]).unwrap(), JobPick::Id(9));
        assert!(pick(&["https://github.com/o/r/actions/runs/1/job/9", "--job", "x"]).is_err());
        assert!(pick(&["https://github.com/o/r/actions/runs/1/attempts/2", "--attempt", "3"]).is_err());
        assert!(resolve(&["--job", "x", "-"], &env).is_err());
        assert!(resolve(&["https://github.com/o/r/pull/1"], &env).is_err());
    }

    #[test]
    fn the_github_token_goes_only_to_github_or_to_an_api_the_user_named() {
        let env = Env { gh_token: Some("ghp_one".into()), github_token: Some("ghs_two".into()), ..Env::default() };
        let settings = |argv: &[&str], env: &Env| resolve(argv, env).unwrap().runs[0].settings.clone();
        let var = |s: &Settings| s.token.as_ref().map(|t| t.var().to_string());
        // github.com and GHE.com tenants.
        assert_eq!(var(&settings(&["https://github.com/o/r/actions/runs/1"], &env)).as_deref(), Some("GH_TOKEN"));
        assert_eq!(var(&settings(&["1", "-R", "acme.ghe.com/o/r"], &env)).as_deref(), Some("GH_TOKEN"));
        // Another host named by a run URL, -R or the origin remote: not the github.com token.
        for argv in [&["https://evil.example/o/r/actions/runs/1"][..], &["1", "-R", "evil.example/o/r"][..]] {
            let s = settings(argv, &env);
            assert_eq!(var(&s), None, "{argv:?}");
            assert!(
                s.token_vars.contains("GH_ENTERPRISE_TOKEN") && s.token_vars.contains("evil.example"),
                "{}",
                s.token_vars
            );
        }
        let remote = || Some("https://evil.example/o/r.git".to_string());
        let c = args(&["1"]).resolve_with(&env, &remote).unwrap();
        assert_eq!(var(&c.runs[0].settings), None);
        // Its own variables.
        let ent = Env { gh_enterprise_token: Some("ent".into()), github_enterprise_token: Some("ent2".into()), ..env };
        assert_eq!(
            var(&settings(&["https://ghe.corp/o/r/actions/runs/1"], &ent)).as_deref(),
            Some("GH_ENTERPRISE_TOKEN")
        );
        let ent = Env { gh_enterprise_token: None, ..ent };
        assert_eq!(
            var(&settings(&["https://ghe.corp/o/r/actions/runs/1"], &ent)).as_deref(),
            Some("GITHUB_ENTERPRISE_TOKEN")
        );
        // The API named by the user: --api-url, or GITHUB_API_URL as Actions sets it.
        let env = Env { gh_token: Some("ghp_one".into()), ..Env::default() };
        assert_eq!(
            var(&settings(&["1", "-R", "o/r", "--api-url", "https://ghe.corp/api/v3"], &env)).as_deref(),
            Some("GH_TOKEN")
        );
        let actions = Env { github_api_url: Some("https://ghe.corp/api/v3".into()), ..env };
        assert_eq!(var(&settings(&["1", "-R", "o/r"], &actions)).as_deref(), Some("GH_TOKEN"));
        // ... but a run URL to a third host still wins over GITHUB_API_URL, without the token.
        assert_eq!(var(&settings(&["https://evil.example/o/r/actions/runs/1"], &actions)), None);
    }

    #[test]
    fn api_hosts() {
        assert_eq!(api_host("https://API.github.com"), "api.github.com");
        assert_eq!(api_host("https://ghe.corp:8443/api/v3"), "ghe.corp");
        assert_eq!(api_host("http://127.0.0.1:9/x"), "127.0.0.1");
        assert_eq!(api_host("https://user@api.github.com.evil.example/"), "api.github.com.evil.example");
    }
}
