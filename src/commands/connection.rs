//! Connection commands: PING ECHO QUIT RESET HELLO AUTH SELECT.
//! (CLIENT lives in `client.rs`.)
//!
//! Redis counterpart: the connection group (`server.c`, `networking.c`).

use super::args;
use super::spec::{cmd, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::errors::{self, CmdError, CmdResult};
use crate::server::client::{cflags, ReplyMode};

const CONN: Group = Group::Connection;
const AUTH_FLAGS: u32 = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY;

pub static COMMANDS: &[CommandSpec] = &[
    cmd("auth", -2, AUTH_FLAGS, NO_KEYS, CONN, auth_command)
        .doc("Authenticate to the server", "1.0.0"),
    cmd(
        "echo",
        2,
        LOADING | STALE | FAST,
        NO_KEYS,
        CONN,
        echo_command,
    )
    .doc("Echo the given string", "1.0.0"),
    cmd("hello", -1, AUTH_FLAGS, NO_KEYS, CONN, hello_command).doc("Handshake with Redis", "6.0.0"),
    cmd("ping", -1, FAST, NO_KEYS, CONN, ping_command)
        .doc("Ping the server", "1.0.0")
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    cmd(
        "quit",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        NO_KEYS,
        CONN,
        quit_command,
    )
    .doc("Close the connection", "1.0.0"),
    cmd(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        NO_KEYS,
        CONN,
        reset_command,
    )
    .doc("Reset the connection", "6.2.0"),
    cmd(
        "select",
        2,
        LOADING | STALE | FAST,
        NO_KEYS,
        CONN,
        select_command,
    )
    .doc(
        "Change the selected database for the current connection",
        "1.0.0",
    ),
];

/// PING [message]
pub fn ping_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() <= 2 && ctx.client.is_subscriber() && !ctx.client.reply.resp3 {
        // The subscribed context answers in the message format.
        let r = &mut ctx.client.reply;
        r.array_len(2);
        r.bulk(b"pong");
        r.bulk(ctx.argv.get(1).copied().unwrap_or_default());
        return Ok(());
    }
    match ctx.argc() {
        1 => ctx.client.reply.simple(b"PONG"),
        2 => ctx.client.reply.bulk(ctx.argv[1]),
        _ => return Err(CmdError::WrongArity("ping".into())),
    }
    Ok(())
}

/// ECHO message
pub fn echo_command(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.bulk(ctx.argv[1]);
    Ok(())
}

/// QUIT
pub fn quit_command(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.ok();
    ctx.client.flags |= cflags::CLOSE_AFTER_REPLY;
    Ok(())
}

/// RESET
pub fn reset_command(ctx: &mut Ctx) -> CmdResult {
    super::multi::discard_transaction(ctx.srv, ctx.client);
    crate::server::tracking::disable(ctx.srv, ctx.client.id);
    let c = &mut *ctx.client;
    c.db = 0;
    c.reply.resp3 = false;
    c.name = None;
    c.reply_mode = ReplyMode::On;
    c.flags &= !(cflags::NO_EVICT | cflags::MONITOR);
    ctx.srv.monitors.retain(|&t| t != c.token);
    crate::server::pubsub::forget_client(ctx.srv, c);
    c.authenticated = ctx.srv.config.requirepass.is_none();
    c.reply.simple(b"RESET");
    Ok(())
}

/// SELECT index
pub fn select_command(ctx: &mut Ctx) -> CmdResult {
    let id = args::int(ctx.argv[1])?;
    if id < 0 || id as usize >= ctx.srv.keyspace.dbs.len() {
        return Err(CmdError::msg(errors::DB_INDEX_OUT_OF_RANGE));
    }
    ctx.client.db = id as usize;
    ctx.client.reply.ok();
    Ok(())
}

/// Checks a username/password pair against `requirepass` (the default
/// user is the only user until ACLs exist).
fn check_password(ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    match &ctx.srv.config.requirepass {
        None => true,
        Some(p) => p.as_slice() == pass,
    }
}

/// AUTH [username] password
pub fn auth_command(ctx: &mut Ctx) -> CmdResult {
    let (user, pass) = match ctx.argc() {
        2 => (&b"default"[..], ctx.argv[1]),
        3 => (ctx.argv[1], ctx.argv[2]),
        _ => return Err(CmdError::Syntax),
    };
    if ctx.argc() == 2 && ctx.srv.config.requirepass.is_none() {
        return Err(CmdError::msg(errors::AUTH_NO_PASSWORD));
    }
    if check_password(ctx, user, pass) {
        ctx.client.authenticated = true;
        ctx.client.reply.ok();
        Ok(())
    } else {
        Err(CmdError::msg(errors::WRONGPASS))
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub fn hello_command(ctx: &mut Ctx) -> CmdResult {
    let mut ver = None;
    let mut next = 1;
    if ctx.argc() >= 2 {
        let v = args::int(ctx.argv[1])
            .map_err(|_| CmdError::msg("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::msg(errors::NOPROTO));
        }
        ver = Some(v);
        next = 2;
    }
    let mut auth: Option<(&[u8], &[u8])> = None;
    let mut setname: Option<&[u8]> = None;
    let mut j = next;
    while j < ctx.argc() {
        let more = ctx.argc() - j - 1;
        if args::is(ctx.argv[j], "auth") && more >= 2 {
            auth = Some((ctx.argv[j + 1], ctx.argv[j + 2]));
            j += 3;
        } else if args::is(ctx.argv[j], "setname") && more >= 1 {
            setname = Some(ctx.argv[j + 1]);
            j += 2;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&errors::truncate_arg(ctx.argv[j]))
            )));
        }
    }
    if let Some((user, pass)) = auth {
        if !check_password(ctx, user, pass) {
            return Err(CmdError::msg(errors::WRONGPASS));
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated && ctx.srv.config.requirepass.is_some() {
        return Err(CmdError::msg(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(name) = setname {
        super::client::validate_name(name)?;
        ctx.client.name = if name.is_empty() {
            None
        } else {
            Some(name.to_vec())
        };
    }
    if let Some(v) = ver {
        ctx.client.reply.resp3 = v == 3;
    }
    let id = ctx.client.id as i64;
    let proto = ctx.client.resp();
    let r = &mut ctx.client.reply;
    r.map_len(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(crate::REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(proto);
    r.bulk(b"id");
    r.int(id);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array_len(0);
    Ok(())
}
