//! Background saves: `BGSAVE [SCHEDULE]`, the save points checked from
//! cron (`save <secs> <changes> ...`, retried 5 s after a failure), the
//! parent's bookkeeping when the child ends (log lines, `lastsave`,
//! `dirty`, `rdb_last_bgsave_status`), `stop-writes-on-bgsave-error`
//! (`-MISCONF`), FLUSHALL's kill-and-save and `rdb-del-sync-files`.
//!
//! Redis counterpart: `rdbSaveBackground`, `bgsaveCommand`,
//! `backgroundSaveDoneHandler`, `flushAllDataAndResetRDB` and
//! `removeRDBUsedToSyncReplicas` in `rdb.c`/`db.c`/`replication.c`; the
//! save-point loop of `serverCron` and `writeCommandsDeniedByDiskError`
//! in `server.c`.

use std::io::Write;

use super::child::{self, ChildKind};
use crate::commands::{flags, CommandSpec, Ctx};
use crate::errors::{CmdError, CmdResult};
use crate::server::Server;
use crate::sys::ChildExit;

/// After a failed BGSAVE, save points wait this long before retrying
/// (Redis's `CONFIG_BGSAVE_RETRY_DELAY`).
pub const RETRY_DELAY_SECS: i64 = 5;

/// Redis's `shared.bgsaveerr`, for writes refused after a failed save.
pub const MISCONF_RDB_ERR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Redis's `shared.loadingerr`.
pub const LOADING_ERR: &str = "LOADING Redis is loading the dataset in memory";

/// The reply to SAVE/BGSAVE while a BGSAVE runs.
pub const IN_PROGRESS_ERR: &str = "ERR Background save already in progress";

fn unix_secs() -> i64 {
    crate::server::unix_us() / 1_000_000
}

/// BGSAVE [SCHEDULE]
pub fn bgsave_command(ctx: &mut Ctx) -> CmdResult {
    let schedule = match ctx.argc() {
        1 => false,
        2 if crate::commands::args::is(ctx.arg(1), "schedule") => true,
        _ => return Err(CmdError::Syntax),
    };
    match child::child_kind(ctx.srv) {
        Some(k) if k.is_rdb() => return Err(CmdError::msg(IN_PROGRESS_ERR)),
        Some(_) if schedule => {
            ctx.srv.persistence.bgsave_scheduled = true;
            ctx.client.reply.simple(b"Background saving scheduled");
            return Ok(());
        }
        Some(_) => {
            return Err(CmdError::msg(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
            ))
        }
        None => {}
    }
    if start(ctx.srv) {
        ctx.client.reply.simple(b"Background saving started");
        Ok(())
    } else {
        // Redis's bare shared.err when the fork fails.
        Err(CmdError::msg("ERR"))
    }
}

/// Forks a child that writes the RDB file (Redis's `rdbSaveBackground`).
/// Returns false when a child already runs or `fork` fails (logged, and
/// the last save is marked as failed).
pub fn start(srv: &mut Server) -> bool {
    if child::has_child(srv) {
        return false;
    }
    note_started(srv);
    let spawned = child::spawn(srv, ChildKind::Rdb, done, |s| {
        if super::write_rdb(s) {
            child::send_cow_info(child::InfoKind::RdbCowSize, "RDB");
            0
        } else {
            1
        }
    });
    match spawned {
        Ok(pid) => {
            log::info!("Background saving started by pid {}", pid);
            note_forked(srv);
            true
        }
        Err(e) => {
            srv.persistence.last_bgsave_ok = false;
            log::warn!(
                "Can't save in background: fork: {}",
                crate::config::strerror(&e)
            );
            false
        }
    }
}

/// The bookkeeping before forking a child that writes the RDB file (BGSAVE
/// or a disk-based full sync, as Redis's `rdbSaveBackground`): counts
/// the save in `rdb_saves` and remembers `dirty`.
pub fn note_started(srv: &mut Server) {
    srv.persistence.rdb_saves += 1;
    srv.persistence.dirty_before_bgsave = srv.dirty;
    srv.persistence.lastbgsave_try = unix_secs();
}

/// The fork of an RDB child succeeded: its time starts now.
pub fn note_forked(srv: &mut Server) {
    srv.persistence.rdb_save_time_start = unix_secs();
}

