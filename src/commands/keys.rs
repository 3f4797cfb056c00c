//! Generic keyspace and expiry commands: DEL UNLINK EXISTS TYPE RENAME
//! RENAMENX COPY TOUCH KEYS SCAN RANDOMKEY OBJECT, the EXPIRE family, TTL
//! and friends, PERSIST, MOVE, SWAPDB, DBSIZE, FLUSHDB, FLUSHALL.
//!
//! Redis counterpart: `db.c` (keyspace commands, SCAN), `expire.c`
//! (EXPIRE/TTL command halves), `object.c` (OBJECT).

use super::args::{self, cstr, kw, parse_cursor};
use super::spec::{cmd, container, keys, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::commands::spec::acl;
use crate::config::notify;
use crate::db::Dict;
use crate::db::Discard;
use crate::errors::{self, CmdError, CmdResult};
use crate::resp::reply::Aggregate;
use crate::types::{SmallBytes, Value};
use crate::util::glob::GlobPattern;

const GEN: Group = Group::Generic;

pub static COMMANDS: &[CommandSpec] = &[
    cmd("copy", -3, WRITE | DENYOOM, keys(1, 2, 1), GEN, copy_command).doc("Copy a key", "6.2.0"),
    cmd("dbsize", 1, READONLY | FAST, NO_KEYS, GEN, dbsize_command).tips(&["request_policy:all_shards", "response_policy:agg_sum"]).doc(
        "Return the number of keys in the selected database",
        "1.0.0",
    ),
    cmd("del", -2, WRITE, keys(1, -1, 1), GEN, del_command).tips(&["request_policy:multi_shard", "response_policy:agg_sum"]).doc("Delete a key", "1.0.0"),
    cmd("exists", -2, READONLY | FAST, keys(1, -1, 1), GEN, exists_command).tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("Determine if a key exists", "1.0.0"),
    cmd("expire", -3, WRITE | FAST, keys(1, 1, 1), GEN, expire_command)
        .doc("Set a key's time to live in seconds", "1.0.0"),
    cmd("expireat", -3, WRITE | FAST, keys(1, 1, 1), GEN, expireat_command).doc(
        "Set the expiration for a key as a UNIX timestamp",
        "1.2.0",
    ),
    cmd("expiretime", 2, READONLY | FAST, keys(1, 1, 1), GEN, expiretime_command).doc(
        "Get the expiration Unix timestamp for a key",
        "7.0.0",
    ),
    cmd("flushall", -1, WRITE, NO_KEYS, GEN, flushall_command).tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .acl(acl::DANGEROUS)
        .doc("Remove all keys from all databases", "1.0.0"),
    cmd("flushdb", -1, WRITE, NO_KEYS, GEN, flushdb_command).tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .acl(acl::DANGEROUS)
        .doc("Remove all keys from the current database", "1.0.0"),
    cmd("keys", 2, READONLY, NO_KEYS, GEN, keys_command).tips(&["request_policy:all_shards", "nondeterministic_output_order"])
        .acl(acl::DANGEROUS)
        .doc("Find all keys matching the given pattern", "1.0.0"),
    cmd("move", 3, WRITE | FAST, keys(1, 1, 1), GEN, move_command)
        .doc("Move a key to another database", "1.0.0"),
    container("object", -2, GEN, OBJECT_SUBCOMMANDS)
        .doc("A container for object introspection commands", "2.2.3"),
    cmd("persist", 2, WRITE | FAST, keys(1, 1, 1), GEN, persist_command)
        .doc("Remove the expiration from a key", "2.2.0"),
    cmd("pexpire", -3, WRITE | FAST, keys(1, 1, 1), GEN, pexpire_command)
        .doc("Set a key's time to live in milliseconds", "2.6.0"),
    cmd("pexpireat", -3, WRITE | FAST, keys(1, 1, 1), GEN, pexpireat_command).doc(
        "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        "2.6.0",
    ),
    cmd("pexpiretime", 2, READONLY | FAST, keys(1, 1, 1), GEN, pexpiretime_command).doc(
        "Get the expiration Unix timestamp for a key in milliseconds",
        "7.0.0",
    ),
    cmd("pttl", 2, READONLY | FAST, keys(1, 1, 1), GEN, pttl_command).tips(&["nondeterministic_output"])
        .doc("Get the time to live for a key in milliseconds", "2.6.0"),
    cmd("randomkey", 1, READONLY, NO_KEYS, GEN, randomkey_command).tips(&["request_policy:all_shards", "nondeterministic_output"])
        .doc("Return a random key from the keyspace", "1.0.0"),
    cmd("rename", 3, WRITE, keys(1, 2, 1), GEN, rename_command).doc("Rename a key", "1.0.0"),
    cmd("renamenx", 3, WRITE | FAST, keys(1, 2, 1), GEN, renamenx_command).doc(
        "Rename a key, only if the new key does not exist",
        "1.0.0",
    ),
    cmd("scan", -2, READONLY, NO_KEYS, GEN, scan_command).tips(&["nondeterministic_output", "request_policy:special"])
        .doc("Incrementally iterate the keys space", "2.8.0"),
    cmd("swapdb", 3, WRITE | FAST, NO_KEYS, GEN, swapdb_command)
        .acl(acl::DANGEROUS)
        .doc("Swaps two Redis databases", "4.0.0"),
    cmd("touch", -2, READONLY | FAST, keys(1, -1, 1), GEN, touch_command).tips(&["request_policy:multi_shard", "response_policy:agg_sum"]).doc(
        "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        "3.2.1",
    ),
    cmd("ttl", 2, READONLY | FAST, keys(1, 1, 1), GEN, ttl_command).tips(&["nondeterministic_output"])
        .doc("Get the time to live for a key in seconds", "1.0.0"),
    cmd("type", 2, READONLY | FAST, keys(1, 1, 1), GEN, type_command)
        .doc("Determine the type stored at key", "1.0.0"),
    cmd("unlink", -2, WRITE | FAST, keys(1, -1, 1), GEN, unlink_command).tips(&["request_policy:multi_shard", "response_policy:agg_sum"]).doc(
        "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        "4.0.0",
    ),
];

static OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(
        "object|encoding",
        3,
        READONLY,
        keys(2, 2, 1),
        GEN,
        object_encoding_command,
    )
    .tips(&["nondeterministic_output"])
    .doc("Inspect the internal encoding of a Redis object", "2.2.3"),
    cmd(
        "object|freq",
        3,
        READONLY,
        keys(2, 2, 1),
        GEN,
        object_freq_command,
    )
    .tips(&["nondeterministic_output"])
    .doc(
        "Get the logarithmic access frequency counter of a Redis object",
        "4.0.0",
    ),
    cmd(
        "object|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        GEN,
        object_help_command,
    )
    .doc("Show helpful text about the different subcommands", "6.2.0"),
    cmd(
        "object|idletime",
        3,
        READONLY,
        keys(2, 2, 1),
        GEN,
        object_idletime_command,
    )
    .tips(&["nondeterministic_output"])
    .doc(
        "Get the time since a Redis object was last accessed",
        "2.2.3",
    ),
    cmd(
        "object|refcount",
        3,
        READONLY,
        keys(2, 2, 1),
        GEN,
        object_refcount_command,
    )
    .tips(&["nondeterministic_output"])
    .doc(
        "Get the number of references to the value of the key",
        "2.2.3",
    ),
];

const INT32_RANGE: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
const EXPIRE_NX_CONFLICT: &str =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
const EXPIRE_GT_LT_CONFLICT: &str = "ERR GT and LT options at the same time are not compatible";
const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
/// Redis's refcount of its shared objects (`OBJ_SHARED_REFCOUNT`).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Integers below this are Redis's shared integer objects.
const SHARED_INTEGERS: i64 = 10_000;

/// Parses a C `int` argument (Redis's `getIntFromObjectOrReply`).
fn int32(arg: &[u8]) -> Result<i64, CmdError> {
    let v = args::int(arg)?;
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        return Err(CmdError::msg(INT32_RANGE));
    }
    Ok(v)
}

/// Validates a database index (`selectDb`'s range check).
fn db_index(ctx: &Ctx, id: i64) -> Result<usize, CmdError> {
    if id < 0 || id as usize >= ctx.srv.keyspace.dbs.len() {
        return Err(CmdError::msg(errors::DB_INDEX_OUT_OF_RANGE));
    }
    Ok(id as usize)
}

/// A read lookup that leaves the access time alone (Redis's
/// `LOOKUP_NOTOUCH` reads: EXISTS, TYPE, TTL, OBJECT): expires a stale key
/// and counts a keyspace hit or miss. Returns the key's slot.
fn lookup_notouch(ctx: &mut Ctx, key: &[u8]) -> Option<u32> {
    let now = ctx.now_ms();
    let found = ctx.db().peek(key, now);
    if found.is_some() {
        ctx.srv.stats.keyspace_hits += 1;
    } else {
        ctx.srv.stats.keyspace_misses += 1;
    }
    found
}

