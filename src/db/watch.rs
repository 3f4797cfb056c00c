//! `WatchedKeys`: the WATCH registry. Maps each watched (db, key) to the
//! clients watching it, remembers per client which keys it watches, and
//! which clients' transactions a write has spoiled (Redis's
//! `CLIENT_DIRTY_CAS`). Writes reach it through `Server::key_modified`;
//! FLUSHDB/FLUSHALL/DEBUG RELOAD through `touch_flushed`, SWAPDB through
//! `touch_swapped`.
//!
//! Expiry needs no hook: a watched key that had a TTL when it was watched
//! and is past it at EXEC (deleted by expiry or only logically expired)
//! fails the transaction, exactly what Redis 7.0 gets by touching the key
//! when expiry deletes it plus its check at EXEC. A key already expired at
//! WATCH time is flagged `expired`: its deletion by expiry changes nothing
//! logically, as in Redis.
//!
//! Redis counterpart: `watchForKey`, `unwatchAllKeys`, `touchWatchedKey`,
//! `touchAllWatchedKeysInDb`, `isWatchedKeyExpired` (`multi.c`).

use std::collections::{HashMap, HashSet};

use super::Db;

/// A key in a database.
pub type DbKey = (usize, Vec<u8>);

/// One client's watch on one key.
#[derive(Debug, Clone, Copy)]
struct Watcher {
    /// Client id.
    client: u64,
    /// The key was already (logically) expired when watched.
    expired: bool,
    /// The key's TTL (unix ms) when watched, if it was live with one.
    deadline: Option<i64>,
}

type Watchers = HashMap<Vec<u8>, Vec<Watcher>, ahash::RandomState>;

/// The WATCH registry.
#[derive(Debug, Default)]
pub struct WatchedKeys {
    /// Watchers per key, per database (looked up by `&[u8]`: a write
    /// costs no allocation).
    by_key: HashMap<usize, Watchers>,
    /// Keys watched per client id, in WATCH order.
    by_client: HashMap<u64, Vec<DbKey>>,
    /// Clients whose watched keys were touched.
    dirty: HashSet<u64>,
}

/// Whether a key is in the table, expired or not (Redis's `dictFind`).
fn raw_exists(db: &Db, key: &[u8]) -> bool {
    db.dict.find(key).is_some()
}

/// Whether a key is in the table but past its TTL (Redis's `keyIsExpired`).
fn logically_expired(db: &Db, key: &[u8], now_ms: i64) -> bool {
    db.expire_of(key).is_some_and(|when| when < now_ms)
}

impl WatchedKeys {
    /// Whether no client watches anything (the cheap check on every write).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Number of keys a client watches.
    pub fn count_of(&self, client: u64) -> usize {
        self.by_client.get(&client).map_or(0, Vec::len)
    }

    /// Whether a watched key of the client was touched.
    pub fn is_dirty(&self, client: u64) -> bool {
        self.dirty.contains(&client)
    }

    /// Starts watching `key` of database `db` (a no-op if already watched),
    /// noting whether it is expired now and its TTL.
    pub fn watch(&mut self, client: u64, dbi: usize, db: &Db, key: &[u8], now_ms: i64) {
        let dk = (dbi, key.to_vec());
        let keys = self.by_client.entry(client).or_default();
        if keys.contains(&dk) {
            return;
        }
        keys.push(dk.clone());
        let ttl = db.expire_of(key);
        let expired = ttl.is_some_and(|when| when < now_ms);
        let w = Watcher {
            client,
            expired,
            deadline: if expired { None } else { ttl },
        };
        self.by_key
            .entry(dbi)
            .or_default()
            .entry(dk.1)
            .or_default()
            .push(w);
    }

    /// Forgets every key the client watches and its dirty flag (UNWATCH,
    /// EXEC, DISCARD, RESET, disconnect).
    pub fn unwatch_all(&mut self, client: u64) {
        self.dirty.remove(&client);
        let Some(keys) = self.by_client.remove(&client) else {
            return;
        };
        for (dbi, key) in keys {
            let Some(db) = self.by_key.get_mut(&dbi) else {
                continue;
            };
            if let Some(ws) = db.get_mut(&key) {
                ws.retain(|w| w.client != client);
                if ws.is_empty() {
                    db.remove(&key);
                }
            }
            if db.is_empty() {
                self.by_key.remove(&dbi);
            }
        }
    }

    /// A write to `key` of database `dbi`: every client watching it is
    /// dirty, except that deleting a key that was already expired when
    /// watched is no logical change.
    pub fn touch(&mut self, dbi: usize, key: &[u8], db: &Db) {
        let Some(ws) = self.by_key.get_mut(&dbi).and_then(|d| d.get_mut(key)) else {
            return;
        };
        let mut exists: Option<bool> = None;
        for w in ws.iter_mut() {
            if w.expired && !*exists.get_or_insert_with(|| raw_exists(db, key)) {
                w.expired = false;
                continue;
            }
            self.dirty.insert(w.client);
        }
    }

