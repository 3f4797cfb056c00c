//! `IntSet`: a sorted array of distinct i64 values packed at the smallest
//! width (2, 4 or 8 bytes, little-endian) that holds every member, with
//! binary-search membership. Adding a value that needs a wider width
//! upgrades the whole array; removing never downgrades it. Small arrays are
//! kept inline (no allocation of their own), so a small set of integers is
//! a single allocation together with its `Set` box.
//!
//! Redis counterpart: `intset.c`.

/// Bytes of members stored without a heap buffer: ten 16-bit members,
/// with the enum (and `Set`) staying 24 bytes, so a `Box<Set>` fits the
/// allocator's smallest chunk.
const INLINE_CAP: usize = 21;

/// A sorted set of i64 values in a packed array.
#[derive(Clone)]
pub enum IntSet {
    /// Up to `INLINE_CAP` bytes of packed members stored in place.
    Inline {
        width: u8,
        used: u8,
        bytes: [u8; INLINE_CAP],
    },
    /// Longer arrays, in an exactly sized heap buffer.
    Heap { width: u8, bytes: Box<[u8]> },
}

impl Default for IntSet {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The smallest width (in bytes) that holds `v`.
fn width_for(v: i64) -> u8 {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// Decodes the member at byte offset `at` of a `width`-wide array.
#[inline]
fn decode(bytes: &[u8], width: u8, at: usize) -> i64 {
    match width {
        2 => i16::from_le_bytes([bytes[at], bytes[at + 1]]) as i64,
        4 => {
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[at..at + 4]);
            i32::from_le_bytes(b) as i64
        }
        _ => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            i64::from_le_bytes(b)
        }
    }
}

/// Encodes `v` at byte offset `at` of a `width`-wide array.
#[inline]
fn encode(bytes: &mut [u8], width: u8, at: usize, v: i64) {
    let w = width as usize;
    bytes[at..at + w].copy_from_slice(&v.to_le_bytes()[..w]);
}

impl IntSet {
    /// An empty set (16-bit width).
    pub fn new() -> Self {
        IntSet::Inline {
            width: 2,
            used: 0,
            bytes: [0; INLINE_CAP],
        }
    }

    /// The element width in bytes (2, 4 or 8).
    #[inline]
    pub fn width(&self) -> u8 {
        match self {
            IntSet::Inline { width, .. } | IntSet::Heap { width, .. } => *width,
        }
    }