/// A child that wrote an RDB ended: `rdb_last_bgsave_time_sec` (all a
/// diskless transfer updates, as Redis's socket target).
pub fn note_time(srv: &mut Server) {
    let start = srv.persistence.rdb_save_time_start;
    srv.persistence.rdb_save_time_last = if start >= 0 { unix_secs() - start } else { -1 };
    srv.persistence.rdb_save_time_start = -1;
}

/// The parent's side of a finished BGSAVE child (Redis's
/// `backgroundSaveDoneHandlerDisk`): success moves `lastsave` and keeps
/// only the changes made during the save in `dirty`; an error exit or a
/// signal marks the save as failed, except SIGUSR1 (our own kill).
fn done(srv: &mut Server, exit: ChildExit) {
    note_done(srv, exit);
}

/// The parent's bookkeeping when a child that wrote the RDB file ends
/// (BGSAVE, or a disk-based full sync): the log line, `lastsave`, `dirty`,
/// `rdb_last_bgsave_status` and `rdb_last_bgsave_time_sec`.
pub fn note_done(srv: &mut Server, exit: ChildExit) {
    if exit.signal == 0 && exit.code == 0 {
        log::info!("Background saving terminated with success");
        srv.dirty = srv
            .dirty
            .saturating_sub(srv.persistence.dirty_before_bgsave);
        srv.lastsave = unix_secs();
        srv.persistence.last_bgsave_ok = true;
    } else if exit.signal == 0 {
        log::warn!("Background saving error");
        srv.persistence.last_bgsave_ok = false;
    } else {
        log::warn!("Background saving terminated by signal {}", exit.signal);
        super::remove_temp_file(&srv.config, exit.pid);
        if exit.signal != crate::sys::SIGUSR1 {
            srv.persistence.last_bgsave_ok = false;
        }
    }
    note_time(srv);
}

/// The persistence part of the cron tick: reap a finished child (and read
/// its progress reports), or fire a save point when enough changes and
/// time have accumulated; then start a scheduled BGSAVE if possible.
pub fn cron(srv: &mut Server) {
    let now = unix_secs();
    if child::has_child(srv) {
        child::receive_child_info(srv);
        child::check_child_done(srv);
    } else {
        let retry_ok = now - srv.persistence.lastbgsave_try > RETRY_DELAY_SECS
            || srv.persistence.last_bgsave_ok;
        for i in 0..srv.config.save.len() {
            let (secs, changes) = srv.config.save[i];
            if srv.dirty >= changes && now - srv.lastsave > secs as i64 && retry_ok {
                log::info!("{} changes in {} seconds. Saving...", changes, secs);
                start(srv);
                break;
            }
        }
    }
    // Defensive, as Redis's updateDictResizePolicy in every tick (a
    // flushed database gets a fresh table).
    let active = child::has_child(srv);
    srv.keyspace.set_fork_child_active(active);
    if !active
        && srv.persistence.bgsave_scheduled
        && (now - srv.persistence.lastbgsave_try > RETRY_DELAY_SECS
            || srv.persistence.last_bgsave_ok)
        && start(srv)
    {
        srv.persistence.bgsave_scheduled = false;
    }
}

/// The `-MISCONF` error a command gets when writes are refused because
/// persisting failed (Redis's `writeCommandsDeniedByDiskError`): after a
/// failed BGSAVE with `stop-writes-on-bgsave-error yes` and save points,
/// or after a failed AOF write. Applies to write commands and PING.
#[inline]
pub fn write_denied_error(srv: &Server, spec: &CommandSpec) -> Option<String> {
    let p = &srv.persistence;
    if p.last_bgsave_ok {
        return None;
    }
    if !spec.has(flags::WRITE) && spec.name != "ping" {
        return None;
    }
    if !srv.config.save.is_empty() && srv.config.get_bool("stop-writes-on-bgsave-error") {
        return Some(MISCONF_RDB_ERR.to_string());
    }
    None
}

/// What FLUSHALL does for persistence after emptying the keyspace (Redis's
/// `flushAllDataAndResetRDB`): kill a running BGSAVE child (its snapshot is
/// obsolete) and, with save points configured, save the empty dataset at
/// once, which also resets `dirty`.
pub fn after_flushall(srv: &mut Server) {
    if child::has_rdb_child(srv) {
        child::kill_child(srv);
    }
    if !srv.config.save.is_empty() {
        super::save(srv);
    }
}

