//! Text from a log made harmless where it is printed: [`markdown`] is the one
//! escaping function for log-derived text outside fences (the comment body and the
//! step summary), [`code`] for inside them, [`link`] for the targets of the links
//! the tool writes itself, and [`commands`] keeps workflow commands out of every
//! output but `--format github` (whose own escaping is in `github.rs`).
//!
//! Renderers that add a block of report text (a candidates list, say) pass every
//! log-derived string through [`markdown`], and the whole output through
//! [`commands`] (`render::render` does the latter).

const ZWSP: char = '\u{200B}';

/// Makes text safe outside a code block, with nothing passed through raw: as
/// GitHub renders it (cmark-gfm with its autolink extension, then mentions and
/// issue references), it is plain text and inline code, no element, link, image,
/// autolink, mention, issue reference, HTML, entity or block structure.
///
/// A code span closed on its line (one or two backticks) becomes `<code>...</code>`
/// with its content escaped like everything else, so `npm view <package>` still
/// reads as code and a URL or `www.` touching the span cannot undo it (GFM's
/// autolink used to swallow a raw span's backticks). Secrets are redacted here
/// too, for text that did not come through a report (job links, workflow names).
pub fn markdown(text: &str) -> String {
    // Control characters go before anything is looked for: dropped later, they
    // would join `:/\x14/` into `://` after the check.
    let text = crate::redact::lines(text);
    let text = crate::redact::text(&text);
    let mut out = String::with_capacity(text.len() + text.len() / 8 + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut rest = line;
        let mut start = true;
        while !rest.is_empty() {
            if let Some((span, after)) = code_span(rest) {
                out.push_str("<code>");
                escape(span, false, &mut out);
                out.push_str("</code>");
                rest = after;
                start = false;
                continue;
            }
            let end = rest.find('`').map_or(rest.len(), |i| {
                // A backtick run that opens no span is text.
                if i == 0 { rest.len() - rest.trim_start_matches('`').len() } else { i }
            });
            escape(&rest[..end], start, &mut out);
            rest = &rest[end..];
            start = false;
        }
    }
    out
}

/// An inline code span at the start of `text` (one line): a run of one or two
/// backticks closed by a run of the same length; `(content, rest)`.
fn code_span(text: &str) -> Option<(&str, &str)> {
    let open = text.len() - text.trim_start_matches('`').len();
    if !(1..=2).contains(&open) {
        return None;
    }
    let mut i = open;
    while i < text.len() {
        let run = text[i..].len() - text[i..].trim_start_matches('`').len();
        if run == 0 {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        } else if run == open {
            return (i > open).then(|| (&text[open..i], &text[i + run..]));
        } else {
            i += run;
        }
    }
    None
}

/// Escapes one piece of a line into `out`; `line_start` also defuses what only a
/// line's start makes into a block (list items, headings, quotes, rules, tables).
fn escape(text: &str, line_start: bool, out: &mut String) {
    let mut text = text;
    if line_start {
        let trimmed = text.trim_start_matches([' ', '\t']);
        out.push_str(&text[..text.len() - trimmed.len()]);
        text = trimmed;
        // `1.` / `1)` starts an ordered list: escape its delimiter.
        let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && matches!(text[digits..].chars().next(), Some('.' | ')')) {
            out.push_str(&text[..digits]);
            out.push('\\');
            out.push_str(&text[digits..=digits]);
            text = &text[digits + 1..];
        } else if matches!(text.chars().next(), Some('-' | '+' | '=' | ':')) {
            out.push('\\');
        }
    }
    escape_chars(text, out);
}

fn escape_chars(text: &str, out: &mut String) {
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        let rest = &text[i..];
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // `&#64;org` would render as a mention, `&lt;` as a tag's start.
            '&' => out.push_str("&amp;"),
            // Links, images, emphasis, strikethrough, tables, code, and the escape itself.
            '[' | ']' | '\\' | '*' | '_' | '~' | '|' | '`' => {
                out.push('\\');
                out.push(c);
            }
            // Mentions, e-mail autolinks, issue references.
            '@' | '#' => {
                out.push(c);
                out.push(ZWSP);
            }
            // `https://` autolinks.
            ':' if rest.starts_with("://") => {
                out.push(':');
                out.push(ZWSP);
            }
            // `www.` autolinks.
            'w' | 'W' if rest.len() >= 4 && rest.as_bytes()[..4].eq_ignore_ascii_case(b"www.") => {
                out.push_str(&rest[..3]);
                out.push(ZWSP);
                chars.next();
                chars.next();
            }
            // `GH-123` issue references.
            'G' | 'g'
                if rest.len() > 3
                    && rest.as_bytes()[..3].eq_ignore_ascii_case(b"gh-")
                    && rest.as_bytes()[3].is_ascii_digit() =>
            {
                out.push(c);
                out.push(ZWSP);
            }
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
}

