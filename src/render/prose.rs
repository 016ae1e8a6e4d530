//! Prose from rule files, filled to the reader's width. Rule authors break their
//! lines wherever the TOML file reads well; the terminal report joins each
//! paragraph and list item back together and wraps it again for the terminal it
//! is shown on (ripgrep and clap wrap their help the same way).
//!
//! A paragraph is a run of lines between blank lines; a line that starts with a
//! list marker (`1.`, `2)`, `-`, `*`, `•`) starts an item of its own, and the
//! lines after it, indented or not, continue it (as Markdown reads a lazy
//! continuation). Words are never split, so a URL, a path or a `code span`
//! longer than the width overflows its line rather than breaking.

use textwrap::{Options, WordSeparator, WordSplitter};

/// The width prose is filled to: the terminal's, at most 100 columns (longer lines
/// are hard to read), at least 40; 100 when the output is not a terminal.
pub fn width(terminal: Option<u16>) -> usize {
    terminal.map_or(100, |w| usize::from(w).clamp(40, 100))
}

/// Fills `text` to `width` columns, every line starting with `indent`.
pub fn reflow(text: &str, width: usize, indent: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for unit in units(text) {
        match unit {
            Unit::Blank => out.push(String::new()),
            Unit::Text { marker, words } => {
                let first = format!("{indent}{}", marker.map(|m| format!("{m} ")).unwrap_or_default());
                let rest = format!("{indent}{}", " ".repeat(first.len() - indent.len()));
                out.push(fill(&words, width, &first, &rest));
            }
        }
    }
    out.join("\n")
}

/// Fills one paragraph: `first` before its first line, `rest` before the others.
pub fn fill(text: &str, width: usize, first: &str, rest: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let options = Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(WordSeparator::AsciiSpace)
        .word_splitter(WordSplitter::NoHyphenation);
    textwrap::fill(&joined, options)
}

#[derive(Debug, PartialEq)]
enum Unit<'a> {
    Blank,
    Text { marker: Option<&'a str>, words: String },
}

fn units(text: &str) -> Vec<Unit<'_>> {
    let mut units: Vec<Unit<'_>> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() {
            if units.last().is_some_and(|u| *u != Unit::Blank) {
                units.push(Unit::Blank);
            }
            continue;
        }
        if let Some((marker, words)) = list_item(t) {
            units.push(Unit::Text { marker: Some(marker), words: words.to_string() });
        } else if let Some(Unit::Text { words, .. }) = units.last_mut() {
            words.push(' ');
            words.push_str(t);
        } else {
            units.push(Unit::Text { marker: None, words: t.to_string() });
        }
    }
    if units.last() == Some(&Unit::Blank) {
        units.pop();
    }
    units
}

/// `1. text`, `2) text`, `- text`, `* text`, `• text`: the marker and the text.
fn list_item(line: &str) -> Option<(&str, &str)> {
    let (marker, rest) = line.split_once(' ')?;
    let digits = marker.strip_suffix(['.', ')']).unwrap_or("");
    let numbered = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    (numbered || matches!(marker, "-" | "*" | "•")).then(|| (marker, rest.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_the_lines_of_a_paragraph_and_wraps_them_again() {
        let text = "The registry refused\nthe publish of the package\nwith E404.\n\nSecond paragraph.";
        assert_eq!(
            reflow(text, 30, "  "),
            "  The registry refused the\n  publish of the package with\n  E404.\n\n  Second paragraph."
        );
    }

    #[test]
    fn list_items_keep_their_marker_and_hang_their_continuation() {
        let text = "Candidates:\n1. trusted publishing produced\n   no token;\n2. the token expired\n- a bullet\nthat continues";
        assert_eq!(
            reflow(text, 26, ""),
            "Candidates:\n1. trusted publishing\n   produced no token;\n2. the token expired\n- a bullet that continues"
        );
    }

    #[test]
    fn never_splits_a_word_a_hyphenated_name_or_a_url() {
        let text =
            "see https://docs.npmjs.com/trusted-publishers and id-token: write [npm-auth/token-expired-or-invalid]";
        let filled = reflow(text, 20, "");
        assert!(filled.lines().any(|l| l == "https://docs.npmjs.com/trusted-publishers"), "{filled}");
        assert!(filled.contains("id-token:"), "{filled}");
        assert!(filled.lines().any(|l| l == "[npm-auth/token-expired-or-invalid]"), "{filled}");
    }

    #[test]
    fn numbers_and_versions_that_start_a_line_are_no_list_markers() {
        assert_eq!(list_item("11.5.1 or later"), None);
        assert_eq!(list_item("2026-02-03) were capped"), None);
        assert_eq!(list_item("12. twelfth"), Some(("12.", "twelfth")));
        assert_eq!(list_item("→ Access Tokens"), None);
        assert_eq!(list_item("• item"), Some(("•", "item")));
        assert_eq!(list_item(". alone"), None);
    }

    #[test]
    fn the_width_follows_the_terminal_within_bounds() {
        assert_eq!(width(None), 100);
        assert_eq!(width(Some(80)), 80);
        assert_eq!(width(Some(200)), 100);
        assert_eq!(width(Some(20)), 40);
    }
}
