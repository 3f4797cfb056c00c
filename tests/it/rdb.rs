//! RDB persistence seen from outside: SAVE and the final save at shutdown
//! write `dir`/`dbfilename`, start-up loads it, and the files cross over
//! with real `redis-server` 7.0 in both directions (equal keyspaces and
//! DEBUG DIGEST), `redis-check-rdb` accepts ferredis's file, corrupt files
//! stop the start-up with a log line instead of a panic.
//!
//! Redis counterpart: `tests/integration/rdb.tcl` and
//! `tests/unit/shutdown.tcl` in Redis's suite.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{
    encode_command, escape, free_port, have_tool, unique_dir, Frame, RawConn, TestServer, FERREDIS,
};

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];
const DBS: [u32; 4] = [0, 1, 5, 15];

/// `--dir <dir>` plus save points and DEBUG.
fn args_for<'a>(dir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--dir", dir, "--enable-debug-command", "yes"];
    v.extend_from_slice(extra);
    v
}

fn ferredis_in(dir: &Path, extra: &[&str]) -> TestServer {
    let d = dir.to_str().expect("utf-8 dir");
    TestServer::with_args(&args_for(d, extra))
}

fn redis_in(dir: &Path, extra: &[&str]) -> Option<TestServer> {
    if !have_tool("redis-server") {
        return None;
    }
    let d = dir.to_str().expect("utf-8 dir");
    Some(TestServer::start_binary(
        "redis-server",
        &args_for(d, extra),
    ))
}

fn ok(c: &mut RawConn, args: &[&[u8]]) {
    let r = c.cmd(args);
    assert_eq!(escape(&r), "+OK\\r\\n", "{:?}", args);
}

/// Sends many commands at once and reads every reply (all must be +OK).
fn pipeline(c: &mut RawConn, cmds: &[Vec<Vec<u8>>]) {
    let mut buf = Vec::new();
    for a in cmds {
        buf.extend_from_slice(&encode_command(a));
    }
    c.send(&buf);
    for a in cmds {
        let f = c.read_reply();
        assert!(!f.is_error(), "{:?}: {}", a, escape(&f.raw));
    }
}

/// Strings of every encoding, binary data, TTLs, several databases and
/// a few thousand keys.
fn fill(c: &mut RawConn) {
    let long = vec![b'a'; 10_000];
    let mut patterned = Vec::new();
    for i in 0..3000u32 {
        patterned.extend_from_slice(format!("{:05}|", i % 97).as_bytes());
    }
    let mut binary: Vec<u8> = (0..=255u8).collect();
    binary.extend_from_slice(b"\r\n\x00tail");
    let sets: Vec<(&[u8], &[u8])> = vec![
        (b"str", b"hello world"),
        (b"empty", b""),
        (b"", b"empty key"),
        (b"int", b"12345"),
        (b"int8", b"-100"),
        (b"int16", b"30000"),
        (b"int32", b"-70000"),
        (b"int64", b"1234567890123"),
        (b"min64", b"-9223372036854775808"),
        (b"lead0", b"0123"),
        (b"minus0", b"-0"),
        (b"float", b"3.14"),
        (b"12345", b"int key"),
        (b"embstr44", &[b'e'; 44]),
        (b"raw45", &[b'r'; 45]),
        (b"long", &long),
        (b"patterned", &patterned),
        (b"bin\x00key\xff", &binary),
    ];
    for (k, v) in &sets {
        ok(c, &[b"SET", k, v]);
    }
    // A small raw string (APPEND) and keys with TTLs.
    ok(c, &[b"SET", b"appended", b"ab"]);
    let _ = c.cmd(&["APPEND", "appended", "cd"]);
    ok(c, &[b"SET", b"ttl1", b"v", b"PX", b"500000"]);
    ok(c, &[b"SET", b"ttl2", b"42", b"EX", b"1000000"]);
    ok(c, &[b"SET", b"ttl-abs", b"v", b"PXAT", b"4102444800000"]);
    for db in &DBS[1..] {
        ok(c, &[b"SELECT", db.to_string().as_bytes()]);
        let mut cmds = Vec::new();
        for i in 0..1500u32 {
            let k = format!("db{}:key:{}", db, i).into_bytes();
            let v = match i % 5 {
                0 => i.to_string().into_bytes(),
                1 => format!("value-{}", i).into_bytes(),
                2 => vec![b'x'; (i % 300) as usize],
                3 => (i as i64 * -1_000_003).to_string().into_bytes(),
                _ => vec![(i % 256) as u8; 3],
            };
            let mut cmd = vec![b"SET".to_vec(), k, v];
            if i % 7 == 0 {
                cmd.extend([
                    b"PX".to_vec(),
                    (100_000 + i * 1000).to_string().into_bytes(),
                ]);
            }
            cmds.push(cmd);
        }
        pipeline(c, &cmds);
    }
    ok(c, &[b"SELECT", b"0"]);
}