/// Records the keys a command changed while counting one change, as Redis
/// does for RENAME and MOVE (`signalModifiedKey` per key, `dirty++` once).
fn keys_modified_once(ctx: &mut Ctx, keys: &[(usize, &[u8])]) {
    for &(db, key) in keys {
        ctx.srv.key_modified(db, key);
    }
    ctx.srv.dirty = ctx
        .srv
        .dirty
        .saturating_sub(keys.len().saturating_sub(1) as u64);
}

/// DEL key [key ...]
pub fn del_command(ctx: &mut Ctx) -> CmdResult {
    let lazy = ctx.srv.config.get_bool("lazyfree-lazy-user-del");
    delete_keys(ctx, lazy)
}

/// UNLINK key [key ...]
pub fn unlink_command(ctx: &mut Ctx) -> CmdResult {
    delete_keys(ctx, true)
}

/// Deletes the argument keys; with `lazy`, big values are freed on the
/// lazy-free thread instead of the reactor.
fn delete_keys(ctx: &mut Ctx, lazy: bool) -> CmdResult {
    let argv = ctx.argv;
    let now = ctx.now_ms();
    let mut deleted = 0;
    for &key in &argv[1..] {
        if let Some(old) = ctx.db().delete(key, now) {
            if lazy {
                ctx.srv.lazyfree.free_value(old);
            }
            ctx.key_modified(key);
            ctx.notify(notify::GENERIC, "del", key);
            deleted += 1;
        }
    }
    ctx.client.reply.int(deleted);
    Ok(())
}

/// EXISTS key [key ...]
pub fn exists_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let mut n = 0;
    for &key in &argv[1..] {
        if lookup_notouch(ctx, key).is_some() {
            n += 1;
        }
    }
    ctx.client.reply.int(n);
    Ok(())
}

/// TOUCH key [key ...]
pub fn touch_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let db = ctx.client.db;
    let mut n = 0;
    for &key in &argv[1..] {
        if ctx.srv.lookup_read(db, key).is_some() {
            n += 1;
        }
    }
    ctx.client.reply.int(n);
    Ok(())
}

/// TYPE key
pub fn type_command(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv[1];
    let name = match lookup_notouch(ctx, key) {
        Some(i) => ctx.db().dict.value_at(i).value_type().name(),
        None => "none",
    };
    ctx.client.reply.simple(name.as_bytes());
    Ok(())
}

