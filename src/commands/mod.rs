//! Command dispatch: the table lookup, the table-driven checks Redis runs
//! before a command (unknown command, arity, auth, pause, ...), and `call`,
//! which runs the handler and keeps the statistics (commandstats,
//! errorstats, slowlog, monitor).
//!
//! Redis counterpart: `processCommand` and `call` in `server.c`.

pub mod args;
pub mod bitmap;
pub mod client;
pub mod command;
pub mod config;
pub mod connection;
pub mod debug;
pub mod dump;
pub mod getkeys;
pub mod hash;
pub mod info;
pub mod keys;
pub mod list;
pub mod multi;
pub mod pubsub;
pub mod replicaof;
pub mod replication;
pub mod server;
pub mod set;
pub mod sort;
pub mod spec;
pub mod string;
pub mod table;
#[cfg(test)]
pub mod testing;
pub mod tracking;
pub mod zset;

use std::collections::HashMap;
use std::time::Instant;

use crate::errors::{self, CmdError, CmdResult};
use crate::server::client::{Client, ReplyMode};
use crate::server::{PauseKind, Server, SlowlogEntry};
pub use spec::{flags, CommandSpec, Group};

/// What a handler works with: the server, the calling client (detached from
/// the client table for the duration of the call) and the arguments.
pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    pub client: &'a mut Client,
    pub argv: &'a [&'a [u8]],
    /// The command (or subcommand) being run.
    pub cmd: &'static CommandSpec,
}

impl Ctx<'_> {
    /// Argument `i` (0 is the command name).
    #[inline]
    pub fn arg(&self, i: usize) -> &[u8] {
        self.argv[i]
    }

    /// Number of arguments, the command name included.
    #[inline]
    pub fn argc(&self) -> usize {
        self.argv.len()
    }

    /// The calling client's database.
    #[inline]
    pub fn db(&mut self) -> &mut crate::db::Db {
        &mut self.srv.keyspace.dbs[self.client.db]
    }

    /// The cached clock in unix ms.
    #[inline]
    pub fn now_ms(&self) -> i64 {
        self.srv.now_ms
    }

    /// Asks to block the client on `keys` until one of them is written or
    /// `deadline_ms` (unix ms, 0 = never) passes; the handler replies
    /// nothing now. When a key is ready the command is run again.
    pub fn block(
        &mut self,
        keys: Vec<Vec<u8>>,
        deadline_ms: i64,
        timeout_reply: crate::db::blocking::TimeoutReply,
    ) {
        self.client.block_request = Some(crate::db::blocking::BlockRequest {
            keys,
            deadline_ms,
            timeout_reply,
        });
    }

    /// Propagates `argv` (to the AOF and replicas) in place of this
    /// command's own arguments, whether or not the dataset changed; called
    /// again, it adds another command. For commands whose replay must be
    /// exact (EXPIRE as `PEXPIREAT`, SET EX as `SET .. PXAT`, ...).
    #[inline]
    pub fn propagate_as(&mut self, argv: &[&[u8]]) {
        crate::server::propagate::propagate_as(self.srv, self.client.db, argv);
    }

    /// Propagates `argv` in addition to (before) this command's own effects
    /// (SPOP's `SREM`s, with `no_propagate`).
    #[inline]
    pub fn also_propagate(&mut self, argv: &[&[u8]]) {
        crate::server::propagate::also_propagate(self.srv, self.client.db, argv);
    }

    /// This command does not propagate itself (what it added with
    /// `also_propagate` still goes).
    #[inline]
    pub fn no_propagate(&mut self) {
        crate::server::propagate::no_propagate(self.srv);
    }

    /// Whether propagated commands go anywhere (AOF on or replicas), so a
    /// handler can skip building a rewrite nobody reads.
    #[inline]
    pub fn propagating(&self) -> bool {
        crate::server::propagate::active(self.srv)
    }

    /// Publishes a keyspace notification (`notify-keyspace-events` class
    /// `class`, a `config::notify` bit) for `key` in the client's database.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.notify_db(class, event, key, db);
    }

    /// `notify`, with what it delivers to this very client (a RESP3
    /// subscriber of its own events) placed at reply offset `pos` rather
    /// than at the end: where Redis's handler emits it, before a reply
    /// this handler had to write first.
    pub fn notify_at(&mut self, pos: usize, class: u32, event: &str, key: &[u8]) {
        if self.srv.config.notify_keyspace_events & class != 0 {
            let db = self.client.db;
            crate::server::pubsub::notify_at(self.srv, self.client, pos, class, event, key, db);
        }
    }

    /// Publishes the database events recorded so far (key misses, new
    /// keys) and lets later ones follow the reply written so far: for a
    /// handler that replies, then writes (SET .. GET, GETSET), so a RESP3
    /// client's own events land around its reply as in Redis.
    pub fn events_barrier(&mut self) {
        let before = self.client.reply.buf.len();
        crate::server::pubsub::flush_db_events(self.srv, Some(&mut *self.client));
        let mark = self.srv.pubsub.reply_mark;
        crate::server::pubsub::move_back(self.client, before, mark);
        self.srv.pubsub.reply_mark = self.client.reply.buf.len();
    }

    /// `notify` for a key in database `db` (MOVE, COPY ... DB).
    #[inline]
    pub fn notify_db(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        if self.srv.config.notify_keyspace_events & class != 0 {
            crate::server::pubsub::notify(self.srv, Some(&mut *self.client), class, event, key, db);
        }
    }

    /// Records a change to `key` in the client's database.
    #[inline]
    pub fn key_modified(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.srv.key_modified(db, key);
    }
}

