//! The forked child: at most one at a time (an RDB save, an AOF rewrite or
//! an RDB transfer to replicas), started with `spawn`, reaped without
//! blocking from the cron tick by `check_child_done`, which hands the exit
//! status to the callback its starter gave. `kill_child` ends it early
//! (FLUSHALL, SHUTDOWN, `BGREWRITEAOF` superseding a save...).
//!
//! The child reports its progress and copy-on-write cost to the parent
//! through a non-blocking pipe (`send_current_info`, `send_cow_info`),
//! read by `receive_child_info` from cron. At fork the child takes the
//! background `oom-score-adj` class and its process name (`set-proc-title`),
//! and the parent stops resizing the keyspace tables so copy-on-write
//! stays small.
//!
//! Redis counterpart: `childinfo.c`, `redisFork`, `checkChildrenDone`,
//! `setOOMScoreAdj`, `redisSetProcTitle` and `killRDBChild`/
//! `killAppendOnlyChild` in `server.c`/`rdb.c`/`aof.c`.

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::config::Config;
use crate::server::Server;
use crate::sys::{self, ChildExit, Forked};

/// What the child is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    /// BGSAVE (or a save point): writes the RDB file.
    Rdb,
    /// BGREWRITEAOF: writes a new AOF base file.
    Aof,
    /// A full-sync RDB transfer to replicas.
    ReplTransfer,
}

impl ChildKind {
    /// Whether it writes an RDB (to disk or to replicas): Redis's
    /// `CHILD_TYPE_RDB`, which BGSAVE, SAVE, FLUSHALL and SHUTDOWN check.
    pub fn is_rdb(self) -> bool {
        matches!(self, ChildKind::Rdb | ChildKind::ReplTransfer)
    }

    /// The process title Redis gives the child.
    pub fn title(self) -> &'static str {
        match self {
            ChildKind::Rdb => "redis-rdb-bgsave",
            ChildKind::Aof => "redis-aof-rewrite",
            ChildKind::ReplTransfer => "redis-rdb-to-slaves",
        }
    }
}

/// Called in the parent when the child ends (or was killed by us).
pub type OnDone = fn(&mut Server, ChildExit);

/// The running child.
#[derive(Debug)]
pub struct Child {
    /// Its pid.
    pub pid: i32,
    /// What it does.
    pub kind: ChildKind,
    /// When it was forked (unix ms, for `*_time_sec` fields).
    pub started_ms: i64,
    /// Monotonic start.
    pub started: Instant,
    /// What to do when it ends.
    pub on_done: OnDone,
    /// Read end of the child-info pipe (None if it could not be created).
    pub info_pipe: Option<mio::unix::pipe::Receiver>,
}

/// Fork statistics for `INFO stats` (`total_forks`, `latest_fork_usec`).
#[derive(Debug, Clone, Default)]
pub struct ForkStats {
    /// Children forked since start.
    pub total_forks: u64,
    /// How long the last `fork()` call took, in microseconds.
    pub latest_fork_usec: u64,
}

/// Whether a child is running.
pub fn has_child(srv: &Server) -> bool {
    srv.child.is_some()
}

/// The kind of the running child, if any.
pub fn child_kind(srv: &Server) -> Option<ChildKind> {
    srv.child.as_ref().map(|c| c.kind)
}

/// Whether an RDB child (BGSAVE or a transfer to replicas) runs.
pub fn has_rdb_child(srv: &Server) -> bool {
    child_kind(srv).is_some_and(ChildKind::is_rdb)
}

