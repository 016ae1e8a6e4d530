//! The block prefilter: which lines of a block hold any literal of any rule or
//! of the structure the facts read, found by one table-driven DFA walk (four at
//! a time) so that a line without one costs a few table look-ups per byte.

use aho_corasick::automaton::Automaton;
use aho_corasick::{Anchored, MatchKind, StartKind};

/// Independent DFA walks interleaved by [`LineFilter::candidate_lines`].
pub const LANES: usize = 4;

/// Set in a transition whose target state ends a literal.
const MATCH: u32 = 1 << 31;

/// The block prefilter: an Aho-Corasick DFA over every literal, flattened into
/// one table so that a step costs a class look-up, an add and a load.
///
/// States are numbered `0, stride, 2 * stride, ...` (premultiplied), so the next
/// state is `trans[state + class[byte]]`; [`MATCH`] marks the entries that enter
/// a state where a literal ends, so four walks test for a match with one `or`.
/// Bytes that occur in no literal share class 0 (they lead every state back to
/// the start).
pub struct LineFilter {
    class: [u8; 256],
    trans: Vec<u32>,
    start: u32,
}

impl LineFilter {
    /// Builds the filter. No literals: it finds nothing. An empty literal (or a
    /// set too large to tabulate): every non-empty line is a candidate.
    pub fn new<S: AsRef<[u8]>>(literals: &[S]) -> LineFilter {
        // Class 0: the bytes of no literal. `reps[c]` is a byte of class `c`.
        let mut used = [false; 256];
        literals.iter().flat_map(|l| l.as_ref()).for_each(|&b| used[usize::from(b)] = true);
        let mut class = [0u8; 256];
        let mut reps = Vec::with_capacity(256);
        if used.iter().all(|u| *u) {
            class = std::array::from_fn(|b| b as u8);
            reps.extend(0..=255u8);
        } else {
            reps.push((0..=255u8).find(|b| !used[usize::from(*b)]).unwrap_or(0));
            for b in 0..=255u8 {
                if used[usize::from(b)] {
                    class[usize::from(b)] = reps.len() as u8;
                    reps.push(b);
                }
            }
        }
        let stride = reps.len().next_power_of_two();
        let nothing = LineFilter { class, trans: vec![0; stride], start: 0 };
        let everything = LineFilter { class, trans: vec![MATCH; stride], start: 0 };
        if literals.is_empty() {
            return nothing;
        }
        if literals.iter().any(|l| l.as_ref().is_empty()) {
            return everything;
        }
        let built = aho_corasick::dfa::Builder::new()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(literals);
        let Some((dfa, start)) = built.ok().and_then(|d| d.start_state(Anchored::No).ok().map(|s| (d, s))) else {
            return everything;
        };
        // Number the DFA's states in the order a walk from the start reaches them;
        // `ids` maps a DFA state id to that number (u32::MAX: not reached yet).
        let mut ids = vec![u32::MAX; start.as_usize() + 1];
        let mut order = vec![start];
        ids[start.as_usize()] = 0;
        let mut trans = Vec::new();
        let mut next = 0;
        while next < order.len() {
            if (order.len() + 1) * stride >= MATCH as usize {
                return everything;
            }
            let sid = order[next];
            next += 1;
            let row = trans.len();
            trans.resize(row + stride, 0);
            for (c, &b) in reps.iter().enumerate() {
                let to = dfa.next_state(Anchored::No, sid, b);
                if to.as_usize() >= ids.len() {
                    ids.resize(to.as_usize() + 1, u32::MAX);
                }
                if ids[to.as_usize()] == u32::MAX {
                    ids[to.as_usize()] = order.len() as u32;
                    order.push(to);
                }
                let id = ids[to.as_usize()];
                let flag = if dfa.is_match(to) { MATCH } else { 0 };
                trans[row + c] = (id * stride as u32) | flag;
            }
        }
        LineFilter { class, trans, start: 0 }
    }

