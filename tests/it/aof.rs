//! The append-only file seen from outside: the multi-part directory that
//! ferredis writes is accepted by `redis-check-aof` and loaded by real
//! `redis-server` 7.0 with the same DEBUG DIGEST, and the other way round;
//! `appendfsync always` loses no acknowledged write on `kill -9`; expiries
//! replay exactly; BGREWRITEAOF under writes; truncated and garbage files;
//! turning the AOF on at runtime; the old single-file AOF upgrade.
//!
//! Redis counterpart: `tests/integration/aof.tcl`,
//! `tests/integration/aof-multi-part.tcl` in Redis's suite.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{have_tool, unique_dir, wait_until, TestServer, FERREDIS};

const WAIT: Duration = Duration::from_secs(20);

fn args_for<'a>(dir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--enable-debug-command",
        "yes",
    ];
    v.extend_from_slice(extra);
    v
}

/// Starts `bin` on `dir` and waits until it has loaded its dataset (it
/// answers PING with -LOADING meanwhile).
fn start_in(bin: &str, dir: &Path, extra: &[&str]) -> TestServer {
    let s = start_loading_in(bin, dir, extra);
    let mut c = s.raw();
    assert!(
        wait_until(WAIT, || c.cmd(&["ping"])
            != b"-LOADING Redis is loading the dataset in memory\r\n"),
        "still loading:\n{}",
        s.log()
    );
    s
}

/// Starts `bin` on `dir`, returning as soon as it answers (maybe still
/// loading).
fn start_loading_in(bin: &str, dir: &Path, extra: &[&str]) -> TestServer {
    let d = dir.to_str().expect("utf-8 dir");
    TestServer::start_binary(bin, &args_for(d, extra))
}

/// Starts `bin` on `dir` expecting it to refuse to start; returns its log.
fn start_fails(bin: &str, dir: &Path, extra: &[&str]) -> String {
    let d = dir.to_str().expect("utf-8 dir");
    let mut s = TestServer::spawn(bin, crate::common::free_port(), &args_for(d, extra));
    let st = s.wait_exit(WAIT).expect("server should exit");
    assert!(!st.success(), "exit status {}", st);
    s.log()
}

fn aof_dir(dir: &Path) -> PathBuf {
    dir.join("appendonlydir")
}

fn info_field(s: &TestServer, name: &str) -> String {
    let info = s.cli(&["info", "persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", name)))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Waits until no rewrite runs and `n` rewrites were started.
fn wait_rewrites(s: &TestServer, n: u64) {
    assert!(
        wait_until(WAIT, || {
            info_field(s, "aof_rewrite_in_progress") == "0"
                && info_field(s, "aof_rewrites").parse::<u64>().unwrap_or(0) >= n
                && info_field(s, "aof_rewrite_scheduled") == "0"
        }),
        "rewrite did not finish:\n{}",
        s.log()
    );
    assert_eq!(info_field(s, "aof_last_bgrewrite_status"), "ok");
}

fn digest(s: &TestServer) -> String {
    s.cli(&["debug", "digest"]).trim().to_string()
}

fn shutdown(s: &mut TestServer) {
    let _ = Command::new("redis-cli")
        .args(["-p", &s.port.to_string(), "shutdown", "nosave"])
        .output();
    assert!(s.wait_exit(WAIT).is_some(), "server did not exit");
}

fn kill9(s: &mut TestServer) {
    s.signal("KILL");
    assert!(s.wait_exit(WAIT).is_some(), "server did not die");
}

/// A dataset of every type, with expiries, random pops, floats and more
/// than one database.
fn write_mixed(s: &TestServer) {
    let cmds: &[&[&str]] = &[
        &["set", "str", "hello"],
        &["set", "int", "12345"],
        &["setex", "ttl1", "1000", "v"],
        &["set", "ttl2", "v", "px", "900000", "get"],
        &["set", "gone", "v"],
        &["expire", "gone", "-1"],
        &["set", "f", "1.5"],
        &["incrbyfloat", "f", "0.1"],
        &["hset", "h", "a", "1", "b", "2"],
        &["hincrbyfloat", "h", "c", "2.5"],
        &["rpush", "l", "a", "b", "c", "1", "2"],
        &["lpop", "l"],
        &["sadd", "s", "a", "b", "c", "d", "e", "f", "g"],
        &["spop", "s"],
        &["spop", "s", "2"],
        &["sadd", "is", "1", "2", "3"],
        &["zadd", "z", "1", "a", "2.5", "b", "-3", "c"],
        &["zpopmin", "z"],
        &["expireat", "z", "99999999999"],
        &["-n", "3", "set", "db3", "x"],
        &["swapdb", "3", "4"],
    ];
    for c in cmds {
        s.cli(c);
    }
    let mut c = s.raw();
    c.cmd(&["select", "2"]);
    c.cmd(&["set", "in-db2", "y"]);
    c.cmd(&["getex", "in-db2", "ex", "5000"]);
}