/// Everything a client sees of a key: value, PTTL, encoding.
type Snapshot = BTreeMap<(u32, Vec<u8>), (Vec<u8>, i64, String)>;

fn snapshot(c: &mut RawConn) -> Snapshot {
    let mut out = Snapshot::new();
    for db in 0..16u32 {
        ok(c, &[b"SELECT", db.to_string().as_bytes()]);
        let keys = c.cmd_frame(&["KEYS", "*"]);
        assert_eq!(keys.kind, b'*', "{}", escape(&keys.raw));
        for k in &keys.children {
            let key = k.bytes().to_vec();
            let v = c.cmd_frame(&[&b"GET"[..], &key]);
            let ttl: i64 = c
                .cmd_frame(&[&b"PTTL"[..], &key])
                .text()
                .parse()
                .expect("PTTL");
            let enc = c.cmd_frame(&[&b"OBJECT"[..], b"ENCODING", &key]);
            out.insert(
                (db, key),
                (
                    v.bytes().to_vec(),
                    ttl,
                    String::from_utf8_lossy(enc.bytes()).into_owned(),
                ),
            );
        }
    }
    ok(c, &[b"SELECT", b"0"]);
    out
}

/// Asserts two snapshots hold the same keys and values, TTLs within
/// `slack_ms`, and (with `encodings`) the same OBJECT ENCODING.
fn assert_same(a: &Snapshot, b: &Snapshot, slack_ms: i64, encodings: bool, what: &str) {
    assert_eq!(a.len(), b.len(), "{}: key counts differ", what);
    for (k, (v, ttl, enc)) in a {
        let (v2, ttl2, enc2) = b
            .get(k)
            .unwrap_or_else(|| panic!("{}: key {:?} missing", what, escape(&k.1)));
        assert!(v == v2, "{}: value of {} differs", what, escape(&k.1));
        if encodings {
            assert_eq!(enc, enc2, "{}: encoding of {}", what, escape(&k.1));
        }
        assert_eq!(*ttl < 0, *ttl2 < 0, "{}: TTL of {}", what, escape(&k.1));
        if *ttl >= 0 {
            assert!(
                (ttl - ttl2).abs() <= slack_ms,
                "{}: PTTL of {}: {} vs {}",
                what,
                escape(&k.1),
                ttl,
                ttl2
            );
        }
    }
}

fn digest(c: &mut RawConn) -> String {
    let f = c.cmd_frame(&["DEBUG", "DIGEST"]);
    assert_eq!(f.kind, b'+', "{}", escape(&f.raw));
    f.text()
}

fn info_field(c: &mut RawConn, section: &str, field: &str) -> String {
    let f = c.cmd_frame(&["INFO", section]);
    let text = String::from_utf8_lossy(f.bytes()).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", field)))
        .unwrap_or_else(|| panic!("no {} in {}", field, text))
        .to_string()
}

