//! Set commands: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SPOP
//! SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
//! SDIFFSTORE SSCAN.
//!
//! Redis counterpart: `t_set.c` (the command half) and the SSCAN part of
//! `scanGenericCommand` in `db.c`.

use super::args;
use super::spec::{cmd, keys, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::config::notify;
use crate::db::Db;
use crate::db::Discard;
use crate::errors::{self, CmdError, CmdResult};
use crate::resp::reply::{Aggregate, ReplyBuf};
use crate::server::Server;
use crate::types::set::{Member, Set};
use crate::types::Value;
use crate::util::glob::GlobPattern;

const SET: Group = Group::Set;

/// SRANDMEMBER with a negative count repeats members; Redis 7.0 would try
/// to build any reply up to `-LONG_MAX` elements (and hang), so counts
/// beyond this are refused with an out-of-range error instead.
const MAX_RANDOM_REPEATS: u64 = 1 << 25;

/// At most this many members are reserved up front for a new set.
const RESERVE_CAP: usize = 512;

pub static COMMANDS: &[CommandSpec] = &[
    cmd(
        "sadd",
        -3,
        WRITE | DENYOOM | FAST,
        keys(1, 1, 1),
        SET,
        sadd_command,
    )
    .doc("Add one or more members to a set", "1.0.0"),
    cmd(
        "scard",
        2,
        READONLY | FAST,
        keys(1, 1, 1),
        SET,
        scard_command,
    )
    .doc("Get the number of members in a set", "1.0.0"),
    cmd("sdiff", -2, READONLY, keys(1, -1, 1), SET, sdiff_command)
        .tips(&["nondeterministic_output_order"])
        .doc("Subtract multiple sets", "1.0.0"),
    cmd(
        "sdiffstore",
        -3,
        WRITE | DENYOOM,
        keys(1, -1, 1),
        SET,
        sdiffstore_command,
    )
    .doc(
        "Subtract multiple sets and store the resulting set in a key",
        "1.0.0",
    ),
    cmd("sinter", -2, READONLY, keys(1, -1, 1), SET, sinter_command)
        .tips(&["nondeterministic_output_order"])
        .doc("Intersect multiple sets", "1.0.0"),
    // Keys are found through `numkeys` (a keynum key spec in Redis).
    cmd("sintercard", -3, READONLY, NO_KEYS, SET, sintercard_command)
        .movable(super::getkeys::numkeys_first)
        .doc(
            "Intersect multiple sets and return the cardinality of the result",
            "7.0.0",
        ),
    cmd(
        "sinterstore",
        -3,
        WRITE | DENYOOM,
        keys(1, -1, 1),
        SET,
        sinterstore_command,
    )
    .doc(
        "Intersect multiple sets and store the resulting set in a key",
        "1.0.0",
    ),
    cmd(
        "sismember",
        3,
        READONLY | FAST,
        keys(1, 1, 1),
        SET,
        sismember_command,
    )
    .doc("Determine if a given value is a member of a set", "1.0.0"),
    cmd(
        "smembers",
        2,
        READONLY,
        keys(1, 1, 1),
        SET,
        smembers_command,
    )
    .tips(&["nondeterministic_output_order"])
    .doc("Get all the members in a set", "1.0.0"),
    cmd(
        "smismember",
        -3,
        READONLY | FAST,
        keys(1, 1, 1),
        SET,
        smismember_command,
    )
    .doc(
        "Returns the membership associated with the given elements for a set",
        "6.2.0",
    ),
    cmd("smove", 4, WRITE | FAST, keys(1, 2, 1), SET, smove_command)
        .doc("Move a member from one set to another", "1.0.0"),
    cmd("spop", -2, WRITE | FAST, keys(1, 1, 1), SET, spop_command)
        .tips(&["nondeterministic_output"])
        .doc(
            "Remove and return one or multiple random members from a set",
            "3.2.0",
        ),
    cmd(
        "srandmember",
        -2,
        READONLY,
        keys(1, 1, 1),
        SET,
        srandmember_command,
    )
    .tips(&["nondeterministic_output"])
    .doc("Get one or multiple random members from a set", "2.6.0"),
    cmd("srem", -3, WRITE | FAST, keys(1, 1, 1), SET, srem_command)
        .doc("Remove one or more members from a set", "1.0.0"),
    cmd("sscan", -3, READONLY, keys(1, 1, 1), SET, sscan_command)
        .tips(&["nondeterministic_output"])
        .doc("Incrementally iterate Set elements", "2.8.0"),
    cmd("sunion", -2, READONLY, keys(1, -1, 1), SET, sunion_command)
        .tips(&["nondeterministic_output_order"])
        .doc("Add multiple sets", "1.0.0"),
    cmd(
        "sunionstore",
        -3,
        WRITE | DENYOOM,
        keys(1, -1, 1),
        SET,
        sunionstore_command,
    )
    .doc(
        "Add multiple sets and store the resulting set in a key",
        "1.0.0",
    ),
];

/// `set-max-intset-entries`, read at command time so CONFIG SET applies.
fn max_intset(ctx: &Ctx) -> usize {
    usize::try_from(ctx.srv.config.get_i64("set-max-intset-entries")).unwrap_or(0)
}

/// The set a value holds, or WRONGTYPE.
fn as_set(v: &Value) -> Result<&Set, CmdError> {
    match v {
        Value::Set(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// The set a value holds, mutably, or WRONGTYPE.
fn as_set_mut(v: &mut Value) -> Result<&mut Set, CmdError> {
    match v {
        Value::Set(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// Writes one member as a bulk string.
#[inline]
fn reply_member(reply: &mut ReplyBuf, m: Member) {
    m.with_bytes(|b| reply.bulk(b));
}

/// Looks `key` up for reading (keyspace hits/misses, expiry): whether it
/// holds a set (false when missing), WRONGTYPE for another type. The set
/// itself is then reached through `peek_set` while other parts of the
/// server (its random state) are borrowed too.
fn check_read(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    let dbi = ctx.client.db;
    match ctx.srv.lookup_read(dbi, key) {
        Some(v) => as_set(v).map(|_| true),
        None => Ok(false),
    }
}

/// The set at a key already looked up (no side effects).
fn peek_set<'a>(db: &'a Db, key: &[u8]) -> Option<&'a Set> {
    match db.dict.get(key) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// SADD key member [member ...]
pub fn sadd_command(ctx: &mut Ctx) -> CmdResult {
    let max = max_intset(ctx);
    let (key, members) = (ctx.argv[1], &ctx.argv[2..]);
    let now = ctx.now_ms();
    let db = ctx.db();
    let added = match db.get_mut(key, now) {
        Some(v) => {
            let set = as_set_mut(v)?;
            members.iter().filter(|m| set.insert(m, max)).count()
        }
        None => {
            let mut set = Set::for_first(members[0]);
            // Exact room for the members given (capped: duplicates must
            // not leave a huge table behind); bigger sets grow as usual.
            set.reserve(members.len().min(RESERVE_CAP));
            let added = members.iter().filter(|m| set.insert(m, max)).count();
            db.insert_new(key, Value::Set(Box::new(set)));
            added
        }
    };
    if added > 0 {
        ctx.key_modified(key);
        ctx.notify(notify::SET, "sadd", key);
    }
    ctx.client.reply.int(added as i64);
    Ok(())
}

/// SREM key member [member ...]
pub fn srem_command(ctx: &mut Ctx) -> CmdResult {
    let (key, members) = (ctx.argv[1], &ctx.argv[2..]);
    let now = ctx.now_ms();
    let db = ctx.db();
    let Some(v) = db.get_mut(key, now) else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let set = as_set_mut(v)?;
    let mut removed = 0;
    for m in members {
        if set.remove(m) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let gone = set.is_empty();
    if gone {
        db.remove(key);
    }
    if removed > 0 {
        ctx.key_modified(key);
        ctx.notify(notify::SET, "srem", key);
        if gone {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.client.reply.int(removed);
    Ok(())
}

/// SCARD key
pub fn scard_command(ctx: &mut Ctx) -> CmdResult {
    let dbi = ctx.client.db;
    let n = match ctx.srv.lookup_read(dbi, ctx.argv[1]) {
        Some(v) => as_set(v)?.len(),
        None => 0,
    };
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// SISMEMBER key member
pub fn sismember_command(ctx: &mut Ctx) -> CmdResult {
    let dbi = ctx.client.db;
    let found = match ctx.srv.lookup_read(dbi, ctx.argv[1]) {
        Some(v) => as_set(v)?.contains(ctx.argv[2]),
        None => false,
    };
    ctx.client.reply.int(found as i64);
    Ok(())
}

/// SMISMEMBER key member [member ...]
pub fn smismember_command(ctx: &mut Ctx) -> CmdResult {
    let dbi = ctx.client.db;
    let members = &ctx.argv[2..];
    let set = match ctx.srv.lookup_read(dbi, ctx.argv[1]) {
        Some(v) => Some(as_set(v)?),
        None => None,
    };
    let reply = &mut ctx.client.reply;
    reply.array_len(members.len());
    for m in members {
        reply.int(set.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

/// SMEMBERS key
pub fn smembers_command(ctx: &mut Ctx) -> CmdResult {
    let dbi = ctx.client.db;
    let reply = &mut ctx.client.reply;
    match ctx.srv.lookup_read(dbi, ctx.argv[1]) {
        Some(v) => {
            let set = as_set(v)?;
            reply.set_len(set.len());
            set.iter().for_each(|m| reply_member(reply, m));
        }
        None => reply.set_len(0),
    }
    Ok(())
}

/// SPOP key [count]
pub fn spop_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(CmdError::Syntax);
    }
    if ctx.argc() == 3 {
        return spop_with_count(ctx);
    }
    let key = ctx.argv[1];
    let now = ctx.now_ms();
    let srv = &mut *ctx.srv;
    let db = &mut srv.keyspace.dbs[ctx.client.db];
    let Some(v) = db.get_mut(key, now) else {
        ctx.client.reply.null();
        return Ok(());
    };
    let set = as_set_mut(v)?;
    let Some(m) = set.pop_random(&mut srv.rng) else {
        ctx.client.reply.null();
        return Ok(());
    };
    let gone = set.is_empty();
    if gone {
        db.remove(key);
    }
    let pos = ctx.client.reply.buf.len();
    reply_member(&mut ctx.client.reply, m.as_member());
    let member = m.as_member().to_vec();
    ctx.key_modified(key);
    ctx.notify_at(pos, notify::SET, "spop", key);
    if gone {
        ctx.notify(notify::GENERIC, "del", key);
    }
    // Replayed as the member that was drawn.
    ctx.propagate_as(&[b"SREM", key, &member]);
    Ok(())
}

/// SPOP key count: a set reply of `count` distinct random members, removed.
fn spop_with_count(ctx: &mut Ctx) -> CmdResult {
    let count = args::int_or(ctx.argv[2], errors::POSITIVE)?;
    if count < 0 {
        return Err(CmdError::msg(errors::POSITIVE));
    }
    let count = count as u64;
    let key = ctx.argv[1];
    let now = ctx.now_ms();
    let propagating = ctx.propagating();
    // The members removed, replayed as one SREM each (Redis 7.0).
    let mut removed: Vec<Vec<u8>> = Vec::new();
    let mut whole = false;
    let srv = &mut *ctx.srv;
    let db = &mut srv.keyspace.dbs[ctx.client.db];
    let reply_pos = ctx.client.reply.buf.len();
    let reply = &mut ctx.client.reply;
    let Some(v) = db.get_mut(key, now) else {
        reply.set_len(0);
        return Ok(());
    };
    let set = as_set_mut(v)?;
    if count == 0 {
        reply.set_len(0);
        return Ok(());
    }
    let size = set.len() as u64;
    if count >= size {
        // The whole set goes. Redis replies through its SUNION code here,
        // whose read lookup counts a keyspace hit.
        srv.stats.keyspace_hits += 1;
        reply.set_len(set.len());
        set.iter().for_each(|m| reply_member(reply, m));
        db.remove(key);
        whole = true;
    } else if (size - count) * 5 > count {
        // Few of them: pop one at a time.
        reply.set_len(count as usize);
        for _ in 0..count {
            if let Some(m) = set.pop_random(&mut srv.rng) {
                reply_member(reply, m.as_member());
                if propagating {
                    removed.push(m.as_member().to_vec());
                }
            }
        }
    } else {
        // Most of them: move the survivors to a new set (same encoding) and
        // reply with what is left of the old one.
        let remaining = size - count;
        let mut kept = set.empty_like();
        for _ in 0..remaining {
            if let Some(m) = set.pop_random(&mut srv.rng) {
                kept.insert_member(m.as_member(), usize::MAX);
            }
        }
        reply.set_len(set.len());
        set.iter().for_each(|m| reply_member(reply, m));
        if propagating {
            removed.extend(set.iter().map(|m| m.to_vec()));
        }
        *set = kept;
    }
    ctx.key_modified(key);
    ctx.notify_at(reply_pos, notify::SET, "spop", key);
    if whole {
        ctx.notify(notify::GENERIC, "del", key);
    }
    if whole {
        ctx.propagate_as(&[b"DEL", key]);
    } else {
        for m in &removed {
            ctx.also_propagate(&[b"SREM", key, m]);
        }
        ctx.no_propagate();
    }
    Ok(())
}

/// SRANDMEMBER key [count]
pub fn srandmember_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(CmdError::Syntax);
    }
    let key = ctx.argv[1];
    if ctx.argc() == 3 {
        let count = args::int(ctx.argv[2])?;
        if count == i64::MIN {
            return Err(CmdError::msg(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ));
        }
        return srandmember_with_count(ctx, key, count);
    }
    if !check_read(ctx, key)? {
        ctx.client.reply.null();
        return Ok(());
    }
    let srv = &mut *ctx.srv;
    let set = peek_set(&srv.keyspace.dbs[ctx.client.db], key);
    match set.and_then(|s| s.random(&mut srv.rng)) {
        Some(m) => reply_member(&mut ctx.client.reply, m),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// SRANDMEMBER key count: distinct members for a positive count, repeats
/// allowed for a negative one; always an array.
fn srandmember_with_count(ctx: &mut Ctx, key: &[u8], count: i64) -> CmdResult {
    if !check_read(ctx, key)? {
        ctx.client.reply.array_len(0);
        return Ok(());
    }
    let srv = &mut *ctx.srv;
    let reply = &mut ctx.client.reply;
    let Some(set) = peek_set(&srv.keyspace.dbs[ctx.client.db], key) else {
        reply.array_len(0);
        return Ok(());
    };
    if count < 0 {
        let n = count.unsigned_abs();
        if n > MAX_RANDOM_REPEATS {
            return Err(CmdError::msg("ERR value is out of range"));
        }
        reply.array_len(n as usize);
        for _ in 0..n {
            if let Some(m) = set.random(&mut srv.rng) {
                reply_member(reply, m);
            }
        }
        return Ok(());
    }
    let count = count as u64;
    if count >= set.len() as u64 {
        reply.array_len(set.len());
        set.iter().for_each(|m| reply_member(reply, m));
        return Ok(());
    }
    let picked = set.sample_distinct(&mut srv.rng, count as usize);
    reply.array_len(picked.len());
    picked.into_iter().for_each(|m| reply_member(reply, m));
    Ok(())
}

/// SMOVE source destination member
pub fn smove_command(ctx: &mut Ctx) -> CmdResult {
    let (src, dst, member) = (ctx.argv[1], ctx.argv[2], ctx.argv[3]);
    let max = max_intset(ctx);
    let now = ctx.now_ms();
    let db = ctx.db();
    let src_is_set = db.get(src, now).map(|v| matches!(v, Value::Set(_)));
    let dst_is_set = db.get(dst, now).map(|v| matches!(v, Value::Set(_)));
    let Some(src_is_set) = src_is_set else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    if !src_is_set || dst_is_set == Some(false) {
        return Err(CmdError::WrongType);
    }
    let Some(Value::Set(set)) = db.get_mut(src, now) else {
        return Err(CmdError::WrongType);
    };
    if src == dst {
        let found = set.contains(member);
        ctx.client.reply.int(found as i64);
        return Ok(());
    }
    if !set.remove(member) {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let src_gone = set.is_empty();
    if src_gone {
        db.remove(src);
    }
    ctx.notify(notify::SET, "srem", src);
    if src_gone {
        ctx.notify(notify::GENERIC, "del", src);
    }
    let db = ctx.db();
    let added = match db.get_mut(dst, now) {
        Some(Value::Set(d)) => d.insert(member, max),
        _ => {
            let mut d = Set::for_first(member);
            d.insert(member, max);
            db.insert_new(dst, Value::Set(Box::new(d)));
            true
        }
    };
    ctx.key_modified(src);
    // The destination changed only if it did not hold the member yet.
    if added {
        ctx.key_modified(dst);
        ctx.notify(notify::SET, "sadd", dst);
    }
    ctx.client.reply.int(1);
    Ok(())
}

/// The set operations of SINTER/SUNION/SDIFF and their variants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Inter,
    Union,
    Diff,
}

/// Looks every key up in order, as Redis does (reads count keyspace
/// hits/misses; the *STORE variants look up for writing, which does not),
/// failing with WRONGTYPE at the first key that is not a set. Then
/// returns the sets (None for missing keys).
fn lookup_sets<'a>(
    srv: &'a mut Server,
    dbi: usize,
    keys: &[&[u8]],
    count_stats: bool,
) -> Result<Vec<Option<&'a Set>>, CmdError> {
    let now = srv.now_ms;
    for key in keys {
        let found = if count_stats {
            srv.lookup_read(dbi, key)
        } else {
            // No hit/miss counted, but a miss is still a `keymiss` event.
            let d = &mut srv.keyspace.dbs[dbi];
            match d.find_live(key, now) {
                Some(i) => Some(d.dict.value_at(i)),
                None => {
                    d.note_event(notify::KEY_MISS, "keymiss", key);
                    None
                }
            }
        };
        if let Some(v) = found {
            as_set(v)?;
        }
    }
    let db = &srv.keyspace.dbs[dbi];
    Ok(keys.iter().map(|k| peek_set(db, k)).collect())
}

/// Calls `emit` with each member of the intersection (iterating the
/// smallest set, as Redis does) until it returns false.
fn intersect<'a>(sets: &[Option<&'a Set>], mut emit: impl FnMut(Member<'a>) -> bool) {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else {
        return; // A missing key is an empty set.
    };
    sets.sort_by_key(|s| s.len());
    let Some((first, rest)) = sets.split_first() else {
        return;
    };
    for m in first.iter() {
        if rest.iter().all(|s| s.contains_member(m)) && !emit(m) {
            return;
        }
    }
}

/// Builds the union or difference of `sets` as a new set that starts as
/// an `intset`, as Redis's result set does.
fn combine(sets: &[Option<&Set>], op: SetOp, max: usize) -> Set {
    let mut out = Set::new();
    match op {
        SetOp::Union => {
            for s in sets.iter().flatten() {
                s.iter().for_each(|m| {
                    out.insert_member(m, max);
                });
            }
        }
        SetOp::Diff => {
            let Some(Some(first)) = sets.first() else {
                return out;
            };
            let others: Vec<&Set> = sets[1..].iter().flatten().copied().collect();
            // Either test each member of the first set against the others,
            // or copy it and remove the others' members, whichever is less
            // work.
            let test_work = first.len().saturating_mul(others.len()) / 2;
            let remove_work = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
            if test_work <= remove_work {
                for m in first.iter() {
                    if !others.iter().any(|s| s.contains_member(m)) {
                        out.insert_member(m, max);
                    }
                }
            } else {
                first.iter().for_each(|m| {
                    out.insert_member(m, max);
                });
                for s in &others {
                    for m in s.iter() {
                        out.remove_member(m);
                        if out.is_empty() {
                            return out;
                        }
                    }
                }
            }
        }
        SetOp::Inter => intersect(sets, |m| {
            out.insert_member(m, max);
            true
        }),
    }
    out
}

/// SINTER, SUNION and SDIFF: a set reply.
fn set_op_reply(ctx: &mut Ctx, op: SetOp) -> CmdResult {
    let max = max_intset(ctx);
    let keys = &ctx.argv[1..];
    let sets = lookup_sets(ctx.srv, ctx.client.db, keys, true)?;
    if op == SetOp::Inter {
        let reply = &mut ctx.client.reply;
        let len = reply.deferred_len();
        let mut n = 0;
        intersect(&sets, |m| {
            reply_member(reply, m);
            n += 1;
            true
        });
        reply.set_deferred_len(len, Aggregate::Set, n);
        return Ok(());
    }
    let result = combine(&sets, op, max);
    let reply = &mut ctx.client.reply;
    reply.set_len(result.len());
    result.iter().for_each(|m| reply_member(reply, m));
    Ok(())
}

/// SINTERSTORE, SUNIONSTORE and SDIFFSTORE: stores the result (deleting
/// the destination when it is empty) and replies with its size.
fn set_op_store(ctx: &mut Ctx, op: SetOp) -> CmdResult {
    let max = max_intset(ctx);
    let (dst, keys) = (ctx.argv[1], &ctx.argv[2..]);
    let sets = lookup_sets(ctx.srv, ctx.client.db, keys, false)?;
    let result = combine(&sets, op, max);
    let n = result.len();
    let db = ctx.db();
    let changed = if n > 0 {
        db.set(dst, Value::Set(Box::new(result)), false);
        true
    } else {
        db.discard(dst, Discard::ServerDel)
    };
    ctx.client.reply.int(n as i64);
    if changed {
        ctx.key_modified(dst);
        let event = match op {
            _ if n == 0 => "del",
            SetOp::Inter => "sinterstore",
            SetOp::Union => "sunionstore",
            SetOp::Diff => "sdiffstore",
        };
        ctx.notify(
            if n == 0 { notify::GENERIC } else { notify::SET },
            event,
            dst,
        );
    }
    Ok(())
}

/// SINTER key [key ...]
pub fn sinter_command(ctx: &mut Ctx) -> CmdResult {
    set_op_reply(ctx, SetOp::Inter)
}

/// SUNION key [key ...]
pub fn sunion_command(ctx: &mut Ctx) -> CmdResult {
    set_op_reply(ctx, SetOp::Union)
}

/// SDIFF key [key ...]
pub fn sdiff_command(ctx: &mut Ctx) -> CmdResult {
    set_op_reply(ctx, SetOp::Diff)
}

/// SINTERSTORE destination key [key ...]
pub fn sinterstore_command(ctx: &mut Ctx) -> CmdResult {
    set_op_store(ctx, SetOp::Inter)
}

/// SUNIONSTORE destination key [key ...]
pub fn sunionstore_command(ctx: &mut Ctx) -> CmdResult {
    set_op_store(ctx, SetOp::Union)
}

/// SDIFFSTORE destination key [key ...]
pub fn sdiffstore_command(ctx: &mut Ctx) -> CmdResult {
    set_op_store(ctx, SetOp::Diff)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let numkeys = args::int_or(argv[1], "ERR numkeys should be greater than 0")?;
    if numkeys < 1 {
        return Err(CmdError::msg("ERR numkeys should be greater than 0"));
    }
    if numkeys > (argv.len() - 2) as i64 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let keys_end = 2 + numkeys as usize;
    let mut limit: u64 = 0;
    let mut i = keys_end;
    while i < argv.len() {
        if args::is(argv[i], "limit") && i + 1 < argv.len() {
            let l = args::int_or(argv[i + 1], "ERR LIMIT can't be negative")?;
            if l < 0 {
                return Err(CmdError::msg("ERR LIMIT can't be negative"));
            }
            limit = l as u64;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let sets = lookup_sets(ctx.srv, ctx.client.db, &argv[2..keys_end], true)?;
    let mut n: u64 = 0;
    intersect(&sets, |_| {
        n += 1;
        limit == 0 || n < limit
    });
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub fn sscan_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let mut cursor = args::parse_cursor(argv[2])?;
    let key = argv[1];
    if !check_read(ctx, key)? {
        let reply = &mut ctx.client.reply;
        reply.array_len(2);
        reply.bulk(b"0");
        reply.array_len(0);
        return Ok(());
    }
    let (count, pattern) = args::scan_options(argv, 3)?;
    let Some(set) = peek_set(&ctx.srv.keyspace.dbs[ctx.client.db], key) else {
        return Err(CmdError::WrongType);
    };
    // Visit buckets until about COUNT members were seen or 10×COUNT
    // buckets were visited; an intset is returned whole.
    let glob = pattern.map(|p| GlobPattern::new(p, false));
    // Like Redis, COUNT bounds the members visited, before MATCH filters.
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut visited: i64 = 0;
    let mut budget = count.saturating_mul(10);
    loop {
        cursor = set.scan_step(cursor, |m| {
            visited += 1;
            m.with_bytes(|b| {
                if glob.as_ref().is_none_or(|g| g.matches(b)) {
                    found.push(b.to_vec());
                }
            })
        });
        if cursor == 0 || budget == 0 {
            break;
        }
        budget -= 1;
        if visited >= count {
            break;
        }
    }
    let reply = &mut ctx.client.reply;
    reply.array_len(2);
    let mut digits = Vec::with_capacity(20);
    crate::util::numfmt::push_u64(&mut digits, cursor);
    reply.bulk(&digits);
    reply.array_len(found.len());
    for m in &found {
        reply.bulk(m);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;
    use std::collections::HashSet;

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const POSITIVE: &str = "-ERR value is out of range, must be positive\r\n";

    fn int(n: i64) -> String {
        format!(":{}\r\n", n)
    }

    /// `*N` (or `~N`) then bulk strings.
    fn bulks(head: char, items: &[&str]) -> String {
        let mut s = format!("{}{}\r\n", head, items.len());
        for i in items {
            s.push_str(&format!("${}\r\n{}\r\n", i.len(), i));
        }
        s
    }

    fn arr(items: &[&str]) -> String {
        bulks('*', items)
    }

    /// The bulk strings of a flat array reply.
    fn elements(r: &str) -> Vec<String> {
        let mut lines = r.split("\r\n");
        let head = lines.next().unwrap();
        let n: usize = head[1..].parse().unwrap();
        (0..n)
            .map(|_| {
                lines.next();
                lines.next().unwrap().to_string()
            })
            .collect()
    }

    fn sorted(r: &str) -> Vec<String> {
        let mut v = elements(r);
        v.sort();
        v
    }

    fn enc(h: &mut Harness, key: &str) -> String {
        h.run_str(&["object", "encoding", key])
    }

    fn h() -> Harness {
        Harness::new()
    }

    #[test]
    fn sadd_srem_scard_and_encodings() {
        let mut h = h();
        assert_eq!(h.run_str(&["sadd", "s", "3", "1", "2"]), int(3));
        assert_eq!(h.run_str(&["sadd", "s", "2", "3", "4"]), int(1));
        assert_eq!(h.run_str(&["scard", "s"]), int(4));
        assert_eq!(h.run_str(&["type", "s"]), "+set\r\n");
        assert_eq!(enc(&mut h, "s"), "$6\r\nintset\r\n");
        assert_eq!(h.run_str(&["smembers", "s"]), arr(&["1", "2", "3", "4"]));
        assert_eq!(h.run_str(&["sadd", "s", "-9223372036854775808"]), int(1));
        assert_eq!(enc(&mut h, "s"), "$6\r\nintset\r\n");
        assert_eq!(h.run_str(&["sadd", "s", "01"]), int(1));
        assert_eq!(enc(&mut h, "s"), "$9\r\nhashtable\r\n");
        assert_eq!(
            sorted(&h.run_str(&["smembers", "s"])),
            ["-9223372036854775808", "01", "1", "2", "3", "4"]
        );
        assert_eq!(h.run_str(&["srem", "s", "1", "01", "nosuch"]), int(2));
        assert_eq!(h.run_str(&["scard", "s"]), int(4));
        assert_eq!(h.run_str(&["srem", "nokey", "a"]), int(0));
        assert_eq!(h.run_str(&["scard", "nokey"]), int(0));
        // The key goes with its last member.
        assert_eq!(
            h.run_str(&["srem", "s", "2", "3", "4", "-9223372036854775808", "x"]),
            int(4)
        );
        assert_eq!(h.run_str(&["exists", "s"]), int(0));
        // A string first member makes a hashtable at once.
        h.run_str(&["sadd", "h", "a", "1"]);
        assert_eq!(enc(&mut h, "h"), "$9\r\nhashtable\r\n");
        h.run_str(&["sadd", "i", "1", "a"]);
        assert_eq!(enc(&mut h, "i"), "$9\r\nhashtable\r\n");
    }

    #[test]
    fn intset_entry_limit_follows_config() {
        let mut h = h();
        h.run_str(&["config", "set", "set-max-intset-entries", "3"]);
        h.run_str(&["sadd", "s", "1", "2", "3"]);
        assert_eq!(enc(&mut h, "s"), "$6\r\nintset\r\n");
        h.run_str(&["sadd", "s", "4"]);
        assert_eq!(enc(&mut h, "s"), "$9\r\nhashtable\r\n");
        h.run_str(&["srem", "s", "1", "2", "3"]);
        assert_eq!(enc(&mut h, "s"), "$9\r\nhashtable\r\n");
        h.run_str(&["config", "set", "set-max-intset-entries", "0"]);
        h.run_str(&["sadd", "z", "1"]);
        assert_eq!(enc(&mut h, "z"), "$9\r\nhashtable\r\n");
        // The old name is an alias.
        h.run_str(&["config", "set", "set-max-intset-entries", "512"]);
        h.run_str(&["sadd", "big"]);
        let args: Vec<String> = (0..513).map(|i| i.to_string()).collect();
        let mut cmd = vec!["sadd", "big"];
        cmd.extend(args.iter().map(|s| s.as_str()));
        assert_eq!(h.run_str(&cmd), int(513));
        assert_eq!(enc(&mut h, "big"), "$9\r\nhashtable\r\n");
        assert_eq!(h.run_str(&["srem", "big", "512"]), int(1));
        let mut cmd = vec!["sunionstore", "u", "big"];
        cmd.push("big");
        assert_eq!(h.run_str(&cmd), int(512));
        assert_eq!(enc(&mut h, "u"), "$6\r\nintset\r\n");
    }

    #[test]
    fn membership() {
        let mut h = h();
        h.run_str(&["sadd", "s", "1", "2"]);
        h.run_str(&["sadd", "h", "a", "b"]);
        assert_eq!(h.run_str(&["sismember", "s", "1"]), int(1));
        assert_eq!(h.run_str(&["sismember", "s", "01"]), int(0));
        assert_eq!(h.run_str(&["sismember", "s", "x"]), int(0));
        assert_eq!(h.run_str(&["sismember", "h", "a"]), int(1));
        assert_eq!(h.run_str(&["sismember", "nokey", "a"]), int(0));
        assert_eq!(
            h.run_str(&["smismember", "s", "2", "3", "x"]),
            "*3\r\n:1\r\n:0\r\n:0\r\n"
        );
        assert_eq!(
            h.run_str(&["smismember", "nokey", "a", "b"]),
            "*2\r\n:0\r\n:0\r\n"
        );
        assert_eq!(h.run_str(&["smembers", "nokey"]), "*0\r\n");
        let bin: &[&[u8]] = &[b"sadd", b"b", b"a\x00b", b""];
        assert_eq!(h.run_bytes(bin), b":2\r\n");
        let q: &[&[u8]] = &[b"sismember", b"b", b"a\x00b"];
        assert_eq!(h.run_bytes(q), b":1\r\n");
    }

    #[test]
    fn wrong_type_and_arity() {
        let mut h = h();
        h.run_str(&["set", "str", "x"]);
        h.run_str(&["sadd", "s", "1"]);
        for cmd in [
            &["sadd", "str", "a"][..],
            &["srem", "str", "a"],
            &["scard", "str"],
            &["sismember", "str", "a"],
            &["smismember", "str", "a"],
            &["smembers", "str"],
            &["spop", "str"],
            &["spop", "str", "1"],
            &["srandmember", "str"],
            &["srandmember", "str", "1"],
            &["smove", "str", "s", "a"],
            &["smove", "s", "str", "a"],
            &["smove", "s", "str", "9"],
            &["sinter", "nokey", "str"],
            &["sunion", "s", "str"],
            &["sdiff", "nokey", "str"],
            &["sinterstore", "d", "nokey", "str"],
            &["sunionstore", "d", "s", "str"],
            &["sdiffstore", "d", "s", "str"],
            &["sintercard", "2", "nokey", "str"],
            &["sscan", "str", "0"],
            &["sscan", "str", "0", "foo"],
        ] {
            assert_eq!(h.run_str(cmd), WRONGTYPE, "{:?}", cmd);
        }
        assert_eq!(h.run_str(&["smove", "nokey", "str", "a"]), int(0));
        assert_eq!(h.run_str(&["spop", "str", "abc"]), POSITIVE);
        assert_eq!(h.run_str(&["srandmember", "str", "abc"]), NOT_INT);
        assert_eq!(h.run_str(&["sintercard", "1", "str", "foo"]), SYNTAX);
        assert_eq!(h.run_str(&["sscan", "str", "x"]), "-ERR invalid cursor\r\n");
        for (cmd, name) in [
            (&["sadd", "s"][..], "sadd"),
            (&["srem", "s"], "srem"),
            (&["scard"], "scard"),
            (&["sismember", "s"], "sismember"),
            (&["smismember", "s"], "smismember"),
            (&["smembers", "a", "b"], "smembers"),
            (&["spop"], "spop"),
            (&["srandmember"], "srandmember"),
            (&["smove", "a", "b"], "smove"),
            (&["sinter"], "sinter"),
            (&["sinterstore", "d"], "sinterstore"),
            (&["sunion"], "sunion"),
            (&["sunionstore", "d"], "sunionstore"),
            (&["sdiff"], "sdiff"),
            (&["sdiffstore", "d"], "sdiffstore"),
            (&["sintercard", "1"], "sintercard"),
            (&["sscan", "s"], "sscan"),
        ] {
            assert_eq!(
                h.run_str(cmd),
                format!("-ERR wrong number of arguments for '{}' command\r\n", name)
            );
        }
        assert_eq!(h.run_str(&["get", "str"]), "$1\r\nx\r\n");
    }

    #[test]
    fn spop_single_and_count() {
        let mut h = h();
        h.run_str(&["sadd", "s", "1", "2", "3", "4", "5"]);
        let r = h.run_str(&["spop", "s"]);
        let popped = elements(&format!("*1\r\n{}", r)).remove(0);
        assert_eq!(
            h.run_str(&["sismember", "s", &popped]),
            int(0),
            "{} removed",
            popped
        );
        assert_eq!(h.run_str(&["scard", "s"]), int(4));
        assert_eq!(h.run_str(&["spop", "s", "0"]), "*0\r\n");
        let r = h.run_str(&["spop", "s", "2"]);
        let got: HashSet<String> = elements(&r).into_iter().collect();
        assert_eq!(got.len(), 2);
        assert_eq!(h.run_str(&["scard", "s"]), int(2));
        for m in &got {
            assert_eq!(h.run_str(&["sismember", "s", m]), int(0));
        }
        // The whole set, sorted for an intset, and the key goes.
        let hits = h.srv.stats.keyspace_hits;
        let rest = h.run_str(&["spop", "s", "10"]);
        assert_eq!(h.srv.stats.keyspace_hits, hits + 1);
        let rest: Vec<i64> = elements(&rest).iter().map(|m| m.parse().unwrap()).collect();
        assert_eq!(rest.len(), 2);
        assert!(rest[0] < rest[1], "intset order: {:?}", rest);
        assert_eq!(h.run_str(&["exists", "s"]), int(0));
        assert_eq!(h.run_str(&["spop", "s"]), "$-1\r\n");
        assert_eq!(h.run_str(&["spop", "s", "3"]), "*0\r\n");
        assert_eq!(h.run_str(&["spop", "s", "-1"]), POSITIVE);
        assert_eq!(h.run_str(&["spop", "s", "x"]), POSITIVE);
        assert_eq!(h.run_str(&["spop", "s", "1", "2"]), SYNTAX);
        // Popping most of a hashtable keeps its encoding and the rest.
        let members: Vec<String> = (0..100).map(|i| format!("m{}", i)).collect();
        let mut cmd = vec!["sadd", "h"];
        cmd.extend(members.iter().map(|s| s.as_str()));
        h.run_str(&cmd);
        let r = h.run_str(&["spop", "h", "95"]);
        let got: HashSet<String> = elements(&r).into_iter().collect();
        assert_eq!(got.len(), 95);
        assert_eq!(h.run_str(&["scard", "h"]), int(5));
        assert_eq!(enc(&mut h, "h"), "$9\r\nhashtable\r\n");
        let left: HashSet<String> = elements(&h.run_str(&["smembers", "h"]))
            .into_iter()
            .collect();
        assert!(left.is_disjoint(&got));
        assert_eq!(left.len() + got.len(), 100);
        // Popping a few of an intset keeps it an intset.
        h.run_str(&[
            "sadd", "i", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
        ]);
        assert_eq!(elements(&h.run_str(&["spop", "i", "9"])).len(), 9);
        assert_eq!(enc(&mut h, "i"), "$6\r\nintset\r\n");
        assert_eq!(h.run_str(&["scard", "i"]), int(1));
    }

    #[test]
    fn srandmember_counts() {
        let mut h = h();
        h.run_str(&["sadd", "s", "1", "2", "3", "4", "5"]);
        let one = h.run_str(&["srandmember", "s"]);
        assert!(one.starts_with("$1\r\n"));
        assert_eq!(h.run_str(&["srandmember", "s", "0"]), "*0\r\n");
        assert_eq!(
            h.run_str(&["srandmember", "s", "5"]),
            arr(&["1", "2", "3", "4", "5"])
        );
        assert_eq!(
            h.run_str(&["srandmember", "s", "9223372036854775807"]),
            arr(&["1", "2", "3", "4", "5"])
        );
        for count in ["1", "2", "3", "4"] {
            let r = elements(&h.run_str(&["srandmember", "s", count]));
            let uniq: HashSet<&String> = r.iter().collect();
            assert_eq!(r.len(), count.parse::<usize>().unwrap());
            assert_eq!(uniq.len(), r.len(), "distinct for a positive count");
        }
        let r = elements(&h.run_str(&["srandmember", "s", "-50"]));
        assert_eq!(r.len(), 50);
        let uniq: HashSet<&String> = r.iter().collect();
        assert!(uniq.len() <= 5, "repeats for a negative count");
        assert_eq!(h.run_str(&["scard", "s"]), int(5));
        assert_eq!(
            h.run_str(&["srandmember", "s", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        // Beyond what Redis could ever build: refused, not attempted.
        assert_eq!(
            h.run_str(&["srandmember", "s", "-9223372036854775807"]),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(h.run_str(&["srandmember", "s", "-0"]), NOT_INT);
        assert_eq!(h.run_str(&["srandmember", "s", "1", "2"]), SYNTAX);
        assert_eq!(h.run_str(&["srandmember", "nokey"]), "$-1\r\n");
        assert_eq!(h.run_str(&["srandmember", "nokey", "-3"]), "*0\r\n");
        assert_eq!(h.run_str(&["srandmember", "nokey", "x"]), NOT_INT);
        // A hashtable, few and many.
        let members: Vec<String> = (0..60).map(|i| format!("m{}", i)).collect();
        let mut cmd = vec!["sadd", "h"];
        cmd.extend(members.iter().map(|s| s.as_str()));
        h.run_str(&cmd);
        for count in ["3", "40", "59"] {
            let r = elements(&h.run_str(&["srandmember", "h", count]));
            let uniq: HashSet<&String> = r.iter().collect();
            assert_eq!(uniq.len(), count.parse::<usize>().unwrap());
            assert!(r.iter().all(|m| members.contains(m)));
        }
        assert_eq!(elements(&h.run_str(&["srandmember", "h", "-7"])).len(), 7);
    }

    #[test]
    fn smove_cases() {
        let mut h = h();
        h.run_str(&["sadd", "a", "1", "2"]);
        assert_eq!(h.run_str(&["smove", "a", "b", "1"]), int(1));
        assert_eq!(enc(&mut h, "b"), "$6\r\nintset\r\n");
        assert_eq!(h.run_str(&["smove", "a", "b", "9"]), int(0));
        assert_eq!(h.run_str(&["smove", "a", "a", "2"]), int(1));
        assert_eq!(h.run_str(&["smove", "a", "a", "9"]), int(0));
        assert_eq!(h.run_str(&["smove", "a", "b", "2"]), int(1));
        assert_eq!(h.run_str(&["exists", "a"]), int(0));
        assert_eq!(h.run_str(&["smembers", "b"]), arr(&["1", "2"]));
        assert_eq!(h.run_str(&["smove", "nokey", "b", "1"]), int(0));
        h.run_str(&["sadd", "x", "str"]);
        assert_eq!(h.run_str(&["smove", "x", "b", "str"]), int(1));
        assert_eq!(enc(&mut h, "b"), "$9\r\nhashtable\r\n");
        // The destination keeps its TTL.
        h.run_str(&["sadd", "src", "7"]);
        h.run_str(&["expire", "b", "100"]);
        assert_eq!(h.run_str(&["smove", "src", "b", "7"]), int(1));
        assert_eq!(h.run_str(&["ttl", "b"]), int(100));
    }

    #[test]
    fn inter_union_diff() {
        let mut h = h();
        h.run_str(&["sadd", "a", "1", "2", "3", "4"]);
        h.run_str(&["sadd", "b", "3", "4", "5"]);
        h.run_str(&["sadd", "c", "4", "x"]);
        assert_eq!(h.run_str(&["sinter", "a", "b"]), arr(&["3", "4"]));
        assert_eq!(h.run_str(&["sinter", "a", "b", "c"]), arr(&["4"]));
        assert_eq!(h.run_str(&["sinter", "a", "nokey"]), "*0\r\n");
        assert_eq!(h.run_str(&["sinter", "nokey"]), "*0\r\n");
        assert_eq!(
            h.run_str(&["sunion", "a", "b"]),
            arr(&["1", "2", "3", "4", "5"])
        );
        assert_eq!(
            sorted(&h.run_str(&["sunion", "a", "c"])),
            ["1", "2", "3", "4", "x"]
        );
        assert_eq!(h.run_str(&["sdiff", "a", "b"]), arr(&["1", "2"]));
        assert_eq!(h.run_str(&["sdiff", "a", "b", "c"]), arr(&["1", "2"]));
        assert_eq!(h.run_str(&["sdiff", "c", "a"]), arr(&["x"]));
        assert_eq!(h.run_str(&["sdiff", "a", "a"]), "*0\r\n");
        assert_eq!(h.run_str(&["sdiff", "nokey", "a"]), "*0\r\n");
        assert_eq!(h.run_str(&["sintercard", "2", "a", "b"]), int(2));
        assert_eq!(
            h.run_str(&["sintercard", "2", "a", "b", "limit", "1"]),
            int(1)
        );
        assert_eq!(
            h.run_str(&["sintercard", "2", "a", "b", "limit", "0"]),
            int(2)
        );
        assert_eq!(h.run_str(&["sintercard", "2", "a", "nokey"]), int(0));
        // A big first set: the remove-based difference.
        let many: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        let mut cmd = vec!["sadd", "m"];
        cmd.extend(many.iter().map(|s| s.as_str()));
        h.run_str(&cmd);
        let mut cmd = vec!["sdiff", "m"];
        let others: Vec<String> = (0..40).map(|i| format!("o{}", i)).collect();
        for (i, o) in others.iter().enumerate() {
            h.run_str(&["sadd", o, &i.to_string()]);
            cmd.push(o);
        }
        assert_eq!(elements(&h.run_str(&cmd)).len(), 960);
    }

    #[test]
    fn sintercard_errors() {
        let mut h = h();
        let numkeys = "-ERR numkeys should be greater than 0\r\n";
        assert_eq!(h.run_str(&["sintercard", "0", "a"]), numkeys);
        assert_eq!(h.run_str(&["sintercard", "x", "a"]), numkeys);
        assert_eq!(
            h.run_str(&["sintercard", "2", "a"]),
            "-ERR Number of keys can't be greater than number of args\r\n"
        );
        let limit = "-ERR LIMIT can't be negative\r\n";
        assert_eq!(h.run_str(&["sintercard", "1", "a", "limit", "-1"]), limit);
        assert_eq!(h.run_str(&["sintercard", "1", "a", "limit", "x"]), limit);
        assert_eq!(h.run_str(&["sintercard", "1", "a", "limit"]), SYNTAX);
        assert_eq!(h.run_str(&["sintercard", "1", "a", "b"]), SYNTAX);
    }

    #[test]
    fn store_variants() {
        let mut h = h();
        h.run_str(&["sadd", "a", "1", "2", "3"]);
        h.run_str(&["sadd", "b", "2", "3", "x"]);
        h.run_str(&["set", "dst", "v"]);
        h.run_str(&["expire", "dst", "100"]);
        assert_eq!(h.run_str(&["sinterstore", "dst", "a", "b"]), int(2));
        assert_eq!(h.run_str(&["ttl", "dst"]), int(-1));
        assert_eq!(enc(&mut h, "dst"), "$6\r\nintset\r\n");
        assert_eq!(h.run_str(&["smembers", "dst"]), arr(&["2", "3"]));
        assert_eq!(h.run_str(&["sunionstore", "dst", "a", "b"]), int(4));
        assert_eq!(enc(&mut h, "dst"), "$9\r\nhashtable\r\n");
        assert_eq!(h.run_str(&["sdiffstore", "dst", "b", "a"]), int(1));
        assert_eq!(h.run_str(&["smembers", "dst"]), arr(&["x"]));
        assert_eq!(h.run_str(&["sdiffstore", "dst", "a", "a"]), int(0));
        assert_eq!(h.run_str(&["exists", "dst"]), int(0));
        assert_eq!(h.run_str(&["sinterstore", "dst", "a", "nokey"]), int(0));
        // The destination may be a source.
        assert_eq!(h.run_str(&["sunionstore", "a", "a", "b"]), int(4));
        assert_eq!(h.run_str(&["scard", "a"]), int(4));
        // *STORE sources do not count keyspace hits (lookups for writing).
        let hits = h.srv.stats.keyspace_hits;
        h.run_str(&["sunionstore", "d2", "a", "b"]);
        assert_eq!(h.srv.stats.keyspace_hits, hits);
        h.run_str(&["sunion", "a", "b"]);
        assert_eq!(h.srv.stats.keyspace_hits, hits + 2);
    }

    #[test]
    fn sscan_cases() {
        let mut h = h();
        h.run_str(&["sadd", "s", "5", "3", "1"]);
        let all = "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n";
        assert_eq!(h.run_str(&["sscan", "s", "0"]), all);
        assert_eq!(h.run_str(&["sscan", "s", "7", "count", "1"]), all);
        assert_eq!(
            h.run_str(&["sscan", "s", "0", "match", "3*"]),
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\n3\r\n"
        );
        assert_eq!(h.run_str(&["sscan", "s", "0", "count", "0"]), SYNTAX);
        assert_eq!(h.run_str(&["sscan", "s", "0", "count", "x"]), NOT_INT);
        assert_eq!(h.run_str(&["sscan", "s", "0", "type", "set"]), SYNTAX);
        assert_eq!(h.run_str(&["sscan", "s", "0", "match"]), SYNTAX);
        assert_eq!(
            h.run_str(&["sscan", "nokey", "0", "count", "0"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        // A big hashtable: a full iteration sees every member once.
        let members: Vec<String> = (0..500).map(|i| format!("m{}", i)).collect();
        let mut cmd = vec!["sadd", "h"];
        cmd.extend(members.iter().map(|s| s.as_str()));
        h.run_str(&cmd);
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        let mut calls = 0;
        loop {
            let r = h.run_str(&["sscan", "h", &cursor, "count", "20"]);
            calls += 1;
            let mut lines = r.split("\r\n").skip(2);
            cursor = lines.next().unwrap().to_string();
            let rest: Vec<&str> = lines.collect();
            seen.extend(elements(&rest.join("\r\n")));
            if cursor == "0" {
                break;
            }
        }
        assert!(calls > 5);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 500);
    }

    #[test]
    fn resp3_reply_types() {
        let mut h = h();
        h.run_str(&["hello", "3"]);
        h.run_str(&["sadd", "s", "1", "2"]);
        assert_eq!(h.run_str(&["smembers", "s"]), bulks('~', &["1", "2"]));
        assert_eq!(h.run_str(&["smembers", "nokey"]), "~0\r\n");
        assert_eq!(h.run_str(&["sinter", "s", "s"]), bulks('~', &["1", "2"]));
        assert_eq!(h.run_str(&["sunion", "s"]), bulks('~', &["1", "2"]));
        assert_eq!(h.run_str(&["sdiff", "nokey"]), "~0\r\n");
        assert_eq!(h.run_str(&["srandmember", "s", "5"]), arr(&["1", "2"]));
        assert_eq!(h.run_str(&["srandmember", "nokey"]), "_\r\n");
        assert_eq!(h.run_str(&["spop", "nokey"]), "_\r\n");
        assert_eq!(h.run_str(&["spop", "nokey", "2"]), "~0\r\n");
        assert_eq!(h.run_str(&["spop", "s", "0"]), "~0\r\n");
        assert_eq!(h.run_str(&["spop", "s", "5"]), bulks('~', &["1", "2"]));
    }

    #[test]
    fn digest_matches_across_encodings() {
        let mut cfg = crate::config::Config::default();
        cfg.enable_debug_command = "yes".into();
        let mut h = Harness::with_config(cfg);
        h.run_str(&["sadd", "a", "1", "2", "3"]);
        h.run_str(&["sadd", "b", "x", "3", "1", "2"]);
        h.run_str(&["srem", "b", "x"]);
        assert_eq!(enc(&mut h, "b"), "$9\r\nhashtable\r\n");
        let da = h.run_str(&["debug", "digest-value", "a"]);
        let db = h.run_str(&["debug", "digest-value", "b"]);
        assert_eq!(da, db);
        // The values redis-server 7.0.15 replies with.
        assert_eq!(da, "*1\r\n+2a462a3f51a1db89738ebbeef0c47ce1bbc85246\r\n");
        h.run_str(&["sadd", "h", "a", "b"]);
        assert_eq!(
            h.run_str(&["debug", "digest-value", "h"]),
            "*1\r\n+dd99329063ca0f1f28df2ac68d94b82fd95501c6\r\n"
        );
        h.run_str(&["copy", "h", "h2"]);
        assert_eq!(
            h.run_str(&["debug", "digest-value", "h2"]),
            h.run_str(&["debug", "digest-value", "h"])
        );
    }
}
