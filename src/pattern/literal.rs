//! Whether a signal's literal can prefilter. The scanner reads in full only the
//! lines that hold some literal; a literal found in the bulk of an ordinary log
//! (`/-/` is in every `npm http fetch` line, `error` in every other test name)
//! makes most lines candidates, and the scan slows to the speed of its regexes.
//!
//! Two checks: a short list of words that are everywhere, and a sample of the
//! lines an ordinary CI log holds by the thousand. A rule may still use such a
//! literal when it says why in `weak_literal`.

/// Literals that are never specific enough alone (compared after trimming).
const UBIQUITOUS: &[&str] = &[
    "error", "Error", "ERROR", "error:", "Error:", "err", "ERR", "ERR!", "warn", "WARN", "warning", "info", "npm",
    "yarn", "node", "http", "https", "https://", "http://", "the", "and", "for", "with", "fail", "failed", "code",
    "exit", "true", "false", "null", "Run", "run", ".js", ".ts", "...",
];

/// Lines an ordinary GitHub Actions log of a JavaScript project repeats hundreds
/// or thousands of times (timestamps included: the prefilter sees raw lines).
const BULK_LINES: &[&str] = &[
    "2026-01-04T10:15:32.1235702Z npm http fetch GET 200 https://registry.npmjs.org/react/-/react-18.3.1.tgz 31ms (cache hit)",
    "2026-01-04T10:15:32.1235702Z npm http fetch GET 200 https://registry.npmjs.org/@babel%2fcore 12ms (cache revalidated)",
    "2026-01-04T10:15:32.1235702Z npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported",
    "2026-01-04T10:15:32.1235702Z npm info run esbuild@0.21.5 postinstall node_modules/esbuild node install.js",
    "2026-01-04T10:15:32.1235702Z npm verbose reify failed optional dependency /home/runner/work/app/app/node_modules/fsevents",
    "2026-01-04T10:15:32.1235702Z ./src/components/ButtonView.tsx 12.3 KiB [built] [code generated]",
    "2026-01-04T10:15:32.1235702Z   | ./node_modules/lodash/lib/index.js 120 KiB [built]",
    "2026-01-04T10:15:32.1235702Z asset main.3f9a1c2b.js 512 KiB [emitted] [immutable] [minimized] (name: main)",
    "2026-01-04T10:15:32.1235702Z <s> [webpack.Progress] 42% building 4/12 entries 1302/3100 dependencies",
    "2026-01-04T10:15:32.1235702Z /home/runner/work/widgets/widgets/node_modules/@types/node/index.d.ts",
    "2026-01-04T10:15:32.1235702Z /home/runner/work/widgets/widgets/packages/core/src/utils/parser.ts",
    "2026-01-04T10:15:32.1235702Z \u{1b}[0m\u{1b}[7m\u{1b}[1m\u{1b}[32m PASS \u{1b}[39m\u{1b}[22m\u{1b}[27m\u{1b}[0m \u{1b}[2msrc/hooks/\u{1b}[22m\u{1b}[1museFetch.test.ts\u{1b}[22m (1.234 s)",
    "2026-01-04T10:15:32.1235702Z     \u{1b}[32m✓\u{1b}[39m renders the modal dialog with default props (12 ms)",
    "2026-01-04T10:15:32.1235702Z     ✓ returns the cached value on the second call (3 ms)",
    "2026-01-04T10:15:32.1235702Z       at Object.<anonymous> (src/store/reducer.test.ts:12:5)",
    "2026-01-04T10:15:32.1235702Z   \u{1b}[2m12:5\u{1b}[22m  \u{1b}[33mwarning\u{1b}[39m  'value' is assigned a value but never used  \u{1b}[2m@typescript-eslint/no-unused-vars\u{1b}[22m",
    "2026-01-04T10:15:32.1235702Z   40:12  warning  Unexpected console statement  no-console",
    "2026-01-04T10:15:32.1235702Z #7 sha256:9f1c2d3e4b5a6978 12.50MB / 50.10MB 1.0s",
    "2026-01-04T10:15:32.1235702Z #7 extracting sha256:9f1c2d3e4b5a6978 0.4s done",
    "2026-01-04T10:15:32.1235702Z #9 12.345 added 120 packages in 4s",
    "2026-01-04T10:15:32.1235702Z 5e1c2ab fix(parser): handle empty input in the tokenizer",
    "2026-01-04T10:15:32.1235702Z Received 125829120 of 987654321 (12.7%), 45.6 MBs/sec",
    "2026-01-04T10:15:32.1235702Z -rw-r--r-- 1 runner docker   12345 Jan  4 10:15 index.js.map",
    "2026-01-04T10:15:32.1235702Z [1/4] Resolving packages...",
    "2026-01-04T10:15:32.1235702Z Progress: resolved 1234, reused 1200, downloaded 34, added 1234",
    "2026-01-04T10:15:32.1235702Z dist/index.js  12.34 kB │ gzip: 4.56 kB",
    "2026-01-04T10:15:32.1235702Z \u{1b}[36;1mnpm run build\u{1b}[0m",
    "2026-01-04T10:15:32.1235702Z shell: /usr/bin/bash -e {0}",
    "2026-01-04T10:15:32.1235702Z   CI: true",
];

