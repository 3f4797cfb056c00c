//! Orderly shutdown: what SHUTDOWN and SIGTERM/SIGINT do before exiting.
//!
//! With replicas attached whose acknowledged offset is behind the master's
//! (and `shutdown-timeout` > 0, without NOW), the shutdown first waits:
//! writes are paused, the replicas are asked for an ACK (`REPLCONF
//! GETACK`), and the shutdown finishes once every replica acknowledged the
//! master's offset or the timeout passed; the SHUTDOWN callers stay
//! blocked meanwhile and `SHUTDOWN ABORT` cancels it. Finishing: lagging
//! replicas are logged, a running BGSAVE child is killed and its temp file
//! removed; with save points configured (or SHUTDOWN SAVE) the dataset is
//! saved, and a failed save cancels the shutdown unless FORCE is given.
//! Nothing is saved while the dataset is still loading.
//!
//! Redis counterpart: `prepareForShutdown`, `isReadyToShutdown`,
//! `finishShutdown`, `abortShutdown`, `cancelShutdown` and the shutdown
//! part of `serverCron` in `server.c`.

use super::{PauseKind, Server};

/// SHUTDOWN's options (a signal's come from `shutdown-on-sigterm` /
/// `shutdown-on-sigint`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownFlags {
    /// NOSAVE: do not save even with save points.
    pub nosave: bool,
    /// SAVE: save even without save points.
    pub save: bool,
    /// NOW: do not wait for lagging replicas.
    pub now: bool,
    /// FORCE: exit even if the save fails.
    pub force: bool,
}

impl ShutdownFlags {
    /// The flags of a `shutdown-on-sigterm`-style value (`save now force`).
    pub fn from_config_text(text: &[u8]) -> ShutdownFlags {
        let mut f = ShutdownFlags::default();
        for w in text.split(|b| b.is_ascii_whitespace()) {
            match w {
                b"save" => f.save = true,
                b"nosave" => f.nosave = true,
                b"now" => f.now = true,
                b"force" => f.force = true,
                _ => {}
            }
        }
        f
    }
}

/// A shutdown in progress (`srv.shutdown`).
#[derive(Debug, Default)]
pub struct ShutdownState {
    /// Unix ms when waiting for replicas ends; 0 when no shutdown waits
    /// (Redis's `shutdown_mstime`).
    pub deadline_ms: i64,
    /// The flags of the waiting shutdown.
    pub flags: ShutdownFlags,
    /// The last shutdown signal received (SIGINT/SIGTERM), 0 for none.
    pub signal: i32,
    /// Clients blocked in SHUTDOWN: (slab token, client id).
    pub waiters: Vec<(usize, u64)>,
}

/// What `prepare_shutdown` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Ready to exit now.
    Exit,
    /// Waiting for lagging replicas (or a shutdown already waits).
    Waiting,
    /// Failed (logged); the server keeps running.
    Failed,
}

/// The text the SHUTDOWN callers get when the shutdown fails or is aborted.
pub const SHUTDOWN_ERR: &str = "ERR Errors trying to SHUTDOWN. Check logs.";

/// Whether a shutdown waits for replicas (Redis's `isShutdownInitiated`).
pub fn initiated(srv: &Server) -> bool {
    srv.shutdown.deadline_ms != 0
}

/// The pause a waiting shutdown imposes: writes (Redis's
/// `PAUSE_DURING_SHUTDOWN`).
pub fn pause(srv: &Server) -> PauseKind {
    if initiated(srv) {
        PauseKind::Write
    } else {
        PauseKind::None
    }
}

/// Starts a shutdown: exits at once (`Outcome::Exit`: the caller exits
/// the process) unless replicas lag, in which case writes are paused and
/// the shutdown waits (`Outcome::Waiting`, finished by `tick`).
pub fn prepare_shutdown(srv: &mut Server, mut flags: ShutdownFlags) -> Outcome {
    if initiated(srv) {
        return Outcome::Waiting;
    }
    // A half-loaded dataset must never overwrite the file.
    if srv.persistence.loading.active {
        flags.save = false;
        flags.nosave = true;
    }
    srv.shutdown.flags = flags;
    log::warn!("User requested shutdown...");
    let timeout = srv.config.get_i64("shutdown-timeout");
    if !flags.now && timeout != 0 && !crate::replication::master::ready_to_shutdown(srv) {
        srv.shutdown.deadline_ms = srv.now_ms.saturating_add(timeout.saturating_mul(1000));
        if srv.pause == PauseKind::None {
            crate::replication::master::request_getack(srv);
        }
        log::info!("Waiting for replicas before shutting down.");
        // Expired keys stay while writes are paused.
        srv.refresh_expire_mode();
        return Outcome::Waiting;
    }
    if finish_shutdown(srv) {
        Outcome::Exit
    } else {
        Outcome::Failed
    }
}

