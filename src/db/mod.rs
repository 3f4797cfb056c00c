//! The keyspace: numbered databases, each a `Dict` of values plus an index
//! of expiry times. This is the only code that touches the map of keys;
//! every read goes through `lookup_*`, which expires stale keys lazily.
//!
//! Redis counterpart: `db.c` (lookupKey*, setKey, dbDelete, expireIfNeeded).

pub mod access;
pub mod blocking;
pub mod dict;
pub mod evict;
pub mod expire;
pub mod lazyfree;
pub mod watch;

use std::collections::HashMap;

use crate::types::{SmallBytes, Value};
pub use dict::Dict;

/// Expiry times of the keys that have one, addressed by the key's slot in
/// the `Dict`, with O(1) insert, remove and random sampling.
#[derive(Default)]
pub struct ExpireIndex {
    /// (slot, unix ms) pairs, dense so a random element is one index away.
    entries: Vec<(u32, i64)>,
    /// slot → position in `entries`.
    pos: HashMap<u32, u32, ahash::RandomState>,
}

impl ExpireIndex {
    fn get(&self, slot: u32) -> Option<i64> {
        self.pos.get(&slot).map(|&p| self.entries[p as usize].1)
    }

    fn set(&mut self, slot: u32, when: i64) {
        if let Some(&p) = self.pos.get(&slot) {
            self.entries[p as usize].1 = when;
        } else {
            self.pos.insert(slot, self.entries.len() as u32);
            self.entries.push((slot, when));
        }
    }

    fn remove(&mut self, slot: u32) -> Option<i64> {
        let p = self.pos.remove(&slot)? as usize;
        let (_, when) = self.entries.swap_remove(p);
        if p < self.entries.len() {
            let moved = self.entries[p].0;
            self.pos.insert(moved, p as u32);
        }
        if self.entries.capacity() > 64 && self.entries.len() * 4 < self.entries.capacity() {
            self.entries.shrink_to(self.entries.len() * 2);
        }
        Some(when)
    }

    /// Number of keys with a TTL.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key has a TTL.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn clear(&mut self) {
        self.entries = Vec::new();
        self.pos = HashMap::default();
    }
}

/// How lookups treat keys whose TTL has passed (replicas keep them until
/// the master's `DEL`, as Redis 7.0's `expireIfNeeded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpireMode {
    /// A master: an expired key is deleted when met.
    #[default]
    Normal,
    /// A replica serving its clients: an expired key reads as missing but
    /// stays.
    ReplicaRead,
    /// A replica applying its master's stream: keys exist until the
    /// master deletes them.
    MasterApply,
}

/// One numbered database.
#[derive(Default)]
pub struct Db {
    /// Expired-key handling (set by `Keyspace::set_expire_mode`).
    pub expire_mode: ExpireMode,
    /// Keys and values. The slot flag bit marks keys with a TTL.
    pub dict: Dict<Value>,
    /// Expiry times of the keys that have one.
    pub expires: ExpireIndex,
    /// Keys removed because they had expired (lazy and active).
    pub expired_keys: u64,
    /// Average TTL estimate kept by the active expiry cycle (ms).
    pub avg_ttl: i64,
    /// Where the active expiry cycle resumes sampling.
    pub expire_cursor: u64,
    /// Random state for sampling.
    rng: u64,
    /// The LRU clock stamped on keys written without a `now` at hand,
    /// kept current by `Keyspace::set_clock`.
    now_lru: u32,
    /// Unix seconds, kept current by `Keyspace::set_clock` (LFU stamps).
    now_secs: i64,
    /// LRU or LFU stamps, from `maxmemory-policy`.
    pub policy: access::AccessPolicy,
    /// A fork child exists: reads do not stamp access times (set by
    /// `Keyspace::set_fork_child_active`).
    fork_child: bool,
    /// Which implicit deletions free big values off the reactor.
    pub lazy: LazyDeletes,
    /// Big values the server removed by itself (overwrites, expiry) under
    /// a `lazyfree-lazy-*` directive, waiting to be handed to the lazy-free
    /// thread by `Keyspace::take_graveyard` after the command.
    pub graveyard: Vec<Value>,
    /// Keys deleted by lazy expiry, until propagation hands them on as
    /// `DEL` (see `server::propagate`).
    pub lazy_expired: Vec<Vec<u8>>,
    /// The `notify-keyspace-events` classes the database itself reports
    /// (new keys, lazy expiry, key misses); set by `Keyspace::set_notify_mask`.
    pub notify_mask: u32,
    /// Keyspace events noticed here (class, event, key), published by
    /// `server::pubsub` before the next notification and after the command.
    pub events: Vec<(u32, &'static str, Vec<u8>)>,
}

/// The `lazyfree-lazy-*` directives that concern deletions the server
/// makes on its own (not DEL/UNLINK/FLUSH*, which decide per command).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LazyDeletes {
    /// `lazyfree-lazy-server-del`: overwritten values and destination keys
    /// deleted by RENAME, MOVE, COPY, *STORE.
    pub server_del: bool,
    /// `lazyfree-lazy-expire`: keys deleted because they expired.
    pub expire: bool,
}

