//! The replication backlog: a circular buffer holding the last
//! `repl-backlog-size` bytes of the replication stream, so a replica that
//! reconnects can continue from its offset (`PSYNC ... +CONTINUE`) instead
//! of a full resync.
//!
//! Offsets are replication offsets: the first byte ever fed after the
//! backlog was created has offset `master_repl_offset + 1` at creation.
//!
//! Redis counterpart: `createReplicationBacklog`, `feedReplicationBacklog`,
//! `addReplyReplicationBacklog`, `resizeReplicationBacklog`
//! (`replication.c`; Redis 7.0 shares its blocks with the replicas' output
//! buffers, the observable offsets are the same).

/// A circular buffer of the most recent stream bytes.
#[derive(Debug)]
pub struct Backlog {
    /// The ring (its length is the configured size).
    buf: Vec<u8>,
    /// Where the next byte goes.
    idx: usize,
    /// Bytes of history held (at most `buf.len()`).
    histlen: usize,
    /// Replication offset of the first byte held
    /// (`repl_backlog_first_byte_offset`).
    pub first_offset: i64,
}

impl Backlog {
    /// An empty backlog of `size` bytes whose first byte will have
    /// replication offset `next_offset`.
    pub fn new(size: usize, next_offset: i64) -> Backlog {
        Backlog {
            buf: vec![0u8; size.max(1)],
            idx: 0,
            histlen: 0,
            first_offset: next_offset,
        }
    }

    /// Configured size in bytes.
    pub fn size(&self) -> usize {
        self.buf.len()
    }

    /// Bytes of history held (`repl_backlog_histlen`).
    pub fn histlen(&self) -> usize {
        self.histlen
    }

    /// Appends stream bytes, overwriting the oldest ones.
    pub fn feed(&mut self, mut data: &[u8]) {
        let size = self.buf.len();
        if data.len() > size {
            // Only the tail fits.
            let skip = data.len() - size;
            self.first_offset += (self.histlen + skip) as i64;
            self.histlen = 0;
            data = &data[skip..];
        }
        while !data.is_empty() {
            let room = size - self.idx;
            let n = room.min(data.len());
            self.buf[self.idx..self.idx + n].copy_from_slice(&data[..n]);
            self.idx = (self.idx + n) % size;
            data = &data[n..];
            self.histlen += n;
            if self.histlen > size {
                self.first_offset += (self.histlen - size) as i64;
                self.histlen = size;
            }
        }
    }

    /// Whether a replica that has processed everything before `offset`
    /// can continue from it: `offset` is within the history (or just
    /// after it).
    pub fn covers(&self, offset: i64) -> bool {
        offset >= self.first_offset && offset <= self.first_offset + self.histlen as i64
    }

    /// Appends the history from replication offset `offset` to the end
    /// into `out`. Returns the number of bytes copied (0 when `offset` is
    /// not covered).
    pub fn copy_from(&self, offset: i64, out: &mut Vec<u8>) -> usize {
        if !self.covers(offset) {
            return 0;
        }
        let skip = (offset - self.first_offset) as usize;
        let len = self.histlen - skip;
        let size = self.buf.len();
        // Index of the oldest byte held.
        let start = (self.idx + size - self.histlen) % size;
        let mut pos = (start + skip) % size;
        let mut left = len;
        while left > 0 {
            let n = (size - pos).min(left);
            out.extend_from_slice(&self.buf[pos..pos + n]);
            pos = (pos + n) % size;
            left -= n;
        }
        len
    }

    /// Changes the size, keeping as much recent history as fits.
    pub fn resize(&mut self, size: usize) {
        let size = size.max(1);
        if size == self.buf.len() {
            return;
        }
        let mut hist = Vec::with_capacity(self.histlen);
        let end = self.first_offset + self.histlen as i64;
        self.copy_from(self.first_offset, &mut hist);
        *self = Backlog::new(size, end - hist.len() as i64);
        self.feed(&hist);
        self.first_offset = end - self.histlen as i64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_copies_from_any_covered_offset() {
        let mut b = Backlog::new(8, 1);
        b.feed(b"abcde");
        assert_eq!(b.histlen(), 5);
        assert!(b.covers(1) && b.covers(6) && !b.covers(7) && !b.covers(0));
        let mut out = Vec::new();
        assert_eq!(b.copy_from(3, &mut out), 3);
        assert_eq!(out, b"cde");
        b.feed(b"fghij"); // 10 bytes fed, 8 kept: "cdefghij"
        assert_eq!(b.first_offset, 3);
        assert_eq!(b.histlen(), 8);
        out.clear();
        b.copy_from(3, &mut out);
        assert_eq!(out, b"cdefghij");
        out.clear();
        assert_eq!(b.copy_from(2, &mut out), 0);
        b.feed(b"0123456789xyz"); // bigger than the ring
        assert_eq!(b.first_offset, 11 + 13 - 8);
        out.clear();
        b.copy_from(b.first_offset, &mut out);
        assert_eq!(out, b"56789xyz");
    }

    #[test]
    fn resize_keeps_recent_history() {
        let mut b = Backlog::new(8, 1);
        b.feed(b"abcdefghij");
        b.resize(4);
        let mut out = Vec::new();
        b.copy_from(b.first_offset, &mut out);
        assert_eq!(out, b"ghij");
        assert_eq!(b.first_offset, 7);
        b.resize(16);
        b.feed(b"kl");
        out.clear();
        b.copy_from(7, &mut out);
        assert_eq!(out, b"ghijkl");
    }
}
