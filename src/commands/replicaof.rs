//! REPLICAOF / SLAVEOF (turn this server into a replica of a master, or
//! back into a master) and ROLE. The replication link itself lives in
//! `replication/replica.rs`.
//!
//! Redis counterpart: `replicaofCommand` and `roleCommand` in
//! `replication.c`.

use super::spec::{cmd, flags::*, CommandSpec, Group, NO_KEYS};
use super::{CmdResult, Ctx};
use crate::errors::CmdError;
use crate::replication::replica;

const SRV: Group = Group::Server;

/// REPLICAOF, ROLE and SLAVEOF, sorted by name.
pub static COMMANDS: &[CommandSpec] = &[
    cmd(
        "replicaof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        NO_KEYS,
        SRV,
        replicaof_command,
    )
    .doc(
        "Make the server a replica of another instance, or promote it as master.",
        "5.0.0",
    ),
    cmd(
        "slaveof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        NO_KEYS,
        SRV,
        replicaof_command,
    )
    .doc(
        "Make the server a replica of another instance, or promote it as master.",
        "1.0.0",
    ),
];

/// REPLICAOF host port | NO ONE
pub fn replicaof_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.config.get_bool("cluster-enabled") {
        return Err(CmdError::msg("ERR REPLICAOF not allowed in cluster mode."));
    }
    if ctx.argv[1].eq_ignore_ascii_case(b"no") && ctx.argv[2].eq_ignore_ascii_case(b"one") {
        if replica::is_replica(ctx.srv) {
            replica::unset_master(ctx.srv);
            let who = crate::commands::client::client_info_line(ctx.srv, ctx.client);
            log::info!("MASTER MODE enabled (user request from '{}')", who);
        }
        ctx.client.reply.ok();
        return Ok(());
    }
    if ctx.client.has(crate::server::client::cflags::MASTER) {
        return Err(CmdError::msg(
            "ERR Command is not valid when client is a replica.",
        ));
    }
    let port = match crate::util::numfmt::parse_i64(ctx.argv[2]) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Err(CmdError::msg("ERR Invalid master port")),
    };
    let host = String::from_utf8_lossy(ctx.argv[1]).into_owned();
    if let Some((h, p)) = &ctx.srv.replica.master {
        if h.eq_ignore_ascii_case(&host) && *p == port {
            log::info!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            ctx.client
                .reply
                .simple(b"OK Already connected to specified master");
            return Ok(());
        }
    }
    replica::set_master(ctx.srv, host.clone(), port);
    let who = crate::commands::client::client_info_line(ctx.srv, ctx.client);
    log::info!(
        "REPLICAOF {}:{} enabled (user request from '{}')",
        host,
        port,
        who
    );
    ctx.client.reply.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    #[test]
    fn replicaof_replies_and_readonly() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["replicaof", "localhost", "abc"]),
            "-ERR Invalid master port\r\n"
        );
        assert_eq!(
            h.run_str(&["replicaof", "localhost", "70000"]),
            "-ERR Invalid master port\r\n"
        );
        assert_eq!(
            h.run_str(&["replicaof", "localhost", "-1"]),
            "-ERR Invalid master port\r\n"
        );
        assert_eq!(h.run_str(&["replicaof", "no", "one"]), "+OK\r\n");
        assert_eq!(h.run_str(&["role"]), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
        assert_eq!(h.run_str(&["set", "a", "b"]), "+OK\r\n");
        // Port 1 on loopback: the connect fails or stays pending.
        assert_eq!(h.run_str(&["slaveof", "127.0.0.1", "1"]), "+OK\r\n");
        assert_eq!(
            h.run_str(&["replicaof", "127.0.0.1", "1"]),
            "+OK Already connected to specified master\r\n"
        );
        assert_eq!(
            h.run_str(&["set", "a", "b"]),
            "-READONLY You can't write against a read only replica.\r\n"
        );
        assert_eq!(h.run_str(&["get", "a"]), "$1\r\nb\r\n");
        let role = h.run_str(&["role"]);
        assert!(
            role.starts_with("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:1\r\n$"),
            "{}",
            role
        );
        assert!(role.ends_with(":-1\r\n"), "{}", role);
        assert_eq!(
            h.run_str(&["config", "set", "replica-serve-stale-data", "no"]),
            "+OK\r\n"
        );
        assert_eq!(
            h.run_str(&["get", "a"]),
            "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
        );
        assert!(h.run_str(&["ping"]).starts_with("-MASTERDOWN"));
        let info = h.run_str(&["info", "replication"]);
        assert!(info.contains("role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:1\r\nmaster_link_status:down\r\n"), "{}", info);
        assert!(info.contains("master_link_down_since_seconds:-1\r\nslave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\nconnected_slaves:0\r\n"), "{}", info);
        assert_eq!(h.run_str(&["replicaof", "no", "one"]), "+OK\r\n");
        assert_eq!(h.run_str(&["set", "a", "c"]), "+OK\r\n");
        assert_eq!(
            h.run_str(&["replicaof", "a"]),
            "-ERR wrong number of arguments for 'replicaof' command\r\n"
        );
    }

    #[test]
    fn replica_keeps_expired_keys_until_the_master_deletes_them() {
        let mut h = Harness::new();
        h.run(&["set", "k", "v", "px", "100"]);
        h.run(&["slaveof", "127.0.0.1", "1"]);
        h.advance_ms(200);
        assert_eq!(h.run_str(&["get", "k"]), "$-1\r\n");
        assert_eq!(h.run_str(&["exists", "k"]), ":0\r\n");
        assert_eq!(h.srv.keyspace.dbs[0].len(), 1);
        assert_eq!(h.run_str(&["keys", "*"]), "*0\r\n");
        assert_eq!(h.run_str(&["scan", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(h.run_str(&["ttl", "k"]), ":-2\r\n");
        assert_eq!(h.run_str(&["dbsize"]), ":1\r\n");
        h.run(&["replicaof", "no", "one"]);
        assert_eq!(h.run_str(&["get", "k"]), "$-1\r\n");
        assert_eq!(h.srv.keyspace.dbs[0].len(), 0);
    }
}
