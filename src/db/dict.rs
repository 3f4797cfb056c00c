//! `Dict`: the chained hash table behind the keyspace, with a cursor scan
//! that keeps Redis's SCAN guarantee (every element present for the whole
//! scan is returned at least once, across grows and shrinks).
//!
//! Layout: entries live in an arena (`Vec<Slot>`, reused through a free
//! list) and buckets hold `u32` arena indices, so an entry costs one slot
//! (key 24 B + value + 8 B of links) and a bucket 4 B, with no allocation per
//! entry. Each slot caches 31 bits of its key's hash (so rehashing never
//! rehashes keys) and one flag bit the owner may use (the keyspace marks
//! keys that have a TTL with it).
//!
//! Redis counterpart: `dict.c` (`dictScan`'s reverse-binary cursor).

use crate::types::SmallBytes;

const NIL: u32 = u32::MAX;
const FLAG_BIT: u32 = 1 << 31;
const HASH_MASK: u32 = !FLAG_BIT;
const MIN_BUCKETS: usize = 4;

struct Slot<V> {
    entry: Option<(SmallBytes, V)>,
    /// Next slot in the same bucket, or in the free list when vacant.
    next: u32,
    /// Low 31 bits: cached hash; top bit: the owner's flag.
    hash_flag: u32,
    /// Owner-defined access stamp (the keyspace keeps Redis's 24-bit LRU
    /// clock or LFU counter here, for OBJECT IDLETIME/FREQ).
    lru: u32,
}

