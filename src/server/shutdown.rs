//! Orderly shutdown: what SHUTDOWN and SIGTERM/SIGINT do before exiting.
//! A running BGSAVE child is killed and its temp file removed; with save
//! points configured (or SHUTDOWN SAVE) the dataset is saved first, and a
//! failed save aborts the shutdown unless FORCE is given. Nothing is saved
//! while the dataset is still loading.
//!
//! Redis counterpart: `prepareForShutdown` and `finishShutdown` in
//! `server.c`.

use super::Server;

/// SHUTDOWN's options (all false for a signal).
#[derive(Debug, Clone, Copy, Default)]
pub struct ShutdownFlags {
    /// NOSAVE: do not save even with save points.
    pub nosave: bool,
    /// SAVE: save even without save points.
    pub save: bool,
    /// FORCE: exit even if the save fails.
    pub force: bool,
}

/// Prepares to exit: saves when save points are configured (or SAVE was
/// given) and NOSAVE was not, removes the pid file and the unix socket.
/// Returns false when the shutdown must be aborted (a failed save without
/// FORCE); the server then keeps running.
pub fn prepare_shutdown(srv: &mut Server, flags: ShutdownFlags) -> bool {
    log::warn!("User requested shutdown...");
    use crate::persistence::child;
    if child::has_rdb_child(srv) {
        // Its rename could otherwise overwrite the final save.
        log::warn!("There is a child saving an .rdb. Killing it!");
        if let Some(c) = child::kill_child_silently(srv) {
            crate::persistence::remove_temp_file(&srv.config, c.pid);
        }
    }
    // Best effort: replicas get what is pending for them.
    crate::replication::master::flush_before_shutdown(srv);
    // A half-loaded dataset must never overwrite the file.
    if !crate::persistence::aof::on_shutdown(srv, flags.force) {
        return false;
    }
    let loading = srv.persistence.loading.active;
    if ((!srv.config.save.is_empty() && !flags.nosave) || flags.save) && !loading {
        log::info!("Saving the final RDB snapshot before exiting.");
        if !crate::persistence::save(srv) {
            if flags.force {
                log::warn!("Error trying to save the DB. Exit anyway.");
            } else {
                log::warn!("Error trying to save the DB, can't exit.");
                log::warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
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
    log::warn!("Redis is now ready to exit, bye bye...");
    true
}
