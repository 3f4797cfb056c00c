//! `Set`: a Redis set, encoded as Redis 7.0 does: `intset` (a sorted packed
//! integer array, `IntSet`) while every member is an integer in canonical
//! form and the set has at most `set-max-intset-entries` members, else
//! `hashtable` (a `Dict<()>`). A set never converts back to `intset`.
//! Pure data structure and algorithms: no client, no reply, no clock.
//!
//! Redis counterpart: `t_set.c` (the `setType*` data-structure half).

use std::collections::HashSet;

use super::intset::IntSet;
use super::SmallBytes;
use crate::db::dict::next_random;
use crate::db::Dict;
use crate::util::numfmt::{i64_str, parse_i64};
use crate::util::sha1::{xor_digest, Digest};

/// A member as stored: integers of an `intset` are not strings until they
/// are written out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member<'a> {
    /// A member of an `intset`.
    Int(i64),
    /// A member of a `hashtable`.
    Str(&'a [u8]),
}

impl Member<'_> {
    /// Calls `f` with the member's string form (no allocation).
    #[inline]
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Int(n) => {
                let mut buf = [0u8; 20];
                f(i64_str(n, &mut buf))
            }
            Member::Str(s) => f(s),
        }
    }

    /// The string form as an owned vector.
    pub fn to_vec(self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }

    /// An owned copy.
    pub fn to_owned(self) -> OwnedMember {
        match self {
            Member::Int(n) => OwnedMember::Int(n),
            Member::Str(s) => OwnedMember::Str(SmallBytes::new(s)),
        }
    }
}

/// A member removed from a set (SPOP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedMember {
    /// It came from an `intset`.
    Int(i64),
    /// It came from a `hashtable`.
    Str(SmallBytes),
}

impl OwnedMember {
    /// A borrowed view.
    pub fn as_member(&self) -> Member<'_> {
        match self {
            OwnedMember::Int(n) => Member::Int(*n),
            OwnedMember::Str(s) => Member::Str(s),
        }
    }
}

enum Repr {
    Int(IntSet),
    Hash(Box<Dict<()>>),
}

/// A Redis set.
pub struct Set {
    repr: Repr,
}

impl Set {
    /// Frees a big set from a helper thread without long stalls.
    pub fn release_gradually(self) {
        if let Repr::Hash(d) = self.repr {
            d.release_gradually();
        }
    }
}

impl Default for Set {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for Set {
    fn clone(&self) -> Self {
        match &self.repr {
            Repr::Int(s) => Set {
                repr: Repr::Int(s.clone()),
            },
            Repr::Hash(d) => {
                let mut copy = Dict::new();
                for (_, k, _) in d.iter() {
                    copy.insert_new(k.clone(), ());
                }
                Set {
                    repr: Repr::Hash(Box::new(copy)),
                }
            }
        }
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Set")
            .field("encoding", &self.encoding())
            .field("len", &self.len())
            .finish()
    }
}

impl Set {
    /// An empty `intset`-encoded set.
    pub fn new() -> Self {
        Set {
            repr: Repr::Int(IntSet::new()),
        }
    }

    /// An empty `hashtable`-encoded set.
    pub fn new_hashtable() -> Self {
        Set {
            repr: Repr::Hash(Box::default()),
        }
    }

    /// An empty set with the encoding Redis's `setTypeCreate` picks for a
    /// set whose first member is `first`: `intset` for an integer.
    pub fn for_first(first: &[u8]) -> Self {
        if parse_i64(first).is_some() {
            Set::new()
        } else {
            Set::new_hashtable()
        }
    }

    /// An empty set with the same encoding as `self`.
    pub fn empty_like(&self) -> Self {
        match self.repr {
            Repr::Int(_) => Set::new(),
            Repr::Hash(_) => Set::new_hashtable(),
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Int(s) => s.len(),
            Repr::Hash(d) => d.len(),
        }
    }

    /// Whether it holds no member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the encoding is `intset`.
    pub fn is_intset(&self) -> bool {
        matches!(self.repr, Repr::Int(_))
    }

