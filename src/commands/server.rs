//! Server commands: INFO, SLOWLOG, MONITOR, TIME, LASTSAVE, SAVE,
//! SHUTDOWN, MEMORY; plus the MONITOR feed.
//!
//! Redis counterpart: `server.c`, `slowlog.c`, `object.c` (MEMORY),
//! `rdb.c` (SAVE).

use super::args;
use super::client::reply_help;
use super::spec::{cmd, container, keys, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::commands::spec::acl;
use crate::errors::{CmdError, CmdResult};
use crate::server::client::{cflags, Client};
use crate::server::Server;

const SRV: Group = Group::Server;
const SLOWLOG_FLAGS: u32 = ADMIN | LOADING | STALE;

static SLOWLOG_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(
        "slowlog|get",
        -2,
        SLOWLOG_FLAGS,
        NO_KEYS,
        SRV,
        slowlog_get_command,
    )
    .doc("Get the slow log's entries", "2.2.12")
    .tips(&["request_policy:all_nodes", "nondeterministic_output"]),
    cmd(
        "slowlog|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        SRV,
        slowlog_help_command,
    )
    .doc("Show helpful text about the different subcommands", "6.2.0"),
    cmd(
        "slowlog|len",
        2,
        SLOWLOG_FLAGS,
        NO_KEYS,
        SRV,
        slowlog_len_command,
    )
    .doc("Get the slow log's length", "2.2.12")
    .tips(&[
        "request_policy:all_nodes",
        "response_policy:agg_sum",
        "nondeterministic_output",
    ]),
    cmd(
        "slowlog|reset",
        2,
        SLOWLOG_FLAGS,
        NO_KEYS,
        SRV,
        slowlog_reset_command,
    )
    .doc("Clear all entries from the slow log", "2.2.12")
    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
];

/// Tips of commands whose output differs per shard and is merged specially.
const SHARDS_SPECIAL: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_shards",
    "response_policy:special",
];

static MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    cmd("memory|doctor", 2, 0, NO_KEYS, SRV, memory_doctor_command)
        .doc("Outputs memory problems report", "4.0.0")
        .tips(SHARDS_SPECIAL),
    cmd(
        "memory|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        SRV,
        memory_help_command,
    )
    .doc("Show helpful text about the different subcommands", "4.0.0"),
    cmd(
        "memory|malloc-stats",
        2,
        0,
        NO_KEYS,
        SRV,
        memory_malloc_stats_command,
    )
    .doc("Show allocator internal stats", "4.0.0")
    .tips(SHARDS_SPECIAL),
    cmd("memory|purge", 2, 0, NO_KEYS, SRV, memory_purge_command)
        .doc("Ask the allocator to release memory", "4.0.0")
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    cmd("memory|stats", 2, 0, NO_KEYS, SRV, memory_stats_command)
        .doc("Show memory usage details", "4.0.0")
        .tips(SHARDS_SPECIAL),
    cmd(
        "memory|usage",
        -3,
        READONLY,
        keys(2, 2, 1),
        SRV,
        memory_usage_command,
    )
    .doc("Estimate the memory usage of a key", "4.0.0"),
];

pub static COMMANDS: &[CommandSpec] = &[
    cmd(
        "bgsave",
        -1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        NO_KEYS,
        SRV,
        crate::persistence::bgsave::bgsave_command,
    )
    .doc("Asynchronously save the dataset to disk", "1.0.0"),
    cmd(
        "info",
        -1,
        LOADING | STALE,
        NO_KEYS,
        SRV,
        super::info::info_command,
    )
    .doc("Get information and statistics about the server", "1.0.0")
    .acl(acl::DANGEROUS)
    .tips(SHARDS_SPECIAL),
    cmd(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        NO_KEYS,
        SRV,
        lastsave_command,
    )
    .doc(
        "Get the UNIX time stamp of the last successful save to disk",
        "1.0.0",
    )
    .acl(acl::ADMIN | acl::DANGEROUS)
    .tips(&["nondeterministic_output"]),
    container("memory", -2, SRV, MEMORY_SUBCOMMANDS)
        .doc("A container for memory diagnostics commands", "4.0.0"),
    cmd(
        "monitor",
        1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        SRV,
        monitor_command,
    )
    .doc(
        "Listen for all requests received by the server in real time",
        "1.0.0",
    ),
    cmd(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        NO_KEYS,
        SRV,
        save_command,
    ),
    cmd(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        NO_KEYS,
        SRV,
        shutdown_command,
    )
    .doc(
        "Synchronously save the dataset to disk and then shut down the server",
        "1.0.0",
    ),
    container("slowlog", -2, SRV, SLOWLOG_SUBCOMMANDS)
        .doc("A container for slow log commands", "2.2.12"),
    cmd(
        "time",
        1,
        LOADING | STALE | FAST,
        NO_KEYS,
        SRV,
        time_command,
    )
    .doc("Return the current server time", "2.6.0")
    .tips(&["nondeterministic_output"]),
];