/// A hash table from byte-string keys to `V`.
pub struct Dict<V> {
    slots: Vec<Slot<V>>,
    free_head: u32,
    buckets: Vec<u32>,
    len: usize,
    hasher: ahash::RandomState,
    /// When false, the table does not resize (Redis avoids rehashing while a
    /// fork child exists so copy-on-write stays small).
    pub resize_allowed: bool,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Dict<V> {
    /// An empty table.
    pub fn new() -> Self {
        Dict {
            slots: Vec::new(),
            free_head: NIL,
            buckets: vec![NIL; MIN_BUCKETS],
            len: 0,
            hasher: ahash::RandomState::new(),
            resize_allowed: true,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of buckets (for `DEBUG HTSTATS` style reporting).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// Approximate bytes of table overhead (slots and buckets).
    pub fn table_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot<V>>() + self.buckets.capacity() * 4
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u32 {
        (self.hasher.hash_one(key) as u32) & HASH_MASK
    }

    #[inline]
    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    /// The arena index of `key`, if present.
    #[inline]
    pub fn find(&self, key: &[u8]) -> Option<u32> {
        self.find_hashed(key, self.hash(key))
    }

    /// `find` with the key's hash already computed.
    #[inline]
    fn find_hashed(&self, key: &[u8], h: u32) -> Option<u32> {
        let mut i = self.buckets[h as usize & self.mask()];
        while i != NIL {
            let s = &self.slots[i as usize];
            if s.hash_flag & HASH_MASK == h {
                if let Some((k, _)) = &s.entry {
                    if k.as_slice() == key {
                        return Some(i);
                    }
                }
            }
            i = s.next;
        }
        None
    }

    /// The value for `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|i| self.value_at(i))
    }

    /// The value for `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let i = self.find(key)?;
        Some(self.value_at_mut(i))
    }

    /// The key and value in slot `i` (which must be occupied).
    pub fn entry_at(&self, i: u32) -> (&SmallBytes, &V) {
        let (k, v) = self.slots[i as usize]
            .entry
            .as_ref()
            .expect("invariant: index refers to an occupied slot");
        (k, v)
    }

    /// The value in slot `i` (which must be occupied).
    pub fn value_at(&self, i: u32) -> &V {
        self.entry_at(i).1
    }

    /// The value in slot `i`, mutably.
    pub fn value_at_mut(&mut self, i: u32) -> &mut V {
        &mut self.slots[i as usize]
            .entry
            .as_mut()
            .expect("invariant: index refers to an occupied slot")
            .1
    }

    /// The owner's flag bit of slot `i`.
    #[inline]
    pub fn flag(&self, i: u32) -> bool {
        self.slots[i as usize].hash_flag & FLAG_BIT != 0
    }

    /// Sets the owner's flag bit of slot `i`.
    pub fn set_flag(&mut self, i: u32, on: bool) {
        let s = &mut self.slots[i as usize];
        if on {
            s.hash_flag |= FLAG_BIT;
        } else {
            s.hash_flag &= HASH_MASK;
        }
    }

    /// The access stamp of slot `i`.
    #[inline]
    pub fn lru(&self, i: u32) -> u32 {
        self.slots[i as usize].lru
    }

    /// Sets the access stamp of slot `i`.
    #[inline]
    pub fn set_lru(&mut self, i: u32, v: u32) {
        self.slots[i as usize].lru = v;
    }

    /// Inserts or replaces; returns the slot index and the previous value.
    pub fn insert(&mut self, key: &[u8], value: V) -> (u32, Option<V>) {
        // One hash serves both the lookup and the insertion.
        let h = self.hash(key);
        if let Some(i) = self.find_hashed(key, h) {
            let old = std::mem::replace(self.value_at_mut(i), value);
            return (i, Some(old));
        }
        (self.insert_hashed(SmallBytes::new(key), value, h), None)
    }

    /// Inserts `key` unless it is present (one hash for both steps);
    /// `Err(value)` gives the value back when it is.
    pub fn insert_if_absent(&mut self, key: &[u8], value: V) -> Result<u32, V> {
        let h = self.hash(key);
        if self.find_hashed(key, h).is_some() {
            return Err(value);
        }
        Ok(self.insert_hashed(SmallBytes::new(key), value, h))
    }

    /// Sizes the table for `total` entries at once (an RDB's RESIZEDB
    /// hint), so a load does not rehash its way up through every power of
    /// two. Never shrinks; the caller bounds `total`.
    pub fn reserve_total(&mut self, total: usize) {
        if total > self.slots.len() {
            self.slots.reserve_exact(total - self.slots.len());
        }
        let want = total.next_power_of_two().max(MIN_BUCKETS);
        if want > self.buckets.len() && self.resize_allowed {
            self.rehash(want);
        }
    }

    /// Inserts a key known to be absent; returns its slot index.
    pub fn insert_new(&mut self, key: SmallBytes, value: V) -> u32 {
        let h = self.hash(&key);
        self.insert_hashed(key, value, h)
    }

    fn insert_hashed(&mut self, key: SmallBytes, value: V, h: u32) -> u32 {
        self.grow_if_needed();
        let b = h as usize & self.mask();
        let head = self.buckets[b];
        let i = if self.free_head != NIL {
            let i = self.free_head;
            let s = &mut self.slots[i as usize];
            self.free_head = s.next;
            s.entry = Some((key, value));
            s.next = head;
            s.hash_flag = h;
            s.lru = 0;
            i
        } else {
            assert!(self.slots.len() < NIL as usize, "dict full");
            self.slots.push(Slot {
                entry: Some((key, value)),
                next: head,
                hash_flag: h,
                lru: 0,
            });
            (self.slots.len() - 1) as u32
        };
        self.buckets[b] = i;
        self.len += 1;
        i
    }

    /// Makes room for `additional` more entries without over-allocating
    /// (for a table about to be filled with a known number of entries;
    /// repeated small reservations would defeat amortized growth).
    pub fn reserve_exact(&mut self, additional: usize) {
        let free = self.slots.len() - self.len;
        if additional > free {
            self.slots.reserve_exact(additional - free);
        }
    }

    /// Removes `key`; returns its key and value.
    pub fn remove(&mut self, key: &[u8]) -> Option<(SmallBytes, V)> {
        let i = self.find(key)?;
        Some(self.remove_at(i))
    }

    /// Removes the entry in slot `i` (which must be occupied).
    pub fn remove_at(&mut self, i: u32) -> (SmallBytes, V) {
        let h = self.slots[i as usize].hash_flag & HASH_MASK;
        let b = h as usize & self.mask();
        // Unlink from the bucket chain.
        if self.buckets[b] == i {
            self.buckets[b] = self.slots[i as usize].next;
        } else {
            let mut p = self.buckets[b];
            while p != NIL {
                let n = self.slots[p as usize].next;
                if n == i {
                    self.slots[p as usize].next = self.slots[i as usize].next;
                    break;
                }
                p = n;
            }
        }
        let s = &mut self.slots[i as usize];
        let entry = s
            .entry
            .take()
            .expect("invariant: removing an occupied slot");
        s.next = self.free_head;
        s.hash_flag = 0;
        self.free_head = i;
        self.len -= 1;
        self.shrink_if_needed();
        entry
    }

    /// Frees the table from a helper thread without stalling others: drops
    /// the entries, hands the (now empty) big arrays' pages back to the
    /// kernel a few megabytes at a time, then frees the arrays, whose unmap
    /// is then cheap.
    pub fn release_gradually(mut self) {
        self.slots.clear();
        let bytes = self.slots.capacity() * std::mem::size_of::<Slot<V>>();
        crate::sys::release_pages_gradually(self.slots.as_ptr().cast(), bytes);
        let bucket_bytes = self.buckets.capacity() * std::mem::size_of::<u32>();
        crate::sys::release_pages_gradually(self.buckets.as_ptr().cast(), bucket_bytes);
    }

    /// Removes everything and returns the old contents as a new table (so
    /// the caller can free it elsewhere, e.g. on a helper thread).
    pub fn take(&mut self) -> Dict<V> {
        std::mem::take(self)
    }

    fn grow_if_needed(&mut self) {
        if self.len >= self.buckets.len()
            && (self.resize_allowed || self.len >= self.buckets.len() * 5)
        {
            self.rehash(self.buckets.len() * 2);
        }
    }

    fn shrink_if_needed(&mut self) {
        if self.resize_allowed
            && self.buckets.len() > MIN_BUCKETS
            && self.len * 8 < self.buckets.len()
        {
            let target = (self.len.max(1)).next_power_of_two().max(MIN_BUCKETS);
            self.rehash(target);
            if self.len == 0 {
                self.slots = Vec::new();
                self.free_head = NIL;
            }
        }
    }

    /// Rebuilds the chains for `n` buckets (a power of two) from the cached
    /// hashes; no key is rehashed.
    fn rehash(&mut self, n: usize) {
        let mut buckets = vec![NIL; n];
        let mask = n - 1;
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.entry.is_some() {
                let b = (s.hash_flag & HASH_MASK) as usize & mask;
                s.next = buckets[b];
                buckets[b] = i as u32;
            }
        }
        self.buckets = buckets;
    }

