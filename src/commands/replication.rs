//! The replication commands of a master: SYNC, PSYNC, REPLCONF, WAIT and
//! ROLE (the master's reply). The work is in `replication::master`.
//!
//! Redis counterpart: `syncCommand`, `replconfCommand`, `waitCommand`,
//! `roleCommand` (`replication.c`).

use super::args;
use super::spec::{cmd, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::commands::spec::acl;
use crate::errors::{CmdError, CmdResult};
use crate::replication::master::{self, ReplState};
use crate::server::client::cflags;

const SRV: Group = Group::Server;

/// The checks SYNC and PSYNC share; Ok(false) when the command is ignored.
fn sync_allowed(ctx: &mut Ctx) -> Result<bool, CmdError> {
    if ctx.client.has(cflags::REPLICA) {
        // Already a replica: ignored, as Redis does.
        return Ok(false);
    }
    if ctx.srv.repl.failover.is_some() {
        return Err(CmdError::msg("NOMASTERLINK Can't SYNC while failing over"));
    }
    if ctx.srv.replica.is_replica()
        && ctx.srv.replica.state != crate::replication::replica::LinkState::Connected
    {
        return Err(CmdError::msg(
            "NOMASTERLINK Can't SYNC while not connected with my master",
        ));
    }
    if ctx.client.reply.has_pending() {
        return Err(CmdError::msg(
            "ERR SYNC and PSYNC are invalid with pending output",
        ));
    }
    Ok(true)
}

/// SYNC
pub fn sync_command(ctx: &mut Ctx) -> CmdResult {
    if !sync_allowed(ctx)? {
        return Ok(());
    }
    master::attach(ctx.srv, ctx.client, None);
    Ok(())
}

/// PSYNC replicationid offset [FAILOVER]
pub fn psync_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.has(cflags::REPLICA) {
        return Ok(());
    }
    // The last step of a master's FAILOVER: it hands over to this replica,
    // which becomes a master on the spot when it follows the same history,
    // then answers the PSYNC as any other (a partial resync on replid2).
    if ctx.argc() > 3 && args::is(ctx.argv[3], "failover") {
        if !crate::replication::replica::is_replica(ctx.srv) {
            return Err(CmdError::msg(
                "ERR PSYNC FAILOVER can't be sent to a master.",
            ));
        }
        if ctx.argv[1] != crate::replication::current_ids(ctx.srv).replid.as_bytes() {
            return Err(CmdError::msg(
                "ERR PSYNC FAILOVER replid must match my replid.",
            ));
        }
        crate::replication::replica::unset_master(ctx.srv);
        log::info!(
            "MASTER MODE enabled (failover request from '{}')",
            super::client::client_info_line(ctx.srv, ctx.client)
        );
    }
    if !sync_allowed(ctx)? {
        return Ok(());
    }
    let (replid, offset) = (ctx.argv[1], ctx.argv[2]);
    master::attach(ctx.srv, ctx.client, Some((replid, offset)));
    Ok(())
}

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]
pub fn failover_command(ctx: &mut Ctx) -> CmdResult {
    use crate::replication::failover;
    if ctx.argc() == 2 && args::is(ctx.argv[1], "abort") {
        if ctx.srv.repl.failover.is_none() {
            return Err(CmdError::msg("ERR No failover in progress."));
        }
        failover::abort(ctx.srv, "Failover manually aborted");
        ctx.client.reply.ok();
        return Ok(());
    }
    let (mut timeout_ms, mut force, mut target) = (0i64, false, None);
    let mut j = 1;
    while j < ctx.argc() {
        let a = ctx.argv[j];
        if args::is(a, "timeout") && j + 1 < ctx.argc() && timeout_ms == 0 {
            timeout_ms = args::int(ctx.argv[j + 1])?;
            if timeout_ms <= 0 {
                return Err(CmdError::msg("ERR FAILOVER timeout must be greater than 0"));
            }
            j += 2;
        } else if args::is(a, "to") && j + 2 < ctx.argc() && target.is_none() {
            let port = args::int(ctx.argv[j + 2])?;
            let host = String::from_utf8_lossy(ctx.argv[j + 1]).into_owned();
            target = Some((host, port));
            j += 3;
        } else if args::is(a, "force") && !force {
            force = true;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if ctx.srv.repl.failover.is_some() {
        return Err(CmdError::msg("ERR FAILOVER already in progress."));
    }
    if ctx.srv.replica.is_replica() {
        return Err(CmdError::msg(
            "ERR FAILOVER is not valid when server is a replica.",
        ));
    }
    if ctx.srv.repl.replicas.is_empty() {
        return Err(CmdError::msg("ERR FAILOVER requires connected replicas."));
    }
    if force && (timeout_ms == 0 || target.is_none()) {
        return Err(CmdError::msg(
            "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
        ));
    }
    let target = match target {
        Some((host, port)) => {
            let port = u16::try_from(port).ok();
            let found = ctx
                .srv
                .repl
                .replicas
                .iter()
                .find(|r| port.is_some_and(|p| r.matches(&host, p)));
            let Some(r) = found else {
                return Err(CmdError::msg(
                    "ERR FAILOVER target HOST and PORT is not a replica.",
                ));
            };
            if r.state != ReplState::Online {
                return Err(CmdError::msg("ERR FAILOVER target replica is not online."));
            }
            Some(r.address())
        }
        None => None,
    };
    failover::start(ctx.srv, target, timeout_ms, force);
    ctx.client.reply.ok();
    Ok(())
}

/// REPLCONF [option value ...]
pub fn replconf_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let id = ctx.client.id;
    let mut j = 1;
    while j < ctx.argc() {
        let (opt, val) = (ctx.argv[j], ctx.argv[j + 1]);
        if args::is(opt, "listening-port") {
            let port = args::int(val)?;
            master::handshake_mut(&mut ctx.srv.repl, id).listening_port = port as u16;
            if let Some(r) = master::replica_mut(&mut ctx.srv.repl, id) {
                r.hs.listening_port = port as u16;
            }
        } else if args::is(opt, "ip-address") {
            if val.len() >= 46 {
                return Err(CmdError::owned(format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    val.len()
                )));
            }
            let ip = String::from_utf8_lossy(val).into_owned();
            master::handshake_mut(&mut ctx.srv.repl, id).ip = Some(ip);
        } else if args::is(opt, "capa") {
            let hs = master::handshake_mut(&mut ctx.srv.repl, id);
            if args::is(val, "eof") {
                hs.capa_eof = true;
            } else if args::is(val, "psync2") {
                hs.capa_psync2 = true;
            }
        } else if args::is(opt, "ack") {
            // From a replica only, and never answered.
            if !ctx.client.has(cflags::REPLICA) {
                return Ok(());
            }
            if let Ok(offset) = args::int(val) {
                master::on_ack(ctx.srv, id, offset);
            }
            return Ok(());
        } else if args::is(opt, "getack") {
            // A replica answers its master's GETACK from the stream reader
            // (replication/replica.rs); from anyone else it is ignored.
            return Ok(());
        } else if args::is(opt, "rdb-only") {
            let v = args::int(val)?;
            if !(0..=1).contains(&v) {
                return Err(CmdError::msg(
                    "ERR value is out of range, value must between 0 and 1",
                ));
            }
            master::handshake_mut(&mut ctx.srv.repl, id).rdb_only = v == 1;
        } else if args::is(opt, "rdb-filter-only") {
            // Include filters: only "functions" exists; "" (what
            // `redis-cli --functions-rdb` sends) asks for an RDB without
            // keys (ferredis has no functions to include anyway).
            let filters = crate::resp::parser::split_args(val)
                .ok_or(CmdError::msg("ERR Missing rdb-filter-only values"))?;
            let mut req = master::REQ_EXCLUDE_DATA | master::REQ_EXCLUDE_FUNCTIONS;
            for f in &filters {
                let f = f.as_slice();
                if args::is(f, "functions") {
                    req &= !master::REQ_EXCLUDE_FUNCTIONS;
                } else {
                    return Err(CmdError::owned(format!(
                        "ERR Unsupported rdb-filter-only option: {}",
                        String::from_utf8_lossy(f)
                    )));
                }
            }
            master::handshake_mut(&mut ctx.srv.repl, id).rdb_req = req;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(opt)
            )));
        }
        j += 2;
    }
    ctx.client.reply.ok();
    Ok(())
}

