//! Eviction under `maxmemory`: which key goes when memory is over the
//! limit, per `maxmemory-policy`. The LRU, LFU and TTL policies sample
//! `maxmemory-samples` keys of every database into a small pool of the best
//! candidates seen so far (kept across calls, as Redis's eviction pool), and
//! evict the best one that still exists; the random policies pick a random
//! key, visiting the databases in turn.
//!
//! This module only chooses; the server deletes, propagates and counts
//! (`server::evict`).
//!
//! Redis counterpart: `evict.c` (`evictionPoolPopulate`,
//! `performEvictions`' key selection).

use super::Keyspace;

/// `maxmemory-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    VolatileLru,
    AllKeysLfu,
    VolatileLfu,
    AllKeysRandom,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    /// The policy a `maxmemory-policy` value names (validated by the
    /// configuration; anything else means no eviction).
    pub fn parse(name: &str) -> Policy {
        match name {
            "allkeys-lru" => Policy::AllKeysLru,
            "volatile-lru" => Policy::VolatileLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "volatile-lfu" => Policy::VolatileLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    /// Whether only keys with a TTL are candidates.
    fn volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }
}

/// Candidates kept between evictions (Redis's `EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;

/// The best candidates sampled so far: (score, db, key), highest score
/// first to go.
#[derive(Debug)]
pub struct EvictionPool {
    entries: Vec<(u64, usize, Vec<u8>)>,
    /// Database the random policies look at next.
    next_db: usize,
    rng: u64,
}

