//! Command propagation: what a command changed, handed on as commands to
//! the AOF and (later) to replicas, so that replaying them gives the same
//! dataset.
//!
//! After each top-level command `call` hands its effects here. By default a
//! command that made the dataset dirty propagates its own argv; a handler
//! can instead rewrite what it propagates (`Ctx::propagate_as`, e.g.
//! EXPIRE as an absolute `PEXPIREAT`), add commands before its own
//! (`Ctx::also_propagate`, e.g. SPOP's `SREM`s) or suppress its own
//! (`Ctx::no_propagate`). Keys that expire lazily during a command are
//! propagated as `DEL` (or `UNLINK` with `lazyfree-lazy-expire yes`) before
//! the command's own effects. When one command propagates more than one
//! command they are wrapped in `MULTI`/`EXEC`. Keys removed by the active
//! expiry cycle are propagated one `DEL` at a time, unwrapped.
//!
//! Consumers: the AOF (`srv.aof`) and any number of `PropagationSink`s in
//! `srv.propagation.sinks` (replica streams). `StreamEncoder` turns ops into
//! RESP multibulk with `SELECT` whenever the database changes, per stream.
//!
//! Redis counterpart: `alsoPropagate`, `propagateNow`,
//! `propagatePendingCommands`, `rewriteClientCommandVector`,
//! `preventCommandPropagation`, `propagateDeletion` (`server.c`, `db.c`).

use super::Server;

/// One propagated command: the database it applies to and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Database index.
    pub db: usize,
    /// The command and its arguments.
    pub argv: Vec<Vec<u8>>,
}

impl Op {
    /// An op from borrowed arguments.
    pub fn new(db: usize, argv: &[&[u8]]) -> Op {
        Op {
            db,
            argv: argv.iter().map(|a| a.to_vec()).collect(),
        }
    }
}

/// A consumer of the propagated stream (a replica link, the backlog, ...).
/// It receives whole units: `ops` already wrapped in MULTI/EXEC when the
/// command propagated several commands.
pub trait PropagationSink {
    /// Takes one unit of propagated commands.
    fn feed(&mut self, ops: &[Op]);

    /// Whether this is the replication stream's sink (removed when the
    /// backlog is freed, so propagation stops when nothing listens).
    fn is_replication_stream(&self) -> bool {
        false
    }
}

/// What the running command propagates as itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Own {
    /// Its argv, if it made the dataset dirty.
    #[default]
    Argv,
    /// These commands instead (rewritten by the handler), unconditionally.
    Rewritten(Vec<Op>),
    /// Nothing.
    Suppressed,
}

/// Propagation state: the commands collected during the current call and
/// the sinks that receive them.
#[derive(Default)]
pub struct Propagation {
    /// Commands added during the current top-level call (lazy expiries,
    /// `also_propagate`), in order.
    pending: Vec<Op>,
    /// What the current top-level command propagates as itself.
    own: Own,
    /// Nesting depth of `call` (only the outermost call emits).
    depth: u32,
    /// `own` of the enclosing calls while a nested one runs.
    outer_own: Vec<Own>,
    /// While set (loading the AOF), nothing is propagated.
    pub suspended: bool,
    /// Replica streams and other consumers besides the AOF.
    pub sinks: Vec<Box<dyn PropagationSink>>,
}

impl Propagation {
    /// Called by `call` before the handler runs.
    #[inline]
    pub fn enter(&mut self) {
        if self.depth == 0 {
            self.pending.clear();
            self.outer_own.clear();
        } else {
            // A nested call (EXEC, scripts later) has its own decision.
            let outer = std::mem::take(&mut self.own);
            self.outer_own.push(outer);
        }
        self.own = Own::Argv;
        self.depth += 1;
    }

    /// Ends a call's own decision, restoring the enclosing call's.
    fn leave(&mut self) -> Own {
        let own = std::mem::take(&mut self.own);
        if self.depth > 0 {
            self.own = self.outer_own.pop().unwrap_or_default();
        }
        own
    }
}

/// Whether anything consumes propagated commands (AOF on or a sink).
#[inline]
pub fn active(srv: &Server) -> bool {
    !srv.propagation.suspended && (srv.aof.accepts_commands() || !srv.propagation.sinks.is_empty())
}