    /// Finds the lines of `block` that hold at least one literal, as `(start, end)`
    /// byte ranges without the newline, in order when `found`'s lists are read one
    /// after the other.
    ///
    /// A DFA walk is bound by the latency of its table look-ups: each step needs
    /// the state the previous one produced. The block is therefore cut at line
    /// starts into [`LANES`] stretches walked in lock step, so the look-ups of
    /// different stretches overlap. A literal never holds a newline, so a stretch
    /// that starts at a line start can start in the start state, and after a
    /// candidate line the walk restarts at the next line. No allocation once
    /// `found` has grown.
    pub fn candidate_lines(&self, block: &[u8], found: &mut [Vec<(usize, usize)>; LANES]) {
        found.iter_mut().for_each(Vec::clear);
        let (class, trans, start) = (&self.class, &self.trans[..], self.start);
        let step = |s: u32, b: u8| trans[(s + u32::from(class[usize::from(b)])) as usize];
        let n = block.len();
        // Stretch k is lo[k]..hi[k]; each begins at a line start.
        let mut lo = [0usize; LANES];
        let mut hi = [n; LANES];
        for k in 1..LANES {
            let at = (k * n / LANES).max(lo[k - 1]);
            lo[k] = memchr::memchr(b'\n', &block[at..]).map_or(n, |i| at + i + 1);
            hi[k - 1] = lo[k];
        }
        let mut state = [start; LANES];
        // Lock step while every stretch has bytes left.
        loop {
            let steps = (0..LANES).map(|k| hi[k] - lo[k]).min().unwrap_or(0);
            if steps == 0 {
                break;
            }
            let lanes: [&[u8]; LANES] = std::array::from_fn(|k| &block[lo[k]..lo[k] + steps]);
            let mut s = state;
            let mut i = 0;
            while i < steps {
                let mut any = 0;
                for k in 0..LANES {
                    s[k] = step(s[k], lanes[k][i]);
                    any |= s[k];
                }
                i += 1;
                if any & MATCH != 0 {
                    break;
                }
            }
            state = s;
            for k in 0..LANES {
                lo[k] += i;
                if state[k] & MATCH != 0 {
                    lo[k] = take_line(block, lo[k] - 1, &mut found[k]).min(hi[k]);
                    state[k] = start;
                }
            }
        }
        // Whatever is left of each stretch, one at a time.
        for k in 0..LANES {
            let mut s = state[k];
            let mut p = lo[k];
            while p < hi[k] {
                s = step(s, block[p]);
                if s & MATCH != 0 {
                    p = take_line(block, p, &mut found[k]).min(hi[k]);
                    s = start;
                } else {
                    p += 1;
                }
            }
        }
    }
}

/// Records the line holding byte `at`; returns where the next line starts.
fn take_line(block: &[u8], at: usize, out: &mut Vec<(usize, usize)>) -> usize {
    let start = memchr::memrchr(b'\n', &block[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |i| at + i);
    out.push((start, end));
    end + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The lines (start, end) of `block` that contain any literal, the slow way.
    fn naive(literals: &[Vec<u8>], block: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        for line in block.split(|b| *b == b'\n') {
            let end = start + line.len();
            let hit = literals.iter().any(|l| l.is_empty() || line.windows(l.len()).any(|w| w == l.as_slice()));
            if hit && (!line.is_empty() || literals.iter().all(|l| !l.is_empty())) {
                out.push((start, end));
            }
            start = end + 1;
        }
        out
    }

    fn filter_lines(literals: &[Vec<u8>], block: &[u8]) -> Vec<(usize, usize)> {
        let f = LineFilter::new(literals);
        let mut found: [Vec<(usize, usize)>; LANES] = Default::default();
        f.candidate_lines(block, &mut found);
        found.iter().flatten().copied().collect()
    }

    #[test]
    fn finds_lines_with_a_literal_in_every_lane_and_the_last_line() {
        let lits = vec![b"npm error".to_vec(), b"##[".to_vec(), b"publish".to_vec()];
        let mut block = Vec::new();
        for i in 0..200 {
            match i % 7 {
                0 => block.extend_from_slice(b"2025-01-01T00:00:00.0000000Z npm error code E404\n"),
                3 => block.extend_from_slice(b"##[group]Run npm publish\n"),
                _ => block.extend_from_slice(b"nothing to see here, npm erro r\n"),
            }
        }
        block.extend_from_slice(b"last line has publish");
        let want = naive(&lits, &block);
        assert_eq!(filter_lines(&lits, &block), want);
        assert_eq!(want.last(), Some(&(block.len() - 21, block.len())));
    }

    #[test]
    fn no_literals_find_nothing_and_an_empty_literal_finds_every_line() {
        assert!(filter_lines(&[], b"a\nb\n").is_empty());
        assert_eq!(filter_lines(&[Vec::new()], b"a\nbc\n"), [(0, 1), (2, 4)]);
    }

    #[test]
    fn literals_with_every_byte_value_still_work() {
        let lits: Vec<Vec<u8>> = (0..=255u8).filter(|b| *b != b'\n').map(|b| vec![b, b]).collect();
        let block = b"ab\naa\n\xff\xff\nx\n";
        assert_eq!(filter_lines(&lits, block), naive(&lits, block));
    }

    proptest! {
        #[test]
        fn the_filter_finds_exactly_the_lines_holding_a_literal(
            literals in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(0xe2u8)], 1..5), 0..6),
            block in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'\n'), Just(0xe2u8), Just(b'x')], 0..600),
        ) {
            prop_assert_eq!(filter_lines(&literals, &block), naive(&literals, &block));
        }
    }
}
