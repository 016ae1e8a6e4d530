//! `{{name}}` and `{{name|fallback}}` placeholders in a rule's explanation and
//! fixes, filled with the values its signals captured or the facts of the log.
//!
//! A name is `[a-z0-9_]+` with no spaces, so GitHub's `${{ secrets.NPM_TOKEN }}` in a
//! YAML snippet is plain text.

/// One placeholder found in a template.
#[derive(Debug, PartialEq, Eq)]
pub struct Placeholder<'a> {
    pub name: &'a str,
    pub fallback: Option<&'a str>,
}

/// Calls `each` for every placeholder and returns the text with each replaced by
/// what `each` returns.
pub fn render<'a>(template: &'a str, mut each: impl FnMut(&Placeholder<'a>) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match parse(after) {
            Some((ph, len)) => {
                out.push_str(&rest[..start]);
                out.push_str(&each(&ph));
                rest = &after[len..];
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every placeholder in `template`.
pub fn placeholders(template: &str) -> Vec<Placeholder<'_>> {
    let mut found = Vec::new();
    render(template, |p| {
        found.push(Placeholder { name: p.name, fallback: p.fallback });
        String::new()
    });
    found
}

/// Parses `name}}` or `name|fallback}}` at the start of `s`; returns the placeholder
/// and the bytes it spans.
fn parse(s: &str) -> Option<(Placeholder<'_>, usize)> {
    let name_len = s.bytes().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_').count();
    if name_len == 0 {
        return None;
    }
    let name = &s[..name_len];
    let rest = &s[name_len..];
    if rest.starts_with("}}") {
        return Some((Placeholder { name, fallback: None }, name_len + 2));
    }
    let fb = rest.strip_prefix('|')?;
    let end = fb.find("}}")?;
    if fb[..end].contains('\n') {
        return None;
    }
    Some((Placeholder { name, fallback: Some(&fb[..end]) }, name_len + 1 + end + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_names_and_fallbacks_and_leaves_github_expressions() {
        let t = "url {{expected|https://github.com/OWNER/REPO}} token ${{ secrets.NPM_TOKEN }} v{{npm_version}}";
        let out = render(t, |p| match p.name {
            "npm_version" => "10.8.2".into(),
            _ => p.fallback.unwrap_or("?").to_string(),
        });
        assert_eq!(out, "url https://github.com/OWNER/REPO token ${{ secrets.NPM_TOKEN }} v10.8.2");
        let names: Vec<_> = placeholders(t).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["expected", "npm_version"]);
    }

    #[test]
    fn unterminated_braces_are_text() {
        assert_eq!(render("a {{b", |_| "x".into()), "a {{b");
        assert_eq!(render("{\"a\": {{\"b\": 1}}}", |_| "x".into()), "{\"a\": {{\"b\": 1}}}");
    }
}
