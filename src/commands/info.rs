//! INFO: the sections and field names Redis 7.0 reports, so monitoring
//! tools can read them. Fields for features not built yet report their
//! idle values (0, "ok", -1) exactly as an idle Redis does.
//!
//! Redis counterpart: `genRedisInfoString` in `server.c`.

use std::fmt::Write as _;

use super::Ctx;
use crate::errors::CmdResult;
use crate::server::{cron, Server};
use crate::sys;

/// Every section, in the order Redis prints them.
const ALL_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// Sections only `INFO all` / `INFO everything` (or naming them) print.
const EXTRA_SECTIONS: &[&str] = &["commandstats", "latencystats"];

/// Sections printed by `INFO` / `INFO default`.
fn default_sections() -> impl Iterator<Item = String> {
    ALL_SECTIONS
        .iter()
        .filter(|s| !EXTRA_SECTIONS.contains(s))
        .map(|s| s.to_string())
}

/// INFO [section [section ...]]
pub fn info_command(ctx: &mut Ctx) -> CmdResult {
    let mut wanted: Vec<String> = Vec::new();
    if ctx.argc() == 1 {
        wanted.extend(default_sections());
    }
    for a in &ctx.argv[1..] {
        let s = String::from_utf8_lossy(a).to_ascii_lowercase();
        match s.as_str() {
            "default" => wanted.extend(default_sections()),
            "all" | "everything" => wanted.extend(ALL_SECTIONS.iter().map(|s| s.to_string())),
            _ => wanted.push(s),
        }
    }
    // Replicas are not counted, as in Redis.
    let connected =
        (ctx.srv.other_clients().count() + 1).saturating_sub(ctx.srv.repl.replicas.len());
    let text = info_string(ctx.srv, &wanted, connected);
    ctx.client.reply.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Builds the INFO text for the requested sections, in Redis's order.
pub fn info_string(srv: &Server, wanted: &[String], connected_clients: usize) -> String {
    let mut out = String::new();
    for &name in ALL_SECTIONS {
        if !wanted.iter().any(|w| w == name) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        match name {
            "server" => server_section(srv, &mut out),
            "clients" => clients_section(srv, &mut out, connected_clients),
            "memory" => memory_section(srv, &mut out),
            "persistence" => persistence_section(srv, &mut out),
            "stats" => stats_section(srv, &mut out),
            "replication" => replication_section(srv, &mut out),
            "cpu" => cpu_section(&mut out),
            "modules" => out.push_str("# Modules\r\n"),
            "commandstats" => commandstats_section(srv, &mut out),
            "errorstats" => errorstats_section(srv, &mut out),
            "latencystats" => out.push_str("# Latencystats\r\n"),
            "cluster" => out.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
            "keyspace" => keyspace_section(srv, &mut out),
            _ => {}
        }
    }
    out
}

macro_rules! field {
    ($out:expr, $name:expr, $($arg:tt)*) => {{
        let _ = write!($out, "{}:", $name);
        let _ = write!($out, $($arg)*);
        $out.push_str("\r\n");
    }};
}

/// Formats bytes the way Redis's `bytesToHuman` does.
pub fn bytes_to_human(n: u64) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{}B", n as u64)
    } else if n < 1024.0 * 1024.0 {
        format!("{:.2}K", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", n / (1024.0 * 1024.0))
    } else if n < 1024.0f64.powi(4) {
        format!("{:.2}G", n / 1024.0f64.powi(3))
    } else if n < 1024.0f64.powi(5) {
        format!("{:.2}T", n / 1024.0f64.powi(4))
    } else {
        format!("{:.2}P", n / 1024.0f64.powi(5))
    }
}

fn uname() -> String {
    let sys = std::fs::read_to_string("/proc/sys/kernel/ostype").unwrap_or_else(|_| "Linux".into());
    let rel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{} {} {}", sys.trim(), rel.trim(), std::env::consts::ARCH)
}

