//! Workflows read with `github-actions-models`, located with `yamlpath`: the
//! jobs, their steps (local composite actions inlined), and which steps publish
//! (following `npm run <script>` into package.json).

use std::borrow::Cow;
use std::path::Path;

use github_actions_models::common::expr::LoE;
use github_actions_models::common::{BasePermission, EnvValue, Permission, Permissions, Uses};
use github_actions_models::workflow::event::OptionalBody;
use github_actions_models::workflow::job::{DeploymentEnvironment, RunsOn, StepBody};
use github_actions_models::workflow::{Job, Trigger, Workflow};
use yamlpath::{Component, Route};

use super::Finding;
use super::discover::{Repository, parse_problem};

pub type RouteBuf = Vec<Component<'static>>;

pub fn key(k: &str) -> Component<'static> {
    Component::Key(Cow::Owned(k.to_string()))
}

/// One workflow file, parsed and kept for locating nodes.
pub struct WorkflowFile {
    /// Relative path (`.github/workflows/release.yml`).
    pub rel: String,
    /// The file name the trusted publisher names (`release.yml`).
    pub file_name: String,
    pub text: String,
    pub doc: yamlpath::Document,
    pub wf: Workflow,
    /// Steps the workflow model could not read, as notes.
    pub skipped: Vec<Finding>,
}

impl std::fmt::Debug for WorkflowFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowFile").field("rel", &self.rel).finish_non_exhaustive()
    }
}

/// A YAML document that was read, to locate routes in.
pub fn locate_in(doc: &yamlpath::Document, route: &[Component<'static>]) -> (usize, usize) {
    for n in (0..=route.len()).rev() {
        let r = Route::from(route[..n].to_vec());
        if n == 0 {
            break;
        }
        if let Ok(f) = doc.query_key_only(&r).or_else(|_| doc.query_pretty(&r)) {
            let (row, col) = f.location.point_span.0;
            return (row + 1, col + 1);
        }
    }
    (1, 1)
}

fn yaml_error(rel: &str, text: &str, what: &str) -> Option<Box<Finding>> {
    match yaml_serde::from_str::<yaml_serde::Value>(text) {
        Ok(_) => None,
        Err(e) => {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            Some(Box::new(parse_problem(rel.to_string(), line, col, what, e.to_string())))
        }
    }
}

/// A workflow the typed model rejects as a whole, read step by step: a step in a
/// newer syntax than the model knows (`uses: $/path`, read as `./path`) or one it
/// cannot read is replaced by an empty `run:` (so indices stay), and noted.
fn lenient(text: &str, skipped: &mut Vec<(String, usize, String)>) -> Option<Workflow> {
    use github_actions_models::workflow::job::Step;
    let mut value: yaml_serde::Value = yaml_serde::from_str(text).ok()?;
    let jobs = value.get_mut("jobs")?.as_mapping_mut()?;
    for (jid, job) in jobs.iter_mut() {
        let jid = jid.as_str().unwrap_or_default().to_string();
        let Some(steps) = job.get_mut("steps").and_then(|s| s.as_sequence_mut()) else { continue };
        for (i, step) in steps.iter_mut().enumerate() {
            if let Some(uses) = step.get_mut("uses") {
                if let Some(rest) = uses.as_str().and_then(|u| u.strip_prefix("$/")) {
                    *uses = yaml_serde::Value::String(format!("./{rest}"));
                }
            }
            if let Err(e) = yaml_serde::from_value::<Step>(step.clone()) {
                skipped.push((jid.clone(), i, e.to_string()));
                let mut m = yaml_serde::Mapping::new();
                m.insert("run".into(), "".into());
                *step = yaml_serde::Value::Mapping(m);
            }
        }
    }
    yaml_serde::from_value(value).ok()
}

impl WorkflowFile {
    pub fn load(path: &Path, rel: String) -> Result<WorkflowFile, Box<Finding>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Box::new(parse_problem(rel.clone(), 1, 1, "workflow", e.to_string())))?;
        WorkflowFile::parse(rel, text)
    }

    pub fn parse(rel: String, text: String) -> Result<WorkflowFile, Box<Finding>> {
        if let Some(f) = yaml_error(&rel, &text, "workflow") {
            return Err(f);
        }
        let doc = yamlpath::Document::new(text.clone())
            .map_err(|e| Box::new(parse_problem(rel.clone(), 1, 1, "workflow", e.to_string())))?;
        let mut skipped = Vec::new();
        let wf: Workflow = match yaml_serde::from_str(&text) {
            Ok(wf) => wf,
            Err(e) => lenient(&text, &mut skipped).ok_or_else(|| {
                let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
                Box::new(parse_problem(rel.clone(), line, col, "workflow", e.to_string()))
            })?,
        };
        let file_name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
        let skipped = skipped
            .into_iter()
            .map(|(job, i, why)| {
                let (line, column) = locate_in(&doc, &[key("jobs"), key(&job), key("steps"), Component::Index(i)]);
                Finding {
                    id: "check/unreadable-file".into(),
                    severity: super::Severity::Note,
                    file: rel.clone(),
                    line,
                    column,
                    message: format!(
                        "step {} of job `{job}` is not in a form this tool reads ({why}); it was skipped",
                        i + 1
                    ),
                    fix: "Nothing to do if the workflow runs; the other steps were checked.".into(),
                    edit: None,
                }
            })
            .collect();
        Ok(WorkflowFile { rel, file_name, text, doc, wf, skipped })
    }

    pub fn locate(&self, route: &[Component<'static>]) -> (usize, usize) {
        locate_in(&self.doc, route)
    }

    fn has_event(&self, pick: impl Fn(&github_actions_models::workflow::event::Events) -> bool, name: &str) -> bool {
        match &self.wf.on {
            Trigger::Events(e) => pick(e),
            Trigger::BareEvent(b) => format!("{b:?}").eq_ignore_ascii_case(&name.replace('_', "")),
            Trigger::BareEvents(v) => v.iter().any(|b| format!("{b:?}").eq_ignore_ascii_case(&name.replace('_', ""))),
        }
    }

    pub fn on_pull_request(&self) -> bool {
        self.has_event(|e| !matches!(e.pull_request, OptionalBody::Missing), "pull_request")
    }

    pub fn on_workflow_call(&self) -> bool {
        self.has_event(|e| !matches!(e.workflow_call, OptionalBody::Missing), "workflow_call")
    }
}