/// A directory that outlives the servers using it (removed on success).
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        Dir(unique_dir(tag))
    }
    fn dump(&self) -> PathBuf {
        self.0.join("dump.rdb")
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

fn stop(mut s: TestServer, c: &mut RawConn) {
    c.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    assert!(
        s.wait_exit(Duration::from_secs(10)).is_some(),
        "{}",
        s.log()
    );
}

#[test]
fn save_then_restart_and_redis_load_the_same_keyspace() {
    let dir = Dir::new("rdb-save");
    let a = ferredis_in(&dir.0, &[]);
    let mut c = a.raw();
    fill(&mut c);
    // A key that is already expired when the file is loaded.
    ok(&mut c, &[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"]);
    ok(&mut c, &[b"SET", b"stale", b"v", b"PX", b"1"]);
    std::thread::sleep(Duration::from_millis(20));
    let before_save = info_field(&mut c, "persistence", "rdb_changes_since_last_save");
    assert_ne!(before_save, "0");
    let lastsave: i64 = c.cmd_frame(&["LASTSAVE"]).text().parse().expect("int");
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    assert!(a.log().contains("DB saved on disk"), "{}", a.log());
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert_eq!(info_field(&mut c, "persistence", "rdb_saves"), "1");
    let lastsave2: i64 = c.cmd_frame(&["LASTSAVE"]).text().parse().expect("int");
    assert!(lastsave2 >= lastsave);
    // No temp file left behind.
    let leftovers: Vec<_> = fs::read_dir(&dir.0)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "{:?}", leftovers);
    c.cmd(&["DEL", "stale"]);
    let want = snapshot(&mut c);
    let want_digest = digest(&mut c);
    stop(a, &mut c);

    // ferredis loads its own file.
    let b = ferredis_in(&dir.0, &[]);
    let log = b.log();
    for line in [
        "Loading RDB produced by version 7.0.15",
        "RDB age ",
        "RDB memory usage when created ",
        "keys expired: 1.",
        "DB loaded from disk: ",
    ] {
        assert!(log.contains(line), "{}: {}", line, log);
    }
    let loaded = log.find("DB loaded from disk").expect("loaded");
    let ready = log.find("Ready to accept connections").expect("ready");
    assert!(loaded < ready, "{}", log);
    let mut cb = b.raw();
    let got = snapshot(&mut cb);
    // (A raw string made by APPEND is embstr after a reload, as in Redis.)
    assert_same(&want, &got, 10_000, false, "ferredis reload");
    assert_eq!(digest(&mut cb), want_digest);
    let n: usize = info_field(&mut cb, "persistence", "rdb_last_load_keys_loaded")
        .parse()
        .expect("int");
    assert_eq!(n, want.len());
    assert_eq!(
        info_field(&mut cb, "persistence", "rdb_last_load_keys_expired"),
        "1"
    );
    assert_eq!(
        info_field(&mut cb, "persistence", "rdb_changes_since_last_save"),
        "0"
    );

    // redis-check-rdb accepts the file.
    if have_tool("redis-check-rdb") {
        let out = Command::new("redis-check-rdb")
            .arg(dir.dump())
            .output()
            .expect("run redis-check-rdb");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", text);
        assert!(text.contains("Checksum OK"), "{}", text);
        assert!(text.contains("RDB looks OK"), "{}", text);
    }

    // Real redis-server loads it: same keys, values, TTLs, encodings,
    // digest.
    let Some(r) = redis_in(&dir.0, &[]) else {
        return;
    };
    assert!(
        r.log().contains("Done loading RDB") && r.log().contains("keys expired: 1."),
        "{}",
        r.log()
    );
    let mut cr = r.raw();
    let theirs = snapshot(&mut cr);
    assert_same(&got, &theirs, 10_000, true, "redis-server load");
    assert_eq!(digest(&mut cr), want_digest);
    stop(r, &mut cr);
    stop(b, &mut cb);
}

#[test]
fn redis_dump_with_lzf_and_ints_loads_in_ferredis() {
    let dir = Dir::new("rdb-redis");
    let Some(r) = redis_in(&dir.0, &["--rdbcompression", "yes"]) else {
        return;
    };
    let mut cr = r.raw();
    fill(&mut cr);
    assert_eq!(cr.cmd(&["SAVE"]), b"+OK\r\n");
    let want = snapshot(&mut cr);
    let want_digest = digest(&mut cr);
    stop(r, &mut cr);
    // Long repetitive values were compressed: the file is much smaller
    // than the data.
    let size = fs::metadata(dir.dump()).expect("dump").len();
    let a = ferredis_in(&dir.0, &[]);
    let mut c = a.raw();
    let got = snapshot(&mut c);
    let data: usize = got.values().map(|(v, _, _)| v.len()).sum();
    assert!((size as usize) < data, "file {} bytes, data {}", size, data);
    assert_same(&want, &got, 10_000, false, "ferredis load of redis dump");
    assert_eq!(digest(&mut c), want_digest);
    // And what ferredis saves back is still the same dataset for Redis.
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    stop(a, &mut c);
    let r2 = redis_in(&dir.0, &[]).expect("redis-server");
    let mut cr2 = r2.raw();
    assert_eq!(digest(&mut cr2), want_digest);
    // Loaded values get the same encodings in both servers.
    assert_same(&got, &snapshot(&mut cr2), 10_000, true, "redis reload");
    stop(r2, &mut cr2);
}

#[test]
fn sigterm_with_save_points_saves_and_nosave_does_not() {
    let dir = Dir::new("rdb-term");
    let mut a = ferredis_in(&dir.0, &["--save", "900 1"]);
    let mut c = a.raw();
    ok(&mut c, &[b"SET", b"k", b"v"]);
    ok(&mut c, &[b"SET", b"n", b"7"]);
    a.signal("TERM");
    let st = a.wait_exit(Duration::from_secs(10));
    let log = a.log();
    assert_eq!(st.and_then(|s| s.code()), Some(0), "{}", log);
    let save = log
        .find("Saving the final RDB snapshot before exiting.")
        .unwrap_or_else(|| panic!("{}", log));
    let saved = log
        .find("DB saved on disk")
        .unwrap_or_else(|| panic!("{}", log));
    let bye = log.find("ready to exit, bye bye").expect("bye");
    assert!(save < saved && saved < bye, "{}", log);
    assert!(dir.dump().is_file());
    let b = ferredis_in(&dir.0, &["--save", "900 1"]);
    let mut cb = b.raw();
    assert_eq!(cb.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    assert_eq!(cb.cmd(&["GET", "n"]), b"$1\r\n7\r\n");

    // SHUTDOWN NOSAVE leaves the old file as it was.
    fs::remove_file(dir.dump()).expect("remove dump");
    ok(&mut cb, &[b"SET", b"k", b"changed"]);
    stop(b, &mut cb);
    assert!(!dir.dump().exists());

    // Without save points SHUTDOWN saves only when told to.
    let c_srv = ferredis_in(&dir.0, &[]);
    let mut cc = c_srv.raw();
    ok(&mut cc, &[b"SET", b"x", b"1"]);
    let mut c_srv = c_srv;
    cc.send_cmd(&["SHUTDOWN"]);
    assert!(c_srv.wait_exit(Duration::from_secs(10)).is_some());
    assert!(!dir.dump().exists(), "{}", c_srv.log());
    let mut d_srv = ferredis_in(&dir.0, &[]);
    let mut cd = d_srv.raw();
    ok(&mut cd, &[b"SET", b"x", b"2"]);
    cd.send_cmd(&["SHUTDOWN", "SAVE"]);
    assert!(d_srv.wait_exit(Duration::from_secs(10)).is_some());
    assert!(dir.dump().is_file(), "{}", d_srv.log());
}

#[test]
fn failed_save_refuses_to_shut_down_unless_forced() {
    let dir = Dir::new("rdb-fail");
    let mut a = ferredis_in(&dir.0, &["--save", "900 1"]);
    let mut c = a.raw();
    ok(&mut c, &[b"SET", b"k", b"v"]);
    // A directory where the dump goes: the rename into place fails.
    fs::create_dir(dir.dump()).expect("mkdir");
    let save_reply = c.cmd(&["SAVE"]);
    assert_eq!(escape(&save_reply), "-ERR\\r\\n");
    assert!(
        a.log().contains("Error moving temp DB file temp-"),
        "{}",
        a.log()
    );
    assert_ne!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    let shutdown_reply = c.cmd(&["SHUTDOWN"]);
    assert_eq!(
        escape(&shutdown_reply),
        "-ERR Errors trying to SHUTDOWN. Check logs.\\r\\n"
    );
    assert!(
        a.log().contains("Error trying to save the DB, can't exit."),
        "{}",
        a.log()
    );
    // SIGTERM does not stop it either.
    a.signal("TERM");
    assert!(a.wait_for_log(
        "Received SIGTERM scheduling shutdown...",
        Duration::from_secs(5)
    ));
    std::thread::sleep(Duration::from_millis(300));
    assert!(a.is_alive(), "{}", a.log());
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(a.log().matches("can't exit").count(), 2, "{}", a.log());
    // FORCE exits anyway.
    c.send_cmd(&["SHUTDOWN", "FORCE"]);
    let st = a.wait_exit(Duration::from_secs(10));
    assert_eq!(st.and_then(|s| s.code()), Some(0), "{}", a.log());
    assert!(
        a.log()
            .contains("Error trying to save the DB. Exit anyway."),
        "{}",
        a.log()
    );
    let leftovers = fs::read_dir(&dir.0)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .count();
    assert_eq!(leftovers, 0);

    // Redis replies the same bytes in the same situation.
    let rdir = Dir::new("rdb-fail-redis");
    let Some(r) = redis_in(&rdir.0, &["--save", "900 1"]) else {
        return;
    };
    let mut cr = r.raw();
    ok(&mut cr, &[b"SET", b"k", b"v"]);
    fs::create_dir(rdir.dump()).expect("mkdir");
    assert_eq!(escape(&cr.cmd(&["SAVE"])), escape(&save_reply));
    assert_eq!(escape(&cr.cmd(&["SHUTDOWN"])), escape(&shutdown_reply));
    stop(r, &mut cr);
}

/// Starts ferredis on `file` as its dump and returns its exit code and log.
fn start_on(file: &[u8]) -> (Option<i32>, String) {
    let dir = Dir::new("rdb-corrupt");
    fs::write(dir.dump(), file).expect("write dump");
    let d = dir.0.to_str().expect("utf-8").to_string();
    let mut s = TestServer::spawn(FERREDIS, free_port(), &["--dir", &d]);
    let st = s.wait_exit(Duration::from_secs(10));
    (st.and_then(|s| s.code()), s.log())
}

#[test]
fn corrupt_or_truncated_dump_stops_start_up() {
    // A valid file to damage.
    let dir = Dir::new("rdb-valid");
    let a = ferredis_in(&dir.0, &[]);
    let mut c = a.raw();
    fill(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    stop(a, &mut c);
    let valid = fs::read(dir.dump()).expect("dump");
    let n = valid.len();

    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        (
            "tail cut",
            valid[..n - 100].to_vec(),
            &[
                "Short read or OOM loading DB. Unrecoverable error, aborting now.",
                "Internal error in RDB reading offset",
                "dump.rdb -> Unexpected EOF reading RDB file",
            ],
        ),
        (
            "checksum cut",
            valid[..n - 3].to_vec(),
            &["Short read or OOM loading DB"],
        ),
        ("empty", Vec::new(), &["Short read or OOM loading DB"]),
        (
            "flipped checksum",
            {
                let mut v = valid.clone();
                v[n - 1] ^= 0x55;
                v
            },
            &["Wrong RDB checksum expected: (", "RDB CRC error"],
        ),
        (
            "flipped value byte",
            {
                let mut v = valid.clone();
                let i = v.windows(5).position(|w| w == b"hello").expect("hello");
                v[i] = b'j';
                v
            },
            &["Wrong RDB checksum expected: ("],
        ),
        (
            "bad magic",
            {
                let mut v = valid.clone();
                v[0] = b'X';
                v
            },
            &[
                "Wrong signature trying to load DB from file",
                "Fatal error loading the DB: Invalid argument. Exiting.",
            ],
        ),
        (
            "newer version",
            {
                let mut v = valid.clone();
                v[5..9].copy_from_slice(b"0011");
                v
            },
            &["Can't handle RDB format version 11"],
        ),
        (
            "unknown type",
            {
                let mut v = valid.clone();
                // SELECTDB 0, RESIZEDB (two 1-byte lengths), then the
                // first key: an optional EXPIRETIME_MS and its type byte.
                let i = v
                    .windows(3)
                    .position(|w| w == [0xfe, 0x00, 0xfb])
                    .expect("db 0");
                let mut t = i + 5;
                if v[t] == 0xfc {
                    t += 9;
                }
                assert_eq!(v[t], 0x00);
                v[t] = 0x63;
                v
            },
            &["Unknown RDB encoding type 99"],
        ),
    ];
    for (what, file, lines) in cases {
        let (code, log) = start_on(&file);
        assert_eq!(code, Some(1), "{}: {}", what, log);
        for l in lines {
            assert!(log.contains(l), "{}: want {:?} in\n{}", what, l, log);
        }
        assert!(!log.contains("Ready to accept connections"), "{}", log);
        assert!(!log.contains("REDIS BUG REPORT"), "{}: {}", what, log);
        assert!(!log.contains("panicked"), "{}: {}", what, log);
    }
}

#[test]
fn save_command_row() {
    let srv = TestServer::with_args(DEBUG_ON);
    let mut c = srv.raw();
    let info = c.cmd_frame(&["COMMAND", "INFO", "save"]);
    let entry: &Frame = &info.children[0];
    assert_eq!(entry.children[1].text(), "1");
    let flags: Vec<String> = entry.children[2]
        .children
        .iter()
        .map(|f| f.text())
        .collect();
    for f in ["admin", "noscript", "no_async_loading", "no_multi"] {
        assert!(flags.iter().any(|x| x == f), "{}", escape(&info.raw));
    }
    assert_eq!(
        c.cmd(&["SAVE", "x"]),
        b"-ERR wrong number of arguments for 'save' command\r\n"
    );
}

/// Lists, sets and hashes survive SAVE and a restart, and the file loads
/// in the real redis-server with the same digest.
#[test]
fn collections_round_trip_through_save_and_load_in_redis() {
    let dir = unique_dir("rdb-collections");
    let srv = ferredis_in(&dir, &[]);
    let mut c = srv.raw();
    c.cmd(&["RPUSH", "list", "a", "1", "bb", "-7", "a"]);
    let big: Vec<String> = (0..300).map(|i| format!("e{}", i)).collect();
    let mut args: Vec<&str> = vec!["RPUSH", "biglist"];
    args.extend(big.iter().map(|s| s.as_str()));
    c.cmd(&args);
    c.cmd(&["SADD", "ints", "3", "1", "2"]);
    c.cmd(&["SADD", "strs", "x", "y", "10"]);
    c.cmd(&["HSET", "h", "f1", "v1", "f2", "22"]);
    c.cmd(&["PEXPIRE", "h", "100000"]);
    c.cmd(&["SET", "s", "plain"]);
    let before = digest(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    stop(srv, &mut c);
    let srv = ferredis_in(&dir, &[]);
    let mut c = srv.raw();
    assert_eq!(digest(&mut c), before);
    assert_eq!(
        c.cmd(&["LRANGE", "list", "0", "-1"]),
        b"*5\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nbb\r\n$2\r\n-7\r\n$1\r\na\r\n"
    );
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "ints"]), b"$6\r\nintset\r\n");
    assert_eq!(c.cmd(&["HGET", "h", "f2"]), b"$2\r\n22\r\n");
    stop(srv, &mut c);
    if let Some(redis) = redis_in(&dir, &[]) {
        let mut r = redis.raw();
        assert_eq!(
            digest(&mut r),
            before,
            "redis-server loaded a different keyspace"
        );
    }
}

/// Sorted sets (both encodings) survive SAVE, a restart, and loading in the
/// real redis-server.
#[test]
fn sorted_sets_round_trip_through_save_and_load_in_redis() {
    let dir = unique_dir("rdb-zsets");
    let srv = ferredis_in(&dir, &[]);
    let mut c = srv.raw();
    c.cmd(&[
        "ZADD", "small", "1", "a", "-2.5", "b", "inf", "c", "-inf", "d",
    ]);
    let members: Vec<String> = (0..300)
        .map(|i| format!("{} m{}", i as f64 / 7.0, i))
        .collect();
    let mut args: Vec<&str> = vec!["ZADD", "big"];
    for m in &members {
        let (score, name) = m.split_once(' ').expect("pair");
        args.push(score);
        args.push(name);
    }
    c.cmd(&args);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "big"]), b"$8\r\nskiplist\r\n");
    let before = digest(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    stop(srv, &mut c);
    let srv = ferredis_in(&dir, &[]);
    let mut c = srv.raw();
    assert_eq!(digest(&mut c), before);
    assert_eq!(c.cmd(&["ZSCORE", "small", "c"]), b"$3\r\ninf\r\n");
    assert_eq!(c.cmd(&["ZCARD", "big"]), b":300\r\n");
    stop(srv, &mut c);
    if let Some(redis) = redis_in(&dir, &[]) {
        let mut r = redis.raw();
        assert_eq!(
            digest(&mut r),
            before,
            "redis-server loaded a different keyspace"
        );
    }
}