/// Forks a child that runs `work` and exits with the code it returns (0 for
/// success). In the child the listening sockets are closed first, so a
/// server restarted while an orphaned child still runs can bind its port;
/// the child logs with the `C` role, takes the background `oom-score-adj`
/// class and its kind's process name. Returns the child's pid in the
/// parent; refuses when a child exists.
pub fn spawn(
    srv: &mut Server,
    kind: ChildKind,
    on_done: OnDone,
    work: impl FnOnce(&mut Server) -> i32,
) -> std::io::Result<i32> {
    if srv.child.is_some() {
        return Err(std::io::Error::other("a child process is already running"));
    }
    // A failure to create the pipe only costs the progress reports.
    let pipe = mio::unix::pipe::new().ok();
    let t0 = Instant::now();
    match sys::fork()? {
        Forked::Child => {
            for &fd in &srv.listener_fds {
                sys::close_fd(fd);
            }
            crate::logging::set_role(b'C');
            sys::install_child_sigusr1_handler();
            // Progress counts from this child's first key (a SAVE in the
            // parent may have moved them).
            KEYS_DONE.store(0, Ordering::Relaxed);
            LAST_PROGRESS.with(|l| l.set(None));
            if let Some((tx, rx)) = pipe {
                drop(rx);
                if let Ok(mut slot) = CHILD_PIPE.lock() {
                    *slot = Some(tx);
                }
            }
            set_oom_score_adj(&srv.config, Some(OOM_BGCHILD));
            crate::server::proc_title::apply(&srv.config, kind.title());
            let code = work(srv);
            sys::exit_child(code)
        }
        Forked::Parent(pid) => {
            srv.fork_stats.total_forks += 1;
            srv.fork_stats.latest_fork_usec = t0.elapsed().as_micros() as u64;
            srv.persistence.fork_info = crate::persistence::ForkInfo {
                keys_total: srv.keyspace.total_keys() as u64,
                ..Default::default()
            };
            srv.keyspace.set_fork_child_active(true);
            srv.child = Some(Child {
                pid,
                kind,
                started_ms: srv.now_ms,
                started: Instant::now(),
                on_done,
                info_pipe: pipe.map(|(_, rx)| rx),
            });
            Ok(pid)
        }
    }
}

/// Forgets the child's progress and lets the tables resize again (Redis's
/// `resetChildState`).
fn reset_child_state(srv: &mut Server) {
    srv.persistence.fork_info = Default::default();
    srv.keyspace.set_fork_child_active(false);
}

/// Reaps the child if it has ended and runs its callback. Called from the
/// cron tick (and before shutdown).
pub fn check_child_done(srv: &mut Server) {
    let Some(mut exit) = sys::reap_child() else {
        return;
    };
    if exit.signal == 0 && exit.code == sys::CHILD_NOERROR_EXIT {
        // Its SIGUSR1 handler exited: killed on purpose, not an error.
        exit.signal = sys::SIGUSR1;
        exit.code = 1;
    }
    match srv.child.take() {
        Some(mut child) if child.pid == exit.pid => {
            if exit.signal == 0 && exit.code == 0 {
                // The final report (COW size) is only trusted on success.
                drain_info_pipe(srv, &mut child);
            }
            (child.on_done)(srv, exit);
            reset_child_state(srv);
        }
        other => {
            // Not our current child (a stale one killed earlier): keep ours.
            srv.child = other;
            log::warn!("Warning, detected child with unmatched pid: {}", exit.pid);
        }
    }
}

/// Kills the running child (if any) with SIGUSR1, waits for it and runs its
/// callback with the signal as the outcome, as Redis's `killRDBChild`
/// followed by the reap.
pub fn kill_child(srv: &mut Server) {
    let Some(child) = srv.child.take() else {
        return;
    };
    sys::kill(child.pid, sys::SIGUSR1);
    sys::wait_child(child.pid);
    (child.on_done)(
        srv,
        ChildExit {
            pid: child.pid,
            code: -1,
            signal: sys::SIGUSR1,
        },
    );
    reset_child_state(srv);
}

/// Kills the running child (if any) with SIGUSR1 and waits for it without
/// running its callback (SHUTDOWN: the server exits next). Returns it.
pub fn kill_child_silently(srv: &mut Server) -> Option<Child> {
    let child = srv.child.take()?;
    sys::kill(child.pid, sys::SIGUSR1);
    sys::wait_child(child.pid);
    reset_child_state(srv);
    Some(child)
}

// ---- child info pipe ----

/// A message's kind: progress while running, or the final COW size of a
/// successful RDB save / AOF rewrite (Redis's `childInfoType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoKind {
    /// Periodic progress (`current_*` fields).
    Current = 0,
    /// Final COW size of an RDB child (`rdb_last_cow_size`).
    RdbCowSize = 1,
    /// Final COW size of an AOF rewrite child (`aof_last_cow_size`).
    AofCowSize = 2,
}

