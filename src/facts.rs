//! What the log's structure says, beyond single lines: npm and Node versions, the
//! env echo of the failing step, runner type, permissions, which tool published.
//!
//! Facts are gathered in the same streaming pass as the signals (the scanner hands
//! every candidate line here), so they cost nothing on lines no rule cares about.
//! Rules test them with small expressions (`npm_oidc == no`, `token == empty`); the
//! names and values below are the vocabulary of those expressions, and
//! `PATTERNS.md` documents each one.

/// Whether `$s` holds the literal `$needle`, with the searcher built once per call
/// site: `str::contains` sets a new one up on every call, and the facts test dozens
/// of needles on each line they read.
macro_rules! has {
    ($s:expr, $needle:literal) => {
        find!($s, $needle).is_some()
    };
}

/// Where `$s` first holds the literal `$needle` (a byte offset), with the searcher
/// built once per call site, as [`has!`] does.
macro_rules! find {
    ($s:expr, $needle:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        FINDER.find($s.as_bytes())
    }};
}

/// Whether `$s` holds the literal `$code` as a word (not inside a longer token
/// such as a hash), with the searcher built once per call site.
macro_rules! has_word {
    ($s:expr, $code:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($code));
        let s: &str = $s;
        FINDER.find_iter(s.as_bytes()).any(|i| is_word_at(s, i, $code.len()))
    }};
}

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::anatomy::{Level, Speaker};
use crate::normalize::{Line, LineKind};

/// A dotted version such as `11.5.1`, compared numerically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Parses `11.5.1`, `v20.19.4`, `11.5` (missing parts are zero). Suffixes such
    /// as `-rc.1` are ignored.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim().trim_start_matches('v');
        let core = text.split(['-', '+', ' ']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        Some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The first npm release with OIDC trusted publishing.
pub const NPM_OIDC_MIN: Version = Version(11, 5, 1);

/// Whether the npm an install spec (`npm@<spec>`) resolves to does OIDC. npm
/// installs the highest published version a range admits, and releases from
/// 11.5.1 on exist, so a range does when it admits any version from 11.5.1 on
/// (`^11` yes, `11.4.2` and `~11.4.0` no), read as npm reads ranges; the dist-tags
/// `latest` and `next` do (11.5.1 was tagged latest in 2025-07). `None` for what
/// the log cannot tell (another dist-tag, a URL).
fn spec_reaches_oidc(spec: &str) -> Option<bool> {
    let spec = spec.trim().trim_matches(['"', '\'']);
    if spec == "latest" || spec == "next" {
        return Some(true);
    }
    let range = nodejs_semver::Range::parse(spec).ok()?;
    let min = nodejs_semver::Version::parse(NPM_OIDC_MIN.to_string()).ok()?;
    let capable = nodejs_semver::Range::parse(format!(">={min}")).ok()?;
    Some(range.allows_any(&capable))
}

/// npm trusted publishing became generally available.
const TRUSTED_PUBLISHING_GA: &str = "2025-07-31";

/// How the step that failed received `NODE_AUTH_TOKEN`, read from its `env:` echo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenEcho {
    /// `NODE_AUTH_TOKEN: ***`: a real secret was passed.
    Secret,
    /// `NODE_AUTH_TOKEN: ` with nothing after the colon: the secret evaluated to `''`.
    Empty,
    /// setup-node's `XXXXX-XXXXX-XXXXX-XXXXX` placeholder.
    Placeholder,
    /// Some other value in clear text (a `${{ }}` typo, a literal).
    Clear,
    /// The step has an `env:` echo that does not list the variable.
    Absent,
}

impl TokenEcho {
    fn name(self) -> &'static str {
        match self {
            TokenEcho::Secret => "secret",
            TokenEcho::Empty => "empty",
            TokenEcho::Placeholder => "placeholder",
            TokenEcho::Clear => "clear",
            TokenEcho::Absent => "absent",
        }
    }
}

/// What one step's echo showed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StepFacts {
    /// What the step is called: the source's name for it (`gh run view`'s step
    /// column, an archive's step file), else what its `Run` marker names.
    pub name: String,
    /// What the step runs as its `##[group]Run` marker names it (an action such as
    /// `actions/setup-node@v4`, or a script's first line); empty before the marker.
    /// See [`StepFacts::runs`].
    #[serde(skip_serializing_if = "String::is_empty")]
    pub marker: String,
    /// Tools seen printing in this step (see [`Facts::publishers`]).
    #[serde(skip)]
    pub publishers: Vec<&'static str>,
    /// The first line of the step's output or echo, for evidence.
    pub first_line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_auth_token: Option<TokenEcho>,
    /// The step's env echo was seen (so an unlisted token is known to be absent).
    pub env_seen: bool,
    pub npm_userconfig: bool,
    pub npm_token_env: Option<TokenEcho>,
    /// `registry-url:` among the `with:` inputs of a setup-node step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_url: Option<String>,
    pub is_setup_node: bool,
    /// The script echo runs `npm install -g npm@...` (the spec after `@`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npm_upgrade_spec: Option<String>,
    pub script_publishes: bool,
    pub explicit_provenance: bool,
    pub writes_home_npmrc: bool,
    pub npm_version_echo: bool,
    pub failed: bool,
    /// The step publishes: its script or inputs run a publish or release command,
    /// or it printed `Publishing to ...` or a `PUT` request line.
    pub publishes: bool,
}

impl StepFacts {
    /// What the step runs: its `Run` marker's words, else its name without the
    /// `Run ` GitHub puts before the action or command of a step that has no
    /// `name:` (`Run JS-DevTools/npm-publish@v3` in `gh run view`'s step column).
    /// Facts about what a step does read this, never the name a source gave it,
    /// so a log reads the same whether or not its source names the steps.
    pub fn runs(&self) -> &str {
        if !self.marker.is_empty() {
            return &self.marker;
        }
        self.name.strip_prefix("Run ").unwrap_or(&self.name)
    }
}

/// Everything the structure of one job's log says. Filled by [`FactsBuilder`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct Facts {
    pub steps: Vec<StepFacts>,
    /// setup-node's `Environment details` (or a pasted copy of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_node_npm: Option<Version>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_version: Option<Version>,
    /// A version printed by `npm --version` / `npm -v`, the last one seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npm_version_echo: Option<Version>,
    /// The last `npm install -g npm@...`: its spec and whether it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npm_upgrade: Option<(String, Option<bool>)>,
    /// Version printed by a successful global npm install (`+ npm@11.7.0` or the
    /// engine error's target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npm_upgrade_version: Option<Version>,
    /// The error prefix npm used: `ERR!` (npm <= 10.5) or `error` (>= 10.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npm_prefix: Option<&'static str>,
    /// The E404 detail wording family: `no-permission` (npm >= 11.5),
    /// `not-in-registry` (npm 8 .. 11.4), `not-in-npm-registry` (npm <= 7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e404_wording: Option<&'static str>,
    /// `self-hosted`, `github-hosted-larger`, `github-hosted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_source: Option<String>,
    pub id_token_write: bool,
    pub permissions_seen: bool,
    pub publish_reached: bool,
    pub provenance_signed: bool,
    /// Tools seen printing: npm, pnpm, yarn-berry, yarn-classic, changesets,
    /// semantic-release, lerna, npm-publish-action.
    pub publishers: Vec<&'static str>,
    /// The source named the steps (a zip's step files, `gh run view`'s step
    /// column), so even a one-step log is not a nameless fragment.
    #[serde(skip)]
    pub steps_named: bool,
    /// The failing step: the one with the first `##[error]` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<usize>,
    /// The earliest date the log carries (timestamps, npm debug-log paths).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_date: Option<String>,
    /// The workflow means to publish with OIDC (id-token permission seen, an OIDC
    /// mention in a script, a tool's OIDC line).
    pub oidc_intended: bool,
    /// OIDC is named by the workflow's own script or comments (not only implied by
    /// `IdToken: write`, which provenance needs too).
    pub oidc_named: bool,
    /// A tool printed OIDC lines (npm's verbose `oidc` lines, semantic-release's
    /// `Verifying OIDC context`). Tools print them whenever the job can get an ID
    /// token, token jobs that sign provenance included, so a real token secret in
    /// the publish step outweighs them.
    pub oidc_output: bool,
    /// A tool said it wrote a token it was given (semantic-release: `Wrote
    /// NPM_TOKEN to ...`, printed only for a non-empty NPM_TOKEN).
    pub token_written: bool,
    /// The publish stopped for want of a usable credential (see [`is_auth_failure`]).
    pub auth_failure: bool,
    /// How the registry or tool refused the publish, in every tool's words (see
    /// [`REFUSALS`]): the most telling refusal the log shows.
    pub refusal: Option<&'static str>,
    /// The publish ran in a container (a docker build step or a compose service
    /// printed its refusal or its `Publishing to`).
    pub publish_in_container: bool,
    /// pnpm >= 11 printed its own publish lines (native publish with its own OIDC).
    pub pnpm_native: bool,
    /// @semantic-release/npm >= 13.1 printed `Verifying OIDC context`.
    pub semantic_release_oidc: bool,
    /// Host (and port) of the registry npm published to or wanted auth for: the
    /// last `Publishing to <url>`, `logged in to <url>` or `- PUT <url>` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_registry: Option<String>,
    /// The last npm error code: `npm error code EXXX`, else `E<status>` of a
    /// `<status> ... - PUT <url>` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npm_error_code: Option<String>,
    /// What a tool said about the OIDC token exchange: `ok`, `failed`, `skipped`
    /// (no id-token). Only verbose npm, pnpm 11 and semantic-release print it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_exchange: Option<&'static str>,
    /// The method of the last `<status> <text> - <METHOD> <url>` error line:
    /// `GET` (a lookup or install) or `PUT` (the publish itself), ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_method: Option<&'static str>,
    pub lines: u64,
}

/// A fact's value as rule expressions see it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Text(String),
    Version(Version),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Text(t) => f.write_str(t),
            Value::Version(v) => write!(f, "{v}"),
        }
    }
}

/// The values a fact takes, which decide the conditions a rule may write about it.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// True or false: `name` and `!name`.
    Flag,
    /// One word of a closed vocabulary: `name == a|b`, `name != a`.
    Words(&'static [&'static str]),
    /// Free text (a host, a step name, an error code): `==` and `!=`.
    Text,
    /// A dotted version: every comparison, with a version on the right.
    Version,
    /// A `YYYY-MM-DD` date: every comparison, with a date on the right.
    Date,
}

/// One fact: what rules call it, what it takes and means, and how it is read.
pub struct Fact {
    pub name: &'static str,
    pub kind: Kind,
    pub doc: &'static str,
    pub read: fn(&Facts) -> Option<Value>,
}

/// The fact named `name`.
pub fn fact(name: &str) -> Option<&'static Fact> {
    FACTS.iter().find(|f| f.name == name)
}

