//! Server commands: INFO, COMMAND, DEBUG, SLOWLOG, MONITOR, TIME, ...
//!
//! Redis counterpart: `server.c`, `debug.c`, `slowlog.c`.

use super::spec::CommandSpec;
use crate::server::client::Client;
use crate::server::Server;

pub static COMMANDS: &[CommandSpec] = &[];

/// Sends a command to every MONITOR client, Redis's format:
/// `+<secs>.<usecs> [<db> <addr>] "arg" ...`.
pub fn feed_monitors(srv: &mut Server, client: &Client, argv: &[&[u8]]) {
    let mut line = Vec::with_capacity(64);
    line.push(b'+');
    line.extend_from_slice(
        format!(
            "{}.{:06} [{} {}]",
            srv.now_us / 1_000_000,
            srv.now_us % 1_000_000,
            client.db,
            if client.has(crate::server::client::cflags::UNIX_SOCKET) {
                format!("unix:{}", srv.config.unixsocket)
            } else {
                client.addr.clone()
            }
        )
        .as_bytes(),
    );
    for a in argv {
        line.extend_from_slice(b" \"");
        crate::util::repr::push_repr(&mut line, a);
        line.push(b'"');
    }
    line.extend_from_slice(b"\r\n");
    let monitors = srv.monitors.clone();
    for t in monitors {
        if let Some(Some(m)) = srv.clients.get_mut(t) {
            m.reply.raw(&line);
            if !m.has(crate::server::client::cflags::PENDING_WRITE) {
                m.flags |= crate::server::client::cflags::PENDING_WRITE;
                srv.pending_writes.push(t);
            }
        }
    }
}
