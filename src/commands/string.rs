//! String commands: GET SET (with NX/XX/GET/EX/PX/EXAT/PXAT/KEEPTTL), SETNX
//! SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX APPEND STRLEN INCR DECR
//! INCRBY DECRBY INCRBYFLOAT GETRANGE SUBSTR SETRANGE.
//!
//! Redis counterpart: `t_string.c` (LCS lives elsewhere).

use super::spec::{cmd, keys, CommandSpec, Group};
use super::{args, expect_string, Ctx};
use crate::commands::flags::*;
use crate::config::notify;
use crate::errors::{self, CmdError, CmdResult};
use crate::resp::reply::ReplyBuf;
use crate::types::Value;
use crate::util::longdouble::{self, IncrFloatError};

const STR: Group = Group::String;
/// The one key at position 1.
const KEY: (i32, i32, i32) = keys(1, 1, 1);
/// Write commands that may grow memory.
const WD: u32 = WRITE | DENYOOM;
/// Every argument is a key (MGET).
const EVERY_ARG: (i32, i32, i32) = keys(1, -1, 1);

/// The string family's rows of the command table, sorted by name.
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    cmd("append", 3, WD | FAST, KEY, STR, append_command)
        .doc("Append a value to a key", "2.0.0"),
    cmd("decr", 2, WD | FAST, KEY, STR, decr_command)
        .doc("Decrement the integer value of a key by one", "1.0.0"),
    cmd("decrby", 3, WD | FAST, KEY, STR, decrby_command)
        .doc("Decrement the integer value of a key by the given number", "1.0.0"),
    cmd("get", 2, READONLY | FAST, KEY, STR, get_command)
        .doc("Get the value of a key", "1.0.0"),
    cmd("getdel", 2, WRITE | FAST, KEY, STR, getdel_command)
        .doc("Get the value of a key and delete the key", "6.2.0"),
    cmd("getex", -2, WRITE | FAST, KEY, STR, getex_command)
        .doc("Get the value of a key and optionally set its expiration", "6.2.0"),
    cmd("getrange", 4, READONLY, KEY, STR, getrange_command)
        .doc("Get a substring of the string stored at a key", "2.4.0"),
    cmd("getset", 3, WD | FAST, KEY, STR, getset_command)
        .doc("Set the string value of a key and return its old value", "1.0.0"),
    cmd("incr", 2, WD | FAST, KEY, STR, incr_command)
        .doc("Increment the integer value of a key by one", "1.0.0"),
    cmd("incrby", 3, WD | FAST, KEY, STR, incrby_command)
        .doc("Increment the integer value of a key by the given amount", "1.0.0"),
    cmd("incrbyfloat", 3, WD | FAST, KEY, STR, incrbyfloat_command)
        .doc("Increment the float value of a key by the given amount", "2.6.0"),
    cmd("mget", -2, READONLY | FAST, EVERY_ARG, STR, mget_command).tips(&["request_policy:multi_shard"])
        .doc("Get the values of all the given keys", "1.0.0"),
    cmd("mset", -3, WD, keys(1, -1, 2), STR, mset_command).tips(&["request_policy:multi_shard", "response_policy:all_succeeded"])
        .doc("Set multiple keys to multiple values", "1.0.1"),
    cmd("msetnx", -3, WD, keys(1, -1, 2), STR, msetnx_command).tips(&["request_policy:multi_shard", "response_policy:agg_min"])
        .doc("Set multiple keys to multiple values, only if none of the keys exist", "1.0.1"),
    cmd("psetex", 4, WD, KEY, STR, psetex_command)
        .doc("Set the value and expiration in milliseconds of a key", "2.6.0"),
    cmd("set", -3, WD, KEY, STR, set_command)
        .doc("Set the string value of a key", "1.0.0"),
    cmd("setex", 4, WD, KEY, STR, setex_command)
        .doc("Set the value and expiration of a key", "2.0.0"),
    cmd("setnx", 3, WD | FAST, KEY, STR, setnx_command)
        .doc("Set the value of a key, only if the key does not exist", "1.0.0"),
    cmd("setrange", 4, WD, KEY, STR, setrange_command)
        .doc("Overwrite part of a string at key starting at the specified offset", "2.2.0"),
    cmd("strlen", 2, READONLY | FAST, KEY, STR, strlen_command)
        .doc("Get the length of the value stored in a key", "2.2.0"),
    cmd("substr", 4, READONLY, KEY, STR, getrange_command)
        .doc("Get a substring of the string stored at a key", "1.0.0"),
];

/// Runs `f` on the bytes of a string value (int-encoded ones formatted on
/// the stack).
#[inline]
fn with_bytes<R>(v: &Value, f: impl FnOnce(&[u8]) -> R) -> R {
    match v {
        Value::Int(n) => {
            let mut buf = [0u8; 20];
            f(crate::util::numfmt::i64_str(*n, &mut buf))
        }
        other => f(other.str_bytes().unwrap_or_default()),
    }
}

/// Replies with a string value as a bulk string.
#[inline]
fn reply_value(reply: &mut ReplyBuf, v: &Value) {
    with_bytes(v, |b| reply.bulk(b));
}

/// Redis's `checkStringLength`: a string of `size + append` bytes must not
/// exceed proto-max-bulk-len (`max`).
fn check_string_length(max: i64, size: u64, append: u64) -> CmdResult {
    match size.checked_add(append) {
        Some(total) if total <= max.max(0) as u64 => Ok(()),
        _ => Err(CmdError::msg(errors::STRING_TOO_LONG)),
    }
}

/// GET's lookup and reply (`getGenericCommand`): null for a missing key,
/// WRONGTYPE for a non-string. Returns whether the key exists.
fn get_generic(ctx: &mut Ctx) -> Result<bool, CmdError> {
    let db = ctx.client.db;
    match ctx.srv.lookup_read(db, ctx.argv[1]) {
        None => {
            ctx.client.reply.null();
            Ok(false)
        }
        Some(v) => {
            expect_string(v)?;
            reply_value(&mut ctx.client.reply, v);
            Ok(true)
        }
    }
}

/// GET key
pub fn get_command(ctx: &mut Ctx) -> CmdResult {
    get_generic(ctx).map(|_| ())
}

// --- SET and its option parser --------------------------------------------