    /// Database `dbi` is about to be emptied: clients watching a key that
    /// exists in it are dirty (keys already expired when watched excepted).
    pub fn touch_flushed(&mut self, dbi: usize, db: &Db) {
        let Some(watched) = self.by_key.get_mut(&dbi) else {
            return;
        };
        for (key, ws) in watched.iter_mut() {
            if !raw_exists(db, key) {
                continue;
            }
            for w in ws.iter_mut() {
                if w.expired {
                    w.expired = false;
                } else {
                    self.dirty.insert(w.client);
                }
            }
        }
    }

    /// Databases `a` and `b` are about to be swapped (SWAPDB): keys watched
    /// in either whose contents change are touched, as Redis 7.0 does it
    /// (a key only logically expired on both sides stays unchanged).
    pub fn touch_swapped(&mut self, a: usize, b: usize, dbs: &[Db], now_ms: i64) {
        if a == b {
            return;
        }
        for (emptied, with) in [(a, b), (b, a)] {
            let (de, dw) = (&dbs[emptied], &dbs[with]);
            let Some(watched) = self.by_key.get_mut(&emptied) else {
                continue;
            };
            for (key, ws) in watched.iter_mut() {
                let in_emptied = raw_exists(de, key);
                let in_with = raw_exists(dw, key);
                if !in_emptied && !in_with {
                    continue;
                }
                let with_expired = in_with && logically_expired(dw, key, now_ms);
                for w in ws.iter_mut() {
                    if w.expired {
                        if !in_with {
                            w.expired = false;
                            w.deadline = None;
                            continue;
                        }
                        if with_expired {
                            continue;
                        }
                    } else if !in_emptied && with_expired {
                        w.expired = true;
                        w.deadline = None;
                        continue;
                    }
                    self.dirty.insert(w.client);
                }
            }
        }
    }

    /// At EXEC: whether a key the client watched while it had a TTL is now
    /// past it (expired since WATCH), which fails the transaction.
    pub fn expired_since_watch(&self, client: u64, now_ms: i64) -> bool {
        let Some(keys) = self.by_client.get(&client) else {
            return false;
        };
        keys.iter().any(|(dbi, key)| {
            let ws = self.by_key.get(dbi).and_then(|d| d.get(key));
            ws.is_some_and(|ws| {
                ws.iter().any(|w| {
                    w.client == client && !w.expired && w.deadline.is_some_and(|t| t < now_ms)
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;

    fn db_with(keys: &[(&str, Option<i64>)]) -> Db {
        let mut db = Db::new();
        for (k, ttl) in keys {
            db.insert_new(k.as_bytes(), Value::string(b"v"));
            if let Some(t) = ttl {
                db.set_expire(k.as_bytes(), *t);
            }
        }
        db
    }

    #[test]
    fn touch_marks_watchers_and_unwatch_clears() {
        let db = db_with(&[("a", None)]);
        let mut w = WatchedKeys::default();
        w.watch(1, 0, &db, b"a", 100);
        w.watch(1, 0, &db, b"a", 100);
        w.watch(2, 0, &db, b"a", 100);
        assert_eq!(w.count_of(1), 1);
        w.touch(1, b"a", &db);
        assert!(!w.is_dirty(1));
        w.touch(0, b"a", &db);
        assert!(w.is_dirty(1) && w.is_dirty(2));
        w.unwatch_all(1);
        w.unwatch_all(2);
        assert!(w.is_empty() && !w.is_dirty(1));
    }

    #[test]
    fn expiry_rules() {
        let db = db_with(&[("live", Some(200)), ("dead", Some(50))]);
        let mut w = WatchedKeys::default();
        w.watch(1, 0, &db, b"live", 100);
        assert!(!w.expired_since_watch(1, 200));
        assert!(w.expired_since_watch(1, 201));
        w.watch(2, 0, &db, b"dead", 100);
        assert!(!w.expired_since_watch(2, 1000));
        // Its deletion by expiry is no change; a later write is.
        let empty = Db::new();
        w.touch(0, b"dead", &empty);
        assert!(!w.is_dirty(2));
        w.touch(0, b"dead", &empty);
        assert!(w.is_dirty(2));
    }

    #[test]
    fn flush_and_swap() {
        let full = db_with(&[("k", None)]);
        let empty = Db::new();
        let mut w = WatchedKeys::default();
        w.watch(1, 0, &empty, b"k", 0);
        w.watch(2, 0, &empty, b"other", 0);
        w.touch_flushed(0, &empty);
        assert!(!w.is_dirty(1));
        w.touch_flushed(0, &full);
        assert!(w.is_dirty(1) && !w.is_dirty(2));
        let mut w = WatchedKeys::default();
        w.watch(1, 0, &empty, b"k", 0);
        w.watch(2, 1, &empty, b"none", 0);
        let dbs = vec![Db::new(), full];
        w.touch_swapped(0, 1, &dbs, 0);
        assert!(w.is_dirty(1) && !w.is_dirty(2));
    }
}
