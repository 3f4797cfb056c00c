//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH, and the per-client
//! transaction state (`MultiState`: the queued commands, Redis's
//! `CLIENT_DIRTY_EXEC`). `process_command` queues commands while a client
//! is in MULTI (`queue`) and flags the transaction when it rejects one;
//! EXEC runs the queue through `call` (a nested call: the commands
//! propagate as one MULTI/EXEC unit, blocking commands answer at once).
//! The watched keys live in the server-wide registry (`db/watch.rs`).
//!
//! Redis counterpart: `multi.c`.

use super::spec::{cmd, keys, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::errors::{CmdError, CmdResult};
use crate::server::client::{Client, ReplyMode};
use crate::server::Server;

const TX: Group = Group::Transactions;
const TX_FLAGS: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

/// The transaction commands.
pub static COMMANDS: &[CommandSpec] = &[
    cmd("discard", 1, TX_FLAGS, NO_KEYS, TX, discard_command)
        .doc("Discard all commands issued after MULTI", "2.0.0"),
    cmd(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        NO_KEYS,
        TX,
        exec_command,
    )
    .doc("Execute all commands issued after MULTI", "1.2.0"),
    cmd("multi", 1, TX_FLAGS, NO_KEYS, TX, multi_command)
        .doc("Mark the start of a transaction block", "1.2.0"),
    cmd("unwatch", 1, TX_FLAGS, NO_KEYS, TX, unwatch_command)
        .doc("Forget about all watched keys", "2.2.0"),
    cmd("watch", -2, TX_FLAGS, keys(1, -1, 1), TX, watch_command).doc(
        "Watch the given keys to determine execution of the MULTI/EXEC block",
        "2.2.0",
    ),
];

/// The rejection of a `no-multi` command (SAVE, SHUTDOWN, ...) in MULTI.
pub const NOT_IN_MULTI: &str = "ERR Command not allowed inside a transaction";

/// The reply of EXEC after a queue-time error.
pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// One queued command.
#[derive(Debug)]
pub struct Queued {
    /// The command (or subcommand) resolved at queue time.
    pub spec: &'static CommandSpec,
    /// Its arguments, owned.
    pub argv: Vec<Vec<u8>>,
}

/// A client's transaction, from MULTI to EXEC/DISCARD.
#[derive(Debug, Default)]
pub struct MultiState {
    /// Queued commands, in order.
    pub cmds: Vec<Queued>,
    /// Number of queued commands (kept while EXEC runs them).
    pub count: usize,
    /// A command was rejected while queueing: EXEC aborts.
    pub dirty_exec: bool,
    /// Union of the queued commands' flags (EXEC's OOM, MISCONF and pause
    /// checks look at them).
    pub flags: u32,
    /// Bytes of the queued arguments plus a pointer each (`multi-mem`).
    pub mem: usize,
}

impl MultiState {
    /// The first queued command with a flag (the write that makes EXEC a
    /// write for the MISCONF check).
    pub fn first_with(&self, flag: u32) -> Option<&'static CommandSpec> {
        self.cmds.iter().find(|q| q.spec.has(flag)).map(|q| q.spec)
    }
}