const OPT_NX: u32 = 1 << 0;
const OPT_XX: u32 = 1 << 1;
const OPT_GET: u32 = 1 << 2;
const OPT_KEEPTTL: u32 = 1 << 3;
const OPT_PERSIST: u32 = 1 << 4;
const OPT_EX: u32 = 1 << 5;
const OPT_PX: u32 = 1 << 6;
const OPT_EXAT: u32 = 1 << 7;
const OPT_PXAT: u32 = 1 << 8;
const OPT_ANY_EXPIRE: u32 = OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT;

/// Redis compares option keywords as C strings, so an argument matches up
/// to its first NUL byte ("nx\0junk" is NX).
#[inline]
fn keyword(arg: &[u8], kw: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    args::is(&arg[..end], kw)
}

/// Options of SET (`for_set`) or GETEX parsed from `argv[3..]` / `argv[2..]`.
struct ExtOpts<'a> {
    flags: u32,
    expire: Option<&'a [u8]>,
}

/// Parses SET/GETEX options with Redis's rules: conflicting or unknown
/// options, and a time option without its value, are syntax errors; a
/// repeated time option of the same kind overrides the earlier one.
fn parse_ext_opts<'a>(
    argv: &[&'a [u8]],
    start: usize,
    for_set: bool,
) -> Result<ExtOpts<'a>, CmdError> {
    let mut flags = 0u32;
    let mut expire = None;
    let mut j = start;
    while j < argv.len() {
        let opt = argv[j];
        let next = argv.get(j + 1).copied();
        let time_ok =
            |other: u32| flags & (OPT_KEEPTTL | OPT_PERSIST | other) == 0 && next.is_some();
        if for_set && keyword(opt, "nx") && flags & OPT_XX == 0 {
            flags |= OPT_NX;
        } else if for_set && keyword(opt, "xx") && flags & OPT_NX == 0 {
            flags |= OPT_XX;
        } else if for_set && keyword(opt, "get") {
            flags |= OPT_GET;
        } else if for_set && keyword(opt, "keepttl") && flags & (OPT_PERSIST | OPT_ANY_EXPIRE) == 0
        {
            flags |= OPT_KEEPTTL;
        } else if !for_set && keyword(opt, "persist") && flags & (OPT_KEEPTTL | OPT_ANY_EXPIRE) == 0
        {
            flags |= OPT_PERSIST;
        } else if keyword(opt, "ex") && time_ok(OPT_PX | OPT_EXAT | OPT_PXAT) {
            flags |= OPT_EX;
            expire = next;
            j += 1;
        } else if keyword(opt, "px") && time_ok(OPT_EX | OPT_EXAT | OPT_PXAT) {
            flags |= OPT_PX;
            expire = next;
            j += 1;
        } else if keyword(opt, "exat") && time_ok(OPT_EX | OPT_PX | OPT_PXAT) {
            flags |= OPT_EXAT;
            expire = next;
            j += 1;
        } else if keyword(opt, "pxat") && time_ok(OPT_EX | OPT_PX | OPT_EXAT) {
            flags |= OPT_PXAT;
            expire = next;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(ExtOpts { flags, expire })
}

/// Turns an expire argument into an absolute unix time in ms, as Redis's
/// `getExpireMillisecondsOrReply`: not an integer → integer error; zero,
/// negative or overflowing → `invalid expire time in '<cmd>' command`.
fn expire_at_ms(ctx: &Ctx, arg: &[u8], flags: u32) -> Result<i64, CmdError> {
    let v = args::int(arg)?;
    let invalid = || {
        CmdError::owned(format!(
            "ERR invalid expire time in '{}' command",
            ctx.cmd.name
        ))
    };
    let seconds = flags & (OPT_EX | OPT_EXAT) != 0;
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if flags & (OPT_EX | OPT_PX) != 0 {
        ms = ms.checked_add(ctx.now_ms()).ok_or_else(invalid)?;
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

/// Whether a live key exists, expiring a stale one like Redis's
/// `lookupKeyWrite` (no keyspace hit/miss counting).
#[inline]
fn exists_for_write(ctx: &mut Ctx, key: &[u8]) -> bool {
    let now = ctx.now_ms();
    ctx.db().peek(key, now).is_some()
}

/// Stores a string, clearing any TTL unless `keep_ttl`. A stale key is
/// expired first so it is counted as expired, as Redis's `setKey` does
/// after its lookup.
#[inline]
fn store(ctx: &mut Ctx, key: &[u8], value: Value, keep_ttl: bool) {
    let now = ctx.now_ms();
    let db = ctx.db();
    if !db.expires.is_empty() {
        db.peek(key, now);
    }
    db.set(key, value, keep_ttl);
    ctx.key_modified(key);
    ctx.notify(notify::STRING, "set", key);
}

/// What SET-like commands do once options are known (`setGenericCommand`).
/// `expire` is the raw expire argument; `on_abort`/`on_ok` are the replies
/// when NX/XX prevents the write and after it (None = Redis's defaults,
/// null and +OK).
fn set_generic(
    ctx: &mut Ctx,
    flags: u32,
    key: &[u8],
    val: &[u8],
    expire: Option<&[u8]>,
    on_abort: Option<i64>,
    on_ok: Option<i64>,
) -> CmdResult {
    let when = match expire {
        Some(arg) => Some(expire_at_ms(ctx, arg, flags)?),
        None => None,
    };
    if flags & OPT_GET != 0 {
        get_generic(ctx)?;
        ctx.events_barrier();
    }
    if flags & (OPT_NX | OPT_XX) != 0 {
        let found = exists_for_write(ctx, key);
        if (flags & OPT_NX != 0 && found) || (flags & OPT_XX != 0 && !found) {
            if flags & OPT_GET == 0 {
                match on_abort {
                    Some(n) => ctx.client.reply.int(n),
                    None => ctx.client.reply.null(),
                }
            }
            return Ok(());
        }
    }
    let keep_ttl = flags & OPT_KEEPTTL != 0 || when.is_some();
    store(ctx, key, Value::string(val), keep_ttl);
    if let Some(when) = when {
        ctx.db().set_expire(key, when);
        ctx.notify(notify::GENERIC, "expire", key);
    }
    if ctx.propagating() {
        if let Some(when) = when {
            // Replayed with an absolute expiry, as Redis 7.0 does.
            let at = when.to_string();
            ctx.propagate_as(&[b"SET", key, val, b"PXAT", at.as_bytes()]);
        } else if flags & OPT_GET != 0 {
            let argv = ctx.argv;
            let mut kept: Vec<&[u8]> = argv[..3].to_vec();
            kept.extend(argv[3..].iter().filter(|a| !args::is(a, "get")));
            ctx.propagate_as(&kept);
        }
    }
    if flags & OPT_GET == 0 {
        match on_ok {
            Some(n) => ctx.client.reply.int(n),
            None => ctx.client.reply.ok(),
        }
    }
    Ok(())
}

/// SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]
pub fn set_command(ctx: &mut Ctx) -> CmdResult {
    let (key, val) = (ctx.argv[1], ctx.argv[2]);
    if ctx.argc() == 3 {
        // The hot path: no options.
        store(ctx, key, Value::string(val), false);
        ctx.client.reply.ok();
        return Ok(());
    }
    let opts = parse_ext_opts(ctx.argv, 3, true)?;
    set_generic(ctx, opts.flags, key, val, opts.expire, None, None)
}

/// SETNX key value
pub fn setnx_command(ctx: &mut Ctx) -> CmdResult {
    let (key, val) = (ctx.argv[1], ctx.argv[2]);
    set_generic(ctx, OPT_NX, key, val, None, Some(0), Some(1))
}

/// SETEX key seconds value
pub fn setex_command(ctx: &mut Ctx) -> CmdResult {
    let (key, secs, val) = (ctx.argv[1], ctx.argv[2], ctx.argv[3]);
    set_generic(ctx, OPT_EX, key, val, Some(secs), None, None)
}

/// PSETEX key milliseconds value
pub fn psetex_command(ctx: &mut Ctx) -> CmdResult {
    let (key, ms, val) = (ctx.argv[1], ctx.argv[2], ctx.argv[3]);
    set_generic(ctx, OPT_PX, key, val, Some(ms), None, None)
}

/// GETSET key value
pub fn getset_command(ctx: &mut Ctx) -> CmdResult {
    let (key, val) = (ctx.argv[1], ctx.argv[2]);
    get_generic(ctx)?;
    ctx.events_barrier();
    store(ctx, key, Value::string(val), false);
    ctx.propagate_as(&[b"SET", key, val]);
    Ok(())
}

/// GETDEL key
pub fn getdel_command(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv[1];
    if get_generic(ctx)? {
        ctx.db().remove(key);
        ctx.key_modified(key);
        ctx.notify(notify::GENERIC, "del", key);
        ctx.propagate_as(&[b"DEL", key]);
    }
    Ok(())
}

/// GETEX key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]
pub fn getex_command(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv[1];
    let opts = parse_ext_opts(ctx.argv, 2, false)?;
    // Redis validates the time only once the key is known to be a string;
    // computing it first is side-effect free and saves a second lookup.
    let when = opts
        .expire
        .map(|arg| expire_at_ms(ctx, arg, opts.flags))
        .transpose();
    let db = ctx.client.db;
    let Some(v) = ctx.srv.lookup_read(db, key) else {
        ctx.client.reply.null();
        return Ok(());
    };
    expect_string(v)?;
    let when = when?;
    reply_value(&mut ctx.client.reply, v);
    let now = ctx.now_ms();
    if let Some(when) = when {
        if opts.flags & (OPT_EXAT | OPT_PXAT) != 0 && when <= now {
            ctx.db().remove(key);
            let del = crate::server::propagate::expired_key_del(ctx.srv);
            ctx.propagate_as(&[del, key]);
            ctx.key_modified(key);
            ctx.notify(notify::GENERIC, "del", key);
        } else {
            ctx.db().set_expire(key, when);
            let at = when.to_string();
            ctx.propagate_as(&[b"PEXPIREAT", key, at.as_bytes()]);
            ctx.key_modified(key);
            ctx.notify(notify::GENERIC, "expire", key);
        }
    } else if opts.flags & OPT_PERSIST != 0 && ctx.db().persist(key) {
        ctx.propagate_as(&[b"PERSIST", key]);
        ctx.key_modified(key);
        ctx.notify(notify::GENERIC, "persist", key);
    }
    Ok(())
}

/// MGET key [key ...]
pub fn mget_command(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let keys = &ctx.argv[1..];
    ctx.client.reply.array_len(keys.len());
    for key in keys {
        match ctx.srv.lookup_read(db, key) {
            Some(v) if v.is_string() => reply_value(&mut ctx.client.reply, v),
            _ => ctx.client.reply.null(),
        }
    }
    Ok(())
}

/// MSET key value [key value ...]
pub fn mset_command(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, false)
}

/// MSETNX key value [key value ...]
pub fn msetnx_command(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, true)
}

fn mset_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    if ctx.argc().is_multiple_of(2) {
        return Err(CmdError::WrongArity(ctx.cmd.name.to_string()));
    }
    let argv = ctx.argv;
    if nx {
        for pair in argv[1..].chunks_exact(2) {
            if exists_for_write(ctx, pair[0]) {
                ctx.client.reply.int(0);
                return Ok(());
            }
        }
    }
    for pair in argv[1..].chunks_exact(2) {
        store(ctx, pair[0], Value::string(pair[1]), false);
    }
    if nx {
        ctx.client.reply.int(1);
    } else {
        ctx.client.reply.ok();
    }
    Ok(())
}