/// The command table plus a case-insensitive index.
pub struct CommandTable {
    index: HashMap<Vec<u8>, &'static CommandSpec, ahash::RandomState>,
}

impl Default for CommandTable {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandTable {
    /// Builds the index over every family's commands.
    pub fn new() -> Self {
        let mut index: HashMap<Vec<u8>, &'static CommandSpec, ahash::RandomState> =
            HashMap::default();
        for spec in table::all() {
            index.insert(spec.name.as_bytes().to_vec(), spec);
        }
        CommandTable { index }
    }

    /// Looks a command up by name, any case.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        if name.len() > 64 {
            return None;
        }
        let mut buf = [0u8; 64];
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.index.get(&lower[..]).copied()
    }

    /// `rename-command old new`: the command answers to `new` only (an
    /// empty `new` removes it). Errors are Redis's config-file texts.
    pub fn rename(&mut self, old: &[u8], new: &[u8]) -> Result<(), &'static str> {
        let old = old.to_ascii_lowercase();
        let Some(spec) = self.index.remove(&old) else {
            return Err("No such command in rename-command");
        };
        if !new.is_empty() {
            let new = new.to_ascii_lowercase();
            if self.index.contains_key(&new) {
                return Err("Target command name already exists");
            }
            self.index.insert(new, spec);
        }
        Ok(())
    }

    /// Every top-level command.
    pub fn iter(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        self.index.values().copied()
    }

    /// Number of top-level commands.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// Finds the subcommand of a container by name.
pub fn find_subcommand(
    container: &'static CommandSpec,
    name: &[u8],
) -> Option<&'static CommandSpec> {
    container.subcommands.iter().find(|s| {
        s.name
            .split_once('|')
            .map(|(_, sub)| sub.as_bytes().eq_ignore_ascii_case(name))
            .unwrap_or(false)
    })
}

/// Formats the unknown-command error Redis writes: the name (up to 128
/// bytes) and the arguments, quoted, until 128 bytes of them are shown.
fn unknown_command_error(argv: &[&[u8]]) -> String {
    let mut args = String::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let shown = &a[..a.len().min(room)];
        args.push('\'');
        args.push_str(&String::from_utf8_lossy(shown));
        args.push_str("' ");
    }
    let name = &argv[0][..argv[0].len().min(128)];
    format!(
        "ERR unknown command '{}', with args beginning with: {}",
        String::from_utf8_lossy(name),
        args
    )
}

/// Outcome of `process_command`.
pub enum Processed {
    /// The command ran (or was rejected with an error reply).
    Done,
    /// The client must wait (CLIENT PAUSE): re-run the same command later.
    Paused,
}

/// Whether a command (with these flags: EXEC adds its queue's) must wait
/// while clients are paused.
fn blocked_by_pause(srv: &Server, cmd_flags: u32) -> bool {
    match srv.effective_pause() {
        PauseKind::None => false,
        PauseKind::All => true,
        PauseKind::Write => cmd_flags & (flags::WRITE | flags::MAY_REPLICATE) != 0,
    }
}

