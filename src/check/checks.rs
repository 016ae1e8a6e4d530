//! The checks: each publishing job (and the packages it publishes) against what
//! a trusted-publishing or token publish needs. Each finding carries the cause id
//! `analyze` would give for the failure it prevents.

use github_actions_models::common::{BasePermission, Permissions};
use github_actions_models::workflow::Job;

use super::discover::Repository;
use super::fix::Edit;
use super::node;
use super::package::Package;
use super::workflow::{self, EnvSet, EnvVal, JobInfo, Publish, RouteBuf, StepInfo, StepKind, Tool, key};
use super::{Finding, Severity};

/// The npm registry's canonical host.
const NPM_REGISTRY: &str = "registry.npmjs.org";

struct Ctx<'a> {
    repo: &'a Repository,
    out: Vec<Finding>,
}

impl Ctx<'_> {
    fn locate(&self, file: &str, route: &[yamlpath::Component<'static>]) -> (usize, usize) {
        if let Some(w) = self.repo.workflows.iter().find(|w| w.rel == file) {
            return w.locate(route);
        }
        self.repo
            .read(file)
            .and_then(|t| yamlpath::Document::new(t).ok())
            .map_or((1, 1), |d| workflow::locate_in(&d, route))
    }

    // A finding is its id, severity, place, message, fix and edit: one argument each
    // reads better at the call sites than a builder.
    #[allow(clippy::too_many_arguments)]
    fn yaml(
        &mut self,
        id: &str,
        severity: Severity,
        file: &str,
        route: &[yamlpath::Component<'static>],
        message: String,
        fix: String,
        edit: Option<Edit>,
    ) {
        let (line, column) = self.locate(file, route);
        self.out.push(Finding { id: id.into(), severity, file: file.into(), line, column, message, fix, edit });
    }

    #[allow(clippy::too_many_arguments)]
    fn json(
        &mut self,
        id: &str,
        severity: Severity,
        pkg: &Package,
        path: &[&str],
        message: String,
        fix: String,
        edit: Option<Edit>,
    ) {
        let (line, column) = pkg.locate(path);
        self.out.push(Finding { id: id.into(), severity, file: pkg.file.clone(), line, column, message, fix, edit });
    }
}

/// What one publishing job means to do, worked out once.
struct Intent {
    /// Trusted publishing: no token secret is wired in, or `id-token: write` is granted.
    oidc: bool,
    /// Provenance is asked for explicitly (flag, env, publishConfig, .npmrc).
    provenance: bool,
}

pub fn run(repo: &Repository) -> Vec<Finding> {
    run_with(repo, &[])
}

/// The checks; `not_on_registry` names the packages `--online` found missing.
pub fn run_with(repo: &Repository, not_on_registry: &[String]) -> Vec<Finding> {
    let mut problems = Vec::new();
    let jobs = workflow::jobs(repo, &mut problems);
    let mut cx = Ctx { repo, out: problems };
    let mut any_provenance = false;
    let mut any_publish = false;
    let mut any_oidc = false;
    let mut runner_checked: Vec<(usize, String)> = Vec::new();
    let mut access_public = false;
    let mut registries: Vec<String> = Vec::new();
    for job in &jobs {
        if job.publishes.is_empty() {
            continue;
        }
        any_publish = true;
        let w = &repo.workflows[job.workflow];
        let wf_env = workflow::workflow_env(w);
        let job_env = workflow::job_env(w, &job.id);
        let mut job_oidc = false;
        for p in &job.publishes {
            let env = job.env_for(p.step, &wf_env, &job_env);
            let intent = intent(repo, job, p, &env);
            access_public |= p.access_public;
            if let Some(url) = setup_node(job, p.step).and_then(|s| s.with("registry-url")) {
                registries.push(url.to_string());
            }
            // Trusted publishing brings provenance once it works, so the repository
            // must be right even while another finding still blocks the exchange.
            any_provenance |= intent.provenance || (intent.oidc && !matches!(p.tool, Tool::YarnClassic | Tool::Bun));
            job_oidc |= intent.oidc;
            check_id_token(&mut cx, job, p, &intent);
            check_tokens(&mut cx, job, p, &env, &intent);
            if intent.oidc {
                check_npm_version(&mut cx, job, p);
                check_publisher(&mut cx, job, p);
            }
            if (intent.oidc || intent.provenance) && !runner_checked.contains(&(job.workflow, job.id.clone())) {
                runner_checked.push((job.workflow, job.id.clone()));
                check_runner(&mut cx, job, &intent);
            }
        }
        if job_oidc {
            any_oidc = true;
            trusted_publisher_note(&mut cx, job);
        }
    }
    if any_publish {
        for pkg in &repo.packages {
            if any_provenance {
                check_repository(&mut cx, pkg);
            }
            check_access(&mut cx, pkg, access_public, pkg.name.as_ref().is_some_and(|n| not_on_registry.contains(n)));
            check_registry(&mut cx, pkg, &registries);
            if any_oidc && pkg.name.as_ref().is_some_and(|n| not_on_registry.contains(n)) {
                cx.json(
                    "oidc/first-publish",
                    Severity::Error,
                    pkg,
                    &["name"],
                    format!(
                        "{} is not on the registry yet, and trusted publishing cannot create a package",
                        pkg.name.as_deref().unwrap_or("package")
                    ),
                    "Publish the first version by hand (`npm publish --access public` with 2FA) or with a granular token, then add the trusted publisher on npmjs.com.".into(),
                    None,
                );
            }
        }
        check_npmrc(&mut cx);
    }
    cx.out
}

fn env_get<'a>(env: &'a [EnvSet], name: &str) -> Option<&'a EnvSet> {
    env.iter().find(|e| e.name.eq_ignore_ascii_case(name))
}