/// APPEND key value
pub fn append_command(ctx: &mut Ctx) -> CmdResult {
    let (key, add) = (ctx.argv[1], ctx.argv[2]);
    let now = ctx.now_ms();
    let max = ctx.srv.config.proto_max_bulk_len;
    let db = ctx.client.db;
    let total = match ctx.srv.keyspace.dbs[db].get_mut(key, now) {
        None => {
            ctx.srv.keyspace.dbs[db].insert_new(key, Value::string(add));
            add.len()
        }
        Some(v) => {
            expect_string(v)?;
            check_string_length(max, v.string_len() as u64, add.len() as u64)?;
            let buf = v.make_raw();
            buf.extend_from_slice(add);
            buf.len()
        }
    };
    ctx.key_modified(key);
    ctx.notify(notify::STRING, "append", key);
    ctx.client.reply.int(total as i64);
    Ok(())
}

/// STRLEN key
pub fn strlen_command(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let len = match ctx.srv.lookup_read(db, ctx.argv[1]) {
        None => 0,
        Some(v) => {
            expect_string(v)?;
            with_bytes(v, |b| b.len())
        }
    };
    ctx.client.reply.int(len as i64);
    Ok(())
}

/// Adds `incr` to the integer at `key` (`incrDecrCommand`).
fn incr_decr(ctx: &mut Ctx, incr: i64) -> CmdResult {
    let key = ctx.argv[1];
    let now = ctx.now_ms();
    let db = ctx.client.db;
    let new = match ctx.srv.keyspace.dbs[db].get_mut(key, now) {
        None => {
            ctx.srv.keyspace.dbs[db].insert_new(key, Value::Int(incr));
            incr
        }
        Some(v) => {
            expect_string(v)?;
            let cur = v.as_i64().ok_or(CmdError::NotInteger)?;
            let new = cur
                .checked_add(incr)
                .ok_or(CmdError::msg(errors::OVERFLOW))?;
            *v = Value::Int(new);
            new
        }
    };
    ctx.key_modified(key);
    ctx.notify(notify::STRING, "incrby", key);
    ctx.client.reply.int(new);
    Ok(())
}