/// Runs one parsed command for `client`: Redis's checks in Redis's order,
/// then `call`.
pub fn process_command(srv: &mut Server, client: &mut Client, argv: &[&[u8]]) -> Processed {
    // As Redis, CLIENT LIST's `cmd` is the command looked up, whether it
    // then runs, is rejected, queued or paused (`NULL` when unknown).
    let Some(mut spec) = srv.commands.lookup(argv[0]) else {
        client.last_cmd = "NULL";
        reject(srv, client, None, &unknown_command_error(argv));
        return Processed::Done;
    };
    if !spec.subcommands.is_empty() && argv.len() >= 2 {
        match find_subcommand(spec, argv[1]) {
            Some(sub) => spec = sub,
            None if spec.handler.is_none() => {
                client.last_cmd = "NULL";
                let text = errors::unknown_subcommand(argv[1], spec.name)
                    .text()
                    .into_owned();
                reject(srv, client, None, &text);
                return Processed::Done;
            }
            None => {}
        }
    }
    client.last_cmd = spec.name;
    if !spec.arity_ok(argv.len()) || (spec.handler.is_none() && argv.len() < 2) {
        let text = errors::wrong_arity(spec.name);
        reject(srv, client, Some(spec), &text);
        return Processed::Done;
    }
    if spec.has(flags::PROTECTED) && !protected_allowed(srv, client, spec) {
        reject(srv, client, Some(spec), errors::DEBUG_DISABLED);
        return Processed::Done;
    }
    if !client.authenticated && !spec.has(flags::NO_AUTH) {
        if srv.config.requirepass.is_some() {
            reject(srv, client, Some(spec), errors::NOAUTH);
            return Processed::Done;
        }
        client.authenticated = true;
    }
    if client.multi.is_some() && spec.has(flags::NO_MULTI) {
        reject(srv, client, Some(spec), multi::NOT_IN_MULTI);
        return Processed::Done;
    }
    // EXEC is as much a write (denyoom, ...) as the commands it queued.
    let cmd_flags = multi::effective_flags(client, spec);
    if srv.config.maxmemory > 0
        && !crate::server::evict::perform_evictions(srv)
        && (cmd_flags & flags::DENYOOM != 0 || multi::oom_rejects_in_multi(client, spec))
    {
        reject(srv, client, Some(spec), errors::OOM);
        return Processed::Done;
    }
    let write_spec = match &client.multi {
        Some(m) if spec.name == "exec" => m.first_with(flags::WRITE).unwrap_or(spec),
        _ => spec,
    };
    // The master client of a replica is obeyed whatever the disk says.
    let obey = crate::replication::replica::is_master_client(client);
    if let Some(text) =
        crate::persistence::bgsave::write_denied_error(srv, write_spec).filter(|_| !obey)
    {
        reject(srv, client, Some(spec), &text);
        return Processed::Done;
    }
    if cmd_flags & flags::WRITE != 0 || spec.name == "ping" {
        if let Some(text) = crate::persistence::aof::write_denied_error(srv).filter(|_| !obey) {
            reject(srv, client, Some(spec), &text);
            return Processed::Done;
        }
    }
    // min-replicas-to-write / min-replicas-max-lag (a master only), then
    // a replica's read-only check, in Redis's order.
    if write_spec.has(flags::WRITE)
        && !obey
        && crate::replication::master::not_enough_good_replicas(srv)
    {
        reject(
            srv,
            client,
            Some(spec),
            "NOREPLICAS Not enough good replicas to write.",
        );
        return Processed::Done;
    }
    // A replica: writes from clients other than its master (replica-read-only).
    if let Some(text) =
        crate::replication::replica::readonly_error(srv, client, cmd_flags & flags::WRITE != 0)
    {
        reject(srv, client, Some(spec), text);
        return Processed::Done;
    }
    if client.is_subscriber() && !client.reply.resp3 && !pubsub::allowed_in_context(spec) {
        let text = pubsub::context_error(spec);
        reject(srv, client, Some(spec), &text);
        return Processed::Done;
    }
    // A replica whose link is down, with replica-serve-stale-data no.
    if let Some(text) =
        crate::replication::replica::masterdown_error(srv, client, spec.has(flags::STALE))
    {
        reject(srv, client, Some(spec), text);
        return Processed::Done;
    }
    // (During a replica's async load the old data is served: only
    // `no_async_loading` commands are refused, and an EXEC that queued one.)
    if (srv.persistence.loading.active && !spec.has(flags::LOADING))
        || (srv.persistence.loading.async_loading && cmd_flags & flags::NO_ASYNC_LOADING != 0)
    {
        reject(
            srv,
            client,
            Some(spec),
            crate::persistence::bgsave::LOADING_ERR,
        );
        return Processed::Done;
    }
    if blocked_by_pause(srv, cmd_flags) {
        return Processed::Paused;
    }
    if client.multi.is_some() && !multi::runs_in_multi(spec) {
        multi::queue(srv, client, spec, argv);
        return Processed::Done;
    }
    call(srv, client, spec, argv);
    Processed::Done
}

