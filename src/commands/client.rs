//! CLIENT and its subcommands: ID, SETNAME, GETNAME, LIST, INFO, KILL,
//! PAUSE, UNPAUSE, REPLY, NO-EVICT, HELP.
//!
//! Redis counterpart: `clientCommand` in `networking.c`.

use super::args;
use super::spec::{cmd, container, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::errors::{CmdError, CmdResult};
use crate::server::client::{cflags, Client, ReplyMode};
use crate::server::{PauseKind, Server};

const CONN: Group = Group::Connection;
const SUB: u32 = NOSCRIPT | LOADING | STALE;

static SUBCOMMANDS: &[CommandSpec] = &[
    cmd(
        "client|caching",
        3,
        SUB,
        NO_KEYS,
        CONN,
        super::tracking::caching_command,
    )
    .doc(
        "Instruct the server about tracking or not keys in the next request",
        "6.0.0",
    ),
    cmd("client|getname", 2, SUB, NO_KEYS, CONN, getname_command)
        .doc("Get the current connection name", "2.6.9"),
    cmd(
        "client|getredir",
        2,
        SUB,
        NO_KEYS,
        CONN,
        super::tracking::getredir_command,
    )
    .doc(
        "Get tracking notifications redirection client ID if any",
        "6.0.0",
    ),
    cmd(
        "client|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        CONN,
        help_command,
    )
    .doc("Show helpful text about the different subcommands", "5.0.0"),
    cmd("client|id", 2, SUB, NO_KEYS, CONN, id_command)
        .doc("Returns the client ID for the current connection", "5.0.0"),
    cmd("client|info", 2, SUB, NO_KEYS, CONN, info_command)
        .doc(
            "Returns information about the current client connection.",
            "6.2.0",
        )
        .tips(&["nondeterministic_output"]),
    cmd("client|kill", -3, ADMIN | SUB, NO_KEYS, CONN, kill_command)
        .doc("Kill the connection of a client", "2.4.0"),
    cmd("client|list", -2, ADMIN | SUB, NO_KEYS, CONN, list_command)
        .doc("Get the list of client connections", "2.4.0")
        .tips(&["nondeterministic_output"]),
    cmd(
        "client|no-evict",
        3,
        ADMIN | SUB,
        NO_KEYS,
        CONN,
        no_evict_command,
    )
    .doc(
        "Set client eviction mode for the current connection",
        "7.0.0",
    ),
    cmd(
        "client|pause",
        -3,
        ADMIN | SUB,
        NO_KEYS,
        CONN,
        pause_command,
    )
    .doc(
        "Stop processing commands from clients for some time",
        "2.9.50",
    ),
    cmd("client|reply", 3, SUB, NO_KEYS, CONN, reply_command)
        .doc("Instruct the server whether to reply to commands", "3.2.0"),
    cmd("client|setname", 3, SUB, NO_KEYS, CONN, setname_command)
        .doc("Set the current connection name", "2.6.9"),
    cmd(
        "client|tracking",
        -3,
        SUB,
        NO_KEYS,
        CONN,
        super::tracking::tracking_command,
    )
    .doc(
        "Enable or disable server assisted client side caching support",
        "6.0.0",
    ),
    cmd(
        "client|trackinginfo",
        2,
        SUB,
        NO_KEYS,
        CONN,
        super::tracking::trackinginfo_command,
    )
    .doc(
        "Return information about server assisted client side caching for the current connection",
        "6.2.0",
    ),
    cmd(
        "client|unblock",
        -3,
        ADMIN | SUB,
        NO_KEYS,
        CONN,
        unblock_command,
    )
    .doc(
        "Unblock a client blocked in a blocking command from a different connection",
        "5.0.0",
    ),
    cmd(
        "client|unpause",
        2,
        ADMIN | SUB,
        NO_KEYS,
        CONN,
        unpause_command,
    )
    .doc("Resume processing of clients that were paused", "6.2.0"),
];

pub static COMMANDS: &[CommandSpec] = &[container("client", -2, CONN, SUBCOMMANDS)
    .doc("A container for client connection commands", "2.4.0")];

/// Client names may only contain printable characters without spaces
/// (`'!'..='~'`).
pub fn validate_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::msg(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// Writes Redis's help reply: a header line, the given lines, and the
/// HELP entry, as simple strings.
pub fn reply_help(ctx: &mut Ctx, container: &str, lines: &[&str]) {
    let r = &mut ctx.client.reply;
    r.array_len(lines.len() + 3);
    r.simple(
        format!(
            "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            container
        )
        .as_bytes(),
    );
    for l in lines {
        r.simple(l.as_bytes());
    }
    r.simple(b"HELP");
    r.simple(b"    Prints this help.");
}

/// CLIENT HELP
fn help_command(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    );
    Ok(())
}

/// CLIENT ID
fn id_command(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.int(ctx.client.id as i64);
    Ok(())
}

/// CLIENT GETNAME
fn getname_command(ctx: &mut Ctx) -> CmdResult {
    match ctx.client.name.clone() {
        Some(n) => ctx.client.reply.bulk(&n),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// CLIENT SETNAME connection-name
fn setname_command(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.argv[2];
    validate_name(name)?;
    ctx.client.name = if name.is_empty() {
        None
    } else {
        Some(name.to_vec())
    };
    ctx.client.reply.ok();
    Ok(())
}

/// One `CLIENT LIST` line (without the trailing newline).
pub fn client_info_line(srv: &Server, c: &Client) -> String {
    let now = srv.now_ms;
    let qbuf = c.query.len().saturating_sub(c.qpos);
    let obl = c.reply.pending();
    let tot_mem = c.query.capacity() + c.reply.buf.capacity() + std::mem::size_of::<Client>();
    let (tracking_flags, redir) = super::tracking::client_list_fields(srv, c.id);
    let flags = c.flag_letters(&tracking_flags, srv.watch.is_dirty(c.id));
    // A replica's master client has no socket of its own (the link's is
    // shown) and no user, which Redis shows as `(superuser)`.
    let is_master = c.has(cflags::MASTER);
    let fd = if is_master {
        crate::replication::replica::link_fd(srv)
    } else {
        c.conn.fd()
    };
    let user = if is_master { "(superuser)" } else { "default" };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem={} rbs={} rbp={} obl={} oll=0 omem={} tot-mem={} events=r{} cmd={} user={} redir={} resp={}",
        c.id,
        c.addr,
        c.laddr,
        fd,
        String::from_utf8_lossy(c.name.as_deref().unwrap_or_default()),
        (now - c.created_ms).max(0) / 1000,
        (now - c.last_interaction_ms).max(0) / 1000,
        flags,
        c.db,
        c.pubsub.as_ref().map_or(0, |p| p.channels.len()),
        c.pubsub.as_ref().map_or(0, |p| p.patterns.len()),
        c.ssub_count(),
        c.multi.as_ref().map_or(-1, |m| m.count as i64),
        qbuf,
        c.query.capacity().saturating_sub(c.query.len()),
        c.multi.as_ref().map_or(0, |m| m.mem),
        c.reply.buf.capacity(),
        c.reply.buf.len(),
        obl,
        obl,
        tot_mem,
        if c.reply.has_pending() { "w" } else { "" },
        c.last_cmd,
        user,
        redir,
        c.resp()
    )
}

/// Which clients a `TYPE` filter selects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Master,
    Replica,
    Pubsub,
}

fn parse_type(arg: &[u8]) -> Result<ClientType, CmdError> {
    Ok(match arg.to_ascii_lowercase().as_slice() {
        b"normal" => ClientType::Normal,
        b"master" => ClientType::Master,
        b"replica" | b"slave" => ClientType::Replica,
        b"pubsub" => ClientType::Pubsub,
        _ => {
            return Err(CmdError::owned(format!(
                "ERR Unknown client type '{}'",
                String::from_utf8_lossy(arg)
            )))
        }
    })
}

fn client_type(c: &Client) -> ClientType {
    if c.has(cflags::MASTER) {
        ClientType::Master
    } else if c.has(cflags::REPLICA) {
        ClientType::Replica
    } else if c.is_subscriber() {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

/// CLIENT LIST [TYPE type] [ID id [id ...]]
fn list_command(ctx: &mut Ctx) -> CmdResult {
    let mut filter_type = None;
    let mut ids: Option<Vec<u64>> = None;
    if ctx.argc() == 4 && args::is(ctx.argv[2], "type") {
        filter_type = Some(parse_type(ctx.argv[3])?);
    } else if ctx.argc() >= 4 && args::is(ctx.argv[2], "id") {
        let mut v = Vec::new();
        // Any integer is accepted (as Redis does); ids below 1 match
        // nobody.
        for a in &ctx.argv[3..] {
            match args::int(a) {
                Ok(n) => v.push(u64::try_from(n).unwrap_or(0)),
                Err(_) => return Err(CmdError::msg("ERR Invalid client ID")),
            }
        }
        ids = Some(v);
    } else if ctx.argc() != 2 {
        return Err(CmdError::Syntax);
    }
    let mut all: Vec<&Client> = ctx.srv.other_clients().collect();
    all.push(ctx.client);
    all.sort_by_key(|c| c.list_order);
    let mut out = String::new();
    for c in all {
        if filter_type.is_some_and(|t| t != client_type(c)) {
            continue;
        }
        if ids.as_ref().is_some_and(|ids| !ids.contains(&c.id)) {
            continue;
        }
        out.push_str(&client_info_line(ctx.srv, c));
        out.push('\n');
    }
    ctx.client.reply.verbatim("txt", out.as_bytes());
    Ok(())
}

/// CLIENT INFO
fn info_command(ctx: &mut Ctx) -> CmdResult {
    let mut line = client_info_line(ctx.srv, ctx.client);
    line.push('\n');
    ctx.client.reply.verbatim("txt", line.as_bytes());
    Ok(())
}

/// Filters of CLIENT KILL's new form.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    ctype: Option<ClientType>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    user: Option<Vec<u8>>,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, c: &Client) -> bool {
        self.id.is_none_or(|id| c.id == id)
            && self.ctype.is_none_or(|t| client_type(c) == t)
            && self
                .addr
                .as_ref()
                .is_none_or(|a| c.addr.as_bytes() == a.as_slice())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| c.laddr.as_bytes() == a.as_slice())
            && self.user.as_ref().is_none_or(|u| {
                // The master client has no user (Redis's superuser).
                u.as_slice() == b"default" && !c.has(cflags::MASTER)
            })
    }
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE t] [ADDR a] [LADDR a]
/// [USER u] [SKIPME yes/no]
fn kill_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() == 3 {
        // Old form: kill by address, reply OK or an error.
        let filter = KillFilter {
            addr: Some(ctx.argv[2].to_vec()),
            ..Default::default()
        };
        let n = kill_matching(ctx, &filter);
        if n == 0 {
            return Err(CmdError::msg("ERR No such client"));
        }
        ctx.client.reply.ok();
        return Ok(());
    }
    let mut f = KillFilter {
        skipme: true,
        ..Default::default()
    };
    let mut i = 2;
    while i < ctx.argc() {
        if i + 1 >= ctx.argc() {
            return Err(CmdError::Syntax);
        }
        let (opt, val) = (ctx.argv[i], ctx.argv[i + 1]);
        if args::is(opt, "id") {
            match args::int(val) {
                Ok(n) if n > 0 => f.id = Some(n as u64),
                _ => return Err(CmdError::msg("ERR client-id should be greater than 0")),
            }
        } else if args::is(opt, "type") {
            f.ctype = Some(parse_type(val)?);
        } else if args::is(opt, "addr") {
            f.addr = Some(val.to_vec());
        } else if args::is(opt, "laddr") {
            f.laddr = Some(val.to_vec());
        } else if args::is(opt, "user") {
            if val != b"default" {
                return Err(CmdError::owned(format!(
                    "ERR No such user '{}'",
                    String::from_utf8_lossy(val)
                )));
            }
            f.user = Some(val.to_vec());
        } else if args::is(opt, "skipme") {
            f.skipme = match args::yes_no(val) {
                Ok(b) => b,
                Err(_) => return Err(CmdError::Syntax),
            };
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let n = kill_matching(ctx, &f);
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// Marks matching clients for closing; returns how many matched. The
/// caller itself is closed after its reply (it must still get one).
fn kill_matching(ctx: &mut Ctx, f: &KillFilter) -> usize {
    let mut n = 0;
    let mut victims = Vec::new();
    for (t, c) in ctx.srv.clients.iter() {
        if let Some(c) = c {
            if f.matches(c) {
                victims.push(t);
            }
        }
    }
    for t in victims {
        if let Some(Some(c)) = ctx.srv.clients.get_mut(t) {
            c.flags |= cflags::CLOSE_ASAP;
            ctx.srv.to_close.push(t);
            n += 1;
        }
    }
    // A replica's master client lives outside the slab: killing it drops
    // the link, which reconnects with a partial resync.
    if ctx
        .srv
        .replica
        .master_client
        .as_deref()
        .is_some_and(|c| f.matches(c))
    {
        crate::replication::replica::kill_master_client(ctx.srv);
        n += 1;
    }
    if !f.skipme && f.matches(ctx.client) {
        ctx.client.flags |= cflags::CLOSE_AFTER_REPLY;
        n += 1;
    }
    n
}

/// CLIENT PAUSE timeout [WRITE|ALL]
fn pause_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 4 {
        return Err(CmdError::owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(&crate::errors::truncate_arg(ctx.argv[1]))
        )));
    }
    let timeout = args::int(ctx.argv[2])
        .map_err(|_| CmdError::msg("ERR timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    let kind = match ctx.argc() {
        3 => PauseKind::All,
        4 if args::is(ctx.argv[3], "write") => PauseKind::Write,
        4 if args::is(ctx.argv[3], "all") => PauseKind::All,
        _ => return Err(CmdError::msg("ERR CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let end = ctx.now_ms().saturating_add(timeout);
    // A stricter pause type wins, and a pause is only ever extended.
    if ctx.srv.pause == PauseKind::None {
        ctx.srv.pause = kind;
        ctx.srv.pause_end_ms = end;
    } else {
        if kind == PauseKind::All {
            ctx.srv.pause = PauseKind::All;
        }
        ctx.srv.pause_end_ms = ctx.srv.pause_end_ms.max(end);
    }
    // Expired keys stay from now on, not from the next loop iteration.
    ctx.srv.refresh_expire_mode();
    ctx.client.reply.ok();
    Ok(())
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
fn unblock_command(ctx: &mut Ctx) -> CmdResult {
    let id = args::int(ctx.argv[2])?;
    let as_error = match ctx.argc() {
        3 => false,
        4 if args::is(ctx.argv[3], "timeout") => false,
        4 if args::is(ctx.argv[3], "error") => true,
        4 => {
            return Err(CmdError::msg(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
        _ => return Err(CmdError::Syntax),
    };
    let target = ctx
        .srv
        .clients
        .iter()
        .find(|(_, c)| {
            c.as_ref()
                .is_some_and(|c| c.id as i64 == id && c.blocked.is_some())
        })
        .map(|(t, _)| t);
    let Some(token) = target else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let srv = &mut *ctx.srv;
    if let Some(Some(c)) = srv.clients.get_mut(token) {
        if let Some(state) = c.blocked.take() {
            if as_error {
                c.reply
                    .error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
            } else {
                match state.timeout_reply {
                    crate::db::blocking::TimeoutReply::NullArray => c.reply.null_array(),
                    crate::db::blocking::TimeoutReply::NullBulk => c.reply.null(),
                }
            }
            srv.blocking.unblock(token, c.id, &state);
            srv.blocking.unblocked.push(token);
            if !c.has(cflags::PENDING_WRITE) {
                c.flags |= cflags::PENDING_WRITE;
                srv.pending_writes.push(token);
            }
        }
    }
    ctx.client.reply.int(1);
    Ok(())
}

/// CLIENT UNPAUSE
fn unpause_command(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.pause = PauseKind::None;
    ctx.srv.pause_end_ms = 0;
    ctx.srv.refresh_expire_mode();
    ctx.client.reply.ok();
    Ok(())
}

/// CLIENT REPLY ON|OFF|SKIP
fn reply_command(ctx: &mut Ctx) -> CmdResult {
    let a = ctx.argv[2];
    if args::is(a, "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.client.reply.ok();
    } else if args::is(a, "off") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if args::is(a, "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// CLIENT NO-EVICT ON|OFF
fn no_evict_command(ctx: &mut Ctx) -> CmdResult {
    let a = ctx.argv[2];
    if args::is(a, "on") {
        ctx.client.flags |= cflags::NO_EVICT;
    } else if args::is(a, "off") {
        ctx.client.flags &= !cflags::NO_EVICT;
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.client.reply.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    #[test]
    fn names_and_ids() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["client", "getname"]), "$-1\r\n");
        assert_eq!(h.run_str(&["client", "setname", "abc"]), "+OK\r\n");
        assert_eq!(h.run_str(&["client", "getname"]), "$3\r\nabc\r\n");
        assert_eq!(
            h.run_str(&["client", "setname", "a b"]),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(h.run_str(&["client", "id"]), ":1\r\n");
        let info = h.run_str(&["client", "info"]);
        assert!(info.contains("id=1 addr=127.0.0.1:1 "), "{}", info);
        assert!(info.contains(" name=abc "), "{}", info);
        assert!(info.contains(" cmd=client|info "), "{}", info);
    }

    #[test]
    fn errors_match_redis() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["client", "foo"]),
            "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"
        );
        assert_eq!(
            h.run_str(&["client", "setname"]),
            "-ERR wrong number of arguments for 'client|setname' command\r\n"
        );
        assert_eq!(
            h.run_str(&["client", "pause", "x"]),
            "-ERR timeout is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["client", "kill", "1.2.3.4:5"]),
            "-ERR No such client\r\n"
        );
        assert_eq!(
            h.run_str(&["client", "reply", "maybe"]),
            "-ERR syntax error\r\n"
        );
    }

    #[test]
    fn reply_off_and_skip() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["client", "reply", "off"]), "");
        assert_eq!(h.run_str(&["ping"]), "");
        assert_eq!(h.run_str(&["client", "reply", "on"]), "+OK\r\n");
        assert_eq!(h.run_str(&["client", "reply", "skip"]), "");
        assert_eq!(h.run_str(&["ping"]), "");
        assert_eq!(h.run_str(&["ping"]), "+PONG\r\n");
        // Rejected commands are silenced too, and consume a SKIP.
        assert_eq!(h.run_str(&["client", "reply", "off"]), "");
        assert_eq!(h.run_str(&["get"]), "");
        assert_eq!(h.run_str(&["nosuch"]), "");
        assert_eq!(h.run_str(&["client", "reply", "on"]), "+OK\r\n");
        assert_eq!(h.run_str(&["client", "reply", "skip"]), "");
        assert_eq!(h.run_str(&["get"]), "");
        assert_eq!(h.run_str(&["ping"]), "+PONG\r\n");
    }

    #[test]
    fn list_ids_and_pause_arity_like_redis() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["client", "list", "id", "0", "-1"]),
            "$0\r\n\r\n"
        );
        assert_eq!(
            h.run_str(&["client", "list", "id", "x"]),
            "-ERR Invalid client ID\r\n"
        );
        assert_eq!(
            h.run_str(&["client", "Pause", "x", "write", "y"]),
            "-ERR unknown subcommand or wrong number of arguments for 'Pause'. Try CLIENT HELP.\r\n"
        );
    }
}