/// WAIT numreplicas timeout
pub fn wait_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.replica.is_replica() {
        return Err(CmdError::msg(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
        ));
    }
    let num = args::int(ctx.argv[1])?;
    let timeout = args::int(ctx.argv[2])
        .map_err(|_| CmdError::msg("ERR timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    let deadline = if timeout > 0 {
        ctx.now_ms()
            .checked_add(timeout)
            .ok_or(CmdError::msg("ERR timeout is out of range"))?
    } else {
        0
    };
    let offset = ctx.client.woff;
    let acked = master::replicas_acked(ctx.srv, offset);
    if acked as i64 >= num || ctx.client.multi.is_some() {
        ctx.client.reply.int(acked as i64);
        return Ok(());
    }
    // Blocked with no key and no registry timeout: replication answers it
    // (enough ACKs, or its own deadline).
    ctx.block(Vec::new(), 0, crate::db::blocking::TimeoutReply::NullArray);
    ctx.srv.repl.waiting.push(master::WaitingClient {
        client_id: ctx.client.id,
        token: ctx.client.token,
        numreplicas: num.max(0) as usize,
        offset,
        deadline_ms: deadline,
    });
    ctx.srv.repl.get_ack_pending = true;
    Ok(())
}

/// ROLE
pub fn role_command(ctx: &mut Ctx) -> CmdResult {
    if crate::replication::replica::is_replica(ctx.srv) {
        crate::replication::replica::role_reply(ctx.srv, &mut ctx.client.reply);
        return Ok(());
    }
    let srv = &*ctx.srv;
    let online: Vec<(String, String, String)> = srv
        .repl
        .replicas
        .iter()
        .filter(|r| r.state == ReplState::Online)
        .map(|r| {
            (
                r.hs.ip.clone().unwrap_or_else(|| r.peer_ip.clone()),
                r.hs.listening_port.to_string(),
                r.ack_off.to_string(),
            )
        })
        .collect();
    let r = &mut ctx.client.reply;
    r.array_len(3);
    r.bulk(b"master");
    r.int(srv.repl.master_repl_offset);
    r.array_len(online.len());
    for (ip, port, off) in &online {
        r.array_len(3);
        r.bulk(ip.as_bytes());
        r.bulk(port.as_bytes());
        r.bulk(off.as_bytes());
    }
    Ok(())
}