fn intent(repo: &Repository, job: &JobInfo, p: &Publish, env: &[EnvSet]) -> Intent {
    let step = &job.steps[p.step];
    let secret = ["NODE_AUTH_TOKEN", "NPM_TOKEN", "YARN_NPM_AUTH_TOKEN"]
        .iter()
        .any(|n| matches!(env_get(env, n).map(|e| &e.value), Some(EnvVal::Secret(_) | EnvVal::Clear(_))))
        || step.with("token").is_some_and(|t| t.contains("${{"));
    let provenance = p.provenance
        || env_get(env, "NPM_CONFIG_PROVENANCE").is_some_and(|e| matches!(&e.value, EnvVal::Clear(v) if v == "true"))
        || repo
            .packages
            .iter()
            .any(|k| k.json.pointer("/publishConfig/provenance").and_then(|v| v.as_bool()) == Some(true))
        || repo.npmrc.as_ref().is_some_and(|(_, t)| npmrc_value(t, "provenance").is_some_and(|(_, v)| v == "true"));
    Intent { oidc: job.id_token || !secret, provenance }
}

/// `packageManager: "<name>@<version>"`, as (major, minor).
fn manager(repo: &Repository, name: &str) -> Option<(u64, u64)> {
    let pm = repo.root_package.as_ref()?.str_at("/packageManager")?;
    let ver = pm.strip_prefix(&format!("{name}@"))?;
    let v = node::version(ver.split('+').next()?)?;
    Some((v.major, v.minor))
}

/// The lowest version a declared range or locked version allows, as (major, minor).
fn tool_version(repo: &Repository, name: &str) -> Option<(u64, u64, u64)> {
    if let Some(v) = repo.locked.get(name).and_then(|v| node::version(v)) {
        return Some((v.major, v.minor, v.patch));
    }
    let spec = repo
        .root_package
        .as_ref()?
        .dependency(name)
        .or_else(|| repo.packages.iter().find_map(|p| p.dependency(name)))?;
    let range = nodejs_semver::Range::parse(spec).ok()?;
    let min = range.min_version()?;
    Some((min.major, min.minor, min.patch))
}

// ---------------------------------------------------------------- id-token

fn check_id_token(cx: &mut Ctx, job: &JobInfo, p: &Publish, intent: &Intent) {
    let w = &cx.repo.workflows[job.workflow];
    if (intent.oidc || intent.provenance) && !job.id_token {
        let why = if intent.oidc { "trusted publishing" } else { "provenance" };
        let (file, at) = job.id_token_fix_at.clone().unwrap_or((w.rel.clone(), job.route.clone()));
        let fix_text = match cx.repo.workflows.iter().find(|f| f.rel == file).map(|f| permissions_at(f, &at)) {
            Some(Permissions::Base(BasePermission::ReadAll)) => {
                "Replace `permissions: read-all` with the map it stands for (each scope at `read`) plus `id-token: write`."
            }
            _ => "Add `id-token: write` to the job's `permissions:` (keep `contents: read`).",
        }
        .to_string();
        let (message, loc_file, loc) = if let Some((cw, cj)) = &job.caller {
            let caller = &cx.repo.workflows[*cw];
            (
                format!(
                    "job `{}` publishes with {why} ({}) but its caller `{cj}` in {} does not grant `id-token: write`{}; a called workflow gets no more than its caller",
                    job.id,
                    p.command,
                    caller.rel,
                    match shorthand_note(decisive_permissions(caller, cj)) {
                        "" => String::new(),
                        note => format!(" ({note})"),
                    }
                ),
                caller.rel.clone(),
                vec![key("jobs"), key(cj)],
            )
        } else {
            let mut at_perm = at.clone();
            at_perm.push(key("permissions"));
            let decl = if at.is_empty()
                && cx.repo.workflows[job.workflow].doc.query_exists(&yamlpath::Route::from(at_perm.clone()))
            {
                at_perm
            } else {
                let mut r = job.route.clone();
                r.push(key("permissions"));
                if w.doc.query_exists(&yamlpath::Route::from(r.clone())) { r } else { job.route.clone() }
            };
            (
                format!(
                    "job `{}` publishes with {why} ({}) but has no `id-token: write`{}",
                    job.id,
                    p.command,
                    match (job_declares(w, &job.id), shorthand_note(decisive_permissions(w, &job.id))) {
                        (true, "") => " (a job-level `permissions:` replaces the workflow's)".to_string(),
                        (true, note) => format!(" (a job-level `permissions:` replaces the workflow's; {note})"),
                        (false, "") => String::new(),
                        (false, note) => format!(" ({note})"),
                    }
                ),
                w.rel.clone(),
                decl,
            )
        };
        cx.yaml(
            "oidc/missing-id-token-permission",
            Severity::Error,
            &loc_file,
            &loc,
            message,
            fix_text,
            Some(Edit::AddIdToken { file, at }),
        );
    }
    if intent.oidc && w.on_pull_request() {
        cx.yaml(
            "oidc/missing-id-token-permission",
            Severity::Warning,
            &w.rel,
            &[key("on")],
            format!(
                "workflow runs on `pull_request`: runs from forks never get an OIDC token, so job `{}` cannot publish there",
                job.id
            ),
            "Publish from `push` (tags or the release branch), `release` or `workflow_dispatch`, not from pull requests.".into(),
            None,
        );
    }
}

/// The `permissions:` of the mapping at `at` in `w`: a job's (`[jobs, id]`), or the
/// workflow's (`[]`).
fn permissions_at<'w>(w: &'w workflow::WorkflowFile, at: &[yamlpath::Component<'static>]) -> &'w Permissions {
    let job = match at {
        [_, yamlpath::Component::Key(id)] => w.wf.jobs.get(id.as_ref()),
        _ => None,
    };
    match job {
        Some(Job::NormalJob(j)) => &j.permissions,
        Some(Job::ReusableWorkflowCallJob(c)) => &c.permissions,
        None => &w.wf.permissions,
    }
}

/// The block that decides a job's permissions: its own, else the workflow's
/// (`None` when neither has one).
fn decisive_permissions<'w>(w: &'w workflow::WorkflowFile, job: &str) -> Option<&'w Permissions> {
    let own = permissions_at(w, &[key("jobs"), key(job)]);
    [own, &w.wf.permissions].into_iter().find(|p| !matches!(p, Permissions::Base(BasePermission::Default)))
}