/// Collections of every type in their small and big encodings (and the
/// encodings' edge cases), with TTLs, in several databases.
pub(crate) fn fill_collections(c: &mut RawConn) {
    let b = |s: &str| s.as_bytes().to_vec();
    let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut add = |db: u32, args: Vec<Vec<u8>>| {
        cmds.push(vec![b("SELECT"), db.to_string().into_bytes()]);
        cmds.push(args);
    };
    let v = |parts: &[&str]| parts.iter().map(|p| b(p)).collect::<Vec<_>>();
    add(
        0,
        v(&[
            "RPUSH",
            "l:small",
            "a",
            "1",
            "300",
            "-70000",
            "5000000000",
            "",
        ]),
    );
    add(0, v(&["RPUSH", "l:bin", "\x00\u{ff}\r\n"]));
    let mut big = v(&["RPUSH", "l:big"]);
    big.extend((0..5000).map(|i| format!("element-{}-{}", i, "z".repeat(i % 50)).into_bytes()));
    add(0, big);
    let mut long = v(&["RPUSH", "l:long"]);
    long.push(vec![b'L'; 20_000]);
    long.push(b("short"));
    add(0, long);
    add(
        0,
        v(&["SADD", "s:int", "1", "-5", "300", "70000", "5000000000"]),
    );
    add(0, v(&["SADD", "s:str", "a", "b", "c"]));
    let mut s = v(&["SADD", "s:bigint"]);
    s.extend((0..600).map(|i| (i * 7).to_string().into_bytes()));
    add(1, s);
    let mut s = v(&["SADD", "s:big"]);
    s.extend((0..600).map(|i| format!("m{}", i).into_bytes()));
    add(1, s);
    add(
        0,
        v(&[
            "HSET",
            "h:small",
            "a",
            "1",
            "b",
            "hello",
            "n",
            "-12345678901",
        ]),
    );
    add(0, v(&["HSET", "h:longval", "f", &"v".repeat(100)]));
    let mut h = v(&["HSET", "h:big"]);
    for i in 0..600 {
        h.push(format!("f{}", i).into_bytes());
        h.push(format!("v{}", i).into_bytes());
    }
    add(5, h);
    add(
        0,
        v(&[
            "ZADD", "z:small", "1", "a", "2.5", "b", "-inf", "c", "inf", "d", "1e20", "e", "0",
            "f", "3", "100", "0.1", "g",
        ]),
    );
    add(0, v(&["ZADD", "z:longmember", "1", &"m".repeat(100)]));
    let mut z = v(&["ZADD", "z:big"]);
    for i in 0..300 {
        z.push(format!("{}", i as f64 / 7.0).into_bytes());
        z.push(format!("member{}", i).into_bytes());
    }
    add(15, z);
    add(0, v(&["HSET", "h:ttl", "a", "b"]));
    add(0, v(&["PEXPIRE", "h:ttl", "100000000"]));
    add(15, v(&["SADD", "s:ttl", "1"]));
    add(15, v(&["PEXPIREAT", "s:ttl", "4102444800000"]));
    add(0, v(&["SET", "str:lzf", &"abc".repeat(200)]));
    add(0, v(&["SELECT", "0"]));
    for cmd in &cmds {
        let f = c.cmd_frame(cmd);
        assert!(!f.is_error(), "{:?}: {}", cmd, escape(&f.raw));
    }
}

