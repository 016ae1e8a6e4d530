//! What a log's first bytes say about how to read it, decided once per file,
//! standard input or archive entry: binary or text by the share of bytes no text
//! log has (a NUL or two in a real log does not make it binary; ripgrep would still
//! search it), UTF-16 by its byte-order mark (Windows PowerShell 5.1 writes such
//! logs), and lone CRs as line ends when the start of the log has no LF. The
//! scanner then gets UTF-8 with LF line ends and no NUL.

use std::io::{self, Read};

/// How much of the start is looked at.
pub(crate) const HEAD: usize = 8192;

/// Bytes that are not text, in a share above this (one in twenty), make binary.
const BINARY_SHARE: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// Why a stream is not read as a log.
#[derive(Debug)]
pub(crate) enum NotText {
    Io(io::Error),
    /// What to say: "it holds binary data ...".
    Binary(String),
}

/// Bytes no text log holds: C0 controls but tab, LF, FF, CR and ESC (colour
/// codes), and DEL.
fn is_binary_byte(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | 0x1b)) || b == 0x7f
}

/// Reads the head of `rest` (after the `head` bytes already read) and returns
/// the stream to scan; `notes` says what was decoded or changed.
pub(crate) fn text<R: Read>(
    mut head: Vec<u8>,
    mut rest: R,
    origin: &str,
    notes: &mut Vec<String>,
) -> Result<TextReader<R>, NotText> {
    let have = head.len();
    if have < HEAD {
        head.resize(HEAD, 0);
        let n = read_up_to(&mut rest, &mut head[have..]).map_err(NotText::Io)?;
        head.truncate(have + n);
    }
    let encoding = if head.starts_with(&[0xFF, 0xFE]) {
        Encoding::Utf16Le
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Encoding::Utf16Be
    } else {
        Encoding::Utf8
    };
    let (has_lf, has_cr) = match encoding {
        Encoding::Utf8 => {
            let odd = head.iter().filter(|b| is_binary_byte(**b)).count();
            if odd * BINARY_SHARE > head.len() {
                let share = odd * 100 / head.len().max(1);
                return Err(NotText::Binary(format!(
                    "it holds binary data ({share}% of its first {} bytes are control bytes no text log has), not a text log",
                    head.len()
                )));
            }
            let nuls = memchr::memchr_iter(0, &head).count();
            if nuls > 0 {
                notes.push(format!("{origin}: {nuls} NUL byte{} near the start read as spaces", plural(nuls)));
            }
            (head.contains(&b'\n'), head.contains(&b'\r'))
        }
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let name = if encoding == Encoding::Utf16Le { "UTF-16 LE" } else { "UTF-16 BE" };
            notes.push(format!("{origin}: decoded as {name} (it starts with a byte-order mark)"));
            let unit = |c: &[u8]| if encoding == Encoding::Utf16Le { [c[0], c[1]] } else { [c[1], c[0]] };
            let units: Vec<[u8; 2]> = head.chunks_exact(2).map(unit).collect();
            (units.contains(&[b'\n', 0]), units.contains(&[b'\r', 0]))
        }
    };
    let cr_lines = has_cr && !has_lf;
    if cr_lines {
        notes.push(format!("{origin}: no LF line ends, so each CR ends a line"));
    }
    Ok(TextReader {
        inner: rest,
        encoding,
        cr_lines,
        raw: head,
        raw_pos: 0,
        out: Vec::new(),
        out_pos: 0,
        odd_byte: None,
        high_surrogate: None,
        pending_cr: false,
        last: None,
        eof: false,
    })
}