/// What a shorthand `permissions:` that decides means for `id-token`, for the
/// message (empty for the other forms).
fn shorthand_note(p: Option<&Permissions>) -> &'static str {
    match p {
        Some(Permissions::Base(BasePermission::ReadAll)) => {
            "`permissions: read-all` grants every scope at `read`, and the OIDC token needs `id-token: write`"
        }
        Some(Permissions::Explicit(map)) if map.is_empty() => "`permissions: {}` grants nothing",
        _ => "",
    }
}

/// Whether both the job and the workflow have a `permissions:` block (so the
/// job's replaced the workflow's).
fn job_declares(w: &workflow::WorkflowFile, job: &str) -> bool {
    let declared = w.doc.query_exists(&yamlpath::Route::from(vec![key("jobs"), key(job), key("permissions")]));
    declared && w.doc.query_exists(&yamlpath::Route::from(vec![key("permissions")]))
}

// ---------------------------------------------------------------- tokens

fn setup_node(job: &JobInfo, before: usize) -> Option<&StepInfo> {
    job.steps[..before].iter().rev().find(|s| s.action().as_deref() == Some("actions/setup-node"))
}

/// Removes `e`'s key, or the whole `env:` when it is the only member (`all_env`
/// holds every env var set at the levels in force).
fn remove_env_edit(e: &EnvSet, all_env: &[EnvSet]) -> Edit {
    let parent: RouteBuf = e.route[..e.route.len() - 1].to_vec();
    let siblings = all_env.iter().filter(|o| o.file == e.file && o.route[..o.route.len() - 1] == parent[..]).count();
    let route = if siblings <= 1 { parent } else { e.route.clone() };
    Edit::RemoveYaml { file: e.file.clone(), route }
}

fn check_tokens(cx: &mut Ctx, job: &JobInfo, p: &Publish, env: &[EnvSet], intent: &Intent) {
    let npm_like = matches!(p.tool, Tool::Npm | Tool::Pnpm | Tool::Changesets | Tool::Nx | Tool::Lerna);
    let w = &cx.repo.workflows[job.workflow];
    let all_env: Vec<EnvSet> = workflow::workflow_env(w)
        .into_iter()
        .chain(workflow::job_env(w, &job.id))
        .chain(job.steps[p.step].env.clone())
        .collect();
    if let Some(e) = env_get(env, "NODE_AUTH_TOKEN") {
        match &e.value {
            EnvVal::Empty if intent.oidc => cx.yaml(
                "oidc/empty-node-auth-token",
                Severity::Error,
                &e.file,
                &e.route,
                "`NODE_AUTH_TOKEN` is set to an empty string: npm uses the empty token instead of falling back to OIDC, and fails with ENEEDAUTH".into(),
                "Remove `NODE_AUTH_TOKEN` from this step (unset, not empty).".into(),
                Some(remove_env_edit(e, &all_env)),
            ),
            EnvVal::Secret(v) if job.id_token && npm_like => {
                let oidc_ok = effective_npm_in(job, p, Some(cx.repo)).is_some_and(|n| node::npm_reaches_oidc(&n.npm));
                cx.yaml(
                    "oidc/empty-node-auth-token",
                    Severity::Warning,
                    &e.file,
                    &e.route,
                    format!(
                        "`NODE_AUTH_TOKEN: {v}` is wired into a job that uses trusted publishing: when the OIDC exchange fails, npm silently publishes with this token (or fails on a stale one)"
                    ),
                    "Remove `NODE_AUTH_TOKEN` once the trusted publisher is configured on npmjs.com, so a misconfiguration fails loudly.".into(),
                    oidc_ok.then(|| remove_env_edit(e, &all_env)),
                );
            }
            _ => {}
        }
    }
    let token_job = env_get(env, "NODE_AUTH_TOKEN").is_some_and(|e| matches!(e.value, EnvVal::Secret(_)));
    if token_job && npm_like && !job.id_token {
        if let Some(s) = setup_node(job, p.step) {
            let npmrc_auth = cx.repo.npmrc.as_ref().is_some_and(|(_, t)| t.contains("_authToken"));
            if s.with("registry-url").is_none() && !npmrc_auth {
                let mut r = s.route.clone();
                r.push(key("with"));
                cx.yaml(
                    "npm-auth/setup-node-registry-url-missing",
                    Severity::Error,
                    &s.file,
                    &r,
                    "the publish passes `NODE_AUTH_TOKEN`, but setup-node has no `registry-url`, so no .npmrc line reads it and npm fails with ENEEDAUTH".into(),
                    "Add `registry-url: 'https://registry.npmjs.org'` to setup-node's `with:`.".into(),
                    Some(Edit::MergeYaml {
                        file: s.file.clone(),
                        at: s.route.clone(),
                        key: "with".into(),
                        pairs: vec![("registry-url".into(), format!("https://{NPM_REGISTRY}"))],
                    }),
                );
            }
        }
    }
    // A token written to ~/.npmrc, which npm ignores once setup-node set NPM_CONFIG_USERCONFIG.
    if setup_node(job, p.step).is_some_and(|s| s.with("registry-url").is_some()) {
        for st in &job.steps[..=p.step] {
            if let StepKind::Run { script, .. } = &st.kind {
                if (script.contains("~/.npmrc") || script.contains("$HOME/.npmrc") || script.contains("${HOME}/.npmrc"))
                    && script.contains("_authToken")
                {
                    let mut r = st.route.clone();
                    r.push(key("run"));
                    cx.yaml(
                        "npm-auth/token-in-ignored-npmrc",
                        Severity::Error,
                        &st.file,
                        &r,
                        "this step writes the token to ~/.npmrc, but setup-node's `registry-url` set NPM_CONFIG_USERCONFIG to another file, so npm never reads it".into(),
                        "Drop this step and pass the token as `NODE_AUTH_TOKEN` to the publish step (or use trusted publishing).".into(),
                        None,
                    );
                }
            }
        }
        let st = &job.steps[p.step];
        if st.action().as_deref() == Some("changesets/action")
            && st.action_ref().is_some_and(|r| r.trim_start_matches('v').starts_with('1'))
            && env_get(env, "NPM_TOKEN").is_some()
        {
            let mut r = st.route.clone();
            r.push(key("uses"));
            cx.yaml(
                "npm-auth/token-in-ignored-npmrc",
                Severity::Warning,
                &st.file,
                &r,
                "changesets/action v1 writes NPM_TOKEN to ~/.npmrc, which npm ignores here because setup-node's `registry-url` set NPM_CONFIG_USERCONFIG".into(),
                "Pass the token as `NODE_AUTH_TOKEN` in the action's `env:` (setup-node's .npmrc reads it), or move to changesets/action v2 with trusted publishing.".into(),
                None,
            );
        }
    }
}