/// Why the server removes a key on its own (see `Db::discard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discard {
    /// A destination or overwritten key (`lazyfree-lazy-server-del`).
    ServerDel,
    /// A key whose time has come (`lazyfree-lazy-expire`).
    Expire,
}

/// What a lookup found.
pub enum Lookup<'a> {
    Found(&'a Value),
    Missing,
}

impl Db {
    /// An empty database.
    pub fn new() -> Self {
        Db {
            rng: 0x2545_F491_4F6C_DD1D,
            ..Default::default()
        }
    }

    /// Number of keys (including expired ones not yet reclaimed).
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// Whether the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Slot of a live key without updating its access time (OBJECT,
    /// TYPE-like inspection, SCAN filters), deleting it if expired.
    #[inline]
    pub fn peek(&mut self, key: &[u8], now_ms: i64) -> Option<u32> {
        self.find_live_inner(key, now_ms)
    }

    /// Slot of a live key, deleting it first if it has expired; records the
    /// access for OBJECT IDLETIME.
    #[inline]
    pub fn find_live(&mut self, key: &[u8], now_ms: i64) -> Option<u32> {
        let i = self.find_live_inner(key, now_ms)?;
        self.touch(i, now_ms);
        Some(i)
    }

    /// Records an access to the key in slot `i`.
    #[inline]
    fn touch(&mut self, i: u32, now_ms: i64) {
        if self.fork_child {
            // As Redis: no stamp writes while a child shares the pages.
            return;
        }
        if self.policy.lfu {
            let r = (dict::next_random(&mut self.rng) >> 11) as f64 / (1u64 << 53) as f64;
            let stamp = access::lfu_touch(self.dict.lru(i), now_ms / 1000, self.policy, r);
            self.dict.set_lru(i, stamp);
        } else {
            self.dict.set_lru(i, lru_clock(now_ms));
        }
    }

    /// The stamp a newly written key gets.
    #[inline]
    fn fresh_stamp(&self) -> u32 {
        if self.policy.lfu {
            access::lfu_new(self.now_secs)
        } else {
            self.now_lru
        }
    }

    /// The LFU counter of slot `i` after decay (OBJECT FREQ).
    pub fn frequency(&self, i: u32, now_ms: i64) -> u32 {
        access::lfu_decayed(self.dict.lru(i), now_ms / 1000, self.policy)
    }

    #[inline]
    fn find_live_inner(&mut self, key: &[u8], now_ms: i64) -> Option<u32> {
        let i = self.dict.find(key)?;
        if self.dict.flag(i) {
            if let Some(when) = self.expires.get(i) {
                if when < now_ms {
                    match self.expire_mode {
                        ExpireMode::Normal => {}
                        ExpireMode::ReplicaRead => return None,
                        ExpireMode::MasterApply => return Some(i),
                    }
                    let (k, v) = self.remove_slot(i);
                    self.dispose(v, self.lazy.expire);
                    self.note_event(crate::config::notify::EXPIRED, "expired", &k);
                    self.lazy_expired.push(k.to_vec());
                    self.expired_keys += 1;
                    return None;
                }
            }
        }
        Some(i)
    }