fn check_aof(dir: &Path) {
    if !have_tool("redis-check-aof") {
        return;
    }
    let manifest = aof_dir(dir).join("appendonly.aof.manifest");
    let out = Command::new("redis-check-aof")
        .arg(&manifest)
        .output()
        .expect("run redis-check-aof");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("All AOF files and manifest are valid"),
        "redis-check-aof:\n{}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ferredis_to_redis(preamble: &str) {
    let dir = unique_dir("aof-out");
    let mut s = start_in(FERREDIS, &dir, &["--aof-use-rdb-preamble", preamble]);
    write_mixed(&s);
    assert!(s
        .log()
        .contains("Creating AOF base file appendonly.aof.1.base."));
    assert_eq!(
        s.cli(&["bgrewriteaof"]).trim(),
        "Background append only file rewriting started"
    );
    wait_rewrites(&s, 1);
    s.cli(&["set", "after-rewrite", "1"]);
    s.cli(&["rpush", "l", "more"]);
    let want = digest(&s);
    assert_ne!(want, "0".repeat(40));
    // DEBUG LOADAOF reloads the same data.
    assert_eq!(s.cli(&["debug", "loadaof"]).trim(), "OK");
    assert_eq!(digest(&s), want);
    shutdown(&mut s);
    let ext = if preamble == "yes" { "rdb" } else { "aof" };
    let manifest = fs::read_to_string(aof_dir(&dir).join("appendonly.aof.manifest")).unwrap();
    assert_eq!(
        manifest,
        format!(
            "file appendonly.aof.2.base.{} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
            ext
        )
    );
    assert!(!aof_dir(&dir).join("appendonly.aof.1.incr.aof").exists());
    check_aof(&dir);

    let mut again = start_in(FERREDIS, &dir, &[]);
    assert_eq!(digest(&again), want);
    assert!(again.log().contains("DB loaded from append only file"));
    shutdown(&mut again);

    if !have_tool("redis-server") {
        return;
    }
    let mut r = start_in("redis-server", &dir, &[]);
    assert_eq!(digest(&r), want, "redis log:\n{}", r.log());
    shutdown(&mut r);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn ferredis_aof_with_rdb_preamble_loads_in_redis() {
    ferredis_to_redis("yes");
}

#[test]
fn ferredis_aof_as_commands_loads_in_redis() {
    ferredis_to_redis("no");
}

/// Redis writes the AOF directory (BASE from a rewrite, then INCR), ferredis
/// starts from it with the same digest.
fn redis_to_ferredis(preamble: &str, mixed: bool) {
    if !have_tool("redis-server") {
        return;
    }
    let dir = unique_dir("aof-in");
    let mut r = start_in("redis-server", &dir, &["--aof-use-rdb-preamble", preamble]);
    if mixed {
        write_mixed(&r);
    } else {
        for i in 0..50 {
            r.cli(&["set", &format!("k{}", i), &i.to_string()]);
        }
        r.cli(&["set", "t", "v", "ex", "1000"]);
    }
    r.cli(&["bgrewriteaof"]);
    wait_rewrites(&r, 1);
    r.cli(&["set", "after", "1"]);
    r.cli(&["sadd", "s2", "a", "b", "c"]);
    r.cli(&["spop", "s2"]);
    r.cli(&["expire", "after", "100"]);
    let want = digest(&r);
    shutdown(&mut r);
    let mut s = start_in(FERREDIS, &dir, &[]);
    assert_eq!(digest(&s), want, "log:\n{}", s.log());
    assert!(s
        .log()
        .contains("Opening AOF incr file appendonly.aof.2.incr.aof on server start"));
    shutdown(&mut s);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn redis_aof_as_commands_loads_in_ferredis() {
    redis_to_ferredis("no", true);
}

#[test]
fn redis_aof_with_rdb_preamble_loads_in_ferredis() {
    redis_to_ferredis("yes", false);
}

#[test]
fn kill_9_loses_no_acknowledged_write_with_appendfsync_always() {
    let dir = unique_dir("aof-kill");
    let mut s = start_in(FERREDIS, &dir, &["--appendfsync", "always"]);
    let mut c = s.raw();
    const N: usize = 300;
    for i in 0..N {
        let r = c.cmd(&["set", &format!("key:{}", i), &format!("value:{}", i)]);
        assert_eq!(r, b"+OK\r\n");
    }
    kill9(&mut s);
    let s2 = start_in(FERREDIS, &dir, &["--appendfsync", "always"]);
    assert_eq!(s2.cli(&["dbsize"]).trim(), N.to_string());
    let mut c = s2.raw();
    for i in (0..N).step_by(37) {
        let r = c.cmd(&["get", &format!("key:{}", i)]);
        assert_eq!(
            r,
            format!("${}\r\nvalue:{}\r\n", 6 + i.to_string().len(), i).as_bytes()
        );
    }
}

#[test]
fn expiries_replay_as_absolute_times() {
    let dir = unique_dir("aof-ttl");
    let mut s = start_in(FERREDIS, &dir, &["--appendfsync", "always"]);
    s.cli(&["set", "a", "1", "ex", "1000"]);
    s.cli(&["set", "b", "1"]);
    s.cli(&["pexpire", "b", "500000"]);
    s.cli(&["setex", "c", "100", "v"]);
    s.cli(&["set", "short", "v", "px", "50"]);
    let want: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|k| s.cli(&["pexpiretime", k]))
        .collect();
    let incr = fs::read_to_string(aof_dir(&dir).join("appendonly.aof.1.incr.aof")).unwrap();
    assert!(
        incr.contains("PXAT") && incr.contains("PEXPIREAT"),
        "{}",
        incr
    );
    // Let the short key expire (the active cycle deletes it).
    assert!(wait_until(WAIT, || s.cli(&["dbsize"]).trim() == "3"));
    kill9(&mut s);
    let incr = fs::read_to_string(aof_dir(&dir).join("appendonly.aof.1.incr.aof")).unwrap();
    assert!(
        incr.ends_with("*2\r\n$3\r\nDEL\r\n$5\r\nshort\r\n"),
        "{:?}",
        incr
    );
    let s2 = start_in(FERREDIS, &dir, &[]);
    let got: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|k| s2.cli(&["pexpiretime", k]))
        .collect();
    assert_eq!(got, want);
    assert_eq!(s2.cli(&["exists", "short"]).trim(), "0");
}