    /// Resizes to fit the current size (Redis's `tryResizeHashTables`).
    pub fn fit(&mut self) {
        self.shrink_if_needed();
    }

    /// A random occupied slot, as Redis's `dictGetFairRandomKey`
    /// approximates: a random non-empty bucket, then a random chain element.
    pub fn random_slot(&self, rng: &mut u64) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        loop {
            let b = next_random(rng) as usize & self.mask();
            let head = self.buckets[b];
            if head == NIL {
                continue;
            }
            let mut chain_len = 0;
            let mut i = head;
            while i != NIL {
                chain_len += 1;
                i = self.slots[i as usize].next;
            }
            let mut pick = next_random(rng) as usize % chain_len;
            let mut i = head;
            while pick > 0 {
                i = self.slots[i as usize].next;
                pick -= 1;
            }
            return Some(i);
        }
    }

    /// Visits one bucket (the one `cursor` points at) and returns the next
    /// cursor (0 when the scan is complete). The reverse-binary increment
    /// keeps the guarantee across table size changes between calls.
    pub fn scan_step(&self, cursor: u64, mut visit: impl FnMut(u32)) -> u64 {
        let mask = self.mask() as u64;
        let mut i = self.buckets[(cursor & mask) as usize];
        while i != NIL {
            visit(i);
            i = self.slots[i as usize].next;
        }
        // Increment the reversed cursor over the mask's bits.
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// Iterates over all entries with their slot indices.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &SmallBytes, &V)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.entry.as_ref().map(|(k, v)| (i as u32, k, v)))
    }
}

/// xorshift64*: a small, fast generator for sampling (not for security).
pub fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    if x == 0 {
        x = 0x9E37_79B9_7F4A_7C15;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn insert_find_remove() {
        let mut d: Dict<u32> = Dict::new();
        for i in 0..1000u32 {
            assert!(d.insert(format!("k{}", i).as_bytes(), i).1.is_none());
        }
        assert_eq!(d.len(), 1000);
        for i in 0..1000u32 {
            assert_eq!(d.get(format!("k{}", i).as_bytes()), Some(&i));
        }
        for i in (0..1000u32).step_by(2) {
            assert_eq!(d.remove(format!("k{}", i).as_bytes()).unwrap().1, i);
        }
        assert_eq!(d.len(), 500);
        assert!(d.get(b"k0").is_none());
        assert_eq!(d.get(b"k1"), Some(&1));
        assert_eq!(d.insert(b"k1", 7).1, Some(1));
    }

    #[test]
    fn scan_returns_every_stable_element_across_resizes() {
        let mut d: Dict<()> = Dict::new();
        for i in 0..500 {
            d.insert(format!("stable{}", i).as_bytes(), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan_step(cursor, |i| {
                seen.insert(d.entry_at(i).0.to_vec());
            });
            step += 1;
            // Grow, then shrink the table while the scan is in progress.
            if step == 50 {
                for i in 0..5000 {
                    d.insert(format!("tmp{}", i).as_bytes(), ());
                }
            }
            if step == 400 {
                for i in 0..5000 {
                    d.remove(format!("tmp{}", i).as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(
                seen.contains(format!("stable{}", i).as_bytes()),
                "missed {}",
                i
            );
        }
    }

    #[test]
    fn flag_bit_is_independent_of_hash() {
        let mut d: Dict<u8> = Dict::new();
        let (i, _) = d.insert(b"a", 1);
        d.set_flag(i, true);
        assert!(d.flag(i));
        assert_eq!(d.find(b"a"), Some(i));
        for n in 0..100 {
            d.insert(format!("x{}", n).as_bytes(), 0);
        }
        let i = d.find(b"a").unwrap();
        assert!(d.flag(i));
    }

    #[test]
    fn random_slot_finds_entries() {
        let mut d: Dict<u8> = Dict::new();
        let mut rng = 1;
        assert!(d.random_slot(&mut rng).is_none());
        d.insert(b"only", 1);
        let i = d.random_slot(&mut rng).unwrap();
        assert_eq!(d.entry_at(i).0.as_slice(), b"only");
    }
}