/// Per key: TYPE, OBJECT ENCODING, DEBUG DIGEST-VALUE and whether it
/// expires (PTTL rounded to minutes).
pub(crate) type CollSnapshot = BTreeMap<(u32, Vec<u8>), (String, String, String, i64)>;

pub(crate) fn coll_snapshot(c: &mut RawConn) -> CollSnapshot {
    let mut out = CollSnapshot::new();
    for db in 0..16u32 {
        ok(c, &[b"SELECT", db.to_string().as_bytes()]);
        let keys = c.cmd_frame(&["KEYS", "*"]);
        for k in &keys.children {
            let key = k.bytes().to_vec();
            let q = |c: &mut RawConn, a: &[&[u8]]| {
                let f = c.cmd_frame(a);
                String::from_utf8_lossy(f.bytes()).into_owned()
            };
            let t = q(c, &[b"TYPE", &key]);
            let enc = q(c, &[b"OBJECT", b"ENCODING", &key]);
            let dv = c.cmd_frame(&[&b"DEBUG"[..], b"DIGEST-VALUE", &key]);
            let dv = String::from_utf8_lossy(dv.children[0].bytes()).into_owned();
            // The absolute expiry: exact, unlike a TTL read at another time.
            let at: i64 = q(c, &[b"PEXPIRETIME", &key]).parse().expect("pexpiretime");
            out.insert((db, key), (t, enc, dv, at));
        }
    }
    ok(c, &[b"SELECT", b"0"]);
    out
}

