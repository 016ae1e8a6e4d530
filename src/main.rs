//! The `npm-logdoc` binary: parse, run, map the result to an exit code. The only
//! place that prints errors.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use npm_logdoc::cli::{Cli, Command, PatternsCommand};
use npm_logdoc::error::exit;
use npm_logdoc::pattern::RuleSet;
use npm_logdoc::render::{self, Format};
use npm_logdoc::source::ArchiveLimits;
use npm_logdoc::{Analysis, Error, analyze, analyze_text};

/// The rules to work with; `check` loads the built-ins with every check.
fn rules(dirs: &[std::path::PathBuf], check: bool) -> Result<RuleSet, Error> {
    Ok(match (check, dirs.is_empty()) {
        (true, true) => RuleSet::builtin()?,
        (true, false) => RuleSet::builtin()?.with_dirs(dirs)?,
        (false, true) => RuleSet::builtin_for_analysis()?,
        (false, false) => RuleSet::builtin_for_analysis()?.with_dirs_for_analysis(dirs)?,
    })
}

fn write_out(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Output(e)),
    }
}

fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Analyze(args) => {
            let config = args.resolve()?;
            let rules = rules(&config.pattern_dirs, false)?;
            let Analysis { report, run_url, job_urls, notes } = if config.example {
                let report = analyze_text("release", npm_logdoc::EXAMPLE_LOG, &rules);
                Analysis { report, run_url: None, job_urls: Vec::new(), notes: Vec::new() }
            } else {
                analyze(&config.sources, &config.runs, config.progress, &rules, &ArchiveLimits::default())?
            };
            for note in &notes {
                let _ = writeln!(std::io::stderr().lock(), "npm-logdoc: note: {}", npm_logdoc::redact::shown(note));
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
                return Err(Error::Usage(format!("no cause `{id}`: {hint}")));
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
            let failures = npm_logdoc::pattern::check_examples(&rules);
            if failures.is_empty() {
                let n: usize = rules.rules.iter().map(|r| r.examples.len()).sum();
                write_out(&format!("{} rules valid; {n} examples pass\n", rules.rules.len()))?;
                Ok(exit::OK)
            } else {
                let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
                let n = failures.len();
                Err(Error::Examples(format!(
                    "{n} rule example{} failed:\n  {}",
                    if n == 1 { "" } else { "s" },
                    text.join("\n  ")
                )))
            }
        }
        Command::Comment(args) => {
            let config = args.resolve()?;
            let rules = rules(&config.pattern_dirs, false)?;
            let outcome = npm_logdoc::bot::comment(&config, &rules, &ArchiveLimits::default())?;
            write_out(&outcome.render())?;
            Ok(exit::OK)
        }
        Command::Docs(command) => {
            match npm_logdoc::docs::run(&command)? {
                npm_logdoc::docs::Output::Text(text) => write_out(&text)?,
                npm_logdoc::docs::Output::Written(paths) => {
                    write_out(&paths.iter().map(|p| format!("{}\n", p.display())).collect::<String>())?;
                }
            }
            Ok(exit::OK)
        }
        Command::Patterns(PatternsCommand::Facts) => {
            let mut out = String::new();
            for (name, what) in npm_logdoc::facts::FACT_NAMES {
                out.push_str(&format!("{name:<20} {what}\n"));
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
        return ExitCode::from(npm_logdoc::error::exit::FAILURE as u8);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            let mut err = std::io::stderr().lock();
            // Paths, entry names and job names in a message are text from outside:
            // no control character reaches the terminal, no secret is shown.
            let message = npm_logdoc::redact::shown_lines(&e.to_string());
            let _ = writeln!(err, "npm-logdoc: error: {message}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
