//! What a command-line argument says about a run: a run id, a run URL (github.com
//! or a GitHub Enterprise Server host), `OWNER/REPO`, a git remote. Pure parsing:
//! the CLI decides which of these apply and in what order.

use std::fmt;

/// The public API, used unless a host or `--api-url` says otherwise.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// A repository on GitHub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Repo {
    /// `OWNER/REPO` or `HOST/OWNER/REPO` (as `gh -R` takes it), with the host if given.
    pub fn parse(arg: &str) -> Option<(Option<String>, Repo)> {
        let parts: Vec<&str> = arg.trim().trim_end_matches('/').split('/').collect();
        let (host, owner, name) = match parts.as_slice() {
            [owner, name] => (None, *owner, *name),
            [host, owner, name] if host.contains('.') || host.contains(':') => (Some(host.to_string()), *owner, *name),
            _ => return None,
        };
        let name = name.strip_suffix(".git").unwrap_or(name);
        (is_name(owner) && is_name(name)).then(|| (host, Repo { owner: owner.to_string(), name: name.to_string() }))
    }
}

/// A run named by id or URL (the repository may still be unknown for a bare id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRef {
    /// Web host of a URL (`github.com`, a GHES host), lower-cased.
    pub host: Option<String>,
    pub repo: Option<Repo>,
    pub run_id: u64,
    pub attempt: Option<u32>,
    pub job_id: Option<u64>,
}

impl RunRef {
    /// `Some` when `arg` names a run: all digits, or an `http(s)://` URL. A URL that
    /// is not a run's gives `Some(Err)` with what a run URL looks like.
    pub fn parse(arg: &str) -> Option<Result<RunRef, String>> {
        let arg = arg.trim();
        if !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_digit()) {
            return Some(
                arg.parse()
                    .map(|run_id| RunRef { host: None, repo: None, run_id, attempt: None, job_id: None })
                    .map_err(|_| format!("`{arg}` is too large for a run id")),
            );
        }
        let rest = arg.strip_prefix("https://").or_else(|| arg.strip_prefix("http://"))?;
        Some(parse_run_url(rest).ok_or_else(|| {
            format!(
                "`{arg}` is not a run URL: expected https://github.com/OWNER/REPO/actions/runs/ID, \
                 optionally followed by /attempts/N or /job/JOB_ID"
            )
        }))
    }
}

/// `HOST/OWNER/REPO/actions/runs/ID[/attempts/N][/job/JOBID]`, ignoring a query,
/// a fragment and a trailing slash.
fn parse_run_url(rest: &str) -> Option<RunRef> {
    let rest = rest.split(['?', '#']).next()?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let [host, owner, name, "actions", "runs", id, tail @ ..] = parts.as_slice() else {
        return None;
    };
    if !is_name(owner) || !is_name(name) {
        return None;
    }
    let mut run = RunRef {
        host: Some(host.to_ascii_lowercase()),
        repo: Some(Repo { owner: owner.to_string(), name: name.to_string() }),
        run_id: id.parse().ok()?,
        attempt: None,
        job_id: None,
    };
    match tail {
        [] => {}
        ["attempts", n] => run.attempt = Some(n.parse().ok().filter(|n| *n > 0)?),
        ["job", j] => run.job_id = Some(j.parse().ok()?),
        ["attempts", n, "job", j] => {
            run.attempt = Some(n.parse().ok().filter(|n| *n > 0)?);
            run.job_id = Some(j.parse().ok()?);
        }
        _ => return None,
    }
    Some(run)
}

/// The repository and host of a git remote URL: `https://HOST/OWNER/REPO(.git)`,
/// `ssh://git@HOST(:PORT)/OWNER/REPO.git`, `git@HOST:OWNER/REPO.git`.
pub fn parse_remote(url: &str) -> Option<(String, Repo)> {
    let url = url.trim();
    let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(scheme, "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git") {
            return None;
        }
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit('@').next()?;
        let host = if scheme == "https" || scheme == "http" { host } else { host.split(':').next()? };
        (host, path)
    } else {
        // scp-like: [user@]host:owner/repo.git
        let (authority, path) = url.split_once(':')?;
        if authority.contains('/') {
            return None;
        }
        (authority.rsplit('@').next()?, path)
    };
    let path = path.trim_matches('/');
    let (owner, name) = path.split_once('/')?;
    let name = name.strip_suffix(".git").unwrap_or(name);
    (!host.is_empty() && is_name(owner) && is_name(name))
        .then(|| (host.to_ascii_lowercase(), Repo { owner: owner.to_string(), name: name.to_string() }))
}