fn text(s: &str) -> Option<Value> {
    Some(Value::Text(s.to_string()))
}

fn yes_no(b: bool) -> Value {
    Value::Text(if b { "yes" } else { "no" }.into())
}

/// Every fact a rule may test: its name, the values it takes, what it means
/// (shown by `npm-logdoc patterns facts` and in PATTERNS.md), and how it is read
/// from [`Facts`]. Rule conditions are checked against this table when rules
/// load, so a name, a value or a comparison the fact cannot take is refused.
pub const FACTS: &[Fact] = &[
    Fact {
        name: "npm_version",
        kind: Kind::Version,
        doc: "npm version at publish time: an `npm --version` echo, a successful global npm upgrade, else setup-node's Environment details",
        read: |f| f.npm_version().map(Value::Version),
    },
    Fact {
        name: "npm_oidc",
        kind: Kind::Words(&["yes", "no"]),
        doc: "yes/no: could that npm do OIDC (>= 11.5.1)? From npm_version, else the E404 wording, else the `npm ERR!` prefix",
        read: |f| f.npm_oidc().map(yes_no),
    },
    Fact {
        name: "npm_prefix",
        kind: Kind::Words(&["ERR!", "error"]),
        doc: "`ERR!` (npm <= 10.5) or `error` (npm >= 10.6)",
        read: |f| f.npm_prefix.and_then(text),
    },
    Fact {
        name: "e404_wording",
        kind: Kind::Words(&["no-permission", "not-in-registry", "not-in-npm-registry"]),
        doc: "no-permission (npm >= 11.5), not-in-registry (npm 8 .. 11.4), not-in-npm-registry (npm <= 7)",
        read: |f| f.e404_wording.and_then(text),
    },
    Fact {
        name: "node_version",
        kind: Kind::Version,
        doc: "Node version from setup-node's Environment details",
        read: |f| f.node_version.map(Value::Version),
    },
    Fact {
        name: "npm_upgrade",
        kind: Kind::Words(&["ok", "failed", "unknown"]),
        doc: "ok / failed / unknown: the outcome of the last `npm install -g npm@...`",
        read: |f| f.upgrade_state().and_then(text),
    },
    Fact {
        name: "npm_upgrade_spec",
        kind: Kind::Text,
        doc: "what that upgrade asked for (`latest`, `^11.5.1`, ...)",
        read: |f| f.npm_upgrade.as_ref().and_then(|(s, _)| text(s)),
    },
    Fact {
        name: "token",
        kind: Kind::Words(&["secret", "empty", "placeholder", "clear", "absent"]),
        doc: "NODE_AUTH_TOKEN in the failing (else publishing) step's env echo: secret, empty, placeholder, clear, absent",
        read: |f| f.publish_step().map(|s| s.node_auth_token.unwrap_or(TokenEcho::Absent)).and_then(|t| text(t.name())),
    },
    Fact {
        name: "npm_token_env",
        kind: Kind::Words(&["secret", "empty", "clear", "absent"]),
        doc: "NPM_TOKEN (or YARN_NPM_AUTH_TOKEN, or JS-DevTools/npm-publish's `token` input) in that step: secret, empty, clear, absent",
        read: |f| f.publish_step().map(|s| s.npm_token_env.unwrap_or(TokenEcho::Absent)).and_then(|t| text(t.name())),
    },
    Fact {
        name: "userconfig",
        kind: Kind::Flag,
        doc: "NPM_CONFIG_USERCONFIG is set in that env echo (setup-node wrote an .npmrc)",
        read: |f| f.publish_step().map(|s| Value::Bool(s.npm_userconfig)),
    },
    Fact {
        name: "setup_node",
        kind: Kind::Flag,
        doc: "an actions/setup-node step was seen",
        read: |f| Some(Value::Bool(f.steps.iter().any(|s| s.is_setup_node))),
    },
    Fact {
        name: "registry_url",
        kind: Kind::Text,
        doc: "the registry-url input of setup-node (absent when setup-node ran without one)",
        read: |f| {
            let setup: Vec<_> = f.steps.iter().filter(|s| s.is_setup_node).collect();
            if setup.is_empty() {
                None
            } else {
                setup.iter().rev().find_map(|s| s.registry_url.as_deref()).and_then(text)
            }
        },
    },
    Fact {
        name: "writes_home_npmrc",
        kind: Kind::Flag,
        doc: "a script writes ~/.npmrc or $HOME/.npmrc",
        read: |f| Some(Value::Bool(f.steps.iter().any(|s| s.writes_home_npmrc))),
    },
    Fact {
        name: "runner",
        kind: Kind::Words(&["self-hosted", "github-hosted-larger", "github-hosted"]),
        doc: "self-hosted, github-hosted-larger or github-hosted, from Set up job (or a self-hosted work path)",
        read: |f| f.runner.and_then(text),
    },
    Fact {
        name: "secret_source",
        kind: Kind::Words(&["Actions", "Dependabot", "None"]),
        doc: "Actions, Dependabot or None, from Set up job",
        read: |f| f.secret_source.as_deref().and_then(text),
    },
    Fact {
        name: "id_token_write",
        kind: Kind::Flag,
        doc: "GITHUB_TOKEN Permissions lists IdToken: write (absence proves nothing)",
        read: |f| Some(Value::Bool(f.id_token_write)),
    },
    Fact {
        name: "publish_reached",
        kind: Kind::Flag,
        doc: "npm printed `Publishing to ...`: a PUT was sent",
        read: |f| Some(Value::Bool(f.publish_reached)),
    },
    Fact {
        name: "publish_in_container",
        kind: Kind::Flag,
        doc: "the publish ran in a docker build step or a compose service (its lines carry BuildKit's `#12 45.1` or compose's `svc-1  |`), where the runner's OIDC variables do not reach unless passed in",
        read: |f| Some(Value::Bool(f.publish_in_container)),
    },
    Fact {
        name: "provenance_signed",
        kind: Kind::Flag,
        doc: "npm printed `Signed provenance statement`",
        read: |f| Some(Value::Bool(f.provenance_signed)),
    },
    Fact {
        name: "explicit_provenance",
        kind: Kind::Flag,
        doc: "--provenance or NPM_CONFIG_PROVENANCE in a script or env echo",
        read: |f| Some(Value::Bool(f.steps.iter().any(|s| s.explicit_provenance))),
    },
    Fact {
        name: "publisher",
        kind: Kind::Words(&PUBLISHERS),
        doc: "the tool that published: changesets, semantic-release, lerna, pnpm, yarn-berry, yarn-classic, npm-publish-action, bun, npm",
        read: |f| f.publisher().and_then(text),
    },
    Fact {
        name: "failed_step",
        kind: Kind::Text,
        doc: "what the step with the first ##[error] runs: its `Run` marker's action or command, else its name",
        read: |f| f.failed_step.and_then(|i| text(f.steps[i].runs())),
    },
    Fact {
        name: "log_date",
        kind: Kind::Date,
        doc: "the earliest date in the log, YYYY-MM-DD",
        read: |f| f.log_date.as_deref().and_then(text),
    },
    Fact {
        name: "oidc_intended",
        kind: Kind::Flag,
        doc: "the job means to use OIDC: id-token write seen, OIDC named in a script or by the publishing tool",
        read: |f| Some(Value::Bool(f.oidc_intended)),
    },
    Fact {
        name: "structured",
        kind: Kind::Flag,
        doc: "the log has Actions steps: a ##[group]Run marker, or several steps its source named",
        read: |f| Some(Value::Bool(f.structured())),
    },
    Fact {
        name: "auth_failure",
        kind: Kind::Flag,
        doc: "the publish stopped for want of a usable credential: ENEEDAUTH, E401, E404 on PUT, ENONPMTOKEN, EINVALIDNPMTOKEN, yarn YN0033/YN0041, yarn classic `No token found`, or no OIDC ID token (EUSAGE id-token, YN0091)",
        read: |f| Some(Value::Bool(f.auth_failure)),
    },
    Fact {
        name: "refusal",
        kind: Kind::Words(&["token-notice", "no-credential", "masked-404", "forbidden", "rejected"]),
        doc: "how the publish was refused, whatever tool said it: no-credential (ENEEDAUTH, ENONPMTOKEN, YN0033, yarn 1 `No token found`, bun `missing authentication`, no OIDC ID token), rejected (401, EINVALIDNPMTOKEN, YN0041), masked-404 (404 on the PUT), forbidden (403 on the PUT), token-notice (only the registry's `Access token expired or revoked`)",
        read: |f| f.refusal.and_then(text),
    },
    Fact {
        name: "publish_step",
        kind: Kind::Words(&["yes", "no"]),
        doc: "yes/no: does the failing step publish (a publish or release command, `Publishing to`, a PUT request)? Unknown for a fragment",
        read: |f| f.publish_step_state().map(yes_no),
    },
    Fact {
        name: "publisher_oidc",
        kind: Kind::Words(&["yes", "no"]),
        doc: "yes/no: could the tool that published do OIDC? npm and npm wrappers: npm_oidc; pnpm >= 11: yes; pnpm <= 10: the system npm's npm_oidc; yarn classic: no; semantic-release: yes once it printed `Verifying OIDC context`; yarn berry: unknown",
        read: |f| f.publisher_oidc().map(yes_no),
    },
    Fact {
        name: "auth_mode",
        kind: Kind::Words(&["oidc", "token"]),
        doc: "oidc / token: how the publish means to authenticate. oidc when a script or tool names OIDC; else token when NODE_AUTH_TOKEN or NPM_TOKEN is a secret or clear value; oidc when the publishing step passes no real token (placeholder or absent, no NPM_TOKEN, no script writing ~/.npmrc) on or after 2025-07-31 or with IdToken: write, or an empty NODE_AUTH_TOKEN with IdToken: write and no explicit provenance",
        read: |f| f.auth_mode().and_then(text),
    },
    Fact {
        name: "publish_registry",
        kind: Kind::Text,
        doc: "host of the registry npm published to or wanted auth for (`Publishing to`, `logged in to`, `- PUT` URL)",
        read: |f| f.publish_registry.as_deref().and_then(text),
    },
    Fact {
        name: "registry_mismatch",
        kind: Kind::Words(&["yes", "no"]),
        doc: "yes/no: publish_registry differs from the host of setup-node's registry-url (yes also for registry.yarnpkg.com, yarn v1's override, when no registry-url is known)",
        read: |f| f.registry_mismatch().map(yes_no),
    },
    Fact {
        name: "npm_error_code",
        kind: Kind::Text,
        doc: "the last npm error code (`code E404`, `ENEEDAUTH`, ...), else E<status> of a `- PUT` line",
        read: |f| f.npm_error_code.as_deref().and_then(text),
    },
    Fact {
        name: "secret_empty",
        kind: Kind::Words(&["yes", "no"]),
        doc: "yes/no: the publishing step's env echo shows NODE_AUTH_TOKEN or NPM_TOKEN empty (a secret that evaluated to '') and no real token; unknown without an env echo",
        read: |f| f.secret_empty().map(yes_no),
    },
    Fact {
        name: "failed_method",
        kind: Kind::Words(&["GET", "PUT", "POST", "DELETE", "HEAD"]),
        doc: "GET, PUT, ...: the method of the last `<status> <text> - <METHOD> <url>` line npm printed (GET: a lookup or install failed last; PUT: the publish)",
        read: |f| f.failed_method.and_then(text),
    },
    Fact {
        name: "oidc_exchange",
        kind: Kind::Words(&["ok", "failed", "skipped"]),
        doc: "ok / failed / skipped: the OIDC exchange as a tool reported it (verbose npm `oidc` lines, pnpm 11 `Skipped OIDC`, semantic-release); ok also for provenance signed without explicit provenance by an npm that can do OIDC",
        read: |f| f.oidc_exchange().and_then(text),
    },
];