#[test]
fn collections_of_every_encoding_cross_over_with_redis() {
    // Redis writes them, ferredis loads them.
    let dir = Dir::new("rdb-coll");
    let Some(r) = redis_in(&dir.0, &["--rdbcompression", "yes"]) else {
        return;
    };
    let mut cr = r.raw();
    fill_collections(&mut cr);
    assert_eq!(cr.cmd(&["SAVE"]), b"+OK\r\n");
    let want = coll_snapshot(&mut cr);
    let want_digest = digest(&mut cr);
    let redis_size = fs::metadata(dir.dump()).expect("dump").len();
    stop(r, &mut cr);
    let a = ferredis_in(&dir.0, &[]);
    let mut c = a.raw();
    assert_eq!(coll_snapshot(&mut c), want);
    assert_eq!(digest(&mut c), want_digest);
    // ferredis writes them (compact encodings, LZF), Redis loads them.
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    let our_size = fs::metadata(dir.dump()).expect("dump").len();
    assert!(
        our_size <= redis_size + redis_size / 10,
        "ferredis {} bytes, redis {}",
        our_size,
        redis_size
    );
    // DEBUG RELOAD keeps everything.
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_eq!(coll_snapshot(&mut c), want);
    assert!(
        a.log().contains("DB reloaded by DEBUG RELOAD"),
        "{}",
        a.log()
    );
    stop(a, &mut c);
    if have_tool("redis-check-rdb") {
        let out = Command::new("redis-check-rdb")
            .arg(dir.dump())
            .output()
            .expect("run redis-check-rdb");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let r2 = redis_in(&dir.0, &[]).expect("redis-server");
    let mut cr2 = r2.raw();
    assert_eq!(coll_snapshot(&mut cr2), want);
    assert_eq!(digest(&mut cr2), want_digest);
    stop(r2, &mut cr2);
}

#[test]
fn debug_reload_options() {
    let dir = Dir::new("rdb-reload");
    let a = ferredis_in(&dir.0, &[]);
    let mut c = a.raw();
    ok(&mut c, &[b"SET", b"a", b"1"]);
    // No file: an error, and (as in Redis) the dataset was flushed.
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]),
        b"-ERR Error trying to load the RDB dump\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "a"]), b":0\r\n");
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "BOGUS"]),
        b"-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
    ok(&mut c, &[b"SET", b"a", b"1"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    ok(&mut c, &[b"SET", b"a", b"2"]);
    ok(&mut c, &[b"SET", b"b", b"new"]);
    // NOSAVE: back to the file's contents.
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["GET", "a"]), b"$1\r\n1\r\n");
    assert_eq!(c.cmd(&["EXISTS", "b"]), b":0\r\n");
    // NOFLUSH with a conflicting key fails (Redis exits there; ferredis
    // refuses the reload); MERGE takes the file's value.
    ok(&mut c, &[b"SET", b"a", b"3"]);
    ok(&mut c, &[b"SET", b"c", b"kept"]);
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"]),
        b"-ERR Error trying to load the RDB dump\r\n"
    );
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["GET", "a"]), b"$1\r\n1\r\n");
    assert_eq!(c.cmd(&["GET", "c"]), b"$4\r\nkept\r\n");
    stop(a, &mut c);
}

