//! DUMP / RESTORE against real `redis-server` 7.0: payloads dumped by
//! Redis restore in ferredis and the other way round, for every type and
//! encoding (same type, encoding and DEBUG DIGEST-VALUE on both sides),
//! and RESTORE's errors are byte-identical.
//!
//! Redis counterpart: `tests/unit/dump.tcl` in Redis's suite.

use crate::common::{escape, have_tool, RawConn, TestServer};
use crate::rdb::{coll_snapshot, fill_collections};
use ferredis::persistence::rdb::encode::RdbWriter;
use ferredis::persistence::rdb::packed::{write_ziplist, write_zipmap, ListpackWriter};

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

fn redis() -> Option<TestServer> {
    have_tool("redis-server").then(|| TestServer::start_binary("redis-server", DEBUG_ON))
}

/// Copies every key of `from` into `to` with DUMP + RESTORE (keeping the
/// expiry through PEXPIRETIME and RESTORE ... ABSTTL).
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
            // The absolute expiry, so the copy's is exactly the original's.
            let at = from.cmd_frame(&[&b"PEXPIRETIME"[..], key]).text();
            let at = if at.starts_with('-') {
                "0".to_string()
            } else {
                at
            };
            let args: [&[u8]; 5] = [b"RESTORE", key, at.as_bytes(), payload.bytes(), b"ABSTTL"];
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

