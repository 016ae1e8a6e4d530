//! Where the bot writes, through the project's one GitHub client: the run's pull
//! requests, a commit, or the workflow's tracking issue. Each place lists its posts
//! (every page), creates one, and edits one; a refusal names the permission the
//! token lacks for that place.

use http::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::source::github::{GitHub, GitHubError, PullRequestRef, Repo, Run};

use super::BotError;

/// Most pages read from one listing (100 items each).
const MAX_PAGES: usize = 100;
/// Most pull requests one run's report is posted to.
pub const MAX_PULL_REQUESTS: usize = 10;

/// The author of a post.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct User {
    #[serde(default)]
    pub login: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// A comment, or a tracking issue (whose body plays the comment's part).
#[derive(Clone, Debug)]
pub struct Post {
    /// The comment id, or the issue number.
    pub id: u64,
    pub body: String,
    pub author: User,
    pub url: Option<String>,
}

#[derive(Deserialize)]
struct CommentJson {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    user: Option<User>,
    #[serde(default)]
    html_url: Option<String>,
}

#[derive(Deserialize)]
struct IssueJson {
    number: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    user: Option<User>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

impl From<CommentJson> for Post {
    fn from(c: CommentJson) -> Post {
        Post { id: c.id, body: c.body.unwrap_or_default(), author: c.user.unwrap_or_default(), url: c.html_url }
    }
}

impl From<IssueJson> for Post {
    fn from(i: IssueJson) -> Post {
        Post { id: i.number, body: i.body.unwrap_or_default(), author: i.user.unwrap_or_default(), url: i.html_url }
    }
}

/// Whose posts are the bot's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Me {
    /// The token's account: `GET /user` for a user's token, else GraphQL's
    /// `viewer` (`github-actions[bot]` for a workflow's GITHUB_TOKEN, `APP[bot]`
    /// for an app's installation token).
    Login(String),
    /// GitHub would say neither: no post counts as ours, so none is edited.
    Unknown,
}

impl Me {
    /// A marker alone is not proof (another bot, or a person, may copy it); the
    /// author must be the token's own account. When that cannot be known, nothing
    /// is ours.
    pub fn wrote(&self, post: &Post) -> bool {
        match self {
            Me::Login(login) => post.author.login.eq_ignore_ascii_case(login),
            Me::Unknown => false,
        }
    }
}

#[derive(Deserialize)]
struct Viewer {
    data: Option<ViewerData>,
}

#[derive(Deserialize)]
struct ViewerData {
    viewer: Option<User>,
}

/// A place a report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    PullRequest(u64),
    Commit(String),
    /// Every commit comment of the repository (where a success looks for failure
    /// comments left on earlier commits).
    AnyCommit,
    /// The workflow's open tracking issue.
    Issue,
}

impl Place {
    /// The `permissions:` entry a workflow token needs to write here.
    pub fn permission(&self) -> &'static str {
        match self {
            Place::PullRequest(_) => "pull-requests: write",
            Place::Commit(_) | Place::AnyCommit => "contents: write",
            Place::Issue => "issues: write",
        }
    }

    /// The same for a fine-grained token.
    fn fine_grained(&self) -> &'static str {
        match self {
            Place::PullRequest(_) => "Pull requests: Read and write",
            Place::Commit(_) | Place::AnyCommit => "Contents: Read and write",
            Place::Issue => "Issues: Read and write",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Place::PullRequest(n) => format!("pull request #{n}"),
            Place::Commit(sha) => format!("commit {}", &sha[..sha.len().min(7)]),
            Place::AnyCommit => "the repository's commit comments".into(),
            Place::Issue => "the tracking issue".into(),
        }
    }
}

