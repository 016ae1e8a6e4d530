//! The action's install step (`action/install.sh`) against a fake release on a
//! local server: a verified archive is installed and put on PATH, a checksum
//! mismatch or a missing checksum is refused, only a missing asset falls back to
//! `cargo install --locked` (a stand-in cargo records how it was called), and a
//! binary restored by the cache is kept without a download. The archives the
//! release workflow makes (`.github/scripts/archives.sh`) install through it.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_npm-logdoc");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const TARGET: &str = "x86_64-unknown-linux-gnu";

fn asset() -> String {
    format!("npm-logdoc-{TARGET}.tar.gz")
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().expect("sha256sum (coreutils)");
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

/// A release archive as the release workflow lays it out, holding a stand-in
/// binary that prints `says`.
fn archive(dir: &Path, says: &str) -> Vec<u8> {
    let top = dir.join("pkg").join(format!("npm-logdoc-{TARGET}"));
    std::fs::create_dir_all(&top).unwrap();
    write_script(&top.join("npm-logdoc"), &format!("#!/bin/sh\necho '{says}'\n"));
    let file = dir.join(asset());
    let ok = Command::new("tar").arg("-czf").arg(&file).arg("-C").arg(dir.join("pkg")).arg(".").status().unwrap();
    assert!(ok.success());
    std::fs::read(file).unwrap()
}

fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A fake release server and a runner's folders.
struct Runner {
    rt: tokio::runtime::Runtime,
    server: MockServer,
    tmp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let server = rt.block_on(MockServer::start());
        let tmp = tempfile::tempdir().unwrap();
        // A cargo that records its arguments and "builds" a binary into --root.
        let bin = tmp.path().join("fakebin");
        std::fs::create_dir_all(&bin).unwrap();
        write_script(
            &bin.join("cargo"),
            "#!/bin/sh\necho \"$@\" >> \"$CARGO_CALLS\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\n\
             mkdir -p \"$root/bin\" && printf '#!/bin/sh\\necho built-from-source\\n' > \"$root/bin/npm-logdoc\" && chmod +x \"$root/bin/npm-logdoc\"\n",
        );
        Runner { rt, server, tmp }
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// Serves `body` at `route`, through a redirect as GitHub does (to its storage host).
    fn serve(&self, route: &str, body: Vec<u8>) {
        let stored = format!("/storage{route}");
        let redirect = ResponseTemplate::new(302).insert_header("location", format!("{}{stored}", self.server.uri()));
        self.rt.block_on(Mock::given(method("GET")).and(path(route)).respond_with(redirect).mount(&self.server));
        self.rt.block_on(
            Mock::given(method("GET"))
                .and(path(stored))
                .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
                .mount(&self.server),
        );
    }

    fn serve_status(&self, route: &str, status: u16) {
        self.rt.block_on(
            Mock::given(method("GET")).and(path(route)).respond_with(ResponseTemplate::new(status)).mount(&self.server),
        );
    }

    /// Serves the archive of `tag` and a checksum file saying `sum` (None: the real one).
    fn release(&self, tag: &str, sum: Option<&str>) {
        let bytes = archive(self.dir(), &format!("npm-logdoc {VERSION}"));
        let real = sha256_hex(&self.dir().join(asset()));
        let route = format!("/download/{tag}/{}", asset());
        self.serve(&route, bytes);
        let line = format!("{}  {}\n", sum.unwrap_or(&real), asset());
        self.serve(&format!("{route}.sha256"), line.into_bytes());
    }

    fn requests(&self) -> usize {
        self.rt.block_on(self.server.received_requests()).unwrap_or_default().len()
    }

    fn script(&self, step: &str, version: &str) -> Output {
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", self.dir().join("fakebin").display());
        Command::new("bash")
            .arg(Path::new(ROOT).join("action/install.sh"))
            .arg(step)
            .env_clear()
            .env("PATH", path)
            .env("ACTION_PATH", ROOT)
            .env("ACTION_REPOSITORY", "example/npm-logdoc")
            .env("INPUT_VERSION", version)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", self.dir().join("runner-temp"))
            .env("GITHUB_OUTPUT", self.dir().join("output"))
            .env("GITHUB_PATH", self.dir().join("path"))
            .env("CARGO_CALLS", self.dir().join("cargo-calls"))
            .env("NPM_LOGDOC_RELEASES_URL", self.server.uri())
            .env("NPM_LOGDOC_TARGET", TARGET)
            .output()
            .expect("bash")
    }

    /// `plan` then `install`, as the action runs them; the plan's outputs.
    fn install(&self, version: &str) -> (Output, String) {
        let plan = self.script("plan", version);
        assert!(plan.status.success(), "plan failed: {}", text(&plan.stderr));
        let outputs = std::fs::read_to_string(self.dir().join("output")).unwrap();
        (self.script("install", version), outputs)
    }

    fn root(&self, tag: &str) -> PathBuf {
        self.dir().join("runner-temp/npm-logdoc").join(format!("{tag}-{TARGET}"))
    }

    fn cargo_calls(&self) -> String {
        std::fs::read_to_string(self.dir().join("cargo-calls")).unwrap_or_default()
    }

    fn github_path(&self) -> String {
        std::fs::read_to_string(self.dir().join("path")).unwrap_or_default()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_verified_release_archive_is_installed_and_put_on_path() {
    let runner = Runner::new();
    let tag = format!("v{VERSION}");
    runner.release(&tag, None);
    let (out, outputs) = runner.install("");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), format!("npm-logdoc {VERSION}"));
    assert!(outputs.contains("mode=release\n"), "{outputs}");
    assert!(outputs.contains(&format!("tag={tag}\n")), "{outputs}");
    assert!(outputs.contains(&format!("cache-key=npm-logdoc-{tag}-{TARGET}\n")), "{outputs}");
    let root = runner.root(&tag);
    assert!(outputs.contains(&format!("root={}\n", root.display())), "{outputs}");
    assert!(root.join("bin/npm-logdoc").is_file());
    assert_eq!(runner.github_path().trim(), root.join("bin").display().to_string());
    assert_eq!(runner.cargo_calls(), "", "cargo ran although the release had the asset");
}

#[test]
fn a_checksum_mismatch_is_refused() {
    let runner = Runner::new();
    let tag = format!("v{VERSION}");
    runner.release(&tag, Some(&"0".repeat(64)));
    let (out, _) = runner.install("");
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.starts_with("::error title=npm-logdoc install::checksum mismatch"), "{said}");
    assert!(!runner.root(&tag).join("bin/npm-logdoc").exists(), "the unverified binary was installed");
    assert_eq!(runner.github_path(), "");
    assert_eq!(runner.cargo_calls(), "", "a mismatch must not fall back to a build");
}

