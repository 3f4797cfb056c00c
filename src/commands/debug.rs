//! DEBUG: the testing subcommands of Redis 7.0 that make sense for what
//! exists, gated by `enable-debug-command`.
//!
//! Redis counterpart: `debug.c`.

use super::args;
use super::spec::{cmd, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::db::Db;
use crate::errors::{CmdError, CmdResult};
use crate::types::Value;
use crate::util::sha1::{hex, mix_digest, xor_digest};

pub static COMMANDS: &[CommandSpec] = &[cmd(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    NO_KEYS,
    Group::Server,
    debug_command,
)
.doc("A container for debugging commands", "1.0.0")];

/// The Redis object type code mixed into digests (OBJ_STRING = 0, ...).
fn type_code(v: &Value) -> u32 {
    match v.value_type() {
        crate::types::ValueType::String => 0,
        crate::types::ValueType::List => 1,
        crate::types::ValueType::Set => 2,
        crate::types::ValueType::ZSet => 3,
        crate::types::ValueType::Hash => 4,
        crate::types::ValueType::Stream => 6,
    }
}

/// Mixes a value (its type, contents and whether it expires) into
/// `digest`, as Redis's DEBUG DIGEST does, so digests agree with Redis's.
fn mix_value(digest: &mut [u8; 20], v: &Value, expires: bool) {
    mix_digest(digest, &type_code(v).to_be_bytes());
    match v {
        Value::List(l) => l.mix_digest(digest),
        Value::Hash(h) => h.mix_digest(digest),
        Value::Set(s) => s.mix_digest(digest),
        Value::ZSet(z) => z.mix_digest(digest),
        _ => mix_digest(digest, &v.to_bytes()),
    }
    if expires {
        xor_digest(digest, b"!!expire!!");
    }
}

/// The digest of a whole keyspace: independent of key order.
fn dataset_digest(dbs: &[Db]) -> [u8; 20] {
    let mut fin = [0u8; 20];
    for (j, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(j as u32).to_be_bytes());
        for (_, k, v) in db.dict.iter() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, k);
            mix_value(&mut d, v, db.expire_of(k).is_some());
            xor_digest(&mut fin, &d);
        }
    }
    fin
}