/// What Redis shows instead of a secret argument in MONITOR and SLOWLOG.
pub const REDACTED: &[u8] = b"(redacted)";

/// The positions of the arguments Redis redacts before MONITOR and SLOWLOG
/// see a command: AUTH's username and password (when AUTH has the right
/// number of arguments) and the pair after each AUTH option of HELLO (once
/// the protocol version was accepted).
pub fn redacted_args(cmd: &str, argv: &[&[u8]]) -> Vec<usize> {
    match cmd {
        "auth" if argv.len() <= 3 => (1..argv.len()).collect(),
        "hello" => {
            let mut out = Vec::new();
            let mut j = 1;
            if argv.len() >= 2 {
                match crate::util::numfmt::parse_i64(argv[1]) {
                    Some(2..=3) => j = 2,
                    _ => return out,
                }
            }
            while j < argv.len() {
                let more = argv.len() - 1 - j;
                if args::is(argv[j], "auth") && more >= 2 {
                    out.extend([j + 1, j + 2]);
                    j += 3;
                } else if args::is(argv[j], "setname") && more >= 1 {
                    j += 2;
                } else {
                    break;
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Sends a command to every MONITOR client, in Redis's format:
/// `+<secs>.<usecs> [<db> <addr>] "arg" ...`, after the command ran (so
/// SELECT shows the new database). Admin commands are not shown and
/// passwords are redacted, as in Redis.
pub fn feed_monitors(srv: &mut Server, client: &Client, spec: &CommandSpec, argv: &[&[u8]]) {
    if spec.has(SKIP_MONITOR) || spec.has(ADMIN) {
        return;
    }
    let redacted = redacted_args(spec.name, argv);
    let mut line = Vec::with_capacity(64);
    line.push(b'+');
    let addr = if client.has(cflags::UNIX_SOCKET) {
        format!("unix:{}", srv.config.unixsocket)
    } else {
        client.addr.clone()
    };
    line.extend_from_slice(
        format!(
            "{}.{:06} [{} {}]",
            srv.now_us / 1_000_000,
            srv.now_us % 1_000_000,
            client.db,
            addr
        )
        .as_bytes(),
    );
    for (i, a) in argv.iter().enumerate() {
        let a = if redacted.contains(&i) { REDACTED } else { a };
        line.extend_from_slice(b" \"");
        crate::util::repr::push_repr(&mut line, a);
        line.push(b'"');
    }
    line.extend_from_slice(b"\r\n");
    let monitors = srv.monitors.clone();
    for t in monitors {
        if let Some(Some(m)) = srv.clients.get_mut(t) {
            m.reply.raw(&line);
            if !m.has(cflags::PENDING_WRITE) {
                m.flags |= cflags::PENDING_WRITE;
                srv.pending_writes.push(t);
            }
        }
    }
}

/// MONITOR
fn monitor_command(ctx: &mut Ctx) -> CmdResult {
    // Run by EXEC, the client expects one reply per command.
    if ctx.client.multi.is_some() {
        return Err(CmdError::msg(
            "ERR MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    if !ctx.client.has(cflags::MONITOR) {
        ctx.client.flags |= cflags::MONITOR;
        ctx.srv.monitors.push(ctx.client.token);
    }
    ctx.client.reply.ok();
    Ok(())
}

/// TIME
fn time_command(ctx: &mut Ctx) -> CmdResult {
    let us = crate::server::unix_us();
    let r = &mut ctx.client.reply;
    r.array_len(2);
    r.bulk_i64(us / 1_000_000);
    r.bulk_i64(us % 1_000_000);
    Ok(())
}

/// LASTSAVE
fn lastsave_command(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.int(ctx.srv.lastsave);
    Ok(())
}

/// SAVE
fn save_command(ctx: &mut Ctx) -> CmdResult {
    use crate::persistence::{bgsave, child};
    if child::has_rdb_child(ctx.srv) {
        return Err(CmdError::msg(bgsave::IN_PROGRESS_ERR));
    }
    ctx.srv.persistence.rdb_saves += 1;
    if crate::persistence::save(ctx.srv) {
        ctx.client.reply.ok();
        Ok(())
    } else {
        // Redis replies a bare `-ERR` (its shared.err) when the save fails.
        Err(CmdError::msg("ERR"))
    }
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
fn shutdown_command(ctx: &mut Ctx) -> CmdResult {
    use crate::server::shutdown::{self, Outcome, ShutdownFlags};
    let mut flags = ShutdownFlags::default();
    let mut abort = false;
    for a in &ctx.argv[1..] {
        if args::is(a, "nosave") {
            flags.nosave = true;
        } else if args::is(a, "save") {
            flags.save = true;
        } else if args::is(a, "now") {
            flags.now = true;
        } else if args::is(a, "force") {
            flags.force = true;
        } else if args::is(a, "abort") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (abort && flags != ShutdownFlags::default()) || (flags.nosave && flags.save) {
        return Err(CmdError::Syntax);
    }
    if abort {
        if shutdown::abort_shutdown(ctx.srv) {
            ctx.client.reply.ok();
            return Ok(());
        }
        return Err(CmdError::msg("ERR No shutdown in progress."));
    }
    match shutdown::prepare_shutdown(ctx.srv, flags) {
        Outcome::Exit => std::process::exit(0),
        Outcome::Failed => Err(CmdError::msg(shutdown::SHUTDOWN_ERR)),
        Outcome::Waiting => {
            // Blocked until the shutdown ends: the process exits, or the
            // shutdown is aborted or fails and this client gets the error.
            ctx.block(Vec::new(), 0, crate::db::blocking::TimeoutReply::NullArray);
            shutdown::add_waiter(ctx.srv, ctx.client.token, ctx.client.id);
            Ok(())
        }
    }
}

/// SLOWLOG GET [count]
fn slowlog_get_command(ctx: &mut Ctx) -> CmdResult {
    let count = match ctx.argc() {
        2 => 10,
        3 => {
            let n = args::int(ctx.argv[2]).unwrap_or(i64::MIN);
            if n < -1 {
                return Err(CmdError::msg(
                    "ERR count should be greater than or equal to -1",
                ));
            }
            if n == -1 {
                usize::MAX
            } else {
                n as usize
            }
        }
        _ => return Err(CmdError::WrongArity("slowlog|get".into())),
    };
    let entries: Vec<_> = ctx.srv.slowlog.iter().take(count).cloned().collect();
    let r = &mut ctx.client.reply;
    r.array_len(entries.len());
    for e in entries {
        r.array_len(6);
        r.int(e.id as i64);
        r.int(e.time_secs);
        r.int(e.duration_us as i64);
        r.array_len(e.argv.len());
        for a in &e.argv {
            r.bulk(a);
        }
        r.bulk(e.peer.as_bytes());
        r.bulk(&e.name);
    }
    Ok(())
}

/// SLOWLOG LEN
fn slowlog_len_command(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.int(ctx.srv.slowlog.len() as i64);
    Ok(())
}

/// SLOWLOG RESET
fn slowlog_reset_command(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.slowlog.clear();
    ctx.client.reply.ok();
    Ok(())
}

/// SLOWLOG HELP
fn slowlog_help_command(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

/// Bytes a key and its value take: the table slot, the bucket, and the
/// heap bytes of key and value.
fn key_memory(db: &crate::db::Db, i: u32) -> usize {
    let (k, v) = db.dict.entry_at(i);
    let slot = std::mem::size_of::<(crate::types::SmallBytes, crate::types::Value)>() + 12;
    slot + k.heap_size() + v.heap_size()
}

/// MEMORY USAGE key [SAMPLES count]
fn memory_usage_command(ctx: &mut Ctx) -> CmdResult {
    match ctx.argc() {
        3 => {}
        5 if args::is(ctx.argv[3], "samples") => {
            let n = args::int(ctx.argv[4])?;
            if n < 0 {
                return Err(CmdError::Syntax);
            }
        }
        _ => return Err(CmdError::Syntax),
    }
    let now = ctx.now_ms();
    let key = ctx.argv[2];
    let db = ctx.db();
    match db.peek(key, now) {
        Some(i) => {
            let n = key_memory(db, i) as i64;
            ctx.client.reply.int(n);
        }
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// MEMORY STATS
fn memory_stats_command(ctx: &mut Ctx) -> CmdResult {
    let used = crate::sys::used_memory() as i64;
    let peak = (ctx.srv.used_memory_peak as i64).max(used);
    let keys = ctx.srv.keyspace.total_keys() as i64;
    let mut clients_normal = 0i64;
    for c in ctx.srv.other_clients() {
        clients_normal += (c.query.capacity() + c.reply.buf.capacity()) as i64;
    }
    let dbs: Vec<(usize, i64, i64)> = ctx
        .srv
        .keyspace
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.is_empty())
        .map(|(i, d)| (i, d.dict.table_bytes() as i64, d.expires.len() as i64 * 24))
        .collect();
    let overhead: i64 = clients_normal + dbs.iter().map(|d| d.1 + d.2).sum::<i64>();
    let dataset = (used - overhead).max(0);
    let r = &mut ctx.client.reply;
    r.map_len(14 + dbs.len());
    let kv = |r: &mut crate::resp::reply::ReplyBuf, k: &str, v: i64| {
        r.bulk(k.as_bytes());
        r.int(v);
    };
    kv(r, "peak.allocated", peak);
    kv(r, "total.allocated", used);
    kv(r, "startup.allocated", 0);
    kv(r, "replication.backlog", 0);
    kv(r, "clients.slaves", 0);
    kv(r, "clients.normal", clients_normal);
    kv(r, "cluster.links", 0);
    kv(r, "aof.buffer", 0);
    kv(r, "lua.caches", 0);
    kv(r, "functions.caches", 0);
    kv(r, "overhead.total", overhead);
    kv(r, "keys.count", keys);
    kv(
        r,
        "keys.bytes-per-key",
        if keys > 0 { used / keys } else { 0 },
    );
    kv(r, "dataset.bytes", dataset);
    for (i, main, exp) in dbs {
        r.bulk(format!("db.{}", i).as_bytes());
        r.map_len(2);
        kv(r, "overhead.hashtable.main", main);
        kv(r, "overhead.hashtable.expires", exp);
    }
    Ok(())
}

/// MEMORY DOCTOR
fn memory_doctor_command(ctx: &mut Ctx) -> CmdResult {
    let used = crate::sys::used_memory();
    let text = if used < 5 * 1024 * 1024 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n".to_string()
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n".to_string()
    };
    ctx.client.reply.verbatim("txt", text.as_bytes());
    Ok(())
}

/// MEMORY MALLOC-STATS
fn memory_malloc_stats_command(ctx: &mut Ctx) -> CmdResult {
    ctx.client
        .reply
        .verbatim("txt", b"Stats not supported for the current allocator");
    Ok(())
}

/// MEMORY PURGE
fn memory_purge_command(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.ok();
    Ok(())
}

/// MEMORY HELP
fn memory_help_command(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;
    use crate::config::Config;

    #[test]
    fn slowlog_records_slow_commands() {
        let cfg = {
            let mut c = Config::default();
            c.slowlog_log_slower_than = 0;
            c
        };
        let mut h = Harness::with_config(cfg);
        h.run(&["set", "k", "v"]);
        assert_eq!(h.run_str(&["slowlog", "len"]), ":1\r\n");
        let got = h.run_str(&["slowlog", "get"]);
        assert!(got.starts_with("*2\r\n*6\r\n:1\r\n"), "{}", got);
        assert!(
            got.contains("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n"),
            "{}",
            got
        );
        assert_eq!(
            h.run_str(&["slowlog", "get", "-2"]),
            "-ERR count should be greater than or equal to -1\r\n"
        );
        assert_eq!(h.run_str(&["slowlog", "reset"]), "+OK\r\n");
        assert_eq!(h.run_str(&["slowlog", "len"]), ":1\r\n");
    }

    #[test]
    fn secrets_are_redacted_as_redis_does() {
        use super::redacted_args;
        let v = |a: &[&'static str]| a.iter().map(|s| s.as_bytes()).collect::<Vec<_>>();
        assert_eq!(redacted_args("auth", &v(&["auth", "pw"])), [1]);
        assert_eq!(redacted_args("auth", &v(&["auth", "u", "pw"])), [1, 2]);
        assert!(redacted_args("auth", &v(&["auth", "a", "b", "c"])).is_empty());
        assert_eq!(
            redacted_args(
                "hello",
                &v(&["hello", "3", "setname", "n", "auth", "u", "p"])
            ),
            [5, 6]
        );
        assert!(redacted_args("hello", &v(&["hello", "4", "auth", "u", "p"])).is_empty());
        assert_eq!(
            redacted_args("hello", &v(&["hello", "2", "auth", "u"])),
            [0usize; 0]
        );
        assert!(redacted_args("set", &v(&["set", "auth", "x"])).is_empty());
    }

    #[test]
    fn memory_usage_and_errors() {
        let mut h = Harness::new();
        h.run(&["set", "k", "v"]);
        assert!(h.run_str(&["memory", "usage", "k"]).starts_with(':'));
        assert_eq!(h.run_str(&["memory", "usage", "nokey"]), "$-1\r\n");
        assert_eq!(
            h.run_str(&["memory", "usage", "k", "foo", "1"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["memory", "usage", "k", "samples", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(h.run_str(&["shutdown", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run_str(&["time", "x"]),
            "-ERR wrong number of arguments for 'time' command\r\n"
        );
    }
}