/// What the block prefilter looks for to find the lines of `literal`: a hard wrap
/// can cut a literal of several words across two lines, but it cuts once, so of
/// two keys that each hold some words, with every cut falling outside one of
/// them, one stays whole on a line; the scanner then finds the whole literal in
/// the logical line they join into. The keys are the first and second halves (by
/// words), or for three words the first two and the last two: a half of one plain
/// word (`dependency:` of `Conflicting peer dependency:`, in every React lint
/// warning) would make the prefilter read too many lines. Keys shorter than 8
/// bytes, or that are everywhere, would too: such a literal is its own key.
pub fn wrap_keys(literal: &str) -> Vec<&str> {
    let words: Vec<(usize, &str)> =
        literal.split_whitespace().map(|w| (w.as_ptr() as usize - literal.as_ptr() as usize, w)).collect();
    let n = words.len();
    if n < 3 {
        return vec![literal];
    }
    // The first key ends after word `k`, the second starts at word `j` (j <= k):
    // a cut after word c (1 <= c < n) leaves the first whole when c >= k and the
    // second when c <= j, so every cut is covered while k <= j + 1.
    let (k, j) = if n == 3 { (2, 1) } else { (n.div_ceil(2), n.div_ceil(2)) };
    let end_of = |(at, w): (usize, &str)| at + w.len();
    let first = &literal[words[0].0..end_of(words[k - 1])];
    let second = &literal[words[j].0..end_of(words[n - 1])];
    let usable = |key: &str| key.len() >= 8 && too_common(key).is_none();
    if usable(first) && usable(second) { vec![first, second] } else { vec![literal] }
}

/// Why `literal` cannot prefilter (it is everywhere), or `None` when it can.
pub fn too_common(literal: &str) -> Option<String> {
    let word = literal.trim();
    if UBIQUITOUS.contains(&word) {
        return Some(format!("`{literal}` is in too many lines of any log to prefilter on"));
    }
    let line = BULK_LINES.iter().find(|l| l.contains(literal))?;
    let shown = line.split_once("Z ").map_or(*line, |(_, text)| text).replace('\u{1b}', "\\e");
    Some(format!(
        "`{literal}` occurs in output an ordinary log repeats by the thousand, such as `{shown}`, so most lines would be read in full"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_keys_are_the_halves_a_single_cut_leaves_whole() {
        assert_eq!(super::wrap_keys("Classic tokens have been revoked"), ["Classic tokens have", "been revoked"]);
        assert_eq!(
            super::wrap_keys("could not be found or you do not have permission"),
            ["could not be found or", "you do not have permission"]
        );
        assert_eq!(super::wrap_keys("code E404"), ["code E404"]);
        assert_eq!(super::wrap_keys("ENEEDAUTH"), ["ENEEDAUTH"]);
        assert_eq!(super::wrap_keys("a b c"), ["a b c"], "halves too short to prefilter on");
        assert_eq!(
            super::wrap_keys("Conflicting peer dependency:"),
            ["Conflicting peer", "peer dependency:"],
            "three words: two keys of two words, never one plain word"
        );
        assert_eq!(super::wrap_keys("lerna ERR! E"), ["lerna ERR! E"], "a key too short");
    }

    use super::*;

    #[test]
    fn flags_ubiquitous_words_and_literals_of_bulk_output() {
        assert!(too_common("error").is_some());
        assert!(too_common(" npm ").is_some());
        let why = too_common("/-/").unwrap();
        assert!(why.contains("npm http fetch"), "{why}");
        assert!(too_common("Z ").is_some(), "every timestamped line holds it");
        assert!(too_common("[built]").is_some());
    }

    #[test]
    fn accepts_specific_literals() {
        for lit in ["npm error code E404", "ENEEDAUTH", "##[error]", "Not Found - PUT", "FAIL", "Tests:", "problem"] {
            assert_eq!(too_common(lit), None, "{lit}");
        }
    }
}
