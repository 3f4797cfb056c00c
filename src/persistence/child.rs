//! The forked child: at most one at a time (an RDB save, an AOF rewrite or
//! an RDB transfer to replicas), started with `spawn`, reaped without
//! blocking from the cron tick by `check_child_done`, which hands the exit
//! status to the callback its starter gave. `kill_child` ends it early
//! (FLUSHALL, SHUTDOWN, `BGREWRITEAOF` superseding a save...).
//!
//! Redis counterpart: `childinfo.c`, `redisFork`, `checkChildrenDone` and
//! `killRDBChild`/`killAppendOnlyChild` in `server.c`/`rdb.c`/`aof.c`.

use std::time::Instant;

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
    /// The word Redis's `fork child started`/`exiting` log lines use.
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
#[derive(Debug, Clone)]
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

/// Forks a child that runs `work` and exits with the code it returns (0 for
/// success). In the child the listening sockets are closed first, so a
/// server restarted while an orphaned child still runs can bind its port.
/// Returns the child's pid in the parent; refuses when a child exists.
pub fn spawn(
    srv: &mut Server,
    kind: ChildKind,
    on_done: OnDone,
    work: impl FnOnce(&mut Server) -> i32,
) -> std::io::Result<i32> {
    if srv.child.is_some() {
        return Err(std::io::Error::other("a child process is already running"));
    }
    let t0 = Instant::now();
    match sys::fork()? {
        Forked::Child => {
            for &fd in &srv.listener_fds {
                sys::close_fd(fd);
            }
            let code = work(srv);
            sys::exit_child(code)
        }
        Forked::Parent(pid) => {
            srv.fork_stats.total_forks += 1;
            srv.fork_stats.latest_fork_usec = t0.elapsed().as_micros() as u64;
            srv.child = Some(Child {
                pid,
                kind,
                started_ms: srv.now_ms,
                started: Instant::now(),
                on_done,
            });
            Ok(pid)
        }
    }
}

/// Reaps the child if it has ended and runs its callback. Called from the
/// cron tick (and before shutdown).
pub fn check_child_done(srv: &mut Server) {
    let Some(exit) = sys::reap_child() else {
        return;
    };
    match srv.child.take() {
        Some(child) if child.pid == exit.pid => (child.on_done)(srv, exit),
        other => {
            // Not our current child (a stale one killed earlier): keep ours.
            srv.child = other;
            log::warn!("Warning, detected child with unmatched pid: {}", exit.pid);
        }
    }
}

/// Kills the running child (if any) with SIGUSR1, waits for it and runs its
/// callback with the signal as the outcome, as Redis's `killRDBChild`.
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
}
