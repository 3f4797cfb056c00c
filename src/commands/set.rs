//! Set commands: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SPOP
//! SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
//! SDIFFSTORE SSCAN.
//!
//! Redis counterpart: `t_set.c` (the command half) and the SSCAN part of
//! `scanGenericCommand` in `db.c`.

use super::args;
use super::keys::parse_cursor;
use super::spec::{cmd, keys, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::db::Db;
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
    // Keys are found through `numkeys` (a keynum key spec in Redis), which
    // the table's first/last/step cannot express: COMMAND GETKEYS says
    // "no key arguments" for it.
    cmd(
        "sintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        NO_KEYS,
        SET,
        sintercard_command,
    )
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
            let added = members.iter().filter(|m| set.insert(m, max)).count();
            db.insert_new(key, Value::Set(Box::new(set)));
            added
        }
    };
    if added > 0 {
        ctx.key_modified(key);
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
    if set.is_empty() {
        db.remove(key);
    }
    if removed > 0 {
        ctx.key_modified(key);
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
    if set.is_empty() {
        db.remove(key);
    }
    reply_member(&mut ctx.client.reply, m.as_member());
    ctx.key_modified(key);
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
    let srv = &mut *ctx.srv;
    let db = &mut srv.keyspace.dbs[ctx.client.db];
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
        // The whole set goes.
        reply.set_len(set.len());
        set.iter().for_each(|m| reply_member(reply, m));
        db.remove(key);
    } else if (size - count) * 5 > count {
        // Few of them: pop one at a time.
        reply.set_len(count as usize);
        for _ in 0..count {
            if let Some(m) = set.pop_random(&mut srv.rng) {
                reply_member(reply, m.as_member());
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
        *set = kept;
    }
    ctx.key_modified(key);
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
    if set.is_empty() {
        db.remove(src);
    }
    match db.get_mut(dst, now) {
        Some(Value::Set(d)) => {
            d.insert(member, max);
        }
        _ => {
            let mut d = Set::for_first(member);
            d.insert(member, max);
            db.insert_new(dst, Value::Set(Box::new(d)));
        }
    }
    ctx.key_modified(src);
    ctx.key_modified(dst);
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
            srv.keyspace.dbs[dbi].get(key, now)
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
        db.remove(dst).is_some()
    };
    if changed {
        ctx.key_modified(dst);
    }
    ctx.client.reply.int(n as i64);
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
    let mut cursor = parse_cursor(argv[2])?;
    let key = argv[1];
    if !check_read(ctx, key)? {
        let reply = &mut ctx.client.reply;
        reply.array_len(2);
        reply.bulk(b"0");
        reply.array_len(0);
        return Ok(());
    }
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < argv.len() {
        let has_value = argv.len() - i >= 2;
        if args::is(argv[i], "count") && has_value {
            count = args::int(argv[i + 1])?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if args::is(argv[i], "match") && has_value {
            pattern = (argv[i + 1] != b"*").then_some(argv[i + 1]);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
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