/// INCR key
pub fn incr_command(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, 1)
}

/// DECR key
pub fn decr_command(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, -1)
}

/// INCRBY key increment
pub fn incrby_command(ctx: &mut Ctx) -> CmdResult {
    let incr = args::int(ctx.argv[2])?;
    incr_decr(ctx, incr)
}

/// DECRBY key decrement
pub fn decrby_command(ctx: &mut Ctx) -> CmdResult {
    let decr = args::int(ctx.argv[2])?;
    if decr == i64::MIN {
        return Err(CmdError::msg("ERR decrement would overflow"));
    }
    incr_decr(ctx, -decr)
}

/// INCRBYFLOAT key increment
pub fn incrbyfloat_command(ctx: &mut Ctx) -> CmdResult {
    let (key, incr) = (ctx.argv[1], ctx.argv[2]);
    let now = ctx.now_ms();
    let db = ctx.client.db;
    let dbr = &mut ctx.srv.keyspace.dbs[db];
    let slot = dbr.find_live(key, now);
    let result = match slot {
        None => longdouble::incr_by_float(None, incr),
        Some(i) => {
            let v = dbr.dict.value_at(i);
            expect_string(v)?;
            with_bytes(v, |b| longdouble::incr_by_float(Some(b), incr))
        }
    };
    let text = result.map_err(|e| match e {
        IncrFloatError::NotFloat => CmdError::NotFloat,
        IncrFloatError::NanOrInf => CmdError::msg(errors::NAN_OR_INF),
    })?;
    // Redis stores the formatted number as a plain string (never `int`).
    let value = Value::string_no_int(&text);
    match slot {
        Some(i) => *dbr.dict.value_at_mut(i) = value,
        None => {
            dbr.insert_new(key, value);
        }
    }
    ctx.key_modified(key);
    ctx.notify(notify::STRING, "incrbyfloat", key);
    // The exact result, so float formatting never differs on replay.
    ctx.propagate_as(&[b"SET", key, &text, b"KEEPTTL"]);
    ctx.client.reply.bulk(&text);
    Ok(())
}

/// GETRANGE key start end (also SUBSTR)
pub fn getrange_command(ctx: &mut Ctx) -> CmdResult {
    let start = args::int(ctx.argv[2])?;
    let end = args::int(ctx.argv[3])?;
    let db = ctx.client.db;
    let Some(v) = ctx.srv.lookup_read(db, ctx.argv[1]) else {
        ctx.client.reply.bulk(b"");
        return Ok(());
    };
    expect_string(v)?;
    let reply = &mut ctx.client.reply;
    with_bytes(v, |s| match range(start, end, s.len()) {
        Some((from, to)) => reply.bulk(&s[from..=to]),
        None => reply.bulk(b""),
    });
    Ok(())
}

/// GETRANGE's index arithmetic: negative indexes count from the end, both
/// are clamped; None when the range is empty.
fn range(mut start: i64, mut end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if len == 0 || start > end {
        return None;
    }
    Some((start as usize, end as usize))
}