/// Bytes of one message: kind, keys processed, COW bytes (u64 LE each).
const INFO_MSG_LEN: usize = 24;
/// A progress reading costs time; keep it under 1% of the child's time.
const COW_DUTY_CYCLE: u32 = 100;

/// The child's write end of the info pipe (set in the child only).
static CHILD_PIPE: Mutex<Option<mio::unix::pipe::Sender>> = Mutex::new(None);

/// COW readings taken by this child (Redis keeps them in statics too).
#[derive(Default)]
struct CowTrack {
    cow: u64,
    peak: u64,
    sum: u64,
    count: u64,
    updated: Option<Instant>,
    cost: std::time::Duration,
}

thread_local! {
    static COW: RefCell<CowTrack> = RefCell::new(CowTrack::default());
}

/// Private dirty memory of this process (what copy-on-write duplicated in a
/// child), from `/proc/self/smaps_rollup`.
pub fn private_dirty_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

fn send_info(kind: InfoKind, keys: u64, pname: &str) {
    let Ok(mut slot) = CHILD_PIPE.lock() else {
        return;
    };
    let Some(tx) = slot.as_mut() else {
        return;
    };
    let final_report = kind != InfoKind::Current;
    let cow = COW.with(|c| {
        let mut c = c.borrow_mut();
        let now = Instant::now();
        let due = c
            .updated
            .is_none_or(|u| now.duration_since(u) > c.cost * COW_DUTY_CYCLE);
        if final_report || due {
            c.cow = private_dirty_bytes();
            let after = Instant::now();
            c.cost = after.duration_since(now);
            c.updated = Some(after);
            c.peak = c.peak.max(c.cow);
            c.sum += c.cow;
            c.count += 1;
            if c.cow > 0 || final_report {
                let msg = format!(
                    "Fork CoW for {}: current {} MB, peak {} MB, average {} MB",
                    pname,
                    c.cow >> 20,
                    c.peak >> 20,
                    (c.sum / c.count) >> 20
                );
                if final_report {
                    log::info!("{}", msg);
                } else {
                    log::debug!("{}", msg);
                }
            }
        }
        c.cow
    });
    let mut msg = [0u8; INFO_MSG_LEN];
    msg[..8].copy_from_slice(&(kind as u64).to_le_bytes());
    msg[8..16].copy_from_slice(&keys.to_le_bytes());
    msg[16..].copy_from_slice(&cow.to_le_bytes());
    // A full pipe drops the report (the parent reads it every tick).
    let _ = tx.write(&msg);
}

/// In the child: reports progress (`keys` written so far) and the current
/// COW size, measured at most 1% of the time.
pub fn send_current_info(keys: u64, pname: &str) {
    send_info(InfoKind::Current, keys, pname);
}

