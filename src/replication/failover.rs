//! FAILOVER: a master hands its role over to one of its replicas. Writes
//! are paused while it waits for a replica (the one named with TO, else
//! the first) to acknowledge the whole stream; it then becomes a replica
//! of it, sending `PSYNC <replid> <offset> FAILOVER` so the target turns
//! master and continues the stream. The pause ends when the target
//! answers the PSYNC; a refusal, or the timeout without FORCE, aborts.
//!
//! Redis counterpart: `failoverCommand`, `updateFailoverStatus`,
//! `abortFailover`, `clearFailoverState` (`replication.c`).

use crate::server::{PauseKind, Server};

/// Where a failover stands (INFO's `master_failover_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Writes paused, waiting for the target to acknowledge everything.
    WaitForSync,
    /// Demoted: the link to the target is being set up.
    InProgress,
}

/// A running failover.
#[derive(Debug, Clone)]
pub struct Failover {
    pub stage: Stage,
    /// The replica named with TO, or the one that caught up first.
    pub target: Option<(String, u16)>,
    /// Unix ms when waiting gives up (0: never).
    pub deadline_ms: i64,
    /// FORCE: at the deadline, fail over to the target anyway.
    pub force: bool,
}

/// INFO's `master_failover_state`.
pub fn state_name(srv: &Server) -> &'static str {
    match srv.repl.failover.as_ref().map(|f| f.stage) {
        None => "no-failover",
        Some(Stage::WaitForSync) => "waiting-for-sync",
        Some(Stage::InProgress) => "failover-in-progress",
    }
}

/// Writes are paused for the whole failover.
pub fn pause(srv: &Server) -> PauseKind {
    if srv.repl.failover.is_some() {
        PauseKind::Write
    } else {
        PauseKind::None
    }
}

/// Whether the master's handshake sends `PSYNC ... FAILOVER`.
pub fn in_progress(srv: &Server) -> bool {
    srv.repl
        .failover
        .as_ref()
        .is_some_and(|f| f.stage == Stage::InProgress)
}

/// `ip:port` as the failover log lines name the target.
fn target_name(f: &Failover) -> String {
    match &f.target {
        Some((h, p)) => format!("{}:{}", h, p),
        None => "any replica".to_string(),
    }
}

/// Starts a failover (the command checked everything).
pub fn start(srv: &mut Server, target: Option<(String, u16)>, timeout_ms: i64, force: bool) {
    match &target {
        Some((h, p)) => log::info!("FAILOVER requested to {}:{}.", h, p),
        None => log::info!("FAILOVER requested to any replica."),
    }
    let deadline_ms = if timeout_ms > 0 {
        srv.now_ms.saturating_add(timeout_ms)
    } else {
        0
    };
    srv.repl.failover = Some(Failover {
        stage: Stage::WaitForSync,
        target,
        deadline_ms,
        force,
    });
    // Expired keys stay while writes are paused.
    srv.refresh_expire_mode();
}

/// Ends the failover (done or aborted): writes resume.
fn clear(srv: &mut Server) {
    srv.repl.failover = None;
    srv.refresh_expire_mode();
}

/// Aborts the failover: a demoted master becomes a master again.
pub fn abort(srv: &mut Server, why: &str) {
    let Some(f) = srv.repl.failover.clone() else {
        return;
    };
    log::info!("FAILOVER to {} aborted: {}", target_name(&f), why);
    if f.stage == Stage::InProgress {
        crate::replication::replica::unset_master(srv);
    }
    clear(srv);
}

/// The target answered the `PSYNC ... FAILOVER` (`accepted`: with
/// `+CONTINUE` or `+FULLRESYNC`).
pub fn psync_answered(srv: &mut Server, accepted: bool) {
    if !in_progress(srv) {
        return;
    }
    if accepted {
        clear(srv);
    } else {
        abort(srv, "Failover target rejected psync request");
    }
}

/// Every loop iteration while waiting: gives up at the deadline (or
/// forces the failover), else fails over once a replica acknowledged the
/// whole stream.
pub fn tick(srv: &mut Server) {
    let Some(f) = srv.repl.failover.clone() else {
        return;
    };
    if f.stage != Stage::WaitForSync {
        return;
    }
    if f.deadline_ms != 0 && f.deadline_ms <= srv.now_ms {
        match (&f.target, f.force) {
            (Some((h, p)), true) => {
                log::info!("FAILOVER to {}:{} time out exceeded, failing over.", h, p);
                hand_over(srv, h.clone(), *p);
            }
            _ => abort(srv, "Replica never caught up before timeout"),
        }
        return;
    }
    let offset = srv.repl.master_repl_offset;
    let caught_up = srv.repl.replicas.iter().find(|r| {
        let named = match &f.target {
            Some((h, p)) => r.matches(h, *p),
            None => true,
        };
        named && r.ack_off == offset
    });
    if let Some(r) = caught_up {
        let (host, port) = r.address();
        log::info!("Failover target {}:{} is synced, failing over.", host, port);
        hand_over(srv, host, port);
    }
}

/// Demotes this master to a replica of the target.
fn hand_over(srv: &mut Server, host: String, port: u16) {
    if let Some(f) = srv.repl.failover.as_mut() {
        f.stage = Stage::InProgress;
        f.target = Some((host.clone(), port));
    }
    crate::replication::replica::set_master(srv, host, port);
}