// ---------------------------------------------------------------- npm version

/// The npm a publish step will run, and how it was worked out.
struct NpmAt {
    npm: nodejs_semver::Version,
    node: nodejs_semver::Version,
    /// The upgrade step that decides, if any: (step index, spec, succeeds).
    upgrade: Option<(usize, String, bool)>,
    /// The npm the Node bundles.
    bundled: nodejs_semver::Version,
}

/// `npm install -g npm@SPEC` (also `i`, `--global`, `add`) in a script: the spec.
fn upgrade_spec(script: &str) -> Option<String> {
    for line in script.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(pos) = words.iter().position(|w| *w == "npm") else { continue };
        let rest = &words[pos + 1..];
        let install = rest.first().is_some_and(|w| matches!(*w, "install" | "i" | "add" | "update"));
        let global = rest.iter().any(|w| matches!(*w, "-g" | "--global" | "--location=global"));
        if install && global {
            for w in rest {
                let w = w.trim_matches(['"', '\'']);
                if w == "npm" {
                    return Some("latest".into());
                }
                if let Some(spec) = w.strip_prefix("npm@") {
                    return Some(spec.to_string());
                }
            }
        }
    }
    None
}

/// The Node setup-node installs: `node-version`, or the file `node-version-file` names.
fn node_version_of(setup: &StepInfo, repo: Option<&Repository>) -> Option<nodejs_semver::Version> {
    if let Some(v) = setup.with("node-version") {
        return node::resolve_node(v);
    }
    let file = setup.with("node-version-file")?;
    let text = repo?.read(file)?;
    if file.ends_with("package.json") {
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        let v = json.pointer("/volta/node").or_else(|| json.pointer("/engines/node"))?.as_str()?;
        return node::resolve_node(v);
    }
    node::resolve_node(text.lines().next()?.trim())
}

fn effective_npm_in(job: &JobInfo, p: &Publish, repo: Option<&Repository>) -> Option<NpmAt> {
    let setup = setup_node(job, p.step)?;
    npm_on(job, p, node_version_of(setup, repo)?)
}

/// The npm that publishes on Node `node`: the bundled one, or what an upgrade
/// step before the publish installs there.
fn npm_on(job: &JobInfo, p: &Publish, node: nodejs_semver::Version) -> Option<NpmAt> {
    let bundled = node::bundled_npm(&node)?;
    let mut npm = bundled.clone();
    let mut upgrade = None;
    // Upgrade steps before the publish, and an upgrade earlier in the publish step's own script.
    for (i, s) in job.steps[..=p.step].iter().enumerate() {
        let StepKind::Run { script, .. } = &s.kind else { continue };
        if let Some(spec) = upgrade_spec(script) {
            match node::npm_release(&spec) {
                Some((target, engines)) => {
                    let ok = node::engines_allow(engines, &node);
                    if ok {
                        npm = target;
                    }
                    upgrade = Some((i, spec, ok));
                }
                None => upgrade = Some((i, spec, true)),
            }
        }
    }
    Some(NpmAt { npm, node, upgrade, bundled })
}

fn check_npm_version(cx: &mut Ctx, job: &JobInfo, p: &Publish) {
    let uses_npm = match p.tool {
        Tool::Npm | Tool::Changesets | Tool::Nx | Tool::NpmPublishAction => true,
        Tool::Pnpm => manager(cx.repo, "pnpm").is_none_or(|(major, _)| major <= 10),
        _ => false,
    };
    if !uses_npm {
        return;
    }
    if let Some(setup) = setup_node(job, p.step) {
        if let Some(name) = setup.with("node-version").and_then(workflow::matrix_ref) {
            check_matrix_npm(cx, job, p, setup, name);
            return;
        }
    }
    let Some(at) = effective_npm_in(job, p, Some(cx.repo)) else { return };
    if node::npm_reaches_oidc(&at.npm) {
        return;
    }
    let setup = setup_node(job, p.step).expect("effective_npm found setup-node");
    match &at.upgrade {
        Some((i, spec, false)) => {
            let s = &job.steps[*i];
            let mut r = s.route.clone();
            r.push(key("run"));
            let (_, engines) = node::npm_release(spec).unwrap_or((at.npm.clone(), ""));
            let pin_ok =
                node::npm_release(node::NPM_PIN_FOR_OIDC).is_some_and(|(_, e)| node::engines_allow(e, &at.node));
            let (fix, edit) = if pin_ok {
                (
                    format!(
                        "Pin the upgrade to a release that installs on Node {}: `npm install -g npm@{}`.",
                        at.node,
                        node::NPM_PIN_FOR_OIDC
                    ),
                    Some(Edit::RewriteYaml {
                        file: s.file.clone(),
                        route: r.clone(),
                        from: format!("npm@{spec}"),
                        to: format!("npm@{}", node::NPM_PIN_FOR_OIDC),
                    }),
                )
            } else {
                ("Use `node-version: '24'` in setup-node (it bundles an npm that can do OIDC).".to_string(), None)
            };
            cx.yaml(
                "oidc/npm-upgrade-failed",
                Severity::Error,
                &s.file,
                &r,
                format!(
                    "`npm install -g npm@{spec}` cannot succeed on Node {} (that npm needs `{engines}`), so npm {} from Node publishes and cannot do OIDC (needs {})",
                    at.node,
                    at.bundled,
                    node::NPM_OIDC_MIN
                ),
                fix,
                edit,
            );
        }
        _ => {
            let mut r = setup.route.clone();
            r.push(key("with"));
            r.push(key("node-version"));
            cx.yaml(
                "oidc/npm-too-old",
                Severity::Error,
                &setup.file,
                &r,
                format!(
                    "Node {} bundles npm {}, older than {}, so `{}` never tries trusted publishing",
                    at.node,
                    at.npm,
                    node::NPM_OIDC_MIN,
                    p.command
                ),
                "Use `node-version: '24'`, or add a step `npm install -g npm@^11.5.1` before the publish.".into(),
                None,
            );
        }
    }
}

