//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX
//! LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP (the blocking
//! variants come later).
//!
//! Redis counterpart: `t_list.c` (the command half).

use std::sync::OnceLock;

use super::spec::{cmd, keys, CommandSpec, Group};
use super::{args, Ctx};
use crate::commands::flags::*;
use crate::config::notify;
use crate::db::blocking::TimeoutReply;
use crate::errors::{self, CmdError, CmdResult};
use crate::resp::reply::{Aggregate, ReplyBuf};
use crate::server::Server;
use crate::types::list::{Elem, End, List, Needle, Shape};
use crate::types::Value;
use crate::util::numfmt::i64_str;

const LST: Group = Group::List;
/// The one key at position 1.
const KEY: (i32, i32, i32) = keys(1, 1, 1);
/// Source and destination keys (LMOVE, RPOPLPUSH).
const TWO_KEYS: (i32, i32, i32) = keys(1, 2, 1);
/// Write commands that may grow memory.
const WD: u32 = WRITE | DENYOOM;

/// The list family's rows of the command table, sorted by name.
/// LMPOP's keys are movable (`numkeys`): COMMAND GETKEYS cannot find them
/// from first/last/step.
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    cmd("blmove", 6, WD | NOSCRIPT | BLOCKING, keys(1, 2, 1), LST, blmove_command)
        .doc("Pop an element from a list, push it to another list and return it; or block until one is available", "6.2.0"),
    cmd("blmpop", -5, WRITE | BLOCKING, keys(0, 0, 0), LST, blmpop_command)
        .movable(super::getkeys::numkeys_second)
        .doc("Pop elements from a list, or block until one is available", "7.0.0"),
    cmd("blpop", -3, WRITE | NOSCRIPT | BLOCKING, keys(1, -2, 1), LST, blpop_command)
        .doc("Remove and get the first element in a list, or block until one is available", "2.0.0"),
    cmd("brpop", -3, WRITE | NOSCRIPT | BLOCKING, keys(1, -2, 1), LST, brpop_command)
        .doc("Remove and get the last element in a list, or block until one is available", "2.0.0"),
    cmd("brpoplpush", 4, WD | NOSCRIPT | BLOCKING, keys(1, 2, 1), LST, brpoplpush_command)
        .doc("Pop an element from a list, push it to another list and return it; or block until one is available", "2.2.0"),
    cmd("lindex", 3, READONLY, KEY, LST, lindex_command)
        .doc("Get an element from a list by its index", "1.0.0"),
    cmd("linsert", 5, WD, KEY, LST, linsert_command)
        .doc("Insert an element before or after another element in a list", "2.2.0"),
    cmd("llen", 2, READONLY | FAST, KEY, LST, llen_command)
        .doc("Get the length of a list", "1.0.0"),
    cmd("lmove", 5, WD, TWO_KEYS, LST, lmove_command)
        .doc("Pop an element from a list, push it to another list and return it", "6.2.0"),
    cmd("lmpop", -4, WRITE, keys(0, 0, 0), LST, lmpop_command)
        .movable(super::getkeys::numkeys_first)
        .doc("Pop elements from a list", "7.0.0"),
    cmd("lpop", -2, WRITE | FAST, KEY, LST, lpop_command)
        .doc("Remove and get the first elements in a list", "1.0.0"),
    cmd("lpos", -3, READONLY, KEY, LST, lpos_command)
        .doc("Return the index of matching elements on a list", "6.0.6"),
    cmd("lpush", -3, WD | FAST, KEY, LST, lpush_command)
        .doc("Prepend one or multiple elements to a list", "1.0.0"),
    cmd("lpushx", -3, WD | FAST, KEY, LST, lpushx_command)
        .doc("Prepend an element to a list, only if the list exists", "2.2.0"),
    cmd("lrange", 4, READONLY, KEY, LST, lrange_command)
        .doc("Get a range of elements from a list", "1.0.0"),
    cmd("lrem", 4, WRITE, KEY, LST, lrem_command)
        .doc("Remove elements from a list", "1.0.0"),
    cmd("lset", 4, WD, KEY, LST, lset_command)
        .doc("Set the value of an element in a list by its index", "1.0.0"),
    cmd("ltrim", 4, WRITE, KEY, LST, ltrim_command)
        .doc("Trim a list to the specified range", "1.0.0"),
    cmd("rpop", -2, WRITE | FAST, KEY, LST, rpop_command)
        .doc("Remove and get the last elements in a list", "1.0.0"),
    cmd("rpoplpush", 3, WD, TWO_KEYS, LST, rpoplpush_command)
        .doc("Remove the last element in a list, prepend it to another list and return it", "1.2.0"),
    cmd("rpush", -3, WD | FAST, KEY, LST, rpush_command)
        .doc("Append one or multiple elements to a list", "1.0.0"),
    cmd("rpushx", -3, WD | FAST, KEY, LST, rpushx_command)
        .doc("Append an element to a list, only if the list exists", "2.2.0"),
];

/// `list-max-listpack-size` and `list-compress-depth`, read at command
/// time so CONFIG SET applies to the next node decision (the directives'
/// table indexes are looked up once: a by-name lookup costs more than an
/// RPUSH).
#[inline]
pub fn shape(srv: &Server) -> Shape {
    static IDX: OnceLock<(Option<usize>, Option<usize>)> = OnceLock::new();
    let (fill, depth) = *IDX.get_or_init(|| {
        (
            crate::config::table::index_of("list-max-listpack-size"),
            crate::config::table::index_of("list-compress-depth"),
        )
    });
    Shape {
        fill: fill.map_or(-2, |i| srv.config.get_i64_at(i)),
        depth: depth.map_or(0, |i| srv.config.get_i64_at(i).clamp(0, 1 << 16) as usize),
    }
}

