//! `Listpack`: a compact sequence of byte strings in one allocation, the
//! small-collection encoding behind lists, hashes and sorted sets (Redis's
//! `listpack` encoding name). Each entry is a LEB128 length followed by the
//! bytes, so a 5-byte member costs 6 bytes and a collection of ten costs
//! one allocation.
//!
//! Operations are O(n) scans and moves, which is what small collections
//! want; callers convert to a big encoding past the configured thresholds.
//!
//! Redis counterpart: `listpack.c` (the idea, not the byte layout).

/// A packed sequence of byte strings.
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
    len: u32,
}

fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7F) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a varint at `pos`; returns (value, bytes used).
#[inline]
fn read_varint(buf: &[u8], pos: usize) -> (usize, usize) {
    let mut v = 0usize;
    let mut shift = 0;
    let mut i = pos;
    loop {
        let b = buf[i];
        v |= ((b & 0x7F) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (v, i - pos);
        }
        shift += 7;
    }
}

/// The encoded form of one entry.
fn encode(entry: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(varint_len(entry.len()) + entry.len());
    push_varint(&mut v, entry.len());
    v.extend_from_slice(entry);
    v
}

/// Iterator over a listpack's entries.
pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (n, used) = read_varint(self.buf, self.pos);
        let start = self.pos + used;
        self.pos = start + n;
        Some(&self.buf[start..start + n])
    }
}

impl Listpack {
    /// An empty listpack.
    pub fn new() -> Self {
        Listpack::default()
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Encoded size in bytes (for thresholds and MEMORY USAGE).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.buf.capacity()
    }

    /// Iterates over the entries front to back.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: 0,
        }
    }

    /// Byte offset of entry `i` (or the end when `i == len`).
    fn offset_of(&self, i: usize) -> usize {
        let mut pos = 0;
        for _ in 0..i {
            let (n, used) = read_varint(&self.buf, pos);
            pos += used + n;
        }
        pos
    }

    /// Byte span (start, end) of entry `i`, which must exist.
    fn span_of(&self, i: usize) -> (usize, usize) {
        let start = self.offset_of(i);
        let (n, used) = read_varint(&self.buf, start);
        (start, start + used + n)
    }

    /// Entry `i`, if it exists.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len() {
            return None;
        }
        let start = self.offset_of(i);
        let (n, used) = read_varint(&self.buf, start);
        Some(&self.buf[start + used..start + used + n])
    }

    /// Appends an entry.
    pub fn push_back(&mut self, entry: &[u8]) {
        self.buf
            .reserve_exact(varint_len(entry.len()) + entry.len());
        push_varint(&mut self.buf, entry.len());
        self.buf.extend_from_slice(entry);
        self.len += 1;
    }

    /// Prepends an entry.
    pub fn push_front(&mut self, entry: &[u8]) {
        self.insert(0, entry);
    }

    /// Inserts an entry before position `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, entry: &[u8]) {
        let at = self.offset_of(i.min(self.len()));
        let enc = encode(entry);
        self.buf.reserve_exact(enc.len());
        self.buf.splice(at..at, enc);
        self.len += 1;
    }

    /// Replaces entry `i`, which must exist.
    pub fn set(&mut self, i: usize, entry: &[u8]) {
        let (start, end) = self.span_of(i);
        self.buf.splice(start..end, encode(entry));
    }

    /// Removes entry `i` and returns it.
    pub fn remove(&mut self, i: usize) -> Option<Vec<u8>> {
        if i >= self.len() {
            return None;
        }
        let (start, end) = self.span_of(i);
        let (n, used) = read_varint(&self.buf, start);
        let out = self.buf[start + used..start + used + n].to_vec();
        self.buf.drain(start..end);
        self.len -= 1;
        self.shrink();
        Some(out)
    }

    /// Removes `count` entries starting at `i`.
    pub fn remove_range(&mut self, i: usize, count: usize) {
        let i = i.min(self.len());
        let count = count.min(self.len() - i);
        if count == 0 {
            return;
        }
        let start = self.offset_of(i);
        let mut end = start;
        for _ in 0..count {
            let (n, used) = read_varint(&self.buf, end);
            end += used + n;
        }
        self.buf.drain(start..end);
        self.len -= count as u32;
        self.shrink();
    }

    /// Removes and returns the first entry.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        self.remove(0)
    }

    /// Removes and returns the last entry.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        self.remove(self.len() - 1)
    }

    /// Position of the first entry equal to `entry`.
    pub fn position(&self, entry: &[u8]) -> Option<usize> {
        self.iter().position(|e| e == entry)
    }

    /// Position of the first entry equal to `entry`, scanning every
    /// `step`-th entry starting at `offset` (field lookup in pairs).
    pub fn position_step(&self, entry: &[u8], offset: usize, step: usize) -> Option<usize> {
        self.iter()
            .enumerate()
            .skip(offset)
            .step_by(step.max(1))
            .find(|(_, e)| *e == entry)
            .map(|(i, _)| i)
    }

    /// Gives back spare capacity after removals.
    fn shrink(&mut self) {
        if self.buf.capacity() > 64 && self.buf.len() * 2 < self.buf.capacity() {
            self.buf.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|e| e.to_vec()).collect()
    }

    #[test]
    fn push_get_insert_remove() {
        let mut lp = Listpack::new();
        lp.push_back(b"b");
        lp.push_front(b"a");
        lp.push_back(b"");
        let big = vec![b'x'; 300];
        lp.push_back(&big);
        assert_eq!(lp.len(), 4);
        assert_eq!(lp.get(0), Some(&b"a"[..]));
        assert_eq!(lp.get(2), Some(&b""[..]));
        assert_eq!(lp.get(3), Some(&big[..]));
        assert_eq!(lp.get(4), None);
        lp.insert(1, b"mid");
        assert_eq!(
            items(&lp)[..3],
            [b"a".to_vec(), b"mid".to_vec(), b"b".to_vec()]
        );
        lp.set(1, b"MIDDLE");
        assert_eq!(lp.get(1), Some(&b"MIDDLE"[..]));
        assert_eq!(lp.remove(1), Some(b"MIDDLE".to_vec()));
        assert_eq!(lp.pop_back(), Some(big));
        assert_eq!(lp.pop_front(), Some(b"a".to_vec()));
        assert_eq!(items(&lp), vec![b"b".to_vec(), b"".to_vec()]);
        assert_eq!(lp.position(b""), Some(1));
        lp.remove_range(0, 10);
        assert!(lp.is_empty());
        assert_eq!(lp.bytes(), 0);
    }

    #[test]
    fn small_entries_are_compact() {
        let mut lp = Listpack::new();
        for i in 0..10 {
            lp.push_back(format!("f{}", i).as_bytes());
        }
        assert_eq!(lp.bytes(), 10 * 3);
        assert_eq!(lp.position_step(b"f4", 0, 2), Some(4));
        assert_eq!(lp.position_step(b"f5", 0, 2), None);
        assert_eq!(lp.position_step(b"f5", 1, 2), Some(5));
    }
}