/// One `read`, retried when a signal interrupts it.
fn read_once(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// NUL bytes become spaces (a few NULs do not make a log binary, but no line
/// should hold one).
fn nuls_to_spaces(buf: &mut [u8]) {
    let mut at = 0;
    while let Some(p) = memchr::memchr(0, &buf[at..]) {
        buf[at + p] = b' ';
        at += p + 1;
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
pub(crate) fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The stream as the scanner reads it: UTF-8 (UTF-16 decoded), NUL bytes as
/// spaces, and, for a log without LF, each CR (or CR LF) as one LF.
pub(crate) struct TextReader<R> {
    inner: R,
    encoding: Encoding,
    cr_lines: bool,
    /// Raw bytes read but not yet converted (the head first).
    raw: Vec<u8>,
    raw_pos: usize,
    out: Vec<u8>,
    out_pos: usize,
    /// UTF-16: the first byte of a unit split across reads.
    odd_byte: Option<u8>,
    /// UTF-16: a high surrogate waiting for its pair.
    high_surrogate: Option<u16>,
    /// A CR whose LF (CR LF) may come next.
    pending_cr: bool,
    /// The last byte handed on, so a last line without LF can be ended.
    last: Option<u8>,
    eof: bool,
}

impl<R: Read> TextReader<R> {
    /// Converts the next raw bytes into `out`; false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        if let Some(&b) = self.out.last() {
            self.last = Some(b);
        }
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() {
            if self.raw_pos >= self.raw.len() {
                if self.eof {
                    return Ok(self.finish());
                }
                self.raw.resize(64 * 1024, 0);
                self.raw_pos = 0;
                let n = read_once(&mut self.inner, &mut self.raw)?;
                self.raw.truncate(n);
                if n == 0 {
                    self.eof = true;
                    continue;
                }
            }
            let raw = std::mem::take(&mut self.raw);
            let chunk = &raw[self.raw_pos..];
            match self.encoding {
                // The common case, copied whole: only a NUL is changed (to a space).
                Encoding::Utf8 if !self.cr_lines => {
                    let start = self.out.len();
                    self.out.extend_from_slice(chunk);
                    nuls_to_spaces(&mut self.out[start..]);
                }
                Encoding::Utf8 => {
                    for &b in chunk {
                        self.push(b);
                    }
                }
                Encoding::Utf16Le | Encoding::Utf16Be => self.decode_utf16(chunk),
            }
            self.raw_pos = raw.len();
            self.raw = raw;
        }
        Ok(true)
    }

    /// What is left at the end: a lone CR's line end, a dangling surrogate or byte.
    fn finish(&mut self) -> bool {
        let dangling = self.high_surrogate.take().is_some();
        if self.odd_byte.take().is_some() || dangling {
            self.out.extend_from_slice("\u{FFFD}".as_bytes());
        }
        if std::mem::take(&mut self.pending_cr) {
            self.out.push(b'\n');
        }
        // A last line without its LF is a line all the same (`"lines"` counts it).
        let last = self.out.last().copied().or(self.last);
        if last.is_some_and(|b| b != b'\n') {
            self.out.push(b'\n');
        }
        self.last = Some(b'\n');
        !self.out.is_empty()
    }

    fn push(&mut self, b: u8) {
        if self.cr_lines {
            if std::mem::take(&mut self.pending_cr) {
                self.out.push(b'\n');
                if b == b'\n' {
                    return;
                }
            }
            if b == b'\r' {
                self.pending_cr = true;
                return;
            }
        }
        self.out.push(if b == 0 { b' ' } else { b });
    }

    fn decode_utf16(&mut self, chunk: &[u8]) {
        let mut bytes = chunk.iter().copied();
        loop {
            let first = match self.odd_byte.take() {
                Some(b) => b,
                None => match bytes.next() {
                    Some(b) => b,
                    None => return,
                },
            };
            let Some(second) = bytes.next() else {
                self.odd_byte = Some(first);
                return;
            };
            let unit = match self.encoding {
                Encoding::Utf16Be => u16::from_be_bytes([first, second]),
                _ => u16::from_le_bytes([first, second]),
            };
            let c = match (self.high_surrogate.take(), unit) {
                (None, 0xD800..=0xDBFF) => {
                    self.high_surrogate = Some(unit);
                    continue;
                }
                (Some(high), 0xDC00..=0xDFFF) => {
                    char::from_u32(0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00))
                        .unwrap_or('\u{FFFD}')
                }
                (Some(_), _) => {
                    // A lone high surrogate, then this unit on its own.
                    self.push_char('\u{FFFD}');
                    char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}')
                }
                (None, _) => char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'),
            };
            self.push_char(c);
        }
    }

    fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.push(b);
        }
    }
}

