//! `ZSet`: a Redis sorted set. Small sets are a `listpack` of
//! (member, score) entry pairs sorted by score then member; big ones are a
//! `skiplist` (ranks and ranges in O(log n)) plus a member → score `Dict`.
//! Pure data structure and algorithms: no client, no reply, no clock.
//!
//! Redis counterpart: `t_zset.c` (the data-structure half: `zsetAdd`,
//! `zzl*`, `zsl*`, `zsetConvert`).

use super::skiplist::{SkipList, NIL};
use crate::util::numfmt::format_g17;
use crate::util::sha1::{mix_digest, xor_digest, Digest};

/// The conversion thresholds (`zset-max-listpack-entries`/`-value`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 128,
            max_value: 64,
        }
    }
}

/// ZADD's flags as `zsetAdd` sees them.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    pub incr: bool,
}

/// What `ZSet::add` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    /// Nothing (NX/XX/GT/LT refused it).
    Nop,
    /// A new member was added.
    Added,
    /// An existing member's score changed.
    Updated,
    /// An existing member kept its score.
    Same,
}

/// The big encoding: a skiplist with its member index.
#[derive(Clone)]
struct Big {
    sl: SkipList,
}

#[derive(Clone)]
enum Repr {
    Listpack(Pairs),
    Skiplist(Box<Big>),
}

/// A Redis sorted set.
#[derive(Clone)]
pub struct ZSet {
    repr: Repr,
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ZSet({}, {})", self.encoding(), self.len())
    }
}

impl Default for ZSet {
    fn default() -> Self {
        Self::new()
    }
}

/// Score header bytes below this are small integers stored in the header
/// itself (zigzag value); `SCORE_INT + n` (n in 1..=7) is followed by an
/// n-byte zigzag integer, `SCORE_F64` by the 8 bytes of an f64.
const SCORE_INT: u8 = 0xE0;
const SCORE_F64: u8 = 0xE8;

/// Appends the encoding of a listpack score: integral values below 2^53
/// as a zigzag integer (a score of 0..111 costs one byte), anything else
/// as f64 bits. -0 becomes 0, as in Redis's listpack.
fn encode_score(score: f64, out: &mut Vec<u8>) {
    if score == score.trunc() && score.abs() < 9_007_199_254_740_992.0 {
        let i = score as i64;
        let z = ((i << 1) ^ (i >> 63)) as u64;
        if z < SCORE_INT as u64 {
            out.push(z as u8);
            return;
        }
        let n = 8 - z.leading_zeros() as usize / 8;
        if n < 8 {
            out.push(SCORE_INT + n as u8);
            out.extend_from_slice(&z.to_le_bytes()[..n]);
            return;
        }
    }
    out.push(SCORE_F64);
    out.extend_from_slice(&score.to_bits().to_le_bytes());
}

/// Decodes the score at `pos`; returns (score, bytes used).
fn decode_score(b: &[u8], pos: usize) -> (f64, usize) {
    let Some(&h) = b.get(pos) else {
        return (0.0, 1);
    };
    let zig = |z: u64| (((z >> 1) as i64) ^ -((z & 1) as i64)) as f64;
    if h < SCORE_INT {
        return (zig(h as u64), 1);
    }
    let n = if h == SCORE_F64 {
        8
    } else {
        (h - SCORE_INT) as usize
    };
    let mut a = [0u8; 8];
    let end = (pos + 1 + n).min(b.len());
    a[..end - pos - 1].copy_from_slice(&b[pos + 1..end]);
    let v = u64::from_le_bytes(a);
    if h == SCORE_F64 {
        (f64::from_bits(v), 9)
    } else {
        (zig(v), 1 + n)
    }
}

/// The small encoding: (member, score) pairs packed in one exact-size
/// allocation, each a LEB128 member length, the member bytes and the
/// score (see `encode_score`). Redis's `listpack` idea; the byte layout is
/// our own.
#[derive(Clone, Default)]
struct Pairs {
    buf: Box<[u8]>,
    len: u32,
}