#[test]
fn a_release_without_a_checksum_file_is_refused() {
    let runner = Runner::new();
    let tag = "v9.9.9";
    let bytes = archive(runner.dir(), "npm-logdoc 9.9.9");
    runner.serve(&format!("/download/{tag}/{}", asset()), bytes);
    let (out, _) = runner.install("9.9.9");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("no checksum for"), "{}", text(&out.stdout));
    assert!(!runner.root(tag).join("bin/npm-logdoc").exists());
    assert_eq!(runner.cargo_calls(), "");
}

#[test]
fn a_missing_asset_falls_back_to_cargo_install_locked() {
    let runner = Runner::new();
    // The server knows no release at all: every download is a 404.
    let (out, outputs) = runner.install("v0.0.1");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(outputs.contains("tag=v0.0.1\n"), "{outputs}");
    assert!(text(&out.stderr).contains("has no npm-logdoc-"), "{}", text(&out.stderr));
    let root = runner.root("v0.0.1");
    assert_eq!(
        runner.cargo_calls().trim(),
        format!("install --locked --quiet --path {ROOT} --root {}", root.display())
    );
    assert_eq!(text(&out.stdout).trim(), "built-from-source");
    assert_eq!(runner.github_path().trim(), root.join("bin").display().to_string());
}

#[test]
fn a_server_error_fails_without_falling_back() {
    let runner = Runner::new();
    runner.serve_status(&format!("/download/v0.0.2/{}", asset()), 403);
    let (out, _) = runner.install("0.0.2");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("HTTP 403"), "{}", text(&out.stdout));
    assert_eq!(runner.cargo_calls(), "");
}

#[test]
fn a_cached_binary_is_used_without_a_download() {
    let runner = Runner::new();
    let tag = format!("v{VERSION}");
    let bin = runner.root(&tag).join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    write_script(&bin.join("npm-logdoc"), "#!/bin/sh\necho from-cache\n");
    let (out, _) = runner.install("");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "from-cache");
    assert_eq!(runner.requests(), 0, "the cache hit still downloaded");
    assert_eq!(runner.cargo_calls(), "");
}

#[test]
fn version_source_builds_the_action_checkout() {
    let runner = Runner::new();
    let (out, outputs) = runner.install("source");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(outputs.contains("mode=source\n"), "{outputs}");
    assert!(outputs.contains("cache-key=npm-logdoc-source-"), "{outputs}");
    assert!(runner.cargo_calls().starts_with("install --locked"), "{}", runner.cargo_calls());
    assert_eq!(runner.requests(), 0);
}

#[test]
fn the_release_workflows_archive_installs_through_the_action() {
    let runner = Runner::new();
    let bins = runner.dir().join("bins");
    let built = bins.join(format!("bin-{TARGET}"));
    std::fs::create_dir_all(&built).unwrap();
    std::fs::copy(BIN, built.join("npm-logdoc")).unwrap();
    let dist = runner.dir().join("dist");
    let made = Command::new("bash")
        .arg(Path::new(ROOT).join(".github/scripts/archives.sh"))
        .args([&bins, &dist, &built.join("npm-logdoc")])
        .output()
        .unwrap();
    assert!(made.status.success(), "archives.sh: {}", text(&made.stderr));
    assert_eq!(text(&made.stdout).trim(), dist.join(asset()).display().to_string());
    let tag = format!("v{VERSION}");
    for name in [asset(), format!("{}.sha256", asset())] {
        runner.serve(&format!("/download/{tag}/{name}"), std::fs::read(dist.join(&name)).unwrap());
    }
    let (out, _) = runner.install("");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), format!("npm-logdoc {VERSION}"));
    assert_eq!(runner.cargo_calls(), "");

    // The archive also carries the completions and the man pages.
    let listed = Command::new("tar").arg("-tzf").arg(dist.join(asset())).output().unwrap();
    let listed = text(&listed.stdout);
    for file in ["README.md", "completions/npm-logdoc.bash", "completions/_npm-logdoc", "man/npm-logdoc.1"] {
        assert!(listed.contains(&format!("npm-logdoc-{TARGET}/{file}")), "the archive lacks {file}:\n{listed}");
    }
}

#[test]
fn a_version_that_is_not_one_is_refused() {
    let runner = Runner::new();
    for bad in ["../../etc", "v1.0/../../x", "main"] {
        let out = runner.script("plan", bad);
        assert_eq!(out.status.code(), Some(1), "{bad}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("is not a release version"), "{bad}: {}", text(&out.stdout));
    }
    assert_eq!(runner.requests(), 0);
}
