//! ferredis as a replication master, with real `redis-server` 7.0
//! replicas: full sync (diskless and disk-based) with writes during the
//! sync, steady streaming of every data type across databases, partial
//! resync after a dropped link and after a replica restart, WAIT, ROLE,
//! INFO, min-replicas-to-write, `redis-cli --rdb`, a replica that stops
//! reading; ferredis replicas of ferredis (promotion with a partial
//! resync of the other replica, a replica of a replica). Each test
//! compares the master's and the replica's keyspaces
//! (DEBUG DIGEST) at the end.

use std::time::Duration;

use crate::common::{have_tool, info_field, wait_until, TestServer};

fn master(extra: &[&str]) -> TestServer {
    let mut args = vec![
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ];
    args.extend_from_slice(extra);
    TestServer::with_args(&args)
}

fn redis_replica(m: &TestServer, extra: &[&str]) -> TestServer {
    let port = m.port.to_string();
    let mut args = vec![
        "--replicaof",
        "127.0.0.1",
        &port,
        "--enable-debug-command",
        "yes",
    ];
    args.extend_from_slice(extra);
    TestServer::start_binary("redis-server", &args)
}

fn digest(s: &TestServer) -> String {
    s.cli(&["debug", "digest"]).trim().to_string()
}

/// Polls until the replica's link is up and both keyspaces are equal.
fn assert_in_sync(m: &TestServer, r: &TestServer) {
    let ok = wait_until(Duration::from_secs(20), || {
        info_field(r, "replication", "master_link_status") == "up" && digest(m) == digest(r)
    });
    assert!(
        ok,
        "replica not in sync: master {} replica {}\nmaster log:\n{}\nreplica log:\n{}",
        digest(m),
        digest(r),
        m.log(),
        r.log()
    );
}

/// Writes of every type in several databases, expiries, a transaction.
fn write_all_types(m: &TestServer, tag: &str) {
    let k = |n: &str| format!("{}:{}", tag, n);
    let cmds: Vec<Vec<String>> = vec![
        vec!["set".into(), k("s"), "v".into()],
        vec![
            "set".into(),
            k("ex"),
            "v".into(),
            "ex".into(),
            "1000".into(),
        ],
        vec!["incrby".into(), k("n"), "5".into()],
        vec!["append".into(), k("s"), "more".into()],
        vec!["rpush".into(), k("l"), "a".into(), "b".into(), "c".into()],
        vec!["lpop".into(), k("l")],
        vec![
            "hset".into(),
            k("h"),
            "f".into(),
            "1".into(),
            "g".into(),
            "2".into(),
        ],
        vec!["hincrbyfloat".into(), k("h"), "f".into(), "0.5".into()],
        vec!["sadd".into(), k("st"), "1".into(), "2".into(), "x".into()],
        vec!["spop".into(), k("st")],
        vec![
            "zadd".into(),
            k("z"),
            "1".into(),
            "a".into(),
            "2".into(),
            "b".into(),
        ],
        vec!["zincrby".into(), k("z"), "3".into(), "a".into()],
        vec!["setbit".into(), k("bits"), "100".into(), "1".into()],
        vec!["expire".into(), k("n"), "500".into()],
        vec!["select".into(), "5".into()],
    ];
    for c in &cmds {
        let a: Vec<&str> = c.iter().map(|s| s.as_str()).collect();
        m.cli(&a);
    }
    m.cli(&["-n", "5", "set", &k("db5"), "x"]);
    m.cli(&["-n", "7", "rpush", &k("db7"), "y"]);
    let mut c = m.raw();
    c.cmd(&["multi"]);
    c.cmd(&["set", &k("m1"), "1"]);
    c.cmd(&["incr", &k("m1")]);
    c.cmd(&["exec"]);
}