#[test]
fn bgrewriteaof_while_writing() {
    let dir = unique_dir("aof-rw");
    let mut s = start_in(FERREDIS, &dir, &[]);
    s.cli(&["debug", "populate", "100000"]);
    let port = s.port;
    let writer = std::thread::spawn(move || {
        let mut c = redis::Client::open(format!("redis://127.0.0.1:{}/", port))
            .unwrap()
            .get_connection()
            .unwrap();
        for i in 0..2000u32 {
            let _: i64 = redis::cmd("incr")
                .arg(format!("counter:{}", i % 10))
                .query(&mut c)
                .unwrap();
            let _: i64 = redis::cmd("rpush")
                .arg("list")
                .arg(i)
                .query(&mut c)
                .unwrap();
        }
    });
    assert_eq!(
        s.cli(&["bgrewriteaof"]).trim(),
        "Background append only file rewriting started"
    );
    let second = s.cli(&["bgrewriteaof"]);
    assert!(
        second.contains("ERR Background append only file rewriting already in progress")
            || second.contains("started"),
        "{}",
        second
    );
    writer.join().unwrap();
    wait_rewrites(&s, 1);
    assert_eq!(s.cli(&["llen", "list"]).trim(), "2000");
    let want = digest(&s);
    assert!(s
        .log()
        .contains("Background AOF rewrite finished successfully"));
    kill9(&mut s);
    check_aof(&dir);
    let s2 = start_in(FERREDIS, &dir, &[]);
    assert_eq!(digest(&s2), want);
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn truncated_and_garbage_files() {
    let dir = unique_dir("aof-trunc");
    let mut s = start_in(FERREDIS, &dir, &[]);
    s.cli(&["set", "a", "1"]);
    s.cli(&["set", "b", "2"]);
    shutdown(&mut s);
    let incr = aof_dir(&dir).join("appendonly.aof.1.incr.aof");
    let good_len = fs::metadata(&incr).unwrap().len();
    append(&incr, b"*3\r\n$3\r\nset\r\n$1\r\nc\r\n$5\r\nhel");

    let log = start_fails(FERREDIS, &dir, &["--aof-load-truncated", "no"]);
    assert!(
        log.contains(
            "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof"
        ),
        "{}",
        log
    );

    let mut s = start_in(FERREDIS, &dir, &["--aof-load-truncated", "yes"]);
    let log = s.log();
    assert!(log.contains(
        "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"
    ));
    assert!(log.contains(&format!(
        "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {} !!!",
        good_len
    )));
    assert_eq!(s.cli(&["get", "b"]).trim(), "2");
    assert_eq!(s.cli(&["exists", "c"]).trim(), "0");
    s.cli(&["set", "c", "3"]);
    shutdown(&mut s);
    check_aof(&dir);

    // An incomplete MULTI/EXEC block is reverted as a whole.
    append(
        &incr,
        b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nset\r\n$1\r\nd\r\n$1\r\n4\r\n",
    );
    let s = start_in(FERREDIS, &dir, &[]);
    assert!(s.log().contains(
        "Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof"
    ));
    assert_eq!(s.cli(&["exists", "d"]).trim(), "0");
    assert_eq!(s.cli(&["get", "c"]).trim(), "3");
    drop(s);

    append(&incr, b"garbage\r\n");
    let log = start_fails(FERREDIS, &dir, &[]);
    assert!(
        log.contains("Bad file format reading the append only file appendonly.aof.1.incr.aof"),
        "{}",
        log
    );
    assert!(log.contains("at offset"), "{}", log);
}

#[test]
fn appendonly_turned_on_at_runtime_and_off() {
    let dir = unique_dir("aof-runtime");
    let d = dir.to_str().unwrap();
    let mut s = TestServer::with_args(&["--dir", d, "--enable-debug-command", "yes"]);
    s.cli(&["set", "before", "1"]);
    assert_eq!(info_field(&s, "aof_enabled"), "0");
    assert_eq!(s.cli(&["config", "set", "appendonly", "yes"]).trim(), "OK");
    wait_rewrites(&s, 1);
    assert_eq!(info_field(&s, "aof_enabled"), "1");
    s.cli(&["set", "after", "2"]);
    let want = digest(&s);
    assert!(s
        .log()
        .contains("Background AOF rewrite finished successfully"));
    assert!(s.log().contains(
        "Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into appendonly.aof.1.incr.aof"
    ));
    let manifest = fs::read_to_string(aof_dir(&dir).join("appendonly.aof.manifest")).unwrap();
    assert_eq!(
        manifest,
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    kill9(&mut s);
    let mut s2 = start_in(FERREDIS, &dir, &[]);
    assert_eq!(digest(&s2), want);
    assert_eq!(s2.cli(&["config", "set", "appendonly", "no"]).trim(), "OK");
    s2.cli(&["set", "not-logged", "1"]);
    assert_eq!(info_field(&s2, "aof_enabled"), "0");
    shutdown(&mut s2);
    let s3 = start_in(FERREDIS, &dir, &[]);
    assert_eq!(s3.cli(&["exists", "not-logged"]).trim(), "0");
    assert_eq!(digest(&s3), want);
}

#[test]
fn old_single_file_aof_is_upgraded() {
    let dir = unique_dir("aof-old");
    fs::write(
        dir.join("appendonly.aof"),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n",
    )
    .unwrap();
    let s = start_in(FERREDIS, &dir, &[]);
    assert_eq!(s.cli(&["get", "a"]).trim(), "1");
    assert!(s.log().contains(
        "Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)."
    ));
    let manifest = fs::read_to_string(aof_dir(&dir).join("appendonly.aof.manifest")).unwrap();
    assert_eq!(
        manifest,
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(!dir.join("appendonly.aof").exists());
}

#[test]
fn automatic_rewrite_on_growth() {
    let dir = unique_dir("aof-auto");
    let s = start_in(
        FERREDIS,
        &dir,
        &[
            "--auto-aof-rewrite-min-size",
            "4kb",
            "--auto-aof-rewrite-percentage",
            "100",
        ],
    );
    let value = "x".repeat(100);
    for i in 0..60 {
        s.cli(&["set", &format!("k{}", i % 5), &value]);
    }
    wait_rewrites(&s, 1);
    assert!(s.log().contains("Starting automatic rewriting of AOF on"));
    let base: u64 = info_field(&s, "aof_base_size").parse().unwrap();
    let cur: u64 = info_field(&s, "aof_current_size").parse().unwrap();
    assert!(base > 0 && cur >= base, "{} {}", base, cur);
}

#[test]
fn everysec_and_blocked_pops_served_later_replay() {
    let dir = unique_dir("aof-everysec");
    let mut s = start_in(FERREDIS, &dir, &["--appendfsync", "everysec"]);
    let mut waiter = s.raw();
    waiter.send(&crate::common::encode_command(&["blpop", "queue", "0"]));
    assert!(wait_until(WAIT, || s
        .cli(&["info", "clients"])
        .contains("blocked_clients:1")));
    s.cli(&["rpush", "queue", "first", "second"]);
    let popped = waiter.read_reply();
    assert_eq!(
        popped.raw,
        b"*2\r\n$5\r\nqueue\r\n$5\r\nfirst\r\n".to_vec(),
        "{}",
        crate::common::escape(&popped.raw)
    );
    for i in 0..200 {
        s.cli(&["incr", &format!("n{}", i % 7)]);
    }
    let want = digest(&s);
    assert!(wait_until(WAIT, || info_field(&s, "aof_pending_bio_fsync") == "0"));
    kill9(&mut s);
    let incr = fs::read_to_string(aof_dir(&dir).join("appendonly.aof.1.incr.aof")).unwrap();
    assert!(
        incr.contains("*2\r\n$4\r\nLPOP\r\n$5\r\nqueue\r\n"),
        "{:?}",
        incr
    );
    let s2 = start_in(FERREDIS, &dir, &[]);
    assert_eq!(digest(&s2), want);
    assert_eq!(s2.cli(&["lrange", "queue", "0", "-1"]).trim(), "second");
}

/// Reads `INFO persistence` over a raw connection (works while loading).
fn raw_info(c: &mut crate::common::RawConn<std::net::TcpStream>) -> String {
    String::from_utf8_lossy(c.cmd_frame(&["info", "persistence"]).bytes()).into_owned()
}

fn raw_field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", name)))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Starts ferredis on `dir` with a slow load and checks that clients get
/// -LOADING, that INFO shows the load's progress over all the AOF files,
/// and that the whole dataset (`keys` keys) is there afterwards.
fn check_loading_observed(dir: &Path, keys: u64) {
    let files_size: u64 = fs::read_dir(aof_dir(dir))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".manifest"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    let s = start_loading_in(
        FERREDIS,
        dir,
        &[
            "--key-load-delay",
            "50",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    let mut c = s.raw();
    let loading = "-LOADING Redis is loading the dataset in memory\r\n";
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&["ping"])),
        loading,
        "the load was too quick to observe"
    );
    assert_eq!(String::from_utf8_lossy(&c.cmd(&["get", "key:1"])), loading);
    let info = raw_info(&mut c);
    assert_eq!(raw_field(&info, "loading"), "1", "{}", info);
    assert_eq!(
        raw_field(&info, "loading_total_bytes"),
        files_size.to_string()
    );
    assert!(
        raw_field(&info, "loading_loaded_bytes")
            .parse::<u64>()
            .unwrap()
            <= files_size
    );
    assert!(wait_until(WAIT, || c.cmd(&["ping"]) == b"+PONG\r\n"));
    assert_eq!(c.cmd(&["dbsize"]), format!(":{}\r\n", keys).into_bytes());
    assert_eq!(raw_field(&raw_info(&mut c), "loading"), "0");
    let log = s.log();
    let loaded = log
        .find("DB loaded from append only file")
        .expect("loaded line");
    let ready = log.find("Ready to accept connections").expect("ready line");
    assert!(ready > loaded);
}

#[test]
fn clients_get_loading_while_the_aof_loads() {
    // Commands only: an INCR file written by hand.
    let dir = unique_dir("aof-loading");
    let d = aof_dir(&dir);
    fs::create_dir_all(&d).unwrap();
    fs::write(
        d.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    let mut body = Vec::new();
    for i in 0..8000 {
        let (k, v) = (format!("key:{}", i), format!("value:{}", i));
        body.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{}\r\n${}\r\n{}\r\n",
                k.len(),
                k,
                v.len(),
                v
            )
            .as_bytes(),
        );
    }
    fs::write(d.join("appendonly.aof.1.incr.aof"), &body).unwrap();
    check_loading_observed(&dir, 8000);

    // An RDB BASE (the preamble) followed by an INCR file.
    let dir = unique_dir("aof-loading-rdb");
    {
        let s = start_in(FERREDIS, &dir, &[]);
        s.cli(&["debug", "populate", "4000"]);
        s.cli(&["bgrewriteaof"]);
        wait_rewrites(&s, 1);
        // DEBUG POPULATE is not written to the AOF: real commands are.
        let mut c = s.raw();
        let mut pipeline = Vec::new();
        for i in 0..3000 {
            pipeline.extend_from_slice(&crate::common::resp::encode_command(&[
                "set".to_string(),
                format!("other:{}", i),
                i.to_string(),
            ]));
        }
        c.send(&pipeline);
        for _ in 0..3000 {
            c.read_reply();
        }
    }
    check_loading_observed(&dir, 7000);
}

/// The manifest and the files of the AOF directory after `steps` on a
/// server started with `aof-disable-auto-gc yes`: two rewrites (history
/// kept), a restart (still kept), then `CONFIG SET aof-disable-auto-gc no`
/// (deleted). Returns one snapshot per step.
fn auto_gc_steps(bin: &str) -> Vec<(String, Vec<String>)> {
    let dir = unique_dir("aof-gc");
    let snapshot = || {
        let manifest = fs::read_to_string(aof_dir(&dir).join("appendonly.aof.manifest")).unwrap();
        let mut files: Vec<String> = fs::read_dir(aof_dir(&dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        (manifest, files)
    };
    let mut out = Vec::new();
    let mut s = start_in(bin, &dir, &["--aof-disable-auto-gc", "yes"]);
    for i in 1..=2u64 {
        s.cli(&["set", "k", &i.to_string()]);
        s.cli(&["bgrewriteaof"]);
        wait_rewrites(&s, i);
    }
    out.push(snapshot());
    shutdown(&mut s);
    let s = start_in(bin, &dir, &["--aof-disable-auto-gc", "yes"]);
    assert_eq!(s.cli(&["get", "k"]).trim(), "2");
    out.push(snapshot());
    assert_eq!(
        s.cli(&["config", "set", "aof-disable-auto-gc", "no"])
            .trim(),
        "OK"
    );
    out.push(snapshot());
    out
}

#[test]
fn aof_disable_auto_gc_keeps_history_until_turned_off() {
    let steps = auto_gc_steps(FERREDIS);
    assert_eq!(
        steps[0].0,
        "file appendonly.aof.3.base.rdb seq 3 type b\n\
         file appendonly.aof.2.incr.aof seq 2 type h\n\
         file appendonly.aof.2.base.rdb seq 2 type h\n\
         file appendonly.aof.1.incr.aof seq 1 type h\n\
         file appendonly.aof.1.base.rdb seq 1 type h\n\
         file appendonly.aof.3.incr.aof seq 3 type i\n"
    );
    assert_eq!(steps[0].1.len(), 7, "{:?}", steps[0].1);
    assert_eq!(steps[1], steps[0], "a restart keeps the history");
    assert_eq!(
        steps[2].0,
        "file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
    );
    assert_eq!(
        steps[2].1,
        [
            "appendonly.aof.3.base.rdb",
            "appendonly.aof.3.incr.aof",
            "appendonly.aof.manifest"
        ]
    );
    if have_tool("redis-server") {
        assert_eq!(auto_gc_steps("redis-server"), steps, "redis-server differs");
    }
}

#[test]
fn rdb_key_save_delay_slows_an_aof_rewrite_too() {
    for preamble in ["yes", "no"] {
        let dir = unique_dir("aof-delay");
        let s = start_in(
            FERREDIS,
            &dir,
            &[
                "--aof-use-rdb-preamble",
                preamble,
                "--rdb-key-save-delay",
                "50000",
            ],
        );
        for i in 0..5 {
            s.cli(&["set", &format!("k{i}"), "v"]);
        }
        let started = std::time::Instant::now();
        s.cli(&["bgrewriteaof"]);
        wait_rewrites(&s, 1);
        // At least 50 ms per key (more in the RDB form: a sleep per write);
        // without the delay it takes a cron tick or two.
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "preamble {preamble}: rewrite took {:?}",
            started.elapsed()
        );
    }
}