    /// The value of a live key.
    #[inline]
    pub fn get(&mut self, key: &[u8], now_ms: i64) -> Option<&Value> {
        let i = self.find_live(key, now_ms)?;
        Some(self.dict.value_at(i))
    }

    /// The value of a live key, mutably.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Value> {
        let i = self.find_live(key, now_ms)?;
        Some(self.dict.value_at_mut(i))
    }

    /// Whether a live key exists.
    pub fn contains(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.find_live(key, now_ms).is_some()
    }

    /// Sets a key, overwriting any value. With `keep_ttl` an existing TTL
    /// survives; otherwise it is removed. The old value is freed (off the
    /// reactor when big and `lazyfree-lazy-server-del` says so); returns
    /// whether there was one.
    #[inline]
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) -> bool {
        let (i, old) = self.dict.insert(key, value);
        // An overwrite keeps the key's LFU history, as Redis does.
        if old.is_none() || !self.policy.lfu {
            let stamp = self.fresh_stamp();
            self.dict.set_lru(i, stamp);
        }
        let Some(old) = old else {
            self.note_event(crate::config::notify::NEW, "new", key);
            return false;
        };
        if !keep_ttl && self.dict.flag(i) {
            self.expires.remove(i);
            self.dict.set_flag(i, false);
        }
        self.dispose(old, self.lazy.server_del);
        true
    }

    /// Frees a value the server removed: big ones go to the graveyard when
    /// `lazy`, everything else is dropped here.
    #[inline]
    fn dispose(&mut self, v: Value, lazy: bool) {
        if lazy && v.free_effort() > lazyfree::LAZYFREE_THRESHOLD {
            self.graveyard.push(v);
        }
    }

    /// Removes a key the server deletes on its own account (a destination
    /// being replaced, an EXPIRE into the past), freeing its value as the
    /// matching `lazyfree-lazy-*` directive says. Returns whether it existed.
    pub fn discard(&mut self, key: &[u8], why: Discard) -> bool {
        let Some(v) = self.remove(key) else {
            return false;
        };
        let lazy = match why {
            Discard::ServerDel => self.lazy.server_del,
            Discard::Expire => self.lazy.expire,
        };
        self.dispose(v, lazy);
        true
    }

    /// Seconds since the key in slot `i` was last accessed.
    pub fn idle_secs(&self, i: u32, now_ms: i64) -> u64 {
        let now = lru_clock(now_ms);
        let then = self.dict.lru(i);
        let diff = if now >= then {
            now - then
        } else {
            now + (LRU_CLOCK_MAX - then)
        };
        diff as u64
    }

    /// Inserts a key that the caller knows is absent (or expired and
    /// already removed by a lookup).
    pub fn insert_new(&mut self, key: &[u8], value: Value) -> u32 {
        let i = self.dict.insert_new(SmallBytes::new(key), value);
        let stamp = self.fresh_stamp();
        self.dict.set_lru(i, stamp);
        self.note_event(crate::config::notify::NEW, "new", key);
        i
    }

    /// Records a keyspace event of `class` for `key` when the
    /// configuration asks for that class (one flag test otherwise).
    #[inline]
    pub fn note_event(&mut self, class: u32, event: &'static str, key: &[u8]) {
        if self.notify_mask & class != 0 {
            self.events.push((class, event, key.to_vec()));
        }
    }

    /// Inserts a key unless it exists (the RDB loader: a duplicate is
    /// corruption); `Err(value)` when it does.
    pub fn insert_if_absent(&mut self, key: &[u8], value: Value) -> Result<u32, Value> {
        let i = self.dict.insert_if_absent(key, value)?;
        let stamp = self.fresh_stamp();
        self.dict.set_lru(i, stamp);
        Ok(i)
    }

    /// Deletes a key (live or not). Returns the removed value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let i = self.dict.find(key)?;
        Some(self.remove_slot(i).1)
    }

    /// Deletes a live key; false when it did not exist (or had expired).
    pub fn delete(&mut self, key: &[u8], now_ms: i64) -> Option<Value> {
        let i = self.find_live(key, now_ms)?;
        Some(self.remove_slot(i).1)
    }

    fn remove_slot(&mut self, i: u32) -> (SmallBytes, Value) {
        if self.dict.flag(i) {
            self.expires.remove(i);
        }
        self.dict.remove_at(i)
    }

    /// The expiry time (unix ms) of a key, if it has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        let i = self.dict.find(key)?;
        self.expire_at_slot(i)
    }

    fn expire_at_slot(&self, i: u32) -> Option<i64> {
        if self.dict.flag(i) {
            self.expires.get(i)
        } else {
            None
        }
    }

    /// Sets the expiry time of an existing key. Returns false if absent.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) -> bool {
        let Some(i) = self.dict.find(key) else {
            return false;
        };
        self.expires.set(i, when_ms);
        self.dict.set_flag(i, true);
        true
    }

    /// Removes the TTL of a key. Returns true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let Some(i) = self.dict.find(key) else {
            return false;
        };
        if self.dict.flag(i) {
            self.dict.set_flag(i, false);
            self.expires.remove(i).is_some()
        } else {
            false
        }
    }

    /// Removes every key; returns the old table so it can be dropped
    /// elsewhere.
    pub fn clear(&mut self) -> Dict<Value> {
        self.expires.clear();
        self.dict.take()
    }

    /// A random live key (RANDOMKEY), expiring stale ones it meets.
    pub fn random_key(&mut self, now_ms: i64) -> Option<Vec<u8>> {
        // Bounded attempts: if every sampled key has expired, deleting them
        // makes progress; give up after many tries like Redis does.
        for _ in 0..100 {
            let i = self.dict.random_slot(&mut self.rng)?;
            if let Some(when) = self.expire_at_slot(i) {
                if when < now_ms {
                    if self.expire_mode != ExpireMode::Normal {
                        continue;
                    }
                    let (k, v) = self.remove_slot(i);
                    self.dispose(v, self.lazy.expire);
                    self.note_event(crate::config::notify::EXPIRED, "expired", &k);
                    self.lazy_expired.push(k.to_vec());
                    self.expired_keys += 1;
                    continue;
                }
            }
            return Some(self.dict.entry_at(i).0.to_vec());
        }
        let i = self.dict.random_slot(&mut self.rng)?;
        Some(self.dict.entry_at(i).0.to_vec())
    }

    /// A random sample of up to `n` keys with a TTL, as (slot, when).
    pub fn sample_expires(&mut self, n: usize) -> Vec<(u32, i64)> {
        let len = self.expires.len();
        let mut out = Vec::with_capacity(n.min(len));
        if len == 0 {
            return out;
        }
        for _ in 0..n.min(len) {
            let r = dict::next_random(&mut self.rng) as usize % len;
            out.push(self.expires.entries[r]);
        }
        out
    }

    /// Expires the key in slot `i` if it is still due (active expiry).
    pub fn expire_slot_if_due(&mut self, i: u32, now_ms: i64) -> Option<Vec<u8>> {
        match self.expire_at_slot(i) {
            Some(when) if when < now_ms && self.expire_mode == ExpireMode::Normal => {
                let (k, v) = self.remove_slot(i);
                self.dispose(v, self.lazy.expire);
                self.expired_keys += 1;
                Some(k.to_vec())
            }
            _ => None,
        }
    }
}