/// Text for inside a fenced block: GitHub renders nothing there, so only what
/// could confuse a reader of the raw body (a marker look-alike) or the runner (a
/// control character) is changed.
pub fn code(text: &str) -> String {
    let text: String = text.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
    text.replace("<!--", "<!-\u{200B}-").replace("-->", "-\u{200B}->")
}

/// A fence info string (a snippet's language): letters, digits, `+`, `-`, `_`.
pub fn lang(lang: &str) -> String {
    lang.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_')).take(20).collect()
}

/// `url` as the target of a link the tool writes (`<url>` or `[text](url)`), or
/// `None` when it is not a plain `https://` or `http://` URL: no space, no
/// control character, nothing that could close the link or open HTML.
pub fn link(url: &str) -> Option<&str> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > 8
        && url.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '(' | ')' | '"' | '\'' | '`' | '\\'));
    ok.then_some(url)
}

/// `output` with no line the Actions runner would read as a workflow command:
/// a line whose first non-blank characters are `::` gets a zero-width space
/// between them, every `##[` one after its first `#`, and a CR (which the runner
/// takes as a line end) becomes a space. For every format but `github`, whose
/// commands are the point; JSON stays valid and decodes to the same strings.
pub fn commands(output: &str, json: bool) -> String {
    let mut out = String::with_capacity(output.len());
    for (i, line) in output.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line.replace('\r', " ");
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        out.push_str(indent);
        let mut rest = trimmed;
        if rest.starts_with("::") {
            out.push(':');
            out.push(if json { ' ' } else { ZWSP });
            rest = &rest[1..];
        }
        let hash = if json { "#\\u0023[" } else { "#\u{200B}#[" };
        out.push_str(&rest.replace("##[", hash));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_become_code_elements_with_escaped_content() {
        assert_eq!(
            markdown("run `npm view <package>` & check"),
            "run <code>npm view &lt;package&gt;</code> &amp; check"
        );
        assert_eq!(markdown("``a ` b`` <x>"), "<code>a \\` b</code> &lt;x&gt;");
        // Unclosed, or closed on another line: not a span, so escaped.
        assert_eq!(markdown("`<b> @x"), "\\`&lt;b&gt; @\u{200B}x");
        assert_eq!(markdown("`a\n<!-- x`"), "\\`a\n&lt;!-- x\\`");
        assert_eq!(markdown("``"), "\\`\\`");
        assert_eq!(markdown("```js"), "\\`\\`\\`js");
    }

    #[test]
    fn control_characters_cannot_assemble_what_was_checked_for() {
        let s = markdown("https:/\x14/x.example w\x14ww.y.example @\x07o npm_\x07Q7rT2vX9bN4mK8pL1sD6fG3hJ5wE0yUaZcVi");
        for bad in ["://", "www.", "@o", "Q7rT2vX9bN"] {
            assert!(!s.contains(bad), "{bad} in {s:?}");
        }
    }

    #[test]
    fn autolinks_mentions_and_references_are_broken() {
        let s = markdown("www.evil.example/``x`` https://evil.example @org/team a@b.example #1 GH-2 `www.x.io`");
        for bad in ["www.", "://", "@o", "@b", "#1", "GH-2"] {
            assert!(!s.contains(bad), "{bad} in {s}");
        }
    }

    #[test]
    fn line_starts_cannot_open_blocks() {
        assert_eq!(markdown("- a\n1. b\n# c\n> d\n=== \n  + e"), "\\- a\n1\\. b\n#\u{200B} c\n&gt; d\n\\=== \n  \\+ e");
        assert_eq!(markdown("x - y 2. z"), "x - y 2. z");
        assert_eq!(markdown("::warning x"), "\\::warning x");
    }

    #[test]
    fn links_emphasis_and_tables_are_escaped() {
        let s = markdown("![x](https://e.example/t.png) [y](u) *a* _b_ ~c~ |d| \\[e]");
        assert_eq!(
            s,
            "!\\[x\\](https:\u{200B}//e.example/t.png) \\[y\\](u) \\*a\\* \\_b\\_ \\~c\\~ \\|d\\| \\\\\\[e\\]"
        );
    }

    #[test]
    fn links_the_tool_writes_must_be_plain_urls() {
        assert_eq!(link("https://github.com/o/r/actions/runs/1"), Some("https://github.com/o/r/actions/runs/1"));
        for bad in ["javascript:alert(1)", "https://x.example/a b", "https://x.example/>", "https://x/(", "https://"] {
            assert_eq!(link(bad), None, "{bad}");
        }
    }

    #[test]
    fn no_line_reads_as_a_workflow_command() {
        let s = commands("a\n::warning::x\n  ::error ::y\nb ##[set-output name=x]y\rc", false);
        for line in s.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
            assert!(!line.contains("##["), "{line}");
        }
        assert!(!s.contains('\r'));
        let j = commands("{\n  \"text\": \"##[error]x\"\n}", true);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&j).unwrap()["text"], "##[error]x");
        assert!(!j.contains("##["));
    }
}