/// What a `permissions:` block says about `id-token`: `None` when the block is
/// absent (the level above decides).
pub fn id_token(perms: &Permissions) -> Option<bool> {
    match perms {
        Permissions::Base(BasePermission::Default) => None,
        Permissions::Base(BasePermission::WriteAll) => Some(true),
        Permissions::Base(BasePermission::ReadAll) => Some(false),
        Permissions::Explicit(map) => Some(map.get("id-token") == Some(&Permission::Write)),
    }
}

/// A value of an env var as written.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvVal {
    /// `''`.
    Empty,
    /// `${{ secrets.X }}` (or another expression).
    Secret(String),
    /// Anything else in clear.
    Clear(String),
}

impl EnvVal {
    fn of(v: &EnvValue) -> EnvVal {
        let s = v.to_string();
        let t = s.trim();
        if t.is_empty() {
            EnvVal::Empty
        } else if t.contains("${{") {
            EnvVal::Secret(t.to_string())
        } else {
            EnvVal::Clear(t.to_string())
        }
    }
}

/// An env var set at some level, with the route of its key.
#[derive(Clone, Debug)]
pub struct EnvSet {
    pub name: String,
    pub value: EnvVal,
    /// File the key is in, and the route to the key.
    pub file: String,
    pub route: RouteBuf,
}

#[derive(Clone, Debug)]
pub enum StepKind {
    Run { script: String, working_directory: Option<String> },
    Uses { uses: String, with: Vec<(String, String)> },
}

/// A step of a job (or of a local composite action it calls).
#[derive(Clone, Debug)]
pub struct StepInfo {
    pub file: String,
    pub route: RouteBuf,
    pub name: Option<String>,
    pub kind: StepKind,
    pub env: Vec<EnvSet>,
    /// The step's `if:`, as written.
    pub condition: Option<String>,
}

impl StepInfo {
    pub fn with(&self, name: &str) -> Option<&str> {
        match &self.kind {
            StepKind::Uses { with, .. } => with.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()),
            StepKind::Run { .. } => None,
        }
    }

    /// `owner/repo` of a `uses:` step, lowercased.
    pub fn action(&self) -> Option<String> {
        match &self.kind {
            StepKind::Uses { uses, .. } => {
                let path = uses.split('@').next()?;
                let mut parts = path.split('/');
                Some(format!("{}/{}", parts.next()?, parts.next()?).to_ascii_lowercase())
            }
            StepKind::Run { .. } => None,
        }
    }

    /// The path of a `uses:` step before `@`, lowercased (`changesets/action/publish`).
    pub fn action_path(&self) -> Option<String> {
        match &self.kind {
            StepKind::Uses { uses, .. } => Some(uses.split('@').next()?.trim_end_matches('/').to_ascii_lowercase()),
            StepKind::Run { .. } => None,
        }
    }

    pub fn action_ref(&self) -> Option<&str> {
        match &self.kind {
            StepKind::Uses { uses, .. } => uses.split_once('@').map(|(_, r)| r),
            StepKind::Run { .. } => None,
        }
    }
}

