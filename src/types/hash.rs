//! `Hash`: a Redis hash (field → value), in one of Redis's two encodings:
//! `listpack` (fields and values alternating in one `Listpack`) while it is
//! small, `hashtable` (a `Dict<SmallBytes>`) once it has more than
//! `hash-max-listpack-entries` fields or a field or value longer than
//! `hash-max-listpack-value` bytes. Like Redis, it never converts back.
//! Pure data structure and algorithms: no client, no reply, no clock.
//!
//! Redis counterpart: `t_hash.c` (the data-structure half: `hashType*`).

use std::collections::HashSet;
use std::fmt;

use crate::db::dict::{next_random, Dict};
use crate::types::listpack::{self, Listpack};
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

/// A Redis hash.
pub enum Hash {
    /// Small: field, value, field, value, ... in one packed buffer.
    Listpack(Listpack),
    /// Big: a hash table from field to value (boxed so a small hash stays
    /// small).
    Table(Box<Dict<SmallBytes>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Listpack::new())
    }
}

impl Clone for Hash {
    fn clone(&self) -> Self {
        match self {
            Hash::Listpack(lp) => Hash::Listpack(lp.clone()),
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

/// Iterator over (field, value) pairs.
pub enum Iter<'a> {
    /// Over a listpack's alternating entries.
    Listpack(listpack::Iter<'a>),
    /// Over a table's slots.
    Table(Box<dyn Iterator<Item = (&'a [u8], &'a [u8])> + 'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => {
                let f = it.next()?;
                let v = it.next()?;
                Some((f, v))
            }
            Iter::Table(it) => it.next(),
        }
    }
}

/// Finds `field` in a listpack of pairs: (entry index of the field, value).
fn lp_find<'a>(lp: &'a Listpack, field: &[u8]) -> Option<(usize, &'a [u8])> {
    let mut it = lp.iter();
    let mut i = 0;
    while let Some(f) = it.next() {
        let v = it.next()?;
        if f == field {
            return Some((i, v));
        }
        i += 2;
    }
    None
}

impl Hash {
    /// An empty hash (`listpack`).
    pub fn new() -> Self {
        Hash::default()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
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
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.heap_size(),
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

    /// The (field, value) pairs, in storage order.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Listpack(lp) => Iter::Listpack(lp.iter()),
            Hash::Table(d) => Iter::Table(Box::new(
                d.iter().map(|(_, f, v)| (f.as_slice(), v.as_slice())),
            )),
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(lp) => lp_find(lp, field).map(|(_, v)| v),
            Hash::Table(d) => d.get(field).map(|v| v.as_slice()),
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
        if let Hash::Listpack(_) = self {
            if field.len() > limits.max_value || value.len() > limits.max_value {
                self.convert();
            }
        }
        match self {
            Hash::Listpack(lp) => {
                if let Some((i, _)) = lp_find(lp, field) {
                    lp.set(i + 1, value);
                    return false;
                }
                lp.push_back(field);
                lp.push_back(value);
                if lp.len() / 2 > limits.max_entries {
                    self.convert();
                }
                true
            }
            Hash::Table(d) => match d.get_mut(field) {
                Some(v) => {
                    *v = SmallBytes::new(value);
                    false
                }
                None => {
                    d.insert_new(SmallBytes::new(field), SmallBytes::new(value));
                    true
                }
            },
        }
    }

    /// Removes `field`; returns whether it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => match lp_find(lp, field) {
                Some((i, _)) => {
                    lp.remove_range(i, 2);
                    true
                }
                None => false,
            },
            Hash::Table(d) => d.remove(field).is_some(),
        }
    }

    /// Converts a `listpack` hash to `hashtable` (no-op otherwise).
    pub fn convert(&mut self) {
        if let Hash::Listpack(lp) = self {
            let mut d = Dict::new();
            let mut it = lp.iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                d.insert_new(SmallBytes::new(f), SmallBytes::new(v));
            }
            *self = Hash::Table(Box::new(d));
        }
    }

    /// One random pair (None when empty).
    pub fn random_pair(&self, rng: &mut u64) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Listpack(_) => {
                let n = self.len();
                if n == 0 {
                    return None;
                }
                self.iter().nth(next_random(rng) as usize % n)
            }
            Hash::Table(d) => {
                let i = d.random_slot(rng)?;
                let (f, v) = d.entry_at(i);
                Some((f.as_slice(), v.as_slice()))
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
            Hash::Listpack(_) => {
                let pairs: Vec<(&[u8], &[u8])> = self.iter().collect();
                if pairs.is_empty() {
                    return;
                }
                for _ in 0..count {
                    let (f, v) = pairs[next_random(rng) as usize % pairs.len()];
                    emit(f, v);
                }
            }
            Hash::Table(d) => {
                for _ in 0..count {
                    let Some(i) = d.random_slot(rng) else { return };
                    let (f, v) = d.entry_at(i);
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
            Hash::Listpack(_) => {
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
        }
    }

    /// The table behind a `hashtable` hash (HSCAN's cursor walk).
    pub fn table(&self) -> Option<&Dict<SmallBytes>> {
        match self {
            Hash::Listpack(_) => None,
            Hash::Table(d) => Some(d),
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