/// `rdb-del-sync-files`: with persistence off (no save points, no AOF),
/// the RDB file written only to feed replicas (a disk-based full sync) is
/// deleted once no replica waits for or reads one (Redis's
/// `removeRDBUsedToSyncReplicas`, run from the replication cron).
pub fn remove_rdb_used_to_sync_replicas(srv: &mut Server) {
    use crate::replication::master::ReplState;
    if !srv.config.get_bool("rdb-del-sync-files") {
        srv.repl.rdb_generated_by_sync = false;
        return;
    }
    if !srv.repl.rdb_generated_by_sync
        || !srv.config.save.is_empty()
        || srv.aof.status != crate::persistence::aof::Status::Off
    {
        return;
    }
    let syncing = srv.repl.replicas.iter().any(|r| {
        matches!(
            r.state,
            ReplState::WaitBgsaveStart | ReplState::WaitBgsaveEnd | ReplState::SendBulk
        )
    });
    if syncing {
        return;
    }
    let path = super::rdb_path(&srv.config);
    if std::fs::symlink_metadata(&path).is_ok() {
        srv.repl.rdb_generated_by_sync = false;
        log::info!("Removing the RDB file used to feed replicas in a persistence-less instance");
        let _ = std::fs::remove_file(&path);
    }
}

/// The writer RDB saves go through: honours `rdb-key-save-delay` (a
/// test hook: microseconds of sleep per write call, about one per key
/// part; negative values sleep 1 µs once in that many calls) and, in a
/// BGSAVE child, reports COW progress to the parent about once a second.
pub struct SaveWriter<W> {
    inner: W,
    /// What the progress reports are about ("RDB", "AOF rewrite").
    label: &'static str,
    delay: i64,
    calls: u64,
    written: u64,
    next_check: u64,
}

/// Bytes between two looks at the clock for progress reports.
const REPORT_CHECK_BYTES: u64 = 1 << 20;

impl<W: Write> SaveWriter<W> {
    /// Wraps `inner`, sleeping per write as `rdb-key-save-delay` says.
    pub fn new(inner: W, delay: i64) -> Self {
        SaveWriter {
            inner,
            label: "RDB",
            delay,
            calls: 0,
            written: 0,
            next_check: REPORT_CHECK_BYTES,
        }
    }

    /// The same for an AOF rewrite (its progress reports say so).
    pub fn for_aof_rewrite(inner: W, delay: i64) -> Self {
        SaveWriter {
            label: "AOF rewrite",
            ..SaveWriter::new(inner, delay)
        }
    }

    /// The wrapped writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// Sleeps for the test-only delays `rdb-key-save-delay` / `key-load-delay`
/// (Redis's `debugDelay`): `delay` microseconds when positive; when
/// negative, 1 µs once every `-delay` calls (`calls` counts them).
pub fn debug_delay(delay: i64, calls: &mut u64) {
    *calls += 1;
    let us = if delay > 0 {
        delay as u64
    } else if delay < 0 && (*calls).is_multiple_of(delay.unsigned_abs()) {
        1
    } else {
        0
    };
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us));
    }
}