/// Largest value of the 24-bit LRU clock (seconds resolution), as Redis.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// Redis's LRU clock: unix seconds modulo 2^24.
#[inline]
pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u64 & LRU_CLOCK_MAX as u64) as u32
}

/// All databases.
pub struct Keyspace {
    pub dbs: Vec<Db>,
}

impl Keyspace {
    /// `n` empty databases.
    pub fn new(n: usize) -> Self {
        Keyspace {
            dbs: (0..n).map(|_| Db::new()).collect(),
        }
    }

    /// Sets how every database treats expired keys (replicas).
    pub fn set_expire_mode(&mut self, mode: ExpireMode) {
        for d in &mut self.dbs {
            d.expire_mode = mode;
        }
    }

    /// Keeps every database's LRU clock current (called when the server
    /// refreshes its cached time).
    #[inline]
    pub fn set_clock(&mut self, now_ms: i64) {
        let secs = now_ms / 1000;
        if self.dbs.first().is_some_and(|d| d.now_secs != secs) {
            let c = lru_clock(now_ms);
            for d in &mut self.dbs {
                d.now_lru = c;
                d.now_secs = secs;
            }
        }
    }

    /// Applies the access-tracking policy (from `maxmemory-policy`,
    /// `lfu-log-factor`, `lfu-decay-time`) to every database.
    pub fn set_access_policy(&mut self, policy: access::AccessPolicy) {
        for d in &mut self.dbs {
            d.policy = policy;
        }
    }

