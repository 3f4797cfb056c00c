//! The active expiry cycle: each cron tick samples keys that have a TTL in
//! every database and deletes the due ones, repeating while more than a
//! quarter of a sample had expired, within a time budget.
//!
//! Redis counterpart: `expire.c` (`activeExpireCycle`).

use std::time::{Duration, Instant};

use super::Keyspace;

/// Keys sampled per database per round.
pub const KEYS_PER_LOOP: usize = 20;

/// Runs one active expiry cycle over all databases. `budget` bounds the
/// time spent; `on_expired(db, key)` is told about every key removed.
/// Returns the number of keys removed.
pub fn active_expire_cycle(
    ks: &mut Keyspace,
    now_ms: i64,
    budget: Duration,
    mut on_expired: impl FnMut(usize, Vec<u8>),
) -> usize {
    let start = Instant::now();
    let mut total = 0;
    for (dbid, db) in ks.dbs.iter_mut().enumerate() {
        let mut rounds = 0u32;
        loop {
            if db.expires.is_empty() {
                break;
            }
            let sample = db.sample_expires(KEYS_PER_LOOP);
            let sampled = sample.len();
            let mut expired = 0;
            let mut ttl_sum = 0i64;
            let mut ttl_n = 0i64;
            for (slot, when) in sample {
                if let Some(key) = db.expire_slot_if_due(slot, now_ms) {
                    expired += 1;
                    on_expired(dbid, key);
                } else if when > now_ms {
                    ttl_sum += when - now_ms;
                    ttl_n += 1;
                }
            }
            if ttl_n > 0 {
                let avg = ttl_sum / ttl_n;
                // Running average weighted towards the history, as Redis.
                db.avg_ttl = if db.avg_ttl == 0 {
                    avg
                } else {
                    (db.avg_ttl / 50) * 49 + avg / 50
                };
            }
            total += expired;
            rounds += 1;
            // Sampling with replacement can pick an expired slot twice; the
            // second pick is a no-op, so `expired` never exceeds `sampled`.
            if expired * 4 <= sampled {
                break;
            }
            if rounds.is_multiple_of(16) && start.elapsed() >= budget {
                return total;
            }
        }
        if start.elapsed() >= budget {
            break;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;

    #[test]
    fn removes_due_keys_and_keeps_others() {
        let mut ks = Keyspace::new(2);
        for i in 0..1000 {
            let k = format!("k{}", i);
            ks.dbs[1].set(k.as_bytes(), Value::Int(i), false);
            ks.dbs[1].set_expire(k.as_bytes(), if i < 900 { 10 } else { 10_000 });
        }
        let mut seen = 0;
        let mut cycles = 0;
        while ks.dbs[1].len() > 100 && cycles < 1000 {
            active_expire_cycle(&mut ks, 100, Duration::from_millis(25), |db, _| {
                assert_eq!(db, 1);
                seen += 1;
            });
            cycles += 1;
        }
        assert_eq!(ks.dbs[1].len(), 100);
        assert_eq!(seen, 900);
        assert_eq!(ks.dbs[1].expired_keys, 900);
    }
}