/// C's `atoi`, which Redis uses for the on/off switches of DEBUG: leading
/// blanks, an optional sign, then digits up to the first non-digit; 0
/// when there are none. Never an error.
fn atoi(arg: &[u8]) -> i64 {
    let mut it = arg
        .iter()
        .skip_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .peekable();
    let neg = match it.peek() {
        Some(b'-') => {
            it.next();
            true
        }
        Some(b'+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut n: i64 = 0;
    for b in it.take_while(|b| b.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add(i64::from(b - b'0'));
    }
    if neg {
        n.wrapping_neg()
    } else {
        n
    }
}

/// DEBUG subcommand [args...]
pub fn debug_command(ctx: &mut Ctx) -> CmdResult {
    let sub = ctx.argv[1].to_ascii_lowercase();
    let argc = ctx.argc();
    match (sub.as_slice(), argc) {
        (b"help", 2) => help(ctx),
        (b"sleep", 3) => {
            let secs = args::float(ctx.argv[2])?;
            if secs > 0.0 {
                // Stalling the server is the point of DEBUG SLEEP.
                std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(3600.0)));
            }
            ctx.srv.update_time();
            ctx.client.reply.ok();
        }
        (b"set-active-expire", 3) => {
            ctx.srv.active_expire_enabled = atoi(ctx.argv[2]) != 0;
            ctx.client.reply.ok();
        }
        (b"object", 3) => {
            let now = ctx.now_ms();
            let compression = ctx.srv.config.get_bool("rdbcompression");
            let fill = ctx.srv.config.get_i64("list-max-listpack-size");
            let compress_depth = ctx.srv.config.get_i64("list-compress-depth");
            let key = ctx.argv[2];
            let db = ctx.db();
            let Some(i) = db.peek(key, now) else {
                return Err(CmdError::NoSuchKey);
            };
            let v = db.dict.value_at(i);
            let mut line = format!(
                "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
                v as *const Value,
                v.encoding(),
                crate::persistence::rdb::encode::serialized_len(v, compression),
                db.dict.lru(i),
                db.idle_secs(i, now)
            );
            if let Value::List(l) = v {
                let nodes = l.node_count().max(1);
                let mut packed = 0;
                let _ = crate::persistence::rdb::encode::each_list_node(l, |n| {
                    packed += n.len();
                    Ok(())
                });
                line.push_str(&format!(
                    " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
                    l.node_count(),
                    l.len() as f64 / nodes as f64,
                    fill,
                    (compress_depth != 0) as u8,
                    packed
                ));
            }
            ctx.client.reply.simple(line.as_bytes());
        }
        (b"digest", 2) => {
            let d = dataset_digest(&ctx.srv.keyspace.dbs);
            ctx.client.reply.simple(hex(&d).as_bytes());
        }
        (b"digest-value", _) => {
            let now = ctx.now_ms();
            let keys: Vec<Vec<u8>> = ctx.argv[2..].iter().map(|k| k.to_vec()).collect();
            let mut out = Vec::with_capacity(keys.len().min(1024));
            for k in &keys {
                let db = ctx.db();
                let mut d = [0u8; 20];
                if let Some(i) = db.peek(k, now) {
                    let expires = db.expire_of(k).is_some();
                    mix_value(&mut d, db.dict.value_at(i), expires);
                }
                out.push(hex(&d));
            }
            ctx.client.reply.array_len(out.len());
            for d in out {
                ctx.client.reply.simple(d.as_bytes());
            }
        }
        (b"protocol", 3) => protocol(ctx)?,
        (b"log", 3) => {
            log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.argv[2]));
            ctx.client.reply.ok();
        }
        (b"error", 3) => {
            return Err(CmdError::owned(
                String::from_utf8_lossy(ctx.argv[2]).into_owned(),
            ));
        }
        (b"segfault", 2) => crate::sys::segfault(),
        (b"panic", 2) => panic!("DEBUG PANIC called at Unix time {}", ctx.now_ms() / 1000),
        (b"assert", 2) => panic!("ASSERTION FAILED: DEBUG ASSERT"),
        (b"stringmatch-test", 2) => {
            stringmatch_fuzz(ctx.srv.now_us as u64);
            ctx.client
                .reply
                .simple(b"Apparently Redis did not crash: test passed");
        }
        (b"pause-cron", 3) => {
            ctx.srv.cron_paused = atoi(ctx.argv[2]) != 0;
            ctx.client.reply.ok();
        }
        (b"populate", 3..=5) => populate(ctx)?,
        (b"loadaof", 2) => {
            // Redis exits when the reload fails: the data is gone.
            if !crate::persistence::aof::load::debug_loadaof(ctx.srv) {
                std::process::exit(1);
            }
            ctx.client.reply.ok();
        }
        (b"reload", _) => reload(ctx)?,
        (b"replicate", n) if n >= 3 => {
            // The arguments go to the replicas as a command, in the
            // stream's current database, without running here.
            let mut bytes = Vec::new();
            crate::server::propagate::encode_command(&mut bytes, &ctx.argv[2..]);
            crate::replication::master::feed_stream_bytes(ctx.srv, &bytes);
            ctx.client.reply.ok();
        }
        (b"change-repl-id", 2) => {
            // A new replication ID, no secondary one (replication owns it).
            log::warn!("Changing replication IDs after receiving DEBUG change-repl-id");
            ctx.srv.repl.change_replid(&mut ctx.srv.rng);
            ctx.srv.repl.clear_replid2();
            ctx.client.reply.ok();
        }
        (b"set-skip-checksum-validation", 3) => {
            crate::persistence::rdb::set_skip_checksum_validation(atoi(ctx.argv[2]) != 0);
            ctx.client.reply.ok();
        }
        (b"htstats", 3) => {
            let id = args::int(ctx.argv[2])?;
            let Some(db) = usize::try_from(id)
                .ok()
                .and_then(|i| ctx.srv.keyspace.dbs.get(i))
            else {
                return Err(CmdError::msg("ERR Out of range database"));
            };
            let s = format!(
                "[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: {}\n number of elements: {}\n[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n",
                db.dict.bucket_count(),
                db.len()
            );
            ctx.client.reply.verbatim("txt", s.as_bytes());
        }
        _ => {
            return Err(CmdError::owned(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                String::from_utf8_lossy(&crate::errors::truncate_arg(ctx.argv[1]))
            )))
        }
    }
    Ok(())
}