/// The replication commands' rows.
pub static COMMANDS: &[CommandSpec] = &[
    cmd(
        "failover",
        -1,
        ADMIN | NOSCRIPT | STALE,
        NO_KEYS,
        SRV,
        failover_command,
    ),
    cmd(
        "psync",
        -3,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        NO_KEYS,
        SRV,
        psync_command,
    )
    .doc("An internal command used in replication", "2.8.0"),
    cmd(
        "replconf",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        NO_KEYS,
        SRV,
        replconf_command,
    )
    .doc("An internal command for configuring the replication stream", "3.0.0"),
    cmd(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST,
        NO_KEYS,
        SRV,
        role_command,
    )
    .doc("Return the role of the instance in the context of replication", "2.8.12")
    .acl(acl::ADMIN | acl::DANGEROUS),
    cmd(
        "sync",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        NO_KEYS,
        SRV,
        sync_command,
    )
    .doc("Internal command used for replication", "1.0.0"),
    cmd(
        "wait",
        3,
        NOSCRIPT,
        NO_KEYS,
        Group::Generic,
        wait_command,
    )
    .doc("Wait for the synchronous replication of all the write commands sent in the context of the current connection", "3.0.0")
    .without_group_acl()
    .acl(acl::CONNECTION)
    .tips(WAIT_TIPS),
];