/// `node-version: ${{ matrix.KEY }}`: each Node of the matrix that runs the
/// publish (all of them, or the one an `if: matrix.KEY == V` on the step or job
/// picks) is checked for the npm it brings. A matrix given by an expression, or
/// an `if:` that names the matrix in another form, is not guessed at.
fn check_matrix_npm(cx: &mut Ctx, job: &JobInfo, p: &Publish, setup: &StepInfo, name: &str) {
    let Some((_, values)) = job.matrix.iter().find(|(k, _)| k == name) else { return };
    let mut values = values.clone();
    for cond in [job.steps[p.step].condition.as_deref(), job.condition.as_deref()] {
        match workflow::matrix_condition(cond, name) {
            None => return,
            Some(Some(only)) => values.retain(|v| *v == only),
            Some(None) => {}
        }
    }
    let mut old: Vec<(String, NpmAt)> = Vec::new();
    for v in &values {
        let Some(at) = node::resolve_node(v).and_then(|n| npm_on(job, p, n)) else { continue };
        if !node::npm_reaches_oidc(&at.npm) {
            old.push((v.clone(), at));
        }
    }
    if old.is_empty() {
        return;
    }
    let mut r = setup.route.clone();
    r.push(key("with"));
    r.push(key("node-version"));
    let which: Vec<String> = old.iter().map(|(v, at)| format!("`{v}` (Node {}, npm {})", at.node, at.npm)).collect();
    let failed_upgrade = old.iter().any(|(_, at)| matches!(at.upgrade, Some((_, _, false))));
    let id = if failed_upgrade { "oidc/npm-upgrade-failed" } else { "oidc/npm-too-old" };
    cx.yaml(
        id,
        Severity::Error,
        &setup.file,
        &r,
        format!(
            "the publish runs in each entry of `matrix.{name}`, and {} {} older than {} there{}, so `{}` cannot do trusted publishing in {}",
            which.join(", "),
            if old.len() == 1 { "brings an npm" } else { "bring an npm" },
            node::NPM_OIDC_MIN,
            if failed_upgrade { " (the npm upgrade step cannot install on that Node)" } else { "" },
            p.command,
            if old.len() == 1 { "that entry" } else { "those entries" }
        ),
        format!(
            "Publish from one entry only (`if: matrix.{name} == 24` on the publish step), or from a separate job with `node-version: '24'`."
        ),
        None,
    );
}

// ---------------------------------------------------------------- publishers

