//! DUMP and RESTORE: a key's value serialized as Redis 7.0 serializes it
//! (RDB type byte and body, RDB version, CRC-64), so payloads move between
//! ferredis and Redis in both directions.
//!
//! Redis counterpart: `cluster.c` (`dumpCommand`, `restoreCommand`,
//! `createDumpPayload`, `verifyDumpPayload`).

use super::args::{self, kw};
use super::spec::{acl, cmd, keys, CommandSpec, Group};
use super::Ctx;
use crate::commands::flags::*;
use crate::config::notify;
use crate::errors::{self, CmdError, CmdResult};
use crate::persistence::rdb::{self, AccessHint, Encodings, PayloadError};

const KEY: (i32, i32, i32) = keys(1, 1, 1);

pub static COMMANDS: &[CommandSpec] = &[
    cmd("dump", 2, READONLY, KEY, Group::Generic, dump_command)
        .tips(&["nondeterministic_output"])
        .doc(
            "Return a serialized version of the value stored at the specified key.",
            "2.6.0",
        ),
    cmd(
        "restore",
        -4,
        WRITE | DENYOOM,
        KEY,
        Group::Generic,
        restore_command,
    )
    .acl(acl::DANGEROUS)
    .doc(
        "Create a key using the provided serialized value, previously obtained using DUMP.",
        "2.6.0",
    ),
];

