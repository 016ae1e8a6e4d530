//! Writes a large, deterministic, realistic GitHub Actions job log for the benchmark
//! (`bench/run.sh`): timestamps, `##[group]` steps with script and `env:` echoes,
//! npm / webpack / tsc / jest / eslint / docker noise, 10-200 KB minified, base64
//! and JSON lines, ANSI colour, some CRLF and bare CR, rare invalid UTF-8, optional
//! decoy lines that look like errors but are not, and an `npm publish` failure at
//! the end followed by the usual post-job lines.
//!
//! ```sh
//! cargo run --release --example genlog -- --size 100M --seed 1 -o bench/data/job-100M.log
//! cargo run --release --example genlog -- --size 1G --failure e422-provenance -o job.log
//! ```
//!
//! The output is a pure function of the arguments. It is the project's own
//! generator, shaped after `shared/bench/genlog.py` but not byte-identical to it.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

const ESC: &str = "\x1b";

#[rustfmt::skip]
const PKGS: &[&str] = &[
    "react", "react-dom", "lodash", "express", "typescript", "webpack", "webpack-cli", "babel-loader",
    "@babel/core", "@babel/preset-env", "@babel/runtime", "@babel/parser", "jest", "jest-circus", "ts-jest",
    "@jest/core", "@types/node", "@types/react", "@types/jest", "eslint", "eslint-scope",
    "@typescript-eslint/parser", "prettier", "rollup", "esbuild", "vite", "postcss", "sass", "css-loader",
    "terser", "chalk", "commander", "yargs", "debug", "semver", "glob", "minimatch", "rimraf", "fs-extra",
    "axios", "node-fetch", "undici", "ws", "uuid", "nanoid", "zod", "ajv", "source-map", "browserslist",
    "caniuse-lite", "core-js", "tslib", "rxjs", "graceful-fs", "picomatch", "micromatch", "chokidar",
    "inflight", "once", "inherits", "safe-buffer", "readable-stream", "iconv-lite", "mime-types", "qs",
    "@sigstore/sign", "@sigstore/tuf", "sigstore", "@octokit/rest", "@actions/core", "@actions/github", "tar",
    "minipass", "cacache", "ssri", "npm-registry-fetch", "pacote", "lru-cache", "@npmcli/arborist", "node-gyp",
    "jsdom", "whatwg-url", "parse5", "htmlparser2", "supports-color", "ansi-styles", "strip-ansi", "wrap-ansi",
    "string-width", "@testing-library/react", "pretty-format", "react-is", "scheduler", "prop-types",
    "@emotion/react", "@mui/material", "next", "@swc/core", "husky", "lint-staged", "@changesets/cli", "turbo",
    "nx", "lerna",
];

const DEPRECATED: &[&str] = &[
    "inflight@1.0.6: This module is not supported, and leaks memory. Do not use it. Check out lru-cache if you want a good and tested way to coalesce async requests by a key value, which is much more comprehensive and powerful.",
    "glob@7.2.3: Glob versions prior to v9 are no longer supported",
    "rimraf@3.0.2: Rimraf versions prior to v4 are no longer supported",
    "abab@2.0.6: Use your platform's native atob() and btoa() methods instead",
    "domexception@4.0.0: Use your platform's native DOMException instead",
    "@humanwhocodes/config-array@0.13.0: Use @eslint/config-array instead",
    "eslint@8.57.1: This version is no longer supported. Please see https://eslint.org/version-support for other options.",
    "stable@0.1.8: Modern JS already guarantees Array#sort() is a stable sort, so this library is deprecated.",
    "sourcemap-codec@1.4.8: Please use @jridgewell/sourcemap-codec instead",
    "q@1.5.1: You or someone you depend on is using Q, the JavaScript Promise library that gave JavaScript developers strong feelings about promises.",
];

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "render", "handles", "parse", "returns", "resolves", "rejects", "updates", "creates", "deletes", "fetches",
    "loads", "saves", "merges", "computes", "formats", "validates", "normalizes", "caches", "retries", "emits",
    "skips", "sorts", "filters", "maps", "reduces", "groups", "click", "focus", "submit", "scroll", "input",
    "value", "options", "config", "props", "state", "context", "hook", "store", "reducer", "action", "selector",
    "router", "query", "params", "headers", "body", "payload", "token", "session", "user", "account", "items",
    "list", "table", "rows", "column", "page", "modal", "dialog", "button", "form", "field", "label", "theme",
    "locale", "date", "timezone", "number", "string", "array", "object", "null", "undefined", "empty",
    "default", "nested", "async", "promise", "stream", "buffer", "file", "directory", "pattern", "matcher",
    "snapshot", "fixture", "mock", "timer", "timeout", "event", "listener",
];