fn check_publisher(cx: &mut Ctx, job: &JobInfo, p: &Publish) {
    let step = &job.steps[p.step];
    let mut r = step.route.clone();
    r.push(key(if matches!(step.kind, StepKind::Run { .. }) { "run" } else { "uses" }));
    let file = step.file.clone();
    let unsupported = |cx: &mut Ctx, sev: Severity, message: String, fix: &str| {
        cx.yaml("oidc/package-manager-unsupported", sev, &file, &r, message, fix.into(), None);
    };
    match p.tool {
        Tool::YarnClassic => unsupported(
            cx,
            Severity::Error,
            format!("`{}` is yarn classic, which has no OIDC support: trusted publishing cannot work", p.command),
            "Publish with `npm publish` (npm >= 11.5.1), or move to yarn >= 4.10 and `yarn npm publish`.",
        ),
        Tool::Bun => unsupported(
            cx,
            Severity::Error,
            "`bun publish` does not do npm's OIDC exchange (oven-sh/bun#22423): trusted publishing cannot work".into(),
            "Build with bun, publish with `npm publish` (npm >= 11.5.1).",
        ),
        Tool::YarnBerry => {
            if let Some((major, minor)) = manager(cx.repo, "yarn") {
                if (major, minor) < (4, 10) {
                    unsupported(
                        cx,
                        Severity::Error,
                        format!(
                            "packageManager pins yarn {major}.{minor}, which has no OIDC support (yarn >= 4.10 has it)"
                        ),
                        "Run `yarn set version stable` (>= 4.10), or publish with `npm publish`.",
                    );
                }
            }
            if cx.repo.yarnrc.as_ref().is_some_and(|t| t.lines().any(|l| l.trim_start().starts_with("npmAuthToken"))) {
                unsupported(
                    cx,
                    Severity::Error,
                    "`.yarnrc.yml` sets `npmAuthToken`, which yarn prefers over OIDC: the token publishes, not the trusted publisher".into(),
                    "Remove `npmAuthToken` from .yarnrc.yml for the publish job.",
                );
            }
        }
        Tool::Pnpm => {
            if let Some((major, _)) = manager(cx.repo, "pnpm").filter(|(m, _)| *m <= 10) {
                unsupported(
                    cx,
                    Severity::Note,
                    format!(
                        "pnpm {major} runs the system `npm publish`, so the npm that setup-node installs decides OIDC (pnpm >= 11 does its own)"
                    ),
                    "Keep the system npm >= 11.5.1 (Node 24), or move to pnpm >= 11.",
                );
            }
        }
        Tool::Lerna => {
            if let Some((major, minor, _)) = tool_version(cx.repo, "lerna").filter(|v| v.0 < 9) {
                unsupported(
                    cx,
                    Severity::Error,
                    format!("lerna {major}.{minor} has no OIDC support (lerna >= 9 has it)"),
                    "Upgrade lerna to >= 9 (`npm install -D lerna@^9`).",
                );
            }
        }
        Tool::SemanticRelease => {
            if let Some((major, minor, _)) = tool_version(cx.repo, "semantic-release").filter(|v| v.0 < 25) {
                unsupported(
                    cx,
                    Severity::Error,
                    format!(
                        "semantic-release {major}.{minor} brings an @semantic-release/npm without OIDC (semantic-release >= 25 / @semantic-release/npm >= 13)"
                    ),
                    "Upgrade semantic-release to >= 25.",
                );
            }
            if let Some((major, minor, _)) = tool_version(cx.repo, "@semantic-release/npm") {
                if major < 13 {
                    unsupported(
                        cx,
                        Severity::Error,
                        format!("@semantic-release/npm {major}.{minor} bundles an npm that cannot do OIDC (>= 13 can)"),
                        "Upgrade @semantic-release/npm to >= 13.",
                    );
                } else if major == 13 && minor == 1 {
                    if let Some(pkg) = cx.repo.packages.iter().find(|p| p.is_scoped()) {
                        let name = pkg.name.clone().unwrap_or_default();
                        cx.yaml(
                            "release-tool/semantic-release-oidc-scoped-name",
                            Severity::Warning,
                            &step.file,
                            &step.route,
                            format!("@semantic-release/npm 13.1.x has a bug in its OIDC check for scoped names such as `{name}`"),
                            "Upgrade @semantic-release/npm past 13.1.x.".into(),
                            None,
                        );
                    }
                }
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------- runner

/// What a `runs-on` label says about the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runner {
    GitHubHosted,
    /// `self-hosted`, or a third-party runner service (which npm counts as self-hosted).
    SelfHosted,
    /// A custom label: a larger GitHub-hosted runner or a self-hosted one.
    Unknown,
}

/// Label prefixes of third-party runner services.
const THIRD_PARTY: &[&str] =
    &["blacksmith", "depot-", "namespace-", "buildjet-", "warp-", "ubicloud", "runs-on", "cirun"];

fn runner(label: &str) -> Runner {
    let l = label.to_ascii_lowercase();
    if l.contains("${{") || ["ubuntu-", "windows-", "macos-"].iter().any(|p| l.starts_with(p)) {
        Runner::GitHubHosted
    } else if l == "self-hosted" || THIRD_PARTY.iter().any(|p| l.starts_with(p)) {
        Runner::SelfHosted
    } else {
        Runner::Unknown
    }
}

fn check_runner(cx: &mut Ctx, job: &JobInfo, intent: &Intent) {
    let kinds: Vec<(Runner, &String)> = job.runs_on.iter().map(|l| (runner(l), l)).collect();
    let severity = if kinds.iter().any(|(k, _)| *k == Runner::SelfHosted) {
        Severity::Error
    } else if kinds.iter().any(|(k, _)| *k == Runner::Unknown) {
        Severity::Warning
    } else {
        return;
    };
    let bad: Vec<&str> = kinds.iter().filter(|(k, _)| *k != Runner::GitHubHosted).map(|(_, l)| l.as_str()).collect();
    let w = &cx.repo.workflows[job.workflow];
    let (id, what) = if intent.oidc {
        ("oidc/self-hosted-runner", "trusted publishing")
    } else {
        ("provenance/unsupported-runner", "provenance")
    };
    let mut r = job.route.clone();
    r.push(key("runs-on"));
    let message = if severity == Severity::Error {
        format!(
            "job `{}` runs on `{}`: {what} works only on GitHub-hosted runners (self-hosted and third-party runners get E422)",
            job.id,
            bad.join(", ")
        )
    } else {
        format!(
            "job `{}` runs on `{}`, not a standard GitHub-hosted label: if it is a self-hosted or third-party runner, {what} fails with E422",
            job.id,
            bad.join(", ")
        )
    };
    cx.yaml(
        id,
        severity,
        &w.rel.clone(),
        &r,
        message,
        "Run the publish job on `ubuntu-latest` (build elsewhere and pass the tarball as an artifact if needed)."
            .into(),
        None,
    );
}

// ---------------------------------------------------------------- trusted publisher

fn trusted_publisher_note(cx: &mut Ctx, job: &JobInfo) {
    let w = &cx.repo.workflows[job.workflow];
    let pw = &cx.repo.workflows[job.publisher_workflow()];
    let (owner, name) =
        cx.repo.origin.as_ref().map_or(("OWNER".into(), "REPO".into()), |(_, r)| (r.owner.clone(), r.name.clone()));
    let env = job.environment.clone().unwrap_or_else(|| "(none)".into());
    let workflow = if job.external_caller {
        format!("(the file name of the workflow that calls {})", pw.file_name)
    } else {
        pw.file_name.clone()
    };
    let pkgs: Vec<String> = cx.repo.packages.iter().filter_map(|p| p.name.clone()).collect();
    cx.yaml(
        "oidc/trusted-publisher-mismatch",
        Severity::Note,
        &w.rel.clone(),
        &job.route,
        format!(
            "trusted publisher for job `{}`{}: owner `{owner}`, repository `{name}`, workflow `{}`, environment `{env}`",
            job.id,
            if pkgs.is_empty() { String::new() } else { format!(" ({})", pkgs.join(", ")) },
            workflow
        ),
        "Enter exactly these on npmjs.com > package > Settings > Trusted publisher (GitHub Actions); names are case-sensitive, the workflow is the file name only, and a called workflow is named by its caller.".into(),
        None,
    );
}

// ---------------------------------------------------------------- package.json

/// `owner/repo` of a repository URL (`https://github.com/o/r(.git)`, `git+https://`,
/// `git@github.com:o/r.git`, `github:o/r`, `o/r`).
pub fn repo_of_url(url: &str) -> Option<(String, String)> {
    let u = url.trim().trim_start_matches("git+");
    // A browse URL (`https://github.com/o/r/tree/main/packages/x`) names o/r too.
    if let Some((scheme, rest)) = u.split_once("://") {
        if matches!(scheme, "https" | "http") {
            let mut parts = rest.split(['/', '#', '?']).skip(1).filter(|p| !p.is_empty());
            if let (Some(o), Some(r)) = (parts.next(), parts.next()) {
                return Some((o.to_string(), r.trim_end_matches(".git").to_string()));
            }
        }
    }
    let path = if let Some(rest) = u.strip_prefix("github:") {
        rest.to_string()
    } else if let Some((_, repo)) = crate::source::github::parse_remote(u) {
        return Some((repo.owner, repo.name));
    } else if !u.contains(':') && u.matches('/').count() == 1 {
        u.to_string()
    } else {
        return None;
    };
    let (o, r) = path.split_once('/')?;
    Some((o.to_string(), r.trim_end_matches(".git").to_string()))
}

fn check_repository(cx: &mut Ctx, pkg: &Package) {
    let Some((host, origin)) = cx.repo.origin.clone() else {
        if pkg.repository_url().is_none_or(|u| u.trim().is_empty()) {
            cx.json(
                "provenance/repository-url-missing",
                Severity::Error,
                pkg,
                &["name"],
                format!(
                    "{} has no `repository.url`; provenance (on with trusted publishing) rejects the publish with E422",
                    pkg.name.as_deref().unwrap_or("package")
                ),
                "Add `\"repository\": {\"type\": \"git\", \"url\": \"https://github.com/OWNER/REPO\"}`.".into(),
                None,
            );
        }
        return;
    };
    let expected = format!("https://{host}/{}/{}", origin.owner, origin.name);
    let mut value = serde_json::json!({ "type": "git", "url": format!("git+{expected}.git") });
    if !pkg.dir.is_empty() {
        value["directory"] = serde_json::Value::String(pkg.dir.clone());
    }
    match pkg.repository_url() {
        None | Some("") => {
            let edit = if pkg.json.get("repository").is_none() {
                Some(Edit::JsonInsert {
                    file: pkg.file.clone(),
                    parent: vec![],
                    key: "repository".into(),
                    value: value.clone(),
                })
            } else {
                Some(Edit::JsonReplace {
                    file: pkg.file.clone(),
                    path: if pkg.json["repository"].is_object() {
                        vec!["repository".into(), "url".into()]
                    } else {
                        vec!["repository".into()]
                    },
                    value: format!("git+{expected}.git"),
                })
            };
            cx.json(
                "provenance/repository-url-missing",
                Severity::Error,
                pkg,
                &["repository", "url"],
                format!(
                    "{} has no `repository.url`: provenance (on with trusted publishing) rejects the publish with E422, expecting \"{expected}\"",
                    pkg.name.as_deref().unwrap_or("package")
                ),
                format!("Add `\"repository\": {{\"type\": \"git\", \"url\": \"git+{expected}.git\"{}}}`.", if pkg.dir.is_empty() { String::new() } else { format!(", \"directory\": \"{}\"", pkg.dir) }),
                edit,
            );
        }
        Some(url) => {
            let got = repo_of_url(url);
            if got.as_ref().is_none_or(|(o, r)| *o != origin.owner || *r != origin.name) {
                let path: Vec<String> = if pkg.json["repository"].is_object() {
                    vec!["repository".into(), "url".into()]
                } else {
                    vec!["repository".into()]
                };
                let path_ref: Vec<&str> = path.iter().map(String::as_str).collect();
                cx.json(
                    "provenance/repository-url-mismatch",
                    Severity::Error,
                    pkg,
                    &path_ref,
                    format!("`repository` is \"{url}\" but the package is published from {expected} (compared case-sensitively): provenance rejects it with E422"),
                    format!("Set the URL to \"git+{expected}.git\"."),
                    Some(Edit::JsonReplace { file: pkg.file.clone(), path: path.clone(), value: format!("git+{expected}.git") }),
                );
            }
            // A browse URL (`.../tree/main/<dir>`) already says where the package is.
            let in_url = url.trim_end_matches('/').ends_with(&format!("/{}", pkg.dir));
            if !pkg.dir.is_empty()
                && !in_url
                && pkg.json["repository"].get("directory").and_then(|d| d.as_str()) != Some(pkg.dir.as_str())
            {
                let edit = if pkg.json["repository"].is_object() && pkg.json["repository"].get("directory").is_none() {
                    Some(Edit::JsonInsert {
                        file: pkg.file.clone(),
                        parent: vec!["repository".into()],
                        key: "directory".into(),
                        value: serde_json::Value::String(pkg.dir.clone()),
                    })
                } else {
                    None
                };
                cx.json(
                    "provenance/repository-url-mismatch",
                    Severity::Warning,
                    pkg,
                    &["repository"],
                    format!(
                        "this package lives in `{}` of a monorepo but `repository.directory` does not say so",
                        pkg.dir
                    ),
                    format!("Add `\"directory\": \"{}\"` to `repository`.", pkg.dir),
                    edit,
                );
            }
        }
    }
}

/// `new`: `--online` found the package missing, so this publish is its first.
fn check_access(cx: &mut Ctx, pkg: &Package, flag: bool, new: bool) {
    if !pkg.is_scoped() || flag {
        return;
    }
    if pkg.str_at("/publishConfig/access").is_some() {
        return;
    }
    if cx.repo.npmrc.as_ref().is_some_and(|(_, t)| npmrc_value(t, "access").is_some_and(|(_, v)| v == "public")) {
        return;
    }
    if cx
        .repo
        .read(".changeset/config.json")
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|c| c.get("access").and_then(|a| a.as_str()) == Some("public"))
    {
        return;
    }
    let edit = if pkg.json.get("publishConfig").is_some_and(|p| p.is_object()) {
        Edit::JsonInsert {
            file: pkg.file.clone(),
            parent: vec!["publishConfig".into()],
            key: "access".into(),
            value: "public".into(),
        }
    } else {
        Edit::JsonInsert {
            file: pkg.file.clone(),
            parent: vec![],
            key: "publishConfig".into(),
            value: serde_json::json!({ "access": "public" }),
        }
    };
    cx.json(
        "publish/scoped-needs-public-access",
        if new { Severity::Error } else { Severity::Note },
        pkg,
        &["name"],
        format!(
            "{} is scoped and nothing sets public access: {} (scoped packages default to restricted)",
            pkg.name.as_deref().unwrap_or("package"),
            if new {
                "it is not on the registry, so this first publish is refused with E402"
            } else {
                "if this is its first publish, it is refused with E402"
            }
        ),
        "Add `\"publishConfig\": {\"access\": \"public\"}` (or `--access public`).".into(),
        Some(edit),
    );
}

/// The host of a registry URL, lower-cased, without scheme, credentials, port or path.
fn host_of(url: &str) -> String {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    host.split(':').next().unwrap_or(host).to_ascii_lowercase()
}

fn check_registry(cx: &mut Ctx, pkg: &Package, setup_registries: &[String]) {
    let Some(reg) = pkg.str_at("/publishConfig/registry") else { return };
    let host = host_of(reg);
    let auth_hosts: Vec<String> = setup_registries.iter().map(|u| host_of(u)).collect();
    let wrong_npm = host == "registry.npmjs.com";
    let other = !auth_hosts.is_empty() && !auth_hosts.contains(&host);
    if wrong_npm || other {
        let expected = auth_hosts.first().cloned().unwrap_or_else(|| NPM_REGISTRY.into());
        let new = reg.replacen(&host, &expected, 1);
        cx.json(
            "npm-auth/wrong-registry-url",
            Severity::Error,
            pkg,
            &["publishConfig", "registry"],
            format!("`publishConfig.registry` is {reg}, but the auth (setup-node `registry-url`, trusted publishing) is for {expected}: the publish goes out without it"),
            format!("Use \"{new}\"."),
            Some(Edit::JsonReplace { file: pkg.file.clone(), path: vec!["publishConfig".into(), "registry".into()], value: new.clone() }),
        );
    }
}

/// `key=value` in an .npmrc: (1-based line, value).
fn npmrc_value(text: &str, key: &str) -> Option<(usize, String)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let l = l.trim();
        if l.starts_with('#') || l.starts_with(';') {
            return None;
        }
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| (i + 1, v.trim().trim_matches('"').to_string()))
    })
}

