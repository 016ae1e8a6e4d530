//! Names a whole-job log's steps after the API's step list. A job log has no step
//! boundaries of its own, only markers: `##[group]Run ...` where a `run:` or `uses:`
//! step starts (several inside a composite action), `Post job cleanup.` where a post
//! step starts, `Cleaning up orphan processes` in "Complete job". [`MarkerIndex`]
//! records them while the log streams past; [`plan`] aligns them with the steps
//! that ran (in order, each step normally opening with one marker, timestamps
//! deciding the ambiguous cases) and cuts the log into one segment per step.

use chrono::{DateTime, Utc};

use super::api::Step;

/// Bytes of a line's start kept to recognise a marker (BOM, timestamp, marker).
const HEAD: usize = 96;
/// Markers recorded per log; past this the log is fed unsplit.
const MAX_MARKERS: usize = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// `##[group]Run ...`: a `run:` or `uses:` step (or a step inside a composite).
    Run,
    /// `Post job cleanup.`: a post step.
    Post,
    /// `Cleaning up orphan processes`: the "Complete job" step.
    Complete,
}

/// One step marker: where its line starts and when it was printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub offset: u64,
    pub kind: MarkerKind,
    /// Milliseconds since the epoch, from the line's timestamp.
    pub time: Option<i64>,
}

/// Watches a log stream go by and records its step markers; costs one `memchr`
/// per line.
#[derive(Debug, Default)]
pub struct MarkerIndex {
    markers: Vec<Marker>,
    head: Vec<u8>,
    line_start: u64,
    seen: u64,
    overflow: bool,
}

impl MarkerIndex {
    pub fn new() -> MarkerIndex {
        MarkerIndex::default()
    }

    /// Takes the next bytes of the stream.
    pub fn observe(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let (line, newline) = match memchr::memchr(b'\n', bytes) {
                Some(i) => (&bytes[..i], true),
                None => (bytes, false),
            };
            if self.head.len() < HEAD {
                let take = line.len().min(HEAD - self.head.len());
                self.head.extend_from_slice(&line[..take]);
            }
            let used = line.len() + usize::from(newline);
            self.seen += used as u64;
            bytes = &bytes[used..];
            if newline {
                self.end_line();
                self.line_start = self.seen;
            }
        }
    }

    fn end_line(&mut self) {
        if let Some((kind, time)) = classify(&self.head) {
            if self.markers.len() < MAX_MARKERS {
                self.markers.push(Marker { offset: self.line_start, kind, time });
            } else {
                self.overflow = true;
            }
        }
        self.head.clear();
    }

    /// The markers in stream order (`None` when there were too many to align).
    pub fn finish(mut self) -> Option<Vec<Marker>> {
        if !self.head.is_empty() {
            self.end_line();
        }
        (!self.overflow).then_some(self.markers)
    }
}

/// A line's marker kind and timestamp, from its first bytes.
fn classify(head: &[u8]) -> Option<(MarkerKind, Option<i64>)> {
    let mut text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut time = None;
    if let Some(z) = text.iter().take(40).position(|&b| b == b'Z') {
        if let Ok(stamp) = std::str::from_utf8(&text[..=z]) {
            if let Ok(t) = DateTime::parse_from_rfc3339(stamp) {
                time = Some(t.timestamp_millis());
                text = &text[z + 1..];
                text = text.strip_prefix(b" ").unwrap_or(text);
            }
        }
    }
    let kind = if text.starts_with(b"##[group]Run ") {
        MarkerKind::Run
    } else if text.starts_with(b"Post job cleanup.") {
        MarkerKind::Post
    } else if text.starts_with(b"Cleaning up orphan processes") {
        MarkerKind::Complete
    } else {
        return None;
    };
    Some((kind, time))
}

/// One stretch of a job log that belongs to one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The step's name as the API gives it.
    pub step: String,
    /// Byte offset where the segment starts; it runs to the next one's start.
    pub offset: u64,
}

/// Cost of a step that ran but got no marker.
const SKIP: f64 = 1.0;
/// Cost of a second marker in one step (a composite action's inner steps).
const STAY: f64 = 0.5;
/// Cost of a `Run` marker in a step whose name starts with "Post " (a user may
/// name a main step that way).
const POST_NAMED: f64 = 0.25;
/// Slack on the API's second-precision step times, in milliseconds.
const SLACK_MS: i64 = 1000;
/// Cost per second between a step's start and the marker that opens it (a step
/// prints its `Run` line as it starts), capped below [`STAY`]; breaks ties when
/// second-precision times fit two neighbouring steps.
const OPEN_PER_S: f64 = 0.05;
const OPEN_MAX: f64 = 0.4;

