//! Shell completions and man pages, generated from the command line's own
//! definition (clap_complete, clap_mangen), so they never drift from `--help`.
//! The command line is passed in (`Cli::command()`): this module sits below `cli`.

use std::path::{Path, PathBuf};

use clap::{Command, Subcommand};
use clap_complete::Shell;

/// `completions` and `man`, flattened into the top-level commands.
#[derive(Debug, Subcommand)]
pub enum DocsCommand {
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  npm-logdoc completions bash > ~/.local/share/bash-completion/completions/npm-logdoc
  npm-logdoc completions zsh > \"${fpath[1]}/_npm-logdoc\"
  npm-logdoc completions fish > ~/.config/fish/completions/npm-logdoc.fish
  npm-logdoc completions powershell >> $PROFILE")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff), or write one page per command into a folder.
    #[command(after_help = "Examples:
  npm-logdoc man | man -l -
  npm-logdoc man --dir ~/.local/share/man/man1")]
    Man {
        /// Write `npm-logdoc.1` and a page for each subcommand
        /// (`npm-logdoc-analyze.1`, ...) into this folder instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// What a docs command produced: text for standard output, or the files it wrote.
#[derive(Debug)]
pub enum Output {
    Text(String),
    Written(Vec<PathBuf>),
}

/// Runs `completions` or `man` for the command line `cli`.
pub fn run(command: &DocsCommand, cli: Command) -> Result<Output, std::io::Error> {
    match command {
        DocsCommand::Completions { shell } => Ok(Output::Text(completions(*shell, cli))),
        DocsCommand::Man { dir: None } => Ok(Output::Text(man_page(cli))),
        DocsCommand::Man { dir: Some(dir) } => man_pages(dir, cli).map(Output::Written),
    }
}

/// The completion script for `shell`.
pub fn completions(shell: Shell, mut cli: Command) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cli, "npm-logdoc", &mut buf);
    String::from_utf8(buf).expect("clap_complete writes UTF-8")
}

/// The top-level man page, `npm-logdoc(1)`.
pub fn man_page(cli: Command) -> String {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cli).render(&mut buf).expect("rendering into memory cannot fail");
    String::from_utf8(buf).expect("clap_mangen writes UTF-8")
}

/// Writes `npm-logdoc.1` and one page per subcommand into `dir` (created if
/// missing); returns the paths written, top-level page first.
pub fn man_pages(dir: &Path, cli: Command) -> Result<Vec<PathBuf>, std::io::Error> {
    let failed = |e: std::io::Error, path: &Path| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(|e| failed(e, dir))?;
    let mut cmd = cli.disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    let mut stack = vec![cmd];
    while let Some(cmd) = stack.pop() {
        stack.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        let page = clap_mangen::Man::new(cmd);
        let path = dir.join(page.get_filename());
        let mut buf = Vec::new();
        page.render(&mut buf).expect("rendering into memory cannot fail");
        std::fs::write(&path, buf).map_err(|e| failed(e, &path))?;
        written.push(path);
    }
    Ok(written)
}