/// Keys the child has written so far: what its progress reports carry.
static KEYS_DONE: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// When the child last sent a progress report.
    static LAST_PROGRESS: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Progress reports are sent at most this often (Redis: "every 1 second
/// (approximately)", checked every 1024 keys).
const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// In the child: sends a progress report (keys written so far, COW size)
/// unless the last one is less than a second old.
pub fn maybe_send_current_info(pname: &str) {
    let now = Instant::now();
    let due = LAST_PROGRESS.with(|l| {
        let due = l
            .get()
            .is_none_or(|t| now.duration_since(t) >= PROGRESS_INTERVAL);
        if due {
            l.set(Some(now));
        }
        due
    });
    if due {
        send_current_info(KEYS_DONE.load(Ordering::Relaxed), pname);
    }
}

/// In the child: `keys` keys are written; reported at most once a second.
pub fn report_progress(keys: u64, pname: &str) {
    KEYS_DONE.store(keys, Ordering::Relaxed);
    maybe_send_current_info(pname);
}

/// `SaveOptions::progress` for a BGSAVE child (`current_save_keys_processed`).
pub fn rdb_progress(keys: u64) {
    report_progress(keys, "RDB");
}

/// Progress of an AOF rewrite child (its RDB preamble or its commands).
pub fn aof_progress(keys: u64) {
    report_progress(keys, "AOF rewrite");
}

/// In the child, after a successful job: logs `Fork CoW for <pname>: ...`
/// and reports the final COW size (`kind` is RdbCowSize or AofCowSize).
pub fn send_cow_info(kind: InfoKind, pname: &str) {
    send_info(kind, 0, pname);
}

fn drain_info_pipe(srv: &mut Server, child: &mut Child) {
    let Some(rx) = child.info_pipe.as_mut() else {
        return;
    };
    let mut buf = [0u8; INFO_MSG_LEN * 16];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        match rx.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    for msg in pending.chunks_exact(INFO_MSG_LEN) {
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&msg[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        let (kind, keys, cow) = (word(0), word(1), word(2));
        let info = &mut srv.persistence.fork_info;
        info.cow_size = cow;
        info.cow_peak = info.cow_peak.max(cow);
        info.cow_updated = Some(Instant::now());
        match kind {
            0 => info.keys_processed = keys,
            1 => srv.persistence.rdb_last_cow_size = cow,
            2 => srv.aof.last_cow_size = cow,
            _ => {}
        }
    }
}

/// In the parent: reads what the running child reported (cron).
pub fn receive_child_info(srv: &mut Server) {
    if let Some(mut child) = srv.child.take() {
        drain_info_pipe(srv, &mut child);
        srv.child = Some(child);
    }
}

// ---- oom-score-adj ----

/// `oom-score-adj-values` class of a primary.
pub const OOM_MASTER: usize = 0;
/// `oom-score-adj-values` class of a replica.
pub const OOM_REPLICA: usize = 1;
/// `oom-score-adj-values` class of a background child.
pub const OOM_BGCHILD: usize = 2;

/// Whether this process changed its own oom_score_adj.
static OOM_ADJUSTED: AtomicBool = AtomicBool::new(false);
/// The value found before the first change (restored by `oom-score-adj no`;
/// `relative` values are added to it).
static OOM_BASE: AtomicI32 = AtomicI32::new(0);

/// Applies `oom-score-adj` for `class` (None: primary or replica, by role)
/// by writing `/proc/self/oom_score_adj`, as Redis's `setOOMScoreAdj`:
/// `relative` adds the value to the score the process started with,
/// `absolute` writes it as is, `no` restores the original score if it was
/// changed. Failures are logged and returned as false.
pub fn set_oom_score_adj(cfg: &Config, class: Option<usize>) -> bool {
    const PATH: &str = "/proc/self/oom_score_adj";
    let class = class.unwrap_or(if cfg.replicaof.is_some() {
        OOM_REPLICA
    } else {
        OOM_MASTER
    });
    let mode = cfg.get_enum("oom-score-adj");
    let val = if mode != "no" && !mode.is_empty() {
        if !OOM_ADJUSTED.swap(true, Ordering::SeqCst) {
            match std::fs::read_to_string(PATH) {
                Ok(s) => OOM_BASE.store(s.trim().parse().unwrap_or(0), Ordering::SeqCst),
                Err(e) => {
                    OOM_ADJUSTED.store(false, Ordering::SeqCst);
                    log::warn!(
                        "Unable to read oom_score_adj: {}",
                        crate::config::strerror(&e)
                    );
                    return false;
                }
            }
        }
        let mut v = cfg.oom_score_adj_values.get(class).copied().unwrap_or(0);
        if mode != "absolute" {
            v += OOM_BASE.load(Ordering::SeqCst);
        }
        v.clamp(-1000, 1000)
    } else if OOM_ADJUSTED.swap(false, Ordering::SeqCst) {
        OOM_BASE.load(Ordering::SeqCst)
    } else {
        return true;
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .open(PATH)
        .and_then(|mut f| f.write_all(format!("{}\n", val).as_bytes()))
    {
        Ok(()) => true,
        Err(e) => {
            log::warn!(
                "Unable to write oom_score_adj: {}",
                crate::config::strerror(&e)
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dirty_is_measured() {
        // A test process has written plenty of private memory.
        assert!(private_dirty_bytes() > 0);
    }

    #[test]
    fn oom_score_adj_no_writes_nothing() {
        let cfg = Config::default();
        assert!(set_oom_score_adj(&cfg, None));
        assert!(!OOM_ADJUSTED.load(Ordering::SeqCst));
    }
}