fn server_section(srv: &Server, out: &mut String) {
    out.push_str("# Server\r\n");
    field!(out, "redis_version", "{}", crate::REDIS_VERSION);
    field!(out, "ferredis_version", "{}", crate::FERREDIS_VERSION);
    field!(out, "redis_git_sha1", "00000000");
    field!(out, "redis_git_dirty", "0");
    field!(out, "redis_build_id", "0");
    field!(out, "redis_mode", "standalone");
    field!(out, "os", "{}", uname());
    field!(out, "arch_bits", "64");
    field!(out, "monotonic_clock", "POSIX clock_gettime");
    field!(out, "multiplexing_api", "epoll");
    field!(out, "atomicvar_api", "c11-builtin");
    field!(out, "gcc_version", "0.0.0");
    field!(out, "process_id", "{}", sys::getpid());
    field!(out, "process_supervised", "no");
    field!(out, "run_id", "{}", srv.run_id);
    field!(out, "tcp_port", "{}", srv.config.port);
    field!(out, "server_time_usec", "{}", srv.now_us);
    let up = srv.uptime_secs();
    field!(out, "uptime_in_seconds", "{}", up);
    field!(out, "uptime_in_days", "{}", up / 86400);
    field!(out, "hz", "{}", srv.config.hz);
    field!(out, "configured_hz", "{}", srv.config.hz);
    field!(out, "lru_clock", "{}", crate::db::lru_clock(srv.now_ms));
    field!(out, "executable", "{}", srv.executable);
    let cf = srv
        .config
        .config_file
        .as_deref()
        .map(|p| {
            std::fs::canonicalize(p)
                .map(|c| c.display().to_string())
                .unwrap_or_else(|_| p.to_string())
        })
        .unwrap_or_default();
    field!(out, "config_file", "{}", cf);
    field!(out, "io_threads_active", "0");
}

fn clients_section(srv: &Server, out: &mut String, connected: usize) {
    let mut max_in = 0;
    let mut max_out = 0;
    for c in srv.other_clients() {
        max_in = max_in.max(c.query.capacity());
        max_out = max_out.max(c.reply.buf.capacity());
    }
    out.push_str("# Clients\r\n");
    field!(out, "connected_clients", "{}", connected);
    field!(out, "cluster_connections", "0");
    field!(out, "maxclients", "{}", srv.config.maxclients);
    field!(out, "client_recent_max_input_buffer", "{}", max_in);
    field!(out, "client_recent_max_output_buffer", "{}", max_out);
    // Clients held by CLIENT PAUSE count as blocked, as in Redis.
    field!(
        out,
        "blocked_clients",
        "{}",
        srv.blocking.count() + srv.paused_clients.len()
    );
    field!(out, "tracking_clients", "{}", srv.tracking.clients_count());
    field!(out, "clients_in_timeout_table", "0");
}

fn total_system_memory() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// `part` as a percentage of `whole` (0 when `whole` is 0).
fn percent(part: u64, whole: u64) -> f64 {
    if whole > 0 {
        part as f64 * 100.0 / whole as f64
    } else {
        0.0
    }
}