/// DUMP key
pub fn dump_command(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let compression = ctx.srv.config.get_bool("rdbcompression");
    match ctx.srv.lookup_read(db, ctx.argv[1]) {
        Some(v) => {
            let payload = rdb::dump_payload(v, compression);
            ctx.client.reply.bulk(&payload);
        }
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
pub fn restore_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let mut replace = false;
    let mut absttl = false;
    let mut idle: Option<i64> = None;
    let mut freq: Option<i64> = None;
    let mut j = 4;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if kw(argv[j], "replace") {
            replace = true;
        } else if kw(argv[j], "absttl") {
            absttl = true;
        } else if kw(argv[j], "idletime") && more && freq.is_none() {
            let v = args::int(argv[j + 1])?;
            if v < 0 {
                return Err(CmdError::msg("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if kw(argv[j], "freq") && more && idle.is_none() {
            let v = args::int(argv[j + 1])?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::msg(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let key = argv[1];
    let now = ctx.now_ms();
    if !replace && ctx.db().contains(key, now) {
        return Err(CmdError::msg(errors::BUSYKEY));
    }
    let ttl = args::int(argv[2])?;
    if ttl < 0 {
        return Err(CmdError::msg("ERR Invalid TTL value, must be >= 0"));
    }
    let enc = Encodings::from_config(&ctx.srv.config);
    let verify = !rdb::skip_checksum_validation();
    let value = match rdb::restore_payload(argv[3], &enc, verify) {
        Ok(v) => v,
        Err(PayloadError::VersionOrChecksum) => {
            return Err(CmdError::msg(
                "ERR DUMP payload version or checksum are wrong",
            ))
        }
        Err(PayloadError::BadData) => return Err(CmdError::msg("ERR Bad data format")),
    };
    let deleted = replace && ctx.db().discard(key, crate::db::Discard::ServerDel);
    let when = if ttl != 0 && !absttl {
        ttl.saturating_add(now)
    } else {
        ttl
    };
    if when != 0 && when <= now {
        // Already expired: nothing is created (an old key was deleted).
        if deleted {
            ctx.key_modified(key);
            ctx.notify(notify::GENERIC, "del", key);
            let del: &[u8] = if ctx.srv.config.get_bool("lazyfree-lazy-server-del") {
                b"UNLINK"
            } else {
                b"DEL"
            };
            ctx.propagate_as(&[del, key]);
        }
        ctx.client.reply.ok();
        return Ok(());
    }
    let db = ctx.db();
    let slot = db.insert_new(key, value);
    if when != 0 {
        db.set_expire(key, when);
    }
    let hint = AccessHint {
        idle_secs: idle.map(|v| v as u64),
        freq: freq.map(|v| v as u8),
    };
    rdb::apply_access_hint(db, slot, hint, now);
    ctx.key_modified(key);
    ctx.notify(notify::GENERIC, "restore", key);
    if when != 0 && !absttl {
        // Replicas and the AOF get the expiry as an absolute time.
        let abs = when.to_string();
        let mut rewritten: Vec<&[u8]> = argv.to_vec();
        rewritten[2] = abs.as_bytes();
        rewritten.push(b"ABSTTL");
        ctx.propagate_as(&rewritten);
    }
    ctx.client.reply.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;
    use crate::config::Config;

    fn debug_harness() -> Harness {
        let mut c = Config::default();
        c.enable_debug_command = "yes".into();
        Harness::with_config(c)
    }

    /// Runs a command with binary arguments, reply as a lossy string.
    fn run(h: &mut Harness, args: &[&[u8]]) -> String {
        String::from_utf8_lossy(&h.run_bytes(args)).into_owned()
    }

    /// The payload DUMP replies with (the bulk's bytes).
    fn dump(h: &mut Harness, key: &str) -> Vec<u8> {
        let r = h.run(&["dump", key]);
        let nl = r.iter().position(|&b| b == b'\n').expect("header");
        r[nl + 1..r.len() - 2].to_vec()
    }

    #[test]
    fn dump_matches_redis_bytes() {
        let mut h = Harness::new();
        h.run(&["set", "k", "v"]);
        // As redis-server 7.0.15 replies to DUMP k.
        assert_eq!(
            dump(&mut h, "k"),
            b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce"
        );
        h.run(&["hset", "h", "a", "1", "b", "hello"]);
        assert_eq!(
            dump(&mut h, "h"),
            b"\x10\x16\x16\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x85hello\x06\xff\n\x00\xe8\xc5\xfe\x99\xee\x07\x95]"
        );
        assert_eq!(h.run_str(&["dump", "nokey"]), "$-1\r\n");
    }

    #[test]
    fn restore_round_trips_every_type() {
        let mut h = Harness::new();
        h.run(&["rpush", "l", "a", "1", "300", "-70000"]);
        h.run(&["sadd", "si", "1", "2", "-3"]);
        h.run(&["sadd", "ss", "a", "b"]);
        h.run(&["hset", "h", "f", "v"]);
        h.run(&["zadd", "z", "1.5", "a", "2", "b"]);
        h.run(&["set", "s", &"x".repeat(100)]);
        h.run(&["set", "n", "123"]);
        for k in ["l", "si", "ss", "h", "z", "s", "n"] {
            let p = dump(&mut h, k);
            let digest = h.run(&["debug", "digest-value", k]);
            let enc = h.run(&["object", "encoding", k]);
            let copy = format!("{}-copy", k);
            assert_eq!(
                run(&mut h, &[b"restore", copy.as_bytes(), b"0", &p]),
                "+OK\r\n"
            );
            assert_eq!(h.run(&["debug", "digest-value", &copy]), digest, "{}", k);
            assert_eq!(h.run(&["object", "encoding", &copy]), enc, "{}", k);
            assert_eq!(h.run_str(&["ttl", &copy]), ":-1\r\n");
        }
    }

    #[test]
    fn restore_options_and_errors() {
        let mut h = debug_harness();
        h.run(&["set", "k", "v"]);
        let p = dump(&mut h, "k");
        let r = |h: &mut Harness, extra: &[&[u8]]| {
            let mut a: Vec<&[u8]> = vec![b"restore"];
            a.extend_from_slice(extra);
            run(h, &a)
        };
        assert_eq!(
            r(&mut h, &[b"k", b"0", &p]),
            "-BUSYKEY Target key name already exists.\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k", b"0", &p, b"foo"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k2", b"-1", &p]),
            "-ERR Invalid TTL value, must be >= 0\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k2", b"x", &p]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k2", b"0", b"x"]),
            "-ERR DUMP payload version or checksum are wrong\r\n"
        );
        let mut bad = p.clone();
        bad[1] ^= 1;
        assert_eq!(
            r(&mut h, &[b"k2", b"0", &bad]),
            "-ERR DUMP payload version or checksum are wrong\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k2", b"0", &p, b"idletime"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k2", b"0", &p, b"idletime", b"-1"]),
            "-ERR Invalid IDLETIME value, must be >= 0\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k2", b"0", &p, b"freq", b"256"]),
            "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k2", b"0", &p, b"freq", b"1", b"idletime", b"1"]),
            "-ERR syntax error\r\n"
        );
        // Bad data with a right checksum (DEBUG skips the CRC check).
        assert_eq!(
            h.run_str(&["debug", "set-skip-checksum-validation", "1"]),
            "+OK\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k2", b"0", b"\x00\x3fv\x0a\x00abcdefgh"]),
            "-ERR Bad data format\r\n"
        );
        assert_eq!(
            r(&mut h, &[b"k2", b"0", b"\x00\x01v\x0a\x00abcdefgh"]),
            "+OK\r\n"
        );
        assert_eq!(
            h.run_str(&["debug", "set-skip-checksum-validation", "0"]),
            "+OK\r\n"
        );
        // A newer RDB version.
        assert_eq!(
            r(&mut h, &[b"k3", b"0", b"\x00\x01v\x0b\x00abcdefgh"]),
            "-ERR DUMP payload version or checksum are wrong\r\n"
        );
        // An empty list is bad data.
        let empty = crate::persistence::rdb::dump_payload(
            &crate::types::Value::List(Box::default()),
            false,
        );
        assert_eq!(
            r(&mut h, &[b"k3", b"0", &empty]),
            "-ERR Bad data format\r\n"
        );
        // REPLACE, TTLs, ABSTTL in the past.
        assert_eq!(r(&mut h, &[b"k", b"5000", &p, b"replace"]), "+OK\r\n");
        let pttl = h.run_str(&["pttl", "k"]);
        assert!(pttl.starts_with(":4") || pttl == ":5000\r\n", "{}", pttl);
        assert_eq!(
            r(&mut h, &[b"k", b"1", &p, b"replace", b"absttl"]),
            "+OK\r\n"
        );
        assert_eq!(h.run_str(&["exists", "k"]), ":0\r\n");
        let at = (h.srv.now_ms + 100_000).to_string();
        assert_eq!(r(&mut h, &[b"k", at.as_bytes(), &p, b"absttl"]), "+OK\r\n");
        assert_eq!(h.run_str(&["pexpiretime", "k"]), format!(":{}\r\n", at));
        // IDLETIME sets the LRU stamp.
        assert_eq!(
            r(&mut h, &[b"k", b"0", &p, b"replace", b"idletime", b"1000"]),
            "+OK\r\n"
        );
        assert_eq!(h.run_str(&["object", "idletime", "k"]), ":1000\r\n");
        assert_eq!(
            h.run_str(&["restore", "k"]),
            "-ERR wrong number of arguments for 'restore' command\r\n"
        );
    }

    /// Mutated payloads of every type through RESTORE (checksums skipped
    /// so the decoder sees them): every reply is +OK or an error, never a
    /// panic.
    #[test]
    fn mutated_payloads_never_panic() {
        let mut h = debug_harness();
        h.run(&["rpush", "l", "a", "1", "300", "-70000", &"x".repeat(300)]);
        h.run(&["sadd", "si", "1", "2", "-3", "5000000000"]);
        h.run(&["sadd", "ss", "a", "b"]);
        h.run(&["hset", "h", "f", "v", "g", "12"]);
        h.run(&["zadd", "z", "1.5", "a", "2", "b"]);
        let mut big = vec!["zadd", "zb"];
        let members: Vec<String> = (0..200).map(|i| format!("m{}", i)).collect();
        for m in &members {
            big.push("3");
            big.push(m);
        }
        h.run(&big);
        h.run(&["set", "s", &"abc".repeat(50)]);
        let payloads: Vec<Vec<u8>> = ["l", "si", "ss", "h", "z", "zb", "s"]
            .iter()
            .map(|k| dump(&mut h, k))
            .collect();
        h.run(&["debug", "set-skip-checksum-validation", "1"]);
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut ok = 0;
        for round in 0..2000 {
            let mut p = payloads[round % payloads.len()].clone();
            let body = p.len() - 10;
            match round % 4 {
                0 => {
                    let i = next() as usize % body;
                    p[i] ^= 1 << (next() % 8);
                }
                1 => {
                    let i = next() as usize % body;
                    p[i] = next() as u8;
                }
                2 => {
                    let cut = next() as usize % body;
                    p.drain(cut..body);
                }
                _ => {
                    let i = next() as usize % body;
                    p.insert(i, next() as u8);
                }
            }
            let r = run(&mut h, &[b"restore", b"k", b"0", &p, b"replace"]);
            assert!(r == "+OK\r\n" || r.starts_with("-ERR "), "{}", r);
            ok += (r == "+OK\r\n") as usize;
        }
        assert!(ok > 0 && ok < 2000, "{}", ok);
        h.run(&["debug", "set-skip-checksum-validation", "0"]);
    }
}