/// Whether a protected command (DEBUG) may run for this client, per
/// `enable-debug-command` (no, yes, local).
fn protected_allowed(srv: &Server, client: &Client, _spec: &CommandSpec) -> bool {
    match srv.config.enable_debug_command.as_str() {
        "yes" => true,
        "local" => client.has(crate::server::client::cflags::LOCAL),
        _ => false,
    }
}

/// Replies with a rejection error and counts it as Redis does
/// (`rejected_calls` of the command, `errorstats`). A rejection inside
/// MULTI flags the transaction; a rejected EXEC discards it
/// (`-EXECABORT Transaction discarded because of: ...`).
fn reject(srv: &mut Server, client: &mut Client, spec: Option<&'static CommandSpec>, text: &str) {
    if let Some(spec) = spec {
        srv.stats
            .commands
            .entry(spec.name)
            .or_default()
            .rejected_calls += 1;
    }
    multi::flag_transaction(client);
    crate::server::tracking::after_reject(srv, client, spec.map(|s| s.name));
    let abort;
    let text = if spec.is_some_and(|s| s.name == "exec") {
        multi::discard_transaction(srv, client);
        abort = multi::exec_abort_text(text);
        abort.as_str()
    } else {
        text
    };
    count_error(srv, text);
    // CLIENT REPLY OFF / SKIP silence rejections too, and a rejected
    // command is the one a pending SKIP applies to.
    match client.reply_mode {
        ReplyMode::On => client.reply.error(text),
        ReplyMode::SkipNext | ReplyMode::Skip => client.reply_mode = ReplyMode::On,
        ReplyMode::Off => {}
    }
    srv.queue_write(client);
}

/// Counts an error reply in `total_error_replies` and errorstats.
pub fn count_error(srv: &mut Server, text: &str) {
    srv.stats.total_error_replies += 1;
    let code = errors::error_code(text);
    match srv.stats.errors.get_mut(code) {
        Some(n) => *n += 1,
        None => {
            srv.stats.errors.insert(code.to_string(), 1);
        }
    }
}