/// Runs the glob matcher over random patterns and strings, as Redis's
/// `stringmatchlen_fuzz_test` does: the point is that it returns at all.
fn stringmatch_fuzz(seed: u64) -> usize {
    const ALPHABET: &[u8] = b"ab*?[]^-\\x";
    let mut rng = seed | 1;
    let mut matched = 0;
    let mut pat = Vec::with_capacity(32);
    let mut text = Vec::with_capacity(32);
    for _ in 0..100_000 {
        pat.clear();
        text.clear();
        let plen = crate::db::dict::next_random(&mut rng) % 32;
        let tlen = crate::db::dict::next_random(&mut rng) % 32;
        for _ in 0..plen {
            let r = crate::db::dict::next_random(&mut rng) as usize;
            pat.push(ALPHABET[r % ALPHABET.len()]);
        }
        for _ in 0..tlen {
            let r = crate::db::dict::next_random(&mut rng) as usize;
            text.push(ALPHABET[r % ALPHABET.len()]);
        }
        if crate::util::glob::glob_match(&pat, &text, false) {
            matched += 1;
        }
    }
    matched
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves the dataset (unless
/// NOSAVE), empties it (unless NOFLUSH) and loads the RDB file back
/// (MERGE: keys in the file replace existing ones instead of failing).
fn reload(ctx: &mut Ctx) -> CmdResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for opt in &ctx.argv[2..] {
        match opt.to_ascii_lowercase().as_slice() {
            b"merge" => merge = true,
            b"noflush" => flush = false,
            b"nosave" => save = false,
            _ => {
                return Err(CmdError::msg(
                    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                ))
            }
        }
    }
    if save && !crate::persistence::save(ctx.srv) {
        return Err(CmdError::msg("ERR"));
    }
    if flush {
        for (i, db) in ctx.srv.keyspace.dbs.iter().enumerate() {
            ctx.srv.watch.touch_flushed(i, db);
        }
        crate::server::tracking::invalidate_all(ctx.srv);
        for db in ctx.srv.keyspace.dbs.iter_mut() {
            db.clear();
        }
    }
    let path = crate::persistence::rdb_path(&ctx.srv.config);
    let opts = crate::persistence::rdb::LoadOptions::from_config(&ctx.srv.config);
    let now = ctx.now_ms();
    let loaded = std::fs::File::open(&path)
        .map_err(|e| log::warn!("Fatal error loading the DB: {}.", e))
        .and_then(|f| {
            crate::persistence::rdb::load_keyspace_with(
                std::io::BufReader::with_capacity(64 * 1024, f),
                &mut ctx.srv.keyspace,
                now,
                true,
                merge,
                &opts,
            )
            .map_err(|e| log::warn!("Error loading {}: {}", path.display(), e))
        });
    match loaded {
        Ok(stats) => ctx.srv.persistence.last_load = stats,
        Err(()) => return Err(CmdError::msg("ERR Error trying to load the RDB dump")),
    }
    log::warn!("DB reloaded by DEBUG RELOAD");
    ctx.client.reply.ok();
    Ok(())
}

/// DEBUG POPULATE count [prefix] [size]
fn populate(ctx: &mut Ctx) -> CmdResult {
    // Redis's getPositiveLongFromObjectOrReply: one message for
    // non-integers and negatives alike.
    let positive = |arg: &[u8]| match crate::util::numfmt::parse_i64(arg) {
        Some(v) if v >= 0 => Ok(v),
        _ => Err(CmdError::msg(crate::errors::POSITIVE)),
    };
    let count = positive(ctx.argv[2])?;
    let prefix = ctx
        .argv
        .get(3)
        .map(|p| p.to_vec())
        .unwrap_or(b"key".to_vec());
    let size = match ctx.argv.get(4) {
        Some(s) => Some(positive(s)? as usize),
        None => None,
    };
    if let Some(sz) = size {
        if sz as i64 > ctx.srv.config.proto_max_bulk_len {
            return Err(CmdError::msg(crate::errors::STRING_TOO_LONG));
        }
    }
    let now = ctx.now_ms();
    let mut key = Vec::with_capacity(prefix.len() + 21);
    for j in 0..count {
        key.clear();
        key.extend_from_slice(&prefix);
        key.push(b':');
        crate::util::numfmt::push_i64(&mut key, j);
        if ctx.db().contains(&key, now) {
            continue;
        }
        let mut val = format!("value:{}", j).into_bytes();
        if let Some(sz) = size {
            val.resize(sz, 0);
        }
        let v = Value::string(&val);
        ctx.db().insert_new(&key, v);
    }
    ctx.client.reply.ok();
    Ok(())
}

/// DEBUG PROTOCOL type: a test value of each RESP type.
fn protocol(ctx: &mut Ctx) -> CmdResult {
    let t = ctx.argv[2].to_ascii_lowercase();
    let r = &mut ctx.client.reply;
    match t.as_slice() {
        b"string" => r.bulk(b"Hello World"),
        b"integer" => r.int(12345),
        b"double" => {
            if r.resp3 {
                r.raw(b",3.141\r\n");
            } else {
                r.bulk(b"3.141");
            }
        }
        b"bignum" => r.big_number(b"1234567999999999999999999999999999999"),
        b"null" => r.null(),
        b"array" => {
            r.array_len(3);
            for i in 0..3 {
                r.int(i);
            }
        }
        b"set" => {
            r.set_len(3);
            for i in 0..3 {
                r.int(i);
            }
        }
        b"map" => {
            r.map_len(3);
            for i in 0..3 {
                r.int(i);
                r.boolean(i == 1);
            }
        }
        b"attrib" => {
            if r.resp3 {
                r.raw(b"|1\r\n");
                r.bulk(b"key-popularity");
                r.array_len(2);
                r.bulk(b"key:123");
                r.int(90);
                r.bulk(b"Some real reply following the attribute");
            } else {
                r.bulk(b"Some real reply following the attribute");
            }
        }
        b"push" => {
            if !r.resp3 {
                return Err(CmdError::msg("ERR RESP2 is not supported by this command"));
            }
            r.push_len(2);
            r.bulk(b"server-cpu-usage");
            r.int(42);
            r.bulk(b"Some real reply following the push reply");
        }
        b"verbatim" => r.verbatim("txt", b"This is a verbatim\nstring"),
        b"true" => r.boolean(true),
        b"false" => r.boolean(false),
        _ => return Err(CmdError::msg("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")),
    }
    Ok(())
}

fn help(ctx: &mut Ctx) {
    super::client::reply_help(
        ctx,
        "DEBUG",
        &[
            "ASSERT",
            "    Crash by assertion failed.",
            "CHANGE-REPL-ID",
            "    Change the replication IDs of the instance.",
            "    Dangerous: should be used only for testing the replication subsystem.",
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "ERROR <string>",
            "    Return a Redis protocol error with <string> as message. Useful for clients",
            "    unit tests to simulate Redis errors.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "HTSTATS <dbid>",
            "    Return hash table statistics of the specified Redis database.",
            "REPLICATE <string>",
            "    Replicates the provided string to replicas, allowing data divergence.",
            "OBJECT <key>",
            "    Show low level info about `key` and associated value.",
            "PANIC",
            "    Crash the server simulating a panic.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named key:<num>. If <prefix> is specified then",
            "    it is used instead of the 'key' prefix.",
            "RELOAD [option ...]",
            "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
            "    * MERGE: conflicting keys will be loaded from RDB.",
            "    * NOFLUSH: the existing database will not be removed before load, but",
            "      conflicting keys will generate an exception and kill the server.",
            "    * NOSAVE: the database will be loaded from an existing RDB file.",
            "    Examples:",
            "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
            "      the database.",
            "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
            "      existing RDB file.",
            "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
            "      file to the database.",
            "PROTOCOL <type>",
            "    Reply with a test value of the specified type. <type> can be: string,",
            "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
            "    true, false.",
            "SEGFAULT",
            "    Crash the server with sigsegv.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
            "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "STRINGMATCH-TEST",
            "    Run a fuzz tester against the stringmatchlen() function.",
            "PAUSE-CRON <0|1>",
            "    Stop periodic cron job processing.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;
    use crate::config::Config;

    fn debug_harness() -> Harness {
        let cfg = {
            let mut c = Config::default();
            c.enable_debug_command = "yes".into();
            c
        };
        Harness::with_config(cfg)
    }

    #[test]
    fn stringmatch_fuzz_runs_the_matcher() {
        // Some random pairs match (e.g. empty pattern and text), most don't.
        let n = super::stringmatch_fuzz(42);
        assert!(n > 0 && n < 100_000, "{}", n);
        let mut h = debug_harness();
        assert_eq!(
            h.run_str(&["debug", "stringmatch-test"]),
            "+Apparently Redis did not crash: test passed\r\n"
        );
    }

    #[test]
    fn disabled_by_default() {
        let mut h = Harness::new();
        assert!(h
            .run_str(&["debug", "help"])
            .starts_with("-ERR DEBUG command not allowed."));
    }

    #[test]
    fn digests_match_redis() {
        let mut h = debug_harness();
        assert_eq!(
            h.run_str(&["debug", "digest"]),
            "+0000000000000000000000000000000000000000\r\n"
        );
        h.run(&["set", "k", "v"]);
        // Values taken from Redis 7.0.15 for the same dataset.
        assert_eq!(
            h.run_str(&["debug", "digest-value", "k", "nokey"]),
            "*2\r\n+d79ee9fe5d5ad902d7f6620efc3b07b75ddd742f\r\n+0000000000000000000000000000000000000000\r\n"
        );
        assert_eq!(
            h.run_str(&["debug", "digest"]),
            "+264ccf65edec66bccfa7cc659414ccca432057d2\r\n"
        );
    }

    #[test]
    fn switches_parse_like_atoi() {
        assert_eq!(super::atoi(b"  -12x"), -12);
        assert_eq!(super::atoi(b"+7"), 7);
        assert_eq!(super::atoi(b"yes"), 0);
        assert_eq!(super::atoi(b""), 0);
        let mut h = debug_harness();
        assert_eq!(h.run_str(&["debug", "set-active-expire", "no"]), "+OK\r\n");
        assert_eq!(h.run_str(&["debug", "pause-cron", "0"]), "+OK\r\n");
    }

    #[test]
    fn protocol_and_object() {
        let mut h = debug_harness();
        assert_eq!(
            h.run_str(&["debug", "protocol", "bignum"]),
            "$37\r\n1234567999999999999999999999999999999\r\n"
        );
        assert_eq!(
            h.run_str(&["debug", "protocol", "map"]),
            "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"
        );
        h.run(&["set", "k", "v"]);
        let o = h.run_str(&["debug", "object", "k"]);
        assert!(
            o.contains("refcount:1 encoding:embstr serializedlength:2 lru:"),
            "{}",
            o
        );
        assert_eq!(
            h.run_str(&["debug", "object", "nokey"]),
            "-ERR no such key\r\n"
        );
        assert_eq!(
            h.run_str(&["debug", "foo"]),
            "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n"
        );
    }

    #[test]
    fn object_serializedlength_as_redis() {
        let mut h = debug_harness();
        h.run(&["rpush", "l", "a", "b", "c", "1", "2"]);
        h.run(&["hset", "h", "a", "1"]);
        h.run(&["set", "n", "123"]);
        h.run(&["sadd", "si", "1", "2", "3"]);
        h.run(&["zadd", "z", "1", "a", "2.5", "b"]);
        // Values redis-server 7.0.15 reports for the same keys.
        for (k, len) in [("l", 23), ("h", 13), ("n", 2), ("si", 15), ("z", 21)] {
            let r = h.run_str(&["debug", "object", k]);
            assert!(
                r.contains(&format!(" serializedlength:{} ", len)),
                "{}: {}",
                k,
                r
            );
        }
        let r = h.run_str(&["debug", "object", "l"]);
        assert!(
            r.ends_with(
                " ql_nodes:1 ql_avg_node:5.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:20\r\n"
            ),
            "{}",
            r
        );
        assert_eq!(
            h.run_str(&["debug", "set-skip-checksum-validation", "1"]),
            "+OK\r\n"
        );
        assert!(crate::persistence::rdb::skip_checksum_validation());
        h.run(&["debug", "set-skip-checksum-validation", "0"]);
        assert!(!crate::persistence::rdb::skip_checksum_validation());
        assert_eq!(
            h.run_str(&["debug", "reload", "bogus"]),
            "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
        );
    }
}