/// Writes one element as a bulk string.
#[inline]
fn reply_elem(r: &mut ReplyBuf, e: Elem<'_>) {
    match e {
        Elem::Bytes(b) => r.bulk(b),
        Elem::Int(v) => {
            let mut buf = [0u8; 20];
            r.bulk(i64_str(v, &mut buf));
        }
    }
}

/// Parses LEFT/RIGHT (syntax error otherwise).
fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if args::is(arg, "left") {
        Ok(End::Head)
    } else if args::is(arg, "right") {
        Ok(End::Tail)
    } else {
        Err(CmdError::Syntax)
    }
}

/// The list at `key` in the client's database, for writing: None when
/// missing, WRONGTYPE when not a list.
fn list_mut<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut List>, CmdError> {
    match srv.lookup_write(db, key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The list at `key` for reading (counts keyspace hits/misses).
fn list_read<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Result<Option<&'a List>, CmdError> {
    match srv.lookup_read(db, key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Deletes `key` if its list became empty.
fn drop_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let db = ctx.client.db;
    let empty =
        matches!(ctx.srv.keyspace.dbs[db].dict.get(key), Some(Value::List(l)) if l.is_empty());
    if empty {
        ctx.db().remove(key);
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// The keyspace event of a push / pop at `end`.
fn end_event(end: End, push: bool) -> &'static str {
    match (end, push) {
        (End::Head, true) => "lpush",
        (End::Tail, true) => "rpush",
        (End::Head, false) => "lpop",
        (End::Tail, false) => "rpop",
    }
}

/// LPUSH/RPUSH/LPUSHX/RPUSHX (`pushGenericCommand`).
fn push_generic(ctx: &mut Ctx, end: End, only_existing: bool) -> CmdResult {
    let key = ctx.argv[1];
    let items = &ctx.argv[2..];
    let fill = shape(ctx.srv);
    let len = match list_mut(ctx.srv, ctx.client.db, key)? {
        Some(l) => {
            l.push_all(end, items, fill);
            l.len()
        }
        None if only_existing => {
            ctx.client.reply.int(0);
            return Ok(());
        }
        None => {
            let mut l = List::new();
            l.push_all(end, items, fill);
            let n = l.len();
            ctx.db().insert_new(key, Value::List(Box::new(l)));
            n
        }
    };
    ctx.key_modified(key);
    ctx.client.reply.int(len as i64);
    ctx.notify(notify::LIST, end_event(end, true), key);
    Ok(())
}

/// LPUSH key element [element ...]
pub fn lpush_command(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Head, false)
}

/// RPUSH key element [element ...]
pub fn rpush_command(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Tail, false)
}

/// LPUSHX key element [element ...]
pub fn lpushx_command(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Head, true)
}

/// RPUSHX key element [element ...]
pub fn rpushx_command(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Tail, true)
}

/// Pops up to `count` elements from one end into an array reply.
fn pop_range_reply(l: &mut List, end: End, count: usize, shape: Shape, r: &mut ReplyBuf) {
    let n = count.min(l.len());
    r.array_len(n);
    for _ in 0..n {
        l.pop_with(end, shape, |e| reply_elem(r, e));
    }
}

/// LPOP/RPOP key [count] (`popGenericCommand`).
fn pop_generic(ctx: &mut Ctx, end: End) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(CmdError::WrongArity(ctx.cmd.name.to_string()));
    }
    let count = match ctx.argv.get(2) {
        Some(a) => match crate::util::numfmt::parse_i64(a) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Err(CmdError::msg(errors::POSITIVE)),
        },
        None => None,
    };
    let key = ctx.argv[1];
    let shape = shape(ctx.srv);
    let Some(l) = list_mut(ctx.srv, ctx.client.db, key)? else {
        match count {
            Some(_) => ctx.client.reply.null_array(),
            None => ctx.client.reply.null(),
        }
        return Ok(());
    };
    let r = &mut ctx.client.reply;
    match count {
        Some(0) => {
            r.array_len(0);
            return Ok(());
        }
        Some(n) => pop_range_reply(l, end, n, shape, r),
        None => {
            l.pop_with(end, shape, |e| reply_elem(r, e));
        }
    }
    ctx.key_modified(key);
    ctx.notify(notify::LIST, end_event(end, false), key);
    drop_if_empty(ctx, key);
    Ok(())
}

/// LPOP key [count]
pub fn lpop_command(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Head)
}

/// RPOP key [count]
pub fn rpop_command(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Tail)
}