/// Commands that run at once even inside MULTI.
pub fn runs_in_multi(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Whether the client is in MULTI and `spec` is rejected under OOM for
/// that reason alone (queueing could use unbounded memory).
pub fn oom_rejects_in_multi(client: &Client, spec: &CommandSpec) -> bool {
    client.multi.is_some() && !matches!(spec.name, "exec" | "discard" | "quit" | "reset")
}

/// Queues a command of a client in MULTI and replies `+QUEUED`.
pub fn queue(srv: &mut Server, client: &mut Client, spec: &'static CommandSpec, argv: &[&[u8]]) {
    let Some(m) = client.multi.as_mut() else {
        return;
    };
    m.flags |= spec.flags;
    m.mem += argv
        .iter()
        .map(|a| a.len() + std::mem::size_of::<usize>())
        .sum::<usize>();
    m.cmds.push(Queued {
        spec,
        argv: argv.iter().map(|a| a.to_vec()).collect(),
    });
    m.count += 1;
    client.last_cmd = spec.name;
    match client.reply_mode {
        ReplyMode::On => client.reply.simple(b"QUEUED"),
        ReplyMode::SkipNext | ReplyMode::Skip => client.reply_mode = ReplyMode::On,
        ReplyMode::Off => {}
    }
    srv.queue_write(client);
}

/// Flags the client's transaction (if any) so EXEC aborts.
pub fn flag_transaction(client: &mut Client) {
    if let Some(m) = client.multi.as_mut() {
        m.dirty_exec = true;
    }
}

/// Ends the client's transaction and forgets its watched keys (DISCARD,
/// EXEC, RESET, an aborted EXEC).
pub fn discard_transaction(srv: &mut Server, client: &mut Client) {
    client.multi = None;
    srv.watch.unwatch_all(client.id);
}

/// Drops everything a disconnecting client had in the registry.
pub fn free_client_state(srv: &mut Server, client_id: u64) {
    srv.watch.unwatch_all(client_id);
}

/// The error EXEC replies when `process_command` rejects it: the
/// transaction is discarded and the reason given (Redis's
/// `execCommandAbort`).
pub fn exec_abort_text(text: &str) -> String {
    // Redis formats the generic rejections without their implicit `ERR`.
    let reason = text.strip_prefix('-').unwrap_or(text);
    let reason = reason.strip_prefix("ERR ").unwrap_or(reason);
    let reason = reason
        .trim_end_matches(['\r', '\n'])
        .replace(['\r', '\n'], " ");
    format!("EXECABORT Transaction discarded because of: {}", reason)
}

/// MULTI
pub fn multi_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::msg("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(Box::default());
    ctx.client.reply.ok();
    Ok(())
}

/// DISCARD
pub fn discard_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err(CmdError::msg("ERR DISCARD without MULTI"));
    }
    discard_transaction(ctx.srv, ctx.client);
    ctx.client.reply.ok();
    Ok(())
}

/// EXEC
pub fn exec_command(ctx: &mut Ctx) -> CmdResult {
    let Some(dirty_exec) = ctx.client.multi.as_ref().map(|m| m.dirty_exec) else {
        return Err(CmdError::msg("ERR EXEC without MULTI"));
    };
    let id = ctx.client.id;
    if dirty_exec {
        discard_transaction(ctx.srv, ctx.client);
        return Err(CmdError::msg(EXECABORT));
    }
    let now = ctx.now_ms();
    if ctx.srv.watch.is_dirty(id) || ctx.srv.watch.expired_since_watch(id, now) {
        discard_transaction(ctx.srv, ctx.client);
        ctx.client.reply.null_array();
        return Ok(());
    }
    // Unwatch first: the transaction's own writes must not matter.
    ctx.srv.watch.unwatch_all(id);
    let cmds = match ctx.client.multi.as_mut() {
        Some(m) => std::mem::take(&mut m.cmds),
        None => Vec::new(),
    };
    ctx.client.reply.array_len(cmds.len());
    for q in &cmds {
        let argv: Vec<&[u8]> = q.argv.iter().map(|a| a.as_slice()).collect();
        super::call(ctx.srv, ctx.client, q.spec, &argv);
    }
    ctx.client.multi = None;
    // The queued commands propagated themselves (one unit); EXEC never does.
    ctx.no_propagate();
    Ok(())
}

/// WATCH key [key ...]
pub fn watch_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::msg("ERR WATCH inside MULTI is not allowed"));
    }
    let (id, dbi, now) = (ctx.client.id, ctx.client.db, ctx.now_ms());
    for key in &ctx.argv[1..] {
        let db = &ctx.srv.keyspace.dbs[dbi];
        ctx.srv.watch.watch(id, dbi, db, key, now);
    }
    ctx.client.reply.ok();
    Ok(())
}

/// UNWATCH
pub fn unwatch_command(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.watch.unwatch_all(ctx.client.id);
    ctx.client.reply.ok();
    Ok(())
}

/// Whether a command, as it would run now, writes (EXEC: any queued
/// write), for the checks `process_command` makes before running it.
pub fn effective_flags(client: &Client, spec: &CommandSpec) -> u32 {
    match (&client.multi, spec.name) {
        (Some(m), "exec") => spec.flags | m.flags,
        _ => spec.flags,
    }
}

#[cfg(test)]
mod tests;