fn memory_section(srv: &Server, out: &mut String) {
    let used = sys::used_memory() as u64;
    let rss = sys::rss_bytes() as u64;
    let peak = (srv.used_memory_peak as u64).max(used);
    let mut clients_mem = 0u64;
    for c in srv.other_clients() {
        clients_mem += (c.query.capacity() + c.reply.buf.capacity()) as u64;
    }
    let dataset_tables: u64 = srv
        .keyspace
        .dbs
        .iter()
        .map(|d| d.dict.table_bytes() as u64)
        .sum();
    let overhead = clients_mem + dataset_tables.min(used);
    let dataset = used.saturating_sub(overhead);
    out.push_str("# Memory\r\n");
    field!(out, "used_memory", "{}", used);
    field!(out, "used_memory_human", "{}", bytes_to_human(used));
    field!(out, "used_memory_rss", "{}", rss);
    field!(out, "used_memory_rss_human", "{}", bytes_to_human(rss));
    field!(out, "used_memory_peak", "{}", peak);
    field!(out, "used_memory_peak_human", "{}", bytes_to_human(peak));
    field!(out, "used_memory_peak_perc", "{:.2}%", percent(used, peak));
    field!(out, "used_memory_overhead", "{}", overhead);
    field!(out, "used_memory_startup", "0");
    field!(out, "used_memory_dataset", "{}", dataset);
    field!(
        out,
        "used_memory_dataset_perc",
        "{:.2}%",
        percent(dataset, used)
    );
    field!(out, "allocator_allocated", "{}", used);
    field!(out, "allocator_active", "{}", used);
    field!(out, "allocator_resident", "{}", rss);
    let total = total_system_memory();
    field!(out, "total_system_memory", "{}", total);
    field!(
        out,
        "total_system_memory_human",
        "{}",
        bytes_to_human(total)
    );
    field!(out, "used_memory_lua", "0");
    field!(out, "used_memory_vm_eval", "0");
    field!(out, "used_memory_lua_human", "0B");
    field!(out, "used_memory_scripts_eval", "0");
    field!(out, "number_of_cached_scripts", "0");
    field!(out, "number_of_functions", "0");
    field!(out, "number_of_libraries", "0");
    field!(out, "used_memory_vm_functions", "0");
    field!(out, "used_memory_vm_total", "0");
    field!(out, "used_memory_vm_total_human", "0B");
    field!(out, "used_memory_functions", "0");
    field!(out, "used_memory_scripts", "0");
    field!(out, "used_memory_scripts_human", "0B");
    field!(out, "maxmemory", "{}", srv.config.maxmemory);
    field!(
        out,
        "maxmemory_human",
        "{}",
        bytes_to_human(srv.config.maxmemory)
    );
    field!(
        out,
        "maxmemory_policy",
        "{}",
        srv.config.get_enum("maxmemory-policy")
    );
    let frag = if used > 0 {
        rss as f64 / used as f64
    } else {
        0.0
    };
    field!(out, "allocator_frag_ratio", "1.00");
    field!(out, "allocator_frag_bytes", "0");
    field!(out, "allocator_rss_ratio", "{:.2}", frag);
    field!(out, "allocator_rss_bytes", "{}", rss as i64 - used as i64);
    field!(out, "rss_overhead_ratio", "1.00");
    field!(out, "rss_overhead_bytes", "0");
    field!(out, "mem_fragmentation_ratio", "{:.2}", frag);
    field!(
        out,
        "mem_fragmentation_bytes",
        "{}",
        rss as i64 - used as i64
    );
    field!(out, "mem_not_counted_for_evict", "0");
    field!(out, "mem_replication_backlog", "0");
    field!(out, "mem_total_replication_buffers", "0");
    field!(out, "mem_clients_slaves", "0");
    field!(out, "mem_clients_normal", "{}", clients_mem);
    field!(out, "mem_cluster_links", "0");
    field!(out, "mem_aof_buffer", "{}", srv.aof.buffer_len());
    field!(out, "mem_allocator", "{}", sys::MEM_ALLOCATOR);
    field!(out, "active_defrag_running", "0");
    field!(
        out,
        "lazyfree_pending_objects",
        "{}",
        srv.lazyfree.pending()
    );
    field!(out, "lazyfreed_objects", "{}", srv.lazyfree.freed());
}