/// LLEN key
pub fn llen_command(ctx: &mut Ctx) -> CmdResult {
    let n = list_read(ctx.srv, ctx.client.db, ctx.argv[1])?.map_or(0, |l| l.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// LRANGE key start stop
pub fn lrange_command(ctx: &mut Ctx) -> CmdResult {
    let start = args::int(ctx.argv[2])?;
    let stop = args::int(ctx.argv[3])?;
    let key = ctx.argv[1];
    let db = ctx.client.db;
    let l = match ctx.srv.lookup_read(db, key) {
        None => {
            ctx.client.reply.array_len(0);
            return Ok(());
        }
        Some(Value::List(l)) => l,
        Some(_) => return Err(CmdError::WrongType),
    };
    let r = &mut ctx.client.reply;
    let len = l.len() as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut stop = if stop < 0 { len + stop } else { stop };
    if start < 0 {
        start = 0;
    }
    if start > stop || start >= len {
        r.array_len(0);
        return Ok(());
    }
    if stop >= len {
        stop = len - 1;
    }
    let n = (stop - start + 1) as usize;
    r.array_len(n);
    let mut left = n;
    l.for_each_from(start as usize, |e| {
        reply_elem(r, e);
        left -= 1;
        left > 0
    });
    Ok(())
}

/// LINDEX key index
pub fn lindex_command(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv[1];
    let idx_arg = ctx.argv[2];
    let db = ctx.client.db;
    let l = match ctx.srv.lookup_read(db, key) {
        None => {
            ctx.client.reply.null();
            return Ok(());
        }
        Some(Value::List(l)) => l,
        Some(_) => return Err(CmdError::WrongType),
    };
    let i = args::int(idx_arg)?;
    let r = &mut ctx.client.reply;
    if l.index(i)
        .and_then(|i| l.with_elem(i, |e| reply_elem(r, e)))
        .is_none()
    {
        r.null();
    }
    Ok(())
}

/// LSET key index element
pub fn lset_command(ctx: &mut Ctx) -> CmdResult {
    let (key, idx_arg, val) = (ctx.argv[1], ctx.argv[2], ctx.argv[3]);
    let fill = shape(ctx.srv);
    let Some(l) = list_mut(ctx.srv, ctx.client.db, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    let i = args::int(idx_arg)?;
    let Some(i) = l.index(i) else {
        return Err(CmdError::msg(errors::OUT_OF_RANGE_INDEX));
    };
    l.set(i, Elem::from_bytes(val), fill);
    ctx.key_modified(key);
    ctx.client.reply.ok();
    ctx.notify(notify::LIST, "lset", key);
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element
pub fn linsert_command(ctx: &mut Ctx) -> CmdResult {
    let (key, pivot, val) = (ctx.argv[1], ctx.argv[3], ctx.argv[4]);
    let after = if args::is(ctx.argv[2], "after") {
        true
    } else if args::is(ctx.argv[2], "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let fill = shape(ctx.srv);
    let Some(l) = list_mut(ctx.srv, ctx.client.db, key)? else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    if !l.insert_at_pivot(&Needle::new(pivot), after, Elem::from_bytes(val), fill) {
        ctx.client.reply.int(-1);
        return Ok(());
    }
    let n = l.len();
    ctx.key_modified(key);
    ctx.notify(notify::LIST, "linsert", key);
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// LREM key count element
pub fn lrem_command(ctx: &mut Ctx) -> CmdResult {
    let (key, val) = (ctx.argv[1], ctx.argv[3]);
    let count = args::int(ctx.argv[2])?;
    let shape = shape(ctx.srv);
    let removed = match list_mut(ctx.srv, ctx.client.db, key)? {
        Some(l) => l.remove_matching(&Needle::new(val), count, shape),
        None => 0,
    };
    if removed > 0 {
        ctx.key_modified(key);
        ctx.notify(notify::LIST, "lrem", key);
        drop_if_empty(ctx, key);
    }
    ctx.client.reply.int(removed as i64);
    Ok(())
}

/// LTRIM key start stop
pub fn ltrim_command(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv[1];
    let start = args::int(ctx.argv[2])?;
    let stop = args::int(ctx.argv[3])?;
    let shape = shape(ctx.srv);
    if let Some(l) = list_mut(ctx.srv, ctx.client.db, key)? {
        let len = l.len() as i64;
        let mut start = if start < 0 { len + start } else { start };
        let mut stop = if stop < 0 { len + stop } else { stop };
        if start < 0 {
            start = 0;
        }
        let (ltrim, rtrim) = if start > stop || start >= len {
            (len, 0)
        } else {
            if stop >= len {
                stop = len - 1;
            }
            (start, len - stop - 1)
        };
        l.remove_from(End::Head, ltrim as usize, shape);
        l.remove_from(End::Tail, rtrim as usize, shape);
        ctx.key_modified(key);
        ctx.notify(notify::LIST, "ltrim", key);
        drop_if_empty(ctx, key);
    }
    ctx.client.reply.ok();
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub fn lpos_command(ctx: &mut Ctx) -> CmdResult {
    let (key, val) = (ctx.argv[1], ctx.argv[2]);
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < ctx.argc() {
        let opt = ctx.argv[j];
        let Some(v) = ctx.argv.get(j + 1) else {
            return Err(CmdError::Syntax);
        };
        if args::is(opt, "rank") {
            rank = args::int(v)?;
            if rank == 0 {
                return Err(CmdError::msg(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if args::is(opt, "count") {
            count = Some(non_negative_or(v, "ERR COUNT can't be negative")?);
        } else if args::is(opt, "maxlen") {
            maxlen = non_negative_or(v, "ERR MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 2;
    }
    let db = ctx.client.db;
    let l = match ctx.srv.lookup_read(db, key) {
        None => {
            match count {
                Some(_) => ctx.client.reply.array_len(0),
                None => ctx.client.reply.null(),
            }
            return Ok(());
        }
        Some(Value::List(l)) => l,
        Some(_) => return Err(CmdError::WrongType),
    };
    let needle = Needle::new(val);
    let len = l.len() as i64;
    // Redis negates a negative rank and walks from the tail; i64::MIN
    // stays negative, which then accepts every match (kept as Redis 7.0
    // behaves).
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let r = &mut ctx.client.reply;
    let deferred = count.map(|_| r.deferred_len());
    let mut emitted = 0usize;
    let mut found = false;
    let mut matches: i64 = 0;
    let mut scan = |e: Elem<'_>, index: i64, r: &mut ReplyBuf| -> bool {
        if needle.matches(e) {
            matches += 1;
            if matches >= rank {
                let pos = if from_tail { len - index - 1 } else { index };
                r.int(pos);
                match count {
                    Some(c) => {
                        emitted += 1;
                        if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c {
                            return false;
                        }
                    }
                    None => {
                        found = true;
                        return false;
                    }
                }
            }
        }
        true
    };
    let limit = if maxlen == 0 { i64::MAX } else { maxlen };
    let mut index = 0i64;
    let mut visit = |e: Elem<'_>| {
        let go_on = index < limit && scan(e, index, r);
        index += 1;
        go_on && index < limit
    };
    if from_tail {
        l.for_each_rev(&mut visit);
    } else {
        l.for_each_from(0, &mut visit);
    }
    match deferred {
        Some(d) => r.set_deferred_len(d, Aggregate::Array, emitted),
        None if !found => r.null(),
        None => {}
    }
    Ok(())
}

/// A non-negative integer argument with a command-specific error for both
/// bad syntax and negatives (`getPositiveLongFromObjectOrReply`).
fn non_negative_or(arg: &[u8], err: &'static str) -> Result<i64, CmdError> {
    match crate::util::numfmt::parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n),
        _ => Err(CmdError::msg(err)),
    }
}

/// Moves one element from `src` to `dst` and replies with it
/// (`lmoveGenericCommand`).
fn lmove_generic(ctx: &mut Ctx, from: End, to: End) -> CmdResult {
    let (src, dst) = (ctx.argv[1], ctx.argv[2]);
    let fill = shape(ctx.srv);
    if list_mut(ctx.srv, ctx.client.db, src)?.is_none() {
        ctx.client.reply.null();
        return Ok(());
    }
    // Destination type is checked before anything is popped.
    let dst_exists = list_mut(ctx.srv, ctx.client.db, dst)?.is_some();
    let same = src == dst;
    let r = &mut ctx.client.reply;
    let db = ctx.client.db;
    let now = ctx.srv.now_ms;
    let dbr = &mut ctx.srv.keyspace.dbs[db];
    let Some(Value::List(l)) = dbr.get_mut(src, now) else {
        return Err(CmdError::WrongType);
    };
    let Some(v) = l.pop(from, fill) else {
        r.null();
        return Ok(());
    };
    let reply_pos = r.buf.len();
    reply_elem(r, v.as_elem());
    let mut src_gone = false;
    if same {
        l.push(to, v.as_elem(), fill);
    } else {
        if l.is_empty() {
            dbr.remove(src);
            src_gone = true;
        }
        if dst_exists {
            if let Some(Value::List(d)) = dbr.get_mut(dst, now) {
                d.push(to, v.as_elem(), fill);
            }
        } else {
            let mut d = List::new();
            d.push(to, v.as_elem(), fill);
            dbr.insert_new(dst, Value::List(Box::new(d)));
        }
    }
    ctx.key_modified(src);
    if !same {
        ctx.key_modified(dst);
    }
    ctx.notify_at(reply_pos, notify::LIST, end_event(to, true), dst);
    ctx.notify(notify::LIST, end_event(from, false), src);
    if src_gone {
        ctx.notify(notify::GENERIC, "del", src);
    }
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove_command(ctx: &mut Ctx) -> CmdResult {
    let from = parse_end(ctx.argv[3])?;
    let to = parse_end(ctx.argv[4])?;
    lmove_generic(ctx, from, to)
}

/// RPOPLPUSH source destination
pub fn rpoplpush_command(ctx: &mut Ctx) -> CmdResult {
    lmove_generic(ctx, End::Tail, End::Head)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn lmpop_command(ctx: &mut Ctx) -> CmdResult {
    mpop_generic(ctx, 1, None)
}

/// LMPOP and BLMPOP (`lmpopGenericCommand`): `numkeys` is at `first`;
/// with a deadline the client blocks when every list is empty.
fn mpop_generic(ctx: &mut Ctx, first: usize, deadline: Option<i64>) -> CmdResult {
    let numkeys = match crate::util::numfmt::parse_i64(ctx.argv[first]) {
        Some(n) if n > 0 => n as u64,
        _ => return Err(CmdError::msg("ERR numkeys should be greater than 0")),
    };
    let where_idx = (first as u64 + 1).saturating_add(numkeys);
    if where_idx >= ctx.argc() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_idx = where_idx as usize;
    let end = parse_end(ctx.argv[where_idx])?;
    let mut count: Option<usize> = None;
    let mut j = where_idx + 1;
    while j < ctx.argc() {
        match ctx.argv.get(j + 1) {
            Some(v) if count.is_none() && args::is(ctx.argv[j], "count") => {
                match crate::util::numfmt::parse_i64(v) {
                    Some(n) if n > 0 => count = Some(n as usize),
                    _ => return Err(CmdError::msg("ERR count should be greater than 0")),
                }
            }
            _ => return Err(CmdError::Syntax),
        }
        j += 2;
    }
    let count = count.unwrap_or(1);
    let shape = shape(ctx.srv);
    for k in first + 1..where_idx {
        let key = ctx.argv[k];
        let r = &mut ctx.client.reply;
        let db = ctx.client.db;
        let l = match ctx.srv.lookup_write(db, key) {
            None => continue,
            Some(Value::List(l)) => l,
            Some(_) => return Err(CmdError::WrongType),
        };
        r.array_len(2);
        r.bulk(key);
        pop_range_reply(l, end, count, shape, r);
        ctx.key_modified(key);
        ctx.notify(notify::LIST, end_event(end, false), key);
        drop_if_empty(ctx, key);
        // Replayed as the plain pop it amounted to (Redis 7.0).
        let n = count.to_string();
        ctx.propagate_as(&[pop_name(end), key, n.as_bytes()]);
        return Ok(());
    }
    match deadline {
        Some(d) => {
            let keys = ctx.argv[first + 1..where_idx]
                .iter()
                .map(|k| k.to_vec())
                .collect();
            ctx.block(keys, d, TimeoutReply::NullArray);
        }
        None => ctx.client.reply.null_array(),
    }
    Ok(())
}

/// The non-blocking pop a blocking one is propagated as.
fn pop_name(end: End) -> &'static [u8] {
    match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    }
}

/// BLPOP/BRPOP (`blockingPopGenericCommand`): pops from the first
/// non-empty list, else blocks on all of them.
fn bpop_generic(ctx: &mut Ctx, end: End) -> CmdResult {
    let deadline = args::block_timeout(ctx.argv[ctx.argc() - 1], ctx.now_ms())?;
    let keys = &ctx.argv[1..ctx.argc() - 1];
    let shape = shape(ctx.srv);
    for &key in keys {
        let db = ctx.client.db;
        let r = &mut ctx.client.reply;
        match ctx.srv.lookup_write(db, key) {
            None => continue,
            Some(Value::List(l)) => {
                r.array_len(2);
                r.bulk(key);
                l.pop_with(end, shape, |e| reply_elem(r, e));
                ctx.key_modified(key);
                ctx.notify(notify::LIST, end_event(end, false), key);
                drop_if_empty(ctx, key);
                ctx.propagate_as(&[pop_name(end), key]);
                return Ok(());
            }
            Some(_) => return Err(CmdError::WrongType),
        }
    }
    let keys = keys.iter().map(|k| k.to_vec()).collect();
    ctx.block(keys, deadline, TimeoutReply::NullArray);
    Ok(())
}

/// BLPOP key [key ...] timeout
pub fn blpop_command(ctx: &mut Ctx) -> CmdResult {
    bpop_generic(ctx, End::Head)
}

/// BRPOP key [key ...] timeout
pub fn brpop_command(ctx: &mut Ctx) -> CmdResult {
    bpop_generic(ctx, End::Tail)
}

/// BLMOVE/BRPOPLPUSH: moves at once when the source has data, else blocks
/// on the source.
fn bmove_generic(ctx: &mut Ctx, from: End, to: End, timeout_arg: usize) -> CmdResult {
    let deadline = args::block_timeout(ctx.argv[timeout_arg], ctx.now_ms())?;
    let src = ctx.argv[1];
    if list_mut(ctx.srv, ctx.client.db, src)?.is_some() {
        lmove_generic(ctx, from, to)?;
        // A non-empty source always moves: replayed as the plain move.
        let argv = ctx.argv;
        if timeout_arg == 5 {
            ctx.propagate_as(&[b"LMOVE", argv[1], argv[2], argv[3], argv[4]]);
        } else {
            ctx.propagate_as(&[b"RPOPLPUSH", argv[1], argv[2]]);
        }
        return Ok(());
    }
    ctx.block(vec![src.to_vec()], deadline, TimeoutReply::NullArray);
    Ok(())
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove_command(ctx: &mut Ctx) -> CmdResult {
    let from = parse_end(ctx.argv[3])?;
    let to = parse_end(ctx.argv[4])?;
    bmove_generic(ctx, from, to, 5)
}

/// BRPOPLPUSH source destination timeout
pub fn brpoplpush_command(ctx: &mut Ctx) -> CmdResult {
    bmove_generic(ctx, End::Tail, End::Head, 3)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn blmpop_command(ctx: &mut Ctx) -> CmdResult {
    let deadline = args::block_timeout(ctx.argv[1], ctx.now_ms())?;
    mpop_generic(ctx, 2, Some(deadline))
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    const WT: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const NOTINT: &str = "-ERR value is not an integer or out of range\r\n";

    fn h() -> Harness {
        Harness::new()
    }

    #[test]
    fn list_compress_depth_compresses_inner_nodes_transparently() {
        let debug = || {
            let mut c = crate::config::Config::default();
            c.enable_debug_command = "yes".into();
            Harness::with_config(c)
        };
        let mut plain = debug();
        let mut packed = debug();
        assert_eq!(
            packed.run_str(&["config", "set", "list-compress-depth", "1"]),
            "+OK\r\n"
        );
        let items: Vec<String> = (0..5000)
            .map(|i| format!("item-{}-abcdefgh", i % 97))
            .collect();
        let mut args = vec!["rpush", "l"];
        args.extend(items.iter().map(|s| s.as_str()));
        for h in [&mut plain, &mut packed] {
            assert_eq!(h.run_str(&args), ":5000\r\n");
            h.run_str(&["lpush", "l", "head"]);
            h.run_str(&["lset", "l", "2500", "middle"]);
            h.run_str(&["linsert", "l", "before", "middle", "before"]);
            h.run_str(&["lrem", "l", "3", "item-5-abcdefgh"]);
            h.run_str(&["ltrim", "l", "1", "-2"]);
        }
        for cmd in [
            &["lrange", "l", "0", "-1"][..],
            &["lrange", "l", "2400", "2600"],
            &["lindex", "l", "2499"],
            &["lpos", "l", "item-50-abcdefgh", "count", "0"],
            &["lpos", "l", "item-50-abcdefgh", "rank", "-3", "count", "2"],
            &["sort", "l", "alpha", "limit", "100", "5"],
            &["debug", "digest-value", "l"],
            &["llen", "l"],
        ] {
            assert_eq!(plain.run_str(cmd), packed.run_str(cmd), "{:?}", cmd);
        }
        let usage = |h: &mut Harness| -> i64 {
            h.run_str(&["memory", "usage", "l"])[1..]
                .trim()
                .parse()
                .unwrap()
        };
        let (a, b) = (usage(&mut plain), usage(&mut packed));
        assert!(b * 2 < a, "compressed {} vs plain {}", b, a);
        let obj = packed.run_str(&["debug", "object", "l"]);
        assert!(obj.contains(" ql_compressed:1 "), "{}", obj);
        assert!(obj.contains(" ql_listpack_max:-2 "), "{}", obj);
        // Popping everything walks through the compressed middle.
        let mut n = 0;
        while packed.run_str(&["rpop", "l"]) != "$-1\r\n" {
            n += 1;
        }
        assert_eq!(n, 4997);
    }

    #[test]
    fn push_pop_len() {
        let mut h = h();
        assert_eq!(h.run_str(&["rpush", "l", "a", "b", "c"]), ":3\r\n");
        assert_eq!(h.run_str(&["lpush", "l", "x", "y"]), ":5\r\n");
        assert_eq!(
            h.run_str(&["lrange", "l", "0", "-1"]),
            "*5\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(h.run_str(&["llen", "l"]), ":5\r\n");
        assert_eq!(h.run_str(&["llen", "nokey"]), ":0\r\n");
        assert_eq!(h.run_str(&["lpop", "l"]), "$1\r\ny\r\n");
        assert_eq!(h.run_str(&["rpop", "l"]), "$1\r\nc\r\n");
        assert_eq!(h.run_str(&["lpop", "l", "0"]), "*0\r\n");
        assert_eq!(
            h.run_str(&["rpop", "l", "2"]),
            "*2\r\n$1\r\nb\r\n$1\r\na\r\n"
        );
        assert_eq!(h.run_str(&["lpop", "l", "5"]), "*1\r\n$1\r\nx\r\n");
        assert_eq!(h.run_str(&["exists", "l"]), ":0\r\n");
        assert_eq!(h.run_str(&["lpop", "l"]), "$-1\r\n");
        assert_eq!(h.run_str(&["lpop", "l", "0"]), "*-1\r\n");
        assert_eq!(
            h.run_str(&["lpop", "l", "-1"]),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            h.run_str(&["lpop", "l", "a"]),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            h.run_str(&["lpop", "l", "1", "2"]),
            "-ERR wrong number of arguments for 'lpop' command\r\n"
        );
        assert_eq!(h.run_str(&["lpushx", "l", "a"]), ":0\r\n");
        assert_eq!(h.run_str(&["rpush", "l", "1"]), ":1\r\n");
        assert_eq!(h.run_str(&["rpushx", "l", "2", "3"]), ":3\r\n");
        assert_eq!(h.run_str(&["lpushx", "l", "0"]), ":4\r\n");
        assert_eq!(
            h.run_str(&["lrange", "l", "0", "-1"]),
            "*4\r\n$1\r\n0\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
        assert_eq!(
            h.run_str(&["object", "encoding", "l"]),
            "$9\r\nquicklist\r\n"
        );
    }

    #[test]
    fn wrong_types() {
        let mut h = h();
        h.run(&["set", "s", "x"]);
        for c in [
            &["lpush", "s", "a"][..],
            &["rpushx", "s", "a"],
            &["lpop", "s"],
            &["rpop", "s", "0"],
            &["llen", "s"],
            &["lrange", "s", "0", "1"],
            &["lindex", "s", "a"],
            &["lset", "s", "a", "x"],
            &["linsert", "s", "before", "a", "b"],
            &["lrem", "s", "0", "a"],
            &["ltrim", "s", "0", "1"],
            &["lpos", "s", "a"],
            &["lmove", "s", "d", "left", "left"],
            &["rpoplpush", "s", "d"],
            &["lmpop", "1", "s", "left"],
        ] {
            assert_eq!(h.run_str(c), WT, "{:?}", c);
        }
        h.run(&["rpush", "l", "a"]);
        assert_eq!(h.run_str(&["lmove", "l", "s", "left", "left"]), WT);
        assert_eq!(h.run_str(&["lrange", "l", "0", "-1"]), "*1\r\n$1\r\na\r\n");
        assert_eq!(
            h.run_str(&["lmpop", "2", "l", "s", "left"]),
            "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"
        );
        assert_eq!(h.run_str(&["lmpop", "2", "nokey", "s", "left"]), WT);
    }

    #[test]
    fn index_set_range() {
        let mut h = h();
        h.run(&["rpush", "l", "a", "b", "c", "10"]);
        assert_eq!(h.run_str(&["lindex", "l", "-1"]), "$2\r\n10\r\n");
        assert_eq!(h.run_str(&["lindex", "l", "4"]), "$-1\r\n");
        assert_eq!(h.run_str(&["lindex", "l", "a"]), NOTINT);
        assert_eq!(h.run_str(&["lindex", "nokey", "a"]), "$-1\r\n");
        assert_eq!(h.run_str(&["lset", "l", "1", "B"]), "+OK\r\n");
        assert_eq!(
            h.run_str(&["lset", "l", "-5", "B"]),
            "-ERR index out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["lset", "nokey", "a", "B"]),
            "-ERR no such key\r\n"
        );
        assert_eq!(h.run_str(&["lset", "l", "a", "B"]), NOTINT);
        assert_eq!(
            h.run_str(&["lrange", "l", "1", "2"]),
            "*2\r\n$1\r\nB\r\n$1\r\nc\r\n"
        );
        assert_eq!(
            h.run_str(&["lrange", "l", "-100", "100"])
                .matches('$')
                .count(),
            4
        );
        assert_eq!(h.run_str(&["lrange", "l", "3", "1"]), "*0\r\n");
        assert_eq!(
            h.run_str(&["lrange", "l", "-9223372036854775808", "9223372036854775807"])
                .matches('$')
                .count(),
            4
        );
        assert_eq!(h.run_str(&["lrange", "nokey", "0", "1"]), "*0\r\n");
        assert_eq!(h.run_str(&["lrange", "nokey", "a", "1"]), NOTINT);
    }

    #[test]
    fn insert_rem_trim() {
        let mut h = h();
        h.run(&["rpush", "l", "a", "b", "a", "c", "a"]);
        assert_eq!(h.run_str(&["linsert", "l", "before", "b", "x"]), ":6\r\n");
        assert_eq!(h.run_str(&["linsert", "l", "AFTER", "c", "y"]), ":7\r\n");
        assert_eq!(h.run_str(&["linsert", "l", "after", "zz", "y"]), ":-1\r\n");
        assert_eq!(
            h.run_str(&["linsert", "nokey", "after", "zz", "y"]),
            ":0\r\n"
        );
        assert_eq!(
            h.run_str(&["linsert", "l", "middle", "zz", "y"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run_str(&["lrem", "l", "-2", "a"]), ":2\r\n");
        assert_eq!(
            h.run_str(&["lrange", "l", "0", "-1"]),
            "*5\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\ny\r\n"
        );
        assert_eq!(h.run_str(&["lrem", "l", "a", "a"]), NOTINT);
        assert_eq!(h.run_str(&["lrem", "nokey", "0", "a"]), ":0\r\n");
        assert_eq!(h.run_str(&["ltrim", "l", "1", "-2"]), "+OK\r\n");
        assert_eq!(
            h.run_str(&["lrange", "l", "0", "-1"]),
            "*3\r\n$1\r\nx\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(h.run_str(&["ltrim", "l", "5", "1"]), "+OK\r\n");
        assert_eq!(h.run_str(&["exists", "l"]), ":0\r\n");
        assert_eq!(h.run_str(&["ltrim", "l", "a", "1"]), NOTINT);
        h.run(&["rpush", "l", "a", "a"]);
        assert_eq!(h.run_str(&["lrem", "l", "0", "a"]), ":2\r\n");
        assert_eq!(h.run_str(&["exists", "l"]), ":0\r\n");
    }

    #[test]
    fn lpos() {
        let mut h = h();
        h.run(&["rpush", "l", "a", "b", "a", "c", "a"]);
        assert_eq!(h.run_str(&["lpos", "l", "a"]), ":0\r\n");
        assert_eq!(h.run_str(&["lpos", "l", "a", "rank", "2"]), ":2\r\n");
        assert_eq!(
            h.run_str(&["lpos", "l", "a", "rank", "-1", "count", "2"]),
            "*2\r\n:4\r\n:2\r\n"
        );
        assert_eq!(
            h.run_str(&["lpos", "l", "a", "count", "0"]),
            "*3\r\n:0\r\n:2\r\n:4\r\n"
        );
        assert_eq!(
            h.run_str(&["lpos", "l", "a", "rank", "2", "maxlen", "2"]),
            "$-1\r\n"
        );
        assert_eq!(
            h.run_str(&[
                "lpos",
                "l",
                "a",
                "rank",
                "-9223372036854775808",
                "count",
                "2"
            ]),
            "*3\r\n:4\r\n:2\r\n:0\r\n"
        );
        assert_eq!(h.run_str(&["lpos", "l", "zz", "count", "0"]), "*0\r\n");
        assert_eq!(h.run_str(&["lpos", "nokey", "a", "count", "1"]), "*0\r\n");
        assert_eq!(h.run_str(&["lpos", "nokey", "a"]), "$-1\r\n");
        assert!(h
            .run_str(&["lpos", "nokey", "a", "rank", "0"])
            .starts_with("-ERR RANK can't be zero"));
        assert_eq!(
            h.run_str(&["lpos", "l", "a", "count", "x"]),
            "-ERR COUNT can't be negative\r\n"
        );
        assert_eq!(
            h.run_str(&["lpos", "l", "a", "maxlen", "-1"]),
            "-ERR MAXLEN can't be negative\r\n"
        );
        assert_eq!(
            h.run_str(&["lpos", "l", "a", "rank"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run_str(&["lpos", "l", "a", "rank", "x"]), NOTINT);
    }

    #[test]
    fn lmove_rpoplpush_lmpop() {
        let mut h = h();
        h.run(&["rpush", "l", "a", "b", "c"]);
        assert_eq!(h.run_str(&["rpoplpush", "l", "l"]), "$1\r\nc\r\n");
        assert_eq!(
            h.run_str(&["lmove", "l", "d", "left", "right"]),
            "$1\r\nc\r\n"
        );
        assert_eq!(
            h.run_str(&["lmove", "l", "d", "LEFT", "RIGHT"]),
            "$1\r\na\r\n"
        );
        assert_eq!(
            h.run_str(&["lmove", "l", "d", "up", "right"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run_str(&["rpoplpush", "l", "d"]), "$1\r\nb\r\n");
        assert_eq!(h.run_str(&["exists", "l"]), ":0\r\n");
        assert_eq!(h.run_str(&["rpoplpush", "l", "d"]), "$-1\r\n");
        assert_eq!(
            h.run_str(&["lrange", "d", "0", "-1"]),
            "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"
        );
        h.run(&["rpush", "one", "x"]);
        assert_eq!(
            h.run_str(&["lmove", "one", "one", "left", "right"]),
            "$1\r\nx\r\n"
        );
        assert_eq!(h.run_str(&["llen", "one"]), ":1\r\n");
        assert_eq!(
            h.run_str(&["lmpop", "2", "nokey", "d", "right", "count", "2"]),
            "*2\r\n$1\r\nd\r\n*2\r\n$1\r\na\r\n$1\r\nc\r\n"
        );
        assert_eq!(h.run_str(&["lmpop", "1", "nokey", "left"]), "*-1\r\n");
        assert_eq!(
            h.run_str(&["lmpop", "0", "d", "left"]),
            "-ERR numkeys should be greater than 0\r\n"
        );
        assert_eq!(
            h.run_str(&["lmpop", "a", "d", "left"]),
            "-ERR numkeys should be greater than 0\r\n"
        );
        assert_eq!(
            h.run_str(&["lmpop", "2", "d", "left"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["lmpop", "9223372036854775807", "d", "left"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["lmpop", "1", "d", "left", "count", "0"]),
            "-ERR count should be greater than 0\r\n"
        );
        assert_eq!(
            h.run_str(&["lmpop", "1", "d", "left", "count", "1", "count", "1"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["lmpop", "1", "d", "left", "count"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["lmpop", "1", "d", "left", "count", "5"]),
            "*2\r\n$1\r\nd\r\n*1\r\n$1\r\nb\r\n"
        );
        assert_eq!(h.run_str(&["exists", "d"]), ":0\r\n");
    }

    #[test]
    fn resp3_nulls() {
        let mut h = h();
        h.run(&["hello", "3"]);
        assert_eq!(h.run_str(&["lpop", "nokey"]), "_\r\n");
        assert_eq!(h.run_str(&["lpop", "nokey", "1"]), "_\r\n");
        assert_eq!(h.run_str(&["lmpop", "1", "nokey", "left"]), "_\r\n");
        assert_eq!(h.run_str(&["lpos", "nokey", "a"]), "_\r\n");
        assert_eq!(h.run_str(&["lpos", "nokey", "a", "count", "1"]), "*0\r\n");
    }

    #[test]
    fn big_list_across_nodes_and_config() {
        let mut h = h();
        assert_eq!(
            h.run_str(&["config", "set", "list-max-listpack-size", "4"]),
            "+OK\r\n"
        );
        for i in 0..50 {
            h.run(&["rpush", "l", &i.to_string()]);
        }
        match h.srv.keyspace.dbs[0].dict.get(b"l") {
            Some(crate::types::Value::List(l)) => assert_eq!(l.node_count(), 13),
            _ => panic!("no list"),
        }
        assert_eq!(h.run_str(&["lindex", "l", "37"]), "$2\r\n37\r\n");
        assert_eq!(h.run_str(&["linsert", "l", "before", "20", "x"]), ":51\r\n");
        assert_eq!(h.run_str(&["lindex", "l", "20"]), "$1\r\nx\r\n");
        assert_eq!(h.run_str(&["lset", "l", "21", "y"]), "+OK\r\n");
        assert_eq!(h.run_str(&["lrem", "l", "0", "y"]), ":1\r\n");
        assert_eq!(h.run_str(&["lpos", "l", "49", "rank", "-1"]), ":49\r\n");
        assert_eq!(h.run_str(&["ltrim", "l", "10", "-11"]), "+OK\r\n");
        assert_eq!(
            h.run_str(&["lrange", "l", "0", "1"]),
            "*2\r\n$2\r\n10\r\n$2\r\n11\r\n"
        );
        assert_eq!(h.run_str(&["llen", "l"]), ":30\r\n");
    }
}