impl<W: Write> Write for SaveWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.delay != 0 {
            debug_delay(self.delay, &mut self.calls);
        }
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        if self.written >= self.next_check || self.delay != 0 {
            self.next_check = self.written + REPORT_CHECK_BYTES;
            child::maybe_send_current_info(self.label);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    #[test]
    fn bgsave_argument_errors() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["bgsave", "x"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run_str(&["bgsave", "schedule", "x"]),
            "-ERR syntax error\r\n"
        );
    }

    #[test]
    fn misconf_refuses_writes_and_ping_only() {
        // The default save points (stop-writes needs some).
        let mut h = Harness::with_config(crate::config::Config::default());
        h.srv.persistence.last_bgsave_ok = false;
        let misconf = format!("-{}\r\n", super::MISCONF_RDB_ERR);
        assert_eq!(h.run_str(&["set", "a", "1"]), misconf);
        assert_eq!(h.run_str(&["ping"]), misconf);
        assert_eq!(h.run_str(&["get", "a"]), "$-1\r\n");
        h.run(&["config", "set", "stop-writes-on-bgsave-error", "no"]);
        assert_eq!(h.run_str(&["set", "a", "1"]), "+OK\r\n");
        h.run(&["config", "set", "stop-writes-on-bgsave-error", "yes"]);
        h.run(&["config", "set", "save", ""]);
        assert_eq!(h.run_str(&["ping"]), "+PONG\r\n");
    }

    #[test]
    fn loading_refuses_commands_without_the_loading_flag() {
        let mut h = Harness::new();
        h.srv.persistence.loading.active = true;
        let loading = format!("-{}\r\n", super::LOADING_ERR);
        assert_eq!(h.run_str(&["ping"]), loading);
        assert_eq!(h.run_str(&["get", "a"]), loading);
        assert!(h
            .run_str(&["info", "persistence"])
            .contains("loading:1\r\n"));
        assert_eq!(h.run_str(&["select", "1"]), "+OK\r\n");
        h.srv.persistence.loading.active = false;
        assert_eq!(h.run_str(&["ping"]), "+PONG\r\n");
    }

    #[test]
    fn info_persistence_has_redis_fields_in_order() {
        let mut h = Harness::new();
        let text = h.run_str(&["info", "persistence"]);
        let names: Vec<&str> = text
            .split("\r\n")
            .filter_map(|l| l.split_once(':').map(|(n, _)| n))
            .collect();
        assert_eq!(
            names,
            [
                "loading",
                "async_loading",
                "current_cow_peak",
                "current_cow_size",
                "current_cow_size_age",
                "current_fork_perc",
                "current_save_keys_processed",
                "current_save_keys_total",
                "rdb_changes_since_last_save",
                "rdb_bgsave_in_progress",
                "rdb_last_save_time",
                "rdb_last_bgsave_status",
                "rdb_last_bgsave_time_sec",
                "rdb_current_bgsave_time_sec",
                "rdb_saves",
                "rdb_last_cow_size",
                "rdb_last_load_keys_expired",
                "rdb_last_load_keys_loaded",
                "aof_enabled",
                "aof_rewrite_in_progress",
                "aof_rewrite_scheduled",
                "aof_last_rewrite_time_sec",
                "aof_current_rewrite_time_sec",
                "aof_last_bgrewrite_status",
                "aof_rewrites",
                "aof_rewrites_consecutive_failures",
                "aof_last_write_status",
                "aof_last_cow_size",
                "module_fork_in_progress",
                "module_fork_last_cow_size",
            ]
        );
        assert!(text.contains("rdb_last_bgsave_time_sec:-1\r\n"));
        assert!(text.contains("current_fork_perc:0.00\r\n"));
        h.srv.persistence.loading.active = true;
        h.srv.persistence.loading.total_bytes = 1000;
        h.srv.persistence.loading.loaded_bytes = 250;
        let text = h.run_str(&["info", "persistence"]);
        assert!(text.contains("loading_total_bytes:1000\r\nloading_rdb_used_mem:0\r\nloading_loaded_bytes:250\r\nloading_loaded_perc:25.00\r\nloading_eta_seconds:"));
    }

    #[test]
    fn tables_do_not_resize_while_a_child_exists() {
        let mut h = Harness::new();
        for i in 0..64 {
            h.run(&["set", &format!("k{}", i), "v"]);
        }
        let buckets = h.srv.keyspace.dbs[0].dict.bucket_count();
        h.srv.keyspace.set_fork_child_active(true);
        // Up to a load factor of 5 the table keeps its size.
        for i in 64..(buckets * 5 - 1) {
            h.run(&["set", &format!("k{}", i), "v"]);
        }
        assert_eq!(h.srv.keyspace.dbs[0].dict.bucket_count(), buckets);
        for i in 0..(buckets * 5 - 1) {
            h.run(&["del", &format!("k{}", i)]);
        }
        assert_eq!(h.srv.keyspace.dbs[0].dict.bucket_count(), buckets);
        // Past it, it grows anyway.
        for i in 0..(buckets * 6) {
            h.run(&["set", &format!("k{}", i), "v"]);
        }
        assert!(h.srv.keyspace.dbs[0].dict.bucket_count() > buckets);
        h.srv.keyspace.set_fork_child_active(false);
    }

    #[test]
    fn save_writer_passes_bytes_through() {
        use std::io::Write;
        let mut w = super::SaveWriter::new(Vec::new(), -1000);
        w.write_all(b"abc").unwrap();
        w.write_all(b"def").unwrap();
        assert_eq!(w.into_inner(), b"abcdef");
    }
}