    /// The encoding name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Int(_) => "intset",
            Repr::Hash(_) => "hashtable",
        }
    }

    /// Heap bytes held (MEMORY USAGE), beyond the `Set` itself.
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Int(s) => s.heap_size(),
            Repr::Hash(d) => {
                std::mem::size_of::<Dict<()>>()
                    + d.table_bytes()
                    + d.iter().map(|(_, k, _)| k.heap_size()).sum::<usize>()
            }
        }
    }

    /// XORs every member into `digest`, as Redis's DEBUG DIGEST does for
    /// sets (order-independent).
    pub fn mix_digest(&self, digest: &mut Digest) {
        for m in self.iter() {
            m.with_bytes(|b| xor_digest(digest, b));
        }
    }

    /// Whether `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Int(s) => parse_i64(member).is_some_and(|n| s.contains(n)),
            Repr::Hash(d) => d.find(member).is_some(),
        }
    }

    /// Whether a member of another set is in this one.
    #[inline]
    pub fn contains_member(&self, member: Member) -> bool {
        match (&self.repr, member) {
            (Repr::Int(s), Member::Int(n)) => s.contains(n),
            (_, m) => m.with_bytes(|b| self.contains(b)),
        }
    }

    /// Makes room for `n` more members if the set is a `hashtable`. Only
    /// for a set about to be filled (a new one): it reserves exactly.
    pub fn reserve(&mut self, n: usize) {
        if let Repr::Hash(d) = &mut self.repr {
            d.reserve_exact(n);
        }
    }

    /// Converts to `hashtable` (Redis's `setTypeConvert`, which sizes the
    /// table for the intset's members and one more).
    fn convert_to_hashtable(&mut self) {
        if let Repr::Int(s) = &self.repr {
            let mut d: Dict<()> = Dict::new();
            d.reserve_exact(s.len() + 1);
            for n in s.iter() {
                let mut buf = [0u8; 20];
                d.insert_new(SmallBytes::new(i64_str(n, &mut buf)), ());
            }
            self.repr = Repr::Hash(Box::new(d));
        }
    }

    /// Adds `member`; false when it was already there. An `intset` becomes
    /// a `hashtable` when the member is not an integer or the set grows
    /// past `max_intset` members.
    pub fn insert(&mut self, member: &[u8], max_intset: usize) -> bool {
        if let Repr::Int(s) = &mut self.repr {
            match parse_i64(member) {
                Some(n) => {
                    if !s.insert(n) {
                        return false;
                    }
                    if s.len() > max_intset {
                        self.convert_to_hashtable();
                    }
                    return true;
                }
                None => self.convert_to_hashtable(),
            }
        }
        match &mut self.repr {
            Repr::Hash(d) => {
                if d.find(member).is_some() {
                    return false;
                }
                d.insert_new(SmallBytes::new(member), ());
                true
            }
            Repr::Int(_) => unreachable!("invariant: converted above"),
        }
    }

    /// Adds a member of another set (see `insert`).
    pub fn insert_member(&mut self, member: Member, max_intset: usize) -> bool {
        match (&mut self.repr, member) {
            (Repr::Int(s), Member::Int(n)) => {
                if !s.insert(n) {
                    return false;
                }
                if s.len() > max_intset {
                    self.convert_to_hashtable();
                }
                true
            }
            (_, m) => m.with_bytes(|b| self.insert(b, max_intset)),
        }
    }

    /// Removes `member`; false when it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Int(s) => parse_i64(member).is_some_and(|n| s.remove(n)),
            Repr::Hash(d) => d.remove(member).is_some(),
        }
    }

    /// Removes a member of another set; false when it was not there.
    pub fn remove_member(&mut self, member: Member) -> bool {
        match (&mut self.repr, member) {
            (Repr::Int(s), Member::Int(n)) => s.remove(n),
            (_, m) => m.with_bytes(|b| self.remove(b)),
        }
    }

    /// The members: ascending for an `intset`, table order for a
    /// `hashtable`.
    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> + '_ {
        let (ints, strs) = match &self.repr {
            Repr::Int(s) => (Some(s.iter().map(Member::Int)), None),
            Repr::Hash(d) => (None, Some(d.iter().map(|(_, k, _)| Member::Str(k)))),
        };
        ints.into_iter().flatten().chain(strs.into_iter().flatten())
    }

    /// A random member (None when empty).
    pub fn random(&self, rng: &mut u64) -> Option<Member<'_>> {
        match &self.repr {
            Repr::Int(s) => {
                if s.is_empty() {
                    return None;
                }
                let i = (next_random(rng) % s.len() as u64) as usize;
                Some(Member::Int(s.get(i)))
            }
            Repr::Hash(d) => d
                .random_slot(rng)
                .map(|i| Member::Str(d.entry_at(i).0.as_slice())),
        }
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self, rng: &mut u64) -> Option<OwnedMember> {
        match &mut self.repr {
            Repr::Int(s) => {
                if s.is_empty() {
                    return None;
                }
                let i = (next_random(rng) % s.len() as u64) as usize;
                Some(OwnedMember::Int(s.remove_at(i)))
            }
            Repr::Hash(d) => {
                let i = d.random_slot(rng)?;
                Some(OwnedMember::Str(d.remove_at(i).0))
            }
        }
    }

    /// `count` distinct random members (`count` must be below `len`), in
    /// random order.
    pub fn sample_distinct(&self, rng: &mut u64, count: usize) -> Vec<Member<'_>> {
        let len = self.len();
        let count = count.min(len);
        if count * 3 > len {
            // Many of them: shuffle the first `count` positions of a copy.
            let mut all: Vec<Member> = self.iter().collect();
            for i in 0..count {
                let j = i + (next_random(rng) % (len - i) as u64) as usize;
                all.swap(i, j);
            }
            all.truncate(count);
            return all;
        }
        // Few of them: draw until `count` distinct positions were seen.
        let mut seen: HashSet<u32> = HashSet::with_capacity(count);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let (pos, m) = match &self.repr {
                Repr::Int(s) => {
                    let i = (next_random(rng) % len as u64) as usize;
                    (i as u32, Member::Int(s.get(i)))
                }
                Repr::Hash(d) => {
                    let Some(i) = d.random_slot(rng) else {
                        break;
                    };
                    (i, Member::Str(d.entry_at(i).0.as_slice()))
                }
            };
            if seen.insert(pos) {
                out.push(m);
            }
        }
        out
    }

    /// One SSCAN step over a `hashtable` (see `Dict::scan_step`); an
    /// `intset` visits everything and returns cursor 0, as Redis does.
    pub fn scan_step(&self, cursor: u64, mut visit: impl FnMut(Member)) -> u64 {
        match &self.repr {
            Repr::Int(s) => {
                s.iter().for_each(|n| visit(Member::Int(n)));
                0
            }
            Repr::Hash(d) => d.scan_step(cursor, |i| visit(Member::Str(d.entry_at(i).0))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &Set) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
        v.sort();
        v
    }

    #[test]
    fn set_box_is_one_small_allocation() {
        assert_eq!(std::mem::size_of::<Set>(), 24);
    }

    #[test]
    fn intset_until_a_string_or_too_many() {
        let mut s = Set::new();
        assert!(s.insert(b"3", 4));
        assert!(s.insert(b"-1", 4));
        assert!(!s.insert(b"3", 4));
        assert_eq!(s.encoding(), "intset");
        assert!(s.contains(b"-1"));
        assert!(!s.contains(b"-01"));
        assert!(!s.contains(b"x"));
        // Not canonical: a string member.
        assert!(s.insert(b"007", 4));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"3") && s.contains(b"007") && !s.contains(b"7"));
        assert_eq!(
            members(&s),
            [b"-1".to_vec(), b"007".to_vec(), b"3".to_vec()]
        );

        let mut s = Set::new();
        for n in 0..4 {
            s.insert(n.to_string().as_bytes(), 4);
        }
        assert_eq!(s.encoding(), "intset");
        s.insert(b"4", 4);
        assert_eq!(s.encoding(), "hashtable");
        // Never back.
        for n in 0..5 {
            assert!(s.remove(n.to_string().as_bytes()));
        }
        assert!(s.is_empty());
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn reserve_avoids_growth_slack() {
        let fill = |s: &mut Set| {
            for i in 0..10 {
                s.insert(format!("m{}", i).as_bytes(), 512);
            }
        };
        let mut grown = Set::new_hashtable();
        fill(&mut grown);
        let mut reserved = Set::new_hashtable();
        reserved.reserve(10);
        fill(&mut reserved);
        assert!(reserved.heap_size() < grown.heap_size());
        assert_eq!(members(&reserved), members(&grown));
        // An intset ignores it.
        let mut ints = Set::new();
        ints.reserve(1000);
        assert_eq!(ints.heap_size(), 0);
    }

    #[test]
    fn for_first_follows_set_type_create() {
        assert_eq!(Set::for_first(b"12").encoding(), "intset");
        assert_eq!(Set::for_first(b"a").encoding(), "hashtable");
        assert_eq!(Set::for_first(b"1.5").encoding(), "hashtable");
    }

    #[test]
    fn members_across_encodings() {
        let mut a = Set::new();
        a.insert(b"5", 512);
        let mut b = Set::new_hashtable();
        b.insert(b"5", 512);
        b.insert(b"x", 512);
        assert!(b.contains_member(Member::Int(5)));
        assert!(a.contains_member(Member::Str(b"5")));
        assert!(!a.contains_member(Member::Str(b"x")));
        assert!(a.insert_member(Member::Str(b"6"), 512));
        assert_eq!(a.encoding(), "intset");
        assert!(a.insert_member(Member::Str(b"y"), 512));
        assert_eq!(a.encoding(), "hashtable");
        let c = b.clone();
        assert_eq!(members(&c), members(&b));
    }

    #[test]
    fn random_and_pop() {
        let mut rng = 42;
        let mut s = Set::new();
        assert!(s.random(&mut rng).is_none());
        for n in 0..50 {
            s.insert(n.to_string().as_bytes(), 512);
        }
        let picked = s.sample_distinct(&mut rng, 10);
        let uniq: HashSet<Vec<u8>> = picked.iter().map(|m| m.to_vec()).collect();
        assert_eq!(uniq.len(), 10);
        let picked = s.sample_distinct(&mut rng, 40);
        let uniq: HashSet<Vec<u8>> = picked.iter().map(|m| m.to_vec()).collect();
        assert_eq!(uniq.len(), 40);
        let mut h = s.clone();
        h.insert(b"x", 512);
        for _ in 0..51 {
            assert!(h.pop_random(&mut rng).is_some());
        }
        assert!(h.pop_random(&mut rng).is_none());
        for _ in 0..50 {
            let m = s.pop_random(&mut rng).unwrap();
            assert!(!s.contains_member(m.as_member()));
        }
        assert!(s.is_empty());
    }

    #[test]
    fn matches_a_model_under_random_operations() {
        use std::collections::BTreeSet;
        let mut rng = 7u64;
        for max in [0usize, 3, 40, 512] {
            let mut set = Set::new();
            let mut model: BTreeSet<Vec<u8>> = BTreeSet::new();
            for step in 0..3000 {
                let r = next_random(&mut rng);
                // Integers of every width; strings in the second half only,
                // so the intset paths get a long run first.
                let member = match r % 7 {
                    0 if step >= 1500 => format!("s{}", r % 50).into_bytes(),
                    1 => ((r >> 8) as i64).to_string().into_bytes(),
                    2 => (((r >> 8) % 200_000) as i64 - 100_000)
                        .to_string()
                        .into_bytes(),
                    _ => ((r >> 8) % 60).to_string().into_bytes(),
                };
                if (r >> 3).is_multiple_of(3) {
                    assert_eq!(set.remove(&member), model.remove(&member), "step {}", step);
                } else {
                    assert_eq!(set.insert(&member, max), model.insert(member.clone()));
                }
                assert_eq!(set.len(), model.len());
                if set.is_intset() {
                    // Only integers, at most `max` of them, in order.
                    assert!(set.len() <= max);
                    let ints: Vec<i64> = set
                        .iter()
                        .map(|m| match m {
                            Member::Int(n) => n,
                            Member::Str(_) => panic!("string member in an intset"),
                        })
                        .collect();
                    assert!(ints.windows(2).all(|w| w[0] < w[1]));
                }
            }
            let mut got: Vec<Vec<u8>> = set.iter().map(|m| m.to_vec()).collect();
            got.sort();
            assert_eq!(got, model.iter().cloned().collect::<Vec<_>>());
            for m in &model {
                assert!(set.contains(m));
            }
        }
    }

    #[test]
    fn digest_is_order_independent() {
        let mut a = Set::new();
        let mut b = Set::new_hashtable();
        for m in ["1", "2", "3"] {
            a.insert(m.as_bytes(), 512);
        }
        for m in ["3", "1", "2"] {
            b.insert(m.as_bytes(), 512);
        }
        let (mut da, mut db) = ([0u8; 20], [0u8; 20]);
        a.mix_digest(&mut da);
        b.mix_digest(&mut db);
        assert_eq!(da, db);
    }
}
