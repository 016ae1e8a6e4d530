//! Hostile and odd input at the library seams: zip bombs (a high-ratio entry, a
//! header that lies about its size, too many entries) end in a clear error before
//! much is inflated; lines longer than a read block keep their numbers; and, as
//! properties, normalising never panics and every line number the scanner reports
//! points at the original line it came from.

use std::io::{Cursor, Write};
use std::sync::LazyLock;

use npm_logdoc::normalize;
use npm_logdoc::scan::JobScan;
use npm_logdoc::source::{Archive, ArchiveLimits, SourceError, scan_reader};
use npm_logdoc::{Matcher, RuleSet};
use proptest::prelude::*;

static RULES: LazyLock<(RuleSet, Matcher)> = LazyLock::new(|| {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let matcher = Matcher::new(&rules);
    (rules, matcher)
});

fn matcher() -> &'static Matcher {
    &RULES.1
}

/// A zip of `(name, data)` entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn open(bytes: Vec<u8>, limits: ArchiveLimits) -> Result<Vec<JobScan>, SourceError> {
    Archive::new(Cursor::new(bytes), "bomb.zip", &limits)?.scan(matcher())
}

const SMALL: ArchiveLimits = ArchiveLimits { max_entries: 16, max_total_bytes: 1 << 20 };

