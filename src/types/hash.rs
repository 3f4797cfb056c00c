//! `Hash`: a Redis hash (field → value), in one of Redis's two encodings:
//! `listpack` (fields and values alternating in one packed buffer) while it
//! is small, `hashtable` (a `Dict<SmallBytes>`) once it has more than
//! `hash-max-listpack-entries` fields or a field or value longer than
//! `hash-max-listpack-value` bytes. Like Redis, it never converts back.
//! Pure data structure and algorithms: no client, no reply, no clock.
//!
//! The packed form is one exact-size allocation held directly in the
//! keyspace's `Value` (no box around it): a 4-byte little-endian pair
//! count, then the entries in `Listpack`'s layout (a LEB128 length, then
//! the bytes, per entry). A small hash costs that one allocation, like
//! Redis's listpack behind its `robj`; every change rebuilds it at its new
//! size, as Redis reallocates a listpack.
//!
//! Redis counterpart: `t_hash.c` (the data-structure half: `hashType*`).

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use crate::db::dict::{next_random, Dict};
use crate::types::SmallBytes;
use crate::util::sha1::{mix_digest, xor_digest, Digest};

/// The conversion thresholds, read from the configuration by the caller.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `hash-max-listpack-entries`: most fields a `listpack` hash holds.
    pub max_entries: usize,
    /// `hash-max-listpack-value`: longest field or value it holds.
    pub max_value: usize,
}

/// Bytes of the pair count that starts a packed buffer.
const COUNT: usize = 4;

/// A Redis hash.
pub enum Hash {
    /// `listpack`: the pair count (4 bytes LE), then the packed entries;
    /// empty (no allocation) for a hash without fields.
    Packed(Box<[u8]>),
    /// `hashtable`: field → value (boxed so a small hash stays small).
    Table(Box<Dict<SmallBytes>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Packed(Box::default())
    }
}

impl Clone for Hash {
    fn clone(&self) -> Self {
        match self {
            Hash::Packed(buf) => Hash::Packed(buf.clone()),
            Hash::Table(d) => {
                let mut copy = Dict::new();
                for (_, f, v) in d.iter() {
                    copy.insert_new(f.clone(), v.clone());
                }
                Hash::Table(Box::new(copy))
            }
        }
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))),
            )
            .finish()
    }
}

fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

/// The LEB128 bytes of `n` (at most 10) and how many there are.
fn varint(mut n: usize) -> ([u8; 10], usize) {
    let mut out = [0u8; 10];
    let mut i = 0;
    while n >= 0x80 {
        out[i] = (n as u8 & 0x7F) | 0x80;
        n >>= 7;
        i += 1;
    }
    out[i] = n as u8;
    (out, i + 1)
}

/// Appends one packed entry (`len` as LEB128, then the bytes) to `out`.
#[inline]
pub fn push_entry(out: &mut Vec<u8>, b: &[u8]) {
    let (v, n) = varint(b.len());
    out.extend_from_slice(&v[..n]);
    out.extend_from_slice(b);
}

/// Encoded size of `parts` as consecutive entries.
fn encoded_len(parts: &[&[u8]]) -> usize {
    parts.iter().map(|p| varint_len(p.len()) + p.len()).sum()
}

/// Writes `parts` as consecutive entries into `out`, which is exactly
/// `encoded_len(parts)` long.
fn encode_into(out: &mut [u8], parts: &[&[u8]]) {
    let mut at = 0;
    for p in parts {
        let (v, n) = varint(p.len());
        out[at..at + n].copy_from_slice(&v[..n]);
        at += n;
        out[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
}

/// Iterator over the entries of a packed buffer, with their byte spans.
#[derive(Clone)]
pub struct Entries<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Entries<'a> {
    /// (entry bytes, span of the whole encoded entry)
    type Item = (&'a [u8], Range<usize>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let mut n = 0usize;
        let mut shift = 0;
        loop {
            let b = *self.buf.get(self.pos)?;
            self.pos += 1;
            n |= ((b & 0x7F) as usize) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let body = self.buf.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some((body, start..self.pos))
    }
}

/// Iterator over (field, value) pairs.
pub enum Iter<'a> {
    /// Over a packed buffer's alternating entries.
    Packed(Entries<'a>),
    /// Over a table's slots.
    Table(Box<dyn Iterator<Item = (&'a [u8], &'a [u8])> + 'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Packed(it) => {
                let (f, _) = it.next()?;
                let (v, _) = it.next()?;
                Some((f, v))
            }
            Iter::Table(it) => it.next(),
        }
    }
}