fn check_npmrc(cx: &mut Ctx) {
    let Some((file, text)) = cx.repo.npmrc.clone() else { return };
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        let Some((k, v)) = l.split_once('=') else { continue };
        let k = k.trim();
        if (k == "registry" || k.ends_with(":registry")) && host_of(v.trim()) == "registry.npmjs.com" {
            let column = line.find("registry.npmjs.com").map_or(1, |c| c + 1);
            cx.out.push(Finding {
                id: "npm-auth/wrong-registry-url".into(),
                severity: Severity::Error,
                file: file.clone(),
                line: i + 1,
                column,
                message: format!("`{k}` points at registry.npmjs.com; tokens and trusted publishing are for {NPM_REGISTRY}, so the publish is unauthenticated"),
                fix: format!("Use https://{NPM_REGISTRY}/."),
                edit: Some(Edit::TextReplace { file: file.clone(), line: i + 1, from: "registry.npmjs.com".into(), to: NPM_REGISTRY.into() }),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_specs() {
        assert_eq!(upgrade_spec("npm install -g npm@latest").as_deref(), Some("latest"));
        assert_eq!(upgrade_spec("sudo npm i --global npm@^11.5.1 && npm -v").as_deref(), Some("^11.5.1"));
        assert_eq!(upgrade_spec("npm install -g npm").as_deref(), Some("latest"));
        assert_eq!(upgrade_spec("npm install npm@11"), None);
    }

    #[test]
    fn repository_urls() {
        let want = Some(("octo-org".to_string(), "widget".to_string()));
        assert_eq!(repo_of_url("git+https://github.com/octo-org/widget.git"), want);
        assert_eq!(repo_of_url("github:octo-org/widget"), want);
        assert_eq!(repo_of_url("octo-org/widget"), want);
        assert_eq!(repo_of_url("https://github.com/octo-org/widget/tree/main/packages/x"), want);
        assert_eq!(repo_of_url("git@github.com:octo-org/widget.git"), want);
        assert_ne!(repo_of_url("https://github.com/Octo-Org/widget"), want);
    }

    #[test]
    fn registry_hosts_and_runners() {
        assert_eq!(host_of("https://user:pw@Registry.npmjs.com:443/x/"), "registry.npmjs.com");
        assert_eq!(runner("ubuntu-24.04"), Runner::GitHubHosted);
        assert_eq!(runner("self-hosted"), Runner::SelfHosted);
        assert_eq!(runner("blacksmith-4vcpu-ubuntu-2404"), Runner::SelfHosted);
        assert_eq!(runner("big-linux"), Runner::Unknown);
    }
}