#[rustfmt::skip]
const DIRS: &[&str] = &[
    "src", "src/components", "src/hooks", "src/utils", "src/lib", "src/api", "src/store", "src/pages",
    "src/server", "src/cli", "packages/core/src", "packages/ui/src", "packages/cli/src", "test", "tests/unit",
    "__tests__",
];

#[rustfmt::skip]
const STEMS: &[&str] = &[
    "Button", "Modal", "Table", "Form", "Input", "Select", "Tooltip", "Menu", "useFetch", "useDebounce",
    "client", "server", "router", "parser", "lexer", "formatter", "logger", "config", "cache", "queue",
    "scheduler", "store", "reducer", "auth", "session", "registry", "publish", "pack", "manifest", "semver",
    "diff", "merge", "http", "retry", "stream", "buffer", "encoding", "date", "i18n", "theme", "layout", "grid",
    "chart", "index",
];

const WORKSPACES: &[&str] =
    &["@acme/core", "@acme/ui", "@acme/cli", "@acme/server", "@acme/utils", "@acme/config", "@acme/auth"];

const ESLINT: &[(&str, &str)] = &[
    ("'value' is assigned a value but never used", "@typescript-eslint/no-unused-vars"),
    ("Unexpected any. Specify a different type", "@typescript-eslint/no-explicit-any"),
    ("React Hook useEffect has a missing dependency: 'state'", "react-hooks/exhaustive-deps"),
    ("Unexpected console statement", "no-console"),
    ("Forbidden non-null assertion", "@typescript-eslint/no-non-null-assertion"),
];

#[rustfmt::skip]
const JS_TOKENS: &[&str] = &[
    "function", "return", "var ", "let ", "const ", "if", "else", "for", "while", "new ", "this", "typeof ",
    "void 0", "null", "true", "false", "undefined", "Object", "Array", "Promise", "Error", "TypeError",
    "prototype", "call", "apply", "bind", "length", "push", "slice", "indexOf", "concat", "join", "split",
    "exports", "module", "require", "default", "__esModule", "e", "t", "n", "r", "o", "i", "a", "s", "(", ")",
    "{", "}", "[", "]", ";", ",", ".", "=", "===", "!==", "&&", "||", "?", ":", "!0", "!1", "=>",
    "function(e,t,n){", "}}", "})", ",t=n(", "o.default=", "module.exports=", "n.d(t,{",
    "\"undefined\"!=typeof window",
];

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";

const DECOYS: &[&str] = &[
    "    \x1b[32m✓\x1b[39m reports ENEEDAUTH when the registry token is missing (12 ms)",
    "    \x1b[32m✓\x1b[39m maps npm error code E404 to a friendly message (3 ms)",
    "    \x1b[32m✓\x1b[39m does not treat \"npm error code E403\" inside a string as a failure (5 ms)",
    "    \x1b[32m✓\x1b[39m parses '##[error]Process completed with exit code 1.' from a fixture (2 ms)",
    "    Error: connect ECONNREFUSED 127.0.0.1:5432",
    "        at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)",
    "npm warn config production Use `--omit=dev` instead.",
    "npm warn ERESOLVE overriding peer dependency",
    "Found 0 errors. Watching for file changes.",
    "✖ 0 problems (0 errors, 0 warnings)",
    "webpack compiled with 0 errors and 0 warnings",
    "[built] [code generated] ./src/errors/ENEEDAUTH.ts 1.2 KiB",
    "##[warning]Node.js 20 actions are deprecated. The following actions are running on Node.js 20 and may not work as expected: actions/cache@v3.",
    "npm notice New major version of npm available! 10.9.2 -> 11.7.0",
    "Retrying after error: Error: ETIMEDOUT (attempt 1 of 5) - recovered",
    "errors: 0, warnings: 2, fatal: false",
];