/// The command used to propagate the deletion of an expired key.
fn expire_del_cmd(srv: &Server) -> &'static [u8] {
    if srv.config.get_bool("lazyfree-lazy-expire") {
        b"UNLINK"
    } else {
        b"DEL"
    }
}

/// Moves the keys expired lazily (recorded by the databases) into the
/// pending list as `DEL`/`UNLINK`, or drops them when nothing listens.
fn drain_lazy_expired(srv: &mut Server) {
    // Client-side caching sees the expired keys before they go.
    crate::server::tracking::lazy_expired(srv);
    crate::server::tracking::lazy_drained(srv);
    if srv.keyspace.dbs.iter().all(|d| d.lazy_expired.is_empty()) {
        return;
    }
    let on = active(srv);
    let cmd = expire_del_cmd(srv);
    for (i, db) in srv.keyspace.dbs.iter_mut().enumerate() {
        if db.lazy_expired.is_empty() {
            continue;
        }
        if on {
            for key in db.lazy_expired.drain(..) {
                srv.propagation.pending.push(Op {
                    db: i,
                    argv: vec![cmd.to_vec(), key],
                });
            }
        } else {
            db.lazy_expired.clear();
        }
    }
}

/// The deletion command for an expired key (`DEL` or `UNLINK` per
/// `lazyfree-lazy-expire`), for handlers that delete a key because its new
/// expiry is in the past.
pub fn expired_key_del(srv: &Server) -> &'static [u8] {
    expire_del_cmd(srv)
}

/// Adds a command to propagate before the running command's own effects.
pub fn also_propagate(srv: &mut Server, db: usize, argv: &[&[u8]]) {
    if !active(srv) {
        return;
    }
    drain_lazy_expired(srv);
    srv.propagation.pending.push(Op::new(db, argv));
}

/// Replaces what the running command propagates as itself. Called more
/// than once, each call adds one command.
pub fn propagate_as(srv: &mut Server, db: usize, argv: &[&[u8]]) {
    if !active(srv) {
        return;
    }
    let op = Op::new(db, argv);
    match &mut srv.propagation.own {
        Own::Rewritten(ops) => ops.push(op),
        own => *own = Own::Rewritten(vec![op]),
    }
}

/// The running command propagates nothing as itself.
pub fn no_propagate(srv: &mut Server) {
    srv.propagation.own = Own::Suppressed;
}

/// Called by `call` after the handler: builds what the command propagates
/// (lazy expiries, added commands, its own argv or its rewrite) and, for
/// the outermost call, emits it as one unit.
pub fn after_call(srv: &mut Server, name: &str, db: usize, argv: &[&[u8]], dirtied: bool) {
    let p = &mut srv.propagation;
    p.depth = p.depth.saturating_sub(1);
    let outer = p.depth == 0;
    let own = p.leave();
    if !active(srv) {
        drain_lazy_expired(srv);
        if outer {
            srv.propagation.pending.clear();
        }
        return;
    }
    drain_lazy_expired(srv);
    match own {
        Own::Argv if dirtied => srv.propagation.pending.push(Op::new(db, argv)),
        Own::Rewritten(ops) => srv.propagation.pending.extend(ops),
        _ => {}
    }
    if !outer {
        return;
    }
    let ops = std::mem::take(&mut srv.propagation.pending);
    if touches_arbitrary_keys(name) {
        // Their lazy expiries are unrelated deletions: not a transaction
        // (Redis's CMD_TOUCHES_ARBITRARY_KEYS).
        for op in ops {
            emit(srv, vec![op]);
        }
    } else {
        emit(srv, ops);
    }
}

/// Commands that may expire any number of unrelated keys.
fn touches_arbitrary_keys(name: &str) -> bool {
    matches!(name, "scan" | "randomkey" | "keys")
}

/// Emits keys removed by the active expiry cycle: one `DEL`/`UNLINK` each,
/// not wrapped in a transaction.
pub fn expired_keys(srv: &mut Server, keys: Vec<(usize, Vec<u8>)>) {
    if keys.is_empty() || !active(srv) {
        return;
    }
    let lazy = srv.config.get_bool("lazyfree-lazy-expire");
    for (db, key) in keys {
        deleted_key(srv, db, &key, lazy);
    }
}