impl Pairs {
    fn len(&self) -> usize {
        self.len as usize
    }

    fn heap_size(&self) -> usize {
        self.buf.len()
    }

    /// Iterates over (byte offset, member, score).
    fn entries(&self) -> impl Iterator<Item = (usize, &[u8], f64)> {
        let b = &self.buf[..];
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            if pos >= b.len() {
                return None;
            }
            let start = pos;
            let mut n = 0usize;
            let mut shift = 0;
            while let Some(&c) = b.get(pos) {
                pos += 1;
                n |= ((c & 0x7F) as usize) << shift;
                shift += 7;
                if c & 0x80 == 0 {
                    break;
                }
            }
            let end = (pos + n).min(b.len());
            let m = &b[pos..end];
            let (s, used) = decode_score(b, end);
            pos = end + used;
            Some((start, m, s))
        })
    }

    /// Iterates over (member, score).
    fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> {
        self.entries().map(|(_, m, s)| (m, s))
    }

    /// Byte offset of pair `i` (the end when `i >= len`).
    fn offset(&self, i: usize) -> usize {
        self.entries().nth(i).map_or(self.buf.len(), |(o, _, _)| o)
    }

    /// Inserts a pair before pair `i`.
    fn insert(&mut self, i: usize, member: &[u8], score: f64) {
        let at = self.offset(i);
        let mut enc = Vec::with_capacity(member.len() + 14);
        let mut n = member.len();
        while n >= 0x80 {
            enc.push((n as u8 & 0x7F) | 0x80);
            n >>= 7;
        }
        enc.push(n as u8);
        enc.extend_from_slice(member);
        encode_score(score, &mut enc);
        let mut v = Vec::with_capacity(self.buf.len() + enc.len());
        v.extend_from_slice(&self.buf[..at]);
        v.extend_from_slice(&enc);
        v.extend_from_slice(&self.buf[at..]);
        self.buf = v.into_boxed_slice();
        self.len += 1;
    }

    /// Removes `count` pairs starting at pair `start`.
    fn remove_range(&mut self, start: usize, count: usize) {
        let start = start.min(self.len());
        let count = count.min(self.len() - start);
        if count == 0 {
            return;
        }
        let a = self.offset(start);
        let b = self.offset(start + count);
        let mut v = Vec::with_capacity(self.buf.len() - (b - a));
        v.extend_from_slice(&self.buf[..a]);
        v.extend_from_slice(&self.buf[b..]);
        self.buf = v.into_boxed_slice();
        self.len -= count as u32;
    }
}

/// Iterates over the (member, score) pairs of the small encoding.
fn lp_pairs(lp: &Pairs) -> impl Iterator<Item = (&[u8], f64)> {
    lp.iter()
}