/// The last step: logs lagging replicas, kills a saving child, flushes the
/// AOF, saves when due, removes the pid file and the unix socket. Returns
/// false when the shutdown must be cancelled (a failed save without
/// FORCE); it is then cancelled and the server keeps running.
pub fn finish_shutdown(srv: &mut Server) -> bool {
    let flags = srv.shutdown.flags;
    crate::replication::master::log_lagging_replicas(srv);
    use crate::persistence::child;
    if child::has_rdb_child(srv) {
        // Its rename could otherwise overwrite the final save.
        log::warn!("There is a child saving an .rdb. Killing it!");
        if let Some(c) = child::kill_child_silently(srv) {
            crate::persistence::remove_temp_file(&srv.config, c.pid);
        }
    }
    if !crate::persistence::aof::on_shutdown(srv, flags.force) {
        // on_shutdown logged why.
        cancel_shutdown(srv);
        return false;
    }
    if (!srv.config.save.is_empty() && !flags.nosave) || flags.save {
        log::info!("Saving the final RDB snapshot before exiting.");
        if !crate::persistence::save(srv) {
            if flags.force {
                log::warn!("Error trying to save the DB. Exit anyway.");
            } else {
                log::warn!("Error trying to save the DB, can't exit.");
                log::warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                cancel_shutdown(srv);
                return false;
            }
        }
    }
    if !srv.config.pidfile.is_empty() {
        log::info!("Removing the pid file.");
        let _ = std::fs::remove_file(&srv.config.pidfile);
    }
    if !srv.config.unixsocket.is_empty() {
        log::info!("Removing the unix socket file.");
        let _ = std::fs::remove_file(&srv.config.unixsocket);
    }
    // Best effort: replicas get what is pending for them.
    crate::replication::master::flush_before_shutdown(srv);
    log::warn!("Redis is now ready to exit, bye bye...");
    true
}

/// Forgets the shutdown: its callers get an error, writes resume.
fn cancel_shutdown(srv: &mut Server) {
    srv.shutdown_asap = false;
    srv.shutdown.flags = ShutdownFlags::default();
    srv.shutdown.deadline_ms = 0;
    srv.shutdown.signal = 0;
    for (token, id) in std::mem::take(&mut srv.shutdown.waiters) {
        let Some(Some(mut c)) = srv.clients.get_mut(token).map(Option::take) else {
            continue;
        };
        if c.id == id && c.blocked.is_some() {
            crate::commands::count_error(srv, SHUTDOWN_ERR);
            c.reply.error(SHUTDOWN_ERR);
            super::reactor::unblock_client(srv, &mut c);
        }
        srv.clients[token] = Some(c);
    }
}

/// `SHUTDOWN ABORT`: cancels a waiting shutdown (or one a signal asked
/// for). False when none is in progress.
pub fn abort_shutdown(srv: &mut Server) -> bool {
    if initiated(srv) {
        cancel_shutdown(srv);
    } else if srv.shutdown_asap {
        srv.shutdown_asap = false;
    } else {
        return false;
    }
    log::info!("Shutdown manually aborted.");
    true
}

/// Blocks the running SHUTDOWN caller until the shutdown ends.
pub fn add_waiter(srv: &mut Server, token: usize, id: u64) {
    srv.shutdown.waiters.push((token, id));
}

/// A shutdown signal arrived (SIGTERM/SIGINT). A second SIGINT while a
/// signal's shutdown is pending exits at once, as Redis does.
pub fn on_signal(srv: &mut Server, sig: i32) {
    if srv.shutdown_asap && sig == libc::SIGINT {
        crate::logging::from_signal_handler("You insist... exiting now.");
        // A synchronous save of this process's own may be under way.
        crate::persistence::remove_temp_file(&srv.config, crate::sys::getpid());
        std::process::exit(1);
    }
    let name = if sig == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    crate::logging::from_signal_handler(&format!("Received {} scheduling shutdown...", name));
    srv.shutdown_asap = true;
    srv.shutdown.signal = sig;
}

/// Run every loop iteration: starts the shutdown a signal asked for (with
/// `shutdown-on-sigterm`/`-sigint`'s flags), finishes a waiting one once
/// the replicas caught up or the timeout passed. True: exit now.
pub fn tick(srv: &mut Server) -> bool {
    if srv.shutdown_asap && !initiated(srv) {
        let directive = if srv.shutdown.signal == libc::SIGINT {
            "shutdown-on-sigint"
        } else {
            "shutdown-on-sigterm"
        };
        let flags = ShutdownFlags::from_config_text(&srv.config.get(directive).unwrap_or_default());
        match prepare_shutdown(srv, flags) {
            Outcome::Exit => return true,
            Outcome::Waiting => {}
            Outcome::Failed => {
                log::warn!("SIGTERM received but errors trying to shut down the server, check the logs for more information");
                srv.shutdown_asap = false;
            }
        }
    } else if initiated(srv)
        && (srv.now_ms >= srv.shutdown.deadline_ms
            || crate::replication::master::ready_to_shutdown(srv))
    {
        return finish_shutdown(srv);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testing::Harness;

    #[test]
    fn flags_from_config_text() {
        let f = ShutdownFlags::from_config_text(b"save now force");
        assert!(f.save && f.now && f.force && !f.nosave);
        assert_eq!(
            ShutdownFlags::from_config_text(b"default"),
            ShutdownFlags::default()
        );
    }

    #[test]
    fn abort_without_shutdown_and_syntax() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["shutdown", "abort"]),
            "-ERR No shutdown in progress.\r\n"
        );
        assert_eq!(
            h.run_str(&["shutdown", "abort", "now"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["shutdown", "save", "nosave"]),
            "-ERR syntax error\r\n"
        );
        assert!(!initiated(&h.srv));
        assert_eq!(pause(&h.srv), PauseKind::None);
    }
}