/// Emits the deletion of a key the server removed on its own account
/// (expiry, eviction), as its own unit: `UNLINK` when it was freed lazily,
/// else `DEL`.
pub fn deleted_key(srv: &mut Server, db: usize, key: &[u8], lazy: bool) {
    if !active(srv) {
        return;
    }
    let cmd: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
    emit(
        srv,
        vec![Op {
            db,
            argv: vec![cmd.to_vec(), key.to_vec()],
        }],
    );
}

/// Hands keys expired lazily outside a command (cron, blocked-client
/// bookkeeping) to the consumers.
pub fn flush_lazy_expired(srv: &mut Server) {
    if srv.propagation.depth > 0 {
        return;
    }
    drain_lazy_expired(srv);
    if srv.propagation.pending.is_empty() {
        return;
    }
    let ops = std::mem::take(&mut srv.propagation.pending);
    for op in ops {
        emit(srv, vec![op]);
    }
}

/// Emits one unit to every consumer, wrapped in MULTI/EXEC when it holds
/// more than one command.
pub fn emit(srv: &mut Server, mut ops: Vec<Op>) {
    if ops.is_empty() {
        return;
    }
    if ops.len() > 1 {
        let db = ops[0].db;
        ops.insert(
            0,
            Op {
                db,
                argv: vec![b"MULTI".to_vec()],
            },
        );
        let last = ops.last().map_or(db, |o| o.db);
        ops.push(Op {
            db: last,
            argv: vec![b"EXEC".to_vec()],
        });
    }
    if srv.aof.accepts_commands() {
        srv.aof.feed(&ops, srv.now_ms / 1000);
    }
    for sink in srv.propagation.sinks.iter_mut() {
        sink.feed(&ops);
    }
    // The replication sink encoded the unit: count it and hand it to the
    // backlog and replicas now, so master_repl_offset is exact for WAIT.
    crate::replication::master::feed_stream(srv);
}

/// Encodes propagated commands as RESP multibulk, emitting `SELECT` when
/// the database differs from the stream's current one. One per stream.
#[derive(Debug, Default, Clone)]
pub struct StreamEncoder {
    /// The database the stream has selected; None forces a SELECT.
    pub selected_db: Option<usize>,
}

impl StreamEncoder {
    /// Appends `op` (preceded by `SELECT` if needed) to `out`.
    pub fn encode(&mut self, out: &mut Vec<u8>, op: &Op) {
        if self.selected_db != Some(op.db) {
            let db = op.db.to_string();
            encode_command(out, &[b"SELECT", db.as_bytes()]);
            self.selected_db = Some(op.db);
        }
        encode_command(out, &op.argv);
    }
}

