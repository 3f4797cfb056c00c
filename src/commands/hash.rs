//! Hash commands: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS
//! HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
//!
//! Redis counterpart: `t_hash.c` (the command half) and the hash branch of
//! `scanGenericCommand` in `db.c`.

use super::spec::{cmd, keys, CommandSpec, Group};
use std::sync::OnceLock;

use super::{args, Ctx};
use crate::commands::flags::*;
use crate::config::notify;
use crate::config::table;
use crate::errors::{CmdError, CmdResult};
use crate::server::Server;
use crate::types::hash::{Hash, Limits};
use crate::types::Value;
use crate::util::glob::GlobPattern;
use crate::util::longdouble::{self, IncrFloatError, LongDouble};
use crate::util::numfmt::{parse_i64, push_i64, push_u64};

const HASH: Group = Group::Hash;
/// The one key at position 1.
const KEY: (i32, i32, i32) = keys(1, 1, 1);
/// Write commands that may grow memory.
const WD: u32 = WRITE | DENYOOM;
const ORDER: &[&str] = &["nondeterministic_output_order"];
const RANDOM: &[&str] = &["nondeterministic_output"];

/// The hash family's rows of the command table, sorted by name.
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    cmd("hdel", -3, WRITE | FAST, KEY, HASH, hdel_command)
        .doc("Delete one or more hash fields", "2.0.0"),
    cmd("hexists", 3, READONLY | FAST, KEY, HASH, hexists_command)
        .doc("Determine if a hash field exists", "2.0.0"),
    cmd("hget", 3, READONLY | FAST, KEY, HASH, hget_command)
        .doc("Get the value of a hash field", "2.0.0"),
    cmd("hgetall", 2, READONLY, KEY, HASH, hgetall_command).tips(ORDER)
        .doc("Get all the fields and values in a hash", "2.0.0"),
    cmd("hincrby", 4, WD | FAST, KEY, HASH, hincrby_command)
        .doc("Increment the integer value of a hash field by the given number", "2.0.0"),
    cmd("hincrbyfloat", 4, WD | FAST, KEY, HASH, hincrbyfloat_command)
        .doc("Increment the float value of a hash field by the given amount", "2.6.0"),
    cmd("hkeys", 2, READONLY, KEY, HASH, hkeys_command).tips(ORDER)
        .doc("Get all the fields in a hash", "2.0.0"),
    cmd("hlen", 2, READONLY | FAST, KEY, HASH, hlen_command)
        .doc("Get the number of fields in a hash", "2.0.0"),
    cmd("hmget", -3, READONLY | FAST, KEY, HASH, hmget_command)
        .doc("Get the values of all the given hash fields", "2.0.0"),
    cmd("hmset", -4, WD | FAST, KEY, HASH, hmset_command)
        .doc("Set multiple hash fields to multiple values", "2.0.0"),
    cmd("hrandfield", -2, READONLY, KEY, HASH, hrandfield_command).tips(RANDOM)
        .doc("Get one or multiple random fields from a hash", "6.2.0"),
    cmd("hscan", -3, READONLY, KEY, HASH, hscan_command).tips(RANDOM)
        .doc("Incrementally iterate hash fields and associated values", "2.8.0"),
    cmd("hset", -4, WD | FAST, KEY, HASH, hset_command)
        .doc("Set the string value of a hash field", "2.0.0"),
    cmd("hsetnx", 4, WD | FAST, KEY, HASH, hsetnx_command)
        .doc("Set the value of a hash field, only if the field does not exist", "2.0.0"),
    cmd("hstrlen", 3, READONLY | FAST, KEY, HASH, hstrlen_command)
        .doc("Get the length of the value of a hash field", "3.2.0"),
    cmd("hvals", 2, READONLY, KEY, HASH, hvals_command).tips(ORDER)
        .doc("Get all the values in a hash", "2.0.0"),
];

/// The conversion thresholds, read now so CONFIG SET applies to the next
/// write.
fn limits(ctx: &Ctx) -> Limits {
    // The directives' table positions, looked up by name once.
    static INDEXES: OnceLock<(Option<usize>, Option<usize>)> = OnceLock::new();
    let (entries, value) = *INDEXES.get_or_init(|| {
        (
            table::index_of("hash-max-listpack-entries"),
            table::index_of("hash-max-listpack-value"),
        )
    });
    let get = |idx: Option<usize>| idx.map_or(0, |i| ctx.srv.config.get_i64_at(i).max(0) as usize);
    Limits {
        max_entries: get(entries),
        max_value: get(value),
    }
}