#[test]
fn diskless_full_sync_with_writes_during_the_sync_then_streaming() {
    if !have_tool("redis-server") {
        return;
    }
    let m = master(&[]);
    m.cli(&["debug", "populate", "8000", "key", "20"]);
    // Slow the child down so writes land while it runs.
    m.cli(&["config", "set", "rdb-key-save-delay", "5"]);
    let r = redis_replica(&m, &[]);
    assert!(wait_until(Duration::from_secs(10), || {
        info_field(&m, "replication", "slave0").contains("state=wait_bgsave")
    }));
    let mut c = m.raw();
    for i in 0..200 {
        assert_eq!(
            c.cmd(&["set", &format!("during:{}", i), &i.to_string()]),
            b"+OK\r\n"
        );
    }
    c.cmd(&["hset", "during:h", "f", "v"]);
    c.cmd(&["select", "3"]);
    c.cmd(&["zadd", "during:z", "1", "m"]);
    // Those writes really arrived while the RDB was being produced.
    assert!(info_field(&m, "replication", "slave0").contains("state=wait_bgsave"));
    m.cli(&["config", "set", "rdb-key-save-delay", "0"]);
    assert_in_sync(&m, &r);
    write_all_types(&m, "during");
    write_all_types(&m, "after");
    m.cli(&["del", "key:1", "key:2"]);
    m.cli(&["flushdb"]);
    write_all_types(&m, "after2");
    assert_in_sync(&m, &r);
    assert!(info_field(&m, "replication", "slave0").contains("state=online"));
    assert_eq!(info_field(&m, "stats", "sync_full"), "1");
    assert!(m.log().contains("Streamed RDB transfer with replica"));
}

#[test]
fn disk_based_full_sync_and_rdb_backup_with_redis_cli() {
    if !have_tool("redis-server") {
        return;
    }
    let m = master(&["--repl-diskless-sync", "no"]);
    m.cli(&["debug", "populate", "5000"]);
    write_all_types(&m, "before");
    let r = redis_replica(&m, &[]);
    assert_in_sync(&m, &r);
    write_all_types(&m, "after");
    assert_in_sync(&m, &r);
    assert!(m
        .log()
        .contains("Starting BGSAVE for SYNC with target: disk"));
    // redis-cli --rdb: REPLCONF rdb-only 1 + SYNC, in both modes.
    for mode in ["no", "yes"] {
        m.cli(&["config", "set", "repl-diskless-sync", mode]);
        let out = m.dir.join(format!("backup-{}.rdb", mode));
        let path = out.to_str().unwrap().to_string();
        let res = std::process::Command::new("redis-cli")
            .args(["-p", &m.port.to_string(), "--rdb", &path])
            .output()
            .unwrap();
        assert!(res.status.success(), "{:?}", res);
        let loaded = TestServer::start_binary(
            "redis-server",
            &[
                "--dir",
                m.dir.to_str().unwrap(),
                "--dbfilename",
                &format!("backup-{}.rdb", mode),
                "--enable-debug-command",
                "yes",
            ],
        );
        assert_eq!(digest(&loaded), digest(&m), "backup with diskless {}", mode);
    }
    // The rdb-only clients are gone; the real replica still streams.
    assert_eq!(info_field(&m, "replication", "connected_slaves"), "1");
    m.cli(&["set", "last", "1"]);
    assert_in_sync(&m, &r);
}

#[test]
fn partial_resync_after_link_loss_and_replica_restart() {
    if !have_tool("redis-server") {
        return;
    }
    let m = master(&[]);
    write_all_types(&m, "a");
    let r = redis_replica(&m, &[]);
    assert_in_sync(&m, &r);
    // The link drops; writes meanwhile come from the backlog.
    r.cli(&["config", "set", "repl-timeout", "60"]);
    r.cli(&["client", "kill", "type", "master"]);
    write_all_types(&m, "b");
    assert_in_sync(&m, &r);
    assert_eq!(info_field(&m, "stats", "sync_partial_ok"), "1");
    // A restart with a clean shutdown: the RDB keeps the replication ID
    // and offset, so the replica continues.
    let dir = r.dir.to_str().unwrap().to_string();
    let port = r.port.to_string();
    let mut r = r;
    let _ = std::process::Command::new("redis-cli")
        .args(["-p", &port, "shutdown", "save"])
        .output();
    r.wait_exit(Duration::from_secs(10));
    write_all_types(&m, "c");
    let mport = m.port.to_string();
    let mut r2 = TestServer::spawn(
        "redis-server",
        r.port,
        &[
            "--dir",
            &dir,
            "--replicaof",
            "127.0.0.1",
            &mport,
            "--enable-debug-command",
            "yes",
        ],
    );
    r2.wait_ready().unwrap();
    assert_in_sync(&m, &r2);
    assert_eq!(info_field(&m, "stats", "sync_partial_ok"), "2");
    assert_eq!(info_field(&m, "stats", "sync_full"), "1");
    assert_eq!(info_field(&m, "stats", "sync_partial_err"), "0");
    // A replica asking with an unknown ID gets a full sync.
    let mut c = m.raw();
    c.cmd(&["replconf", "capa", "eof", "capa", "psync2"]);
    c.send(b"PSYNC 0123456789012345678901234567890123456789 5\r\n");
    let line = c.read_reply();
    assert!(
        String::from_utf8_lossy(&line.raw).starts_with("+FULLRESYNC "),
        "{}",
        String::from_utf8_lossy(&line.raw)
    );
    assert_eq!(info_field(&m, "stats", "sync_partial_err"), "1");
}