fn persistence_section(srv: &Server, out: &mut String) {
    use crate::persistence::child::{child_kind, ChildKind};
    let p = &srv.persistence;
    let now = crate::server::unix_us() / 1_000_000;
    let kind = child_kind(srv);
    let ok = |b: bool| if b { "ok" } else { "err" };
    let fi = &p.fork_info;
    let fork_perc = if fi.keys_total > 0 {
        fi.keys_processed as f64 / fi.keys_total as f64 * 100.0
    } else {
        0.0
    };
    out.push_str("# Persistence\r\n");
    field!(out, "loading", "{}", p.loading.active as u8);
    field!(out, "async_loading", "{}", p.loading.async_loading as u8);
    field!(out, "current_cow_peak", "{}", fi.cow_peak);
    field!(out, "current_cow_size", "{}", fi.cow_size);
    field!(
        out,
        "current_cow_size_age",
        "{}",
        fi.cow_updated.map_or(0, |t| t.elapsed().as_secs())
    );
    field!(out, "current_fork_perc", "{:.2}", fork_perc);
    field!(out, "current_save_keys_processed", "{}", fi.keys_processed);
    field!(out, "current_save_keys_total", "{}", fi.keys_total);
    field!(out, "rdb_changes_since_last_save", "{}", srv.dirty);
    field!(
        out,
        "rdb_bgsave_in_progress",
        "{}",
        kind.is_some_and(ChildKind::is_rdb) as u8
    );
    field!(out, "rdb_last_save_time", "{}", srv.lastsave);
    field!(out, "rdb_last_bgsave_status", "{}", ok(p.last_bgsave_ok));
    field!(out, "rdb_last_bgsave_time_sec", "{}", p.rdb_save_time_last);
    field!(
        out,
        "rdb_current_bgsave_time_sec",
        "{}",
        if kind.is_some_and(ChildKind::is_rdb) && p.rdb_save_time_start >= 0 {
            now - p.rdb_save_time_start
        } else {
            -1
        }
    );
    field!(out, "rdb_saves", "{}", p.rdb_saves);
    field!(out, "rdb_last_cow_size", "{}", p.rdb_last_cow_size);
    let load = p.last_load;
    field!(out, "rdb_last_load_keys_expired", "{}", load.keys_expired);
    field!(out, "rdb_last_load_keys_loaded", "{}", load.keys_loaded);
    let (aof_main, aof_on) = crate::persistence::aof::info_fields(srv);
    for (k, v) in aof_main {
        field!(out, k, "{}", v);
    }
    field!(out, "module_fork_in_progress", "0");
    field!(out, "module_fork_last_cow_size", "0");
    for (k, v) in aof_on {
        field!(out, k, "{}", v);
    }
    if p.loading.active || p.loading.async_loading {
        loading_fields(&p.loading, now, out);
    }
}

/// The `loading_*` progress fields Redis adds while a load runs.
fn loading_fields(l: &crate::persistence::Loading, now: i64, out: &mut String) {
    let (mut perc, mut remaining) = (0.0, 1i64);
    if l.total_bytes > 0 {
        perc = l.loaded_bytes as f64 / l.total_bytes as f64 * 100.0;
        remaining = l.total_bytes as i64 - l.loaded_bytes as i64;
    } else if l.rdb_used_mem > 0 {
        // used-mem only estimates the file size: stay under 100%.
        perc = (l.loaded_bytes as f64 / l.rdb_used_mem as f64 * 100.0).min(99.99);
        remaining = (l.rdb_used_mem as i64 - l.loaded_bytes as i64).max(1);
    }
    let elapsed = now - l.start_time;
    let eta = if elapsed == 0 {
        1
    } else {
        elapsed * remaining / (l.loaded_bytes as i64 + 1)
    };
    field!(out, "loading_start_time", "{}", l.start_time);
    field!(out, "loading_total_bytes", "{}", l.total_bytes);
    field!(out, "loading_rdb_used_mem", "{}", l.rdb_used_mem);
    field!(out, "loading_loaded_bytes", "{}", l.loaded_bytes);
    field!(out, "loading_loaded_perc", "{:.2}", perc);
    field!(out, "loading_eta_seconds", "{}", eta);
}