/// The hash at `key` for reading (counts a keyspace hit or miss); WRONGTYPE
/// when the key holds another type.
fn read_hash<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Result<Option<&'a Hash>, CmdError> {
    match srv.lookup_read(db, key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The hash at `key` for writing, created empty when missing and `create`
/// is set; WRONGTYPE when the key holds another type.
fn write_hash<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
    create: bool,
) -> Result<Option<&'a mut Hash>, CmdError> {
    let now = ctx.now_ms();
    let db = &mut ctx.srv.keyspace.dbs[ctx.client.db];
    let slot = match db.find_live(key, now) {
        Some(i) => i,
        None if create => db.insert_new(key, Value::Hash(Default::default())),
        None => return Ok(None),
    };
    match db.dict.value_at_mut(slot) {
        Value::Hash(h) => Ok(Some(h)),
        _ => Err(CmdError::WrongType),
    }
}

/// HSET key field value [field value ...]
pub fn hset_command(ctx: &mut Ctx) -> CmdResult {
    let added = set_pairs(ctx)?;
    ctx.client.reply.int(added as i64);
    ctx.notify(notify::HASH, "hset", ctx.argv[1]);
    Ok(())
}

/// HMSET key field value [field value ...]
pub fn hmset_command(ctx: &mut Ctx) -> CmdResult {
    set_pairs(ctx)?;
    ctx.client.reply.ok();
    ctx.notify(notify::HASH, "hset", ctx.argv[1]);
    Ok(())
}

/// HSET/HMSET: sets every pair; returns how many fields were new.
fn set_pairs(ctx: &mut Ctx) -> Result<usize, CmdError> {
    let argv = ctx.argv;
    if argv.len() % 2 == 1 {
        return Err(CmdError::WrongArity(ctx.cmd.name.to_string()));
    }
    let limits = limits(ctx);
    let h = write_hash(ctx, argv[1], true)?.expect("invariant: created");
    let mut added = 0;
    for pair in argv[2..].chunks_exact(2) {
        if h.set(pair[0], pair[1], limits) {
            added += 1;
        }
    }
    ctx.key_modified(argv[1]);
    Ok(added)
}

/// HSETNX key field value
pub fn hsetnx_command(ctx: &mut Ctx) -> CmdResult {
    let (key, field, value) = (ctx.argv[1], ctx.argv[2], ctx.argv[3]);
    let limits = limits(ctx);
    let h = write_hash(ctx, key, true)?.expect("invariant: created");
    if h.contains(field) {
        ctx.client.reply.int(0);
        return Ok(());
    }
    h.set(field, value, limits);
    ctx.key_modified(key);
    ctx.client.reply.int(1);
    ctx.notify(notify::HASH, "hset", key);
    Ok(())
}