#[test]
fn wait_role_info_and_min_replicas() {
    if !have_tool("redis-server") {
        return;
    }
    let m = master(&[]);
    assert_eq!(m.cli(&["wait", "0", "0"]).trim(), "0");
    let r = redis_replica(&m, &[]);
    assert_in_sync(&m, &r);
    let mut c = m.raw();
    c.cmd(&["set", "k", "v"]);
    assert_eq!(c.cmd(&["wait", "1", "5000"]), b":1\r\n");
    let t = std::time::Instant::now();
    assert_eq!(c.cmd(&["wait", "2", "300"]), b":1\r\n");
    assert!(t.elapsed() >= Duration::from_millis(250));
    // The client was blocked, not the server.
    assert_eq!(c.cmd(&["ping"]), b"+PONG\r\n");
    // A client that wrote nothing waits for nothing.
    assert_eq!(m.raw().cmd(&["wait", "1", "0"]), b":1\r\n");
    // The replica is a client of type replica, flag S, not counted in
    // connected_clients.
    let list = m.cli(&["client", "list", "type", "replica"]);
    assert_eq!(list.lines().count(), 1, "{}", list);
    assert!(list.contains(" flags=S "), "{}", list);
    assert_eq!(
        m.cli(&["client", "list", "type", "normal"]).lines().count(),
        2
    );
    assert_eq!(info_field(&m, "clients", "connected_clients"), "2");
    let role = m.cli(&["role"]);
    let lines: Vec<&str> = role.lines().collect();
    assert_eq!(lines[0], "master");
    assert_eq!(lines[2], "127.0.0.1");
    assert_eq!(lines[3], r.port.to_string());
    let info = m.cli(&["info", "replication"]);
    let keys: Vec<&str> = info
        .lines()
        .filter_map(|l| l.split(':').next())
        .filter(|k| !k.is_empty())
        .collect();
    assert_eq!(
        keys,
        vec![
            "# Replication",
            "role",
            "connected_slaves",
            "slave0",
            "master_failover_state",
            "master_replid",
            "master_replid2",
            "master_repl_offset",
            "second_repl_offset",
            "repl_backlog_active",
            "repl_backlog_size",
            "repl_backlog_first_byte_offset",
            "repl_backlog_histlen"
        ]
    );
    // The replica's offset catches up with the master's.
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&r, "replication", "slave_repl_offset")
            == info_field(&m, "replication", "master_repl_offset")
    }));
    assert_eq!(
        m.cli(&["config", "set", "min-replicas-to-write", "2"])
            .trim(),
        "OK"
    );
    assert_eq!(
        c.cmd(&["set", "k", "v"]),
        b"-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    assert_eq!(c.cmd(&["get", "k"]), b"$1\r\nv\r\n");
    m.cli(&["config", "set", "min-replicas-to-write", "1"]);
    assert_eq!(c.cmd(&["set", "k", "w"]), b"+OK\r\n");
    assert_in_sync(&m, &r);
}

#[test]
fn a_replica_that_stops_reading_is_disconnected() {
    let m = master(&[]);
    m.cli(&[
        "config",
        "set",
        "client-output-buffer-limit",
        "replica 1mb 0 0",
    ]);
    // A fake replica that never reads.
    let mut fake = m.raw();
    fake.cmd(&["replconf", "listening-port", "1"]);
    fake.send(b"SYNC\r\n");
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&m, "replication", "connected_slaves") == "1"
    }));
    let big = "x".repeat(100_000);
    let mut c = m.raw();
    for i in 0..200 {
        assert_eq!(c.cmd(&["set", &format!("k{}", i), &big]), b"+OK\r\n");
        if info_field(&m, "replication", "connected_slaves") == "0" {
            break;
        }
    }
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&m, "replication", "connected_slaves") == "0"
    }));
    assert!(m.log().contains("for overcoming of output buffer limits"));
    assert_eq!(
        info_field(&m, "stats", "client_output_buffer_limit_disconnections"),
        "1"
    );
    assert_eq!(c.cmd(&["ping"]), b"+PONG\r\n");
}