#[test]
fn idle_and_freq_hints_survive_reload_and_cross_over() {
    for (policy, field, cmd_args) in [
        ("allkeys-lru", "IDLETIME", ["IDLETIME", "5000"]),
        ("allkeys-lfu", "FREQ", ["FREQ", "77"]),
    ] {
        let dir = Dir::new("rdb-access");
        let a = ferredis_in(&dir.0, &["--maxmemory-policy", policy]);
        let mut c = a.raw();
        ok(&mut c, &[b"SET", b"src", b"hello"]);
        let p = c.cmd_frame(&["DUMP", "src"]);
        let args: [&[u8]; 6] = [
            b"RESTORE",
            b"k",
            b"0",
            p.bytes(),
            cmd_args[0].as_bytes(),
            cmd_args[1].as_bytes(),
        ];
        ok(&mut c, &args);
        let want = c.cmd_frame(&["OBJECT", field, "k"]).text();
        assert_eq!(want, cmd_args[1]);
        assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
        let got: i64 = c
            .cmd_frame(&["OBJECT", field, "k"])
            .text()
            .parse()
            .expect("int");
        let want: i64 = want.parse().expect("int");
        assert!((got - want).abs() <= 2, "{} {} vs {}", field, got, want);
        stop(a, &mut c);
        let Some(r) = redis_in(&dir.0, &["--maxmemory-policy", policy]) else {
            return;
        };
        let mut cr = r.raw();
        let theirs: i64 = cr
            .cmd_frame(&["OBJECT", field, "k"])
            .text()
            .parse()
            .expect("int");
        assert!(
            (theirs - want).abs() <= 2,
            "redis {} {} vs {}",
            field,
            theirs,
            want
        );
        stop(r, &mut cr);
    }
}