    /// The packed members.
    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            IntSet::Inline { used, bytes, .. } => &bytes[..*used as usize],
            IntSet::Heap { bytes, .. } => bytes,
        }
    }

    /// The packed members, mutably.
    #[inline]
    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            IntSet::Inline { used, bytes, .. } => &mut bytes[..*used as usize],
            IntSet::Heap { bytes, .. } => bytes,
        }
    }

    /// Resizes the packed array to `n` bytes (new bytes are zero), moving
    /// between inline and heap storage as needed.
    fn resize_bytes(&mut self, n: usize) {
        let width = self.width();
        match self {
            IntSet::Inline { used, bytes, .. } if n <= INLINE_CAP => {
                let old = *used as usize;
                if n > old {
                    bytes[old..n].fill(0);
                }
                *used = n as u8;
            }
            IntSet::Heap { bytes, .. } if n > INLINE_CAP => {
                // Exact size, like Redis's intset (one realloc per change).
                let mut v = std::mem::take(bytes).into_vec();
                if n > v.len() {
                    v.reserve_exact(n - v.len());
                }
                v.resize(n, 0);
                *bytes = v.into_boxed_slice();
            }
            _ => {
                let cur = self.bytes();
                let keep = cur.len().min(n);
                if n <= INLINE_CAP {
                    let mut inline = [0u8; INLINE_CAP];
                    inline[..keep].copy_from_slice(&cur[..keep]);
                    *self = IntSet::Inline {
                        width,
                        used: n as u8,
                        bytes: inline,
                    };
                } else {
                    let mut v = Vec::with_capacity(n);
                    v.extend_from_slice(&cur[..keep]);
                    v.resize(n, 0);
                    *self = IntSet::Heap {
                        width,
                        bytes: v.into_boxed_slice(),
                    };
                }
            }
        }
    }

    /// Number of members.
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes().len() / self.width() as usize
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// The member at sorted position `i` (which must be `< len`).
    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        let w = self.width();
        decode(self.bytes(), w, i * w as usize)
    }

    /// Binary search: `Ok(position)` when present, else `Err(insertion
    /// point)`.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Whether `v` is a member.
    pub fn contains(&self, v: i64) -> bool {
        // A value wider than the array cannot be in it.
        width_for(v) <= self.width() && self.search(v).is_ok()
    }

    /// Adds `v`; false when it was already a member.
    pub fn insert(&mut self, v: i64) -> bool {
        if width_for(v) > self.width() {
            self.upgrade_and_insert(v);
            return true;
        }
        let Err(pos) = self.search(v) else {
            return false;
        };
        let w = self.width() as usize;
        let old = self.bytes().len();
        self.resize_bytes(old + w);
        let width = self.width();
        let bytes = self.bytes_mut();
        bytes.copy_within(pos * w..old, pos * w + w);
        encode(bytes, width, pos * w, v);
        true
    }

    /// Re-encodes every member at the width `v` needs and adds `v`, which
    /// (being out of the old range) goes first when negative, else last.
    fn upgrade_and_insert(&mut self, v: i64) {
        let new_width = width_for(v);
        let n = self.len();
        let nw = new_width as usize;
        let mut out = vec![0u8; (n + 1) * nw];
        let offset = usize::from(v < 0);
        for (i, m) in self.iter().enumerate() {
            encode(&mut out, new_width, (i + offset) * nw, m);
        }
        let at = if v < 0 { 0 } else { n * nw };
        encode(&mut out, new_width, at, v);
        *self = if out.len() <= INLINE_CAP {
            let mut bytes = [0u8; INLINE_CAP];
            bytes[..out.len()].copy_from_slice(&out);
            IntSet::Inline {
                width: new_width,
                used: out.len() as u8,
                bytes,
            }
        } else {
            IntSet::Heap {
                width: new_width,
                bytes: out.into_boxed_slice(),
            }
        };
    }

    /// Removes `v`; false when it was not a member.
    pub fn remove(&mut self, v: i64) -> bool {
        if width_for(v) > self.width() {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        self.remove_at(pos);
        true
    }

    /// Removes the member at sorted position `pos` and returns it.
    pub fn remove_at(&mut self, pos: usize) -> i64 {
        let v = self.get(pos);
        let w = self.width() as usize;
        let old = self.bytes().len();
        self.bytes_mut().copy_within(pos * w + w..old, pos * w);
        self.resize_bytes(old - w);
        v
    }

    /// The members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let w = self.width();
        self.bytes()
            .chunks_exact(w as usize)
            .map(move |c| decode(c, w, 0))
    }

    /// Heap bytes held beyond the enum itself.
    pub fn heap_size(&self) -> usize {
        match self {
            IntSet::Inline { .. } => 0,
            IntSet::Heap { bytes, .. } => bytes.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(s: &IntSet) -> Vec<i64> {
        s.iter().collect()
    }

    #[test]
    fn stays_small() {
        assert_eq!(std::mem::size_of::<IntSet>(), 24);
    }

    #[test]
    fn insert_sorted_unique() {
        let mut s = IntSet::new();
        for v in [5, 1, 3, 1, -2, 5] {
            s.insert(v);
        }
        assert_eq!(collect(&s), [-2, 1, 3, 5]);
        assert_eq!(s.len(), 4);
        assert!(s.contains(3));
        assert!(!s.contains(4));
        assert!(!s.contains(i64::MAX));
        assert!(!s.insert(3));
        assert_eq!(s.width(), 2);
    }

    #[test]
    fn upgrades_width_both_ends() {
        let mut s = IntSet::new();
        s.insert(1);
        s.insert(2);
        assert!(s.insert(70000));
        assert_eq!(s.width(), 4);
        assert_eq!(collect(&s), [1, 2, 70000]);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(collect(&s), [i64::MIN, 1, 2, 70000]);
        assert!(s.contains(i64::MIN));
        // Removing never downgrades.
        assert!(s.remove(i64::MIN));
        assert!(s.remove(70000));
        assert_eq!(s.width(), 8);
        assert_eq!(collect(&s), [1, 2]);
        assert!(!s.remove(99));
    }

    #[test]
    fn moves_between_inline_and_heap() {
        let mut s = IntSet::new();
        for v in 0..100 {
            s.insert(v * 7);
        }
        assert!(matches!(s, IntSet::Heap { .. }));
        assert_eq!(s.len(), 100);
        for v in 0..100 {
            assert!(s.contains(v * 7));
            assert!(!s.contains(v * 7 + 1));
        }
        for v in 0..95 {
            assert!(s.remove(v * 7));
        }
        assert!(matches!(s, IntSet::Inline { .. }));
        assert_eq!(collect(&s), [665, 672, 679, 686, 693]);
        assert_eq!(s.remove_at(0), 665);
        assert_eq!(s.get(0), 672);
    }

    #[test]
    fn extremes() {
        let mut s = IntSet::new();
        for v in [i64::MAX, i64::MIN, 0, -1, i32::MAX as i64, i16::MIN as i64] {
            s.insert(v);
        }
        assert_eq!(
            collect(&s),
            [i64::MIN, i16::MIN as i64, -1, 0, i32::MAX as i64, i64::MAX]
        );
    }
}