#[test]
fn redis_cli_replica_shows_the_stream() {
    if !have_tool("redis-cli") {
        return;
    }
    let m = master(&[]);
    m.cli(&["set", "a", "1"]);
    let child = std::process::Command::new("timeout")
        .args(["3", "redis-cli", "-p", &m.port.to_string(), "--replica"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&m, "replication", "slave0").contains("state=online")
    }));
    m.cli(&["set", "b", "2"]);
    m.cli(&["-n", "2", "lpush", "l", "x"]);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"set\",\"b\",\"2\"\n\"SELECT\",\"2\"\n\"lpush\",\"l\",\"x\""),
        "{}",
        text
    );
}

#[test]
fn a_restarted_master_continues_its_replicas_with_a_partial_resync() {
    if !have_tool("redis-server") {
        return;
    }
    let mut m = master(&[]);
    write_all_types(&m, "a");
    let r = redis_replica(&m, &[]);
    assert_in_sync(&m, &r);
    write_all_types(&m, "b");
    assert_in_sync(&m, &r);
    let old_id = info_field(&m, "replication", "master_replid");
    let old_off: i64 = info_field(&m, "replication", "master_repl_offset")
        .parse()
        .unwrap();
    // A clean shutdown saves the replication ID and offset in the RDB.
    let _ = std::process::Command::new("redis-cli")
        .args(["-p", &m.port.to_string(), "shutdown", "save"])
        .output();
    m.wait_exit(Duration::from_secs(10));
    let dir = m.dir.to_str().unwrap().to_string();
    let mut m2 = TestServer::spawn(
        crate::common::FERREDIS,
        m.port,
        &[
            "--dir",
            &dir,
            "--enable-debug-command",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ],
    );
    m2.wait_ready().unwrap();
    assert_eq!(info_field(&m2, "replication", "master_replid2"), old_id);
    // The shutdown may have waited for the replica's ACK: its GETACK is
    // part of the stream saved.
    let off: i64 = info_field(&m2, "replication", "master_repl_offset")
        .parse()
        .unwrap();
    assert!(off == old_off || off == old_off + 37, "{} {}", off, old_off);
    assert_eq!(
        info_field(&m2, "replication", "second_repl_offset"),
        (off + 1).to_string()
    );
    write_all_types(&m2, "c");
    assert_in_sync(&m2, &r);
    assert_eq!(info_field(&m2, "stats", "sync_partial_ok"), "1");
    assert_eq!(info_field(&m2, "stats", "sync_full"), "0");
}

#[test]
fn silent_replicas_time_out_and_the_backlog_is_freed_after_its_ttl() {
    let m = master(&[
        "--repl-timeout",
        "1",
        "--repl-backlog-ttl",
        "1",
        "--repl-ping-replica-period",
        "1",
    ]);
    m.cli(&["set", "k", "v"]);
    // A replica that syncs, then never acknowledges anything.
    let mut fake = m.raw();
    fake.cmd(&[
        "replconf",
        "listening-port",
        "9",
        "capa",
        "eof",
        "capa",
        "psync2",
    ]);
    fake.send(b"PSYNC ? -1\r\n");
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&m, "replication", "slave0").contains("state=online")
    }));
    assert_eq!(info_field(&m, "replication", "repl_backlog_active"), "1");
    let id = info_field(&m, "replication", "master_replid");
    assert!(wait_until(Duration::from_secs(10), || {
        info_field(&m, "replication", "connected_slaves") == "0"
    }));
    assert!(m
        .log()
        .contains("Disconnecting timedout replica (streaming sync): 127.0.0.1:9"));
    assert!(wait_until(Duration::from_secs(10), || {
        info_field(&m, "replication", "repl_backlog_active") == "0"
    }));
    assert_ne!(info_field(&m, "replication", "master_replid"), id);
    assert!(m
        .log()
        .contains("Replication backlog freed after 1 seconds without connected replicas."));
}