/// DBSIZE
pub fn dbsize_command(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db().len();
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// RANDOMKEY
pub fn randomkey_command(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now_ms();
    let db = &mut ctx.srv.keyspace.dbs[ctx.client.db];
    // `random_key` may give up on a table of mostly expired keys and hand
    // back a stale one; `peek` deletes it then, so every round either
    // answers or removes a key.
    loop {
        let Some(key) = db.random_key(now) else {
            ctx.client.reply.null();
            return Ok(());
        };
        if db.peek(&key, now).is_some() {
            ctx.client.reply.bulk(&key);
            return Ok(());
        }
    }
}

/// KEYS pattern
pub fn keys_command(ctx: &mut Ctx) -> CmdResult {
    let pattern = ctx.arg(1);
    let all = pattern == b"*";
    let glob = GlobPattern::new(pattern, false);
    let now = ctx.now_ms();
    let db = &ctx.srv.keyspace.dbs[ctx.client.db];
    let reply = &mut ctx.client.reply;
    let len = reply.deferred_len();
    let mut n = 0;
    for (slot, key, _) in db.dict.iter() {
        if !(all || glob.matches(key)) {
            continue;
        }
        // Like Redis, KEYS skips logically expired keys without deleting.
        if db.dict.flag(slot) && db.expire_of(key).is_some_and(|when| when <= now) {
            continue;
        }
        reply.bulk(key);
        n += 1;
    }
    reply.set_deferred_len(len, Aggregate::Array, n);
    Ok(())
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub fn scan_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let mut cursor = parse_cursor(argv[1])?;
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < argv.len() {
        let has_value = argv.len() - i >= 2;
        if kw(argv[i], "count") && has_value {
            count = args::int(argv[i + 1])?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if kw(argv[i], "match") && has_value {
            // The bare "*" matches everything, the empty key included.
            pattern = (argv[i + 1] != b"*").then_some(argv[i + 1]);
        } else if kw(argv[i], "type") && has_value {
            type_name = Some(cstr(argv[i + 1]));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }

    // Visit buckets until about COUNT keys were seen or 10×COUNT buckets
    // were visited (empty buckets make progress too).
    let dbi = ctx.client.db;
    let mut found: Vec<SmallBytes> = Vec::new();
    {
        let dict = &ctx.srv.keyspace.dbs[dbi].dict;
        let mut budget = count.saturating_mul(10);
        loop {
            cursor = dict.scan_step(cursor, |slot| found.push(dict.entry_at(slot).0.clone()));
            if cursor == 0 || budget == 0 {
                break;
            }
            budget -= 1;
            if found.len() as i64 >= count {
                break;
            }
        }
    }

    // Filter: pattern first, then type, then expiry (which deletes).
    let glob = pattern.map(|p| GlobPattern::new(p, false));
    let now = ctx.now_ms();
    found.retain(|key| {
        if glob.as_ref().is_some_and(|g| !g.matches(key)) {
            return false;
        }
        let db = &mut ctx.srv.keyspace.dbs[dbi];
        if let Some(wanted) = type_name {
            // A key this lookup finds expired (and deletes) has type
            // "none"; the expiry check below then no longer sees it, so
            // Redis returns it for TYPE none. Kept for identical replies.
            let actual = match db.peek(key, now) {
                Some(slot) => {
                    ctx.srv.stats.keyspace_hits += 1;
                    db.dict.value_at(slot).value_type().name()
                }
                None => {
                    ctx.srv.stats.keyspace_misses += 1;
                    "none"
                }
            };
            if !wanted.eq_ignore_ascii_case(actual.as_bytes()) {
                return false;
            }
        }
        if db.expire_of(key).is_some_and(|when| when <= now) {
            // Expired: `peek` deletes it, as Redis's expireIfNeeded does.
            let _ = db.peek(key, now);
            return false;
        }
        true
    });

    let reply = &mut ctx.client.reply;
    reply.array_len(2);
    let mut digits = Vec::with_capacity(20);
    crate::util::numfmt::push_u64(&mut digits, cursor);
    reply.bulk(&digits);
    reply.array_len(found.len());
    for key in &found {
        reply.bulk(key);
    }
    Ok(())
}

/// RENAME key newkey
pub fn rename_command(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, false)
}

/// RENAMENX key newkey
pub fn renamenx_command(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, true)
}

fn rename_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    let (src, dst) = (ctx.argv[1], ctx.argv[2]);
    let now = ctx.now_ms();
    let dbi = ctx.client.db;
    let db = &mut ctx.srv.keyspace.dbs[dbi];
    if db.find_live(src, now).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        if nx {
            ctx.client.reply.int(0);
        } else {
            ctx.client.reply.ok();
        }
        return Ok(());
    }
    let expire = db.expire_of(src);
    if db.find_live(dst, now).is_some() {
        if nx {
            ctx.client.reply.int(0);
            return Ok(());
        }
        db.discard(dst, Discard::ServerDel);
    }
    let Some(value) = db.remove(src) else {
        return Err(CmdError::NoSuchKey);
    };
    db.insert_new(dst, value);
    if let Some(when) = expire {
        db.set_expire(dst, when);
    }
    keys_modified_once(ctx, &[(dbi, src), (dbi, dst)]);
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    if nx {
        ctx.client.reply.int(1);
    } else {
        ctx.client.reply.ok();
    }
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE]
pub fn copy_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let src_db = ctx.client.db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < argv.len() {
        if kw(argv[j], "replace") {
            replace = true;
        } else if kw(argv[j], "db") && j + 1 < argv.len() {
            let id = int32(argv[j + 1])?;
            dst_db = db_index(ctx, id)?;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let (key, newkey) = (argv[1], argv[2]);
    if src_db == dst_db && key == newkey {
        return Err(CmdError::msg(errors::SAME_OBJECT));
    }
    let Some(value) = ctx.srv.lookup_read(src_db, key).cloned() else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let now = ctx.now_ms();
    let expire = ctx.srv.keyspace.dbs[src_db].expire_of(key);
    let dst = &mut ctx.srv.keyspace.dbs[dst_db];
    if dst.find_live(newkey, now).is_some() {
        if !replace {
            ctx.client.reply.int(0);
            return Ok(());
        }
        dst.discard(newkey, Discard::ServerDel);
    }
    dst.insert_new(newkey, value);
    if let Some(when) = expire {
        dst.set_expire(newkey, when);
    }
    ctx.srv.key_modified(dst_db, newkey);
    ctx.notify_db(notify::GENERIC, "copy_to", newkey, dst_db);
    ctx.client.reply.int(1);
    Ok(())
}

/// MOVE key db
pub fn move_command(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv[1];
    let id = int32(ctx.argv[2])?;
    let dst_db = db_index(ctx, id)?;
    let src_db = ctx.client.db;
    if dst_db == src_db {
        return Err(CmdError::msg(errors::SAME_OBJECT));
    }
    let now = ctx.now_ms();
    let dbs = &mut ctx.srv.keyspace.dbs;
    if dbs[src_db].find_live(key, now).is_none() {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let expire = dbs[src_db].expire_of(key);
    if dbs[dst_db].find_live(key, now).is_some() {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let Some(value) = dbs[src_db].remove(key) else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    dbs[dst_db].insert_new(key, value);
    if let Some(when) = expire {
        dbs[dst_db].set_expire(key, when);
    }
    keys_modified_once(ctx, &[(src_db, key), (dst_db, key)]);
    ctx.notify_db(notify::GENERIC, "move_from", key, src_db);
    ctx.notify_db(notify::GENERIC, "move_to", key, dst_db);
    ctx.client.reply.int(1);
    Ok(())
}

/// SWAPDB index1 index2
pub fn swapdb_command(ctx: &mut Ctx) -> CmdResult {
    let parse = |arg: &[u8], err: &'static str| match args::int(arg) {
        Ok(v) if (i32::MIN as i64..=i32::MAX as i64).contains(&v) => Ok(v),
        _ => Err(CmdError::msg(err)),
    };
    let id1 = parse(ctx.argv[1], "ERR invalid first DB index")?;
    let id2 = parse(ctx.argv[2], "ERR invalid second DB index")?;
    let a = db_index(ctx, id1)?;
    let b = db_index(ctx, id2)?;
    let now = ctx.now_ms();
    ctx.srv
        .watch
        .touch_swapped(a, b, &ctx.srv.keyspace.dbs, now);
    // Clients keep their db number, so they now see the other dataset.
    ctx.srv.keyspace.dbs.swap(a, b);
    ctx.srv.dirty += 1;
    // Clients blocked in either db may now find data (Redis's
    // scanDatabaseForReadyKeys after SWAPDB).
    ctx.srv.blocking.signal_db(a);
    ctx.srv.blocking.signal_db(b);
    ctx.client.reply.ok();
    Ok(())
}

/// Parses FLUSHDB/FLUSHALL's optional ASYNC|SYNC; true for ASYNC.
fn flush_mode(ctx: &Ctx) -> Result<bool, CmdError> {
    match ctx.argc() {
        1 => Ok(ctx.srv.config.get_bool("lazyfree-lazy-user-flush")),
        2 if kw(ctx.arg(1), "sync") => Ok(false),
        2 if kw(ctx.arg(1), "async") => Ok(true),
        _ => Err(CmdError::Syntax),
    }
}

/// Empties a database, resetting its expiry statistics as Redis's
/// `emptyData` does; returns the old table.
fn clear_db(db: &mut crate::db::Db) -> Dict<Value> {
    db.avg_ttl = 0;
    db.expire_cursor = 0;
    db.clear()
}

/// FLUSHDB [ASYNC|SYNC]
pub fn flushdb_command(ctx: &mut Ctx) -> CmdResult {
    let asynchronous = flush_mode(ctx)?;
    let dbi = ctx.client.db;
    ctx.srv.watch.touch_flushed(dbi, &ctx.srv.keyspace.dbs[dbi]);
    crate::server::tracking::invalidate_all(ctx.srv);
    let old = clear_db(ctx.db());
    ctx.srv.dirty += old.len() as u64;
    ctx.srv.lazyfree.free_table(old, asynchronous);
    // Propagated even when the database was already empty, as Redis.
    let argv = ctx.argv;
    ctx.propagate_as(argv);
    ctx.client.reply.ok();
    Ok(())
}

/// FLUSHALL [ASYNC|SYNC]
pub fn flushall_command(ctx: &mut Ctx) -> CmdResult {
    let asynchronous = flush_mode(ctx)?;
    for (i, db) in ctx.srv.keyspace.dbs.iter().enumerate() {
        ctx.srv.watch.touch_flushed(i, db);
    }
    crate::server::tracking::invalidate_all(ctx.srv);
    let old: Vec<Dict<Value>> = ctx.srv.keyspace.dbs.iter_mut().map(clear_db).collect();
    let removed: usize = old.iter().map(|t| t.len()).sum();
    ctx.srv.dirty += removed as u64;
    for t in old {
        ctx.srv.lazyfree.free_table(t, asynchronous);
    }
    // Kills a BGSAVE child; with save points, saves the empty dataset.
    crate::persistence::bgsave::after_flushall(ctx.srv);
    // Propagated even when nothing was deleted (Redis forces it).
    let argv = ctx.argv;
    ctx.propagate_as(argv);
    ctx.client.reply.ok();
    Ok(())
}

/// EXPIRE key seconds [NX|XX|GT|LT]
pub fn expire_command(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now_ms();
    expire_generic(ctx, now, true)
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
pub fn pexpire_command(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now_ms();
    expire_generic(ctx, now, false)
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
pub fn expireat_command(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, true)
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
pub fn pexpireat_command(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, false)
}

/// The EXPIRE conditions.
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn expire_flags(argv: &[&[u8]]) -> Result<ExpireFlags, CmdError> {
    let mut f = ExpireFlags::default();
    for &opt in argv.iter().skip(3) {
        if kw(opt, "nx") {
            f.nx = true;
        } else if kw(opt, "xx") {
            f.xx = true;
        } else if kw(opt, "gt") {
            f.gt = true;
        } else if kw(opt, "lt") {
            f.lt = true;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(cstr(opt))
            )));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(CmdError::msg(EXPIRE_NX_CONFLICT));
    }
    if f.gt && f.lt {
        return Err(CmdError::msg(EXPIRE_GT_LT_CONFLICT));
    }
    Ok(f)
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: the time argument in seconds
/// (`seconds`) or ms, relative to `base` (unix ms; 0 for the *AT forms).
fn expire_generic(ctx: &mut Ctx, base: i64, seconds: bool) -> CmdResult {
    let argv = ctx.argv;
    let flags = expire_flags(argv)?;
    let mut when = args::int(argv[2])?;
    let name = ctx.cmd.name;
    let invalid = || CmdError::owned(format!("ERR invalid expire time in '{}' command", name));
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    if when > i64::MAX - base {
        return Err(invalid());
    }
    when += base;

    let key = argv[1];
    let now = ctx.now_ms();
    let db = &mut ctx.srv.keyspace.dbs[ctx.client.db];
    if db.find_live(key, now).is_none() {
        ctx.client.reply.int(0);
        return Ok(());
    }
    // A key without a TTL counts as an infinite one for GT and LT.
    let current = db.expire_of(key);
    let refused = (flags.nx && current.is_some())
        || (flags.xx && current.is_none())
        || (flags.gt && current.is_none_or(|c| when <= c))
        || (flags.lt && current.is_some_and(|c| when >= c));
    if refused {
        ctx.client.reply.int(0);
        return Ok(());
    }
    if when <= now {
        db.discard(key, Discard::Expire);
        let del = crate::server::propagate::expired_key_del(ctx.srv);
        ctx.propagate_as(&[del, key]);
    } else {
        db.set_expire(key, when);
        if ctx.propagating() {
            // Replayed as an absolute time, flags kept, as Redis does.
            let at = when.to_string();
            let mut rewritten: Vec<&[u8]> = vec![b"PEXPIREAT", key, at.as_bytes()];
            rewritten.extend_from_slice(&argv[3..]);
            ctx.propagate_as(&rewritten);
        }
    }
    ctx.key_modified(key);
    // Redis notifies a deletion before the reply, a new TTL after it.
    let pos = ctx.client.reply.buf.len();
    ctx.client.reply.int(1);
    if when <= now {
        ctx.notify_at(pos, notify::GENERIC, "del", key);
    } else {
        ctx.notify(notify::GENERIC, "expire", key);
    }
    Ok(())
}

/// TTL key
pub fn ttl_command(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, false)
}

/// PTTL key
pub fn pttl_command(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, false)
}

/// EXPIRETIME key
pub fn expiretime_command(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, true)
}