/// Which tool a publishing step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Npm,
    Pnpm,
    YarnBerry,
    YarnClassic,
    Changesets,
    SemanticRelease,
    Lerna,
    Nx,
    Bun,
    NpmPublishAction,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Npm => "npm publish",
            Tool::Pnpm => "pnpm publish",
            Tool::YarnBerry => "yarn npm publish",
            Tool::YarnClassic => "yarn publish (yarn classic)",
            Tool::Changesets => "changeset publish",
            Tool::SemanticRelease => "semantic-release",
            Tool::Lerna => "lerna publish",
            Tool::Nx => "nx release",
            Tool::Bun => "bun publish",
            Tool::NpmPublishAction => "JS-DevTools/npm-publish",
        }
    }
}

/// A step that publishes.
#[derive(Clone, Debug)]
pub struct Publish {
    /// Index into the job's steps.
    pub step: usize,
    pub tool: Tool,
    /// The command as found (after script indirection), for messages.
    pub command: String,
    /// `npm run release -> changeset publish`.
    pub via: Vec<String>,
    pub provenance: bool,
    pub access_public: bool,
}

/// A job that runs steps (a reusable workflow's job is analysed with its caller).
#[derive(Debug)]
pub struct JobInfo {
    /// Index into `Repository::workflows`.
    pub workflow: usize,
    pub id: String,
    pub route: RouteBuf,
    /// Effective `id-token: write`, and where it is decided (file, route of the
    /// `permissions` that decides, or of the job when none does).
    pub id_token: bool,
    /// The level `--fix` adds `id-token: write` at: (file, route of the job or `[]`
    /// for the workflow).
    pub id_token_fix_at: Option<(String, RouteBuf)>,
    /// The reusable-workflow caller: (workflow index, job id).
    pub caller: Option<(usize, String)>,
    /// A reusable workflow called from outside this repository (no local caller).
    pub external_caller: bool,
    pub runs_on: Vec<String>,
    pub environment: Option<String>,
    pub steps: Vec<StepInfo>,
    pub publishes: Vec<Publish>,
    /// `defaults.run.working-directory`.
    pub working_directory: Option<String>,
    /// The job's `if:`, as written.
    pub condition: Option<String>,
    /// `strategy.matrix`: each key written as a literal list, with the values
    /// `include` adds and without those a one-key `exclude` removes, as strings.
    /// A matrix given by an expression (`fromJSON(...)`) has no entries here.
    pub matrix: Vec<(String, Vec<String>)>,
}

impl JobInfo {
    /// The workflow the trusted publisher names: the caller's for a reusable one.
    pub fn publisher_workflow(&self) -> usize {
        self.caller.as_ref().map_or(self.workflow, |(w, _)| *w)
    }

    /// Env vars in force for step `i` (workflow, job, then step level; later wins).
    pub fn env_for(&self, i: usize, wf_env: &[EnvSet], job_env: &[EnvSet]) -> Vec<EnvSet> {
        let mut out: Vec<EnvSet> = Vec::new();
        for e in wf_env.iter().chain(job_env).chain(&self.steps[i].env) {
            out.retain(|o| o.name != e.name);
            out.push(e.clone());
        }
        out
    }
}

fn env_sets(env: &LoE<github_actions_models::common::Env>, file: &str, base: &RouteBuf) -> Vec<EnvSet> {
    match env {
        LoE::Literal(map) => map
            .iter()
            .map(|(k, v)| {
                let mut route = base.clone();
                route.push(key("env"));
                route.push(key(k));
                EnvSet { name: k.clone(), value: EnvVal::of(v), file: file.to_string(), route }
            })
            .collect(),
        LoE::Expr(_) => Vec::new(),
    }
}

pub fn workflow_env(w: &WorkflowFile) -> Vec<EnvSet> {
    env_sets(&w.wf.env, &w.rel, &Vec::new())
}

pub fn job_env(w: &WorkflowFile, job: &str) -> Vec<EnvSet> {
    match w.wf.jobs.get(job) {
        Some(Job::NormalJob(j)) => env_sets(&j.env, &w.rel, &vec![key("jobs"), key(job)]),
        _ => Vec::new(),
    }
}

