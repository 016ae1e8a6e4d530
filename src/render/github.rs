//! Workflow commands: one `::error` (or `::warning` for a low-confidence cause) per
//! diagnosis (a `::notice` per job when no cause is known), most important first,
//! capped at what GitHub shows for a step.

use crate::diagnose::Report;
use crate::pattern::Confidence;

/// GitHub shows at most 10 error and 10 warning annotations per step.
pub const MAX_ANNOTATIONS: usize = 10;

/// Escapes a command's message (`%`, CR, LF).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command property value (also `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let (mut errors, mut warnings) = (0, 0);
    for d in &report.diagnoses {
        let (kind, count) =
            if d.confidence == Confidence::Low { ("warning", &mut warnings) } else { ("error", &mut errors) };
        if *count >= MAX_ANNOTATIONS {
            continue;
        }
        *count += 1;
        let mut message = format!("{}\n\n{}", d.title, d.explanation);
        if let Some(fix) = d.fixes.first() {
            message.push_str(&format!("\n\nFirst fix: {}", fix.title));
        }
        message.push_str(&format!(
            "\n\n({}, confidence {}; `npm-logdoc explain {}` for every fix)",
            d.id, d.confidence, d.id
        ));
        let title = format!("npm-logdoc: {}", d.id);
        out.push_str(&format!("::{kind} title={}::{}\n", escape_property(&title), escape_data(&message)));
    }
    if report.diagnoses.is_empty() {
        // Notices are capped per step like errors and warnings.
        for job in report.jobs.iter().take(MAX_ANNOTATIONS) {
            let step = job.failed_step.as_deref().unwrap_or("an unknown step");
            let mut message = format!("No known cause. Job {} failed in {step}.", job.name);
            for e in job.error_lines.iter().take(5) {
                message.push_str(&format!("\n{}: {}", e.line, e.text));
            }
            out.push_str(&format!(
                "::notice title={}::{}\n",
                escape_property("npm-logdoc: no known cause"),
                escape_data(&message)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_commands() {
        assert_eq!(escape_data("a%b\r\nc"), "a%25b%0D%0Ac");
        assert_eq!(escape_property("x: y, z"), "x%3A y%2C z");
    }
}
