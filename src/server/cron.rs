//! `server_cron`: the periodic tick at `hz`: statistics sampling, active
//! expiry, idle-client timeouts, memory peak, and persistence (reaping the
//! fork child, save points, scheduled BGSAVE).
//!
//! Redis counterpart: `serverCron` and `clientsCron` in `server.c`.

use std::time::Duration;

use super::client::cflags;
use super::Server;
use crate::db::expire::active_expire_cycle;

/// Runs one cron tick.
pub fn server_cron(srv: &mut Server) {
    srv.update_time();
    if srv.cron_paused {
        return;
    }
    srv.cronloops += 1;
    sample_ops(srv);
    let used = crate::sys::used_memory();
    if used > srv.used_memory_peak {
        srv.used_memory_peak = used;
    }
    // A replica leaves expiry to its master's DELs; paused writes (CLIENT
    // PAUSE, a shutdown waiting for its replicas) keep the dataset static.
    if srv.active_expire_enabled
        && !crate::replication::replica::is_replica(srv)
        && srv.effective_pause() == super::PauseKind::None
    {
        // Redis gives the slow cycle 25% of a tick.
        let hz = srv.config.hz.clamp(1, 500) as u64;
        let budget = Duration::from_micros(250_000 / hz);
        let now = srv.now_ms;
        let mut expired = Vec::new();
        active_expire_cycle(&mut srv.keyspace, now, budget, |db, key| {
            expired.push((db, key))
        });
        for (db, key) in &expired {
            super::pubsub::notify(
                srv,
                None,
                crate::config::notify::EXPIRED,
                "expired",
                key,
                *db,
            );
            crate::server::tracking::invalidate_key(srv, key, None);
        }
        crate::server::propagate::expired_keys(srv, expired);
    }
    srv.free_all_graveyards();
    if srv.config.maxmemory > 0 {
        // Finishes an eviction pass a command ran out of time for.
        crate::server::evict::perform_evictions(srv);
    }
    close_idle_clients(srv);
    // Replication: pings, replica timeouts, the backlog's TTL.
    crate::replication::master::cron(srv);
    // Reaps the child, fires save points and scheduled BGSAVEs.
    crate::persistence::bgsave::cron(srv);
    // Scheduled and automatic AOF rewrites, the everysec fsync.
    crate::persistence::aof::cron(srv);
    // The link to the master: connect, timeouts, REPLCONF ACK.
    crate::replication::replica::cron(srv);
}

/// Samples the command counter for `instantaneous_ops_per_sec`.
fn sample_ops(srv: &mut Server) {
    let st = &mut srv.stats;
    let elapsed = srv.now_ms - st.ops_last_ms;
    if elapsed < 100 {
        return;
    }
    let ops = st.total_commands_processed - st.ops_last_count;
    let per_sec = if elapsed > 0 {
        ops * 1000 / elapsed as u64
    } else {
        0
    };
    st.ops_samples[st.ops_sample_idx % st.ops_samples.len()] = per_sec;
    st.ops_sample_idx += 1;
    st.ops_last_count = st.total_commands_processed;
    st.ops_last_ms = srv.now_ms;
}

/// The average of the ops/sec samples.
pub fn instantaneous_ops(srv: &Server) -> u64 {
    let s = &srv.stats.ops_samples;
    s.iter().sum::<u64>() / s.len() as u64
}

/// Closes clients idle for longer than `timeout` (not MONITOR clients).
fn close_idle_clients(srv: &mut Server) {
    let timeout = srv.config.timeout;
    if timeout == 0 {
        return;
    }
    let now = srv.now_ms;
    let mut idle = Vec::new();
    for (t, c) in srv.clients.iter() {
        if let Some(c) = c {
            if !c.has(cflags::MONITOR)
                && !c.has(cflags::REPLICA)
                && !c.has(cflags::PAUSED)
                && now - c.last_interaction_ms > timeout as i64 * 1000
            {
                idle.push(t);
            }
        }
    }
    for t in idle {
        if let Some(Some(c)) = srv.clients.get_mut(t) {
            log::debug!("Closing idle client");
            c.flags |= cflags::CLOSE_ASAP;
            srv.to_close.push(t);
        }
    }
}
