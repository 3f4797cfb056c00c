//! The incremental request parser: RESP multibulk arrays and inline
//! (telnet-style) commands, fed any split of the byte stream. It never
//! copies multibulk arguments: it records their ranges in the client's query
//! buffer, and the dispatcher hands handlers slices of that buffer.
//!
//! Limits and error texts follow Redis 7.0's `processMultibulkBuffer` and
//! `processInlineBuffer` in `networking.c`.

/// Longest inline request or bulk/multibulk header line Redis accepts.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

/// Largest argument count an unauthenticated client may send.
const UNAUTH_MAX_MULTIBULK: i64 = 10;
/// Largest bulk an unauthenticated client may send.
const UNAUTH_MAX_BULK: i64 = 16384;

/// A protocol violation; the text follows `-ERR Protocol error: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(s: &str) -> Self {
        ProtocolError(s.to_string())
    }
}

/// What a call to `parse` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A complete multibulk command; its arguments are `ranges`.
    Multibulk,
    /// A complete inline command; its arguments are `inline_args`.
    Inline,
    /// An empty command (`*0`, `*-1`, an empty line): nothing to run.
    Empty,
    /// More bytes are needed; `hint` is how many more are known to be
    /// needed at least (for reserving buffer space), 0 if unknown.
    Incomplete { hint: usize },
}

/// Parser limits that come from the configuration and the client's state.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: i64,
    /// Whether the client is authenticated (stricter limits if not).
    pub authenticated: bool,
}

/// Incremental parser state of one client.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments still expected in the current multibulk; 0 when idle.
    multibulk_left: i64,
    /// Length of the bulk being read, or -1 when its header is next.
    bulk_len: i64,
    /// Whether a multibulk command is in progress.
    in_multibulk: bool,
    /// Argument ranges (start, end) in the buffer for the current command.
    pub ranges: Vec<(usize, usize)>,
    /// Arguments of the last inline command.
    pub inline_args: Vec<Vec<u8>>,
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let hay = &buf[from..];
    let mut i = 0;
    while let Some(off) = hay[i..].iter().position(|&b| b == b'\r') {
        let at = i + off;
        if at + 1 < hay.len() {
            if hay[at + 1] == b'\n' {
                return Some(from + at);
            }
            i = at + 1;
        } else {
            return None;
        }
    }
    None
}

/// Parses a header number as Redis's `string2ll` does.
fn header_number(bytes: &[u8]) -> Option<i64> {
    crate::util::numfmt::parse_i64(bytes)
}

impl RequestParser {
    /// Whether the parser is in the middle of a command (bytes consumed
    /// that belong to a command not yet complete).
    pub fn in_progress(&self) -> bool {
        self.in_multibulk
    }

    /// Shifts recorded ranges after the caller dropped `n` bytes from the
    /// front of the buffer (only bytes before the current command).
    pub fn shift(&mut self, n: usize) {
        if !self.in_multibulk {
            // The ranges belong to a finished command and may lie before
            // the cut: they are stale, not shiftable.
            self.ranges.clear();
            return;
        }
        for r in &mut self.ranges {
            r.0 -= n;
            r.1 -= n;
        }
    }

    /// Parses at most one command from `buf[*pos..]`, advancing `*pos` past
    /// what it consumed.
    pub fn parse(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        limits: Limits,
    ) -> Result<Parsed, ProtocolError> {
        if !self.in_multibulk {
            if *pos >= buf.len() {
                return Ok(Parsed::Incomplete { hint: 0 });
            }
            if buf[*pos] == b'*' {
                let Some(eol) = find_crlf(buf, *pos) else {
                    if buf.len() - *pos > INLINE_MAX_SIZE {
                        return Err(ProtocolError::new("too big mbulk count string"));
                    }
                    return Ok(Parsed::Incomplete { hint: 0 });
                };
                let count = header_number(&buf[*pos + 1..eol]);
                let count = match count {
                    Some(c) if c <= i32::MAX as i64 => c,
                    _ => return Err(ProtocolError::new("invalid multibulk length")),
                };
                if !limits.authenticated && count > UNAUTH_MAX_MULTIBULK {
                    return Err(ProtocolError::new("unauthenticated multibulk length"));
                }
                *pos = eol + 2;
                if count <= 0 {
                    return Ok(Parsed::Empty);
                }
                self.in_multibulk = true;
                self.multibulk_left = count;
                self.bulk_len = -1;
                self.ranges.clear();
                // Do not trust the declared count for the reservation.
                self.ranges.reserve((count as usize).min(1024));
            } else {
                return self.parse_inline(buf, pos);
            }
        }
        while self.multibulk_left > 0 {
            if self.bulk_len == -1 {
                if *pos >= buf.len() {
                    return Ok(Parsed::Incomplete { hint: 0 });
                }
                let Some(eol) = find_crlf(buf, *pos) else {
                    if buf.len() - *pos > INLINE_MAX_SIZE {
                        return Err(ProtocolError::new("too big bulk count string"));
                    }
                    return Ok(Parsed::Incomplete { hint: 0 });
                };
                if buf[*pos] != b'$' {
                    let got = buf[*pos];
                    return Err(ProtocolError(format!(
                        "expected '$', got '{}'",
                        got as char
                    )));
                }
                let len = match header_number(&buf[*pos + 1..eol]) {
                    Some(l) if l >= 0 && l <= limits.max_bulk_len => l,
                    _ => return Err(ProtocolError::new("invalid bulk length")),
                };
                if !limits.authenticated && len > UNAUTH_MAX_BULK {
                    return Err(ProtocolError::new("unauthenticated bulk length"));
                }
                *pos = eol + 2;
                self.bulk_len = len;
            }
            let need = self.bulk_len as usize + 2;
            if buf.len() - *pos < need {
                return Ok(Parsed::Incomplete {
                    hint: need - (buf.len() - *pos),
                });
            }
            self.ranges.push((*pos, *pos + self.bulk_len as usize));
            *pos += need;
            self.bulk_len = -1;
            self.multibulk_left -= 1;
        }
        self.in_multibulk = false;
        Ok(Parsed::Multibulk)
    }