/// Where a field sits in a packed buffer.
struct Found<'a> {
    value: &'a [u8],
    /// Span of the encoded field and value together.
    pair: Range<usize>,
    /// Span of the encoded value.
    value_span: Range<usize>,
}

fn packed_find<'a>(buf: &'a [u8], field: &[u8]) -> Option<Found<'a>> {
    let mut it = Entries { buf, pos: 0 };
    while let Some((f, fspan)) = it.next() {
        let (v, vspan) = it.next()?;
        if f == field {
            return Some(Found {
                value: v,
                pair: fspan.start..vspan.end,
                value_span: vspan,
            });
        }
    }
    None
}

impl Hash {
    /// Frees a big hash from a helper thread without long stalls.
    pub fn release_gradually(self) {
        if let Hash::Table(d) = self {
            d.release_gradually();
        }
    }

    /// An empty hash (`listpack`).
    pub fn new() -> Self {
        Hash::default()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Packed(buf) => buf
                .get(..COUNT)
                .map_or(0, |c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize),
            Hash::Table(d) => d.len(),
        }
    }

    /// Whether it holds no field.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Packed(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Heap bytes held beyond the `Hash` itself (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Hash::Packed(buf) => buf.len(),
            Hash::Table(d) => {
                std::mem::size_of::<Dict<SmallBytes>>()
                    + d.table_bytes()
                    + d.iter()
                        .map(|(_, f, v)| f.heap_size() + v.heap_size())
                        .sum::<usize>()
            }
        }
    }

    /// Mixes the contents into a DEBUG DIGEST the way Redis does: each
    /// pair's own digest (field mixed, then value mixed) XORed in, so the
    /// result does not depend on order.
    pub fn mix_digest(&self, digest: &mut Digest) {
        for (f, v) in self.iter() {
            let mut pair = [0u8; 20];
            mix_digest(&mut pair, f);
            mix_digest(&mut pair, v);
            xor_digest(digest, &pair);
        }
    }

    /// The packed buffer of a `listpack` hash.
    fn packed(&self) -> Option<&[u8]> {
        match self {
            Hash::Packed(buf) => Some(buf.get(COUNT..).unwrap_or_default()),
            Hash::Table(_) => None,
        }
    }

    /// Replaces `range` of the packed entries with `parts` (raw entries,
    /// encoded here) and adjusts the pair count by `delta`: in place when
    /// the size does not change, else into a new buffer of the new size.
    fn splice(&mut self, range: Range<usize>, parts: &[&[u8]], delta: isize) {
        let Some(old_len) = self.packed().map(<[u8]>::len) else {
            return;
        };
        let added = encoded_len(parts);
        let new_len = old_len - range.len() + added;
        let new_count = self.len().saturating_add_signed(delta);
        if let (Hash::Packed(buf), true) = (&mut *self, added == range.len() && delta == 0) {
            let at = COUNT + range.start;
            encode_into(&mut buf[at..at + added], parts);
            return;
        }
        let old = self.packed().unwrap_or_default();
        let mid = range.start + added;
        let write = |out: &mut [u8]| {
            out[..range.start].copy_from_slice(&old[..range.start]);
            encode_into(&mut out[range.start..mid], parts);
            out[mid..].copy_from_slice(&old[range.end..]);
        };
        *self = Hash::packed_with(new_count, new_len, write);
    }

    /// A `listpack` hash from bytes already in this type's packed layout
    /// (entries written by `push_entry`, fields and values alternating).
    pub fn from_packed_bytes(pairs: usize, bytes: &[u8]) -> Hash {
        Hash::packed_with(pairs, bytes.len(), |out| out.copy_from_slice(bytes))
    }

    /// A packed hash of `pairs` pairs in `len` bytes of entries that
    /// `write` fills, in one allocation of exactly the needed size.
    fn packed_with(pairs: usize, len: usize, write: impl FnOnce(&mut [u8])) -> Hash {
        if pairs == 0 {
            return Hash::default();
        }
        let mut buf = vec![0u8; COUNT + len].into_boxed_slice();
        buf[..COUNT].copy_from_slice(&(pairs.min(u32::MAX as usize) as u32).to_le_bytes());
        write(&mut buf[COUNT..]);
        Hash::Packed(buf)
    }

    /// A `listpack` hash of `pairs` field/value pairs written in one step
    /// (the RDB loader, where the caller has checked that the fields are
    /// distinct): `fill` calls `emit` with each field and value in order,
    /// twice (once to size the buffer, once to write it), so there is one
    /// allocation at most instead of a search and a splice per field.
    pub fn build_packed(pairs: usize, fill: impl Fn(&mut dyn FnMut(&[u8]))) -> Hash {
        let mut len = 0;
        fill(&mut |b: &[u8]| len += varint_len(b.len()) + b.len());
        let write = |out: &mut [u8]| {
            let mut at = 0;
            fill(&mut |b: &[u8]| {
                let (v, n) = varint(b.len());
                out[at..at + n].copy_from_slice(&v[..n]);
                out[at + n..at + n + b.len()].copy_from_slice(b);
                at += n + b.len();
            });
        };
        Hash::packed_with(pairs, len, write)
    }

    /// The (field, value) pairs, in storage order.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Table(d) => Iter::Table(Box::new(
                d.iter().map(|(_, f, v)| (f.as_slice(), v.as_slice())),
            )),
            _ => Iter::Packed(Entries {
                buf: self.packed().unwrap_or_default(),
                pos: 0,
            }),
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Table(d) => d.get(field).map(|v| v.as_slice()),
            _ => packed_find(self.packed()?, field).map(|f| f.value),
        }
    }

    /// Whether `field` exists.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`; returns true when the field is new.
    /// Converts to `hashtable` first when either is longer than
    /// `max_value`, and after inserting when there are more than
    /// `max_entries` fields (as Redis's `hashTypeSet`).
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if let Some(buf) = self.packed() {
            if field.len() > limits.max_value || value.len() > limits.max_value {
                self.convert();
            } else {
                if let Some(found) = packed_find(buf, field) {
                    self.splice(found.value_span, &[value], 0);
                    return false;
                }
                let end = buf.len();
                self.splice(end..end, &[field, value], 1);
                if self.len() > limits.max_entries {
                    self.convert();
                }
                return true;
            }
        }
        let Hash::Table(d) = self else {
            unreachable!("invariant: converted above")
        };
        match d.get_mut(field) {
            Some(v) => {
                *v = SmallBytes::new(value);
                false
            }
            None => {
                d.insert_new(SmallBytes::new(field), SmallBytes::new(value));
                true
            }
        }
    }

    /// Removes `field`; returns whether it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Table(d) => d.remove(field).is_some(),
            _ => {
                let Some(found) = self.packed().and_then(|b| packed_find(b, field)) else {
                    return false;
                };
                self.splice(found.pair, &[], -1);
                true
            }
        }
    }

    /// Converts a `listpack` hash to `hashtable` (no-op otherwise).
    pub fn convert(&mut self) {
        if self.packed().is_some() {
            let mut d = Dict::new();
            for (f, v) in self.iter() {
                d.insert_new(SmallBytes::new(f), SmallBytes::new(v));
            }
            *self = Hash::Table(Box::new(d));
        }
    }

    /// One random pair (None when empty).
    pub fn random_pair(&self, rng: &mut u64) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Table(d) => {
                let i = d.random_slot(rng)?;
                let (f, v) = d.entry_at(i);
                Some((f.as_slice(), v.as_slice()))
            }
            _ => {
                let n = self.len();
                if n == 0 {
                    return None;
                }
                self.iter().nth(next_random(rng) as usize % n)
            }
        }
    }

    /// `count` random pairs, possibly repeated (HRANDFIELD with a negative
    /// count), handed to `emit` one at a time (no allocation sized by
    /// `count`).
    pub fn random_pairs_with_repeats(
        &self,
        count: u64,
        rng: &mut u64,
        mut emit: impl FnMut(&[u8], &[u8]),
    ) {
        match self {
            Hash::Table(d) => {
                for _ in 0..count {
                    let Some(i) = d.random_slot(rng) else { return };
                    let (f, v) = d.entry_at(i);
                    emit(f, v);
                }
            }
            _ => {
                let pairs: Vec<(&[u8], &[u8])> = self.iter().collect();
                if pairs.is_empty() {
                    return;
                }
                for _ in 0..count {
                    let (f, v) = pairs[next_random(rng) as usize % pairs.len()];
                    emit(f, v);
                }
            }
        }
    }

    /// `count` distinct random pairs (HRANDFIELD with a positive count
    /// smaller than the hash), as Redis picks them: in storage order for a
    /// listpack; for a table, by removing random pairs from a copy when
    /// most pairs are wanted, else by sampling until enough are distinct.
    pub fn random_pairs_unique(&self, count: usize, rng: &mut u64) -> Vec<(&[u8], &[u8])> {
        let n = self.len();
        if count >= n {
            return self.iter().collect();
        }
        match self {
            Hash::Table(d) => {
                if count * 3 > n {
                    let mut all: Vec<(&[u8], &[u8])> = self.iter().collect();
                    while all.len() > count {
                        let i = next_random(rng) as usize % all.len();
                        all.swap_remove(i);
                    }
                    all
                } else {
                    let mut picked = HashSet::with_capacity(count);
                    let mut out = Vec::with_capacity(count);
                    while out.len() < count {
                        let Some(i) = d.random_slot(rng) else { break };
                        if picked.insert(i) {
                            let (f, v) = d.entry_at(i);
                            out.push((f.as_slice(), v.as_slice()));
                        }
                    }
                    out
                }
            }
            _ => {
                // Selection sampling: keeps storage order.
                let mut out = Vec::with_capacity(count);
                let mut need = count;
                for (seen, pair) in self.iter().enumerate() {
                    if need == 0 {
                        break;
                    }
                    let left = (n - seen) as u64;
                    if next_random(rng) % left < need as u64 {
                        out.push(pair);
                        need -= 1;
                    }
                }
                out
            }
        }
    }

    /// The table behind a `hashtable` hash (HSCAN's cursor walk).
    pub fn table(&self) -> Option<&Dict<SmallBytes>> {
        match self {
            Hash::Table(d) => Some(d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        max_entries: 4,
        max_value: 8,
    };

    fn pairs(h: &Hash) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        v.sort();
        v
    }

    #[test]
    fn a_hash_lives_in_the_value_without_a_box() {
        assert_eq!(std::mem::size_of::<Hash>(), 16);
        assert_eq!(std::mem::size_of::<crate::types::Value>(), 24);
    }

    #[test]
    fn packed_buffer_is_exactly_the_count_and_the_entries() {
        let roomy = Limits {
            max_entries: 512,
            max_value: 64,
        };
        let mut h = Hash::new();
        assert_eq!(h.heap_size(), 0);
        let mut want = Vec::new();
        for i in 0..40 {
            let (f, v) = (format!("field{}", i), format!("value{}", i));
            assert!(h.set(f.as_bytes(), v.as_bytes(), roomy));
            want.push((f.into_bytes(), v.into_bytes()));
            let entries: usize = want.iter().map(|(f, v)| 2 + f.len() + v.len()).sum();
            assert_eq!(h.heap_size(), COUNT + entries, "after {} pairs", i + 1);
        }
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.len(), 40);
        want.sort();
        assert_eq!(pairs(&h), want);
        // Same-size overwrite in place, then a longer value.
        assert!(!h.set(b"field3", b"VALUE3", roomy));
        assert_eq!(h.get(b"field3"), Some(&b"VALUE3"[..]));
        assert!(!h.set(b"field3", &[b'x'; 64], roomy));
        assert_eq!(h.get(b"field3"), Some(&[b'x'; 64][..]));
        for i in 0..38 {
            assert!(h.remove(format!("field{}", i).as_bytes()));
        }
        assert_eq!(h.len(), 2);
        assert_eq!(h.get(b"field39"), Some(&b"value39"[..]));
        assert_eq!(h.heap_size(), COUNT + 2 * (2 + 7 + 7));
        assert!(h.remove(b"field38") && h.remove(b"field39"));
        assert!(h.is_empty());
        assert_eq!(h.heap_size(), 0);
    }

    #[test]
    fn set_get_remove_in_both_encodings() {
        for big in [false, true] {
            let mut h = Hash::new();
            if big {
                h.convert();
            }
            assert!(h.set(b"a", b"1", SMALL));
            assert!(h.set(b"b", b"2", SMALL));
            assert!(!h.set(b"a", b"10", SMALL));
            assert_eq!(h.get(b"a"), Some(&b"10"[..]));
            assert_eq!(h.get(b"b"), Some(&b"2"[..]));
            assert_eq!(h.get(b"1"), None);
            assert_eq!(h.len(), 2);
            assert!(h.remove(b"a"));
            assert!(!h.remove(b"a"));
            assert_eq!(pairs(&h), vec![(b"b".to_vec(), b"2".to_vec())]);
            assert!(h.remove(b"b"));
            assert!(h.is_empty());
            assert_eq!(h.encoding(), if big { "hashtable" } else { "listpack" });
        }
    }

    #[test]
    fn converts_on_entries_and_value_length() {
        let mut h = Hash::new();
        for i in 0..4 {
            h.set(format!("f{}", i).as_bytes(), b"v", SMALL);
        }
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f4", b"v", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"f2"), Some(&b"v"[..]));

        let mut h = Hash::new();
        h.set(b"f", b"12345678", SMALL);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f", b"123456789", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::new();
        h.set(b"123456789", b"", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        // Never converts back.
        h.remove(b"123456789");
        h.set(b"a", b"b", SMALL);
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn clone_and_digest_ignore_encoding_and_order() {
        let mut a = Hash::new();
        a.set(b"f1", b"v1", SMALL);
        a.set(b"f2", b"v2", SMALL);
        let mut b = Hash::new();
        b.convert();
        b.set(b"f2", b"v2", SMALL);
        b.set(b"f1", b"v1", SMALL);
        let (mut da, mut db) = ([0u8; 20], [0u8; 20]);
        a.mix_digest(&mut da);
        b.clone().mix_digest(&mut db);
        assert_eq!(da, db);
        assert_eq!(pairs(&a), pairs(&b.clone()));
    }

    #[test]
    fn random_sampling() {
        for big in [false, true] {
            let mut h = Hash::new();
            if big {
                h.convert();
            }
            let mut rng = 7;
            assert!(h.random_pair(&mut rng).is_none());
            let roomy = Limits {
                max_entries: 128,
                max_value: 64,
            };
            for i in 0..20 {
                h.set(format!("f{}", i).as_bytes(), b"v", roomy);
            }
            assert_eq!(h.encoding(), if big { "hashtable" } else { "listpack" });
            let mut n = 0;
            h.random_pairs_with_repeats(50, &mut rng, |f, _| {
                assert!(f.starts_with(b"f"));
                n += 1;
            });
            assert_eq!(n, 50);
            for count in [0, 1, 5, 10, 19, 20, 30] {
                let got = h.random_pairs_unique(count, &mut rng);
                assert_eq!(got.len(), count.min(20));
                let distinct: HashSet<_> = got.iter().map(|p| p.0).collect();
                assert_eq!(distinct.len(), got.len());
            }
            assert!(h.random_pair(&mut rng).is_some());
        }
    }
}