#[test]
fn one_diskless_transfer_feeds_two_replicas_with_big_values() {
    if !have_tool("redis-server") {
        return;
    }
    let m = master(&["--repl-diskless-sync-delay", "2"]);
    // 10 MB: more than the pipe and the relay's high-water mark hold.
    m.cli(&["debug", "populate", "100", "big", "100000"]);
    write_all_types(&m, "x");
    let r1 = redis_replica(&m, &[]);
    let r2 = redis_replica(&m, &[]);
    assert_in_sync(&m, &r1);
    assert_in_sync(&m, &r2);
    let log = m.log();
    assert_eq!(
        log.matches("Starting BGSAVE for SYNC with target: replicas sockets")
            .count(),
        1,
        "{}",
        log
    );
    assert_eq!(info_field(&m, "stats", "sync_full"), "2");
    write_all_types(&m, "y");
    m.cli(&["set", "big:0", "changed"]);
    assert_in_sync(&m, &r1);
    assert_in_sync(&m, &r2);
}

/// A ferredis replica of `m`.
fn ferredis_replica(m: &TestServer) -> TestServer {
    let port = m.port.to_string();
    TestServer::with_args(&[
        "--replicaof",
        "127.0.0.1",
        &port,
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ])
}

#[test]
fn ferredis_replicas_of_ferredis_and_promotion_with_partial_resync() {
    let m = master(&[]);
    write_all_types(&m, "before");
    let r1 = ferredis_replica(&m);
    let r2 = ferredis_replica(&m);
    assert_in_sync(&m, &r1);
    assert_in_sync(&m, &r2);
    write_all_types(&m, "after");
    assert_in_sync(&m, &r1);
    assert_in_sync(&m, &r2);
    // The replicas follow the master's stream: same ID, same offset.
    let replid = info_field(&m, "replication", "master_replid");
    assert!(wait_until(Duration::from_secs(20), || {
        let off = info_field(&m, "replication", "master_repl_offset");
        [&r1, &r2].iter().all(|r| {
            info_field(r, "replication", "master_replid") == replid
                && info_field(r, "replication", "master_repl_offset") == off
        })
    }));
    assert_eq!(info_field(&r1, "replication", "role"), "slave");
    assert_eq!(
        r1.cli(&["set", "x", "1"]).trim(),
        "READONLY You can't write against a read only replica."
    );
    // Promote r1; r2 follows it and continues where it was.
    drop(m);
    assert_eq!(r1.cli(&["replicaof", "no", "one"]).trim(), "OK");
    assert_eq!(info_field(&r1, "replication", "master_replid2"), replid);
    let full_before = info_field(&r1, "stats", "sync_full");
    let r1_port = r1.port.to_string();
    assert_eq!(r2.cli(&["replicaof", "127.0.0.1", &r1_port]).trim(), "OK");
    assert_in_sync(&r1, &r2);
    assert!(wait_until(Duration::from_secs(20), || info_field(
        &r1,
        "stats",
        "sync_partial_ok"
    ) == "1"));
    assert_eq!(info_field(&r1, "stats", "sync_full"), full_before);
    r1.cli(&["set", "after-promotion", "1"]);
    assert_in_sync(&r1, &r2);
    assert_eq!(r2.cli(&["get", "after-promotion"]).trim(), "1");
}

#[test]
fn a_replica_of_a_replica_gets_the_master_writes() {
    let m = master(&[]);
    write_all_types(&m, "before");
    let r1 = ferredis_replica(&m);
    assert_in_sync(&m, &r1);
    let r2 = ferredis_replica(&r1);
    assert_in_sync(&r1, &r2);
    write_all_types(&m, "after");
    assert_in_sync(&m, &r1);
    assert_in_sync(&m, &r2);
}

#[test]
fn debug_replicate_reaches_the_replicas_only() {
    let m = master(&[]);
    let r = ferredis_replica(&m);
    assert_in_sync(&m, &r);
    assert_eq!(
        m.cli(&["debug", "replicate", "set", "only-there", "1"])
            .trim(),
        "OK"
    );
    assert!(wait_until(Duration::from_secs(20), || r
        .cli(&["get", "only-there"])
        .trim()
        == "1"));
    assert_eq!(m.cli(&["exists", "only-there"]).trim(), "0");
}