fn millis(t: &Option<DateTime<Utc>>) -> Option<i64> {
    t.as_ref().map(DateTime::timestamp_millis)
}

/// How well marker `m` fits as a marker of step `s` (`None`: it cannot be).
fn fit(m: &Marker, s: &Step) -> Option<f64> {
    let post = s.name.starts_with("Post ");
    let complete = s.name == "Complete job";
    let mut cost = match m.kind {
        MarkerKind::Run if complete => return None,
        MarkerKind::Run if post => POST_NAMED,
        MarkerKind::Run => 0.0,
        MarkerKind::Post if post => 0.0,
        MarkerKind::Complete if complete => 0.0,
        MarkerKind::Post | MarkerKind::Complete => return None,
    };
    if let (Some(t), Some(start)) = (m.time, millis(&s.started_at)) {
        let end = millis(&s.completed_at).unwrap_or(i64::MAX - SLACK_MS);
        let gap = (start - SLACK_MS - t).max(t - (end + SLACK_MS)).max(0);
        cost += gap as f64 / 1000.0;
    }
    Some(cost)
}

/// Cuts a job log into one segment per step that ran, named as the API names it.
/// The first segment (from offset 0) is "Set up job". Returns an empty plan when
/// the API gave no steps, so the caller feeds the log unsplit.
pub fn plan(markers: &[Marker], steps: &[Step]) -> Vec<Segment> {
    let mut ran: Vec<&Step> = steps.iter().filter(|s| s.ran()).collect();
    ran.sort_by_key(|s| s.number);
    let Some(first) = ran.first() else {
        return Vec::new();
    };
    let setup = if first.name == "Set up job" { ran.remove(0).name.clone() } else { "Set up job".to_string() };
    let mut plan = vec![Segment { step: setup, offset: 0 }];
    let markers: Vec<&Marker> = markers.iter().filter(|m| ran.iter().any(|s| fit(m, s).is_some())).collect();
    if markers.is_empty() || ran.is_empty() {
        return plan;
    }
    for (step, offset) in align(&markers, &ran) {
        plan.push(Segment { step: ran[step].name.clone(), offset: markers[offset].offset });
    }
    plan
}

/// Extra cost of marker `m` opening step `s`.
fn open(m: &Marker, s: &Step) -> f64 {
    match (m.time, millis(&s.started_at)) {
        (Some(t), Some(start)) => ((t - start).abs() as f64 / 1000.0 * OPEN_PER_S).min(OPEN_MAX),
        _ => 0.0,
    }
}