/// Appends one command in RESP multibulk form.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    out.push(b'*');
    out.extend_from_slice(argv.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        let a = a.as_ref();
        out.push(b'$');
        out.extend_from_slice(a.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testing::recording;
    use std::cell::RefCell;
    use std::rc::Rc;

    fn take(log: &Rc<RefCell<Vec<String>>>) -> Vec<String> {
        std::mem::take(&mut *log.borrow_mut())
    }

    #[test]
    fn restore_propagates_an_absolute_ttl() {
        let (mut h, log) = recording();
        h.run(&["set", "k", "v"]);
        let dump = h.run_bytes(&[b"dump", b"k"]);
        // "$<len>\r\n<payload>\r\n"
        let start = dump.iter().position(|&b| b == b'\n').unwrap() + 1;
        let payload = dump[start..dump.len() - 2].to_vec();
        take(&log);
        h.run_bytes(&[b"restore", b"k2", b"5000", &payload]);
        let now = h.srv.now_ms;
        let got = take(&log);
        assert_eq!(got.len(), 1, "{:?}", got);
        assert!(
            got[0].starts_with(&format!("0:restore k2 {} ", now + 5000)),
            "{:?}",
            got
        );
        assert!(got[0].ends_with(" ABSTTL"), "{:?}", got);
        // Already expired with REPLACE: the old key's deletion is what goes.
        h.run_bytes(&[b"restore", b"k2", b"1", &payload, b"replace", b"absttl"]);
        assert_eq!(take(&log), vec!["0:DEL k2"]);
    }

    #[test]
    fn writes_propagate_their_argv_reads_and_noops_nothing() {
        let (mut h, log) = recording();
        h.run(&["set", "k", "v"]);
        h.run(&["get", "k"]);
        h.run(&["del", "nosuch"]);
        h.run(&["incr", "n"]);
        assert_eq!(take(&log), vec!["0:set k v", "0:incr n"]);
        h.run(&["select", "3"]);
        h.run(&["set", "x", "y"]);
        assert_eq!(take(&log), vec!["3:set x y"]);
    }

    #[test]
    fn lazy_expiry_is_a_del_before_the_command_in_a_transaction() {
        let (mut h, log) = recording();
        h.run(&["set", "k", "v", "px", "10"]);
        take(&log);
        h.advance_ms(20);
        h.run(&["get", "k"]);
        assert_eq!(take(&log), vec!["0:DEL k"]);
        h.run(&["set", "j", "v", "px", "10"]);
        take(&log);
        h.advance_ms(20);
        h.run(&["set", "j", "w"]);
        assert_eq!(
            take(&log),
            vec!["0:MULTI", "0:DEL j", "0:set j w", "0:EXEC"]
        );
        h.run(&["config", "set", "lazyfree-lazy-expire", "yes"]);
        h.run(&["set", "u", "v", "px", "10"]);
        take(&log);
        h.advance_ms(20);
        h.run(&["exists", "u"]);
        assert_eq!(take(&log), vec!["0:UNLINK u"]);
    }

    #[test]
    fn handlers_propagate_what_replays_exactly() {
        let (mut h, log) = recording();
        let now = h.srv.now_ms;
        let at = |ms: i64| (now + ms).to_string();
        h.run(&["set", "k", "v"]);
        h.run(&["expire", "k", "100"]);
        h.run(&["pexpire", "k", "200000", "gt"]);
        h.run(&["expireat", "k", "99999999999"]);
        h.run(&["expire", "nosuch", "100"]);
        h.run(&["setex", "s", "10", "v"]);
        h.run(&["psetex", "s", "10", "v"]);
        h.run(&["set", "s", "v", "ex", "5", "get"]);
        h.run(&["set", "s", "w", "keepttl", "get"]);
        h.run(&["getset", "s", "x"]);
        h.run(&["set", "gd", "1"]);
        h.run(&["getdel", "gd"]);
        h.run(&["getdel", "gd"]);
        h.run(&["getex", "s", "px", "7"]);
        h.run(&["getex", "s", "persist"]);
        h.run(&["getex", "s", "persist"]);
        h.run(&["getex", "s", "exat", "1"]);
        h.run(&["set", "k", "v"]);
        h.run(&["expire", "k", "-1"]);
        assert_eq!(
            take(&log),
            vec![
                "0:set k v".to_string(),
                format!("0:PEXPIREAT k {}", at(100_000)),
                format!("0:PEXPIREAT k {} gt", at(200_000)),
                "0:PEXPIREAT k 99999999999000".to_string(),
                format!("0:SET s v PXAT {}", at(10_000)),
                format!("0:SET s v PXAT {}", at(10)),
                format!("0:SET s v PXAT {}", at(5_000)),
                "0:set s w keepttl".to_string(),
                "0:SET s x".to_string(),
                "0:set gd 1".to_string(),
                "0:DEL gd".to_string(),
                format!("0:PEXPIREAT s {}", at(7)),
                "0:PERSIST s".to_string(),
                "0:DEL s".to_string(),
                "0:set k v".to_string(),
                "0:DEL k".to_string(),
            ]
        );
        h.run(&["set", "f", "1.5"]);
        h.run(&["incrbyfloat", "f", "1"]);
        h.run(&["hincrbyfloat", "h", "a", "2.5"]);
        assert_eq!(
            take(&log),
            vec!["0:set f 1.5", "0:SET f 2.5 KEEPTTL", "0:HSET h a 2.5"]
        );
    }

    #[test]
    fn random_and_blocking_pops_propagate_their_outcome() {
        let (mut h, log) = recording();
        h.run(&["sadd", "s", "a"]);
        h.run(&["spop", "s"]);
        h.run(&[
            "sadd", "s", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
        ]);
        take(&log);
        h.run(&["spop", "s", "2"]);
        let got = take(&log);
        assert_eq!(got.len(), 4, "{:?}", got);
        assert_eq!(got[0], "0:MULTI");
        assert!(got[1].starts_with("0:SREM s "));
        assert_eq!(got[3], "0:EXEC");
        h.run(&["spop", "s", "7"]);
        let got = take(&log);
        assert_eq!(got.len(), 9, "{:?}", got);
        assert_eq!(h.run_str(&["scard", "s"]), ":1\r\n");
        h.run(&["spop", "s", "5"]);
        assert_eq!(take(&log), vec!["0:DEL s"]);
        h.run(&["spop", "s"]);
        assert!(take(&log).is_empty());
        h.run(&["rpush", "l", "a", "b", "c", "d"]);
        h.run(&["blpop", "l", "0"]);
        h.run(&["brpop", "l", "0"]);
        h.run(&["lmpop", "1", "l", "left"]);
        h.run(&["rpush", "l", "x"]);
        h.run(&["blmove", "l", "m", "left", "right", "0"]);
        h.run(&["brpoplpush", "m", "l", "0"]);
        h.run(&["blmpop", "0", "2", "nosuch", "l", "right", "count", "5"]);
        h.run(&["zadd", "z", "1", "a", "2", "b", "3", "c"]);
        h.run(&["bzpopmax", "z", "0"]);
        h.run(&["zmpop", "1", "z", "min"]);
        h.run(&["bzmpop", "0", "1", "z", "max", "count", "3"]);
        h.run(&["zadd", "z", "1", "a"]);
        h.run(&["zpopmin", "z"]);
        assert_eq!(
            take(&log),
            vec![
                "0:rpush l a b c d",
                "0:LPOP l",
                "0:RPOP l",
                "0:LPOP l 1",
                "0:rpush l x",
                "0:LMOVE l m left right",
                "0:RPOPLPUSH m l",
                "0:RPOP l 5",
                "0:zadd z 1 a 2 b 3 c",
                "0:ZPOPMAX z",
                "0:ZPOPMIN z 1",
                "0:ZPOPMAX z 3",
                "0:zadd z 1 a",
                "0:zpopmin z",
            ]
        );
        h.run(&["flushall"]);
        h.run(&["flushdb"]);
        assert_eq!(take(&log), vec!["0:flushall", "0:flushdb"]);
    }

    #[test]
    fn scan_and_randomkey_expiries_are_not_a_transaction() {
        let (mut h, log) = recording();
        h.run(&["debug", "set-active-expire", "0"]);
        for k in ["a", "b", "c", "d", "e", "f"] {
            h.run(&["set", k, "1", "px", "1"]);
        }
        take(&log);
        h.advance_ms(10);
        h.run(&["mget", "a", "b"]);
        assert_eq!(take(&log), vec!["0:MULTI", "0:DEL a", "0:DEL b", "0:EXEC"]);
        h.run(&["keys", "*"]);
        assert!(take(&log).is_empty());
        h.run(&["scan", "0"]);
        let mut got = take(&log);
        got.sort();
        assert_eq!(got, vec!["0:DEL c", "0:DEL d", "0:DEL e", "0:DEL f"]);
    }

    #[test]
    fn nested_calls_form_one_unit_with_their_own_decisions() {
        let (mut h, log) = recording();
        let srv = &mut h.srv;
        // An EXEC-like outer call that suppresses itself...
        srv.propagation.enter();
        no_propagate(srv);
        // ...runs a rewritten command and a plain one.
        srv.propagation.enter();
        propagate_as(srv, 0, &[b"SET", b"a", b"1", b"PXAT", b"5"]);
        after_call(srv, "set", 0, &[b"set", b"a", b"1", b"px", b"5"], true);
        srv.propagation.enter();
        after_call(srv, "incr", 2, &[b"incr", b"n"], true);
        after_call(srv, "exec", 0, &[b"exec"], true);
        assert_eq!(
            take(&log),
            vec!["0:MULTI", "0:SET a 1 PXAT 5", "2:incr n", "2:EXEC"]
        );
    }

    #[test]
    fn encoder_selects_when_the_db_changes() {
        let mut e = StreamEncoder::default();
        let mut out = Vec::new();
        e.encode(&mut out, &Op::new(0, &[b"set", b"a", b"1"]));
        e.encode(&mut out, &Op::new(0, &[b"del", b"a"]));
        e.encode(&mut out, &Op::new(2, &[b"del", b"b"]));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n\
             *2\r\n$3\r\ndel\r\n$1\r\na\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n\
             *2\r\n$3\r\ndel\r\n$1\r\nb\r\n"
        );
    }
}
