//! `check --online`: asks the registry whether each publishable package exists,
//! since trusted publishing cannot create a package (its first version needs a
//! token or a manual publish). Off by default; tests point it at a local mock.

use std::time::Duration;

/// The registry `--online` asks by default.
pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org";

/// A package's name as the registry's URL path writes it (`@scope%2fname`).
pub fn escaped(name: &str) -> String {
    name.replacen('/', "%2f", 1)
}

/// For each name, whether the registry has it (`GET <registry>/<name>`: 200 yes,
/// 404 no). Any other answer, or no answer, is an error naming the package.
pub fn exists(registry: &str, names: &[String]) -> Result<Vec<(String, bool)>, String> {
    let base = registry.trim_end_matches('/');
    let uri: http::Uri = base.parse().map_err(|_| format!("`{registry}` is not a registry URL"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    runtime.block_on(async {
        let crab = octocrab::Octocrab::builder()
            .base_uri(uri)
            .map_err(|e| e.to_string())?
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        let mut out = Vec::new();
        for name in names {
            let url = format!("{base}/{}", escaped(name));
            let response = crab._get(url.as_str()).await.map_err(|e| format!("{url}: {e}"))?;
            match response.status().as_u16() {
                200 => out.push((name.clone(), true)),
                404 => out.push((name.clone(), false)),
                s => return Err(format!("{url} answered {s}; run without --online, or retry")),
            }
        }
        Ok(out)
    })
}
