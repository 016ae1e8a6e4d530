//! The npm packages as a user gets them: `npm/pack.sh` packs the launcher and this
//! machine's platform package (with the test build of the binary), `npm install`
//! puts the tarballs into an empty project with the registry out of reach, and
//! `npx npm-logdoc` must behave as the binary does; without the platform package
//! the launcher must say what is missing and exit 127. Needs node and npm
//! (`.ci/run` ensures them): without them this test fails, it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {shown} ({e}): node and npm are needed for this test (.ci/run installs them)")
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `npm`/`npx` with every registry access made impossible: offline, a registry
/// on a closed port, a cache of the test's own, and no user `.npmrc` (whose
/// `omit=optional` would change what is installed).
fn npm_tool(tool: &str, dir: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(tool);
    cmd.current_dir(dir)
        .env("npm_config_userconfig", cache.join("no-user-npmrc"))
        .env("npm_config_offline", "true")
        .env("npm_config_registry", "http://127.0.0.1:9/")
        .env("npm_config_cache", cache)
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .env_remove("npm_config_omit")
        .env_remove("NPM_LOGDOC_BINARY");
    cmd
}

/// An empty project with `tarballs` installed from the files.
fn project(root: &Path, name: &str, tarballs: &[&PathBuf]) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("package.json"), r#"{ "name": "t", "version": "1.0.0", "private": true }"#).unwrap();
    let out = run(npm_tool("npm", &dir, &root.join("cache")).arg("install").arg("--offline").args(tarballs));
    assert!(out.status.success(), "npm install failed:\n{}{}", text(&out.stdout), text(&out.stderr));
    dir
}

fn npx(dir: &Path, args: &[&str]) -> Output {
    let cache = dir.parent().unwrap().join("cache");
    run(npm_tool("npx", dir, &cache).arg("npm-logdoc").args(args))
}

/// The launcher's and this machine's package's tarballs, packed once for all tests
/// (in cargo's scratch folder for tests).
fn packed() -> &'static (PathBuf, PathBuf) {
    static PACKED: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PACKED.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-pack");
        let _ = std::fs::remove_dir_all(&out);
        pack(&out)
    })
}

/// Packs the launcher and this machine's package; returns (launcher, platform) tarballs.
fn pack(out: &Path) -> (PathBuf, PathBuf) {
    let packed = run(Command::new("bash")
        .arg(Path::new(ROOT).join("npm/pack.sh"))
        .args(["--binary", BIN, "--repository", "example/npm-logdoc"])
        .arg(out));
    assert!(packed.status.success(), "npm/pack.sh failed:\n{}", text(&packed.stderr));
    let tarballs: Vec<PathBuf> = text(&packed.stdout).lines().map(PathBuf::from).collect();
    assert_eq!(tarballs.len(), 2, "expected the launcher's and one platform's tarball: {tarballs:?}");
    let launcher = out.join(format!("npm-logdoc-{VERSION}.tgz"));
    assert!(tarballs.contains(&launcher), "no {} in {tarballs:?}", launcher.display());
    let platform = tarballs.into_iter().find(|t| *t != launcher).unwrap();
    assert!(platform.exists() && launcher.exists());
    (launcher, platform)
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap()
}