impl<R: Read> Read for TextReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The common case once the head is handed on: UTF-8 with LF lines is read
        // straight into the caller's buffer and only its NULs are changed, which
        // spares two copies of every byte of a large log.
        let drained = self.out_pos >= self.out.len() && self.raw_pos >= self.raw.len();
        if drained && !self.eof && self.encoding == Encoding::Utf8 && !self.cr_lines && buf.len() >= 4096 {
            let n = read_once(&mut self.inner, buf)?;
            if n > 0 {
                nuls_to_spaces(&mut buf[..n]);
                self.last = Some(buf[n - 1]);
                self.out.clear();
                self.out_pos = 0;
                return Ok(n);
            }
            self.eof = true;
        }
        if self.out_pos >= self.out.len() && !self.fill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(data: &[u8]) -> (Result<String, String>, Vec<String>) {
        let mut notes = Vec::new();
        let r = match text(Vec::new(), data, "x.log", &mut notes) {
            Ok(mut t) => {
                let mut s = String::new();
                t.read_to_string(&mut s).unwrap();
                Ok(s)
            }
            Err(NotText::Binary(what)) => Err(what),
            Err(NotText::Io(e)) => panic!("{e}"),
        };
        (r, notes)
    }

    fn utf16(s: &str, le: bool) -> Vec<u8> {
        let mut out = if le { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
        for u in s.encode_utf16() {
            out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn a_few_nul_bytes_do_not_make_a_log_binary() {
        let mut log = b"npm error code E404\n".repeat(100);
        log[30] = 0;
        let (text, notes) = read(&log);
        assert!(text.unwrap().contains("npm error code E404\nnpm error  ode E404"));
        assert!(notes[0].contains("1 NUL byte"), "{notes:?}");
        let random: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        assert!(read(&random).0.unwrap_err().contains("binary data"));
    }

    #[test]
    fn utf16_is_decoded_by_its_byte_order_mark() {
        let log = "Publish\r\nnpm error code E404 ✓ 𝄞\r\n";
        for le in [true, false] {
            let (text, notes) = read(&utf16(log, le));
            assert_eq!(text.unwrap(), format!("\u{FEFF}{log}"));
            assert!(notes[0].contains("UTF-16"), "{notes:?}");
        }
        // Cut in the middle of a surrogate pair and of a unit.
        let mut cut = utf16("a𝄞", true);
        cut.truncate(cut.len() - 1);
        assert_eq!(read(&cut).0.unwrap(), "\u{FEFF}a\u{FFFD}\n");
    }

    #[test]
    fn lone_crs_end_lines_only_when_there_is_no_lf() {
        let (text, notes) = read(b"one\rtwo\r\rfour\r");
        assert_eq!(text.unwrap(), "one\ntwo\n\nfour\n");
        assert!(notes[0].contains("CR ends a line"));
        let (text, notes) = read(b"one\r\ntwo\rstill two\n");
        assert_eq!(text.unwrap(), "one\r\ntwo\rstill two\n");
        assert!(notes.is_empty());
    }

    #[test]
    fn a_last_line_without_lf_is_ended() {
        assert_eq!(read(b"one\ntwo").0.unwrap(), "one\ntwo\n");
        assert_eq!(read(b"").0.unwrap(), "");
        let long = b"x".repeat(200_000);
        assert_eq!(read(&long).0.unwrap().len(), 200_001);
    }

    #[test]
    fn big_streams_pass_through_whole() {
        let log: Vec<u8> = b"npm notice line\n".repeat(50_000);
        assert_eq!(read(&log).0.unwrap().len(), log.len());
        let (text, _) = read(&utf16(&"ab\n".repeat(40_000), true));
        assert_eq!(text.unwrap().len(), 3 + 120_000);
    }
}
