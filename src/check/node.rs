//! Which npm a Node version brings, and which Node versions an npm release
//! installs on: data tables, and the ranges evaluated with `nodejs-semver`.

use nodejs_semver::{Range, Version};

/// The first npm that can do OIDC trusted publishing (npm docs, trusted-publishers).
pub const NPM_OIDC_MIN: &str = "11.5.1";

/// `(Node version, npm it bundles)`: the release where the bundled npm changed,
/// oldest first within a line. Source: Node's changelogs (`doc/changelogs/
/// CHANGELOG_V<N>.md`, the "deps: upgrade npm to X" entries), the same data as the
/// `npm` field of <https://nodejs.org/dist/index.json>. Checked against them: 24.5.0
/// brought npm 11.5.1, and Node 22 never leaves npm 10 (10.9.8 from 22.22.3); the
/// other rows are still to be checked against index.json. A version
/// between two rows bundles at least the npm of the row before it; the last row of
/// a line is the newest release known here, which is what a bare `node-version: 22`
/// installs (or newer).
pub const NODE_NPM: &[(&str, &str)] = &[
    ("16.0.0", "7.10.0"),
    ("16.20.2", "8.19.4"),
    ("18.0.0", "8.6.0"),
    ("18.20.8", "10.8.2"),
    ("20.0.0", "9.6.4"),
    ("20.10.0", "10.2.3"),
    ("20.17.0", "10.8.2"),
    ("20.19.5", "10.8.2"),
    ("22.0.0", "10.5.1"),
    ("22.9.0", "10.8.3"),
    ("22.12.0", "10.9.0"),
    ("22.14.0", "10.9.2"),
    ("22.23.1", "10.9.8"),
    ("24.0.0", "11.3.0"),
    ("24.3.0", "11.4.2"),
    ("24.5.0", "11.5.1"),
    ("24.8.0", "11.6.0"),
    ("24.15.0", "11.6.2"),
    ("25.0.0", "11.6.2"),
];

/// `(npm release, its engines.node)`: the releases an `npm install -g npm@SPEC`
/// can land on, newest first. Source: each release's package.json on the registry
/// (`npm view npm@12 engines`); latest = 12.2.2 and the 11 line = 11.21.2 at the time
/// of writing.
pub const NPM_ENGINES: &[(&str, &str)] = &[
    ("12.2.2", "^22.22.2 || ^24.15.0 || >=26.0.0"),
    ("12.0.0", "^22.22.2 || ^24.15.0 || >=26.0.0"),
    ("11.21.2", "^20.17.0 || >=22.9.0"),
    ("11.5.1", "^20.17.0 || >=22.9.0"),
    ("10.9.8", "^18.17.0 || >=20.5.0"),
    ("10.8.2", "^18.17.0 || >=20.5.0"),
    ("9.9.4", "^14.17.0 || ^16.13.0 || >=18.0.0"),
];

/// The pin `--fix` writes for an upgrade that must reach OIDC on an older Node.
pub const NPM_PIN_FOR_OIDC: &str = "^11.5.1";

fn v(s: &str) -> Option<Version> {
    Version::parse(s.trim().trim_start_matches('v')).ok()
}

pub fn version(s: &str) -> Option<Version> {
    v(s)
}

/// Whether `npm` (a version) can do trusted publishing.
pub fn npm_reaches_oidc(npm: &Version) -> bool {
    v(NPM_OIDC_MIN).is_some_and(|min| *npm >= min)
}

/// The concrete Node version a `node-version` value resolves to, as far as the
/// table knows: an exact version stays; `22`, `22.x`, `^22`, `lts/*`, `latest`
/// become the newest release of the table that satisfies them. `None` for what
/// cannot be read (an expression, `lts/iron` names are mapped).
pub fn resolve_node(spec: &str) -> Option<Version> {
    let spec = spec.trim().trim_matches(['"', '\'']).trim_start_matches('v');
    let spec = match spec.to_ascii_lowercase().as_str() {
        "lts/*" | "lts" | "lts/krypton" => "24".to_string(),
        "lts/jod" => "22".to_string(),
        "lts/iron" => "20".to_string(),
        "lts/hydrogen" => "18".to_string(),
        "latest" | "node" | "current" => "25".to_string(),
        other => other.to_string(),
    };
    if spec.contains("${{") || spec.is_empty() {
        return None;
    }
    if let Some(exact) = v(&spec) {
        return Some(exact);
    }
    let range = Range::parse(&spec).ok()?;
    NODE_NPM.iter().rev().filter_map(|(n, _)| v(n)).find(|n| range.satisfies(n))
}

/// The npm that Node `node` bundles (at least).
pub fn bundled_npm(node: &Version) -> Option<Version> {
    NODE_NPM
        .iter()
        .filter_map(|(n, npm)| Some((v(n)?, v(npm)?)))
        .filter(|(n, _)| n.major == node.major && n <= node)
        .map(|(_, npm)| npm)
        .next_back()
}

/// What `npm install -g npm@spec` lands on: the newest known release in `spec`
/// (`latest` is the newest of all), with its engines range.
pub fn npm_release(spec: &str) -> Option<(Version, &'static str)> {
    let spec = spec.trim().trim_matches(['"', '\'']);
    let range =
        if spec == "latest" || spec.is_empty() || spec == "next" { Range::any() } else { Range::parse(spec).ok()? };
    NPM_ENGINES.iter().find_map(|(npm, engines)| {
        let npm = v(npm)?;
        range.satisfies(&npm).then_some((npm, *engines))
    })
}

/// Whether `engines` (an npm range) accepts Node `node`.
pub fn engines_allow(engines: &str, node: &Version) -> bool {
    Range::parse(engines).is_ok_and(|r| r.satisfies(node))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_lines_resolve_to_their_newest_known_release() {
        assert_eq!(resolve_node("22").unwrap().to_string(), "22.23.1");
        assert_eq!(resolve_node("20.x").unwrap().to_string(), "20.19.5");
        assert_eq!(resolve_node("'24'").unwrap().to_string(), "24.15.0");
        assert_eq!(resolve_node("22.14.0").unwrap().to_string(), "22.14.0");
        assert!(resolve_node("${{ matrix.node }}").is_none());
    }

    #[test]
    fn bundled_npm_is_the_row_at_or_before() {
        assert_eq!(bundled_npm(&v("22.16.0").unwrap()).unwrap().to_string(), "10.9.2");
        assert_eq!(bundled_npm(&v("24.6.0").unwrap()).unwrap().to_string(), "11.5.1");
        assert!(!npm_reaches_oidc(&bundled_npm(&v("22.23.1").unwrap()).unwrap()));
        assert!(npm_reaches_oidc(&bundled_npm(&v("24.15.0").unwrap()).unwrap()));
    }

    #[test]
    fn npm_12_needs_a_recent_node() {
        let (npm, engines) = npm_release("latest").unwrap();
        assert_eq!(npm.major, 12);
        assert!(!engines_allow(engines, &v("22.14.0").unwrap()));
        assert!(engines_allow(engines, &v("22.22.2").unwrap()));
        assert!(!engines_allow(engines, &v("20.19.5").unwrap()));
        let (npm, engines) = npm_release("^11.5.1").unwrap();
        assert_eq!(npm.to_string(), "11.21.2");
        assert!(engines_allow(engines, &v("20.19.5").unwrap()));
    }
}