#[test]
fn a_high_ratio_entry_is_refused_from_its_declared_size() {
    // 16 MiB of zeros deflate to about 16 KB: a 1000:1 bomb against a 1 MiB cap.
    let zeros = vec![0u8; 16 << 20];
    let bytes = zip_of(&[("1_release.txt", &zeros)]);
    assert!(bytes.len() < 64 << 10, "the bomb is small: {} bytes", bytes.len());
    let err = open(bytes, SMALL).unwrap_err();
    assert!(matches!(err, SourceError::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("would inflate to 16 MiB, over the 1 MiB cap"), "{err}");
}

/// Rewrites every uncompressed-size field of a one-entry zip to `size`.
fn lie_about_size(bytes: &mut [u8], size: u32) {
    let local = memchr::memmem::find(bytes, b"PK\x03\x04").unwrap();
    bytes[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    let central = memchr::memmem::find(bytes, b"PK\x01\x02").unwrap();
    bytes[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn an_entry_whose_header_lies_about_its_size_stops_at_the_cap() {
    let mut log = b"2026-01-01T00:00:00.0000000Z npm error code E404\n".to_vec();
    log.resize(8 << 20, b'x');
    let mut bytes = zip_of(&[("1_release.txt", &log)]);
    lie_about_size(&mut bytes, 1000);
    // The declared sizes pass the check at opening; the bytes inflated do not.
    let err = open(bytes, SMALL).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("bomb.zip:1_release.txt: "), "{msg}");
    // The zip reader notices the lie itself; the size cap is the backstop.
    assert!(msg.contains("larger than its declared uncompressed size") || msg.contains("size cap"), "{msg}");
}

#[test]
fn too_many_entries_are_refused_before_any_is_read() {
    let names: Vec<String> = (0..17).map(|i| format!("job{i}/{i}_step.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x\n"[..])).collect();
    let err = open(zip_of(&entries), SMALL).unwrap_err();
    assert!(matches!(err, SourceError::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("17 entries, more than the 16"), "{err}");
}

#[test]
fn many_entries_whose_sizes_add_up_past_the_cap_are_refused() {
    let part = vec![b'a'; 300 << 10];
    let err = open(zip_of(&[("1_a.txt", &part), ("2_b.txt", &part), ("3_c.txt", &part), ("4_d.txt", &part)]), SMALL)
        .unwrap_err();
    assert!(matches!(err, SourceError::TooLarge { .. }), "{err:?}");
}

#[test]
fn an_archive_within_the_caps_is_scanned() {
    let log = b"2026-01-01T00:00:00.0000000Z hello\n";
    let scans = open(zip_of(&[("1_release.txt", log)]), SMALL).unwrap();
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].facts.lines, 1);
}

#[test]
fn lines_longer_than_a_read_block_keep_their_numbers() {
    // 3 MiB line without a literal, then a line with one, then a 2 MiB line that
    // holds a literal at its start.
    let mut log = vec![b'x'; 3 << 20];
    log.extend_from_slice(b"\nnpm error code E404\nnpm error code E404 ");
    log.extend(std::iter::repeat_n(b'y', 2 << 20));
    log.extend_from_slice(b"\nlast\n");
    let scans = scan_reader("long.log", None, &mut &log[..], matcher()).unwrap();
    let scan = &scans[0];
    assert_eq!(scan.facts.lines, 4);
    let mut lines: Vec<u64> = scan.hits.iter().flat_map(|h| h.kept.iter().map(|k| k.line)).collect();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(lines.first(), Some(&2), "{lines:?}");
    assert!(lines.iter().all(|l| (2..=3).contains(l)), "{lines:?}");
}

/// Lines a job log is made of: plain output, the example log's lines (full of
/// literals), and decorated variants (ANSI, CR, invalid UTF-8, timestamps).
fn line_strategy() -> impl Strategy<Value = Vec<u8>> {
    let example: Vec<&'static str> = npm_logdoc::EXAMPLE_LOG.lines().collect();
    let base = prop_oneof![
        3 => proptest::sample::select(example).prop_map(|l| l.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..60),
        1 => Just(b"npm error code E404".to_vec()),
        1 => Just(b"##[group]Run npm publish --provenance".to_vec()),
    ];
    (base, 0..6u8).prop_map(|(mut line, decoration)| {
        match decoration {
            0 => line.push(b'\r'),
            1 => {
                let mut l = b"\x1b[31m".to_vec();
                l.extend_from_slice(&line);
                l.extend_from_slice(b"\x1b[0m");
                line = l;
            }
            2 => line.extend_from_slice(b" \xff\xfe caf\xe9"),
            3 => {
                let mut l = b"2026-01-04T10:15:32.1235702Z ".to_vec();
                l.extend_from_slice(&line);
                line = l;
            }
            _ => {}
        }
        line
    })
}

/// The cleaned text of one raw line, as the scanner shows it.
fn cleaned(raw: &[u8]) -> String {
    let mut out = Vec::new();
    normalize::normalize_into(raw, &mut out);
    normalize::text(&out).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn normalising_never_panics_nor_adds_bytes(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        let line: Vec<u8> = raw.into_iter().filter(|b| *b != b'\n').collect();
        let mut out = Vec::new();
        let prefix = normalize::normalize_into(&line, &mut out);
        prop_assert!(out.len() <= line.len());
        for r in [&prefix.job, &prefix.step, &prefix.timestamp].into_iter().flatten() {
            prop_assert!(r.start <= r.end && r.end <= line.len());
        }
        let _ = normalize::text(&out);
    }

    #[test]
    fn every_reported_line_number_points_at_its_original_line(
        lines in proptest::collection::vec(line_strategy(), 0..80),
        trailing_newline in any::<bool>(),
    ) {
        let mut log = lines.join(&b'\n');
        if trailing_newline && !lines.is_empty() {
            log.push(b'\n');
        }
        let scans = match scan_reader("prop.log", None, &mut &log[..], matcher()) {
            Ok(s) => s,
            // NUL bytes near the start make it binary: a clear error, not a report.
            Err(e) => {
                prop_assert!(log[..log.len().min(8192)].contains(&0), "{e}");
                return Ok(());
            }
        };
        let newlines = log.iter().filter(|b| **b == b'\n').count() as u64;
        prop_assert_eq!(scans.iter().map(|s| s.facts.lines).sum::<u64>(), newlines);
        let originals: Vec<&[u8]> = log.split(|b| *b == b'\n').collect();
        let n = lines.len() as u64;
        for scan in &scans {
            // A hit or a context line is a logical line: it starts at the line it
            // names (the lines joined to it follow, up to `last_line`), so its text
            // holds that line's text.
            let holds_line = |text: &str, line: u64| {
                let want = cleaned(originals[line as usize - 1]);
                let want: String = want.trim().chars().take(100).collect();
                text.contains(&want)
            };
            for hit in scan.hits.iter().flat_map(|h| &h.kept) {
                prop_assert!((1..=n).contains(&hit.line), "line {} of {}", hit.line, n);
                prop_assert!(hit.line <= hit.last_line && hit.last_line <= n, "{}..{} of {}", hit.line, hit.last_line, n);
                prop_assert!(holds_line(&hit.text, hit.line), "line {}: {:?}", hit.line, hit.text);
            }
            for c in &scan.context {
                prop_assert!((1..=n).contains(&c.line), "line {} of {}", c.line, n);
                prop_assert!(holds_line(&c.text, c.line), "line {}: {:?}", c.line, c.text);
            }
        }
    }
}

/// The output of `npm --version` is a bare number with no literal in it: the facts
/// ask for the lines after the echo and the scanner feeds them, even across a block
/// boundary, without feeding any line twice.
#[test]
fn npm_version_echo_output_reaches_the_facts() {
    let rules = RuleSet::builtin_for_analysis().unwrap();
    let step =
        "##[group]Run npm --version\n\x1b[36;1mnpm --version\x1b[0m\nshell: /usr/bin/bash -e {0}\n##[endgroup]\n";
    let tail = "##[group]Run npm publish\n\x1b[36;1mnpm publish\x1b[0m\n##[endgroup]\nnpm error code E404\n##[error]Process completed with exit code 1.\n";
    let npm = |report: &npm_logdoc::diagnose::Report| report.jobs[0].facts.get("npm_version").cloned();
    let direct = format!("{step}11.6.2\n{tail}");
    assert_eq!(npm(&npm_logdoc::analyze_text("job", &direct, &rules)).as_deref(), Some("11.6.2"));
    // The version line starts a new 1 MiB block.
    let pad = "x".repeat(200);
    let mut filler = String::new();
    while filler.len() + step.len() < npm_logdoc::matcher::BLOCK - 300 {
        filler.push_str(&pad);
        filler.push('\n');
    }
    let fill = npm_logdoc::matcher::BLOCK - filler.len() - step.len() - 1;
    filler.push_str(&"y".repeat(fill));
    filler.push('\n');
    let split = format!("{filler}{step}11.6.2\n{tail}");
    assert_eq!(split.find("11.6.2\n"), Some(npm_logdoc::matcher::BLOCK));
    let report = npm_logdoc::analyze_text("job", &split, &rules);
    assert_eq!(npm(&report).as_deref(), Some("11.6.2"));
    // A script's own report of the version after an upgrade wins over setup-node's.
    let script = "##[group]Environment details\nnpm: 10.8.2\n##[endgroup]\nCurrent npm version: 10.8.2\nUpdated npm version: 11.7.0\nnpm error code E404\n";
    assert_eq!(npm(&npm_logdoc::analyze_text("job", script, &rules)).as_deref(), Some("11.7.0"));
}