#[test]
fn redis_files_with_streams_or_functions_are_refused_clearly() {
    let dir = Dir::new("rdb-stream");
    let Some(r) = redis_in(&dir.0, &[]) else {
        return;
    };
    let mut cr = r.raw();
    ok(&mut cr, &[b"SET", b"a", b"1"]);
    let id = cr.cmd(&["XADD", "events", "*", "f", "v"]);
    assert_eq!(id[0], b'$', "{}", escape(&id));
    assert_eq!(cr.cmd(&["SAVE"]), b"+OK\r\n");
    let with_stream = fs::read(dir.dump()).expect("dump");
    assert_eq!(cr.cmd(&["DEL", "events"]), b":1\r\n");
    let lib = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)";
    let loaded = cr.cmd(&["FUNCTION", "LOAD", lib]);
    assert_eq!(loaded, b"$5\r\nmylib\r\n");
    assert_eq!(cr.cmd(&["SAVE"]), b"+OK\r\n");
    let with_function = fs::read(dir.dump()).expect("dump");
    stop(r, &mut cr);
    let (code, log) = start_on(&with_stream);
    assert_eq!(code, Some(1), "{}", log);
    assert!(
        log.contains("Can't load key 'events': values of RDB type 19 (stream (listpacks v2 encoding)) are not supported yet by ferredis"),
        "{}",
        log
    );
    assert!(log.contains("dump.rdb"), "{}", log);
    let (code, log) = start_on(&with_function);
    assert_eq!(code, Some(1), "{}", log);
    assert!(log.contains("functions (opcode 245)"), "{}", log);
    assert!(!log.contains("panicked"), "{}", log);
}