#[test]
fn redis_cli_functions_rdb_gets_an_rdb_without_keys() {
    let m = master(&[]);
    m.cli(&["debug", "populate", "100"]);
    let run = |flag: &str, name: &str| -> Vec<u8> {
        let path = m.dir.join(name);
        let res = std::process::Command::new("redis-cli")
            .args(["-p", &m.port.to_string(), flag, path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(res.status.success(), "{:?}", res);
        std::fs::read(&path).unwrap()
    };
    let functions = run("--functions-rdb", "functions.rdb");
    // Header and AUX fields, then at once the EOF opcode and the checksum:
    // no SELECTDB, no key.
    let at = functions
        .windows(8)
        .position(|w| w == b"aof-base")
        .expect("aof-base aux field");
    let after_aux = at + 8 + 2;
    assert_eq!(functions[after_aux], 0xff, "{:?}", functions);
    assert_eq!(functions.len(), after_aux + 1 + 8);
    // A transfer over the socket counts only its time, as Redis's.
    assert!(wait_until(Duration::from_secs(10), || info_field(
        &m,
        "persistence",
        "rdb_last_bgsave_time_sec"
    ) != "-1"));
    assert_eq!(info_field(&m, "persistence", "rdb_saves"), "0");
    // The unfiltered RDB has the keys.
    let full = run("--rdb", "full.rdb");
    assert!(full.len() > functions.len() + 100 * 10);
    // REPLCONF rdb-filter-only "" asks for the same; other filters are
    // refused.
    let mut c = m.raw();
    assert_eq!(c.cmd(&["replconf", "rdb-filter-only", ""]), b"+OK\r\n");
    assert_eq!(
        c.cmd(&["replconf", "rdb-filter-only", "functions x"]),
        b"-ERR Unsupported rdb-filter-only option: x\r\n"
    );
    assert_eq!(m.cli(&["dbsize"]).trim(), "100");
}

/// Whether `name` exists in `dir`.
fn file_exists(dir: &std::path::Path, name: &str) -> bool {
    dir.join(name).exists()
}

#[test]
fn a_replica_joins_a_running_disk_bgsave_and_the_sync_file_is_deleted() {
    let m = master(&["--repl-diskless-sync", "no", "--rdb-del-sync-files", "yes"]);
    m.cli(&["debug", "populate", "20"]);
    // About two seconds of BGSAVE.
    m.cli(&["config", "set", "rdb-key-save-delay", "20000"]);
    let r1 = ferredis_replica(&m);
    assert!(m.wait_for_log("Background saving started by pid", Duration::from_secs(10)));
    m.cli(&["set", "x", "1"]);
    let r2 = ferredis_replica(&m);
    assert!(m.wait_for_log(
        "* Waiting for end of BGSAVE for SYNC",
        Duration::from_secs(10)
    ));
    assert_eq!(info_field(&m, "persistence", "rdb_bgsave_in_progress"), "1");
    m.cli(&["set", "y", "1"]);
    assert_in_sync(&m, &r1);
    assert_in_sync(&m, &r2);
    assert_eq!(r2.cli(&["mget", "x", "y"]), "1\n1\n");
    // One fork served both, counted as a BGSAVE.
    let log = m.log();
    assert_eq!(
        log.matches("Background saving started by pid").count(),
        1,
        "{}",
        log
    );
    assert!(log.contains("* Background saving terminated with success"));
    assert_eq!(info_field(&m, "persistence", "rdb_saves"), "1");
    assert_eq!(
        info_field(&m, "persistence", "rdb_last_bgsave_status"),
        "ok"
    );
    assert_ne!(
        info_field(&m, "persistence", "rdb_last_bgsave_time_sec"),
        "-1"
    );
    // The two writes made after the fork are not in the file.
    assert_eq!(
        info_field(&m, "persistence", "rdb_changes_since_last_save"),
        "2"
    );
    // rdb-del-sync-files: no save points, no AOF: the file goes away.
    assert!(m.wait_for_log(
        "* Removing the RDB file used to feed replicas in a persistence-less instance",
        Duration::from_secs(10)
    ));
    assert!(!file_exists(&m.dir, "dump.rdb"));
    // A BGSAVE of the user's: a replica cannot join it and waits for the
    // next fork.
    m.cli(&["config", "set", "rdb-del-sync-files", "no"]);
    assert_eq!(m.cli(&["bgsave"]).trim(), "Background saving started");
    let r3 = ferredis_replica(&m);
    assert!(m.wait_for_log(
        "* Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
        Duration::from_secs(10)
    ));
    m.cli(&["config", "set", "rdb-key-save-delay", "0"]);
    assert_in_sync(&m, &r3);
    assert_eq!(
        m.log().matches("Background saving started by pid").count(),
        3
    );
    // Without rdb-del-sync-files the file written for the sync stays.
    assert!(file_exists(&m.dir, "dump.rdb"));
}