    /// Sets which keyspace events (new keys, lazy expiry, key misses) the
    /// databases record, from `notify-keyspace-events`.
    pub fn set_notify_mask(&mut self, flags: u32) {
        use crate::config::notify::*;
        let mut mask = 0;
        if flags & (KEYSPACE | KEYEVENT) != 0 {
            mask = flags & (NEW | EXPIRED | KEY_MISS);
        }
        for d in &mut self.dbs {
            d.notify_mask = mask;
        }
    }

    /// Applies the `lazyfree-lazy-server-del` / `-lazy-expire` directives.
    pub fn set_lazy_deletes(&mut self, lazy: LazyDeletes) {
        for d in &mut self.dbs {
            d.lazy = lazy;
        }
    }

    /// Takes the big values waiting in database `db`'s graveyard (cheap
    /// when there are none: called after every command).
    #[inline]
    pub fn take_graveyard(&mut self, db: usize) -> Option<Vec<Value>> {
        let d = self.dbs.get_mut(db)?;
        if d.graveyard.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut d.graveyard))
        }
    }

    /// Whether a fork child (BGSAVE, AOF rewrite) shares the memory: while
    /// it does, the tables only resize past a load factor of 5 (Redis's
    /// `dict_force_resize_ratio`) and reads stop stamping access times, so
    /// copy-on-write copies as few pages as possible.
    pub fn set_fork_child_active(&mut self, active: bool) {
        for d in &mut self.dbs {
            d.fork_child = active;
            d.dict.resize_allowed = !active;
        }
    }

    /// Total keys over all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(|d| d.len()).sum()
    }

    /// Total expired keys over all databases.
    pub fn expired_keys(&self) -> u64 {
        self.dbs.iter().map(|d| d.expired_keys).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_expiry_removes_stale_keys() {
        let mut db = Db::new();
        db.set(b"a", Value::string(b"1"), false);
        db.set_expire(b"a", 100);
        assert!(db.get(b"a", 99).is_some());
        assert_eq!(db.expire_of(b"a"), Some(100));
        assert!(db.get(b"a", 100).is_some());
        assert!(db.get(b"a", 101).is_none());
        assert_eq!(db.len(), 0);
        assert_eq!(db.expired_keys, 1);
        assert!(db.expires.is_empty());
    }

    #[test]
    fn overwrite_clears_ttl_unless_kept() {
        let mut db = Db::new();
        db.set(b"a", Value::string(b"1"), false);
        db.set_expire(b"a", 100);
        db.set(b"a", Value::string(b"2"), true);
        assert_eq!(db.expire_of(b"a"), Some(100));
        db.set(b"a", Value::string(b"3"), false);
        assert_eq!(db.expire_of(b"a"), None);
        assert!(db.expires.is_empty());
    }

    #[test]
    fn expire_index_survives_swap_remove() {
        let mut db = Db::new();
        for i in 0..10 {
            let k = format!("k{}", i);
            db.set(k.as_bytes(), Value::Int(i), false);
            db.set_expire(k.as_bytes(), 1000 + i);
        }
        db.remove(b"k3");
        for i in 0..10 {
            let k = format!("k{}", i);
            let want = if i == 3 { None } else { Some(1000 + i) };
            assert_eq!(db.expire_of(k.as_bytes()), want);
        }
    }
}