/// How the final publish ends.
const FAILURES: &[(&str, &[&str])] = &[
    (
        "eneedauth",
        &[
            "npm error code ENEEDAUTH",
            "npm error need auth This command requires you to be logged in to https://registry.npmjs.org/",
            "npm error need auth You need to authorize this machine using `npm adduser`",
        ],
    ),
    (
        "e404",
        &[
            "npm error code E404",
            "npm error 404 Not Found - PUT https://registry.npmjs.org/@acme%2fwidgets - Not found",
            "npm error 404",
            "npm error 404  '@acme/widgets@4.2.0' is not in this registry.",
        ],
    ),
    (
        "e422-provenance",
        &[
            "npm error code E422",
            "npm error 422 Unprocessable Entity - PUT https://registry.npmjs.org/@acme%2fwidgets - Error verifying sigstore provenance bundle: Failed to validate repository information: package.json: \"repository.url\" is \"\", expected to match \"https://github.com/acme/widgets\" from provenance",
        ],
    ),
];

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / ((1u64 << 53) as f64)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Formats one line and emits it (the arguments may use the generator's RNG).
macro_rules! emitf {
    ($g:expr, $($arg:tt)*) => {{
        let line = format!($($arg)*);
        $g.o.emit(&line)
    }};
}

struct Out<W: Write> {
    w: W,
    rng: Rng,
    /// 100 ns ticks since the epoch.
    ticks: u64,
    written: u64,
    lines: u64,
    line: Vec<u8>,
}

impl<W: Write> Out<W> {
    fn stamp(&mut self) {
        let secs = self.ticks / 10_000_000;
        let frac = self.ticks % 10_000_000;
        let (y, mo, d) = civil((secs / 86_400) as i64);
        let s = secs % 86_400;
        let _ = write!(self.line, "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{frac:07}Z ", s / 3600, s / 60 % 60, s % 60);
    }

    /// Writes one line with its timestamp; rarely corrupts it or ends it with CRLF.
    fn emit(&mut self, text: &str) -> io::Result<()> {
        self.ticks += self.rng.below(2048);
        self.line.clear();
        self.stamp();
        if self.rng.chance(0.00005) {
            let junk: &[u8] = match self.rng.below(4) {
                0 => b"caf\xe9 r\xc3sum\xe9 na\xefve ",
                1 => b"\xe2\x9c ",
                2 => b"\xff\xfe",
                _ => b"\xc0\xaf\xed\xa0\x80 ",
            };
            self.line.extend_from_slice(junk);
        }
        self.line.extend_from_slice(text.as_bytes());
        if self.rng.chance(0.002) {
            self.line.push(b'\r');
        }
        self.line.push(b'\n');
        self.w.write_all(&self.line)?;
        self.written += self.line.len() as u64;
        self.lines += 1;
        Ok(())
    }
}

struct Gen<W: Write> {
    o: Out<W>,
    files: Vec<String>,
    decoys_per_mib: f64,
    failure: &'static [&'static str],
    failure_name: &'static str,
}

const ENV: &[(&str, &str)] = &[
    ("NPM_CONFIG_USERCONFIG", "/home/runner/work/_temp/.npmrc"),
    ("NODE_AUTH_TOKEN", "XXXXX-XXXXX-XXXXX-XXXXX"),
    ("CI", "true"),
    ("FORCE_COLOR", "1"),
];