/// An `if:` as written (`true`/`false` for a YAML boolean).
fn condition(c: &Option<github_actions_models::common::If>) -> Option<String> {
    use github_actions_models::common::If;
    c.as_ref().map(|c| match c {
        If::Bool(b) => b.to_string(),
        If::Expr(e) => e.clone(),
    })
}

/// A matrix value as the expression `matrix.KEY` gives it: scalars only.
fn matrix_scalar(v: &yaml_serde::Value) -> Option<String> {
    match v {
        yaml_serde::Value::String(s) => Some(s.clone()),
        yaml_serde::Value::Number(n) => Some(n.to_string()),
        yaml_serde::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn matrix_values(strategy: Option<&github_actions_models::workflow::job::Strategy>) -> Vec<(String, Vec<String>)> {
    let Some(LoE::Literal(m)) = strategy.and_then(|s| s.matrix.as_ref()) else { return Vec::new() };
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    if let LoE::Literal(dims) = &m.dimensions {
        for (k, v) in dims {
            if let LoE::Literal(values) = v {
                out.push((k.clone(), values.iter().filter_map(matrix_scalar).collect()));
            }
        }
    }
    if let LoE::Literal(include) = &m.include {
        for entry in include {
            for (k, v) in entry {
                let Some(v) = matrix_scalar(v) else { continue };
                match out.iter_mut().find(|(key, _)| key == k) {
                    Some((_, values)) if !values.contains(&v) => values.push(v),
                    Some(_) => {}
                    None => out.push((k.clone(), vec![v])),
                }
            }
        }
    }
    if let LoE::Literal(exclude) = &m.exclude {
        for entry in exclude.iter().filter(|e| e.len() == 1) {
            let Some((k, v)) = entry.iter().next() else { continue };
            let Some(v) = matrix_scalar(v) else { continue };
            if let Some((_, values)) = out.iter_mut().find(|(key, _)| key == k) {
                values.retain(|x| *x != v);
            }
        }
    }
    out
}

/// `${{ matrix.KEY }}` (the whole value): `KEY`.
pub fn matrix_ref(value: &str) -> Option<&str> {
    let inner = value.trim().strip_prefix("${{")?.strip_suffix("}}")?.trim();
    let key = inner.strip_prefix("matrix.")?;
    key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_').then_some(key)
}

/// What an `if:` says about `matrix.KEY`: `Some(Some(v))` for exactly
/// `matrix.KEY == v` (either way round, `${{ }}` optional, `v` quoted or a
/// number); `Some(None)` when it does not name the matrix; `None` when it names it
/// in a form not read here.
pub fn matrix_condition(cond: Option<&str>, key: &str) -> Option<Option<String>> {
    let Some(c) = cond else { return Some(None) };
    let c = c.trim();
    let c = c.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")).unwrap_or(c).trim();
    if !c.contains("matrix.") {
        return Some(None);
    }
    let (a, b) = c.split_once("==")?;
    let (a, b) = (a.trim(), b.trim());
    let lhs = format!("matrix.{key}");
    let value = if a == lhs {
        b
    } else if b == lhs {
        a
    } else {
        return None;
    };
    let literal = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(value);
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|x| x.is_ascii_alphanumeric() || b".-_/*".contains(&x));
    plain(literal).then(|| Some(literal.to_string()))
}

fn with_pairs(with: &LoE<github_actions_models::common::Env>) -> Vec<(String, String)> {
    match with {
        LoE::Literal(m) => m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
        LoE::Expr(_) => Vec::new(),
    }
}

fn steps_of(
    repo_root: &Path,
    file: &str,
    base: RouteBuf,
    steps: &[github_actions_models::workflow::job::Step],
    depth: usize,
    problems: &mut Vec<Finding>,
) -> Vec<StepInfo> {
    let mut out = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let mut route = base.clone();
        route.push(key("steps"));
        route.push(Component::Index(i));
        let env = env_sets(&s.env, file, &route);
        let kind = match &s.body {
            StepBody::Run { run, working_directory, .. } => {
                StepKind::Run { script: run.clone(), working_directory: working_directory.clone() }
            }
            StepBody::Uses { uses, with } => {
                if let Uses::Local(local) = uses {
                    if depth < 3 {
                        if let Some(inner) = composite(repo_root, &local.path, depth, problems) {
                            out.push(StepInfo {
                                file: file.to_string(),
                                route: route.clone(),
                                name: s.name.clone(),
                                kind: StepKind::Uses { uses: uses.raw().to_string(), with: with_pairs(with) },
                                env: env.clone(),
                                condition: condition(&s.r#if),
                            });
                            out.extend(inner);
                            continue;
                        }
                    }
                }
                StepKind::Uses { uses: uses.raw().to_string(), with: with_pairs(with) }
            }
        };
        let condition = condition(&s.r#if);
        out.push(StepInfo { file: file.to_string(), route, name: s.name.clone(), kind, env, condition });
    }
    out
}

/// The steps of a local composite action (`uses: ./path`), read from its action.yml.
fn composite(root: &Path, path: &str, depth: usize, problems: &mut Vec<Finding>) -> Option<Vec<StepInfo>> {
    use github_actions_models::action::{Action, Runs, StepBody as AStepBody};
    let dir = path.trim_start_matches("./").trim_end_matches('/');
    let (rel, text) = ["action.yml", "action.yaml"].iter().find_map(|n| {
        let rel = format!("{dir}/{n}");
        std::fs::read_to_string(root.join(&rel)).ok().map(|t| (rel, t))
    })?;
    if let Some(f) = yaml_error(&rel, &text, "action") {
        problems.push(*f);
        return None;
    }
    let action: Action = match yaml_serde::from_str(&text) {
        Ok(a) => a,
        Err(e) => {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            problems.push(parse_problem(rel, line, col, "action", e.to_string()));
            return None;
        }
    };
    let Runs::Composite(c) = action.runs else { return None };
    let mut out = Vec::new();
    for (i, s) in c.steps.iter().enumerate() {
        let route = vec![key("runs"), key("steps"), Component::Index(i)];
        let env = env_sets(&s.env, &rel, &route);
        let kind = match &s.body {
            AStepBody::Run { run, working_directory, .. } => {
                StepKind::Run { script: run.clone(), working_directory: working_directory.clone() }
            }
            AStepBody::Uses { uses, with } => {
                if let Uses::Local(local) = uses {
                    if depth < 3 {
                        if let Some(inner) = composite(root, &local.path, depth + 1, problems) {
                            out.extend(inner);
                            continue;
                        }
                    }
                }
                StepKind::Uses { uses: uses.raw().to_string(), with: with_pairs(with) }
            }
        };
        out.push(StepInfo { file: rel.clone(), route, name: s.name.clone(), kind, env, condition: condition(&s.r#if) });
    }
    Some(out)
}

/// Every job that runs steps, reusable workflows analysed under their local callers.
pub fn jobs(repo: &Repository, problems: &mut Vec<Finding>) -> Vec<JobInfo> {
    let mut out = Vec::new();
    // Reusable workflows called from a local caller: (callee index, caller index, caller job, caller id-token).
    let mut called: Vec<(usize, usize, String, bool)> = Vec::new();
    for (wi, w) in repo.workflows.iter().enumerate() {
        let wf_tok = id_token(&w.wf.permissions);
        for (jid, job) in &w.wf.jobs {
            if let Job::ReusableWorkflowCallJob(call) = job {
                if let Uses::Local(local) = &call.uses {
                    let target = local.path.trim_start_matches("./");
                    if let Some(ci) = repo.workflows.iter().position(|c| c.rel == target) {
                        let tok = id_token(&call.permissions).or(wf_tok).unwrap_or(false);
                        called.push((ci, wi, jid.clone(), tok));
                    }
                }
            }
        }
    }
    for (wi, w) in repo.workflows.iter().enumerate() {
        let callers: Vec<Option<(usize, String, bool)>> = if w.on_workflow_call() {
            let c: Vec<_> =
                called.iter().filter(|(ci, ..)| *ci == wi).map(|(_, w, j, t)| Some((*w, j.clone(), *t))).collect();
            if c.is_empty() { vec![None] } else { c }
        } else {
            vec![None]
        };
        let wf_tok = id_token(&w.wf.permissions);
        for (jid, job) in &w.wf.jobs {
            let Job::NormalJob(j) = job else { continue };
            let route = vec![key("jobs"), key(jid)];
            for caller in &callers {
                let own = id_token(&j.permissions).or(wf_tok);
                let (tok, fix_at) = match caller {
                    // The callee gets at most what the caller grants; with no block
                    // of its own it gets exactly that.
                    Some((cw, cj, ctok)) => {
                        let tok = *ctok && own.unwrap_or(true);
                        let fix = if !*ctok {
                            Some((repo.workflows[*cw].rel.clone(), vec![key("jobs"), key(cj)]))
                        } else {
                            Some((w.rel.clone(), route.clone()))
                        };
                        (tok, fix)
                    }
                    None => {
                        let fix = if id_token(&j.permissions).is_some() || wf_tok.is_none() {
                            // The job's own block decides, or none exists: add it to the job.
                            Some((w.rel.clone(), route.clone()))
                        } else {
                            Some((w.rel.clone(), Vec::new()))
                        };
                        // A reusable workflow no local workflow calls gets what its
                        // (unknown) caller grants unless it says otherwise itself.
                        let external = w.on_workflow_call();
                        (own.unwrap_or(external), fix)
                    }
                };
                let runs_on = match &j.runs_on {
                    LoE::Literal(RunsOn::Target(v)) => v.clone(),
                    LoE::Literal(RunsOn::Group { group, labels }) => {
                        let mut v = labels.clone();
                        if let Some(g) = group {
                            v.push(format!("group:{g}"));
                        }
                        v
                    }
                    LoE::Expr(e) => vec![e.as_curly().to_string()],
                };
                let environment = j.environment.as_ref().map(|e| match e {
                    DeploymentEnvironment::Name(n) => n.clone(),
                    DeploymentEnvironment::NameURL { name, .. } => name.clone(),
                });
                let steps = steps_of(&repo.root, &w.rel, route.clone(), &j.steps, 0, problems);
                let working_directory =
                    j.defaults.as_ref().and_then(|d| d.run.as_ref()).and_then(|r| r.working_directory.clone());
                let mut info = JobInfo {
                    workflow: wi,
                    id: jid.clone(),
                    route: route.clone(),
                    id_token: tok,
                    id_token_fix_at: fix_at,
                    caller: caller.as_ref().map(|(w, j, _)| (*w, j.clone())),
                    external_caller: caller.is_none() && w.on_workflow_call(),
                    runs_on,
                    environment,
                    steps,
                    publishes: Vec::new(),
                    working_directory,
                    condition: condition(&j.r#if),
                    matrix: matrix_values(j.strategy.as_ref()),
                };
                info.publishes = find_publishes(repo, &info);
                out.push(info);
            }
        }
    }
    out
}

/// The steps of `job` that publish.
pub fn find_publishes(repo: &Repository, job: &JobInfo) -> Vec<Publish> {
    let mut out = Vec::new();
    for (i, s) in job.steps.iter().enumerate() {
        match &s.kind {
            StepKind::Run { script, working_directory } => {
                let dir = working_directory.clone().or_else(|| job.working_directory.clone()).unwrap_or_default();
                scan_script(repo, &dir, script, i, &mut Vec::new(), &mut out, 0);
            }
            StepKind::Uses { .. } => {
                let action = s.action().unwrap_or_default();
                if s.action_path().is_some_and(|p| p == "changesets/action/publish") {
                    // changesets/action v2 splits into select-mode, version, pack and publish.
                    out.push(publish(i, Tool::Changesets, "changesets/action/publish", vec![]));
                } else if s.action_path().as_deref() == Some("changesets/action") {
                    if let Some(cmd) = s.with("publish") {
                        let before = out.len();
                        scan_script(repo, "", cmd, i, &mut vec!["changesets/action publish:".to_string()], &mut out, 0);
                        if out.len() == before {
                            out.push(publish(i, Tool::Changesets, cmd, vec![]));
                        }
                    }
                } else if action == "js-devtools/npm-publish" {
                    let mut p = publish(i, Tool::NpmPublishAction, "JS-DevTools/npm-publish", vec![]);
                    p.provenance = s.with("provenance").is_some_and(|v| v.trim() == "true");
                    p.access_public = s.with("access").is_some_and(|v| v.trim() == "public");
                    out.push(p);
                } else if action == "cycjimmy/semantic-release-action" {
                    out.push(publish(i, Tool::SemanticRelease, "cycjimmy/semantic-release-action", vec![]));
                }
            }
        }
    }
    out
}

fn publish(step: usize, tool: Tool, command: &str, via: Vec<String>) -> Publish {
    Publish { step, tool, command: command.trim().to_string(), via, provenance: false, access_public: false }
}

/// Splits a shell script into simple commands (newlines, `&&`, `||`, `;`, `|`).
fn commands(script: &str) -> Vec<String> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let line = line.split(" #").next().unwrap_or(line);
        if line.trim_start().starts_with('#') {
            continue;
        }
        for part in line.split("&&").flat_map(|p| p.split("||")).flat_map(|p| p.split(';')).flat_map(|p| p.split('|')) {
            let p = part.trim();
            if !p.is_empty() {
                out.push(p.to_string());
            }
        }
    }
    out
}

fn scan_script(
    repo: &Repository,
    dir: &str,
    script: &str,
    step: usize,
    via: &mut Vec<String>,
    out: &mut Vec<Publish>,
    depth: usize,
) {
    if depth > 5 {
        return;
    }
    for cmd in commands(script) {
        let words: Vec<&str> = cmd.split_whitespace().map(|w| w.trim_matches(['"', '\''])).collect();
        // Drop env assignments and runners in front.
        let mut w: &[&str] = &words;
        loop {
            match w.first() {
                Some(first) if first.contains('=') && !first.starts_with('-') => w = &w[1..],
                Some(&("npx" | "bunx" | "exec" | "env" | "sudo")) => {
                    w = &w[1..];
                    while w.first().is_some_and(|a| a.starts_with('-')) {
                        w = &w[1..];
                    }
                }
                Some(&("pnpm" | "yarn")) if matches!(w.get(1), Some(&("dlx" | "exec"))) => w = &w[2..],
                Some(&"npm") if matches!(w.get(1), Some(&"exec")) => {
                    w = &w[2..];
                    if w.first() == Some(&"--") {
                        w = &w[1..];
                    }
                }
                _ => break,
            }
        }
        let Some(&prog) = w.first() else { continue };
        // `semantic-release@25.0.1` (npx with a version) is `semantic-release`.
        let prog = match prog.strip_prefix('@') {
            Some(scoped) => scoped.split('@').next().unwrap_or(scoped),
            None => prog.split('@').next().unwrap_or(prog),
        };
        let prog = prog.rsplit('/').next().unwrap_or(prog);
        let args: Vec<&str> = w[1..].to_vec();
        let positional: Vec<&str> = {
            let mut v = Vec::new();
            let mut skip = false;
            for a in &args {
                if skip {
                    skip = false;
                    continue;
                }
                if matches!(*a, "--filter" | "-F" | "-w" | "--workspace" | "--cwd" | "-C" | "--dir") {
                    skip = true;
                    continue;
                }
                if !a.starts_with('-') {
                    v.push(*a);
                }
            }
            v
        };
        let flags = |f: &str| args.iter().any(|a| *a == f || a.starts_with(&format!("{f}=")));
        let access_public = args.windows(2).any(|p| p[0] == "--access" && p[1] == "public") || flags("--access=public");
        // `--dry-run="$DRY_RUN"` may publish: only a literal dry run is not a publish.
        let dry_run = args.iter().any(|a| *a == "--dry-run" || *a == "--dry-run=true");
        let mut found = |tool: Tool| {
            if dry_run {
                return;
            }
            let mut p = publish(step, tool, &cmd, via.clone());
            p.provenance = flags("--provenance");
            p.access_public = access_public;
            out.push(p);
        };
        let follow = |name: &str, via: &mut Vec<String>, out: &mut Vec<Publish>, through: String| {
            let Some(pkg) = repo.package_in(dir).or(repo.root_package.as_ref()) else { return };
            if let Some(body) = pkg.script(name) {
                via.push(through);
                scan_script(repo, dir, body, step, via, out, depth + 1);
                via.pop();
            }
        };
        match (prog, positional.first().copied()) {
            ("npm", Some("publish")) => found(Tool::Npm),
            ("npm", Some("run" | "run-script" | "rr")) => {
                if let Some(name) = positional.get(1) {
                    let name = name.to_string();
                    follow(&name, via, out, format!("npm run {name}"));
                }
            }
            ("pnpm", Some("publish")) => found(Tool::Pnpm),
            ("pnpm", Some("run")) => {
                if let Some(name) = positional.get(1) {
                    let name = name.to_string();
                    follow(&name, via, out, format!("pnpm run {name}"));
                }
            }
            ("yarn", Some("npm")) if positional.get(1) == Some(&"publish") => found(Tool::YarnBerry),
            ("yarn", Some("workspaces")) if cmd.contains("npm publish") => found(Tool::YarnBerry),
            ("yarn", Some("publish")) => found(Tool::YarnClassic),
            ("yarn", Some("run")) => {
                if let Some(name) = positional.get(1) {
                    let name = name.to_string();
                    follow(&name, via, out, format!("yarn run {name}"));
                }
            }
            ("pnpm" | "yarn" | "bun", Some(name))
                if !matches!(name, "install" | "add" | "build" | "test" | "i" | "ci")
                    || repo
                        .package_in(dir)
                        .or(repo.root_package.as_ref())
                        .is_some_and(|p| p.script(name).is_some()) =>
            {
                if prog == "bun" && name == "publish" {
                    found(Tool::Bun);
                } else if prog == "bun" && name == "run" {
                    if let Some(n) = positional.get(1) {
                        let n = n.to_string();
                        follow(&n, via, out, format!("bun run {n}"));
                    }
                } else {
                    let name = name.to_string();
                    follow(&name, via, out, format!("{prog} {name}"));
                }
            }
            ("changeset", Some("publish")) => found(Tool::Changesets),
            ("semantic-release", _) => found(Tool::SemanticRelease),
            ("lerna", Some("publish")) => found(Tool::Lerna),
            ("nx", Some("release")) if !flags("--skip-publish") => found(Tool::Nx),
            ("bun", Some("publish")) => found(Tool::Bun),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_commands() {
        assert_eq!(
            commands("npm ci && npm publish --provenance\n# npm x\necho a; b"),
            vec!["npm ci", "npm publish --provenance", "echo a", "b"]
        );
    }

    #[test]
    fn newer_step_syntax_is_read_leniently() {
        let w = WorkflowFile::parse(
            "w.yml".into(),
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: $/.github/actions/setup\n      - parallel:\n          - run: a\n      - run: npm publish\n".into(),
        )
        .unwrap();
        let Job::NormalJob(j) = &w.wf.jobs["a"] else { panic!() };
        assert_eq!(j.steps.len(), 3);
        assert!(matches!(&j.steps[0].body, StepBody::Uses { uses: Uses::Local(_), .. }));
        assert_eq!(w.skipped.len(), 1);
        assert_eq!(w.skipped[0].line, 7);
    }

    #[test]
    fn matrix_values_and_conditions() {
        let w = WorkflowFile::parse(
            "w.yml".into(),
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        node: [18, 20, '22.x']\n        os: [ubuntu-latest]\n        include:\n          - node: 24\n        exclude:\n          - node: 18\n    steps:\n      - run: npm publish\n".into(),
        )
        .unwrap();
        let Job::NormalJob(j) = &w.wf.jobs["a"] else { panic!() };
        let m = matrix_values(j.strategy.as_ref());
        assert_eq!(m[0], ("node".to_string(), vec!["20".to_string(), "22.x".into(), "24".into()]));
        assert_eq!(matrix_ref("${{ matrix.node }}"), Some("node"));
        assert_eq!(matrix_ref("${{ matrix.node }}.x"), None);
        assert_eq!(matrix_condition(Some("matrix.node == 24"), "node"), Some(Some("24".into())));
        assert_eq!(matrix_condition(Some("${{ '24' == matrix.node }}"), "node"), Some(Some("24".into())));
        assert_eq!(matrix_condition(Some("github.ref_type == 'tag'"), "node"), Some(None));
        assert_eq!(matrix_condition(None, "node"), Some(None));
        assert_eq!(matrix_condition(Some("matrix.node == 24 && matrix.os == 'x'"), "node"), None);
        assert_eq!(matrix_condition(Some("matrix.os == 'ubuntu-latest'"), "node"), None);
    }

    #[test]
    fn id_token_of_the_shorthand_forms() {
        let of = |perms: &str| {
            let text = format!(
                "on: push\n{perms}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish\n"
            );
            id_token(&WorkflowFile::parse("w.yml".into(), text).unwrap().wf.permissions)
        };
        assert_eq!(of("permissions: write-all\n"), Some(true));
        assert_eq!(of("permissions: read-all\n"), Some(false));
        assert_eq!(of("permissions: {}\n"), Some(false));
        assert_eq!(of("permissions: { id-token: write }\n"), Some(true));
        assert_eq!(of("permissions:\n  id-token: none\n"), Some(false));
        assert_eq!(of(""), None);
    }

    #[test]
    fn id_token_levels() {
        let w = WorkflowFile::parse(
            "w.yml".into(),
            "on: push\npermissions:\n  id-token: write\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n      - run: npm publish\n".into(),
        )
        .unwrap();
        assert_eq!(id_token(&w.wf.permissions), Some(true));
        let Job::NormalJob(j) = &w.wf.jobs["a"] else { panic!() };
        assert_eq!(id_token(&j.permissions), Some(false));
        assert_eq!(w.locate(&[key("jobs"), key("a"), key("permissions")]), (7, 5));
    }
}