    fn parse_inline(&mut self, buf: &[u8], pos: &mut usize) -> Result<Parsed, ProtocolError> {
        let Some(nl) = buf[*pos..].iter().position(|&b| b == b'\n') else {
            if buf.len() - *pos > INLINE_MAX_SIZE {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(Parsed::Incomplete { hint: 0 });
        };
        let mut line = &buf[*pos..*pos + nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let args =
            split_args(line).ok_or_else(|| ProtocolError::new("unbalanced quotes in request"))?;
        *pos += nl + 1;
        if args.is_empty() {
            return Ok(Parsed::Empty);
        }
        self.inline_args = args;
        Ok(Parsed::Inline)
    }
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Splits a line into arguments the way `sdssplitargs` does: spaces
/// separate, `"..."` supports `\n \r \t \b \a \\ \" \xHH`, `'...'` supports
/// `\'`; a closing quote must be followed by a space or the end. Returns
/// None on unbalanced quotes. Also used by the config file parser.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(args);
        }
        let mut cur = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    cur.push(hex_val(line[i + 2]) * 16 + hex_val(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if in_sq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | b'\0' => {
                        i += 1;
                        break;
                    }
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        args.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        max_bulk_len: 512 * 1024 * 1024,
        authenticated: true,
    };

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut p = RequestParser::default();
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            match p.parse(input, &mut pos, L)? {
                Parsed::Multibulk => out.push(
                    p.ranges
                        .iter()
                        .map(|&(a, b)| input[a..b].to_vec())
                        .collect(),
                ),
                Parsed::Inline => out.push(p.inline_args.clone()),
                Parsed::Empty => {}
                Parsed::Incomplete { .. } => return Ok(out),
            }
        }
    }

    #[test]
    fn multibulk_and_inline() {
        let cmds = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a \"b c\"\n").unwrap();
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[0], vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(cmds[1], vec![b"PING".to_vec()]);
        assert_eq!(
            cmds[2],
            vec![b"set".to_vec(), b"a".to_vec(), b"b c".to_vec()]
        );
    }

    #[test]
    fn every_split_point_gives_the_same_commands() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\nPING\r\n*1\r\n$4\r\nPING\r\n";
        let whole = parse_all(input).unwrap();
        assert_eq!(whole.len(), 3);
        for split in 0..input.len() {
            // Feed the first part, then the whole buffer (as the reactor does
            // when more bytes arrive), keeping parser state in between.
            let mut p = RequestParser::default();
            let mut pos = 0;
            let mut got = Vec::new();
            for end in [split, input.len()] {
                let buf = &input[..end];
                loop {
                    match p.parse(buf, &mut pos, L).unwrap() {
                        Parsed::Multibulk => got.push(
                            p.ranges
                                .iter()
                                .map(|&(a, b)| buf[a..b].to_vec())
                                .collect::<Vec<_>>(),
                        ),
                        Parsed::Inline => got.push(p.inline_args.clone()),
                        Parsed::Empty => {}
                        Parsed::Incomplete { .. } => break,
                    }
                }
            }
            assert_eq!(got, whole, "split at {}", split);
        }
    }

    #[test]
    fn protocol_errors_have_redis_texts() {
        let err = |i: &[u8]| parse_all(i).unwrap_err().0;
        assert_eq!(err(b"*abc\r\n"), "invalid multibulk length");
        assert_eq!(err(b"*1\r\n$-1\r\n"), "invalid bulk length");
        assert_eq!(err(b"*1\r\nfoo\r\n"), "expected '$', got 'f'");
        assert_eq!(err(b"*1\r\n$999999999999\r\n"), "invalid bulk length");
        assert_eq!(err(b"set \"a\n"), "unbalanced quotes in request");
        let big = vec![b'a'; INLINE_MAX_SIZE + 10];
        assert_eq!(err(&big), "too big inline request");
    }

    #[test]
    fn unauthenticated_limits() {
        let mut p = RequestParser::default();
        let mut pos = 0;
        let lim = Limits {
            authenticated: false,
            ..L
        };
        assert_eq!(
            p.parse(b"*11\r\n", &mut pos, lim).unwrap_err().0,
            "unauthenticated multibulk length"
        );
    }

    #[test]
    fn shift_past_a_finished_command() {
        // The reactor drops consumed bytes while the ranges of the last
        // finished command still point into them.
        let mut p = RequestParser::default();
        let mut pos = 0;
        let buf = b"*1\r\n$4\r\nPING\r\nPI";
        assert_eq!(p.parse(buf, &mut pos, L).unwrap(), Parsed::Multibulk);
        assert_eq!(
            p.parse(buf, &mut pos, L).unwrap(),
            Parsed::Incomplete { hint: 0 }
        );
        p.shift(pos);
        assert!(!p.in_progress());
    }

    #[test]
    fn split_args_quotes() {
        assert_eq!(
            split_args(b"a 'b c' \"d\\x41\\n\"").unwrap(),
            vec![b"a".to_vec(), b"b c".to_vec(), b"dA\n".to_vec()]
        );
        assert!(split_args(b"\"ab\"c").is_none());
        assert!(split_args(b"'ab").is_none());
        assert_eq!(split_args(b"   ").unwrap().len(), 0);
    }
}
