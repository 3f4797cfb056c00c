//! `maxmemory` enforcement: before a command runs (and from cron while an
//! eviction pass is unfinished), keys are evicted per `maxmemory-policy`
//! until the memory in use is back under the limit. Evicted keys are
//! propagated as `DEL` (`UNLINK` and freed off the reactor with
//! `lazyfree-lazy-eviction yes`) and counted in `evicted_keys`. A pass
//! stops after the time `maxmemory-eviction-tenacity` allows, leaving the
//! rest to the next command or tick.
//!
//! Redis counterpart: `performEvictions` in `evict.c`.

use std::time::{Duration, Instant};

use super::Server;
use crate::db::evict::Policy;

/// How long one eviction pass may run (Redis's `evictionTimeLimitUs`):
/// linear up to 500 µs at tenacity 10, then 15% more per step, unbounded
/// at 100.
fn time_limit(tenacity: i64) -> Option<Duration> {
    match tenacity {
        t if t <= 10 => Some(Duration::from_micros(50 * t.max(0) as u64)),
        t if t < 100 => Some(Duration::from_micros(
            (500.0 * 1.15f64.powi((t - 10) as i32)) as u64,
        )),
        _ => None,
    }
}

/// Evicts until memory is under `maxmemory`. Returns false when memory is
/// over the limit and nothing could be freed (the caller refuses commands
/// that may grow memory with `-OOM`); true when within the limit, or when
/// memory is being freed (this pass ran out of time, or values are still
/// waiting on the lazy-free thread).
pub fn perform_evictions(srv: &mut Server) -> bool {
    let max = srv.config.maxmemory;
    // Nothing is evicted while the dataset loads or clients are paused
    // (the dataset must stay as it is then).
    if max == 0 || srv.persistence.loading.active || srv.effective_pause() != super::PauseKind::None
    {
        return true;
    }
    // A replica leaves eviction to its master (replica-ignore-maxmemory).
    if crate::replication::replica::is_replica(srv)
        && srv.config.get_bool("replica-ignore-maxmemory")
    {
        return true;
    }
    let used = crate::sys::used_memory() as u64;
    if used <= max {
        return true;
    }
    let policy = Policy::parse(srv.config.get_enum("maxmemory-policy"));
    if policy == Policy::NoEviction {
        return false;
    }
    let lazy = srv.config.get_bool("lazyfree-lazy-eviction");
    let samples = srv.config.get_i64("maxmemory-samples").max(1) as usize;
    let limit = time_limit(srv.config.get_i64("maxmemory-eviction-tenacity"));
    let start = Instant::now();
    let now = srv.now_ms;
    // Values handed to the lazy-free thread still count in `used_memory`
    // until it frees them: their estimated size counts as freed here.
    let mut pending_free = 0u64;
    let mut evicted = 0u64;
    loop {
        let used = (crate::sys::used_memory() as u64).saturating_sub(pending_free);
        if used <= max {
            return true;
        }
        let picked = srv
            .eviction_pool
            .pick(&mut srv.keyspace, policy, samples, now);
        let Some((db, key)) = picked else {
            // Nothing left to evict: memory may still be on its way back.
            return evicted > 0 || srv.lazyfree.pending() > 0;
        };
        let Some(value) = srv.keyspace.dbs[db].remove(&key) else {
            continue;
        };
        if lazy {
            pending_free += (value.heap_size() + key.len() + 64) as u64;
            srv.lazyfree.free_value(value);
        } else {
            drop(value);
        }
        srv.stats.evicted_keys += 1;
        evicted += 1;
        srv.blocking.signal(db, &key);
        // An evicted watched key fails the watchers' EXEC, as in Redis.
        srv.watch.touch(db, &key, &srv.keyspace.dbs[db]);
        // Redis invalidates, then notifies.
        crate::server::tracking::invalidate_key(srv, &key, None);
        crate::server::pubsub::notify(
            srv,
            None,
            crate::config::notify::EVICTED,
            "evicted",
            &key,
            db,
        );
        crate::server::propagate::deleted_key(srv, db, &key, lazy);
        if limit.is_some_and(|l| start.elapsed() > l) {
            // Time is up: the next command or cron tick goes on.
            return true;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tenacity_limits_follow_redis() {
        use std::time::Duration;
        assert_eq!(super::time_limit(0), Some(Duration::ZERO));
        assert_eq!(super::time_limit(10), Some(Duration::from_micros(500)));
        assert_eq!(super::time_limit(11), Some(Duration::from_micros(575)));
        assert_eq!(super::time_limit(100), None);
    }
}