impl Facts {
    /// The step whose env echo speaks for the publish: the failing step if it had
    /// an env echo, else the last step that runs a publish.
    fn publish_step(&self) -> Option<&StepFacts> {
        if let Some(i) = self.failing_publish_step() {
            let step = &self.steps[i];
            if step.env_seen {
                return Some(step);
            }
        }
        self.steps.iter().rev().find(|s| s.script_publishes && s.env_seen)
    }

    /// The log shows Actions steps: a `Run` marker opened one (a fragment that starts
    /// at its step's marker is a step, not a nameless paste), or the source named
    /// more than one. The steps are counted, not their names: a source that names
    /// the one step it holds (`gh run view --log-failed`) says no more about it
    /// than the step's own marker does.
    fn structured(&self) -> bool {
        self.steps.len() > 1 || self.steps.iter().any(|s| !s.marker.is_empty())
    }

    /// The best estimate of the npm version that ran the publish. The E404
    /// wording was printed by that npm itself, so a version it contradicts (setup-
    /// node's npm, replaced by a step the log does not explain) is not reported.
    pub fn npm_version(&self) -> Option<Version> {
        let v = self.npm_version_echo.or(match &self.npm_upgrade {
            // A successful upgrade replaced setup-node's npm; only its own output
            // says which version it installed.
            Some((_, Some(true))) => self.npm_upgrade_version,
            _ => self.setup_node_npm,
        })?;
        let consistent = match self.e404_wording {
            Some("no-permission") => v >= Version(11, 5, 0),
            Some("not-in-registry") => v >= Version(8, 0, 0) && v < Version(11, 5, 0),
            Some("not-in-npm-registry") => v < Version(8, 0, 0),
            _ => true,
        };
        consistent.then_some(v)
    }

    /// Could the publishing npm do OIDC? `None` when the log does not say.
    pub fn npm_oidc(&self) -> Option<bool> {
        if let Some(w) = self.e404_wording {
            return Some(w == "no-permission");
        }
        if let Some(v) = self.npm_version() {
            return Some(v >= NPM_OIDC_MIN);
        }
        if let Some((spec, Some(true))) = &self.npm_upgrade {
            if let Some(capable) = spec_reaches_oidc(spec) {
                return Some(capable);
            }
        }
        match self.npm_prefix {
            Some("ERR!") => Some(false),
            _ => None,
        }
    }

    /// The failing step that speaks for the publish: the first failing step that
    /// publishes, else the first failing step. A step with `continue-on-error` (an
    /// npm upgrade, a lint) can fail before the publish does.
    fn failing_publish_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.failed && s.publishes).or(self.failed_step)
    }

    /// A publish failed: the publishing step (or a fragment) stopped for want of a
    /// credential, or with an npm error that is not a failed lookup.
    pub fn publish_failed(&self) -> bool {
        self.publish_step_state() != Some(false)
            && (self.auth_failure
                || self.refusal.is_some()
                || self.npm_error_code.is_some() && self.failed_method != Some("GET"))
    }

    /// Does the failing step publish? `None` for a fragment without steps or
    /// without a failing step.
    fn publish_step_state(&self) -> Option<bool> {
        if !self.structured() && !self.steps_named {
            return None;
        }
        self.failing_publish_step().map(|i| self.steps[i].publishes)
    }

    /// The tool that published: the most specific one seen in the failing step,
    /// else in the whole job (a yarn install before an npm publish must not make
    /// yarn the publisher).
    pub fn publisher(&self) -> Option<&'static str> {
        self.failing_publish_step()
            .and_then(|i| self.steps[i].publishers.iter().copied().min_by_key(|p| publisher_order(p)))
            .or_else(|| self.publishers.first().copied())
    }

    /// Could the tool that published do OIDC trusted publishing? `None` when the
    /// log does not tell.
    pub fn publisher_oidc(&self) -> Option<bool> {
        match self.publisher() {
            // bun publish has no OIDC (1.4.5; oven-sh/bun#22423).
            Some("yarn-classic" | "bun") => Some(false),
            Some("yarn-berry") => None,
            Some("pnpm") if self.pnpm_native => Some(true),
            Some("semantic-release") => self.semantic_release_oidc.then_some(true),
            _ => self.npm_oidc(),
        }
    }

    /// How the publish means to authenticate: `oidc` or `token`; `None` when the
    /// log does not tell (a pasted fragment, an empty token without OIDC named).
    pub fn auth_mode(&self) -> Option<&'static str> {
        if self.oidc_named {
            return Some("oidc");
        }
        let (node, npm) = match self.publish_step() {
            Some(step) => {
                (step.node_auth_token.unwrap_or(TokenEcho::Absent), step.npm_token_env.unwrap_or(TokenEcho::Absent))
            }
            // A whole job log whose failing step echoed no `env:` at all: no token reached it.
            None if self.structured() && self.failed_step.is_some() => (TokenEcho::Absent, TokenEcho::Absent),
            None if self.token_written => return Some("token"),
            None => return self.oidc_output.then_some("oidc"),
        };
        // `IdToken: write` alone is no proof: token workflows grant it for `--provenance`.
        let real = |t: TokenEcho| matches!(t, TokenEcho::Secret | TokenEcho::Clear);
        if real(node) || real(npm) || self.token_written {
            return Some("token");
        }
        if self.oidc_output {
            return Some("oidc");
        }
        let explicit_provenance = self.steps.iter().any(|s| s.explicit_provenance);
        let tokenless = matches!(node, TokenEcho::Placeholder | TokenEcho::Absent)
            && npm == TokenEcho::Absent
            && !self.steps.iter().any(|s| s.writes_home_npmrc);
        // Before trusted publishing existed, a job without a token simply forgot it.
        let oidc_era = self.log_date.as_deref().is_some_and(|d| d >= TRUSTED_PUBLISHING_GA);
        // Upgrading npm to a release that can do the exchange is done for OIDC.
        let upgraded_for_oidc =
            self.npm_upgrade.as_ref().is_some_and(|(spec, _)| spec_reaches_oidc(spec) == Some(true));
        let oidc = if tokenless {
            oidc_era || self.id_token_write || upgraded_for_oidc
        } else {
            // An ID token with no provenance to sign is for trusted publishing.
            node == TokenEcho::Empty && self.id_token_write && !explicit_provenance
        };
        oidc.then_some("oidc")
    }

    /// Does the publishing step get an empty token secret (and no real one)?
    pub fn secret_empty(&self) -> Option<bool> {
        let step = self.publish_step()?;
        let tokens = [step.node_auth_token, step.npm_token_env];
        let real = tokens.iter().flatten().any(|t| matches!(t, TokenEcho::Secret | TokenEcho::Clear));
        Some(!real && tokens.contains(&Some(TokenEcho::Empty)))
    }

    /// Whether npm's target registry differs from the one setup-node wrote auth for.
    pub fn registry_mismatch(&self) -> Option<bool> {
        let target = self.publish_registry.as_deref()?;
        let configured = self
            .steps
            .iter()
            .rev()
            .filter(|s| s.is_setup_node)
            .find_map(|s| s.registry_url.as_deref())
            .and_then(url_host);
        match configured {
            Some(c) => Some(c != target),
            // yarn v1 points npm at its mirror under `yarn run`; no token is for it.
            None => (target == "registry.yarnpkg.com").then_some(true),
        }
    }

    /// The OIDC exchange outcome a tool printed, or auto-provenance (which only a
    /// successful exchange turns on).
    pub fn oidc_exchange(&self) -> Option<&'static str> {
        if self.oidc_exchange.is_some() {
            return self.oidc_exchange;
        }
        let explicit = self.steps.iter().any(|s| s.explicit_provenance);
        (self.provenance_signed && !explicit && self.npm_oidc() == Some(true)).then_some("ok")
    }

    fn upgrade_state(&self) -> Option<&'static str> {
        self.npm_upgrade.as_ref().map(|(_, ok)| match ok {
            Some(true) => "ok",
            Some(false) => "failed",
            None => "unknown",
        })
    }

    /// The value of fact `name`, or `None` when the log does not tell (or no such
    /// fact exists: rule loading refuses unknown names).
    pub fn get(&self, name: &str) -> Option<Value> {
        fact(name).and_then(|d| (d.read)(self))
    }

    /// Every known fact with a value, for the JSON report and `--explain`-style output.
    pub fn known(&self) -> BTreeMap<&'static str, String> {
        FACTS.iter().filter_map(|d| (d.read)(self).map(|v| (d.name, v.to_string()))).collect()
    }
}

/// The literals of the lines [`FactsBuilder`] needs to see. The scanner adds them
/// to its prefilter, so structure costs nothing on other lines.
pub const FACT_LITERALS: &[&str] = &[
    "##[",
    // a step header copied from the web view (`Run npm publish`)
    "Run ",
    // the header of a step's echoed `env:` block
    "env:",
    "NODE_AUTH_TOKEN",
    "NPM_CONFIG_USERCONFIG",
    "NPM_TOKEN",
    "NPM_AUTH_TOKEN",
    // an action's `token` input (JS-DevTools/npm-publish)
    "token:",
    "NPM_CONFIG_PROVENANCE",
    "npm_config_provenance",
    "registry-url",
    "setup-node",
    "npm: ",
    "node: v",
    "npm install",
    "npm i ",
    "npm@",
    "--version",
    "npm -v",
    "npm version",
    "npm Version",
    "NPM version",
    "Runner name:",
    "Machine name:",
    "Runner Image",
    "actions-runner",
    "Secret source:",
    "IdToken",
    "GITHUB_TOKEN Permissions",
    "Publishing to",
    "Signed provenance",
    "provenance",
    "npm ERR!",
    "npm error",
    "is not in this registry",
    "is not in the npm registry",
    "could not be found or you do not have permission",
    "publish",
    "🦋",
    "semantic-release",
    "lerna ",
    "➤ YN",
    "ERR_PNPM",
    "yarn publish",
    "bun publish",
    "npm-publish",
    "NpmCallError",
    "OIDC",
    "oidc",
    "id-token",
    "_logs/",
    ".npmrc",
    "Environment details",
    "Post job cleanup",
    "ENEEDAUTH",
    "E401",
    "401 Unauthorized",
    "Not Found - PUT",
    "ENONPMTOKEN",
    "EINVALIDNPM",
    "YN0033",
    "YN0041",
    "No authentication configured",
    "No token found",
    "Couldn't publish package",
    "ACTIONS_ID_TOKEN_REQUEST",
    "Provenance generation in GitHub Actions",
    "FAILED_TO_PUBLISH",
    "Skipped OIDC",
    "Published package",
    "- PUT http",
    "Response Code: 401",
    "Verifying OIDC context",
    "📦 ",
    "[E4",
    "[E5",
    " - PUT ",
    " - GET ",
    "logged in to",
    // The outcome of a global npm upgrade (`changed 98 packages in 4s`).
    "packages in ",
    "package in ",
    "up to date",
];

