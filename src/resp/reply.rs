//! `ReplyBuf`: a client's pending output and the typed writers for every
//! RESP2/RESP3 reply type. The differences between the two protocol
//! versions live only here: handlers say "map", "set", "double", "null",
//! and the buffer writes what the client's protocol calls for.
//!
//! Redis counterpart: the `addReply*` family in `networking.c`.

use crate::util::numfmt::{format_g17, push_i64};

/// Pending output of one client plus the protocol it speaks.
#[derive(Debug, Default)]
pub struct ReplyBuf {
    /// Bytes not yet written to the socket (starting at `sent`).
    pub buf: Vec<u8>,
    /// How many bytes at the front of `buf` were already written.
    pub sent: usize,
    /// Whether the client negotiated RESP3 with `HELLO 3`.
    pub resp3: bool,
}

/// The aggregate kind a deferred length stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Array,
    Map,
    Set,
}

/// A placeholder returned by `deferred_len`, filled by `set_deferred_len`.
#[derive(Debug, Clone, Copy)]
pub struct Deferred(usize);

impl ReplyBuf {
    /// Bytes waiting to be written.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Whether anything waits to be written.
    pub fn has_pending(&self) -> bool {
        self.buf.len() > self.sent
    }

    /// Drops the bytes already written and recycles the buffer.
    pub fn consume(&mut self, n: usize) {
        self.sent += n;
        if self.sent == self.buf.len() {
            self.buf.clear();
            self.sent = 0;
            // Do not keep a huge buffer around after a big reply.
            if self.buf.capacity() > 64 * 1024 {
                self.buf = Vec::with_capacity(16 * 1024);
            }
        } else if self.sent > 64 * 1024 && self.sent * 2 > self.buf.len() {
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// Appends raw, already-encoded protocol bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        push_i64(&mut self.buf, n);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string `+text`.
    pub fn simple(&mut self, s: &[u8]) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error `-text`; `text` carries its prefix (`ERR ...`). Newlines
    /// are replaced so the error stays one protocol line.
    pub fn error(&mut self, text: &str) {
        self.buf.push(b'-');
        for &b in text.as_bytes() {
            self.buf
                .push(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer `:n`.
    pub fn int(&mut self, n: i64) {
        match n {
            0 => self.buf.extend_from_slice(b":0\r\n"),
            1 => self.buf.extend_from_slice(b":1\r\n"),
            _ => self.header(b':', n),
        }
    }

    /// A bulk string.
    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `n`.
    pub fn bulk_i64(&mut self, n: i64) {
        let mut tmp = Vec::with_capacity(20);
        push_i64(&mut tmp, n);
        self.bulk(&tmp);
    }

    /// The null reply: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    /// An array header of `n` elements.
    pub fn array_len(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map header of `n` key/value pairs (`*2n` in RESP2).
    pub fn map_len(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set header of `n` elements (`*n` in RESP2).
    pub fn set_len(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'~', n as i64);
        } else {
            self.header(b'*', n as i64);
        }
    }

    /// A push header of `n` elements (`*n` in RESP2).
    pub fn push_len(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'>', n as i64);
        } else {
            self.header(b'*', n as i64);
        }
    }

    /// A double: `,` in RESP3, a bulk string in RESP2, formatted `%.17g`.
    pub fn double(&mut self, v: f64) {
        let s = format_g17(v);
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s.as_bytes());
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, v: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// A big number: `(` in RESP3, a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 {
            self.buf.push(b'(');
            self.buf.extend_from_slice(digits);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits);
        }
    }

    /// A verbatim string with a 3-letter format (`txt`, `mkd`): `=` in
    /// RESP3, a plain bulk string in RESP2.
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', (text.len() + 4) as i64);
            self.buf.extend_from_slice(format.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// Reserves a place for an aggregate length not known yet.
    pub fn deferred_len(&mut self) -> Deferred {
        Deferred(self.buf.len())
    }

    /// Fills a placeholder from `deferred_len` with `n` elements of `kind`.
    pub fn set_deferred_len(&mut self, d: Deferred, kind: Aggregate, n: usize) {
        let mut hdr = Vec::with_capacity(24);
        let (prefix, count) = match (kind, self.resp3) {
            (Aggregate::Array, _) => (b'*', n),
            (Aggregate::Map, true) => (b'%', n),
            (Aggregate::Map, false) => (b'*', 2 * n),
            (Aggregate::Set, true) => (b'~', n),
            (Aggregate::Set, false) => (b'*', n),
        };
        hdr.push(prefix);
        push_i64(&mut hdr, count as i64);
        hdr.extend_from_slice(b"\r\n");
        self.buf.splice(d.0..d.0, hdr);
    }

    /// A list of bulk strings as an array.
    pub fn bulk_array<'a, I>(&mut self, items: I)
    where
        I: ExactSizeIterator<Item = &'a [u8]>,
    {
        self.array_len(items.len());
        for it in items {
            self.bulk(it);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_differ_only_where_they_should() {
        let mut r2 = ReplyBuf::default();
        let mut r3 = ReplyBuf {
            resp3: true,
            ..Default::default()
        };
        for r in [&mut r2, &mut r3] {
            r.map_len(1);
            r.bulk(b"k");
            r.double(1.5);
            r.null();
            r.boolean(true);
        }
        assert_eq!(r2.buf, b"*2\r\n$1\r\nk\r\n$3\r\n1.5\r\n$-1\r\n:1\r\n");
        assert_eq!(r3.buf, b"%1\r\n$1\r\nk\r\n,1.5\r\n_\r\n#t\r\n");
    }

    #[test]
    fn deferred_len_is_inserted_in_place() {
        let mut r = ReplyBuf::default();
        r.int(7);
        let d = r.deferred_len();
        r.bulk(b"a");
        r.bulk(b"b");
        r.set_deferred_len(d, Aggregate::Array, 2);
        assert_eq!(r.buf, b":7\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    }

    #[test]
    fn error_stays_on_one_line() {
        let mut r = ReplyBuf::default();
        r.error("ERR bad\r\nthing");
        assert_eq!(r.buf, b"-ERR bad  thing\r\n");
    }
}