impl<W: Write> Gen<W> {
    fn words(&mut self, n: u64) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.o.rng.pick::<&str>(WORDS));
        }
        s
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(*self.o.rng.pick(HEX))).collect()
    }

    fn run_header(&mut self, title: &str, env: &[(&str, &str)]) -> io::Result<()> {
        self.o.ticks += self.o.rng.below(20_000_000);
        emitf!(self, "##[group]Run {title}")?;
        emitf!(self, "{ESC}[36;1m{title}{ESC}[0m")?;
        self.o.emit("shell: /usr/bin/bash -e {0}")?;
        if !env.is_empty() {
            self.o.emit("env:")?;
            for (k, v) in env {
                emitf!(self, "  {k}: {v}")?;
            }
        }
        self.o.emit("##[endgroup]")
    }

    fn preamble(&mut self) -> io::Result<()> {
        let worker = format!("Worker ID: {{{}-{}}}", self.hex(8), self.hex(12));
        let lines = [
            "Current runner version: '2.330.0'",
            "##[group]Runner Image Provisioner",
            "Hosted Compute Agent",
            "Version: 20251211.462",
            &worker,
            "##[endgroup]",
            "##[group]Operating System",
            "Ubuntu",
            "24.04.3",
            "LTS",
            "##[endgroup]",
            "##[group]Runner Image",
            "Image: ubuntu-24.04",
            "Version: 20251215.174.1",
            "##[endgroup]",
            "##[group]GITHUB_TOKEN Permissions",
            "Contents: read",
            "IdToken: write",
            "Metadata: read",
            "##[endgroup]",
            "Secret source: Actions",
            "Prepare workflow directory",
            "Prepare all required actions",
            "Download action repository 'actions/checkout@v4' (SHA:11bd71901bbe5b1630ceea73d27597364c9af683)",
            "Download action repository 'actions/setup-node@v4' (SHA:49933ea5288caeca8642d1e84afbd3f7d6820020)",
            "Complete job name: release (ubuntu-latest, 22.x)",
            "##[group]Run actions/checkout@v4",
            "with:",
            "  repository: acme/widgets",
            "  token: ***",
            "  fetch-depth: 1",
            "##[endgroup]",
            "Syncing repository: acme/widgets",
            "[command]/usr/bin/git version",
            "git version 2.52.0",
            "HEAD is now at 5e1c2ab chore(release): v4.2.0",
            "##[group]Run actions/setup-node@v4",
            "with:",
            "  node-version: 22.x",
            "  registry-url: https://registry.npmjs.org",
            "  cache: npm",
            "##[endgroup]",
            "Found in cache @ /opt/hostedtoolcache/node/22.21.1/x64",
            "##[group]Environment details",
            "node: v22.21.1",
            "npm: 10.9.4",
            "yarn: 1.22.22",
            "##[endgroup]",
            "Cache restored successfully",
        ];
        for l in lines {
            self.o.emit(l)?;
        }
        Ok(())
    }

    fn npm_ci(&mut self) -> io::Result<()> {
        self.run_header("npm ci --loglevel=http", ENV)?;
        for _ in 0..self.o.rng.range(2, 8) {
            let d = *self.o.rng.pick(DEPRECATED);
            emitf!(self, "npm warn deprecated {d}")?;
        }
        for _ in 0..self.o.rng.range(200, 1500) {
            let p = *self.o.rng.pick(PKGS);
            let base = p.rsplit('/').next().unwrap_or(p);
            let (a, b, c) = (self.o.rng.below(20), self.o.rng.below(30), self.o.rng.below(40));
            let ms = self.o.rng.range(3, 900);
            let cache = if self.o.rng.chance(0.6) { "hit" } else { "miss" };
            emitf!(
                self,
                "npm http fetch GET 200 https://registry.npmjs.org/{p}/-/{base}-{a}.{b}.{c}.tgz {ms}ms (cache {cache})"
            )?;
        }
        let n = self.o.rng.range(800, 2400);
        self.o.emit("")?;
        emitf!(self, "added {n} packages, and audited {} packages in {}s", n + 1, self.o.rng.range(8, 90))?;
        emitf!(self, "{} packages are looking for funding", self.o.rng.range(100, 300))?;
        self.o.emit("  run `npm fund` for details")?;
        self.o.emit("found 0 vulnerabilities")
    }

    fn webpack(&mut self) -> io::Result<()> {
        let ws = *self.o.rng.pick(WORKSPACES);
        self.run_header(&format!("npm run build -w {ws}"), ENV)?;
        emitf!(self, "> {ws}@4.2.0 build")?;
        self.o.emit("> webpack --mode production --progress")?;
        let step = self.o.rng.range(3, 12) as usize;
        for pct in (0..100).step_by(step) {
            let line = format!(
                "<s> [webpack.Progress] {pct}% building {}/12 entries {}/3100 dependencies",
                pct / 10,
                pct * 31
            );
            if self.o.rng.chance(0.2) {
                // A progress redraw: a bare CR inside the line.
                emitf!(self, "{line}\r{}", line.replace("building", "sealing"))?;
            } else {
                self.o.emit(&line)?;
            }
        }
        for _ in 0..self.o.rng.range(50, 600) {
            let f = self.files[self.o.rng.below(self.files.len() as u64) as usize].clone();
            let r = self.o.rng.below(10);
            if r < 7 {
                emitf!(self, "./{f} {}.{} KiB [built] [code generated]", self.o.rng.below(90), self.o.rng.below(10))?;
            } else {
                let p = *self.o.rng.pick(PKGS);
                emitf!(self, "  | ./node_modules/{p}/lib/index.js {} KiB [built]", self.o.rng.range(1, 200))?;
            }
        }
        emitf!(self, "webpack 5.97.1 compiled {ESC}[32msuccessfully{ESC}[39m in {} ms", self.o.rng.range(4000, 90_000))
    }

    fn tsc(&mut self) -> io::Result<()> {
        let ws = self.o.rng.pick(WORKSPACES).trim_start_matches("@acme/");
        self.run_header("npx tsc -b --verbose --listFiles", ENV)?;
        emitf!(
            self,
            "[{ESC}[90m10:{:02}:{:02} AM{ESC}[0m] Building project '/home/runner/work/widgets/widgets/packages/{ws}/tsconfig.json'...",
            self.o.rng.below(60),
            self.o.rng.below(60)
        )?;
        for _ in 0..self.o.rng.range(100, 900) {
            if self.o.rng.chance(0.6) {
                let p = self.o.rng.pick(PKGS).rsplit('/').next().unwrap_or("x");
                emitf!(self, "/home/runner/work/widgets/widgets/node_modules/@types/{p}/index.d.ts")?;
            } else {
                let f = self.files[self.o.rng.below(self.files.len() as u64) as usize].clone();
                emitf!(self, "/home/runner/work/widgets/widgets/packages/{ws}/{f}")?;
            }
        }
        self.o.emit("")
    }

    fn jest(&mut self) -> io::Result<()> {
        let ws = *self.o.rng.pick(WORKSPACES);
        self.run_header(&format!("npm test -w {ws} -- --ci --verbose"), ENV)?;
        self.o.emit("> jest --ci --verbose")?;
        let suites = self.o.rng.range(5, 60);
        let mut tests = 0;
        for _ in 0..suites {
            let f = self.files[self.o.rng.below(self.files.len() as u64) as usize].clone();
            let f = f.rsplit_once('.').map_or(f.as_str(), |(s, _)| s).to_string();
            emitf!(
                self,
                "{ESC}[0m{ESC}[7m{ESC}[1m{ESC}[32m PASS {ESC}[39m{ESC}[22m{ESC}[27m{ESC}[0m {ESC}[2m{f}.test.ts{ESC}[22m ({}.{:03} s)",
                self.o.rng.below(20),
                self.o.rng.below(1000)
            )?;
            for _ in 0..self.o.rng.range(1, 4) {
                let n = self.o.rng.range(1, 3);
                let title = self.words(n);
                emitf!(self, "  {title}")?;
                for _ in 0..self.o.rng.range(2, 25) {
                    tests += 1;
                    let n = self.o.rng.range(3, 11);
                    let w = self.words(n);
                    let ms = self.o.rng.range(1, 300);
                    emitf!(self, "    {ESC}[32m✓{ESC}[39m {w} ({ms} ms)")?;
                }
                if self.o.rng.chance(0.1) {
                    emitf!(self, "  {ESC}[1mconsole.log{ESC}[22m")?;
                    let w = self.words(6);
                    emitf!(self, "    [{}] {w}", self.o.rng.pick(STEMS))?;
                    emitf!(self, "      {ESC}[2mat Object.<anonymous> ({ESC}[22m{f}.test.ts:12:5)")?;
                }
            }
        }
        emitf!(
            self,
            "{ESC}[1mTest Suites: {ESC}[22m{ESC}[1m{ESC}[32m{suites} passed{ESC}[39m{ESC}[22m, {suites} total"
        )?;
        emitf!(self, "{ESC}[1mTests:       {ESC}[22m{ESC}[1m{ESC}[32m{tests} passed{ESC}[39m{ESC}[22m, {tests} total")?;
        emitf!(self, "{ESC}[2mRan all test suites{ESC}[22m{ESC}[2m.")
    }

    fn eslint(&mut self) -> io::Result<()> {
        self.run_header("npx eslint . --ext .ts,.tsx", ENV)?;
        let mut total = 0;
        for _ in 0..self.o.rng.range(5, 60) {
            let f = self.files[self.o.rng.below(self.files.len() as u64) as usize].clone();
            self.o.emit("")?;
            emitf!(self, "{ESC}[4m/home/runner/work/widgets/widgets/{f}{ESC}[24m")?;
            for _ in 0..self.o.rng.range(1, 6) {
                let (msg, rule) = *self.o.rng.pick(ESLINT);
                total += 1;
                let (l, c) = (self.o.rng.range(1, 500), self.o.rng.range(1, 80));
                emitf!(self, "  {ESC}[2m{l}:{c}{ESC}[22m  {ESC}[33mwarning{ESC}[39m  {msg}  {ESC}[2m{rule}{ESC}[22m")?;
            }
        }
        emitf!(self, "{ESC}[33m{ESC}[1m✖ {total} problems (0 errors, {total} warnings){ESC}[22m{ESC}[39m")
    }

    fn docker(&mut self) -> io::Result<()> {
        self.run_header("docker build -t ghcr.io/acme/widgets:4.2.0 .", &[("DOCKER_BUILDKIT", "1")])?;
        self.o.emit("#0 building with \"default\" instance using docker driver")?;
        for n in 2..12 {
            for _ in 0..self.o.rng.range(2, 6) {
                let layer = self.hex(64);
                let tot = self.o.rng.range(1_000_000, 50_000_000) as f64 / 1e6;
                emitf!(self, "#{n} sha256:{layer} {:.2}MB / {tot:.2}MB 1.0s", tot / 2.0)?;
                emitf!(self, "#{n} extracting sha256:{layer} 0.4s done")?;
            }
            emitf!(self, "#{n} DONE {}.{}s", self.o.rng.below(60), self.o.rng.below(10))?;
        }
        let img = self.hex(64);
        emitf!(self, "#12 writing image sha256:{img} done")
    }

    fn misc(&mut self) -> io::Result<()> {
        self.run_header("git log --oneline -n 200", &[])?;
        for _ in 0..200 {
            let sha = self.hex(7);
            let kind = *self.o.rng.pick(&["fix", "feat", "chore", "docs", "refactor", "test"]);
            let stem = self.o.rng.pick(STEMS).to_lowercase();
            let n = self.o.rng.range(3, 9);
            let w = self.words(n);
            emitf!(self, "{sha} {kind}({stem}): {w}")?;
        }
        Ok(())
    }

    fn long_line(&mut self) -> io::Result<()> {
        // Log-uniform length between 10 KB and 200 KB.
        let n = (10_000.0 * (self.o.rng.unit() * 20f64.ln()).exp()) as usize;
        let mut s = String::with_capacity(n + 64);
        match self.o.rng.below(3) {
            0 => {
                self.o.emit("dist/index.js:1")?;
                while s.len() < n {
                    s.push_str(self.o.rng.pick::<&str>(JS_TOKENS));
                }
            }
            1 => {
                s.push_str(self.o.rng.pick::<&str>(&["coverage-final.json(base64)=", "::debug::payload=", "bundle: "]));
                while s.len() < n {
                    s.push(char::from(*self.o.rng.pick(B64)));
                }
                s.push_str("==");
            }
            _ => {
                s.push_str("{\"event\":{\"ref\":\"refs/tags/v4.2.0\"},\"modules\":[");
                let mut i = 0;
                while s.len() < n {
                    let f = self.files[self.o.rng.below(self.files.len() as u64) as usize].clone();
                    s.push_str(&format!(
                        "{{\"id\":{i},\"name\":\"./{f}\",\"size\":{},\"built\":true}},",
                        self.o.rng.range(100, 90_000)
                    ));
                    i += 1;
                }
                s.push_str("{}]}");
            }
        }
        self.o.emit(&s)
    }

    fn tail(&mut self) -> io::Result<()> {
        self.o.ticks += 15_000_000;
        let failing = self.failure_name == "eneedauth";
        for l in [
            "##[group]Run npm publish --provenance --access public",
            "\x1b[36;1mnpm publish --provenance --access public\x1b[0m",
            "shell: /usr/bin/bash -e {0}",
            "env:",
            "  NPM_CONFIG_USERCONFIG: /home/runner/work/_temp/.npmrc",
            if failing { "  NODE_AUTH_TOKEN: " } else { "  NODE_AUTH_TOKEN: ***" },
            "##[endgroup]",
            "npm notice",
            "npm notice 📦  @acme/widgets@4.2.0",
            "npm notice Tarball Contents",
            "npm notice 1.1kB LICENSE",
            "npm notice 2.3kB package.json",
            "npm notice name: @acme/widgets",
            "npm notice version: 4.2.0",
            "npm notice Publishing to https://registry.npmjs.org/ with tag latest and public access",
        ] {
            self.o.emit(l)?;
        }
        for l in self.failure {
            self.o.emit(l)?;
        }
        for l in [
            "npm error A complete log of this run can be found in: /home/runner/.npm/_logs/2026-01-04T12_00_01_123Z-debug-0.log",
            "##[error]Process completed with exit code 1.",
            "Post job cleanup.",
            "[command]/usr/bin/git version",
            "git version 2.52.0",
            "Cleaning up orphan processes",
        ] {
            self.o.emit(l)?;
        }
        Ok(())
    }

    fn run(&mut self, target: u64) -> io::Result<()> {
        const TAIL: u64 = 4096;
        self.preamble()?;
        self.npm_ci()?;
        let body_end = target.saturating_sub(TAIL);
        // 3% of the bytes in long lines; decoys at the requested rate.
        let mut next_long = self.o.written + self.o.rng.range(0, 2 << 20);
        let mut next_decoy = self.o.written;
        while self.o.written < body_end {
            match self.o.rng.below(100) {
                0..8 => self.npm_ci()?,
                8..22 => self.webpack()?,
                22..32 => self.tsc()?,
                32..72 => self.jest()?,
                72..82 => self.eslint()?,
                82..88 => self.docker()?,
                _ => self.misc()?,
            }
            while self.o.written >= next_long {
                self.long_line()?;
                next_long += self.o.rng.range(1 << 20, 4 << 20);
            }
            if self.decoys_per_mib > 0.0 {
                while self.o.written >= next_decoy {
                    let d = *self.o.rng.pick(DECOYS);
                    self.o.emit(d)?;
                    next_decoy += ((1 << 20) as f64 / self.decoys_per_mib) as u64;
                }
            }
        }
        self.tail()
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mult: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KIB" => 1 << 10,
        "M" | "MIB" => 1 << 20,
        "G" | "GIB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    Some((num.parse::<f64>().ok()? * mult as f64) as u64)
}