/// The version in a short line that ends `npm version: X.Y.Z` (or `npm version
/// vX.Y.Z`, `npm version is X.Y.Z`), as release scripts print it.
fn script_npm_version(s: &str) -> Option<Version> {
    if s.len() > 60 {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let i = lower.rfind("npm version")?;
    let rest = s[i + "npm version".len()..].trim_start_matches([':', ' ', '=']).trim_start_matches("is ");
    let v = rest.trim().trim_start_matches('v');
    let semver = v.split('.').count() == 3 && v.bytes().all(|c| c.is_ascii_digit() || c == b'.');
    semver.then(|| Version::parse(v)).flatten()
}

/// The host (with port) of `http(s)://host[:port]/...`, lowercased.
fn url_host(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://")?.1;
    let host = rest.split(['/', ' ', '"', '\'']).next()?.to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The status of `... 404 Not Found - PUT https://...` (also `E404 Not Found`,
/// `[E404] 404 ...`): the last three-digit word before ` - PUT `.
fn put_status(s: &str) -> Option<&str> {
    let before = &s[..find!(s, " - PUT ")?];
    before
        .split_whitespace()
        .rev()
        .map(|w| w.trim_matches(|c: char| c == '[' || c == ']' || c == ':').trim_start_matches('E'))
        .find(|w| w.len() == 3 && w.bytes().all(|c| c.is_ascii_digit()))
}

/// The method of a registry error line `404 Not Found - GET https://...`.
fn failed_request_method(s: &str) -> Option<&'static str> {
    static DASH: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(" - "));
    DASH.find_iter(s.as_bytes()).find_map(|i| {
        let rest = &s[i + 3..];
        let method = ["GET", "PUT", "POST", "DELETE", "HEAD"]
            .into_iter()
            .find(|m| rest.strip_prefix(m).is_some_and(|r| r.starts_with(" http")))?;
        s[..i]
            .split_whitespace()
            .any(|w| {
                let w = w.trim_matches(|c: char| c == '[' || c == ']' || c == ':').trim_start_matches('E');
                w.len() == 3 && w.starts_with(['4', '5']) && w.bytes().all(|c| c.is_ascii_digit())
            })
            .then_some(method)
    })
}

/// What an OIDC line says about the exchange, if it is one.
fn oidc_line(s: &str) -> Option<&'static str> {
    const OK: &[&str] =
        &["oidc Successfully retrieved and set token", "OIDC token exchange with the npm registry succeeded"];
    const SKIPPED: &[&str] = &[
        "Skipped because incorrect permissions for id-token",
        "Skipped because no id_token available",
        "ERR_PNPM_ID_TOKEN_GITHUB_WORKFLOW_INCORRECT_PERMISSIONS",
        "Unable to get ACTIONS_ID_TOKEN_REQUEST",
        "Retrieval of GitHub Actions OIDC token failed",
        "please set workflow permissions for `id-token: write`",
    ];
    const FAILED: &[&str] = &[
        "oidc Failed token exchange request",
        "oidc Failed because token exchange was missing the token",
        "oidc Failed to fetch id_token",
        "ERR_PNPM_AUTH_TOKEN_EXCHANGE",
        "ERR_PNPM_AUTH_TOKEN_FETCH",
        "ERR_PNPM_ID_TOKEN_GITHUB_INVALID_RESPONSE",
        "OIDC token exchange with the npm registry failed",
        "OIDC token exchange failure",
        "Registry body response error message",
    ];
    // One automaton over the three lists; the first list with a needle in the
    // line decides (an `ok` line outranks the rest, as the lists are ordered).
    static NEEDLES: std::sync::LazyLock<(aho_corasick::AhoCorasick, Vec<&'static str>)> =
        std::sync::LazyLock::new(|| {
            let lists: [(&'static str, &[&str]); 3] = [("ok", OK), ("skipped", SKIPPED), ("failed", FAILED)];
            let outcome = lists.iter().flat_map(|(o, l)| l.iter().map(move |_| *o)).collect();
            let needles: Vec<&str> = lists.iter().flat_map(|(_, l)| l.iter().copied()).collect();
            (aho_corasick::AhoCorasick::new(needles).expect("the OIDC needles build"), outcome)
        });
    let (ac, outcome) = &*NEEDLES;
    let found = ac.find_overlapping_iter(s).map(|m| m.pattern().as_usize()).min()?;
    Some(outcome[found])
}

/// Whether the `len` bytes at `i` of `s` stand as a word: no ASCII letter or digit
/// right before or after them.
fn is_word_at(s: &str, i: usize, len: usize) -> bool {
    let b = s.as_bytes();
    let before = i.checked_sub(1).map(|j| b[j]);
    let after = b.get(i + len).copied();
    !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
}

/// An output line saying the publish stopped for want of a usable credential: none
/// at all, one the registry rejected, or no OIDC ID token from GitHub.
pub fn is_auth_failure(s: &str) -> bool {
    has_word!(s, "ENEEDAUTH")
        || has_word!(s, "E401")
        || has!(s, "401 Unauthorized")
        || has!(s, "Response Code: 401")
        || has!(s, "Not Found - PUT")
        || has_word!(s, "ENONPMTOKEN")
        || has_word!(s, "EINVALIDNPMTOKEN")
        || has_word!(s, "EINVALIDNPMAUTH")
        || has!(s, "YN0033")
        || has!(s, "No authentication configured for request")
        || has!(s, "YN0041")
        || has!(s, "No token found and can't prompt for login")
        || has!(s, "Couldn't publish package") && (has!(s, "Not found") || has!(s, "Unauthorized"))
        || has!(s, "FAILED_TO_PUBLISH") && (has!(s, "status 401") || has!(s, "status 404"))
        || has!(s, "requires \"write\" access to the \"id-token\" permission")
        || has!(s, "Provenance generation in GitHub Actions requires")
        || (s.starts_with("##[error]") || s.starts_with("Error: ")) && has!(s, "Unable to get ACTIONS_ID_TOKEN_REQUEST")
}

/// pnpm >= 11 renders registry errors as `[E404] 404 Not Found - PUT ...`.
fn pnpm_error_badge(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 6 && b[0] == b'[' && b[1] == b'E' && b[2..5].iter().all(u8::is_ascii_digit) && b[5] == b']'
}

/// Output only a publishing step prints: npm's `Publishing to` and a PUT request,
/// the `need auth` of a publish, and the publishing lines of changesets,
/// semantic-release, lerna, pnpm 11 and JS-DevTools/npm-publish.
fn publishing_output(s: &str) -> bool {
    has!(s, "Publishing to ")
        || has!(s, "- PUT http")
        || has!(s, "This command requires you to be logged in to")
        || has!(s, "🦋  info Publishing ")
        || has!(s, "[semantic-release]")
        || s.starts_with("lerna info publish")
        || s.starts_with("📦 ") && has!(s, " → ")
        || has!(s, "NpmCallError")
}

/// A step name or script line that publishes or releases.
fn names_publish(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    has!(t, "publish") || has!(t, "release")
}

/// A script line that publishes or runs a release: the words [`RELEASE_WORDS`]
/// (the scanner feeds the lines holding them to the facts).
fn script_releases(code: &str) -> bool {
    static WORDS: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| aho_corasick::AhoCorasick::new(RELEASE_WORDS).expect("the release words build"));
    WORDS.is_match(code)
}

/// Script words that start a publish or a release.
pub const RELEASE_WORDS: &[&str] =
    &["publish", "run release", "semantic-release", "release-it", "nx release", "changeset version", "lerna version"];

/// A script line that runs `pnpm ... publish` (not `pnpm run publish`).
fn runs_pnpm_publish(code: &str) -> bool {
    let words: Vec<&str> = code.split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == "pnpm")
        .is_some_and(|i| words.get(i + 1).is_none_or(|w| *w != "run") && words[i + 1..].contains(&"publish"))
}

/// Collects [`Facts`] from classified lines, one job at a time.
#[derive(Default)]
pub struct FactsBuilder {
    facts: Facts,
    expect_version: u8,
    in_permissions: bool,
}

fn token_echo(value: &str) -> TokenEcho {
    let v = value.trim();
    if v.is_empty() {
        TokenEcho::Empty
    } else if v == "***" {
        TokenEcho::Secret
    } else if v.starts_with("XXXXX-XXXXX") {
        TokenEcho::Placeholder
    } else {
        TokenEcho::Clear
    }
}

/// The tools a publish can go through, ordered by how specific they are: a
/// wrapper over npm names the path.
pub const PUBLISHERS: [&str; 9] = [
    "semantic-release",
    "changesets",
    "lerna",
    "yarn-berry",
    "pnpm",
    "npm-publish-action",
    "yarn-classic",
    "bun",
    "npm",
];

fn publisher_order(p: &str) -> usize {
    PUBLISHERS.iter().position(|o| *o == p).unwrap_or(PUBLISHERS.len())
}

/// What each tool prints when a publish is refused, by kind of refusal, weakest
/// first: a later kind outranks an earlier one in the same log. Matched on a
/// line's message (wrappers and the tool's prefix peeled), so every tool's and
/// wrapper's shape reads the same.
pub const REFUSALS: &[(&str, &[&str])] = &[
    ("token-notice", &["Access token expired or revoked"]),
    (
        "no-credential",
        &[
            "code ENEEDAUTH",
            "ENEEDAUTH ",
            ": ENEEDAUTH",
            "ENONPMTOKEN",
            "YN0033: No authentication configured",
            "No token found and can't prompt for login",
            "missing authentication (run",
            "requires \"write\" access to the \"id-token\" permission",
            "Provenance generation in GitHub Actions requires",
            // npm's ENEEDAUTH summary relayed without npm's prefix (nx release publish)
            "requires you to be logged in to http",
        ],
    ),
    (
        "masked-404",
        &[
            "Not Found - PUT",
            "code E404",
            "E404 Not found",
            "404 Not Found: http",
            "does not exist in this registry",
            // npm's E404 summary relayed without npm's prefix (nx release publish)
            "Not Found - PUT http",
            // yarn 1: `error Couldn't publish package: "<url>: Not found"`
            ": Not found\"",
        ],
    ),
    ("forbidden", &["Forbidden - PUT", "code E403", "403 Forbidden: http", "Forbidden - PUT http"]),
    (
        "rejected",
        &[
            "code E401",
            "401 Unauthorized",
            "EINVALIDNPMTOKEN",
            "EINVALIDNPMAUTH",
            "YN0041: Invalid authentication",
            "Response Code: 401",
        ],
    ),
];

/// The refusal a line reports, if any (see [`REFUSALS`]). A bare code (`ENEEDAUTH `,
/// `code E404`) counts only on a tool's or an error line; a whole sentence anywhere.
fn refusal_of(line: &Line<'_>) -> Option<(usize, &'static str)> {
    static WORDS: std::sync::OnceLock<(aho_corasick::AhoCorasick, Vec<(usize, &'static str)>)> =
        std::sync::OnceLock::new();
    let (ac, kinds) = WORDS.get_or_init(|| {
        let mut words = Vec::new();
        let mut kinds = Vec::new();
        for (rank, (_, list)) in REFUSALS.iter().enumerate() {
            for w in *list {
                words.push(*w);
                kinds.push((rank, *w));
            }
        }
        (aho_corasick::AhoCorasick::new(words).expect("plain words build"), kinds)
    });
    let tool_line = line.speaker != Speaker::Unknown || line.level == Some(Level::Error);
    ac.find_overlapping_iter(line.message)
        .map(|m| kinds[m.pattern().as_usize()])
        .filter(|(_, w)| tool_line || w.len() >= 16 && w.contains(' '))
        .map(|(rank, _)| (rank, REFUSALS[rank].0))
        .max_by_key(|(rank, _)| *rank)
}

fn push_unique(list: &mut Vec<&'static str>, item: &'static str) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A `YYYY-MM-DD` at the start of `s`.
fn leading_date(s: &str) -> Option<&str> {
    let d = s.get(..10)?;
    let b = d.as_bytes();
    let ok = b.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        _ => c.is_ascii_digit(),
    });
    ok.then_some(d)
}

impl FactsBuilder {
    pub fn new() -> FactsBuilder {
        let mut b = FactsBuilder::default();
        b.facts.steps.push(StepFacts { name: "Set up job".into(), ..StepFacts::default() });
        b
    }

    /// Starts step `index`, named by the source (a zip step file, `gh run view`'s
    /// step column) rather than by its marker. [`Structure::named_step`] numbers
    /// it: the first one takes the place of the lines before any step.
    ///
    /// [`Structure::named_step`]: crate::normalize::Structure::named_step
    pub fn start_named_step(&mut self, index: usize, name: &str, line: u64) {
        self.facts.steps_named = true;
        let step = StepFacts {
            name: name.to_string(),
            first_line: line,
            publishes: names_publish(name),
            ..StepFacts::default()
        };
        match self.facts.steps.get_mut(index) {
            Some(unnamed) => *unnamed = step,
            None => self.facts.steps.push(step),
        }
    }

    /// The lines after a `npm --version` echo are its output: the scanner feeds
    /// them to the facts whether or not they hold a fact literal.
    pub fn wants_next_line(&self) -> bool {
        self.expect_version > 0
    }

    pub fn step_name(&self, index: usize) -> &str {
        &self.facts.steps[index].name
    }

    /// Notes the date of a timestamp prefix (only the first is kept).
    pub fn saw_timestamp(&mut self, stamp: &str) {
        if self.facts.log_date.is_none() {
            if let Some(d) = leading_date(stamp) {
                self.facts.log_date = Some(d.to_string());
            }
        }
    }

    /// Feeds one candidate line. `raw_echo` is true when the runner coloured it as
    /// a script echo.
    pub fn line(&mut self, line: &Line<'_>) {
        let text = line.text;
        let trimmed = text.trim();
        match line.kind {
            LineKind::StepStart => {
                let runs = crate::normalize::run_marker(text);
                // The marker begins its step, unless the source named the step
                // (then the marker only says what the step runs).
                while self.facts.steps.len() <= line.step {
                    let name = runs.to_string();
                    self.facts.steps.push(StepFacts { name, first_line: line.number, ..StepFacts::default() });
                }
                let step = self.facts.steps.last_mut().expect("a step always exists");
                step.is_setup_node |= runs.starts_with("actions/setup-node@");
                step.publishes |= names_publish(runs);
                // A composite action's inner markers stay inside its step.
                if step.marker.is_empty() {
                    step.marker = runs.to_string();
                }
                self.in_permissions = false;
                return;
            }
            LineKind::Env => {
                let step = self.facts.steps.last_mut().expect("a step always exists");
                step.env_seen = true;
                if let Some((key, value)) = trimmed.split_once(':') {
                    match key.trim() {
                        "NODE_AUTH_TOKEN" => step.node_auth_token = Some(token_echo(value)),
                        // A token given the yarn berry way counts like NPM_TOKEN.
                        "NPM_TOKEN" | "YARN_NPM_AUTH_TOKEN" => step.npm_token_env = Some(token_echo(value)),
                        "NPM_CONFIG_USERCONFIG" => step.npm_userconfig = true,
                        "NPM_CONFIG_PROVENANCE" | "npm_config_provenance" => {
                            step.explicit_provenance |= value.trim() == "true"
                        }
                        _ => {}
                    }
                }
                return;
            }
            LineKind::With => {
                let step = self.facts.steps.last_mut().expect("a step always exists");
                let Some((key, value)) = trimmed.split_once(':') else { return };
                let value = value.trim();
                match key.trim() {
                    "publish" => step.publishes |= !value.is_empty(),
                    // JS-DevTools/npm-publish takes the npm token as its `token` input.
                    "token" if step.runs().to_ascii_lowercase().starts_with("js-devtools/npm-publish@") => {
                        step.npm_token_env = Some(token_echo(value));
                        step.env_seen = true;
                    }
                    "registry-url" if !value.is_empty() => step.registry_url = Some(value.to_string()),
                    _ => {}
                }
                return;
            }
            LineKind::Echo => {
                // The header of the step's `env:` block: the env is echoed, so a
                // token variable missing from it is absent.
                if trimmed == "env:" {
                    self.facts.steps.last_mut().expect("a step always exists").env_seen = true;
                    return;
                }
                self.script_line(trimmed);
                return;
            }
            // A tool's line quoted by a test's diff, a string or a deep indent says
            // nothing about this job's own publish.
            LineKind::Output if line.quoted => return,
            LineKind::Output => {}
        }
        self.output_line(trimmed, line);
    }

    fn script_line(&mut self, s: &str) {
        let step = self.facts.steps.last_mut().expect("a step always exists");
        let code = s.split(" #").next().unwrap_or(s);
        if s.starts_with('#') {
            if has!(s, "OIDC") || has!(s, "oidc") || has!(s, "trusted publish") {
                self.facts.oidc_intended = true;
                self.facts.oidc_named = true;
            }
            return;
        }
        if has!(code, "OIDC") || has!(code, "id-token") {
            self.facts.oidc_intended = true;
            self.facts.oidc_named = true;
        }
        for prefix in [
            "npm install -g npm@",
            "npm i -g npm@",
            "npm install --global npm@",
            "npm i --global npm@",
            "npm install -g npm ",
            "npm update -g npm",
        ] {
            if let Some(rest) = code.find(prefix).map(|i| &code[i + prefix.len()..]) {
                let spec = rest.split_whitespace().next().unwrap_or("latest").trim_matches(['"', '\'']);
                let spec = if prefix.ends_with('@') { spec } else { "latest" };
                step.npm_upgrade_spec = Some(spec.to_string());
                self.facts.npm_upgrade = Some((spec.to_string(), None));
                self.facts.npm_upgrade_version = None;
            }
        }
        if has!(code, "npm --version") || has!(code, "npm -v") {
            step.npm_version_echo = true;
            self.expect_version = 3;
        }
        if has!(code, "publish") {
            step.script_publishes = true;
        }
        if script_releases(code) {
            step.publishes = true;
        }
        if has!(code, "bun publish") {
            push_unique(&mut step.publishers, "bun");
            push_unique(&mut self.facts.publishers, "bun");
        }
        if runs_pnpm_publish(code) {
            push_unique(&mut step.publishers, "pnpm");
            push_unique(&mut self.facts.publishers, "pnpm");
        }
        if has!(code, "--provenance") && !has!(code, "--provenance=false") && !has!(code, "--no-provenance") {
            step.explicit_provenance = true;
        }
        if (has!(code, "~/.npmrc") || has!(code, "$HOME/.npmrc") || has!(code, "${HOME}/.npmrc"))
            && (code.contains('>') || has!(code, "tee"))
        {
            step.writes_home_npmrc = true;
        }
    }

    fn output_line(&mut self, s: &str, line: &Line<'_>) {
        // npm's lifecycle banner echoes the script it runs (`> npm publish --provenance`).
        if let Some(cmd) = line.message.strip_prefix("> ") {
            if has!(cmd, "--provenance") && !has!(cmd, "--provenance=false") && !has!(cmd, "--no-provenance") {
                self.facts.steps.last_mut().expect("a step always exists").explicit_provenance = true;
            }
        }
        // The runner's and setup-node's own lines are read by their shape, also
        // when a relaying tool labelled them.
        let s = crate::anatomy::peel_labels(s).trim();
        let f = &mut self.facts;
        // A bare version after an `npm --version` echo.
        if self.expect_version > 0 {
            if let Some(v) = Version::parse(s).filter(|_| s.bytes().all(|c| c.is_ascii_digit() || c == b'.')) {
                f.npm_version_echo = Some(v);
                self.expect_version = 0;
            } else if !s.is_empty() {
                self.expect_version -= 1;
            }
        }
        // A script's own report: `npm version: 11.7.0`, `Updated npm version: 11.7.0`.
        if let Some(v) = script_npm_version(s) {
            f.npm_version_echo = Some(v);
        }
        if is_auth_failure(s) {
            f.auth_failure = true;
        }
        if line.container && (publishing_output(s) || has!(s, "Publishing to")) {
            f.publish_in_container = true;
        }
        if let Some((rank, kind)) = refusal_of(line) {
            f.publish_in_container |= line.container;
            let current = f.refusal.and_then(|k| REFUSALS.iter().position(|(r, _)| *r == k));
            if current.is_none_or(|c| rank > c) {
                f.refusal = Some(kind);
            }
        }
        if let Some(rest) = s.strip_prefix("##[") {
            if rest.starts_with("error]") {
                let idx = f.steps.len() - 1;
                f.failed_step.get_or_insert(idx);
                f.steps[idx].failed = true;
                // The upgrade step failed before printing a summary.
                if f.steps[idx].npm_upgrade_spec.is_some() {
                    if let Some((_, state @ None)) = &mut f.npm_upgrade {
                        *state = Some(false);
                    }
                }
            }
            if rest.starts_with("group]GITHUB_TOKEN Permissions") {
                self.in_permissions = true;
                f.permissions_seen = true;
            } else if rest.starts_with("endgroup]") {
                self.in_permissions = false;
            } else if rest.starts_with("group]Runner Image") && f.runner.is_none() {
                f.runner = Some("github-hosted");
            }
            return;
        }
        if s == "GITHUB_TOKEN Permissions" {
            self.in_permissions = true;
            f.permissions_seen = true;
            return;
        }
        if self.in_permissions || s.starts_with("IdToken:") {
            if let Some(v) = s.strip_prefix("IdToken:") {
                if v.trim() == "write" {
                    f.id_token_write = true;
                    f.oidc_intended = true;
                }
            }
        }
        if let Some(v) = s.strip_prefix("npm: ") {
            if let Some(v) = Version::parse(v).filter(|_| v.trim().bytes().all(|c| c.is_ascii_digit() || c == b'.')) {
                f.setup_node_npm = Some(v);
            }
        } else if let Some(v) = s.strip_prefix("node: v") {
            f.node_version = Version::parse(v);
        } else if s.starts_with("Machine name:") {
            f.runner = Some("self-hosted");
        } else if s.starts_with("Runner name:") {
            if f.runner != Some("self-hosted") {
                f.runner = Some("github-hosted-larger");
            }
        } else if let Some(v) = s.strip_prefix("Secret source:") {
            f.secret_source = Some(v.trim().to_string());
        }
        if has!(s, "/actions-runner/_work/") || has!(s, "\\actions-runner\\_work\\") {
            f.runner = Some("self-hosted");
        }
        // npm's own lines, possibly nested inside a tool's prefix.
        if has!(s, "npm ERR!") {
            f.npm_prefix.get_or_insert("ERR!");
        } else if has!(s, "npm error ") || s.ends_with("npm error") {
            f.npm_prefix.get_or_insert("error");
        }
        if has!(s, "could not be found or you do not have permission to access it") {
            f.e404_wording = Some("no-permission");
        } else if has!(s, "is not in this registry") {
            f.e404_wording = Some("not-in-registry");
        } else if has!(s, "is not in the npm registry") {
            f.e404_wording = Some("not-in-npm-registry");
        }
        if has!(s, "Publishing to http") || has!(s, "Publishing to registry") {
            f.publish_reached = true;
        }
        if publishing_output(s) {
            let idx = f.steps.len() - 1;
            f.steps[idx].publishes = true;
        }
        // Where npm published or wanted auth, and the error code it ended with.
        let markers = [
            find!(s, "Publishing to ").map(|i| i + "Publishing to ".len()),
            find!(s, "logged in to ").map(|i| i + "logged in to ".len()),
            find!(s, " - PUT ").map(|i| i + " - PUT ".len()),
        ];
        for at in markers.into_iter().flatten() {
            if let Some(host) = url_host(&s[at..]) {
                f.publish_registry = Some(host);
            }
        }
        if let Some(rest) = line
            .message
            .strip_prefix("code ")
            .filter(|_| line.speaker == Speaker::Npm && line.level == Some(Level::Error))
        {
            // npm's codes start with E (`E404`, `ENEEDAUTH`); `code 1` is a script's exit status.
            if let Some(code) = rest.split_whitespace().next().filter(|c| c.starts_with('E')) {
                f.npm_error_code = Some(code.to_string());
            }
        } else if let Some(status) = put_status(line.message) {
            f.npm_error_code = Some(format!("E{status}"));
        } else if let Some(code) = s.strip_prefix("lerna ERR! ").and_then(|r| r.split_whitespace().next()) {
            // lerna's own summary of npm's failure: `lerna ERR! E404 Not found`.
            if code.len() > 2
                && code.starts_with('E')
                && code.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            {
                f.npm_error_code = Some(code.to_string());
            }
        }
        if let Some(outcome) = oidc_line(s) {
            f.oidc_exchange = Some(outcome);
        }
        if let Some(method) = failed_request_method(line.message) {
            f.failed_method = Some(method);
        }
        if has!(s, "Skipped OIDC")
            || has!(s, "✅ Published package")
            || has!(s, "ERR_PNPM_FAILED_TO_PUBLISH")
            || s.starts_with("[ERR_PNPM_")
            || pnpm_error_badge(s)
            || has!(s, "ERR_PNPM_ID_TOKEN_")
            || has!(s, "ERR_PNPM_AUTH_TOKEN_")
        {
            f.pnpm_native = true;
        }
        if has!(s, "Wrote NPM_TOKEN to") {
            f.token_written = true;
        }
        if has!(s, "Verifying OIDC context") {
            f.semantic_release_oidc = true;
        }
        if has!(s, "Signed provenance statement") || has!(s, "Provenance statement published to transparency log") {
            f.provenance_signed = true;
        }
        // The outcome of a global npm upgrade.
        if let Some((_, state)) = &mut f.npm_upgrade {
            let in_upgrade_step = f.steps.last().is_some_and(|st| st.npm_upgrade_spec.is_some());
            if state.is_none() {
                if has!(s, "EBADENGINE")
                    || has!(s, "notsup Not compatible with your version of node/npm: npm@")
                    // Any npm error in the upgrade's own step (EACCES, ETARGET, a network error).
                    || in_upgrade_step && (s.starts_with("npm error code ") || s.starts_with("npm ERR! code "))
                {
                    *state = Some(false);
                } else if (s.starts_with("added ")
                    || s.starts_with("changed ")
                    || s.starts_with("removed ")
                    || s.starts_with("up to date"))
                    && (has!(s, " package") || s.starts_with("up to date"))
                {
                    *state = Some(true);
                } else if let Some(v) = s.strip_prefix("+ npm@") {
                    *state = Some(true);
                    f.npm_upgrade_version = Version::parse(v);
                }
            }
        }
        if let Some(i) = find!(s, "_logs/") {
            if let Some(d) = leading_date(&s[i + 6..]) {
                if f.log_date.as_deref().is_none_or(|cur| d < cur) {
                    f.log_date = Some(d.to_string());
                }
            }
        }
        // Which tool published.
        let publisher = if has!(s, "🦋") {
            Some("changesets")
        } else if has!(s, "[semantic-release]") || has!(s, "@semantic-release/") {
            Some("semantic-release")
        } else if s.starts_with("lerna ") {
            Some("lerna")
        } else if has!(s, "➤ YN") {
            Some("yarn-berry")
        } else if has!(s, "ERR_PNPM") || has!(s, "Skipped OIDC") {
            Some("pnpm")
        } else if has!(s, "NpmCallError") || has!(s, "npm-publish") && has!(s, "Error:") {
            Some("npm-publish-action")
        } else if line.speaker == Speaker::Bun
            || line.message.starts_with("missing authentication (run `bunx npm login`)")
            // bun's own wording for a refused PUT (npm says `is not in this registry`)
            || line.message.ends_with("' does not exist in this registry")
        {
            Some("bun")
        } else if s.starts_with("yarn publish v1.")
            || has!(s, "No token found and can't prompt for login")
            || s.starts_with("error Couldn't publish package")
        {
            Some("yarn-classic")
        } else if has!(s, "npm ERR!") || has!(s, "npm error") || has!(s, "npm notice") {
            Some("npm")
        } else {
            None
        };
        if let Some(p) = publisher {
            push_unique(&mut f.publishers, p);
            let step = f.steps.last_mut().expect("a step always exists");
            push_unique(&mut step.publishers, p);
        }
        if has!(s, "OIDC is available") || has!(s, "Verifying OIDC context") || has!(s, "oidc") && s.starts_with("npm ")
        {
            f.oidc_intended = true;
            f.oidc_output = true;
        }
    }

    pub fn finish(mut self, lines: u64) -> Facts {
        self.facts.lines = lines;
        // A 404 whose last failing request was a GET is a lookup or an install that
        // failed, not a refused publish.
        if self.facts.refusal == Some("masked-404") && self.facts.failed_method == Some("GET") {
            self.facts.refusal = None;
        }
        // A pasted fragment has no steps: its lines belong to no named step.
        if self.facts.steps.len() == 1
            && self.facts.steps[0].name == "Set up job"
            && self.facts.runner.is_none()
            && !self.facts.permissions_seen
        {
            self.facts.steps[0].name = String::new();
        }
        self.facts.publishers.sort_by_key(|p| publisher_order(p));
        self.facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Structure;

    /// Facts of a log written as the scanner sees it: timestamps already stripped,
    /// script echoes still coloured.
    fn facts_of(log: &str) -> Facts {
        facts_named(None, log)
    }

    /// [`facts_of`], with the log's one step named by its source first, as
    /// `gh run view --log-failed` or an archive's step file names it.
    fn facts_named(step: Option<&str>, log: &str) -> Facts {
        let mut b = FactsBuilder::new();
        let mut structure = Structure::default();
        if let Some(name) = step {
            b.start_named_step(structure.named_step(), name, 1);
        }
        for (i, raw) in log.lines().enumerate() {
            let echo = raw.starts_with("\x1b[36;1m");
            let text = raw.trim_start_matches("\x1b[36;1m").trim_end_matches("\x1b[0m");
            let kind = structure.classify(text, echo, true);
            let anatomy = crate::anatomy::anatomy(text);
            b.line(&Line { step: structure.step(), ..Line::single(i as u64 + 1, text, kind, &anatomy) });
        }
        b.finish(log.lines().count() as u64)
    }

    fn fact(f: &Facts, name: &str) -> Option<String> {
        f.get(name).map(|v| v.to_string())
    }

    #[test]
    fn an_upgrade_spec_reaches_oidc_only_when_every_version_it_admits_does() {
        assert_eq!(spec_reaches_oidc("latest"), Some(true));
        assert_eq!(spec_reaches_oidc("11.4.2"), Some(false));
        assert_eq!(spec_reaches_oidc("11.5.1"), Some(true));
        assert_eq!(spec_reaches_oidc("^11"), Some(true), "npm installs the highest 11.x");
        assert_eq!(spec_reaches_oidc("~11.4.0"), Some(false));
        assert_eq!(spec_reaches_oidc("^11.5.1"), Some(true));
        assert_eq!(spec_reaches_oidc(">=11.5.1"), Some(true));
        assert_eq!(spec_reaches_oidc("12"), Some(true));
        assert_eq!(spec_reaches_oidc("10"), Some(false));
        assert_eq!(spec_reaches_oidc("'11.7.0'"), Some(true));
        assert_eq!(spec_reaches_oidc("beta"), None);
    }

    #[test]
    fn the_publisher_is_the_tool_of_the_failing_step() {
        let log = "##[group]Run yarn install --immutable\n\x1b[36;1myarn install --immutable\x1b[0m\n##[endgroup]\n\
                   ➤ YN0000: · Yarn 4.5.0\n➤ YN0000: └ Completed\n\
                   ##[group]Run npm publish\n\x1b[36;1mnpm publish\x1b[0m\n##[endgroup]\n\
                   npm error code ENEEDAUTH\n##[error]Process completed with exit code 1.";
        let f = facts_of(log);
        assert_eq!(fact(&f, "publisher").as_deref(), Some("npm"));
        // Without a failing step, the most specific tool of the job speaks.
        let f = facts_of("➤ YN0033: No authentication configured for request\nnpm notice hello");
        assert_eq!(fact(&f, "publisher").as_deref(), Some("yarn-berry"));
    }

    #[test]
    fn auth_failure_needs_a_credential_error_not_a_lookalike() {
        for line in [
            "npm error code ENEEDAUTH",
            "npm ERR! 404 Not Found - PUT https://registry.npmjs.org/x - Not found",
            "[semantic-release] › ✘  ENONPMTOKEN No npm token specified.",
            "➤ YN0033: No authentication configured for request",
            "error No token found and can't prompt for login when running with --non-interactive.",
            "npm error Provenance generation in GitHub Actions requires \"write\" access to the \"id-token\" permission",
            "##[error]Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable",
        ] {
            assert!(facts_of(line).auth_failure, "{line}");
        }
        for line in [
            "npm notice integrity: sha512-Qx9E401abc==",
            "npm error 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found",
            "[@semantic-release/npm] › ℹ  Retrieval of GitHub Actions OIDC token failed: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable",
            "npm error code E422",
        ] {
            assert!(!facts_of(line).auth_failure, "{line}");
        }
    }

    #[test]
    fn publish_step_reads_the_failing_step() {
        let install = "##[group]Run npm ci\n\x1b[36;1mnpm ci\x1b[0m\n##[endgroup]\nnpm error code ECONNRESET\n##[error]Process completed with exit code 1.";
        assert_eq!(fact(&facts_of(install), "publish_step").as_deref(), Some("no"));
        let publish = "##[group]Run npm ci\n##[endgroup]\n##[group]Run pnpm -r publish --access public\n\x1b[36;1mpnpm -r publish --access public\x1b[0m\n##[endgroup]\nnpm error code ECONNRESET\n##[error]Process completed with exit code 1.";
        assert_eq!(fact(&facts_of(publish), "publish_step").as_deref(), Some("yes"));
        let action = "##[group]Run changesets/action@v1\nwith:\n  publish: pnpm ci:publish\n##[endgroup]\n##[error]The process '/usr/bin/pnpm' failed with exit code 1";
        assert_eq!(fact(&facts_of(action), "publish_step").as_deref(), Some("yes"));
        assert_eq!(fact(&facts_of("npm error code ECONNRESET"), "publish_step"), None);
        let script = "##[group]Run npm run deploy\n\x1b[36;1mnpm run deploy\x1b[0m\n##[endgroup]\nnpm error code ENEEDAUTH\nnpm error need auth This command requires you to be logged in to https://registry.npmjs.org/\n##[error]Process completed with exit code 1.";
        assert_eq!(fact(&facts_of(script), "publish_step").as_deref(), Some("yes"));
        // A continue-on-error step failed first; the publish failed after it.
        let upgrade = "##[group]Run npm install -g npm@latest\n\x1b[36;1mnpm install -g npm@latest\x1b[0m\n##[endgroup]\nnpm error code EBADENGINE\n##[error]Process completed with exit code 1.\n";
        let both = format!(
            "{upgrade}##[group]Run npm publish\n\x1b[36;1mnpm publish\x1b[0m\nenv:\n  NODE_AUTH_TOKEN: ***\n##[endgroup]\nnpm error code E404\n##[error]Process completed with exit code 1."
        );
        let f = facts_of(&both);
        assert_eq!(fact(&f, "publish_step").as_deref(), Some("yes"));
        assert_eq!(fact(&f, "failed_step").as_deref(), Some("npm install -g npm@latest"));
        assert_eq!(fact(&f, "token").as_deref(), Some("secret"));
    }

    #[test]
    fn publisher_oidc_follows_the_tool() {
        let pnpm10 = "##[group]Run pnpm publish --no-git-checks\n\x1b[36;1mpnpm publish --no-git-checks\x1b[0m\n##[endgroup]\nnpm error 404  '@a/b@1.0.0' is not in this registry.";
        let f = facts_of(pnpm10);
        assert_eq!(fact(&f, "publisher").as_deref(), Some("pnpm"));
        assert_eq!(fact(&f, "publisher_oidc").as_deref(), Some("no"));
        let pnpm11 = " WARN  Skipped OIDC: ERR_PNPM_AUTH_TOKEN_EXCHANGE: Failed token exchange request with body message: Unknown error (status code 404)\n[E404] 404 Not Found - PUT https://registry.npmjs.org/@a%2fb";
        assert_eq!(fact(&facts_of(pnpm11), "publisher_oidc").as_deref(), Some("yes"));
        let bun = "bun publish v1.3.5 (1e86cebd)\nerror: missing authentication (run `bunx npm login`)";
        let f = facts_of(bun);
        assert_eq!(fact(&f, "publisher").as_deref(), Some("bun"));
        assert_eq!(fact(&f, "publisher_oidc").as_deref(), Some("no"));
        let yarn1 = "yarn publish v1.22.22\nerror No token found and can't prompt for login when running with --non-interactive.";
        let f = facts_of(yarn1);
        assert_eq!(fact(&f, "publisher").as_deref(), Some("yarn-classic"));
        assert_eq!(fact(&f, "publisher_oidc").as_deref(), Some("no"));
        assert_eq!(fact(&facts_of("➤ YN0033: No authentication configured for request"), "publisher_oidc"), None);
        assert!(!runs_pnpm_publish("pnpm run publish"));
        assert!(runs_pnpm_publish("pnpm --filter @a/b publish --access public"));
    }

    const PUBLISH_STEP: &str =
        "##[group]Run npm publish\n\x1b[36;1mnpm publish\x1b[0m\nshell: /usr/bin/bash -e {0}\nenv:\n";
    const FAILED: &str = "##[endgroup]\nnpm error code E404\nnpm error A complete log of this run can be found in: /home/runner/.npm/_logs/2026-01-05T10_11_41_533Z-debug-0.log\n##[error]Process completed with exit code 1.";

    #[test]
    fn auth_mode_tells_oidc_from_token_jobs() {
        let with_env = |env: &str| facts_of(&format!("{PUBLISH_STEP}{env}{FAILED}"));
        let mode = |f: &Facts| fact(f, "auth_mode");
        assert_eq!(mode(&with_env("  NODE_AUTH_TOKEN: ***\n")).as_deref(), Some("token"));
        assert_eq!(
            mode(&with_env("  NPM_TOKEN: ***\n  NODE_AUTH_TOKEN: XXXXX-XXXXX-XXXXX-XXXXX\n")).as_deref(),
            Some("token")
        );
        // No real token reached the step, after trusted publishing existed: only OIDC could work.
        assert_eq!(mode(&with_env("  NODE_AUTH_TOKEN: XXXXX-XXXXX-XXXXX-XXXXX\n")).as_deref(), Some("oidc"));
        assert_eq!(mode(&with_env("  CI: true\n")).as_deref(), Some("oidc"));
        assert_eq!(mode(&facts_of(&format!("##[group]Run npm publish\n{FAILED}"))).as_deref(), Some("oidc"));
        // An empty token says nothing about intent; before 2025-07-31 a missing token was just missing.
        assert_eq!(mode(&with_env("  NODE_AUTH_TOKEN: \n")), None);
        let old = format!(
            "{PUBLISH_STEP}  NODE_AUTH_TOKEN: XXXXX-XXXXX-XXXXX-XXXXX\n{}",
            FAILED.replace("2026-01-05", "2024-03-01")
        );
        assert_eq!(mode(&facts_of(&old)), None);
        // Named OIDC wins over a leftover secret; IdToken alone does not (provenance needs it).
        let commented = PUBLISH_STEP.replace("\x1b[36;1mnpm", "\x1b[36;1m# trusted publishing\x1b[0m\n\x1b[36;1mnpm");
        let named = format!("{commented}  NODE_AUTH_TOKEN: ***\n{FAILED}");
        assert_eq!(mode(&facts_of(&named)).as_deref(), Some("oidc"));
        let perms = "##[group]GITHUB_TOKEN Permissions\nIdToken: write\n##[endgroup]\n";
        let signed = PUBLISH_STEP.replace("npm publish", "npm publish --provenance");
        let provenance = format!("{perms}{signed}  NODE_AUTH_TOKEN: ***\n{FAILED}");
        assert_eq!(mode(&facts_of(&provenance)).as_deref(), Some("token"));
        let empty = format!("{perms}{PUBLISH_STEP}  NODE_AUTH_TOKEN: \n{FAILED}");
        assert_eq!(mode(&facts_of(&empty)).as_deref(), Some("oidc"));
        let empty_signed = format!("{perms}{signed}  NODE_AUTH_TOKEN: \n{FAILED}");
        assert_eq!(mode(&facts_of(&empty_signed)), None);
        assert_eq!(mode(&facts_of("npm error code E404")), None);
        // npm prints its verbose oidc lines in any job that can get an ID token: a
        // real secret in the step still makes it a token job.
        let verbose = "npm verbose oidc Failed token exchange request with body message: package not found\n";
        let token_job = format!(
            "{perms}{signed}  NODE_AUTH_TOKEN: ***\n##[endgroup]\n{verbose}{}",
            FAILED.trim_start_matches("##[endgroup]\n")
        );
        assert_eq!(mode(&facts_of(&token_job)).as_deref(), Some("token"));
        let oidc_job = format!(
            "{perms}{PUBLISH_STEP}  NODE_AUTH_TOKEN: \n##[endgroup]\n{verbose}{}",
            FAILED.trim_start_matches("##[endgroup]\n")
        );
        assert_eq!(mode(&facts_of(&oidc_job)).as_deref(), Some("oidc"));
        assert_eq!(mode(&facts_of(&format!("{verbose}npm error code E404"))).as_deref(), Some("oidc"));
        // semantic-release tried OIDC, then wrote the NPM_TOKEN it was given.
        let sr = "[semantic-release] [@semantic-release/npm] › ℹ  Verifying OIDC context for publishing from GitHub Actions\n[semantic-release] [@semantic-release/npm] › ℹ  Wrote NPM_TOKEN to /tmp/x/.npmrc\nnpm error code E401";
        assert_eq!(mode(&facts_of(sr)).as_deref(), Some("token"));
    }

    #[test]
    fn npm_publish_action_token_input_and_yarn_token_count_as_tokens() {
        let action = "##[group]Run JS-DevTools/npm-publish@v3\nwith:\n  token: ***\n  registry: https://registry.npmjs.org/\n##[endgroup]\nnpm error code E404\n##[error]Process completed with exit code 1.";
        assert_eq!(fact(&facts_of(action), "auth_mode").as_deref(), Some("token"));
        // setup-node's `token` input is a GitHub token for downloads, not npm's.
        let setup = "##[group]Run actions/setup-node@v4\nwith:\n  token: ***\n##[endgroup]\n##[group]Run npm publish\n##[endgroup]\nnpm error code E404\nnpm error A complete log of this run can be found in: /home/runner/.npm/_logs/2026-01-05T10_11_41_533Z-debug-0.log\n##[error]Process completed with exit code 1.";
        assert_eq!(fact(&facts_of(setup), "auth_mode").as_deref(), Some("oidc"));
        let yarn = format!("{PUBLISH_STEP}  YARN_NPM_AUTH_TOKEN: ***\n{FAILED}");
        assert_eq!(fact(&facts_of(&yarn), "auth_mode").as_deref(), Some("token"));
    }

    #[test]
    fn secret_empty_reads_either_token_variable() {
        let with_env = |env: &str| fact(&facts_of(&format!("{PUBLISH_STEP}{env}{FAILED}")), "secret_empty");
        assert_eq!(with_env("  NODE_AUTH_TOKEN: \n").as_deref(), Some("yes"));
        assert_eq!(with_env("  NPM_TOKEN: \n").as_deref(), Some("yes"));
        assert_eq!(with_env("  NPM_TOKEN: \n  NODE_AUTH_TOKEN: ***\n").as_deref(), Some("no"));
        assert_eq!(with_env("  NODE_AUTH_TOKEN: XXXXX-XXXXX-XXXXX-XXXXX\n").as_deref(), Some("no"));
        assert_eq!(fact(&facts_of("npm error code ENEEDAUTH"), "secret_empty"), None);
    }

    #[test]
    fn registry_mismatch_compares_hosts() {
        let log = |url: &str, target: &str| {
            facts_of(&format!(
                "##[group]Run actions/setup-node@v4\nwith:\n  registry-url: {url}\n##[endgroup]\nnpm error need auth This command requires you to be logged in to {target}"
            ))
        };
        let mismatch = |f: &Facts| fact(f, "registry_mismatch");
        assert_eq!(
            mismatch(&log("https://registry.npmjs.org", "https://registry.yarnpkg.com/")).as_deref(),
            Some("yes")
        );
        assert_eq!(mismatch(&log("https://npm.pkg.github.com", "https://registry.npmjs.org/")).as_deref(), Some("yes"));
        assert_eq!(mismatch(&log("https://registry.npmjs.org/", "https://registry.npmjs.org/")).as_deref(), Some("no"));
        let pasted = |target: &str| {
            facts_of(&format!("npm ERR! need auth This command requires you to be logged in to {target}"))
        };
        assert_eq!(mismatch(&pasted("https://registry.yarnpkg.com")).as_deref(), Some("yes"));
        assert_eq!(mismatch(&pasted("https://registry.npmjs.org/")), None);
        let put = facts_of("npm notice Publishing to https://npm.pkg.github.com/ with tag latest and default access");
        assert_eq!(fact(&put, "publish_registry").as_deref(), Some("npm.pkg.github.com"));
    }

    #[test]
    fn a_failed_request_needs_an_error_status_before_its_method() {
        assert_eq!(failed_request_method("404 Not Found - GET https://registry.npmjs.org/x - Not found"), Some("GET"));
        assert_eq!(failed_request_method("[E404] 404 Not Found - PUT https://registry.npmjs.org/x"), Some("PUT"));
        assert_eq!(failed_request_method("E403 403 Forbidden - PUT http://127.0.0.1:4873/x - denied"), Some("PUT"));
        // a dash list item and a success are no failed request
        assert_eq!(failed_request_method("step - GET https://example.com/x"), None);
        assert_eq!(failed_request_method("200 OK - GET https://example.com/x"), None);
        assert_eq!(failed_request_method("404 Not Found - FETCH https://example.com/x"), None);
    }

    #[test]
    fn codes_count_only_as_whole_words() {
        assert!(is_auth_failure("npm error code ENEEDAUTH"));
        assert!(is_auth_failure("ENEEDAUTH: need auth"));
        assert!(!is_auth_failure("sha512-XENEEDAUTH1 integrity"));
        assert!(!is_auth_failure("build hash E4012 done"));
    }

    #[test]
    fn npm_error_code_is_the_last_code_or_put_status() {
        let code = |log: &str| fact(&facts_of(log), "npm_error_code");
        assert_eq!(code("npm ERR! code ENEEDAUTH").as_deref(), Some("ENEEDAUTH"));
        assert_eq!(code("🦋  error npm error code E404").as_deref(), Some("E404"));
        assert_eq!(code("npm notice Access token expired or revoked. Please try logging in again.\nnpm error 404 Not Found - PUT https://registry.npmjs.org/@a%2fb").as_deref(), Some("E404"));
        assert_eq!(code("🦋  error an error occurred while publishing a: E404 Not Found - PUT https://registry.npmjs.org/a - Not found").as_deref(), Some("E404"));
        assert_eq!(code("[E404] 404 Not Found - PUT https://registry.npmjs.org/@a%2fb").as_deref(), Some("E404"));
        assert_eq!(code("npm error code E401\nnpm error code E403").as_deref(), Some("E403"));
        assert_eq!(code("npm error 404 Not Found - GET https://registry.npmjs.org/a - Not found"), None);
        assert_eq!(code("lerna ERR! E404 Not found").as_deref(), Some("E404"));
        assert_eq!(code("lerna ERR! errno \"undefined\" is not a valid exit code"), None);
    }

    #[test]
    fn failed_method_is_the_last_failing_request() {
        let method = |log: &str| fact(&facts_of(log), "failed_method");
        let view = "npm error 404 Not Found - GET https://registry.npmjs.org/new-pkg - Not found";
        let put = "npm error 404 Not Found - PUT https://registry.npmjs.org/new-pkg - Not found";
        assert_eq!(method(view).as_deref(), Some("GET"));
        assert_eq!(method(&format!("{view}\n{put}")).as_deref(), Some("PUT"));
        assert_eq!(method("[E404] 404 Not Found - PUT https://registry.npmjs.org/@a%2fb").as_deref(), Some("PUT"));
        assert_eq!(method("npm http fetch GET 200 https://registry.npmjs.org/a 120ms"), None);
        assert_eq!(method("npm error code E404"), None);
    }

    #[test]
    fn oidc_exchange_from_tool_lines_or_auto_provenance() {
        let exchange = |log: &str| fact(&facts_of(log), "oidc_exchange");
        assert_eq!(exchange("npm verbose oidc Failed token exchange request with body message: OIDC token exchange error - package not found").as_deref(), Some("failed"));
        assert_eq!(
            exchange("npm silly oidc Skipped because incorrect permissions for id-token within GitHub workflow")
                .as_deref(),
            Some("skipped")
        );
        assert_eq!(exchange("npm verbose oidc Successfully retrieved and set token").as_deref(), Some("ok"));
        let signed = "npm notice publish Signed provenance statement with source and build information from GitHub Actions\nnpm error 404  The requested resource 'a@1.0.0' could not be found or you do not have permission to access it.";
        assert_eq!(exchange(signed).as_deref(), Some("ok"));
        let explicit = format!(
            "##[group]Run npm publish --provenance\n\x1b[36;1mnpm publish --provenance\x1b[0m\n##[endgroup]\n{signed}"
        );
        assert_eq!(exchange(&explicit), None);
        assert_eq!(exchange("npm error code E404"), None);
    }

    #[test]
    fn npm_upgrade_outcome_is_read_from_its_summary() {
        let log = "##[group]Run npm install -g npm@^11.5.1\n\x1b[36;1mnpm install -g npm@^11.5.1\x1b[0m\n##[endgroup]\nremoved 11 packages, and changed 98 packages in 4s";
        let f = facts_of(log);
        assert_eq!(fact(&f, "npm_upgrade").as_deref(), Some("ok"));
        assert_eq!(fact(&f, "npm_oidc").as_deref(), Some("yes"));
        let step =
            "##[group]Run npm install -g npm@^11.5.1\n\x1b[36;1mnpm install -g npm@^11.5.1\x1b[0m\n##[endgroup]\n";
        for failure in
            ["npm error code EACCES", "npm ERR! code ETARGET", "##[error]Process completed with exit code 1."]
        {
            assert_eq!(
                fact(&facts_of(&format!("{step}{failure}")), "npm_upgrade").as_deref(),
                Some("failed"),
                "{failure}"
            );
        }
        // An npm error in a later step is not the upgrade's.
        let later =
            format!("{step}changed 1 package in 2s\n##[group]Run npm publish\n##[endgroup]\nnpm error code E404");
        assert_eq!(fact(&facts_of(&later), "npm_upgrade").as_deref(), Some("ok"));
    }

    /// A step's facts come from its echo (the `Run` marker, `with:`, `env:`), not
    /// from the name a source gives it: the failed step alone reads the same
    /// whether the source names it (`Run JS-DevTools/npm-publish@v3`, `Publish`)
    /// or only its marker does.
    #[test]
    fn a_step_named_by_its_source_reads_like_its_marker() {
        let action = "##[group]Run JS-DevTools/npm-publish@v3\nwith:\n  token: ***\n##[endgroup]\nnpm error code E404\n##[error]Process completed with exit code 1.";
        let no_env = format!(
            "##[group]Run npm publish --access public\n\x1b[36;1mnpm publish --access public\x1b[0m\nshell: /usr/bin/bash -e {{0}}\n{FAILED}"
        );
        for log in [action, no_env.as_str()] {
            let plain = facts_of(log).known();
            for name in ["Run JS-DevTools/npm-publish@v3", "Run npm publish --access public", "Publish"] {
                let named = facts_named(Some(name), log).known();
                assert_eq!(named, plain, "{log}\nnamed {name:?}");
            }
        }
        assert_eq!(fact(&facts_of(action), "auth_mode").as_deref(), Some("token"));
        assert_eq!(fact(&facts_of(&no_env), "auth_mode").as_deref(), Some("oidc"));
        assert_eq!(fact(&facts_of(&no_env), "failed_step").as_deref(), Some("npm publish --access public"));
    }

    /// Without a marker, a source's name for a step that has no `name:` still says
    /// what it runs (GitHub calls it `Run <action or command>`).
    #[test]
    fn a_step_runs_its_marker_else_its_name_without_run() {
        let step =
            |name: &str, marker: &str| StepFacts { name: name.into(), marker: marker.into(), ..StepFacts::default() };
        assert_eq!(step("Publish to npm", "npm publish").runs(), "npm publish");
        assert_eq!(step("Run npm ci", "").runs(), "npm ci");
        assert_eq!(step("Install dependencies", "").runs(), "Install dependencies");
    }
}
