//! A small RESP2/RESP3 reader and writer for the tests: reads exactly one
//! reply frame (nested aggregates included) from a stream and keeps its raw
//! bytes, so that tests can compare replies byte for byte. Independent of
//! the server's own code on purpose.
//!
//! Redis counterpart: the reply side of the protocol spec (`RESP3.md`), as a
//! client such as `redis-cli` reads it.

use std::io::{self, BufRead};

/// Deepest aggregate nesting the reader follows before calling the reply
/// malformed.
const MAX_DEPTH: usize = 128;

/// One reply frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The exact bytes of the whole frame as received.
    pub raw: Vec<u8>,
    /// The type byte: `+ - : $ * % ~ > , # _ ( = ! |`.
    pub kind: u8,
    /// The header line after the type byte, without CRLF.
    pub line: Vec<u8>,
    /// The payload of a bulk-like frame (`$ = !`); None for null bulks and
    /// line frames.
    pub body: Option<Vec<u8>>,
    /// The elements of an aggregate (maps: key, value, key, value...; an
    /// attribute `|` frame ends with the frame it annotates).
    pub children: Vec<Frame>,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn read_line<R: BufRead>(r: &mut R, raw: &mut Vec<u8>) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let n = r.read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    raw.extend_from_slice(&line);
    if !line.ends_with(b"\r\n") {
        return Err(bad(format!(
            "reply line not terminated by CRLF: {}",
            escape(&line)
        )));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

fn parse_len(line: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| bad(format!("bad length {}", escape(line))))
}

fn read_inner<R: BufRead>(r: &mut R, raw: &mut Vec<u8>, depth: usize) -> io::Result<Frame> {
    if depth > MAX_DEPTH {
        return Err(bad("reply nested too deeply"));
    }
    let start = raw.len();
    let header = read_line(r, raw)?;
    let Some((&kind, rest)) = header.split_first() else {
        return Err(bad("empty reply line"));
    };
    let line = rest.to_vec();
    let mut body = None;
    let mut children = Vec::new();
    match kind {
        b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => {}
        b'$' | b'=' | b'!' => {
            let len = parse_len(&line)?;
            if len >= 0 {
                let mut buf = vec![0u8; len as usize + 2];
                r.read_exact(&mut buf)?;
                raw.extend_from_slice(&buf);
                if !buf.ends_with(b"\r\n") {
                    return Err(bad("bulk payload not terminated by CRLF"));
                }
                buf.truncate(len as usize);
                body = Some(buf);
            } else if len != -1 || kind != b'$' {
                return Err(bad(format!("bad bulk length {}", len)));
            }
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let len = parse_len(&line)?;
            if len >= 0 {
                let items = if matches!(kind, b'%' | b'|') {
                    len * 2
                } else {
                    len
                };
                for _ in 0..items {
                    children.push(read_inner(r, raw, depth + 1)?);
                }
                if kind == b'|' {
                    children.push(read_inner(r, raw, depth + 1)?);
                }
            } else if len != -1 || kind != b'*' {
                return Err(bad(format!("bad aggregate length {}", len)));
            }
        }
        other => return Err(bad(format!("unknown reply type byte {}", escape(&[other])))),
    }
    Ok(Frame {
        raw: raw[start..].to_vec(),
        kind,
        line,
        body,
        children,
    })
}

/// Reads exactly one reply frame.
pub fn read_frame<R: BufRead>(r: &mut R) -> io::Result<Frame> {
    let mut raw = Vec::new();
    read_inner(r, &mut raw, 0)
}

/// Encodes a command as a RESP multibulk request.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Renders bytes for a message: printable ASCII as is, `\r \n \t \\ \"`
/// escaped, everything else as `\xHH`.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{:02x}", b)),
        }
    }
    s
}

impl Frame {
    /// The header line as text (simple strings, errors, integers...).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.line).into_owned()
    }

    /// Whether this is an error reply (`-` or `!`).
    pub fn is_error(&self) -> bool {
        self.kind == b'-' || self.kind == b'!'
    }

    /// The payload of a bulk or the text of a simple string, as bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.body {
            Some(b) => b,
            None => &self.line,
        }
    }

    /// For a RESP3 map (or a RESP2 flat key/value array): the value whose
    /// key's bytes equal `key`.
    pub fn map_get(&self, key: &str) -> Option<&Frame> {
        self.children
            .chunks(2)
            .find(|kv| kv.len() == 2 && kv[0].bytes() == key.as_bytes())
            .map(|kv| &kv[1])
    }

    /// The raw bytes with the elements of an aggregate sorted (for
    /// unordered replies): arrays, sets and pushes sort their elements,
    /// maps sort their key/value pairs. Other frames are returned as is.
    pub fn sorted_raw(&self) -> Vec<u8> {
        let header_len = self.line.len() + 3;
        match self.kind {
            b'*' | b'~' | b'>' => {
                let mut parts: Vec<&[u8]> = self.children.iter().map(|c| &c.raw[..]).collect();
                parts.sort();
                let mut out = self.raw[..header_len].to_vec();
                parts.iter().for_each(|p| out.extend_from_slice(p));
                out
            }
            b'%' => {
                let mut pairs: Vec<Vec<u8>> = self
                    .children
                    .chunks(2)
                    .map(|kv| kv.iter().flat_map(|f| f.raw.iter().copied()).collect())
                    .collect();
                pairs.sort();
                let mut out = self.raw[..header_len].to_vec();
                pairs.iter().for_each(|p| out.extend_from_slice(p));
                out
            }
            _ => self.raw.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Frame {
        let mut r = bytes;
        let f = read_frame(&mut r).expect("frame");
        assert!(r.is_empty(), "left over: {}", escape(r));
        assert_eq!(f.raw, bytes);
        f
    }

    #[test]
    fn reads_resp2_and_resp3_frames() {
        assert_eq!(one(b"+OK\r\n").text(), "OK");
        assert!(one(b"-ERR x\r\n").is_error());
        assert_eq!(one(b"$3\r\na\r\n\r\n").bytes(), b"a\r\n");
        assert_eq!(one(b"$-1\r\n").body, None);
        assert_eq!(one(b"*-1\r\n").children.len(), 0);
        let f = one(b"*2\r\n*1\r\n:1\r\n$0\r\n\r\n");
        assert_eq!(f.children[0].children[0].text(), "1");
        let m = one(b"%2\r\n+a\r\n:1\r\n$1\r\nb\r\n~1\r\n,1.5\r\n");
        assert_eq!(m.map_get("a").map(|f| f.text()), Some("1".into()));
        assert_eq!(m.map_get("b").map(|f| f.kind), Some(b'~'));
        one(b"_\r\n");
        one(b"#t\r\n");
        one(b"=7\r\ntxt:abc\r\n");
        one(b"|1\r\n+k\r\n+v\r\n:3\r\n");
    }

    #[test]
    fn truncated_frames_are_errors() {
        let mut r: &[u8] = b"$5\r\nab";
        assert!(read_frame(&mut r).is_err());
        let mut r: &[u8] = b"*2\r\n:1\r\n";
        assert!(read_frame(&mut r).is_err());
    }

    #[test]
    fn sorted_raw_sorts_elements() {
        let f = one(b"*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n");
        assert_eq!(f.sorted_raw(), b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
        let m = one(b"%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n");
        assert_eq!(m.sorted_raw(), b"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n");
    }
}