/// Runs the handler and does the bookkeeping after it. Returns whether the
/// handler asked to block the client (it is then blocked, or stays blocked
/// when this was a retry).
pub fn call(
    srv: &mut Server,
    client: &mut Client,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) -> bool {
    let mut wants_block = false;
    let handler = spec
        .handler
        .expect("invariant: dispatch only calls handlers");
    let reply_start = client.reply.buf.len();
    if client.reply_mode == ReplyMode::SkipNext {
        client.reply_mode = ReplyMode::Skip;
    }
    // Commands EXEC runs leave `cmd=exec` in CLIENT LIST, as in Redis.
    if client.multi.is_none() || multi::runs_in_multi(spec) {
        client.last_cmd = spec.name;
    }
    let db_before = client.db;
    let dirty_before = srv.dirty;
    crate::server::tracking::before_call(srv, client);
    srv.propagation.enter();
    srv.pubsub.reply_mark = reply_start;
    let start = Instant::now();
    let result = {
        let mut ctx = Ctx {
            srv,
            client,
            argv,
            cmd: spec,
        };
        handler(&mut ctx)
    };
    let duration_us = start.elapsed().as_micros() as u64;
    if srv.config.notify_keyspace_events != 0 {
        // Events the databases recorded (key misses, lazy expiry, new keys)
        // happened at lookup time, before the reply: a RESP3 client that
        // receives its own events gets them ahead of the reply, as in Redis.
        let before = client.reply.buf.len();
        crate::server::pubsub::flush_db_events(srv, Some(&mut *client));
        crate::server::pubsub::move_back(client, before, reply_start);
    }
    srv.free_graveyard(client.db);
    let stats = srv.stats.commands.entry(spec.name).or_default();
    stats.calls += 1;
    stats.usec += duration_us;
    if let Err(e) = result {
        stats.failed_calls += 1;
        let text = e.text();
        count_error(srv, &text);
        client.reply.error(&text);
    }
    if client.multi.is_some() {
        // Inside EXEC a blocking command does not block: it answers at
        // once with its timeout reply, as Redis's CLIENT_DENY_BLOCKING.
        // BLMOVE and BRPOPLPUSH answer a null bulk there (their timeout
        // reply is a null array).
        if let Some(req) = client.block_request.take() {
            match req.timeout_reply {
                _ if matches!(spec.name, "blmove" | "brpoplpush") => client.reply.null(),
                crate::db::blocking::TimeoutReply::NullArray => client.reply.null_array(),
                crate::db::blocking::TimeoutReply::NullBulk => client.reply.null(),
            }
        }
    }
    srv.stats.total_commands_processed += 1;
    let dirtied = srv.dirty > dirty_before;
    let repl_offset_before = srv.repl.master_repl_offset;
    crate::server::propagate::after_call(srv, spec.name, db_before, argv, dirtied);
    // WAIT waits for the offset right after the client's last write.
    if srv.repl.master_repl_offset != repl_offset_before {
        client.woff = srv.repl.master_repl_offset;
    }
    client.last_interaction_ms = srv.now_ms;
    if !srv.monitors.is_empty() {
        server::feed_monitors(srv, client, spec, argv);
    }
    match client.reply_mode {
        ReplyMode::On => {}
        ReplyMode::Off => client.reply.buf.truncate(reply_start),
        ReplyMode::Skip => {
            client.reply.buf.truncate(reply_start);
            if spec.name != "client|reply" {
                client.reply_mode = ReplyMode::On;
            }
        }
        ReplyMode::SkipNext => {}
    }
    crate::server::tracking::after_call(srv, client, spec, argv, reply_start);
    if let Some(req) = client.block_request.take() {
        // A retry that still finds nothing keeps its place in the queues.
        if client.blocked.is_none() {
            let state = crate::db::blocking::BlockedState {
                db: client.db,
                keys: req.keys,
                deadline_ms: req.deadline_ms,
                argv: argv.iter().map(|a| a.to_vec()).collect(),
                timeout_reply: req.timeout_reply,
            };
            srv.blocking.block(client.token, client.id, &state);
            client.blocked = Some(Box::new(state));
        }
        wants_block = true;
    }
    if client.reply.has_pending() {
        srv.queue_write(client);
    }
    let slower_than = srv.config.slowlog_log_slower_than;
    if slower_than >= 0 && duration_us >= slower_than as u64 && !spec.has(flags::SKIP_SLOWLOG) {
        slowlog_push(srv, client, spec, argv, duration_us);
    }
    wants_block
}

fn slowlog_push(
    srv: &mut Server,
    client: &Client,
    spec: &CommandSpec,
    argv: &[&[u8]],
    duration_us: u64,
) {
    const MAX_ARGC: usize = 32;
    const MAX_ARG_LEN: usize = 128;
    let redacted = server::redacted_args(spec.name, argv);
    let mut args: Vec<Vec<u8>> = Vec::new();
    let shown = argv.len().min(MAX_ARGC);
    for (i, a) in argv.iter().take(shown).enumerate() {
        if redacted.contains(&i) {
            args.push(server::REDACTED.to_vec());
        } else if i == MAX_ARGC - 1 && argv.len() > MAX_ARGC {
            args.push(format!("... ({} more arguments)", argv.len() - MAX_ARGC + 1).into_bytes());
        } else if a.len() > MAX_ARG_LEN {
            let mut v = a[..MAX_ARG_LEN].to_vec();
            v.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_ARG_LEN).as_bytes());
            args.push(v);
        } else {
            args.push(a.to_vec());
        }
    }
    let entry = SlowlogEntry {
        id: srv.slowlog_next_id,
        time_secs: srv.now_ms / 1000,
        duration_us,
        argv: args,
        peer: client.addr.clone(),
        name: client.name.clone().unwrap_or_default(),
    };
    srv.slowlog_next_id += 1;
    srv.slowlog.push_front(entry);
    while srv.slowlog.len() > srv.config.slowlog_max_len {
        srv.slowlog.pop_back();
    }
}

/// Parses an i64 argument or fails with Redis's integer error.
pub fn parse_int(arg: &[u8]) -> Result<i64, CmdError> {
    crate::util::numfmt::parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// Checks that a value has the wanted type (WRONGTYPE otherwise).
#[inline]
pub fn expect_type(v: &crate::types::Value, t: crate::types::ValueType) -> CmdResult {
    if v.value_type() == t {
        Ok(())
    } else {
        Err(CmdError::WrongType)
    }
}

/// Checks that a value is a string.
pub fn expect_string(v: &crate::types::Value) -> CmdResult {
    if v.is_string() {
        Ok(())
    } else {
        Err(CmdError::WrongType)
    }
}