/// The REST API base for a web host: the public API for github.com, `api.` for a
/// GHE.com tenant, `/api/v3` for a GitHub Enterprise Server.
pub fn api_url_for_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    if host == "github.com" || host == "www.github.com" {
        DEFAULT_API_URL.to_string()
    } else if host.ends_with(".ghe.com") {
        format!("https://api.{host}")
    } else {
        format!("https://{host}/api/v3")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(o: &str, n: &str) -> Repo {
        Repo { owner: o.into(), name: n.into() }
    }

    #[test]
    fn run_ids_and_urls() {
        assert_eq!(RunRef::parse("1234567890").unwrap().unwrap().run_id, 1234567890);
        assert!(RunRef::parse("job.log").is_none());
        assert!(RunRef::parse("./123").is_none());
        let r = RunRef::parse("https://github.com/orrery-dev/lintel/actions/runs/42").unwrap().unwrap();
        assert_eq!((r.host.as_deref(), r.repo, r.run_id), (Some("github.com"), Some(repo("orrery-dev", "lintel")), 42));
        let r = RunRef::parse("https://github.com/o/r/actions/runs/42/attempts/3/").unwrap().unwrap();
        assert_eq!((r.run_id, r.attempt, r.job_id), (42, Some(3), None));
        let r = RunRef::parse("https://GHE.example.com/o/r/actions/runs/42/job/99?pr=7#step:5:12").unwrap().unwrap();
        assert_eq!((r.host.as_deref(), r.run_id, r.job_id), (Some("ghe.example.com"), 42, Some(99)));
        let r = RunRef::parse("http://127.0.0.1:8080/o/r/actions/runs/1/attempts/2/job/5").unwrap().unwrap();
        assert_eq!((r.attempt, r.job_id), (Some(2), Some(5)));
        for bad in [
            "https://github.com/o/r",
            "https://github.com/o/r/actions/runs/x",
            "https://github.com/o/r/actions/runs/1/attempts/0",
            "https://github.com/o/r/actions/runs/1/logs",
            "https://github.com/o/r/pull/3",
        ] {
            assert!(RunRef::parse(bad).unwrap().is_err(), "{bad}");
        }
        assert!(RunRef::parse("99999999999999999999999").unwrap().is_err());
    }

    #[test]
    fn repos_with_and_without_host() {
        assert_eq!(Repo::parse("o/r"), Some((None, repo("o", "r"))));
        assert_eq!(Repo::parse("ghe.example.com/o/r.git"), Some((Some("ghe.example.com".into()), repo("o", "r"))));
        assert_eq!(Repo::parse("o"), None);
        assert_eq!(Repo::parse("o/r/x"), None);
        assert_eq!(Repo::parse("o/../x"), None);
    }

    #[test]
    fn git_remotes_in_https_and_ssh_forms() {
        let want = Some(("github.com".to_string(), repo("orrery-dev", "lintel")));
        for url in [
            "https://github.com/orrery-dev/lintel.git",
            "https://github.com/orrery-dev/lintel",
            "https://x-access-token:abc@github.com/orrery-dev/lintel.git",
            "git@github.com:orrery-dev/lintel.git",
            "ssh://git@github.com/orrery-dev/lintel.git",
            "ssh://git@github.com:22/orrery-dev/lintel.git",
            "git@github.com:orrery-dev/lintel\n",
        ] {
            assert_eq!(parse_remote(url), want, "{url}");
        }
        assert_eq!(parse_remote("/srv/git/lintel.git"), None);
        assert_eq!(parse_remote("file:///srv/git/o/r.git"), None);
        assert_eq!(parse_remote("git@ghe.corp:team/app.git").unwrap().0, "ghe.corp");
    }

    #[test]
    fn api_bases_for_hosts() {
        assert_eq!(api_url_for_host("github.com"), "https://api.github.com");
        assert_eq!(api_url_for_host("acme.ghe.com"), "https://api.acme.ghe.com");
        assert_eq!(api_url_for_host("ghe.example.com"), "https://ghe.example.com/api/v3");
    }
}