#[test]
fn packed_packages_install_offline_and_npx_runs_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let (launcher, platform) = packed();

    let dir = project(tmp.path(), "with-platform", &[launcher, platform]);
    let version = npx(&dir, &["--version"]);
    assert!(version.status.success(), "npx npm-logdoc --version: {}", text(&version.stderr));
    assert_eq!(text(&version.stdout).trim(), format!("npm-logdoc {VERSION}"));

    let via_npx = npx(&dir, &["analyze", "--example", "--format", "json"]);
    let direct = run(Command::new(BIN).args(["analyze", "--example", "--format", "json"]));
    assert!(via_npx.status.success(), "npx npm-logdoc analyze --example: {}", text(&via_npx.stderr));
    assert_eq!(text(&via_npx.stdout), text(&direct.stdout), "the launcher changed the report");
    let report: Value = serde_json::from_slice(&via_npx.stdout).unwrap();
    assert!(report["diagnoses"][0]["id"].is_string(), "no diagnosis in the example's report");

    // Exit codes pass through: a missing log is an input error (3).
    let missing = npx(&dir, &["analyze", "no-such.log"]);
    assert_eq!(missing.status.code(), Some(3), "{}", text(&missing.stderr));

    // The packages as installed: no install script anywhere, the versions move
    // together, the platform package holds its manifest and the binary only.
    let modules = dir.join("node_modules");
    let main = manifest(&modules.join("npm-logdoc"));
    assert!(main.get("scripts").is_none(), "the launcher package has scripts: {main}");
    assert_eq!(main["version"], VERSION);
    assert_eq!(main["bin"]["npm-logdoc"], "bin/npm-logdoc.js");
    assert_eq!(main["repository"]["url"], "git+https://github.com/example/npm-logdoc.git");
    let optional = main["optionalDependencies"].as_object().unwrap();
    assert_eq!(optional.len(), 7, "{optional:?}");
    assert!(optional.values().all(|v| v == VERSION), "{optional:?}");
    let platform_name =
        platform.file_name().unwrap().to_string_lossy().trim_end_matches(&format!("-{VERSION}.tgz")).to_string();
    assert!(optional.contains_key(&platform_name), "{platform_name} is not an optional dependency");
    let plat = manifest(&modules.join(&platform_name));
    assert!(plat.get("scripts").is_none() && plat.get("bin").is_none(), "{plat}");
    assert_eq!(plat["version"], VERSION);
    assert!(plat["os"].is_array() && plat["cpu"].is_array(), "{plat}");
    if plat["os"][0] == "linux" {
        assert!(plat["libc"].is_array(), "a Linux package needs its libc: {plat}");
    }
    let mut files: Vec<String> = std::fs::read_dir(modules.join(&platform_name))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let binary = if cfg!(windows) { "npm-logdoc.exe" } else { "npm-logdoc" };
    assert_eq!(files, [binary, "package.json"]);
}

#[test]
fn without_the_platform_package_the_launcher_says_what_to_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (launcher, _) = packed();
    let dir = project(tmp.path(), "launcher-only", &[launcher]);

    let out = npx(&dir, &["--version"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(127), "stdout: {}\nstderr: {err}", text(&out.stdout));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    for needle in [
        "npm-logdoc: no binary for ",
        "is not installed",
        "--omit=optional",
        "npm/cli#4828",
        "npm install --no-save npm-logdoc-",
        &format!("@{VERSION}"),
        "rm -rf node_modules package-lock.json && npm install",
        "NPM_LOGDOC_BINARY",
    ] {
        assert!(err.contains(needle), "the message lacks {needle:?}:\n{err}");
    }

    // NPM_LOGDOC_BINARY runs that binary instead.
    let cache = tmp.path().join("cache");
    let out = run(npm_tool("npx", &dir, &cache).env("NPM_LOGDOC_BINARY", BIN).args(["npm-logdoc", "--version"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), format!("npm-logdoc {VERSION}"));

    // The launcher leaves with the binary's exit code, and dies of its signal.
    let launcher_js = dir.join("node_modules/npm-logdoc/bin/npm-logdoc.js");
    let via_sh = |script: &str| {
        run(npm_tool("node", &dir, &cache).env("NPM_LOGDOC_BINARY", "/bin/sh").arg(&launcher_js).args(["-c", script]))
    };
    assert_eq!(via_sh("exit 7").status.code(), Some(7));
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(via_sh("kill -TERM $$").status.signal(), Some(15), "SIGTERM was not passed on");
    }
}

/// Every target of npm/platforms.json is built by the release workflow.
#[test]
fn the_release_builds_every_npm_platform() {
    let platforms: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(ROOT).join("npm/platforms.json")).unwrap()).unwrap();
    let workflow = std::fs::read_to_string(Path::new(ROOT).join(".github/workflows/release.yml")).unwrap();
    for p in platforms.as_array().unwrap() {
        let target = p["target"].as_str().unwrap();
        assert!(workflow.contains(&format!("target: {target}")), "release.yml does not build {target}");
    }
}