/// WAIT's command tips.
const WAIT_TIPS: &[&str] = &["request_policy:all_shards", "response_policy:agg_min"];

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    #[test]
    fn replconf_replies_and_errors() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["replconf"]), "+OK\r\n");
        assert_eq!(h.run_str(&["replconf", "a"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run_str(&["replconf", "foo", "bar"]),
            "-ERR Unrecognized REPLCONF option: foo\r\n"
        );
        assert_eq!(
            h.run_str(&["replconf", "listening-port", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["replconf", "rdb-only", "2"]),
            "-ERR value is out of range, value must between 0 and 1\r\n"
        );
        assert_eq!(
            h.run_str(&["replconf", "ip-address", "1.2.3.4", "capa", "eof"]),
            "+OK\r\n"
        );
        assert_eq!(
            h.run_str(&["replconf", "rdb-filter-only", "\"abc"]),
            "-ERR Missing rdb-filter-only values\r\n"
        );
        assert_eq!(
            h.run_str(&["replconf", "rdb-filter-only", "\"functions\" x"]),
            "-ERR Unsupported rdb-filter-only option: x\r\n"
        );
        assert_eq!(
            h.run_str(&["replconf", "rdb-filter-only", "'functions'"]),
            "+OK\r\n"
        );
        assert_eq!(h.run_str(&["replconf", "rdb-filter-only", ""]), "+OK\r\n");
        assert_eq!(h.run_str(&["replconf", "ack", "10"]), "");
        assert_eq!(h.run_str(&["replconf", "getack", "x"]), "");
    }

    #[test]
    fn debug_change_repl_id_and_info_fields() {
        let mut cfg = crate::config::Config::default();
        cfg.enable_debug_command = "yes".into();
        let mut h = Harness::with_config(cfg);
        let before = h.srv.repl.replid.clone();
        assert_eq!(before.len(), 40);
        assert_eq!(h.run_str(&["debug", "change-repl-id"]), "+OK\r\n");
        assert_ne!(h.srv.repl.replid, before);
        let info = h.run_str(&["info", "replication"]);
        assert!(info.contains(&format!("master_replid:{}\r\n", h.srv.repl.replid)));
        assert!(info.contains("\r\nrepl_backlog_active:0\r\n"), "{}", info);
        assert!(info.contains("\r\nsecond_repl_offset:-1\r\n"), "{}", info);
    }

    #[test]
    fn wait_on_a_replica_and_min_replicas_ignored_there() {
        let mut h = Harness::new();
        // Port 1 on loopback: the link never comes up, but this is a replica.
        assert_eq!(h.run_str(&["replicaof", "127.0.0.1", "1"]), "+OK\r\n");
        assert!(h
            .run_str(&["wait", "x", "0"])
            .starts_with("-ERR WAIT cannot be used with replica instances."));
        h.run(&["config", "set", "min-replicas-to-write", "3"]);
        assert!(!crate::replication::master::not_enough_good_replicas(
            &h.srv
        ));
    }

    #[test]
    fn wait_and_role_without_replicas() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["wait", "1", "x"]),
            "-ERR timeout is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["wait", "x", "1"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["wait", "1", "-1"]),
            "-ERR timeout is negative\r\n"
        );
        assert_eq!(h.run_str(&["wait", "0", "0"]), ":0\r\n");
        assert_eq!(h.run_str(&["role"]), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    }
}