fn stats_section(srv: &Server, out: &mut String) {
    let st = &srv.stats;
    out.push_str("# Stats\r\n");
    field!(
        out,
        "total_connections_received",
        "{}",
        st.total_connections_received
    );
    field!(
        out,
        "total_commands_processed",
        "{}",
        st.total_commands_processed
    );
    field!(
        out,
        "instantaneous_ops_per_sec",
        "{}",
        cron::instantaneous_ops(srv)
    );
    field!(out, "total_net_input_bytes", "{}", st.net_input_bytes);
    field!(out, "total_net_output_bytes", "{}", st.net_output_bytes);
    field!(out, "total_net_repl_input_bytes", "0");
    field!(out, "total_net_repl_output_bytes", "0");
    field!(out, "instantaneous_input_kbps", "0.00");
    field!(out, "instantaneous_output_kbps", "0.00");
    field!(out, "instantaneous_input_repl_kbps", "0.00");
    field!(out, "instantaneous_output_repl_kbps", "0.00");
    field!(out, "rejected_connections", "{}", st.rejected_connections);
    field!(out, "sync_full", "{}", srv.repl.sync_full);
    field!(out, "sync_partial_ok", "{}", srv.repl.sync_partial_ok);
    field!(out, "sync_partial_err", "{}", srv.repl.sync_partial_err);
    field!(out, "expired_keys", "{}", srv.keyspace.expired_keys());
    field!(out, "expired_stale_perc", "{:.2}", st.expired_stale_perc);
    field!(out, "expired_time_cap_reached_count", "0");
    field!(out, "expire_cycle_cpu_milliseconds", "0");
    field!(out, "evicted_keys", "{}", st.evicted_keys);
    field!(out, "evicted_clients", "0");
    field!(out, "total_eviction_exceeded_time", "0");
    field!(out, "current_eviction_exceeded_time", "0");
    field!(out, "keyspace_hits", "{}", st.keyspace_hits);
    field!(out, "keyspace_misses", "{}", st.keyspace_misses);
    field!(out, "pubsub_channels", "{}", srv.pubsub.channel_count());
    field!(out, "pubsub_patterns", "{}", srv.pubsub.pattern_count());
    field!(out, "pubsubshard_channels", "{}", srv.pubsub.shard_count());
    field!(
        out,
        "latest_fork_usec",
        "{}",
        srv.fork_stats.latest_fork_usec
    );
    field!(out, "total_forks", "{}", srv.fork_stats.total_forks);
    field!(out, "migrate_cached_sockets", "0");
    field!(out, "slave_expires_tracked_keys", "0");
    field!(out, "active_defrag_hits", "0");
    field!(out, "active_defrag_misses", "0");
    field!(out, "active_defrag_key_hits", "0");
    field!(out, "active_defrag_key_misses", "0");
    field!(out, "total_active_defrag_time", "0");
    field!(out, "current_active_defrag_time", "0");
    field!(out, "tracking_total_keys", "{}", srv.tracking.total_keys());
    field!(
        out,
        "tracking_total_items",
        "{}",
        srv.tracking.total_items()
    );
    field!(
        out,
        "tracking_total_prefixes",
        "{}",
        srv.tracking.total_prefixes()
    );
    field!(
        out,
        "unexpected_error_replies",
        "{}",
        st.unexpected_error_replies
    );
    field!(out, "total_error_replies", "{}", st.total_error_replies);
    field!(out, "dump_payload_sanitizations", "0");
    field!(out, "total_reads_processed", "{}", st.io_reads_processed);
    field!(out, "total_writes_processed", "{}", st.io_writes_processed);
    field!(out, "io_threaded_reads_processed", "0");
    field!(out, "io_threaded_writes_processed", "0");
    field!(out, "reply_buffer_shrinks", "0");
    field!(out, "reply_buffer_expands", "0");
    field!(
        out,
        "client_query_buffer_limit_disconnections",
        "{}",
        st.client_qbuf_limit_disconnections
    );
    field!(
        out,
        "client_output_buffer_limit_disconnections",
        "{}",
        st.client_outbuf_limit_disconnections
    );
}