impl Default for EvictionPool {
    fn default() -> Self {
        EvictionPool {
            entries: Vec::new(),
            next_db: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

impl EvictionPool {
    /// Forgets every candidate (after a flush, a policy change).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Chooses the next key to evict under `policy`, or None when there is
    /// no candidate (no keys, or no volatile keys for a volatile policy).
    pub fn pick(
        &mut self,
        ks: &mut Keyspace,
        policy: Policy,
        samples: usize,
        now_ms: i64,
    ) -> Option<(usize, Vec<u8>)> {
        match policy {
            Policy::NoEviction => None,
            Policy::AllKeysRandom | Policy::VolatileRandom => self.pick_random(ks, policy),
            _ => self.pick_best(ks, policy, samples.max(1), now_ms),
        }
    }

    fn pick_random(&mut self, ks: &mut Keyspace, policy: Policy) -> Option<(usize, Vec<u8>)> {
        let n = ks.dbs.len();
        for _ in 0..n {
            let dbi = self.next_db % n.max(1);
            self.next_db = self.next_db.wrapping_add(1);
            let db = &mut ks.dbs[dbi];
            let slot = if policy.volatile() {
                db.sample_expires(1).first().map(|&(slot, _)| slot)
            } else {
                db.dict.random_slot(&mut self.rng)
            };
            if let Some(slot) = slot {
                return Some((dbi, db.dict.entry_at(slot).0.to_vec()));
            }
        }
        None
    }

    fn pick_best(
        &mut self,
        ks: &mut Keyspace,
        policy: Policy,
        samples: usize,
        now_ms: i64,
    ) -> Option<(usize, Vec<u8>)> {
        loop {
            let mut sampled_any = false;
            for (dbi, db) in ks.dbs.iter_mut().enumerate() {
                // With replacement: a key seen twice is offered once.
                let slots: Vec<(u32, i64)> = if policy.volatile() {
                    (0..samples)
                        .filter_map(|_| db.sample_expires(1).first().copied())
                        .collect()
                } else if db.is_empty() {
                    Vec::new()
                } else {
                    (0..samples)
                        .filter_map(|_| db.dict.random_slot(&mut self.rng))
                        .map(|slot| (slot, 0))
                        .collect()
                };
                for (slot, when) in slots {
                    sampled_any = true;
                    let score = match policy {
                        Policy::VolatileTtl => u64::MAX - when.max(0) as u64,
                        Policy::AllKeysLfu | Policy::VolatileLfu => {
                            255 - u64::from(db.frequency(slot, now_ms).min(255))
                        }
                        _ => db.idle_secs(slot, now_ms),
                    };
                    let key = db.dict.entry_at(slot).0;
                    self.offer(score, dbi, key.as_slice());
                }
            }
            // The best candidate that still exists goes; stale ones (deleted
            // or evicted meanwhile) are dropped.
            while let Some((_, dbi, key)) = self.entries.pop() {
                if let Some(db) = ks.dbs.get(dbi) {
                    let live = db.dict.find(&key).is_some()
                        && (!policy.volatile() || db.expire_of(&key).is_some());
                    if live {
                        return Some((dbi, key));
                    }
                }
            }
            if !sampled_any {
                return None;
            }
        }
    }

    /// Keeps `key` if it scores among the best `POOL_SIZE` (sorted
    /// ascending, so the best is last).
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        if self
            .entries
            .iter()
            .any(|(_, d, k)| *d == db && k.as_slice() == key)
        {
            return;
        }
        if self.entries.len() == POOL_SIZE {
            if self.entries[0].0 >= score {
                return;
            }
            self.entries.remove(0);
        }
        let at = self.entries.partition_point(|(s, _, _)| *s < score);
        self.entries.insert(at, (score, db, key.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Keyspace;
    use crate::types::Value;

    #[test]
    fn policies_parse() {
        assert_eq!(Policy::parse("allkeys-lru"), Policy::AllKeysLru);
        assert_eq!(Policy::parse("volatile-ttl"), Policy::VolatileTtl);
        assert_eq!(Policy::parse("noeviction"), Policy::NoEviction);
    }

    #[test]
    fn lru_prefers_the_idlest_key() {
        let mut ks = Keyspace::new(2);
        let now = 1_700_000_000_000;
        ks.set_clock(now - 100_000);
        ks.dbs[0].set(b"old", Value::Int(1), false);
        ks.set_clock(now);
        for i in 0..4 {
            ks.dbs[1].set(format!("new{}", i).as_bytes(), Value::Int(i), false);
        }
        let mut pool = EvictionPool::default();
        // Enough samples to see every key: the old one goes first.
        let got = pool.pick(&mut ks, Policy::AllKeysLru, 10, now);
        assert_eq!(got, Some((0, b"old".to_vec())));
    }

    #[test]
    fn volatile_policies_only_see_keys_with_a_ttl_and_ttl_picks_the_soonest() {
        let mut ks = Keyspace::new(1);
        let now = 1_700_000_000_000;
        ks.set_clock(now);
        let db = &mut ks.dbs[0];
        db.set(b"forever", Value::Int(1), false);
        db.set(b"late", Value::Int(2), false);
        db.set_expire(b"late", now + 100_000);
        db.set(b"soon", Value::Int(3), false);
        db.set_expire(b"soon", now + 1_000);
        let mut pool = EvictionPool::default();
        assert_eq!(
            pool.pick(&mut ks, Policy::VolatileTtl, 64, now),
            Some((0, b"soon".to_vec()))
        );
        ks.dbs[0].remove(b"soon");
        ks.dbs[0].remove(b"late");
        let mut pool = EvictionPool::default();
        for policy in [
            Policy::VolatileTtl,
            Policy::VolatileLru,
            Policy::VolatileRandom,
        ] {
            assert_eq!(pool.pick(&mut ks, policy, 10, now), None);
        }
        assert_eq!(
            pool.pick(&mut ks, Policy::AllKeysRandom, 10, now),
            Some((0, b"forever".to_vec()))
        );
        assert_eq!(pool.pick(&mut ks, Policy::NoEviction, 10, now), None);
    }

    #[test]
    fn stale_pool_entries_are_skipped() {
        let mut ks = Keyspace::new(1);
        let now = 1_700_000_000_000;
        ks.set_clock(now);
        ks.dbs[0].set(b"a", Value::Int(1), false);
        ks.dbs[0].set(b"b", Value::Int(1), false);
        let mut pool = EvictionPool::default();
        let (_, first) = pool.pick(&mut ks, Policy::AllKeysLru, 10, now).unwrap();
        ks.dbs[0].remove(&first);
        let (_, second) = pool.pick(&mut ks, Policy::AllKeysLru, 10, now).unwrap();
        assert_ne!(first, second);
        ks.dbs[0].remove(&second);
        assert_eq!(pool.pick(&mut ks, Policy::AllKeysLru, 10, now), None);
    }
}