#[inline]
fn less(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> bool {
    s1 < s2 || (s1 == s2 && m1 < m2)
}

impl ZSet {
    /// An empty value (listpack encoded).
    pub fn new() -> Self {
        ZSet {
            repr: Repr::Listpack(Pairs::default()),
        }
    }

    /// An empty value in the big encoding.
    pub fn new_skiplist() -> Self {
        ZSet {
            repr: Repr::Skiplist(Box::new(Big {
                sl: SkipList::new(),
            })),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(lp) => lp.len(),
            Repr::Skiplist(b) => b.sl.len(),
        }
    }

    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Skiplist(_) => "skiplist",
        }
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Listpack(lp) => lp.heap_size(),
            Repr::Skiplist(b) => std::mem::size_of::<Big>() + b.sl.heap_size(),
        }
    }

    /// Mixes the contents into a DEBUG DIGEST the way Redis does: per
    /// element, a digest of (member, `%.17g` score) XORed in.
    pub fn mix_digest(&self, digest: &mut Digest) {
        self.for_each(|m, s| {
            let mut ele = [0u8; 20];
            mix_digest(&mut ele, m);
            mix_digest(&mut ele, format_g17(s).as_bytes());
            xor_digest(digest, &ele);
        });
    }

    /// Calls `f` on every element in ascending order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        self.walk(0, false, |m, s| {
            f(m, s);
            true
        });
    }

    /// Whether this set is in the listpack encoding.
    pub fn is_listpack(&self) -> bool {
        matches!(self.repr, Repr::Listpack(_))
    }

    /// The score of a member.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Listpack(lp) => lp_pairs(lp).find(|(m, _)| *m == member).map(|(_, s)| s),
            Repr::Skiplist(b) => b.sl.score_of(member),
        }
    }

    /// Converts to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        let Repr::Listpack(lp) = &self.repr else {
            return;
        };
        let mut big = Big {
            sl: SkipList::new(),
        };
        for (m, s) in lp_pairs(lp) {
            big.sl.insert(s, m);
        }
        self.repr = Repr::Skiplist(Box::new(big));
    }

    /// Inserts a member known to be absent, converting to the skiplist
    /// encoding first when the listpack would pass the limits.
    pub fn insert_new(&mut self, member: &[u8], score: f64, lim: Limits) {
        if let Repr::Listpack(lp) = &self.repr {
            if lp.len() + 1 > lim.max_entries || member.len() > lim.max_value {
                self.convert_to_skiplist();
            }
        }
        match &mut self.repr {
            Repr::Listpack(lp) => {
                let score = score + 0.0;
                let pos = lp_pairs(lp)
                    .position(|(m, s)| less(score, member, s, m))
                    .unwrap_or(lp.len());
                lp.insert(pos, member, score);
            }
            Repr::Skiplist(b) => b.sl.insert(score, member),
        }
    }

    /// Removes a member; returns whether it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(lp) => {
                let pos = lp_pairs(lp).position(|(m, _)| m == member);
                match pos {
                    Some(i) => {
                        lp.remove_range(i, 1);
                        true
                    }
                    None => false,
                }
            }
            Repr::Skiplist(b) => match b.sl.score_of(member) {
                Some(s) => b.sl.remove(s, member),
                None => false,
            },
        }
    }

    /// `zsetAdd`: adds or updates a member under ZADD's flags. Returns the
    /// outcome and the member's resulting score, or None when an increment
    /// produced NaN.
    pub fn add(
        &mut self,
        member: &[u8],
        score: f64,
        f: AddFlags,
        lim: Limits,
    ) -> Option<(AddOutcome, f64)> {
        match self.score(member) {
            Some(cur) => {
                if f.nx {
                    return Some((AddOutcome::Nop, cur));
                }
                let mut new = score;
                if f.incr {
                    new += cur;
                    if new.is_nan() {
                        return None;
                    }
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    return Some((AddOutcome::Nop, cur));
                }
                if new != cur {
                    if let Repr::Skiplist(b) = &mut self.repr {
                        // The score is known: move the element without
                        // looking the member up again.
                        b.sl.update_score(cur, member, new);
                        return Some((AddOutcome::Updated, new));
                    }
                    self.remove(member);
                    self.insert_new(member, new, lim);
                    // The listpack keeps -0 as 0.
                    let stored = self.score(member).unwrap_or(new);
                    return Some((AddOutcome::Updated, stored));
                }
                Some((AddOutcome::Same, cur))
            }
            None if !f.xx => {
                self.insert_new(member, score, lim);
                let stored = if self.is_listpack() {
                    score + 0.0
                } else {
                    score
                };
                Some((AddOutcome::Added, stored))
            }
            None => Some((AddOutcome::Nop, 0.0)),
        }
    }

    /// 0-based ascending rank of a member.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(lp) => lp_pairs(lp).position(|(m, _)| m == member),
            Repr::Skiplist(b) => {
                let s = b.sl.score_of(member)?;
                b.sl.rank(s, member)
            }
        }
    }

    /// Walks elements from rank `start` (ascending, or descending when
    /// `rev`, where rank 0 is then the last element) while `f` returns true.
    pub fn walk(&self, start: usize, rev: bool, mut f: impl FnMut(&[u8], f64) -> bool) {
        let len = self.len();
        if start >= len {
            return;
        }
        match &self.repr {
            Repr::Listpack(lp) => {
                if rev {
                    let all: Vec<(&[u8], f64)> = lp_pairs(lp).collect();
                    for &(m, s) in all.iter().rev().skip(start) {
                        if !f(m, s) {
                            return;
                        }
                    }
                } else {
                    for (m, s) in lp_pairs(lp).skip(start) {
                        if !f(m, s) {
                            return;
                        }
                    }
                }
            }
            Repr::Skiplist(b) => {
                let mut x = if rev {
                    b.sl.by_rank(len - 1 - start)
                } else {
                    b.sl.by_rank(start)
                };
                while x != NIL {
                    let (m, s) = b.sl.node(x);
                    if !f(m, s) {
                        return;
                    }
                    x = if rev { b.sl.prev(x) } else { b.sl.next(x) };
                }
            }
        }
    }

    /// The (member, score) at ascending rank `r`.
    pub fn at_rank(&self, r: usize) -> Option<(Vec<u8>, f64)> {
        let mut out = None;
        self.walk(r, false, |m, s| {
            out = Some((m.to_vec(), s));
            false
        });
        out
    }

    /// Ascending rank of the first element for which `below` is false,
    /// scanning as Redis does (listpack: from the front; skiplist:
    /// descending the levels). May equal `len`.
    pub fn first_not(&self, below: impl Fn(&[u8], f64) -> bool) -> usize {
        match &self.repr {
            Repr::Listpack(lp) => lp_pairs(lp)
                .position(|(m, s)| !below(m, s))
                .unwrap_or(lp.len()),
            Repr::Skiplist(b) => b.sl.descend_skip_while(below),
        }
    }

    /// Ascending rank of the last element for which `within` holds,
    /// scanning as Redis does (listpack: from the back; skiplist:
    /// descending the levels).
    pub fn last_with(&self, within: impl Fn(&[u8], f64) -> bool) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(lp) => {
                let all: Vec<(&[u8], f64)> = lp_pairs(lp).collect();
                all.iter().rposition(|&(m, s)| within(m, s))
            }
            Repr::Skiplist(b) => b.sl.descend_skip_while(within).checked_sub(1),
        }
    }

    /// Removes `count` elements starting at ascending rank `start`.
    pub fn remove_rank_range(&mut self, start: usize, count: usize) {
        match &mut self.repr {
            Repr::Listpack(lp) => lp.remove_range(start, count),
            Repr::Skiplist(b) => {
                for _ in 0..count {
                    let x = b.sl.by_rank(start);
                    if x == NIL {
                        break;
                    }
                    let (m, s) = b.sl.node(x);
                    let m = m.to_vec();
                    b.sl.remove(s, &m);
                }
            }
        }
    }

    /// One SCAN step over the member index of a skiplist set; returns the
    /// next cursor. A listpack set visits everything and returns 0.
    pub fn scan_step(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match &self.repr {
            Repr::Listpack(lp) => {
                for (m, s) in lp_pairs(lp) {
                    visit(m, s);
                }
                0
            }
            Repr::Skiplist(b) => b.sl.scan_step(cursor, |x| {
                let (m, s) = b.sl.node(x);
                visit(m, s);
            }),
        }
    }

    /// The ascending list of (member, score) pairs (for set operations).
    pub fn to_vec(&self) -> Vec<(Vec<u8>, f64)> {
        let mut v = Vec::with_capacity(self.len());
        self.for_each(|m, s| v.push((m.to_vec(), s)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(z: &ZSet) -> Vec<(String, f64)> {
        z.to_vec()
            .into_iter()
            .map(|(m, s)| (String::from_utf8(m).unwrap(), s))
            .collect()
    }

    #[test]
    fn score_encoding_round_trips() {
        for v in [
            0.0,
            1.0,
            -1.0,
            1.5,
            111.0,
            112.0,
            -112.0,
            1e17,
            -9007199254740991.0,
            9007199254740992.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            123456.0,
            -0.25,
        ] {
            let mut b = Vec::new();
            encode_score(v, &mut b);
            assert_eq!(decode_score(&b, 0), (v, b.len()), "{}", v);
        }
        let mut b = Vec::new();
        encode_score(1.0, &mut b);
        assert_eq!(b.len(), 1);
        let mut p = Pairs::default();
        p.insert(0, b"b", 2.0);
        p.insert(0, b"a", 1.0);
        p.insert(2, &[b'x'; 200], 1e300);
        assert_eq!(p.heap_size(), 3 + 3 + 202 + 9);
        let v: Vec<(Vec<u8>, f64)> = p.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        assert_eq!(v[0], (b"a".to_vec(), 1.0));
        assert_eq!(v[2], (vec![b'x'; 200], 1e300));
        p.remove_range(0, 2);
        assert_eq!(p.len(), 1);
        assert_eq!(p.heap_size(), 202 + 9);
    }

    #[test]
    fn both_encodings_agree_and_convert() {
        let lim = Limits {
            max_entries: 16,
            max_value: 64,
        };
        let mut a = ZSet::new();
        let mut b = ZSet::new_skiplist();
        let mut rng = 99u64;
        for _ in 0..2000 {
            let r = crate::db::dict::next_random(&mut rng);
            let m = format!("m{}", r % 14);
            let s = ((r >> 10) % 7) as f64 - 3.0;
            if r.is_multiple_of(4) {
                assert_eq!(a.remove(m.as_bytes()), b.remove(m.as_bytes()));
            } else {
                let f = AddFlags::default();
                assert_eq!(
                    a.add(m.as_bytes(), s, f, lim),
                    b.add(m.as_bytes(), s, f, lim)
                );
            }
            assert_eq!(members(&a), members(&b));
            assert_eq!(a.rank(b"m3"), b.rank(b"m3"));
            assert_eq!(a.first_not(|_, s| s < 0.0), b.first_not(|_, s| s < 0.0));
            assert_eq!(a.last_with(|_, s| s <= 1.0), b.last_with(|_, s| s <= 1.0));
        }
        assert_eq!(a.encoding(), "listpack");
        for i in 0..20 {
            a.insert_new(format!("x{}", i).as_bytes(), 1.0, lim);
        }
        assert_eq!(a.encoding(), "skiplist");
        let mut c = ZSet::new();
        c.insert_new(&[b'a'; 65], 1.0, lim);
        assert_eq!(c.encoding(), "skiplist");
        let d = c.clone();
        assert_eq!(d.score(&[b'a'; 65]), Some(1.0));
    }

    #[test]
    fn walk_and_remove_ranges() {
        for big in [false, true] {
            let mut z = if big {
                ZSet::new_skiplist()
            } else {
                ZSet::new()
            };
            for i in 0..10 {
                z.insert_new(format!("{}", i).as_bytes(), i as f64, Limits::default());
            }
            let mut seen = vec![];
            z.walk(2, true, |m, _| {
                seen.push(m.to_vec());
                seen.len() < 3
            });
            assert_eq!(seen, vec![b"7".to_vec(), b"6".to_vec(), b"5".to_vec()]);
            z.remove_rank_range(1, 3);
            assert_eq!(z.len(), 7);
            assert_eq!(z.at_rank(1), Some((b"4".to_vec(), 4.0)));
            assert_eq!(z.rank(b"9"), Some(6));
        }
    }
}