/// SETRANGE key offset value
pub fn setrange_command(ctx: &mut Ctx) -> CmdResult {
    let (key, value) = (ctx.argv[1], ctx.argv[3]);
    let offset = args::int(ctx.argv[2])?;
    if offset < 0 {
        return Err(CmdError::msg(errors::BIT_OFFSET));
    }
    let offset = offset as u64;
    let max = ctx.srv.config.proto_max_bulk_len;
    let now = ctx.now_ms();
    let db = ctx.client.db;
    let existing = ctx.srv.keyspace.dbs[db].find_live(key, now);
    let new_len = match existing {
        None => {
            if value.is_empty() {
                ctx.client.reply.int(0);
                return Ok(());
            }
            check_string_length(max, offset, value.len() as u64)?;
            let off = offset as usize;
            let mut buf = vec![0u8; off + value.len()];
            buf[off..].copy_from_slice(value);
            let len = buf.len();
            ctx.srv.keyspace.dbs[db].insert_new(key, Value::raw(buf));
            len
        }
        Some(i) => {
            let v = ctx.srv.keyspace.dbs[db].dict.value_at(i);
            expect_string(v)?;
            let olen = v.string_len();
            if value.is_empty() {
                ctx.client.reply.int(olen as i64);
                return Ok(());
            }
            check_string_length(max, offset, value.len() as u64)?;
            let off = offset as usize;
            let buf = ctx.srv.keyspace.dbs[db].dict.value_at_mut(i).make_raw();
            if buf.len() < off + value.len() {
                buf.resize(off + value.len(), 0);
            }
            buf[off..off + value.len()].copy_from_slice(value);
            buf.len()
        }
    };
    ctx.key_modified(key);
    ctx.notify(notify::STRING, "setrange", key);
    ctx.client.reply.int(new_len as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;
    use crate::config::Config;

    const OK: &str = "+OK\r\n";
    const NIL: &str = "$-1\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";
    const TOO_BIG: &str = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";

    fn arity(name: &str) -> String {
        format!("-ERR wrong number of arguments for '{}' command\r\n", name)
    }

    fn expire_err(name: &str) -> String {
        format!("-ERR invalid expire time in '{}' command\r\n", name)
    }

    fn encoding(h: &mut Harness, key: &str) -> &'static str {
        h.srv.keyspace.dbs[0]
            .dict
            .get(key.as_bytes())
            .map(|v| v.encoding())
            .unwrap_or("none")
    }

    fn ttl_ms(h: &Harness, key: &str) -> Option<i64> {
        h.srv.keyspace.dbs[0]
            .expire_of(key.as_bytes())
            .map(|w| w - h.srv.now_ms)
    }

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    #[test]
    fn get_and_set_basics() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["get", "k"]), NIL);
        assert_eq!(h.run_str(&["set", "k", "v"]), OK);
        assert_eq!(h.run_str(&["get", "k"]), bulk("v"));
        assert_eq!(h.run_str(&["set", "k", "-42"]), OK);
        assert_eq!(encoding(&mut h, "k"), "int");
        assert_eq!(h.run_str(&["get", "k"]), bulk("-42"));
        assert_eq!(h.run_str(&["set", "k", "012"]), OK);
        assert_eq!(encoding(&mut h, "k"), "embstr");
        assert_eq!(h.run_str(&["set", "k", &"a".repeat(45)]), OK);
        assert_eq!(encoding(&mut h, "k"), "raw");
        assert_eq!(h.run_str(&["get"]), arity("get"));
        assert_eq!(h.run_str(&["set", "k"]), arity("set"));
        let bin: &[u8] = b"a\x00b\r\nc\xff";
        assert_eq!(h.run_bytes(&[b"set", b"b\x00k", bin]), b"+OK\r\n");
        assert_eq!(
            h.run_bytes(&[b"get", b"b\x00k"]),
            b"$7\r\na\x00b\r\nc\xff\r\n"
        );
    }

    #[test]
    fn set_nx_xx_get() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["set", "k", "a", "xx"]), NIL);
        assert_eq!(h.run_str(&["get", "k"]), NIL);
        assert_eq!(h.run_str(&["set", "k", "a", "nx"]), OK);
        assert_eq!(h.run_str(&["set", "k", "b", "NX"]), NIL);
        assert_eq!(h.run_str(&["set", "k", "b", "xx"]), OK);
        assert_eq!(h.run_str(&["set", "k", "c", "get"]), bulk("b"));
        assert_eq!(h.run_str(&["set", "k", "d", "nx", "get"]), bulk("c"));
        assert_eq!(h.run_str(&["get", "k"]), bulk("c"));
        assert_eq!(h.run_str(&["set", "n", "d", "nx", "get"]), NIL);
        assert_eq!(h.run_str(&["get", "n"]), bulk("d"));
        assert_eq!(h.run_str(&["set", "m", "d", "xx", "get"]), NIL);
        assert_eq!(h.run_str(&["get", "m"]), NIL);
        assert_eq!(h.run_str(&["set", "k", "v", "nx", "xx"]), SYNTAX);
        assert_eq!(h.run_str(&["set", "k", "v", "xx", "nx"]), SYNTAX);
        assert_eq!(h.run_str(&["set", "k", "v", "nx", "nx"]), NIL);
        assert_eq!(h.run_str(&["set", "k", "v", "get", "get"]), bulk("c"));
        assert_eq!(h.run_str(&["set", "k", "v", "foo"]), SYNTAX);
        // Keywords match up to the first NUL, as C string comparisons do.
        assert_eq!(
            h.run_bytes(&[b"set", b"k", b"w", b"get\x00x"]),
            b"$1\r\nv\r\n"
        );
        assert_eq!(h.run_bytes(&[b"set", b"k", b"w", b"nx\x00x"]), b"$-1\r\n");
    }

    #[test]
    fn set_expire_options() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["set", "k", "v", "ex", "100"]), OK);
        assert_eq!(ttl_ms(&h, "k"), Some(100_000));
        assert_eq!(h.run_str(&["set", "k", "v", "px", "1500"]), OK);
        assert_eq!(ttl_ms(&h, "k"), Some(1500));
        assert_eq!(h.run_str(&["set", "k", "v", "ex", "1", "ex", "7"]), OK);
        assert_eq!(ttl_ms(&h, "k"), Some(7000));
        assert_eq!(h.run_str(&["set", "k", "v2", "keepttl"]), OK);
        assert_eq!(ttl_ms(&h, "k"), Some(7000));
        assert_eq!(h.run_str(&["set", "k", "v3"]), OK);
        assert_eq!(ttl_ms(&h, "k"), None);
        let at = (h.srv.now_ms / 1000 + 50).to_string();
        assert_eq!(h.run_str(&["set", "k", "v", "exat", &at]), OK);
        assert_eq!(
            h.srv.keyspace.dbs[0].expire_of(b"k"),
            Some((h.srv.now_ms / 1000 + 50) * 1000)
        );
        let at = (h.srv.now_ms + 50).to_string();
        assert_eq!(h.run_str(&["set", "k", "v", "pxat", &at]), OK);
        assert_eq!(ttl_ms(&h, "k"), Some(50));
        // An absolute time in the past: set, then gone on the next access.
        assert_eq!(h.run_str(&["set", "k", "v", "exat", "1"]), OK);
        assert_eq!(h.run_str(&["get", "k"]), NIL);
        for bad in [
            &["ex", "100", "px", "100"][..],
            &["ex", "100", "keepttl"],
            &["keepttl", "exat", "100"],
            &["pxat", "1", "exat", "1"],
            &["ex"],
            &["px"],
            &["persist"],
            &["ex", "10", "px"],
        ] {
            let mut cmd = vec!["set", "k", "v"];
            cmd.extend_from_slice(bad);
            assert_eq!(h.run_str(&cmd), SYNTAX, "{:?}", bad);
        }
        for bad in ["0", "-1", "9223372036854775807", "9223372036854775"] {
            assert_eq!(
                h.run_str(&["set", "k", "v", "ex", bad]),
                expire_err("set"),
                "{}",
                bad
            );
        }
        assert_eq!(
            h.run_str(&["set", "k", "v", "px", "9223372036854775807"]),
            expire_err("set")
        );
        assert_eq!(
            h.run_str(&["set", "k", "v", "exat", "0"]),
            expire_err("set")
        );
        assert_eq!(h.run_str(&["set", "k", "v", "ex", "1.5"]), NOT_INT);
        assert_eq!(h.run_str(&["set", "k", "v", "ex", "abc"]), NOT_INT);
        // The expire is checked before GET replies or anything is written.
        assert_eq!(
            h.run_str(&["set", "k", "v", "get", "ex", "-1"]),
            expire_err("set")
        );
        assert_eq!(h.run_str(&["get", "k"]), NIL);
        assert_eq!(
            h.run_str(&["set", "k", "v", "pxat", "9223372036854775807"]),
            OK
        );
    }

    #[test]
    fn set_expires_stale_key_first() {
        let mut h = Harness::new();
        h.run_str(&["set", "k", "v", "px", "10"]);
        h.advance_ms(20);
        assert_eq!(h.run_str(&["set", "k", "w", "keepttl"]), OK);
        assert_eq!(ttl_ms(&h, "k"), None);
        assert_eq!(h.srv.keyspace.dbs[0].expired_keys, 1);
        h.run_str(&["set", "k", "v", "px", "10"]);
        h.advance_ms(20);
        assert_eq!(h.run_str(&["set", "k", "w", "xx"]), NIL);
        assert_eq!(h.run_str(&["set", "k", "w", "nx"]), OK);
    }

    #[test]
    fn setnx_setex_psetex() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["setnx", "k", "a"]), ":1\r\n");
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["setnx", "k", "b"]), ":0\r\n");
        assert_eq!(h.srv.dirty, dirty, "a refused SETNX writes nothing");
        assert_eq!(h.run_str(&["get", "k"]), bulk("a"));
        assert_eq!(h.run_str(&["setex", "k", "10", "b"]), OK);
        assert_eq!(ttl_ms(&h, "k"), Some(10_000));
        assert_eq!(h.run_str(&["psetex", "k", "250", "c"]), OK);
        assert_eq!(ttl_ms(&h, "k"), Some(250));
        assert_eq!(h.run_str(&["get", "k"]), bulk("c"));
        assert_eq!(h.run_str(&["setex", "k", "0", "b"]), expire_err("setex"));
        assert_eq!(
            h.run_str(&["setex", "k", "9223372036854775807", "b"]),
            expire_err("setex")
        );
        assert_eq!(h.run_str(&["psetex", "k", "-1", "b"]), expire_err("psetex"));
        assert_eq!(h.run_str(&["setex", "k", "x", "b"]), NOT_INT);
        assert_eq!(h.run_str(&["setex", "k", "1"]), arity("setex"));
        assert_eq!(h.run_str(&["psetex", "k", "1"]), arity("psetex"));
        assert_eq!(h.run_str(&["setnx", "k"]), arity("setnx"));
        // Redis expires a key once now is past its time.
        h.advance_ms(250);
        assert_eq!(h.run_str(&["get", "k"]), bulk("c"));
        h.advance_ms(1);
        assert_eq!(h.run_str(&["get", "k"]), NIL);
    }

    #[test]
    fn getset_getdel() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["getset", "k", "a"]), NIL);
        assert_eq!(h.run_str(&["setex", "k", "10", "b"]), OK);
        assert_eq!(h.run_str(&["getset", "k", "7"]), bulk("b"));
        assert_eq!(ttl_ms(&h, "k"), None);
        assert_eq!(encoding(&mut h, "k"), "int");
        assert_eq!(h.run_str(&["getdel", "k"]), bulk("7"));
        assert_eq!(h.run_str(&["getdel", "k"]), NIL);
        assert!(h.srv.keyspace.dbs[0].is_empty());
        assert_eq!(h.run_str(&["getset", "k"]), arity("getset"));
        assert_eq!(h.run_str(&["getdel"]), arity("getdel"));
    }

    #[test]
    fn getex_options() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["getex", "k"]), NIL);
        // Missing key: options are parsed, but the time is not validated.
        assert_eq!(h.run_str(&["getex", "k", "ex", "-1"]), NIL);
        assert_eq!(h.run_str(&["getex", "k", "ex", "abc"]), NIL);
        assert_eq!(h.run_str(&["getex", "k", "foo"]), SYNTAX);
        h.run_str(&["set", "k", "v"]);
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["getex", "k"]), bulk("v"));
        assert_eq!(h.run_str(&["getex", "k", "persist"]), bulk("v"));
        assert_eq!(h.srv.dirty, dirty);
        assert_eq!(h.run_str(&["getex", "k", "ex", "100"]), bulk("v"));
        assert_eq!(ttl_ms(&h, "k"), Some(100_000));
        assert_eq!(
            h.run_str(&["getex", "k", "px", "5", "px", "500"]),
            bulk("v")
        );
        assert_eq!(ttl_ms(&h, "k"), Some(500));
        let at = (h.srv.now_ms + 900).to_string();
        assert_eq!(h.run_str(&["getex", "k", "pxat", &at]), bulk("v"));
        assert_eq!(ttl_ms(&h, "k"), Some(900));
        assert_eq!(h.run_str(&["getex", "k", "persist", "persist"]), bulk("v"));
        assert_eq!(ttl_ms(&h, "k"), None);
        for bad in [
            &["persist", "ex", "1"][..],
            &["ex", "1", "persist"],
            &["ex", "1", "px", "1"],
            &["keepttl"],
            &["nx"],
            &["xx"],
            &["get"],
            &["ex"],
        ] {
            let mut cmd = vec!["getex", "k"];
            cmd.extend_from_slice(bad);
            assert_eq!(h.run_str(&cmd), SYNTAX, "{:?}", bad);
        }
        assert_eq!(h.run_str(&["getex", "k", "ex", "0"]), expire_err("getex"));
        assert_eq!(
            h.run_str(&["getex", "k", "px", "9223372036854775807"]),
            expire_err("getex")
        );
        assert_eq!(h.run_str(&["getex", "k", "ex", "x"]), NOT_INT);
        assert_eq!(h.run_str(&["getex", "k", "exat", "1"]), bulk("v"));
        assert!(h.srv.keyspace.dbs[0].is_empty(), "a past EXAT deletes");
        assert_eq!(h.run_str(&["getex"]), arity("getex"));
    }

    #[test]
    fn mget_mset_msetnx() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["mset", "a", "1", "b", "x", "a", "2"]), OK);
        assert_eq!(
            h.run_str(&["mget", "a", "b", "c"]),
            "*3\r\n$1\r\n2\r\n$1\r\nx\r\n$-1\r\n"
        );
        assert_eq!(h.run_str(&["mset", "a", "1", "b"]), arity("mset"));
        assert_eq!(h.run_str(&["msetnx", "a", "1", "b"]), arity("msetnx"));
        assert_eq!(h.run_str(&["mset"]), arity("mset"));
        assert_eq!(h.run_str(&["mget"]), arity("mget"));
        assert_eq!(h.run_str(&["msetnx", "c", "1", "a", "z"]), ":0\r\n");
        assert_eq!(h.run_str(&["get", "c"]), NIL);
        assert_eq!(h.run_str(&["msetnx", "c", "1", "d", "2"]), ":1\r\n");
        assert_eq!(
            h.run_str(&["mget", "c", "d"]),
            "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
        );
        h.run_str(&["setex", "e", "10", "v"]);
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["mset", "e", "w", "f", "z"]), OK);
        assert_eq!(h.srv.dirty, dirty + 2);
        assert_eq!(ttl_ms(&h, "e"), None);
        let hits = h.srv.stats.keyspace_hits;
        let misses = h.srv.stats.keyspace_misses;
        h.run_str(&["mget", "e", "nope", "f"]);
        assert_eq!(h.srv.stats.keyspace_hits, hits + 2);
        assert_eq!(h.srv.stats.keyspace_misses, misses + 1);
    }

    #[test]
    fn append_and_strlen() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["strlen", "k"]), ":0\r\n");
        assert_eq!(h.run_str(&["append", "k", "123"]), ":3\r\n");
        assert_eq!(encoding(&mut h, "k"), "int");
        assert_eq!(h.run_str(&["append", "k", "4"]), ":4\r\n");
        assert_eq!(encoding(&mut h, "k"), "raw");
        assert_eq!(h.run_str(&["get", "k"]), bulk("1234"));
        assert_eq!(h.run_str(&["strlen", "k"]), ":4\r\n");
        assert_eq!(h.run_str(&["append", "e", ""]), ":0\r\n");
        assert_eq!(encoding(&mut h, "e"), "embstr");
        h.run_str(&["set", "n", "-9223372036854775808"]);
        assert_eq!(h.run_str(&["strlen", "n"]), ":20\r\n");
        h.run_str(&["setex", "t", "10", "a"]);
        assert_eq!(h.run_str(&["append", "t", "b"]), ":2\r\n");
        assert_eq!(ttl_ms(&h, "t"), Some(10_000));
        assert_eq!(h.run_str(&["append", "k"]), arity("append"));
        assert_eq!(h.run_str(&["strlen"]), arity("strlen"));
    }

    #[test]
    fn append_and_setrange_respect_max_len() {
        let mut h = Harness::with_config({
            let mut c = Config::default();
            c.proto_max_bulk_len = 10;
            c
        });
        assert_eq!(h.run_str(&["append", "k", "12345678"]), ":8\r\n");
        assert_eq!(h.run_str(&["append", "k", "901"]), TOO_BIG);
        assert_eq!(h.run_str(&["append", "k", "90"]), ":10\r\n");
        assert_eq!(h.run_str(&["setrange", "k", "10", "x"]), TOO_BIG);
        assert_eq!(h.run_str(&["setrange", "k", "9", "x"]), ":10\r\n");
        assert_eq!(h.run_str(&["setrange", "n", "10", "x"]), TOO_BIG);
        assert_eq!(h.run_str(&["setrange", "n", "10", ""]), ":0\r\n");
        assert_eq!(
            h.run_str(&["setrange", "k", "9223372036854775807", "x"]),
            TOO_BIG
        );
        assert_eq!(h.run_str(&["get", "k"]), bulk("123456789x"));
    }

    #[test]
    fn incr_family() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["incr", "n"]), ":1\r\n");
        assert_eq!(encoding(&mut h, "n"), "int");
        assert_eq!(h.run_str(&["incrby", "n", "41"]), ":42\r\n");
        assert_eq!(h.run_str(&["decr", "n"]), ":41\r\n");
        assert_eq!(h.run_str(&["decrby", "n", "-9"]), ":50\r\n");
        assert_eq!(h.run_str(&["decrby", "m", "5"]), ":-5\r\n");
        h.run_str(&["set", "n", "9223372036854775807"]);
        assert_eq!(
            h.run_str(&["incr", "n"]),
            "-ERR increment or decrement would overflow\r\n"
        );
        h.run_str(&["set", "n", "-9223372036854775808"]);
        assert_eq!(
            h.run_str(&["decr", "n"]),
            "-ERR increment or decrement would overflow\r\n"
        );
        assert_eq!(
            h.run_str(&["decrby", "n", "-9223372036854775808"]),
            "-ERR decrement would overflow\r\n"
        );
        assert_eq!(h.run_str(&["incrby", "n", "x"]), NOT_INT);
        assert_eq!(h.run_str(&["incrby", "n", "9223372036854775808"]), NOT_INT);
        for bad in [
            "abc",
            " 1",
            "1 ",
            "01",
            "-0",
            "",
            "1.0",
            "18446744073709551615",
        ] {
            h.run_str(&["set", "s", bad]);
            assert_eq!(h.run_str(&["incr", "s"]), NOT_INT, "{:?}", bad);
        }
        h.run_str(&["setex", "t", "10", "5"]);
        assert_eq!(h.run_str(&["incr", "t"]), ":6\r\n");
        assert_eq!(ttl_ms(&h, "t"), Some(10_000));
        h.run_str(&["set", "e", "12"]);
        h.run_str(&["append", "e", "3"]);
        assert_eq!(h.run_str(&["incr", "e"]), ":124\r\n");
        assert_eq!(encoding(&mut h, "e"), "int");
        assert_eq!(h.run_str(&["incr"]), arity("incr"));
        assert_eq!(h.run_str(&["incrby", "n"]), arity("incrby"));
        assert_eq!(h.run_str(&["decrby", "n"]), arity("decrby"));
        assert_eq!(h.run_str(&["decr", "n", "1"]), arity("decr"));
    }

    #[test]
    fn incrbyfloat_long_double() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["incrbyfloat", "f", "0.1"]), bulk("0.1"));
        assert_eq!(h.run_str(&["incrbyfloat", "f", "0.2"]), bulk("0.3"));
        assert_eq!(encoding(&mut h, "f"), "embstr");
        h.run_str(&["set", "f", "10.5"]);
        assert_eq!(h.run_str(&["incrbyfloat", "f", "0.1"]), bulk("10.6"));
        assert_eq!(h.run_str(&["incrbyfloat", "g", "3.0e3"]), bulk("3000"));
        assert_eq!(encoding(&mut h, "g"), "embstr");
        assert_eq!(h.run_str(&["incrbyfloat", "g", "-3000"]), bulk("0"));
        assert_eq!(h.run_str(&["incrbyfloat", "z", "1e-20"]), bulk("0"));
        h.run_str(&["set", "i", "9223372036854775807"]);
        assert_eq!(
            h.run_str(&["incrbyfloat", "i", "1"]),
            bulk("9223372036854775808")
        );
        assert_eq!(
            h.run_str(&["incrbyfloat", "t", "0.000003814697265625"]),
            bulk("0.00000381469726562")
        );
        let nan_inf = "-ERR increment would produce NaN or Infinity\r\n";
        assert_eq!(h.run_str(&["incrbyfloat", "f", "inf"]), nan_inf);
        h.run_str(&["set", "m", "1.18973149535723176502e+4932"]);
        assert_eq!(
            h.run_str(&["incrbyfloat", "m", "1.18973149535723176502e+4932"]),
            nan_inf
        );
        for bad in [
            "nan", "1e5000", "1e-5000", " 1", "1 ", "", "abc", "0x", "1e",
        ] {
            assert_eq!(
                h.run_str(&["incrbyfloat", "f", bad]),
                NOT_FLOAT,
                "{:?}",
                bad
            );
        }
        h.run_str(&["set", "s", "1.5 "]);
        assert_eq!(h.run_str(&["incrbyfloat", "s", "1"]), NOT_FLOAT);
        h.run_str(&["setex", "t", "10", "1.5"]);
        assert_eq!(h.run_str(&["incrbyfloat", "t", "1"]), bulk("2.5"));
        assert_eq!(ttl_ms(&h, "t"), Some(10_000));
        let long = "1".repeat(50);
        h.run_str(&["set", "l", &long]);
        assert_eq!(
            h.run_str(&["incrbyfloat", "l", "0"]),
            bulk("11111111111111111111157189290920927820784081043456")
        );
        assert_eq!(encoding(&mut h, "l"), "raw");
        assert_eq!(h.run_str(&["incrbyfloat", "f"]), arity("incrbyfloat"));
    }

    #[test]
    fn getrange_substr() {
        let mut h = Harness::new();
        h.run_str(&["set", "s", "This is a string"]);
        let cases: &[(&str, &str, &str)] = &[
            ("0", "3", "This"),
            ("-3", "-1", "ing"),
            ("0", "-1", "This is a string"),
            ("10", "100", "string"),
            ("100", "200", ""),
            ("-100", "3", "This"),
            ("5", "3", ""),
            ("-1", "-5", ""),
            ("3", "-100", ""),
            (
                "-9223372036854775808",
                "9223372036854775807",
                "This is a string",
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(
                h.run_str(&["getrange", "s", a, b]),
                bulk(want),
                "{} {}",
                a,
                b
            );
            assert_eq!(h.run_str(&["substr", "s", a, b]), bulk(want));
        }
        assert_eq!(h.run_str(&["getrange", "nosuch", "0", "-1"]), bulk(""));
        assert_eq!(h.run_str(&["getrange", "nosuch", "x", "-1"]), NOT_INT);
        assert_eq!(h.run_str(&["getrange", "s", "0", "y"]), NOT_INT);
        h.run_str(&["set", "e", ""]);
        assert_eq!(h.run_str(&["getrange", "e", "0", "-1"]), bulk(""));
        h.run_str(&["set", "n", "1234567"]);
        assert_eq!(h.run_str(&["getrange", "n", "1", "3"]), bulk("234"));
        assert_eq!(h.run_str(&["getrange", "s", "0"]), arity("getrange"));
        assert_eq!(h.run_str(&["substr", "s", "0"]), arity("substr"));
    }

    #[test]
    fn setrange() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["setrange", "r", "0", ""]), ":0\r\n");
        assert!(
            h.srv.keyspace.dbs[0].is_empty(),
            "no key for an empty write"
        );
        assert_eq!(h.run_str(&["setrange", "r", "3", "ab"]), ":5\r\n");
        assert_eq!(h.run_bytes(&[b"get", b"r"]), b"$5\r\n\x00\x00\x00ab\r\n");
        assert_eq!(encoding(&mut h, "r"), "raw");
        assert_eq!(h.run_str(&["setrange", "r", "0", "xyz"]), ":5\r\n");
        assert_eq!(h.run_str(&["get", "r"]), bulk("xyzab"));
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["setrange", "r", "100", ""]), ":5\r\n");
        assert_eq!(h.srv.dirty, dirty);
        assert_eq!(
            h.run_str(&["setrange", "r", "-1", "x"]),
            "-ERR offset is out of range\r\n"
        );
        assert_eq!(h.run_str(&["setrange", "r", "x", "x"]), NOT_INT);
        assert_eq!(h.run_str(&["setrange", "r", "536870912", "x"]), TOO_BIG);
        assert_eq!(h.run_str(&["setrange", "q", "536870911", "xy"]), TOO_BIG);
        h.run_str(&["setex", "n", "10", "123"]);
        assert_eq!(h.run_str(&["setrange", "n", "1", "9"]), ":3\r\n");
        assert_eq!(h.run_str(&["get", "n"]), bulk("193"));
        assert_eq!(encoding(&mut h, "n"), "raw");
        assert_eq!(ttl_ms(&h, "n"), Some(10_000));
        assert_eq!(h.run_str(&["setrange", "n", "1"]), arity("setrange"));
    }

    #[test]
    fn writes_mark_keys_modified() {
        let mut h = Harness::new();
        let expect = |h: &mut Harness, cmd: &[&str], delta: u64| {
            let before = h.srv.dirty;
            h.run_str(cmd);
            assert_eq!(h.srv.dirty - before, delta, "{:?}", cmd);
        };
        expect(&mut h, &["set", "k", "v"], 1);
        expect(&mut h, &["set", "k", "v", "nx"], 0);
        expect(&mut h, &["set", "k", "v", "ex", "0"], 0);
        expect(&mut h, &["get", "k"], 0);
        expect(&mut h, &["append", "k", ""], 1);
        expect(&mut h, &["setrange", "k", "0", ""], 0);
        expect(&mut h, &["getex", "k", "ex", "10"], 1);
        expect(&mut h, &["getex", "k", "persist"], 1);
        expect(&mut h, &["getex", "k", "persist"], 0);
        expect(&mut h, &["getdel", "k"], 1);
        expect(&mut h, &["getdel", "k"], 0);
        expect(&mut h, &["incr", "n"], 1);
        expect(&mut h, &["incrbyfloat", "n", "x"], 0);
        expect(&mut h, &["msetnx", "n", "1"], 0);
        expect(&mut h, &["mset", "a", "1", "b", "2"], 2);
    }
}