const USAGE: &str =
    "usage: genlog [--size 100M] [--seed N] [--failure eneedauth|e404|e422-provenance] [--decoys N] [-o FILE]";

fn main() -> ExitCode {
    let mut size = 100u64 << 20;
    let mut seed = 1u64;
    let mut output: Option<String> = None;
    let mut failure = "eneedauth".to_string();
    let mut decoys = 5.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        let ok = match a.as_str() {
            "--size" => parse_size(&value()).map(|v| size = v).is_some(),
            "--seed" => value().parse().map(|v| seed = v).is_ok(),
            "--failure" => {
                failure = value();
                true
            }
            "--decoys" => value().parse().map(|v| decoys = v).is_ok(),
            "-o" | "--output" => {
                output = Some(value());
                true
            }
            _ => false,
        };
        if !ok {
            eprintln!("genlog: bad argument `{a}`\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let Some(&(failure_name, lines)) = FAILURES.iter().find(|(n, _)| *n == failure) else {
        eprintln!("genlog: unknown --failure `{failure}`\n{USAGE}");
        return ExitCode::from(2);
    };
    let sink: Box<dyn Write> = match &output {
        Some(p) if p != "-" => match File::create(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("genlog: {p}: {e}");
                return ExitCode::from(1);
            }
        },
        _ => Box::new(io::stdout().lock()),
    };
    let mut rng = Rng(seed);
    let files = (0..600)
        .map(|_| {
            let dir = *rng.pick(DIRS);
            let stem = *rng.pick(STEMS);
            let suffix = *rng.pick(&["", "Utils", "Service", "View", "Helpers"]);
            let ext = *rng.pick(&["ts", "tsx", "js", "mjs"]);
            format!("{dir}/{stem}{suffix}.{ext}")
        })
        .collect();
    let out = Out {
        w: BufWriter::with_capacity(1 << 20, sink),
        rng,
        ticks: 1_767_521_732 * 10_000_000 + 1_234_567,
        written: 0,
        lines: 0,
        line: Vec::with_capacity(1 << 18),
    };
    let mut g = Gen { o: out, files, decoys_per_mib: decoys, failure: lines, failure_name };
    let result = g.run(size).and_then(|()| g.o.w.flush());
    if let Err(e) = result {
        eprintln!("genlog: {e}");
        return ExitCode::from(1);
    }
    eprintln!("genlog: wrote {} bytes, {} lines (seed {seed}, failure {failure_name})", g.o.written, g.o.lines);
    ExitCode::SUCCESS
}
