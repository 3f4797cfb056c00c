//! DUMP / RESTORE against real `redis-server` 7.0: payloads dumped by
//! Redis restore in ferredis and the other way round, for every type and
//! encoding (same type, encoding and DEBUG DIGEST-VALUE on both sides),
//! and RESTORE's errors are byte-identical.
//!
//! Redis counterpart: `tests/unit/dump.tcl` in Redis's suite.

use crate::common::{escape, have_tool, RawConn, TestServer};
use crate::rdb::{coll_snapshot, fill_collections};

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

fn redis() -> Option<TestServer> {
    have_tool("redis-server").then(|| TestServer::start_binary("redis-server", DEBUG_ON))
}

/// Copies every key of `from` into `to` with DUMP + RESTORE (keeping the
/// TTL through PTTL).
fn copy_all(from: &mut RawConn, to: &mut RawConn) -> usize {
    let mut n = 0;
    for db in 0..16u32 {
        let sel = db.to_string();
        assert_eq!(from.cmd(&["SELECT", &sel]), b"+OK\r\n");
        assert_eq!(to.cmd(&["SELECT", &sel]), b"+OK\r\n");
        let keys = from.cmd_frame(&["KEYS", "*"]);
        for k in &keys.children {
            let key = k.bytes();
            let payload = from.cmd_frame(&[&b"DUMP"[..], key]);
            assert_eq!(payload.kind, b'$', "{}", escape(&payload.raw));
            let pttl = from.cmd_frame(&[&b"PTTL"[..], key]).text();
            let ttl = if pttl.starts_with('-') {
                "0".to_string()
            } else {
                pttl
            };
            let args: [&[u8]; 4] = [b"RESTORE", key, ttl.as_bytes(), payload.bytes()];
            let r = to.cmd(&args);
            assert_eq!(r, b"+OK\r\n", "{}: {}", escape(key), escape(&r));
            n += 1;
        }
    }
    assert_eq!(from.cmd(&["SELECT", "0"]), b"+OK\r\n");
    assert_eq!(to.cmd(&["SELECT", "0"]), b"+OK\r\n");
    n
}

#[test]
fn payloads_cross_over_with_redis_in_both_directions() {
    let Some(r) = redis() else {
        return;
    };
    let a = TestServer::with_args(DEBUG_ON);
    let mut cr = r.raw();
    let mut c = a.raw();
    fill_collections(&mut cr);
    let want = coll_snapshot(&mut cr);
    // Redis -> ferredis.
    assert!(copy_all(&mut cr, &mut c) > 10);
    assert_eq!(coll_snapshot(&mut c), want);
    // ferredis -> Redis.
    assert_eq!(cr.cmd(&["FLUSHALL"]), b"+OK\r\n");
    copy_all(&mut c, &mut cr);
    assert_eq!(coll_snapshot(&mut cr), want);
    // Strings of every encoding: same payload bytes as Redis writes.
    for (k, v) in [
        ("s1", "v".to_string()),
        ("s2", "12345".to_string()),
        ("s3", "-70000".to_string()),
        ("s4", "x".repeat(100)),
        ("s5", "abcdefghijklmnopqrstuvwxyz".to_string()),
    ] {
        assert_eq!(c.cmd(&["SET", k, &v]), b"+OK\r\n");
        assert_eq!(cr.cmd(&["SET", k, &v]), b"+OK\r\n");
        let ours = c.cmd(&["DUMP", k]);
        let theirs = cr.cmd(&["DUMP", k]);
        if v.len() <= 20 {
            assert_eq!(escape(&ours), escape(&theirs), "{}", k);
        }
    }
}

#[test]
fn restore_errors_match_redis() {
    let Some(r) = redis() else {
        return;
    };
    let a = TestServer::with_args(DEBUG_ON);
    let mut cr = r.raw();
    let mut c = a.raw();
    let mut both = |args: &[&[u8]]| {
        let ours = c.cmd(args);
        let theirs = cr.cmd(args);
        assert_eq!(escape(&ours), escape(&theirs), "{:?}", args);
        ours
    };
    both(&[b"SET", b"k", b"v"]);
    let p = both(&[b"DUMP", b"k"]);
    let nl = p.iter().position(|&b| b == b'\n').expect("bulk");
    let p = p[nl + 1..p.len() - 2].to_vec();
    let mut bad_crc = p.clone();
    bad_crc[2] ^= 0x20;
    let mut newer = p.clone();
    let n = newer.len();
    newer[n - 10] = 11;
    let cases: Vec<Vec<&[u8]>> = vec![
        vec![b"RESTORE", b"k", b"0", &p],
        vec![b"RESTORE", b"k", b"0", &p, b"bogus"],
        vec![b"RESTORE", b"k2", b"-1", &p],
        vec![b"RESTORE", b"k2", b"1.5", &p],
        vec![b"RESTORE", b"k2", b"0", b"short"],
        vec![b"RESTORE", b"k2", b"0", &bad_crc],
        vec![b"RESTORE", b"k2", b"0", &newer],
        vec![b"RESTORE", b"k2", b"0", &p, b"IDLETIME"],
        vec![b"RESTORE", b"k2", b"0", &p, b"IDLETIME", b"-1"],
        vec![b"RESTORE", b"k2", b"0", &p, b"IDLETIME", b"x"],
        vec![b"RESTORE", b"k2", b"0", &p, b"FREQ", b"256"],
        vec![b"RESTORE", b"k2", b"0", &p, b"FREQ", b"-1"],
        vec![
            b"RESTORE",
            b"k2",
            b"0",
            &p,
            b"FREQ",
            b"1",
            b"IDLETIME",
            b"1",
        ],
        vec![
            b"RESTORE",
            b"k2",
            b"0",
            &p,
            b"IDLETIME",
            b"1",
            b"FREQ",
            b"1",
        ],
        vec![b"RESTORE", b"k2"],
        vec![b"DUMP"],
        vec![b"DUMP", b"nokey"],
        vec![b"RESTORE", b"k", b"0", &p, b"REPLACE"],
        vec![b"GET", b"k"],
        vec![b"RESTORE", b"k", b"1", &p, b"REPLACE", b"ABSTTL"],
        vec![b"EXISTS", b"k"],
        vec![
            b"RESTORE",
            b"k",
            b"100000",
            &p,
            b"ABSTTL",
            b"IDLETIME",
            b"5",
        ],
        vec![b"OBJECT", b"IDLETIME", b"k"],
        vec![b"SET", b"list", b"x"],
        vec![b"DEBUG", b"SET-SKIP-CHECKSUM-VALIDATION", b"1"],
        vec![b"RESTORE", b"k3", b"0", &bad_crc],
        vec![b"RESTORE", b"k4", b"0", b"\x00\x09v\x0a\x00abcdefgh"],
        vec![b"RESTORE", b"k5", b"0", b"\x0f\x01\x00\x0a\x00abcdefgh"],
        vec![b"RESTORE", b"k6", b"0", b"\x12\x00\x0a\x00abcdefgh"],
        vec![b"DEBUG", b"SET-SKIP-CHECKSUM-VALIDATION", b"0"],
        vec![b"EXISTS", b"k3", b"k4", b"k5", b"k6"],
        vec![b"GET", b"k4"],
    ];
    for args in &cases {
        both(args);
    }
}