/// A monotone assignment of markers to steps at least cost; returns, for each step
/// that got markers, `(step index, index of its first marker)`.
fn align(markers: &[&Marker], steps: &[&Step]) -> Vec<(usize, usize)> {
    let (n, m) = (markers.len(), steps.len());
    let fits: Vec<Vec<Option<f64>>> = markers.iter().map(|mk| steps.iter().map(|s| fit(mk, s)).collect()).collect();
    // cost[i][j]: least cost with marker i in step j; from[i][j]: step of marker i-1.
    let mut cost = vec![vec![f64::INFINITY; m]; n];
    let mut from = vec![vec![usize::MAX; m]; n];
    for j in 0..m {
        if let Some(c) = fits[0][j] {
            cost[0][j] = c + open(markers[0], steps[j]) + SKIP * j as f64;
        }
    }
    for i in 1..n {
        // Best of cost[i-1][k] + SKIP * (j - k - 1) over k < j, kept as we go.
        let mut best = f64::INFINITY;
        let mut best_k = usize::MAX;
        for j in 0..m {
            if j > 0 {
                let c = cost[i - 1][j - 1] - SKIP * j as f64;
                if c < best {
                    best = c;
                    best_k = j - 1;
                }
            }
            let Some(c) = fits[i][j] else { continue };
            let advance = best + SKIP * (j as f64 - 1.0) + open(markers[i], steps[j]);
            let stay = cost[i - 1][j] + STAY;
            if advance <= stay && best_k != usize::MAX {
                cost[i][j] = c + advance;
                from[i][j] = best_k;
            } else if stay.is_finite() {
                cost[i][j] = c + stay;
                from[i][j] = j;
            }
        }
    }
    let end = (0..m).filter(|&j| cost[n - 1][j].is_finite()).min_by(|&a, &b| {
        let ca = cost[n - 1][a] + SKIP * (m - 1 - a) as f64;
        let cb = cost[n - 1][b] + SKIP * (m - 1 - b) as f64;
        ca.total_cmp(&cb)
    });
    let Some(mut j) = end else {
        return Vec::new();
    };
    let mut assigned = vec![0usize; n];
    for i in (0..n).rev() {
        assigned[i] = j;
        if i > 0 {
            j = from[i][j];
        }
    }
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &step) in assigned.iter().enumerate() {
        if out.last().is_none_or(|&(s, _)| s != step) {
            out.push((step, i));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    fn step(number: u64, name: &str, from: &str, to: &str) -> Step {
        Step {
            name: name.into(),
            number,
            status: "completed".into(),
            conclusion: Some("success".into()),
            started_at: at(&format!("2026-02-20T11:{from}Z")),
            completed_at: at(&format!("2026-02-20T11:{to}Z")),
        }
    }

    fn index(log: &str, chunk: usize) -> Vec<Marker> {
        let mut ix = MarkerIndex::new();
        for c in log.as_bytes().chunks(chunk) {
            ix.observe(c);
        }
        ix.finish().unwrap()
    }

    const LOG: &str = "\u{feff}2026-02-20T11:02:10.0000000Z Current runner version: '2.331.0'
2026-02-20T11:02:11.1000000Z ##[group]Run actions/checkout@v4
2026-02-20T11:02:12.1000000Z ##[group]Run npm ci
2026-02-20T11:02:13.5000000Z added 58 packages
2026-02-20T11:02:14.2000000Z ##[group]Run ./.github/actions/publish
2026-02-20T11:02:14.3000000Z ##[group]Run npm publish --provenance
2026-02-20T11:02:20.0000000Z ##[error]Process completed with exit code 1.
2026-02-20T11:02:21.0000000Z Post job cleanup.
2026-02-20T11:02:22.0000000Z Cleaning up orphan processes";

    fn steps() -> Vec<Step> {
        let mut skipped = step(6, "Tag release", "02:20", "02:20");
        skipped.conclusion = Some("skipped".into());
        vec![
            step(1, "Set up job", "02:10", "02:11"),
            step(2, "Run actions/checkout@v4", "02:11", "02:12"),
            step(3, "Install", "02:12", "02:14"),
            step(4, "Publish", "02:14", "02:20"),
            skipped,
            step(7, "Post Run actions/checkout@v4", "02:21", "02:21"),
            step(8, "Complete job", "02:22", "02:22"),
        ]
    }

    #[test]
    fn markers_are_found_whatever_the_chunking() {
        let whole = index(LOG, LOG.len());
        assert_eq!(whole.len(), 6);
        assert_eq!(whole[0].kind, MarkerKind::Run);
        assert_eq!(&LOG[whole[0].offset as usize..][..28], "2026-02-20T11:02:11.1000000Z");
        assert_eq!(whole[0].time, Some(at("2026-02-20T11:02:11.1Z").unwrap().timestamp_millis()));
        assert_eq!(whole[4].kind, MarkerKind::Post);
        assert_eq!(whole[5].kind, MarkerKind::Complete);
        for chunk in [1, 3, 17, 64] {
            assert_eq!(index(LOG, chunk), whole, "chunk {chunk}");
        }
    }

    #[test]
    fn steps_are_cut_where_their_first_marker_starts() {
        let markers = index(LOG, 4096);
        let plan = plan(&markers, &steps());
        let names: Vec<&str> = plan.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(
            names,
            [
                "Set up job",
                "Run actions/checkout@v4",
                "Install",
                "Publish",
                "Post Run actions/checkout@v4",
                "Complete job"
            ]
        );
        // The composite's inner `Run` stays in "Publish".
        assert!(LOG[plan[3].offset as usize..].starts_with("2026-02-20T11:02:14.2000000Z ##[group]Run ./.github"));
        assert_eq!(plan[0].offset, 0);
    }

    #[test]
    fn without_timestamps_markers_are_matched_in_order() {
        let log: String =
            LOG.lines().map(|l| format!("{}\n", l.trim_start_matches('\u{feff}').get(29..).unwrap_or(l))).collect();
        let markers = index(&log, 4096);
        assert!(markers.iter().all(|m| m.time.is_none()));
        let mut steps = steps();
        steps.remove(3); // one step fewer than `Run` markers: two land in one step
        let names: Vec<String> = plan(&markers, &steps).into_iter().map(|s| s.step).collect();
        assert_eq!(
            names,
            ["Set up job", "Run actions/checkout@v4", "Install", "Post Run actions/checkout@v4", "Complete job"]
        );
    }

    #[test]
    fn no_steps_means_no_plan() {
        assert!(plan(&index(LOG, 4096), &[]).is_empty());
        let plan = plan(&[], &steps());
        assert_eq!(plan, [Segment { step: "Set up job".into(), offset: 0 }]);
    }
}