fn replication_section(srv: &Server, out: &mut String) {
    let repl = &srv.repl;
    out.push_str("# Replication\r\n");
    if srv.replica.is_replica() {
        // role:slave ... replica_announced (replication/replica.rs).
        crate::replication::replica::info_fields(srv, out);
    } else {
        field!(out, "role", "master");
    }
    field!(out, "connected_slaves", "{}", repl.replicas.len());
    crate::replication::master::info_lines(srv, out);
    field!(
        out,
        "master_failover_state",
        "{}",
        crate::replication::failover::state_name(srv)
    );
    // A replica shows the IDs and offset of the stream it follows.
    let ids = crate::replication::current_ids(srv);
    field!(out, "master_replid", "{}", ids.replid);
    field!(out, "master_replid2", "{}", ids.replid2);
    field!(out, "master_repl_offset", "{}", ids.offset);
    field!(out, "second_repl_offset", "{}", ids.second_offset);
    let (active, first, hist) = match &repl.backlog {
        Some(b) => (1, b.first_offset, b.histlen()),
        None => (0, 0, 0),
    };
    field!(out, "repl_backlog_active", "{}", active);
    field!(
        out,
        "repl_backlog_size",
        "{}",
        srv.config.get_i64("repl-backlog-size")
    );
    field!(out, "repl_backlog_first_byte_offset", "{}", first);
    field!(out, "repl_backlog_histlen", "{}", hist);
}

fn cpu_section(out: &mut String) {
    let (u, s) = sys::cpu_usage();
    let (cu, cs) = sys::cpu_usage_children();
    let secs = |us: i64| format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
    out.push_str("# CPU\r\n");
    field!(out, "used_cpu_sys", "{}", secs(s));
    field!(out, "used_cpu_user", "{}", secs(u));
    field!(out, "used_cpu_sys_children", "{}", secs(cs));
    field!(out, "used_cpu_user_children", "{}", secs(cu));
    field!(out, "used_cpu_sys_main_thread", "{}", secs(s));
    field!(out, "used_cpu_user_main_thread", "{}", secs(u));
}

fn commandstats_section(srv: &Server, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    let mut names: Vec<_> = srv.stats.commands.iter().collect();
    names.sort_by_key(|(n, _)| **n);
    for (name, st) in names {
        if st.calls == 0 && st.rejected_calls == 0 && st.failed_calls == 0 {
            continue;
        }
        let per = if st.calls > 0 {
            st.usec as f64 / st.calls as f64
        } else {
            0.0
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            name, st.calls, st.usec, per, st.rejected_calls, st.failed_calls
        );
    }
}

fn errorstats_section(srv: &Server, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    let mut errs: Vec<_> = srv.stats.errors.iter().collect();
    errs.sort();
    for (code, n) in errs {
        let _ = write!(out, "errorstat_{}:count={}\r\n", code, n);
    }
}

fn keyspace_section(srv: &Server, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for (i, db) in srv.keyspace.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "db{}:keys={},expires={},avg_ttl={}\r\n",
            i,
            db.len(),
            db.expires.len(),
            db.avg_ttl
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    #[test]
    fn info_has_redis_fields() {
        let mut h = Harness::new();
        h.run(&["set", "a", "1"]);
        let s = h.run_str(&["info"]);
        assert!(s.starts_with('$'));
        for f in [
            "# Server\r\nredis_version:7.0.15\r\n",
            "ferredis_version:",
            "connected_clients:1\r\n",
            "used_memory:",
            "rdb_changes_since_last_save:1\r\n",
            "total_commands_processed:1\r\n",
            "role:master\r\n",
            "db0:keys=1,expires=0,avg_ttl=0\r\n",
            "mem_allocator:libc\r\n",
        ] {
            assert!(s.contains(f), "missing {:?}", f);
        }
        assert!(!s.contains("# Commandstats"));
        let all = h.run_str(&["info", "all"]);
        assert!(all.contains("cmdstat_set:calls=1,"));
        let one = h.run_str(&["info", "keyspace"]);
        assert!(one.contains("# Keyspace\r\n") && !one.contains("# Server"));
        assert_eq!(h.run_str(&["info", "nosuch"]), "$0\r\n\r\n");
    }

    #[test]
    fn bytes_to_human_matches_redis() {
        assert_eq!(super::bytes_to_human(1000), "1000B");
        assert_eq!(super::bytes_to_human(1039944), "1015.57K");
        assert_eq!(super::bytes_to_human(7516160), "7.17M");
    }
}