/// Turns a refusal into a sentence naming the permission `place` needs.
fn refused(e: GitHubError, place: &Place, action: &str, repo: &Repo) -> BotError {
    match e {
        GitHubError::Forbidden { message, accepted, .. } => BotError::Forbidden {
            action: format!("{action} ({})", place.describe()),
            repo: repo.to_string(),
            message,
            permission: place.permission(),
            fine_grained: place.fine_grained(),
            accepted: accepted.map(String::into_boxed_str),
        },
        GitHubError::Expired { .. } if *place == Place::Issue => BotError::IssuesDisabled { repo: repo.to_string() },
        other => other.into(),
    }
}

/// The GraphQL endpoint beside a REST base: `https://api.github.com/graphql`, and
/// `https://HOST/api/graphql` for GitHub Enterprise Server's `https://HOST/api/v3`.
fn graphql_url(api_url: &str) -> String {
    let base = api_url.trim_end_matches('/');
    match base.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{base}/graphql"),
    }
}

/// The bot's view of one repository.
pub struct Api<'a> {
    pub gh: &'a GitHub,
    pub repo: &'a Repo,
}

impl Api<'_> {
    /// The run (or one attempt of it), read by the GitHub source's client.
    pub async fn run(&self, run_id: u64, attempt: Option<u32>) -> Result<Run, BotError> {
        Ok(self.gh.run(self.repo, run_id, attempt).await?)
    }

    /// The token's account: `GET /user`, which Actions and app tokens may not
    /// call, else GraphQL's `viewer`, which they may; [`Me::Unknown`] when neither
    /// answers.
    pub async fn me(&self) -> Result<Me, BotError> {
        let has_token = self.gh.settings().token.is_some();
        match self.gh.get_json::<User>("/user", "the token's user", self.repo).await {
            Ok(u) if !u.login.is_empty() => return Ok(Me::Login(u.login)),
            Err(e @ GitHubError::Unauthorized { .. }) if has_token => return Err(e.into()),
            Err(e @ (GitHubError::Network { .. } | GitHubError::RateLimited { .. })) => return Err(e.into()),
            _ => {}
        }
        if !has_token {
            return Ok(Me::Unknown);
        }
        let query = serde_json::json!({ "query": "query { viewer { login } }" });
        let uri = graphql_url(&self.gh.settings().api_url);
        match self.gh.send_json::<_, Viewer>(http::Method::POST, &uri, &query, "the token's account", self.repo).await {
            Ok(Viewer { data: Some(ViewerData { viewer: Some(u) }) }) if !u.login.is_empty() => Ok(Me::Login(u.login)),
            Err(e @ (GitHubError::Network { .. } | GitHubError::RateLimited { .. })) => Err(e.into()),
            _ => Ok(Me::Unknown),
        }
    }

    /// The open pull requests whose head is `sha` (for runs GitHub did not link to one).
    pub async fn pulls_of_commit(&self, sha: &str) -> Result<Vec<u64>, BotError> {
        let repo = self.repo;
        let route = format!("/repos/{repo}/commits/{sha}/pulls?per_page=100");
        let pulls: Vec<PullRequestRef> = self
            .gh
            .get_json(&route, &format!("the pull requests of commit {sha}"), repo)
            .await
            .map_err(|e| refused(e, &Place::PullRequest(0), "list the pull requests of the commit", repo))?;
        Ok(pulls.into_iter().filter(|p| p.state.as_deref().is_none_or(|s| s == "open")).map(|p| p.number).collect())
    }

    /// Every page of a listing (at most [`MAX_PAGES`]).
    async fn all_pages<T: DeserializeOwned>(&self, first: String, what: &str) -> Result<Vec<T>, GitHubError> {
        Ok(self.gh.all_pages(first, what, self.repo, MAX_PAGES).await?.0)
    }

    /// The posts at `place`, oldest first, over every page.
    pub async fn list(&self, place: &Place) -> Result<Vec<Post>, BotError> {
        let repo = self.repo;
        let what = format!("the comments of {}", place.describe());
        let listed = match place {
            Place::PullRequest(n) => self
                .all_pages::<CommentJson>(format!("/repos/{repo}/issues/{n}/comments?per_page=100"), &what)
                .await
                .map(|v| v.into_iter().map(Post::from).collect()),
            Place::Commit(sha) => self
                .all_pages::<CommentJson>(format!("/repos/{repo}/commits/{sha}/comments?per_page=100"), &what)
                .await
                .map(|v| v.into_iter().map(Post::from).collect()),
            Place::AnyCommit => self
                .all_pages::<CommentJson>(format!("/repos/{repo}/comments?per_page=100"), &what)
                .await
                .map(|v| v.into_iter().map(Post::from).collect()),
            Place::Issue => self
                .all_pages::<IssueJson>(format!("/repos/{repo}/issues?state=open&per_page=100"), "the open issues")
                .await
                .map(|v| v.into_iter().filter(|i| i.pull_request.is_none()).map(Post::from).collect()),
        };
        listed.map_err(|e| refused(e, place, "read", repo))
    }

    /// Posts `body` at `place` (a new tracking issue takes `title`).
    pub async fn create(&self, place: &Place, body: &str, title: &str) -> Result<Post, BotError> {
        let repo = self.repo;
        let (route, payload) = match place {
            Place::PullRequest(n) => (format!("/repos/{repo}/issues/{n}/comments"), json!({ "body": body })),
            Place::Commit(sha) => (format!("/repos/{repo}/commits/{sha}/comments"), json!({ "body": body })),
            Place::AnyCommit => unreachable!("a failure is posted to one commit"),
            Place::Issue => (format!("/repos/{repo}/issues"), json!({ "title": title, "body": body })),
        };
        let what = format!("a new comment on {}", place.describe());
        self.send_post(Method::POST, &route, &payload, &what, place, "post a comment").await
    }

    /// Replaces the body of post `id` at `place`.
    pub async fn update(&self, place: &Place, id: u64, body: &str) -> Result<Post, BotError> {
        let repo = self.repo;
        let route = match place {
            Place::PullRequest(_) => format!("/repos/{repo}/issues/comments/{id}"),
            Place::Commit(_) | Place::AnyCommit => format!("/repos/{repo}/comments/{id}"),
            Place::Issue => format!("/repos/{repo}/issues/{id}"),
        };
        let what = format!("comment {id} on {}", place.describe());
        self.send_post(Method::PATCH, &route, &json!({ "body": body }), &what, place, "edit a comment").await
    }

    /// Sends a post's request; the answer is an issue for a tracking issue, else a
    /// comment.
    async fn send_post(
        &self,
        method: Method,
        route: &str,
        payload: &serde_json::Value,
        what: &str,
        place: &Place,
        action: &str,
    ) -> Result<Post, BotError> {
        let repo = self.repo;
        let refuse = |e| refused(e, place, action, repo);
        if *place == Place::Issue {
            let issue: IssueJson = self.gh.send_json(method, route, payload, what, repo).await.map_err(refuse)?;
            return Ok(issue.into());
        }
        let comment: CommentJson = self.gh.send_json(method, route, payload, what, repo).await.map_err(refuse)?;
        Ok(comment.into())
    }

    /// Comments `note` on tracking issue `number` and closes it as completed.
    pub async fn close_issue(&self, number: u64, note: &str) -> Result<Post, BotError> {
        let repo = self.repo;
        let refuse = |e| refused(e, &Place::Issue, "close the issue", repo);
        let what = format!("issue #{number}");
        let _: CommentJson = self
            .gh
            .send_json(
                Method::POST,
                &format!("/repos/{repo}/issues/{number}/comments"),
                &json!({ "body": note }),
                &what,
                repo,
            )
            .await
            .map_err(refuse)?;
        let issue: IssueJson = self
            .gh
            .send_json(
                Method::PATCH,
                &format!("/repos/{repo}/issues/{number}"),
                &json!({ "state": "closed", "state_reason": "completed" }),
                &what,
                repo,
            )
            .await
            .map_err(refuse)?;
        Ok(issue.into())
    }
}