/// PEXPIRETIME key
pub fn pexpiretime_command(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// -2 for a missing key, -1 without a TTL, else the remaining time (or the
/// absolute expiry time with `absolute`), in ms or rounded seconds.
fn ttl_generic(ctx: &mut Ctx, ms: bool, absolute: bool) -> CmdResult {
    let key = ctx.argv[1];
    if lookup_notouch(ctx, key).is_none() {
        ctx.client.reply.int(-2);
        return Ok(());
    }
    let now = ctx.now_ms();
    let Some(when) = ctx.db().expire_of(key) else {
        ctx.client.reply.int(-1);
        return Ok(());
    };
    let t = if absolute {
        when
    } else {
        when.saturating_sub(now).max(0)
    };
    let out = if ms {
        t
    } else {
        // Computed wide: Redis's (t + 500) / 1000 near i64::MAX gives the
        // rounded value, not a wrapped one.
        ((t as i128 + 500) / 1000) as i64
    };
    ctx.client.reply.int(out);
    Ok(())
}

/// PERSIST key
pub fn persist_command(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv[1];
    let now = ctx.now_ms();
    let db = ctx.db();
    if db.find_live(key, now).is_some() && db.persist(key) {
        ctx.key_modified(key);
        ctx.notify(notify::GENERIC, "persist", key);
        ctx.client.reply.int(1);
    } else {
        ctx.client.reply.int(0);
    }
    Ok(())
}

/// The slot of OBJECT's key, or None after replying null.
fn object_lookup(ctx: &mut Ctx) -> Option<u32> {
    let key = ctx.argv[2];
    let found = lookup_notouch(ctx, key);
    if found.is_none() {
        ctx.client.reply.null();
    }
    found
}

/// OBJECT ENCODING key
pub fn object_encoding_command(ctx: &mut Ctx) -> CmdResult {
    if let Some(slot) = object_lookup(ctx) {
        let enc = ctx.db().dict.value_at(slot).encoding();
        ctx.client.reply.bulk(enc.as_bytes());
    }
    Ok(())
}

/// OBJECT REFCOUNT key
pub fn object_refcount_command(ctx: &mut Ctx) -> CmdResult {
    if let Some(slot) = object_lookup(ctx) {
        let v = ctx.db().dict.value_at(slot);
        // Redis stores small non-negative integers as shared objects
        // (no maxmemory policy here forbids it); everything else is
        // referenced once. (A COPY of a small int is unshared in Redis.)
        let n = match v {
            Value::Int(n) if (0..SHARED_INTEGERS).contains(n) => SHARED_REFCOUNT,
            _ => 1,
        };
        ctx.client.reply.int(n);
    }
    Ok(())
}

/// OBJECT IDLETIME key
pub fn object_idletime_command(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now_ms();
    if let Some(slot) = object_lookup(ctx) {
        if ctx.db().policy.lfu {
            return Err(CmdError::msg(LFU_SELECTED));
        }
        let idle = ctx.db().idle_secs(slot, now);
        ctx.client.reply.int(idle as i64);
    }
    Ok(())
}

/// OBJECT FREQ key
pub fn object_freq_command(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now_ms();
    if let Some(slot) = object_lookup(ctx) {
        if !ctx.db().policy.lfu {
            return Err(CmdError::msg(LFU_NOT_SELECTED));
        }
        let freq = ctx.db().frequency(slot, now);
        ctx.client.reply.int(freq as i64);
    }
    Ok(())
}

/// OBJECT HELP
pub fn object_help_command(ctx: &mut Ctx) -> CmdResult {
    const HELP: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    let reply = &mut ctx.client.reply;
    reply.array_len(HELP.len());
    for line in HELP {
        reply.simple(line.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    fn int(n: i64) -> String {
        format!(":{}\r\n", n)
    }

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    /// A harness whose keyspace LRU clock is set (`Harness::new` leaves it
    /// at 0 until the clock first moves, which skews OBJECT IDLETIME).
    fn harness() -> Harness {
        let mut h = Harness::new();
        h.advance_ms(0);
        h
    }

    const NULL: &str = "$-1\r\n";
    const OK: &str = "+OK\r\n";

    fn set(h: &mut Harness, k: &str, v: &str) {
        assert_eq!(h.run_str(&["set", k, v]), OK);
    }

    /// Runs SCAN to completion with `extra` options; returns every key
    /// seen (with repeats) and the number of calls.
    fn scan_all(h: &mut Harness, extra: &[&str]) -> (Vec<String>, usize) {
        let mut cursor = "0".to_string();
        let mut keys = Vec::new();
        let mut calls = 0;
        loop {
            let mut args = vec!["scan", cursor.as_str()];
            args.extend_from_slice(extra);
            let r = h.run(&args);
            calls += 1;
            let (next, mut batch) = parse_scan(&r);
            keys.append(&mut batch);
            cursor = next;
            if cursor == "0" {
                return (keys, calls);
            }
        }
    }

    fn parse_scan(r: &[u8]) -> (String, Vec<String>) {
        let s = String::from_utf8_lossy(r).into_owned();
        let mut lines = s.split("\r\n");
        assert_eq!(lines.next(), Some("*2"));
        lines.next();
        let cursor = lines.next().unwrap().to_string();
        let n: usize = lines.next().unwrap()[1..].parse().unwrap();
        let mut keys = Vec::new();
        for _ in 0..n {
            lines.next();
            keys.push(lines.next().unwrap().to_string());
        }
        (cursor, keys)
    }

    fn sorted_array(r: &[u8]) -> Vec<String> {
        let s = String::from_utf8_lossy(r).into_owned();
        let mut lines = s.split("\r\n");
        let n: usize = lines.next().unwrap()[1..].parse().unwrap();
        let mut v: Vec<String> = (0..n)
            .map(|_| {
                lines.next();
                lines.next().unwrap().to_string()
            })
            .collect();
        v.sort();
        v
    }

    /// Objects handed to the lazy-free thread so far, once it is idle.
    fn lazily_freed(h: &Harness) -> u64 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while h.srv.lazyfree.pending() > 0 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        h.srv.lazyfree.freed()
    }

    fn big_set(h: &mut Harness, key: &str) {
        let mut args = vec!["sadd".to_string(), key.to_string()];
        args.extend((0..200).map(|i| format!("m{}", i)));
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        assert_eq!(h.run_str(&args), int(200));
    }

    #[test]
    fn lazyfree_lazy_server_del_frees_overwritten_and_replaced_values_off_thread() {
        let mut h = harness();
        // Off (the default): an overwrite frees inline.
        big_set(&mut h, "s");
        set(&mut h, "s", "x");
        assert_eq!(lazily_freed(&h), 0);
        assert_eq!(
            h.run_str(&["config", "set", "lazyfree-lazy-server-del", "yes"]),
            "+OK\r\n"
        );
        assert_eq!(h.run_str(&["del", "s"]), int(1));
        big_set(&mut h, "s");
        set(&mut h, "s", "x");
        assert_eq!(lazily_freed(&h), 1);
        // A RENAME destination, a *STORE destination.
        big_set(&mut h, "a");
        big_set(&mut h, "b");
        assert_eq!(h.run_str(&["rename", "a", "b"]), "+OK\r\n");
        assert_eq!(lazily_freed(&h), 2);
        big_set(&mut h, "c");
        assert_eq!(
            h.run_str(&["sunionstore", "c", "s"]),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        assert_eq!(h.run_str(&["sunionstore", "c", "nokey"]), int(0));
        assert_eq!(lazily_freed(&h), 3);
        // Small values are never worth a trip to the thread.
        assert_eq!(h.run_str(&["sadd", "small", "1", "2"]), int(2));
        set(&mut h, "small", "x");
        assert_eq!(lazily_freed(&h), 3);
        // Explicit DEL is governed by lazyfree-lazy-user-del, not this.
        big_set(&mut h, "d");
        assert_eq!(h.run_str(&["del", "d"]), int(1));
        assert_eq!(lazily_freed(&h), 3);
    }

    #[test]
    fn lazyfree_lazy_expire_frees_expired_values_off_thread() {
        let mut h = harness();
        big_set(&mut h, "s");
        assert_eq!(h.run_str(&["pexpire", "s", "10"]), int(1));
        h.advance_ms(20);
        assert_eq!(h.run_str(&["exists", "s"]), int(0));
        assert_eq!(lazily_freed(&h), 0);
        assert_eq!(
            h.run_str(&["config", "set", "lazyfree-lazy-expire", "yes"]),
            "+OK\r\n"
        );
        big_set(&mut h, "s");
        assert_eq!(h.run_str(&["pexpire", "s", "10"]), int(1));
        h.advance_ms(20);
        assert_eq!(h.run_str(&["scard", "s"]), int(0));
        assert_eq!(lazily_freed(&h), 1);
        // EXPIRE into the past deletes at once, under the same directive.
        big_set(&mut h, "t");
        assert_eq!(h.run_str(&["expire", "t", "-1"]), int(1));
        assert_eq!(lazily_freed(&h), 2);
    }

    #[test]
    fn del_unlink_exists() {
        let mut h = harness();
        set(&mut h, "a", "1");
        set(&mut h, "b", "2");
        set(&mut h, "c", "3");
        assert_eq!(h.run_str(&["exists", "a", "a", "b", "nokey"]), int(3));
        assert_eq!(h.run_str(&["del", "a", "a", "nokey"]), int(1));
        assert_eq!(h.run_str(&["exists", "a"]), int(0));
        assert_eq!(h.run_str(&["unlink", "b", "c", "c"]), int(2));
        assert_eq!(h.run_str(&["dbsize"]), int(0));
        assert_eq!(
            h.run_str(&["del"]),
            "-ERR wrong number of arguments for 'del' command\r\n"
        );
        assert_eq!(
            h.run_str(&["unlink"]),
            "-ERR wrong number of arguments for 'unlink' command\r\n"
        );
        assert_eq!(
            h.run_str(&["exists"]),
            "-ERR wrong number of arguments for 'exists' command\r\n"
        );
        // Binary keys.
        h.run_bytes(&[b"set", b"k\x00\xff", b"v"]);
        assert_eq!(h.run_bytes(&[b"exists", b"k\x00\xff"]), b":1\r\n");
        assert_eq!(h.run_bytes(&[b"exists", b"k"]), b":0\r\n");
        assert_eq!(h.run_bytes(&[b"del", b"k\x00\xff"]), b":1\r\n");
    }

    #[test]
    fn del_counts_changes_and_skips_expired() {
        let mut h = harness();
        set(&mut h, "a", "1");
        set(&mut h, "b", "1");
        h.run_str(&["pexpire", "b", "10"]);
        h.advance_ms(20);
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["del", "a", "b"]), int(1));
        assert_eq!(h.srv.dirty, dirty + 1);
        assert_eq!(h.run_str(&["dbsize"]), int(0));
    }

    #[test]
    fn exists_and_type_count_hits_and_misses() {
        let mut h = harness();
        set(&mut h, "a", "1");
        let (hits, misses) = (h.srv.stats.keyspace_hits, h.srv.stats.keyspace_misses);
        h.run_str(&["exists", "a", "a", "x"]);
        h.run_str(&["type", "a"]);
        assert_eq!(h.srv.stats.keyspace_hits, hits + 3);
        assert_eq!(h.srv.stats.keyspace_misses, misses + 1);
    }

    #[test]
    fn type_touch_dbsize() {
        let mut h = harness();
        set(&mut h, "s", "hello");
        assert_eq!(h.run_str(&["type", "s"]), "+string\r\n");
        assert_eq!(h.run_str(&["type", "nokey"]), "+none\r\n");
        assert_eq!(
            h.run_str(&["type", "a", "b"]),
            "-ERR wrong number of arguments for 'type' command\r\n"
        );
        assert_eq!(h.run_str(&["touch", "s", "s", "nokey"]), int(2));
        assert_eq!(
            h.run_str(&["touch"]),
            "-ERR wrong number of arguments for 'touch' command\r\n"
        );
        assert_eq!(h.run_str(&["dbsize"]), int(1));
        assert_eq!(
            h.run_str(&["dbsize", "x"]),
            "-ERR wrong number of arguments for 'dbsize' command\r\n"
        );
        h.run_str(&["pexpire", "s", "5"]);
        h.advance_ms(10);
        assert_eq!(h.run_str(&["type", "s"]), "+none\r\n");
    }

    #[test]
    fn touch_updates_idle_time_but_type_does_not() {
        let mut h = harness();
        set(&mut h, "k", "v");
        h.advance_ms(5000);
        h.run_str(&["type", "k"]);
        h.run_str(&["exists", "k"]);
        h.run_str(&["ttl", "k"]);
        let idle = h.run_str(&["object", "idletime", "k"]);
        assert!(
            idle == int(5) || idle == int(4) || idle == int(6),
            "{}",
            idle
        );
        assert_eq!(h.run_str(&["touch", "k"]), int(1));
        assert_eq!(h.run_str(&["object", "idletime", "k"]), int(0));
        h.advance_ms(3000);
        h.run_str(&["get", "k"]);
        assert_eq!(h.run_str(&["object", "idletime", "k"]), int(0));
    }

    #[test]
    fn rename_and_renamenx() {
        let mut h = harness();
        assert_eq!(h.run_str(&["rename", "nokey", "x"]), "-ERR no such key\r\n");
        assert_eq!(
            h.run_str(&["rename", "nokey", "nokey"]),
            "-ERR no such key\r\n"
        );
        assert_eq!(
            h.run_str(&["renamenx", "nokey", "x"]),
            "-ERR no such key\r\n"
        );
        set(&mut h, "k", "v");
        assert_eq!(h.run_str(&["rename", "k", "k"]), OK);
        assert_eq!(h.run_str(&["renamenx", "k", "k"]), int(0));
        assert_eq!(h.run_str(&["rename", "k", "k2"]), OK);
        assert_eq!(h.run_str(&["exists", "k"]), int(0));
        assert_eq!(h.run_str(&["get", "k2"]), bulk("v"));
        set(&mut h, "other", "x");
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["rename", "k2", "other"]), OK);
        assert_eq!(h.srv.dirty, dirty + 1);
        assert_eq!(h.run_str(&["get", "other"]), bulk("v"));
        set(&mut h, "k3", "v3");
        assert_eq!(h.run_str(&["renamenx", "other", "k3"]), int(0));
        assert_eq!(h.run_str(&["renamenx", "other", "k4"]), int(1));
        assert_eq!(h.run_str(&["get", "k4"]), bulk("v"));
        assert_eq!(h.run_str(&["dbsize"]), int(2));
        assert_eq!(
            h.run_str(&["rename", "a"]),
            "-ERR wrong number of arguments for 'rename' command\r\n"
        );
        assert_eq!(
            h.run_str(&["renamenx", "a", "b", "c"]),
            "-ERR wrong number of arguments for 'renamenx' command\r\n"
        );
    }

    #[test]
    fn rename_moves_the_ttl_and_drops_the_target_ttl() {
        let mut h = harness();
        set(&mut h, "src", "v");
        h.run_str(&["expire", "src", "100"]);
        set(&mut h, "dst", "old");
        h.run_str(&["expire", "dst", "5"]);
        assert_eq!(h.run_str(&["rename", "src", "dst"]), OK);
        assert_eq!(h.run_str(&["ttl", "dst"]), int(100));
        set(&mut h, "plain", "p");
        assert_eq!(h.run_str(&["rename", "plain", "dst"]), OK);
        assert_eq!(h.run_str(&["ttl", "dst"]), int(-1));
        // An expired source is gone; an expired target counts as absent.
        set(&mut h, "gone", "v");
        h.run_str(&["pexpire", "gone", "10"]);
        set(&mut h, "tgt", "v");
        h.run_str(&["pexpire", "tgt", "10"]);
        h.advance_ms(20);
        assert_eq!(h.run_str(&["rename", "gone", "x"]), "-ERR no such key\r\n");
        assert_eq!(h.run_str(&["renamenx", "dst", "tgt"]), int(1));
    }

    #[test]
    fn copy_command_paths() {
        let mut h = harness();
        set(&mut h, "x", "5");
        assert_eq!(h.run_str(&["copy", "x", "y"]), int(1));
        assert_eq!(h.run_str(&["get", "y"]), bulk("5"));
        assert_eq!(h.run_str(&["copy", "x", "y"]), int(0));
        assert_eq!(h.run_str(&["copy", "x", "y", "REPLACE"]), int(1));
        assert_eq!(
            h.run_str(&["copy", "x", "x"]),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(
            h.run_str(&["copy", "nokey", "nokey", "db", "0"]),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(h.run_str(&["copy", "nokey", "y"]), int(0));
        assert_eq!(h.run_str(&["copy", "x", "y", "z"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run_str(&["copy", "x", "y", "db"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["copy", "x", "y", "db", "abc"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["copy", "x", "y", "db", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["copy", "x", "y", "db", "-1"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["copy", "x", "y", "db", "99999999999"]),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
        );
        assert_eq!(
            h.run_str(&["copy", "x", "y", "foo", "db", "abc"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run_str(&["copy", "x", "x", "db", "1"]), int(1));
        assert_eq!(h.run_str(&["copy", "x", "x", "db", "1"]), int(0));
        assert_eq!(h.run_str(&["copy", "x", "x", "db", "1", "replace"]), int(1));
        assert_eq!(h.run_str(&["select", "1"]), OK);
        assert_eq!(h.run_str(&["get", "x"]), bulk("5"));
        assert_eq!(h.run_str(&["select", "0"]), OK);
        // Last DB option wins; the TTL is copied.
        h.run_str(&["expire", "x", "100"]);
        assert_eq!(h.run_str(&["copy", "x", "z", "db", "2", "db", "0"]), int(1));
        assert_eq!(h.run_str(&["ttl", "z"]), int(100));
        // Encoding is kept: a raw string stays raw.
        set(&mut h, "long", &"a".repeat(50));
        assert_eq!(h.run_str(&["copy", "long", "long2"]), int(1));
        assert_eq!(h.run_str(&["object", "encoding", "long2"]), bulk("raw"));
        assert_eq!(
            h.run_str(&["copy", "x"]),
            "-ERR wrong number of arguments for 'copy' command\r\n"
        );
    }

    #[test]
    fn move_command_paths() {
        let mut h = harness();
        set(&mut h, "m", "1");
        assert_eq!(
            h.run_str(&["move", "m", "0"]),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(
            h.run_str(&["move", "nokey", "0"]),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(
            h.run_str(&["move", "m", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["move", "m", "abc"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["move", "m", "99999999999"]),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
        );
        assert_eq!(h.run_str(&["move", "nokey", "1"]), int(0));
        h.run_str(&["expire", "m", "100"]);
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["move", "m", "1"]), int(1));
        assert_eq!(h.srv.dirty, dirty + 1);
        assert_eq!(h.run_str(&["exists", "m"]), int(0));
        h.run_str(&["select", "1"]);
        assert_eq!(h.run_str(&["get", "m"]), bulk("1"));
        assert_eq!(h.run_str(&["ttl", "m"]), int(100));
        h.run_str(&["select", "0"]);
        set(&mut h, "m", "here");
        assert_eq!(h.run_str(&["move", "m", "1"]), int(0));
        assert_eq!(h.run_str(&["get", "m"]), bulk("here"));
    }

    #[test]
    fn swapdb_paths() {
        let mut h = harness();
        set(&mut h, "in0", "zero");
        h.run_str(&["select", "1"]);
        set(&mut h, "in1", "one");
        h.run_str(&["select", "0"]);
        assert_eq!(h.run_str(&["swapdb", "0", "1"]), OK);
        assert_eq!(h.run_str(&["get", "in0"]), NULL);
        assert_eq!(h.run_str(&["get", "in1"]), bulk("one"));
        assert_eq!(h.run_str(&["swapdb", "0", "0"]), OK);
        assert_eq!(h.run_str(&["get", "in1"]), bulk("one"));
        assert_eq!(
            h.run_str(&["swapdb", "0", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["swapdb", "-1", "0"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["swapdb", "a", "0"]),
            "-ERR invalid first DB index\r\n"
        );
        assert_eq!(
            h.run_str(&["swapdb", "0", "a"]),
            "-ERR invalid second DB index\r\n"
        );
        assert_eq!(
            h.run_str(&["swapdb", "99999999999", "a"]),
            "-ERR invalid first DB index\r\n"
        );
        assert_eq!(
            h.run_str(&["swapdb", "0", "99999999999"]),
            "-ERR invalid second DB index\r\n"
        );
        assert_eq!(
            h.run_str(&["swapdb", "0"]),
            "-ERR wrong number of arguments for 'swapdb' command\r\n"
        );
    }

    #[test]
    fn keys_patterns_and_expired_keys() {
        let mut h = harness();
        assert_eq!(h.run_str(&["keys", "*"]), "*0\r\n");
        for k in ["hello", "hallo", "hxllo", "hllo", "foo", ""] {
            set(&mut h, k, "1");
        }
        assert_eq!(
            sorted_array(&h.run(&["keys", "*"])),
            ["", "foo", "hallo", "hello", "hllo", "hxllo"]
        );
        // Only the bare "*" matches the empty key.
        assert_eq!(
            sorted_array(&h.run(&["keys", "**"])),
            ["foo", "hallo", "hello", "hllo", "hxllo"]
        );
        assert_eq!(sorted_array(&h.run(&["keys", ""])), [""]);
        assert_eq!(
            sorted_array(&h.run(&["keys", "h?llo"])),
            ["hallo", "hello", "hxllo"]
        );
        assert_eq!(
            sorted_array(&h.run(&["keys", "h[^e]llo"])),
            ["hallo", "hxllo"]
        );
        assert_eq!(h.run_str(&["keys", "H*"]), "*0\r\n");
        // Expired keys are skipped but not deleted by KEYS.
        h.run_str(&["pexpire", "foo", "10"]);
        h.advance_ms(20);
        assert_eq!(h.run_str(&["keys", "f*"]), "*0\r\n");
        assert_eq!(h.run_str(&["dbsize"]), int(6));
        assert_eq!(
            h.run_str(&["keys"]),
            "-ERR wrong number of arguments for 'keys' command\r\n"
        );
    }

    #[test]
    fn scan_returns_every_key_once_per_full_iteration() {
        let mut h = harness();
        for i in 0..1000 {
            set(&mut h, &format!("key:{}", i), "v");
        }
        let (mut keys, calls) = scan_all(&mut h, &[]);
        assert!(calls > 10, "default COUNT is small: {} calls", calls);
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 1000);
        let (keys, calls) = scan_all(&mut h, &["count", "100000"]);
        assert_eq!(calls, 1);
        assert_eq!(keys.len(), 1000);
        // MATCH filters after collecting.
        let (mut keys, _) = scan_all(&mut h, &["match", "key:1?", "count", "7"]);
        keys.sort();
        let want: Vec<String> = (10..20).map(|i| format!("key:{}", i)).collect();
        assert_eq!(keys, want);
    }

    #[test]
    fn scan_guarantee_holds_while_keys_come_and_go() {
        let mut h = harness();
        for i in 0..300 {
            set(&mut h, &format!("stable:{}", i), "v");
        }
        let mut cursor = "0".to_string();
        let mut seen = std::collections::HashSet::new();
        let mut round = 0;
        loop {
            let r = h.run(&["scan", &cursor, "count", "5"]);
            let (next, batch) = parse_scan(&r);
            seen.extend(batch);
            round += 1;
            // Grow then shrink the table mid-scan.
            if round == 3 {
                for i in 0..3000 {
                    set(&mut h, &format!("tmp:{}", i), "v");
                }
            }
            if round == 40 {
                for i in 0..3000 {
                    h.run_str(&["del", &format!("tmp:{}", i)]);
                }
            }
            cursor = next;
            if cursor == "0" {
                break;
            }
        }
        for i in 0..300 {
            assert!(seen.contains(&format!("stable:{}", i)), "missed {}", i);
        }
    }

    #[test]
    fn scan_count_bounds_work_per_call() {
        let mut h = harness();
        for i in 0..200 {
            set(&mut h, &format!("k{}", i), "v");
        }
        let r = h.run(&["scan", "0", "count", "1"]);
        let (cursor, batch) = parse_scan(&r);
        assert_ne!(cursor, "0");
        // One bucket at a time until one key is found: a chain or so.
        assert!(!batch.is_empty() && batch.len() < 20, "{:?}", batch);
        // A huge COUNT does not allocate up front and finishes at once.
        let r = h.run(&["scan", "0", "count", "9223372036854775807"]);
        let (cursor, batch) = parse_scan(&r);
        assert_eq!(cursor, "0");
        assert_eq!(batch.len(), 200);
    }

    #[test]
    fn scan_type_filter_and_expiry() {
        let mut h = harness();
        set(&mut h, "a", "1");
        set(&mut h, "b", "2");
        set(&mut h, "e", "3");
        h.run_str(&["pexpire", "e", "10"]);
        let (mut keys, _) = scan_all(&mut h, &["type", "STRING", "count", "100"]);
        keys.sort();
        assert_eq!(keys, ["a", "b", "e"]);
        assert_eq!(
            h.run_str(&["scan", "0", "type", "list", "count", "100"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        assert_eq!(
            h.run_str(&["scan", "0", "type", "nosuch", "count", "100"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        h.advance_ms(20);
        // Expired keys are not returned, and are deleted.
        let (mut keys, _) = scan_all(&mut h, &["count", "100"]);
        keys.sort();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(h.run_str(&["dbsize"]), int(2));
        // Redis quirk: TYPE none returns a key its type lookup expired.
        set(&mut h, "e", "3");
        h.run_str(&["pexpire", "e", "10"]);
        h.advance_ms(20);
        assert_eq!(
            h.run_str(&["scan", "0", "type", "none", "count", "100"]),
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\ne\r\n"
        );
        assert_eq!(h.run_str(&["dbsize"]), int(2));
        // Keys filtered out by MATCH are left alone even if expired.
        set(&mut h, "e", "3");
        h.run_str(&["pexpire", "e", "10"]);
        h.advance_ms(20);
        scan_all(&mut h, &["match", "a", "count", "100"]);
        assert_eq!(h.run_str(&["dbsize"]), int(3));
    }

    #[test]
    fn scan_match_star_includes_the_empty_key() {
        let mut h = harness();
        set(&mut h, "", "v");
        set(&mut h, "x", "v");
        let (mut keys, _) = scan_all(&mut h, &["match", "*", "count", "100"]);
        keys.sort();
        assert_eq!(keys, ["", "x"]);
        let (keys, _) = scan_all(&mut h, &["match", "**", "count", "100"]);
        assert_eq!(keys, ["x"]);
    }

    #[test]
    fn scan_errors_and_cursor_parsing() {
        let mut h = harness();
        let empty = "*2\r\n$1\r\n0\r\n*0\r\n";
        for c in [
            "0",
            "",
            "+0",
            "-0",
            "18446744073709551615",
            "-1",
            "-18446744073709551615",
        ] {
            assert_eq!(h.run_str(&["scan", c]), empty, "cursor {:?}", c);
        }
        assert_eq!(h.run_bytes(&[b"scan", b"5\x00x"]), empty.as_bytes());
        for c in [
            "x",
            " 1",
            "1 ",
            "\t1",
            "0x10",
            "-",
            "+",
            "18446744073709551616",
            "-18446744073709551616",
            "1.0",
        ] {
            assert_eq!(
                h.run_str(&["scan", c]),
                "-ERR invalid cursor\r\n",
                "cursor {:?}",
                c
            );
        }
        let syntax = "-ERR syntax error\r\n";
        assert_eq!(h.run_str(&["scan", "0", "count", "0"]), syntax);
        assert_eq!(h.run_str(&["scan", "0", "count", "-1"]), syntax);
        assert_eq!(
            h.run_str(&["scan", "0", "count", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["scan", "x", "count", "0"]),
            "-ERR invalid cursor\r\n"
        );
        assert_eq!(h.run_str(&["scan", "0", "match"]), syntax);
        assert_eq!(h.run_str(&["scan", "0", "type"]), syntax);
        assert_eq!(h.run_str(&["scan", "0", "foo", "bar"]), syntax);
        assert_eq!(
            h.run_str(&["scan"]),
            "-ERR wrong number of arguments for 'scan' command\r\n"
        );
    }

    #[test]
    fn randomkey_paths() {
        let mut h = harness();
        assert_eq!(h.run_str(&["randomkey"]), NULL);
        set(&mut h, "only", "v");
        assert_eq!(h.run_str(&["randomkey"]), bulk("only"));
        // Expired keys are never returned; they get deleted on the way.
        for i in 0..300 {
            let k = format!("exp{}", i);
            set(&mut h, &k, "v");
            h.run_str(&["pexpire", &k, "10"]);
        }
        h.advance_ms(20);
        for _ in 0..5 {
            assert_eq!(h.run_str(&["randomkey"]), bulk("only"));
        }
        h.run_str(&["del", "only"]);
        assert_eq!(h.run_str(&["randomkey"]), NULL);
        assert_eq!(h.run_str(&["dbsize"]), int(0));
        assert_eq!(
            h.run_str(&["randomkey", "x"]),
            "-ERR wrong number of arguments for 'randomkey' command\r\n"
        );
    }

    #[test]
    fn object_subcommands() {
        let mut h = harness();
        set(&mut h, "int", "123");
        set(&mut h, "big", "10000");
        set(&mut h, "neg", "-1");
        set(&mut h, "str", "hello");
        set(&mut h, "long", &"a".repeat(45));
        assert_eq!(h.run_str(&["object", "encoding", "int"]), bulk("int"));
        assert_eq!(h.run_str(&["object", "encoding", "str"]), bulk("embstr"));
        assert_eq!(h.run_str(&["object", "encoding", "long"]), bulk("raw"));
        assert_eq!(h.run_str(&["object", "encoding", "nokey"]), NULL);
        assert_eq!(h.run_str(&["object", "refcount", "int"]), int(2147483647));
        assert_eq!(h.run_str(&["object", "refcount", "big"]), int(1));
        assert_eq!(h.run_str(&["object", "refcount", "neg"]), int(1));
        assert_eq!(h.run_str(&["object", "refcount", "str"]), int(1));
        assert_eq!(h.run_str(&["object", "refcount", "nokey"]), NULL);
        assert_eq!(h.run_str(&["object", "idletime", "str"]), int(0));
        h.advance_ms(7000);
        assert_eq!(h.run_str(&["object", "idletime", "str"]), int(7));
        assert_eq!(h.run_str(&["object", "idletime", "nokey"]), NULL);
        assert_eq!(h.run_str(&["object", "freq", "nokey"]), NULL);
        assert_eq!(
            h.run_str(&["object", "freq", "str"]),
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
        );
        assert_eq!(
            h.run_str(&["object", "encoding"]),
            "-ERR wrong number of arguments for 'object|encoding' command\r\n"
        );
        assert_eq!(
            h.run_str(&["object", "help", "x"]),
            "-ERR wrong number of arguments for 'object|help' command\r\n"
        );
        assert_eq!(
            h.run_str(&["object"]),
            "-ERR wrong number of arguments for 'object' command\r\n"
        );
        assert_eq!(
            h.run_str(&["object", "foo"]),
            "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
        );
        // RESP3 null for a missing key.
        h.client.reply.resp3 = true;
        assert_eq!(h.run_str(&["object", "encoding", "nokey"]), "_\r\n");
    }

    #[test]
    fn object_help_text() {
        let mut h = harness();
        let r = h.run_str(&["OBJECT", "HELP"]);
        assert!(r.starts_with(
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"
        ));
        assert!(r.ends_with("+HELP\r\n+    Prints this help.\r\n"));
        assert_eq!(r.matches("\r\n+").count(), 15);
    }

    #[test]
    fn flushdb_and_flushall() {
        let mut h = harness();
        set(&mut h, "a", "1");
        set(&mut h, "b", "1");
        h.run_str(&["select", "3"]);
        set(&mut h, "c", "1");
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["flushdb"]), OK);
        assert_eq!(h.srv.dirty, dirty + 1);
        assert_eq!(h.run_str(&["dbsize"]), int(0));
        h.run_str(&["select", "0"]);
        assert_eq!(h.run_str(&["dbsize"]), int(2));
        assert_eq!(h.run_str(&["flushdb", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run_str(&["flushdb", "sync", "x"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run_str(&["flushdb", "ASYNC"]), OK);
        assert_eq!(h.run_str(&["dbsize"]), int(0));
        set(&mut h, "a", "1");
        h.run_str(&["expire", "a", "100"]);
        h.run_str(&["select", "5"]);
        set(&mut h, "b", "1");
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["flushall"]), OK);
        assert_eq!(h.srv.dirty, dirty + 2);
        assert_eq!(h.srv.keyspace.total_keys(), 0);
        assert!(h.srv.keyspace.dbs[0].expires.is_empty());
        assert_eq!(h.run_str(&["flushall", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run_str(&["flushall", "async", "x"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run_str(&["flushall", "SYNC"]), OK);
        assert_eq!(h.run_str(&["flushall", "async"]), OK);
        // A flushed key can be set again with a fresh TTL state.
        set(&mut h, "a", "1");
        assert_eq!(h.run_str(&["ttl", "a"]), int(-1));
    }

    #[test]
    fn flushall_async_frees_big_tables_off_thread() {
        let mut h = harness();
        for i in 0..2000 {
            set(&mut h, &format!("k{}", i), "v");
        }
        assert_eq!(h.run_str(&["flushall", "async"]), OK);
        assert_eq!(h.run_str(&["dbsize"]), int(0));
        set(&mut h, "k1", "v");
        assert_eq!(h.run_str(&["get", "k1"]), bulk("v"));
    }

    #[test]
    fn expire_and_ttl_basics() {
        let mut h = harness();
        assert_eq!(h.run_str(&["expire", "nokey", "100"]), int(0));
        assert_eq!(h.run_str(&["ttl", "nokey"]), int(-2));
        assert_eq!(h.run_str(&["pttl", "nokey"]), int(-2));
        assert_eq!(h.run_str(&["expiretime", "nokey"]), int(-2));
        assert_eq!(h.run_str(&["pexpiretime", "nokey"]), int(-2));
        set(&mut h, "k", "v");
        assert_eq!(h.run_str(&["ttl", "k"]), int(-1));
        assert_eq!(h.run_str(&["pttl", "k"]), int(-1));
        assert_eq!(h.run_str(&["expiretime", "k"]), int(-1));
        assert_eq!(h.run_str(&["pexpiretime", "k"]), int(-1));
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["expire", "k", "100"]), int(1));
        assert_eq!(h.srv.dirty, dirty + 1);
        assert_eq!(h.run_str(&["ttl", "k"]), int(100));
        assert_eq!(h.run_str(&["pttl", "k"]), int(100_000));
        let now = h.srv.now_ms;
        assert_eq!(h.run_str(&["pexpiretime", "k"]), int(now + 100_000));
        h.advance_ms(1499);
        // TTL rounds to the nearest second.
        assert_eq!(h.run_str(&["ttl", "k"]), int(99));
        h.advance_ms(2);
        assert_eq!(h.run_str(&["ttl", "k"]), int(98));
        assert_eq!(h.run_str(&["pexpire", "k", "2500"]), int(1));
        assert_eq!(h.run_str(&["pttl", "k"]), int(2500));
        assert_eq!(h.run_str(&["ttl", "k"]), int(3));
        assert_eq!(h.run_str(&["expireat", "k", "33177600000"]), int(1));
        assert_eq!(h.run_str(&["expiretime", "k"]), int(33177600000));
        assert_eq!(h.run_str(&["pexpiretime", "k"]), int(33177600000000));
        assert_eq!(h.run_str(&["pexpireat", "k", "33177600000499"]), int(1));
        assert_eq!(h.run_str(&["expiretime", "k"]), int(33177600000));
        assert_eq!(h.run_str(&["pexpireat", "k", "33177600000500"]), int(1));
        assert_eq!(h.run_str(&["expiretime", "k"]), int(33177600001));
        // Lazy expiry.
        assert_eq!(h.run_str(&["pexpire", "k", "50"]), int(1));
        h.advance_ms(49);
        assert_eq!(h.run_str(&["exists", "k"]), int(1));
        // Redis expires a key once now is past its time, not at it.
        h.advance_ms(1);
        assert_eq!(h.run_str(&["exists", "k"]), int(1));
        h.advance_ms(1);
        assert_eq!(h.run_str(&["exists", "k"]), int(0));
        assert_eq!(h.run_str(&["ttl", "k"]), int(-2));
        assert_eq!(h.run_str(&["expire", "k", "10"]), int(0));
        assert_eq!(
            h.run_str(&["ttl"]),
            "-ERR wrong number of arguments for 'ttl' command\r\n"
        );
        assert_eq!(
            h.run_str(&["expire", "k"]),
            "-ERR wrong number of arguments for 'expire' command\r\n"
        );
    }

    #[test]
    fn expire_in_the_past_deletes() {
        let mut h = harness();
        for args in [
            ["expire", "k", "-1"],
            ["expire", "k", "0"],
            ["pexpire", "k", "0"],
            ["expireat", "k", "1"],
            ["pexpireat", "k", "1"],
            ["pexpireat", "k", "-9223372036854775808"],
            ["expire", "k", "-9223372036854775"],
        ] {
            set(&mut h, "k", "v");
            let dirty = h.srv.dirty;
            assert_eq!(h.run_str(&args), int(1), "{:?}", args);
            assert_eq!(h.srv.dirty, dirty + 1);
            assert_eq!(h.run_str(&["exists", "k"]), int(0), "{:?}", args);
        }
        // At exactly now: already expired.
        set(&mut h, "k", "v");
        let now = h.srv.now_ms.to_string();
        assert_eq!(h.run_str(&["pexpireat", "k", &now]), int(1));
        assert_eq!(h.run_str(&["exists", "k"]), int(0));
    }

    #[test]
    fn expire_options() {
        let mut h = harness();
        set(&mut h, "k", "v");
        assert_eq!(h.run_str(&["expire", "k", "100", "xx"]), int(0));
        assert_eq!(h.run_str(&["expire", "k", "100", "gt"]), int(0));
        assert_eq!(h.run_str(&["expire", "k", "100", "LT"]), int(1));
        assert_eq!(h.run_str(&["expire", "k", "200", "nx"]), int(0));
        assert_eq!(h.run_str(&["expire", "k", "50", "gt"]), int(0));
        assert_eq!(h.run_str(&["expire", "k", "100", "gt"]), int(0));
        assert_eq!(h.run_str(&["expire", "k", "200", "gt"]), int(1));
        assert_eq!(h.run_str(&["expire", "k", "300", "lt"]), int(0));
        assert_eq!(h.run_str(&["expire", "k", "200", "lt"]), int(0));
        assert_eq!(h.run_str(&["expire", "k", "100", "lt"]), int(1));
        assert_eq!(h.run_str(&["ttl", "k"]), int(100));
        assert_eq!(h.run_str(&["expire", "k", "150", "xx"]), int(1));
        assert_eq!(h.run_str(&["expire", "k", "100", "xx", "gt"]), int(0));
        assert_eq!(h.run_str(&["expire", "k", "200", "xx", "gt"]), int(1));
        assert_eq!(h.run_str(&["expire", "k", "1", "xx", "xx"]), int(1));
        assert_eq!(h.run_str(&["ttl", "k"]), int(1));
        assert_eq!(h.run_str(&["persist", "k"]), int(1));
        assert_eq!(h.run_str(&["expire", "k", "50", "nx"]), int(1));
        assert_eq!(h.run_str(&["ttl", "k"]), int(50));
        h.run_str(&["persist", "k"]);
        // No TTL is infinite: GT never passes, LT always does (and a past
        // time then deletes).
        assert_eq!(h.run_str(&["expire", "k", "0", "gt"]), int(0));
        assert_eq!(h.run_str(&["exists", "k"]), int(1));
        assert_eq!(h.run_str(&["expire", "k", "-5", "lt"]), int(1));
        assert_eq!(h.run_str(&["exists", "k"]), int(0));
        // Option keywords are read as C strings.
        set(&mut h, "k", "v");
        assert_eq!(
            h.run_bytes(&[b"expire", b"k", b"100", b"nx\x00junk"]),
            b":1\r\n"
        );
        assert_eq!(
            h.run_bytes(&[b"expire", b"k", b"100", b"foo\x00junk"]),
            b"-ERR Unsupported option foo\r\n"
        );
    }

    #[test]
    fn expire_errors_in_redis_order() {
        let mut h = harness();
        set(&mut h, "k", "v");
        let nx = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
        let gtlt = "-ERR GT and LT options at the same time are not compatible\r\n";
        let notint = "-ERR value is not an integer or out of range\r\n";
        assert_eq!(
            h.run_str(&["expire", "k", "100", "foo"]),
            "-ERR Unsupported option foo\r\n"
        );
        assert_eq!(
            h.run_str(&["expire", "k", "abc", "foo"]),
            "-ERR Unsupported option foo\r\n"
        );
        assert_eq!(h.run_str(&["expire", "k", "100", "nx", "xx"]), nx);
        assert_eq!(h.run_str(&["expire", "k", "100", "nx", "gt"]), nx);
        assert_eq!(h.run_str(&["expire", "k", "100", "lt", "nx"]), nx);
        assert_eq!(h.run_str(&["expire", "k", "100", "gt", "lt"]), gtlt);
        assert_eq!(h.run_str(&["expire", "k", "100", "xx", "gt", "lt"]), gtlt);
        assert_eq!(h.run_str(&["expire", "nokey", "100", "nx", "xx"]), nx);
        assert_eq!(h.run_str(&["expire", "nokey", "abc"]), notint);
        assert_eq!(h.run_str(&["expire", "k", "1.5"]), notint);
        assert_eq!(h.run_str(&["pexpire", "k", ""]), notint);
        let overflow = |c: &str| format!("-ERR invalid expire time in '{}' command\r\n", c);
        assert_eq!(
            h.run_str(&["expire", "k", "9223372036854775807"]),
            overflow("expire")
        );
        assert_eq!(
            h.run_str(&["expire", "k", "9223372036854776"]),
            overflow("expire")
        );
        // Fits in ms, but not once `now` is added.
        assert_eq!(
            h.run_str(&["expire", "k", "9223372036854775"]),
            overflow("expire")
        );
        assert_eq!(
            h.run_str(&["expire", "k", "-9223372036854776"]),
            overflow("expire")
        );
        assert_eq!(
            h.run_str(&["pexpire", "k", "9223372036854775807"]),
            overflow("pexpire")
        );
        assert_eq!(
            h.run_str(&["expireat", "k", "9223372036854776"]),
            overflow("expireat")
        );
        assert_eq!(
            h.run_str(&["EXPIREAT", "k", "-9223372036854776"]),
            overflow("expireat")
        );
        assert_eq!(h.run_str(&["exists", "k"]), int(1));
        // The largest absolute times are fine.
        assert_eq!(
            h.run_str(&["pexpireat", "k", "9223372036854775807"]),
            int(1)
        );
        assert_eq!(h.run_str(&["pexpiretime", "k"]), int(9223372036854775807));
        assert_eq!(h.run_str(&["expiretime", "k"]), int(9223372036854776));
        assert_eq!(h.run_str(&["expireat", "k", "9223372036854775"]), int(1));
        assert_eq!(h.run_str(&["expiretime", "k"]), int(9223372036854775));
    }

    #[test]
    fn persist_paths() {
        let mut h = harness();
        assert_eq!(h.run_str(&["persist", "nokey"]), int(0));
        set(&mut h, "k", "v");
        assert_eq!(h.run_str(&["persist", "k"]), int(0));
        h.run_str(&["expire", "k", "100"]);
        let dirty = h.srv.dirty;
        assert_eq!(h.run_str(&["persist", "k"]), int(1));
        assert_eq!(h.srv.dirty, dirty + 1);
        assert_eq!(h.run_str(&["ttl", "k"]), int(-1));
        assert_eq!(h.run_str(&["persist", "k"]), int(0));
        h.run_str(&["pexpire", "k", "10"]);
        h.advance_ms(20);
        assert_eq!(h.run_str(&["persist", "k"]), int(0));
        assert_eq!(h.run_str(&["dbsize"]), int(0));
        assert_eq!(
            h.run_str(&["persist", "a", "b"]),
            "-ERR wrong number of arguments for 'persist' command\r\n"
        );
    }

    #[test]
    fn set_overwrite_clears_ttl() {
        let mut h = harness();
        set(&mut h, "t", "v");
        h.run_str(&["expire", "t", "100"]);
        set(&mut h, "t", "w");
        assert_eq!(h.run_str(&["ttl", "t"]), int(-1));
    }

    #[test]
    fn table_rows_match_redis() {
        use crate::commands::spec::acl;
        use crate::commands::CommandTable;
        let t = CommandTable::new();
        let row = |n: &str| t.lookup(n.as_bytes()).unwrap();
        assert_eq!(
            row("keys").acl_categories() & acl::DANGEROUS,
            acl::DANGEROUS
        );
        assert_eq!(
            row("flushall").acl_categories() & acl::DANGEROUS,
            acl::DANGEROUS
        );
        assert_eq!(
            row("swapdb").acl_categories() & acl::DANGEROUS,
            acl::DANGEROUS
        );
        assert_eq!(row("scan").acl_categories() & acl::DANGEROUS, 0);
        assert_eq!(row("del").key_positions(4), [1, 2, 3]);
        assert_eq!(row("copy").key_positions(5), [1, 2]);
        let object = row("object");
        let enc = crate::commands::find_subcommand(object, b"ENCODING").unwrap();
        assert_eq!(enc.key_positions(3), [2]);
    }
}