/// A DUMP payload of RDB type `t` with `body`.
fn payload(t: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![t];
    p.extend_from_slice(body);
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = ferredis::util::crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

fn rdb_string(b: &[u8]) -> Vec<u8> {
    let mut w = RdbWriter::new(Vec::new(), false);
    w.write_string(b).expect("vec");
    w.into_inner()
}

fn rdb_len(n: u64) -> Vec<u8> {
    let mut w = RdbWriter::new(Vec::new(), false);
    w.write_len(n).expect("vec");
    w.into_inner()
}

/// The encodings Redis 7.0 no longer writes but still loads (ziplist,
/// zipmap, quicklist v1, plain list, text-score zset): the same payload
/// restores to the same value and encoding in both servers.
#[test]
fn old_encodings_restore_like_redis() {
    let Some(r) = redis() else {
        return;
    };
    let a = TestServer::with_args(DEBUG_ON);
    let mut cr = r.raw();
    let mut c = a.raw();
    let big = vec![b'q'; 300];
    let items: [&[u8]; 9] = [
        b"a",
        b"1",
        b"12",
        b"-100",
        b"30000",
        b"-70000",
        b"5000000000",
        &big,
        b"",
    ];
    let many: Vec<Vec<u8>> = (0..1400).map(|i| format!("f{}", i).into_bytes()).collect();
    let many: Vec<&[u8]> = many.iter().map(|v| v.as_slice()).collect();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("zl-list", payload(10, &rdb_string(&write_ziplist(&items)))),
        (
            "zl-hash",
            payload(13, &rdb_string(&write_ziplist(&[b"f", b"1", b"g", &big]))),
        ),
        (
            "zl-hash-big",
            payload(13, &rdb_string(&write_ziplist(&many[..600]))),
        ),
        (
            "zl-zset",
            payload(
                12,
                &rdb_string(&write_ziplist(&[b"m1", b"1", b"m2", b"2.5", b"m3", b"-3"])),
            ),
        ),
        (
            "zm-hash",
            payload(
                9,
                &rdb_string(&write_zipmap(&[(b"f1", b"v1"), (b"f2", b"22")])),
            ),
        ),
        (
            "zm-hash-long",
            payload(9, &rdb_string(&write_zipmap(&[(b"f1", &big)]))),
        ),
    ];
    cases.push((
        "zl-zset-long",
        payload(12, &rdb_string(&write_ziplist(&[&big[..], b"1"]))),
    ));
    let zbig: Vec<Vec<u8>> = (0..400)
        .map(|i| {
            if i % 2 == 0 {
                format!("m{}", i).into_bytes()
            } else {
                format!("{}", i as f64 / 4.0).into_bytes()
            }
        })
        .collect();
    let zbig: Vec<&[u8]> = zbig.iter().map(|v| v.as_slice()).collect();
    cases.push((
        "zl-zset-big",
        payload(12, &rdb_string(&write_ziplist(&zbig))),
    ));
    let mut lp = ListpackWriter::new();
    for e in [&b"f"[..], &big, b"n", b"-5"] {
        lp.push_bytes(e);
    }
    cases.push(("lp-hash-long", payload(16, &rdb_string(&lp.finish()))));
    let mut lp = ListpackWriter::new();
    for e in [&big[..], b"1.5"] {
        lp.push_bytes(e);
    }
    cases.push(("lp-zset-long", payload(17, &rdb_string(&lp.finish()))));
    let mut ql = rdb_len(2);
    ql.extend(rdb_string(&write_ziplist(&items[..3])));
    ql.extend(rdb_string(&write_ziplist(&items[3..])));
    cases.push(("ql-list", payload(14, &ql)));
    // Quicklist v1 with an empty ziplist node (skipped), quicklist v2
    // with a plain node between packed ones.
    let mut ql = rdb_len(3);
    ql.extend(rdb_string(&write_ziplist(&items[..2])));
    ql.extend(rdb_string(&write_ziplist(&[])));
    ql.extend(rdb_string(&write_ziplist(&items[2..4])));
    cases.push(("ql-empty-node", payload(14, &ql)));
    let mut lp = ListpackWriter::new();
    for e in [&b"p1"[..], b"2", b"-7"] {
        lp.push_bytes(e);
    }
    let lp = lp.finish();
    let mut q2 = rdb_len(3);
    q2.extend(rdb_len(2));
    q2.extend(rdb_string(&lp));
    q2.extend(rdb_len(1));
    q2.extend(rdb_string(&big));
    q2.extend(rdb_len(2));
    q2.extend(rdb_string(&lp));
    cases.push(("q2-plain", payload(18, &q2)));
    let mut pl = rdb_len(3);
    for e in [&b"x"[..], b"7", &big] {
        pl.extend(rdb_string(e));
    }
    cases.push(("plain-list", payload(1, &pl)));
    let mut z1 = rdb_len(3);
    z1.extend(rdb_string(b"a"));
    z1.extend(b"\x031.5");
    z1.extend(rdb_string(b"b"));
    z1.push(254);
    z1.extend(rdb_string(b"c"));
    z1.push(255);
    cases.push(("v1-zset", payload(3, &z1)));
    let mut z1 = rdb_len(200);
    for i in 0..200 {
        z1.extend(rdb_string(format!("m{}", i).as_bytes()));
        let s = format!("{}", i as f64 / 3.0);
        z1.push(s.len() as u8);
        z1.extend(s.as_bytes());
    }
    cases.push(("v1-zset-big", payload(3, &z1)));
    let mut ps = rdb_len(3);
    for e in [&b"1"[..], b"2", b"x"] {
        ps.extend(rdb_string(e));
    }
    cases.push(("plain-set", payload(2, &ps)));
    for (k, p) in &cases {
        let args: [&[u8]; 4] = [b"RESTORE", k.as_bytes(), b"0", p];
        let ours = c.cmd(&args);
        let theirs = cr.cmd(&args);
        assert_eq!(escape(&ours), escape(&theirs), "{}", k);
        assert_eq!(ours, b"+OK\r\n", "{}", k);
    }
    assert_eq!(coll_snapshot(&mut c), coll_snapshot(&mut cr));
    // Corrupt old blobs get the same error in both.
    let mut bad = write_ziplist(&items);
    bad[8] = 3;
    let bad_zl = payload(10, &rdb_string(&bad));
    let dup = payload(13, &rdb_string(&write_ziplist(&[b"f", b"1", b"f", b"2"])));
    let odd = payload(13, &rdb_string(&write_ziplist(&[b"f", b"1", b"g"])));
    let empty = payload(10, &rdb_string(&write_ziplist(&[])));
    for p in [&bad_zl, &dup, &odd, &empty] {
        let args: [&[u8]; 4] = [b"RESTORE", b"bad", b"0", p];
        assert_eq!(escape(&c.cmd(&args)), escape(&cr.cmd(&args)));
    }
}