/// HGET key field
pub fn hget_command(ctx: &mut Ctx) -> CmdResult {
    let field = ctx.argv[2];
    let value = read_hash(ctx.srv, ctx.client.db, ctx.argv[1])?.and_then(|h| h.get(field));
    match value {
        Some(v) => ctx.client.reply.bulk(v),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// HMGET key field [field ...]
pub fn hmget_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let db = ctx.client.db;
    let h = read_hash(ctx.srv, db, argv[1])?;
    let reply = &mut ctx.client.reply;
    reply.array_len(argv.len() - 2);
    for field in &argv[2..] {
        match h.and_then(|h| h.get(field)) {
            Some(v) => reply.bulk(v),
            None => reply.null(),
        }
    }
    Ok(())
}

/// HDEL key field [field ...]
pub fn hdel_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let Some(h) = write_hash(ctx, argv[1], false)? else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for field in &argv[2..] {
        if h.remove(field) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let gone = h.is_empty();
    if gone {
        ctx.db().remove(argv[1]);
    }
    if deleted > 0 {
        ctx.key_modified(argv[1]);
        ctx.notify(notify::HASH, "hdel", argv[1]);
        if gone {
            ctx.notify(notify::GENERIC, "del", argv[1]);
        }
    }
    ctx.client.reply.int(deleted);
    Ok(())
}

/// HLEN key
pub fn hlen_command(ctx: &mut Ctx) -> CmdResult {
    let n = read_hash(ctx.srv, ctx.client.db, ctx.argv[1])?.map_or(0, |h| h.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// HSTRLEN key field
pub fn hstrlen_command(ctx: &mut Ctx) -> CmdResult {
    let field = ctx.argv[2];
    let n = read_hash(ctx.srv, ctx.client.db, ctx.argv[1])?
        .and_then(|h| h.get(field))
        .map_or(0, |v| v.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// HEXISTS key field
pub fn hexists_command(ctx: &mut Ctx) -> CmdResult {
    let field = ctx.argv[2];
    let found = read_hash(ctx.srv, ctx.client.db, ctx.argv[1])?.is_some_and(|h| h.contains(field));
    ctx.client.reply.int(found as i64);
    Ok(())
}

/// What HKEYS, HVALS and HGETALL reply with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Keys,
    Values,
    Both,
}

fn get_all(ctx: &mut Ctx, part: Part) -> CmdResult {
    let db = ctx.client.db;
    let h = read_hash(ctx.srv, db, ctx.argv[1])?;
    let reply = &mut ctx.client.reply;
    let n = h.map_or(0, |h| h.len());
    if part == Part::Both {
        reply.map_len(n);
    } else {
        reply.array_len(n);
    }
    if let Some(h) = h {
        for (f, v) in h.iter() {
            if part != Part::Values {
                reply.bulk(f);
            }
            if part != Part::Keys {
                reply.bulk(v);
            }
        }
    }
    Ok(())
}

/// HKEYS key
pub fn hkeys_command(ctx: &mut Ctx) -> CmdResult {
    get_all(ctx, Part::Keys)
}

/// HVALS key
pub fn hvals_command(ctx: &mut Ctx) -> CmdResult {
    get_all(ctx, Part::Values)
}

/// HGETALL key
pub fn hgetall_command(ctx: &mut Ctx) -> CmdResult {
    get_all(ctx, Part::Both)
}

/// HINCRBY key field increment
pub fn hincrby_command(ctx: &mut Ctx) -> CmdResult {
    let (key, field) = (ctx.argv[1], ctx.argv[2]);
    let incr = args::int(ctx.argv[3])?;
    let limits = limits(ctx);
    let h = write_hash(ctx, key, true)?.expect("invariant: created");
    let current = match h.get(field) {
        Some(v) => parse_i64(v).ok_or(CmdError::msg("ERR hash value is not an integer"))?,
        None => 0,
    };
    let Some(sum) = current.checked_add(incr) else {
        return Err(CmdError::msg("ERR increment or decrement would overflow"));
    };
    let mut text = Vec::with_capacity(20);
    push_i64(&mut text, sum);
    h.set(field, &text, limits);
    ctx.key_modified(key);
    ctx.client.reply.int(sum);
    ctx.notify(notify::HASH, "hincrby", key);
    Ok(())
}

/// HINCRBYFLOAT key field increment
pub fn hincrbyfloat_command(ctx: &mut Ctx) -> CmdResult {
    let (key, field, incr) = (ctx.argv[1], ctx.argv[2], ctx.argv[3]);
    match LongDouble::parse(incr) {
        None => return Err(CmdError::NotFloat),
        Some(v) if !v.is_finite() => return Err(CmdError::msg("ERR value is NaN or Infinity")),
        Some(_) => {}
    }
    let limits = limits(ctx);
    let h = write_hash(ctx, key, true)?.expect("invariant: created");
    let text = longdouble::incr_by_float(h.get(field), incr).map_err(|e| match e {
        IncrFloatError::NotFloat => CmdError::msg("ERR hash value is not a float"),
        IncrFloatError::NanOrInf => CmdError::msg("ERR increment would produce NaN or Infinity"),
    });
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            if h.is_empty() {
                ctx.db().remove(key);
            }
            return Err(e);
        }
    };
    h.set(field, &text, limits);
    ctx.key_modified(key);
    ctx.propagate_as(&[b"HSET", key, field, &text]);
    ctx.client.reply.bulk(&text);
    ctx.notify(notify::HASH, "hincrbyfloat", key);
    Ok(())
}

/// Most elements one HRANDFIELD reply (negative count) may hold. Redis
/// only refuses |count| > LONG_MAX/2 with WITHVALUES; past a few hundred
/// million elements it builds a reply of many gigabytes until it is
/// killed. ferredis refuses such counts with the same error instead.
const RANDFIELD_MAX_ELEMENTS: u64 = 1 << 28;

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    if argv.len() == 2 {
        let mut rng = ctx.srv.rng;
        let Some(h) = read_hash(ctx.srv, ctx.client.db, argv[1])? else {
            ctx.client.reply.null();
            return Ok(());
        };
        let pair = h.random_pair(&mut rng).map(|(f, _)| f.to_vec());
        ctx.srv.rng = rng;
        match pair {
            Some(f) => ctx.client.reply.bulk(&f),
            None => ctx.client.reply.null(),
        }
        return Ok(());
    }
    let l = args::int(argv[2])?;
    if l == i64::MIN {
        return Err(CmdError::msg(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let mut withvalues = false;
    if argv.len() >= 4 {
        if argv.len() > 4 || !args::kw(argv[3], "withvalues") {
            return Err(CmdError::Syntax);
        }
        if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::msg("ERR value is out of range"));
        }
        withvalues = true;
    }
    let count = l.unsigned_abs();
    if l < 0 && count.saturating_mul(1 + withvalues as u64) > RANDFIELD_MAX_ELEMENTS {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let mut rng = ctx.srv.rng;
    let result = randfield_count(ctx, l, withvalues, &mut rng);
    ctx.srv.rng = rng;
    result
}

/// HRANDFIELD with a count (already validated): `l < 0` allows repeats.
fn randfield_count(ctx: &mut Ctx, l: i64, withvalues: bool, rng: &mut u64) -> CmdResult {
    let count = l.unsigned_abs();
    let db = ctx.client.db;
    let h = read_hash(ctx.srv, db, ctx.argv[1])?;
    let reply = &mut ctx.client.reply;
    let Some(h) = h.filter(|_| count > 0) else {
        reply.array_len(0);
        return Ok(());
    };
    let resp3 = reply.resp3;
    let emit = |reply: &mut crate::resp::reply::ReplyBuf, f: &[u8], v: &[u8]| {
        if withvalues && resp3 {
            reply.array_len(2);
        }
        reply.bulk(f);
        if withvalues {
            reply.bulk(v);
        }
    };
    let per = if withvalues && !resp3 { 2 } else { 1 };
    if l < 0 {
        reply.array_len(count as usize * per);
        h.random_pairs_with_repeats(count, rng, |f, v| emit(reply, f, v));
    } else {
        let picked = h.random_pairs_unique(count.min(h.len() as u64) as usize, rng);
        reply.array_len(picked.len() * per);
        for (f, v) in picked {
            emit(reply, f, v);
        }
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub fn hscan_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let mut cursor = args::parse_cursor(argv[2])?;
    let db = ctx.client.db;
    let h = read_hash(ctx.srv, db, argv[1])?;
    let Some(h) = h else {
        let reply = &mut ctx.client.reply;
        reply.array_len(2);
        reply.bulk(b"0");
        reply.array_len(0);
        return Ok(());
    };
    let (count, pattern) = args::scan_options(argv, 3)?;

    // A listpack hash comes back whole with cursor 0; a table is walked
    // bucket by bucket until about COUNT elements (fields and values both
    // count, as in Redis) or 10×COUNT buckets.
    let mut found: Vec<(&[u8], &[u8])> = Vec::new();
    match h.table() {
        None => {
            found.extend(h.iter());
            cursor = 0;
        }
        Some(d) => {
            let mut budget = count.saturating_mul(10);
            loop {
                cursor = d.scan_step(cursor, |slot| {
                    let (f, v) = d.entry_at(slot);
                    found.push((f.as_slice(), v.as_slice()));
                });
                if cursor == 0 || budget == 0 {
                    break;
                }
                budget -= 1;
                if found.len() as i64 * 2 >= count {
                    break;
                }
            }
        }
    }
    if let Some(p) = pattern {
        let glob = GlobPattern::new(p, false);
        found.retain(|(f, _)| glob.matches(f));
    }
    let reply = &mut ctx.client.reply;
    reply.array_len(2);
    let mut digits = Vec::with_capacity(20);
    push_u64(&mut digits, cursor);
    reply.bulk(&digits);
    reply.array_len(found.len() * 2);
    for (f, v) in found {
        reply.bulk(f);
        reply.bulk(v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[test]
    fn set_get_and_friends() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["hset", "h", "a", "1", "b", "2"]), ":2\r\n");
        assert_eq!(h.run_str(&["hset", "h", "a", "x", "c", "3"]), ":1\r\n");
        assert_eq!(h.run_str(&["hmset", "h", "d", "4"]), "+OK\r\n");
        assert_eq!(h.run_str(&["hget", "h", "a"]), bulk("x"));
        assert_eq!(h.run_str(&["hget", "h", "z"]), "$-1\r\n");
        assert_eq!(h.run_str(&["hget", "nokey", "z"]), "$-1\r\n");
        assert_eq!(
            h.run_str(&["hmget", "h", "a", "z", "d"]),
            "*3\r\n$1\r\nx\r\n$-1\r\n$1\r\n4\r\n"
        );
        assert_eq!(h.run_str(&["hmget", "nokey", "a"]), "*1\r\n$-1\r\n");
        assert_eq!(h.run_str(&["hlen", "h"]), ":4\r\n");
        assert_eq!(h.run_str(&["hlen", "nokey"]), ":0\r\n");
        assert_eq!(h.run_str(&["hstrlen", "h", "a"]), ":1\r\n");
        assert_eq!(h.run_str(&["hstrlen", "h", "z"]), ":0\r\n");
        assert_eq!(h.run_str(&["hexists", "h", "b"]), ":1\r\n");
        assert_eq!(h.run_str(&["hexists", "h", "z"]), ":0\r\n");
        assert_eq!(h.run_str(&["hsetnx", "h", "a", "y"]), ":0\r\n");
        assert_eq!(h.run_str(&["hsetnx", "h", "e", "5"]), ":1\r\n");
        assert_eq!(
            h.run_str(&["hkeys", "h"]),
            "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"
        );
        assert_eq!(
            h.run_str(&["hvals", "h"]),
            "*5\r\n$1\r\nx\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"
        );
        assert_eq!(h.run_str(&["hdel", "h", "a", "a", "b", "z"]), ":2\r\n");
        assert_eq!(
            h.run_str(&["hgetall", "h"]),
            "*6\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"
        );
        assert_eq!(h.run_str(&["hdel", "h", "c", "d", "e"]), ":3\r\n");
        assert_eq!(h.run_str(&["exists", "h"]), ":0\r\n");
        assert_eq!(h.run_str(&["hdel", "h", "c"]), ":0\r\n");
        assert_eq!(h.run_str(&["hkeys", "nokey"]), "*0\r\n");
        assert_eq!(h.run_str(&["hgetall", "nokey"]), "*0\r\n");
    }

    #[test]
    fn arity_and_wrong_type() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["hset", "h", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'hset' command\r\n"
        );
        assert_eq!(
            h.run_str(&["hmset", "h", "a"]),
            "-ERR wrong number of arguments for 'hmset' command\r\n"
        );
        assert_eq!(h.run_str(&["exists", "h"]), ":0\r\n");
        h.run_str(&["set", "s", "x"]);
        for cmd in [
            &["hset", "s", "a", "b"][..],
            &["hsetnx", "s", "a", "b"],
            &["hget", "s", "a"],
            &["hmget", "s", "a"],
            &["hdel", "s", "a"],
            &["hlen", "s"],
            &["hstrlen", "s", "a"],
            &["hexists", "s", "a"],
            &["hkeys", "s"],
            &["hvals", "s"],
            &["hgetall", "s"],
            &["hincrby", "s", "a", "1"],
            &["hincrbyfloat", "s", "a", "1"],
            &["hrandfield", "s"],
            &["hrandfield", "s", "1"],
            &["hscan", "s", "0"],
        ] {
            assert_eq!(h.run_str(cmd), WRONGTYPE, "{:?}", cmd);
        }
        // Argument errors come before the type check.
        assert_eq!(
            h.run_str(&["hincrby", "s", "a", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["hincrbyfloat", "s", "a", "x"]),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(h.run_str(&["hscan", "s", "x"]), "-ERR invalid cursor\r\n");
    }

    #[test]
    fn hincrby_errors_and_overflow() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["hincrby", "h", "n", "5"]), ":5\r\n");
        assert_eq!(h.run_str(&["hincrby", "h", "n", "-7"]), ":-2\r\n");
        h.run_str(&["hset", "h", "s", "foo", "sp", " 1"]);
        let not_int = "-ERR hash value is not an integer\r\n";
        assert_eq!(h.run_str(&["hincrby", "h", "s", "1"]), not_int);
        assert_eq!(h.run_str(&["hincrby", "h", "sp", "1"]), not_int);
        let overflow = "-ERR increment or decrement would overflow\r\n";
        h.run_str(&["hset", "h", "max", "9223372036854775807"]);
        assert_eq!(h.run_str(&["hincrby", "h", "max", "1"]), overflow);
        assert_eq!(
            h.run_str(&["hincrby", "h", "n", "1.5"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(h.run_str(&["hincrby", "nokey", "n", "x"]).len(), 46);
        assert_eq!(h.run_str(&["exists", "nokey"]), ":0\r\n");
    }

    #[test]
    fn hincrbyfloat_formats_like_incrbyfloat() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["hincrbyfloat", "h", "f", "10.5"]), bulk("10.5"));
        assert_eq!(h.run_str(&["hincrbyfloat", "h", "f", "0.1"]), bulk("10.6"));
        assert_eq!(
            h.run_str(&["hincrbyfloat", "h", "f", "-5.0e3"]),
            bulk("-4989.39999999999999991")
        );
        assert_eq!(h.run_str(&["hincrbyfloat", "h", "g", "3.0"]), bulk("3"));
        assert_eq!(
            h.run_str(&["hincrbyfloat", "h", "g", "1.5e10"]),
            bulk("15000000003")
        );
        assert_eq!(
            h.run_str(&["hincrbyfloat", "h", "g", "0.1"]),
            bulk("15000000003.09999999962747097")
        );
        assert_eq!(h.run_str(&["hincrbyfloat", "h", "x", "0x10"]), bulk("16"));
        assert_eq!(
            h.run_str(&["hincrbyfloat", "h", "f", "nan"]),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(
            h.run_str(&["hincrbyfloat", "h", "f", "inf"]),
            "-ERR value is NaN or Infinity\r\n"
        );
        h.run_str(&["hset", "h", "s", "foo"]);
        assert_eq!(
            h.run_str(&["hincrbyfloat", "h", "s", "1"]),
            "-ERR hash value is not a float\r\n"
        );
        h.run_str(&["hincrbyfloat", "h", "big", "1.1e4932"]);
        assert_eq!(
            h.run_str(&["hincrbyfloat", "h", "big", "1.1e4932"]),
            "-ERR increment would produce NaN or Infinity\r\n"
        );
        // The long result no longer fits a listpack entry.
        assert_eq!(h.run_str(&["object", "encoding", "h"]), bulk("hashtable"));
    }

    #[test]
    fn encoding_conversions_follow_config() {
        let mut h = Harness::new();
        h.run_str(&["hset", "h", "a", "1"]);
        assert_eq!(h.run_str(&["object", "encoding", "h"]), bulk("listpack"));
        let long = "x".repeat(65);
        h.run_str(&["hsetnx", "h", "a", &long]);
        assert_eq!(h.run_str(&["object", "encoding", "h"]), bulk("listpack"));
        h.run_str(&["hset", "h", "a", &long]);
        assert_eq!(h.run_str(&["object", "encoding", "h"]), bulk("hashtable"));
        h.run_str(&["config", "set", "hash-max-listpack-entries", "2"]);
        h.run_str(&["hset", "k", "a", "1", "b", "2"]);
        assert_eq!(h.run_str(&["object", "encoding", "k"]), bulk("listpack"));
        h.run_str(&["hset", "k", "c", "3"]);
        assert_eq!(h.run_str(&["object", "encoding", "k"]), bulk("hashtable"));
        h.run_str(&["hdel", "k", "c", "b"]);
        assert_eq!(h.run_str(&["object", "encoding", "k"]), bulk("hashtable"));
        assert_eq!(h.run_str(&["hget", "k", "a"]), bulk("1"));
    }

    #[test]
    fn digest_matches_redis() {
        let mut config = crate::config::Config::default();
        config.enable_debug_command = "yes".into();
        let mut h = Harness::with_config(config);
        h.run_str(&["hset", "h", "a", "1", "b", "2"]);
        assert_eq!(
            h.run_str(&["debug", "digest-value", "h"]),
            "*1\r\n+6c8f22b3bf510fdcfd6122dd0f908a80e88243bf\r\n"
        );
        h.run_str(&["hset", "dg", "f1", "v1", "f2", "v2"]);
        let want = "*1\r\n+047cc60ea73a34cde6d08a2721a4a26d19ee6570\r\n";
        assert_eq!(h.run_str(&["debug", "digest-value", "dg"]), want);
        h.run_str(&["config", "set", "hash-max-listpack-entries", "0"]);
        h.run_str(&["hset", "dg2", "f2", "v2", "f1", "v1"]);
        assert_eq!(h.run_str(&["object", "encoding", "dg2"]), bulk("hashtable"));
        assert_eq!(h.run_str(&["debug", "digest-value", "dg2"]), want);
    }

    #[test]
    fn hrandfield_shapes_and_bounds() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["hrandfield", "nokey"]), "$-1\r\n");
        assert_eq!(h.run_str(&["hrandfield", "nokey", "3"]), "*0\r\n");
        h.run_str(&["hset", "one", "f", "v"]);
        assert_eq!(h.run_str(&["hrandfield", "one"]), bulk("f"));
        assert_eq!(h.run_str(&["hrandfield", "one", "0"]), "*0\r\n");
        assert_eq!(
            h.run_str(&["hrandfield", "one", "-2", "withvalues"]),
            "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n"
        );
        assert_eq!(
            h.run_str(&["hrandfield", "one", "5", "WITHVALUES"]),
            "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
        );
        h.run_str(&["hello", "3"]);
        assert_eq!(
            h.run_str(&["hrandfield", "one", "-2", "withvalues"]),
            "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
        );
        assert_eq!(
            h.run_str(&["hrandfield", "one", "-2"]),
            "*2\r\n$1\r\nf\r\n$1\r\nf\r\n"
        );
        assert_eq!(
            h.run_str(&["hgetall", "one"]),
            "%1\r\n$1\r\nf\r\n$1\r\nv\r\n"
        );
        assert_eq!(h.run_str(&["hgetall", "nokey"]), "%0\r\n");
        h.run_str(&["hello", "2"]);
        assert_eq!(
            h.run_str(&["hrandfield", "one", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        let range = "-ERR value is out of range\r\n";
        assert_eq!(
            h.run_str(&["hrandfield", "one", "4611686018427387904", "withvalues"]),
            range
        );
        // Counts Redis would die trying to serve are refused.
        assert_eq!(
            h.run_str(&["hrandfield", "one", "-9223372036854775807"]),
            range
        );
        assert_eq!(
            h.run_str(&["hrandfield", "one", "1", "x"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["hrandfield", "one", "1", "withvalues", "x"]),
            "-ERR syntax error\r\n"
        );
        // Repeats are random, not stuck on one field.
        let fields: Vec<String> = (0..20).map(|i| format!("f{}", i)).collect();
        let mut argv = vec!["hset", "many"];
        for f in &fields {
            argv.push(f);
            argv.push("v");
        }
        h.run_str(&argv);
        let r = h.run_str(&["hrandfield", "many", "-200"]);
        let distinct: std::collections::HashSet<&str> =
            r.split("\r\n").filter(|l| l.starts_with('f')).collect();
        assert!(distinct.len() > 10, "{:?}", distinct);
        let r = h.run_str(&["hrandfield", "many", "10"]);
        let distinct: std::collections::HashSet<&str> =
            r.split("\r\n").filter(|l| l.starts_with('f')).collect();
        assert_eq!(distinct.len(), 10);
    }

    #[test]
    fn hscan_listpack_and_table() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["hscan", "nokey", "0"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        h.run_str(&["hset", "h", "a", "1", "b", "2", "ab", "3"]);
        assert_eq!(
            h.run_str(&["hscan", "h", "7", "match", "a*"]),
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nab\r\n$1\r\n3\r\n"
        );
        assert_eq!(
            h.run_str(&["hscan", "h", "0", "count", "0"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["hscan", "h", "0", "type", "hash"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["hscan", "h", "0", "match"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["hscan", "h", "0", "count", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        // A table is walked with the cursor until it comes back to 0.
        h.run_str(&["config", "set", "hash-max-listpack-entries", "1"]);
        for i in 0..300 {
            h.run_str(&["hset", "t", &format!("f{}", i), &i.to_string()]);
        }
        let mut cursor = "0".to_string();
        let mut seen = std::collections::HashSet::new();
        let mut calls = 0;
        loop {
            let r = h.run_str(&["hscan", "t", &cursor, "count", "20"]);
            let lines: Vec<&str> = r.split("\r\n").collect();
            cursor = lines[2].to_string();
            for pair in lines[4..].chunks(4) {
                if pair.len() == 4 {
                    seen.insert(pair[1].to_string());
                }
            }
            calls += 1;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 300);
        assert!(calls > 5, "{}", calls);
    }
}
