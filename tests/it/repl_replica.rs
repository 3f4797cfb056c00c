//! ferredis as a replica of a real `redis-server` 7.0 master: the full
//! sync (disk-based and diskless, with writes during the transfer), the
//! streamed commands of every data type, reconnection with a partial
//! resync (`+CONTINUE`), `masterauth`, expired keys kept until the
//! master's DEL, promotion with `REPLICAOF NO ONE`; the master client in
//! CLIENT LIST / KILL, `-LOADING` (and async loading) during the sync's
//! load, the AOF restarted after a full sync, sub-replicas dropped when
//! the history changes. Every test ends with equal `DEBUG DIGEST`s of
//! master and replica.
//!
//! Redis counterpart: `tests/integration/replication*.tcl` and
//! `tests/integration/psync2*.tcl` in Redis's suite.

use std::time::Duration;

use crate::common::{have_tool, wait_until, TestServer};

const SYNC_WAIT: Duration = Duration::from_secs(30);

/// A real redis-server master (None when it is not installed).
fn redis_master(extra: &[&str]) -> Option<TestServer> {
    if !have_tool("redis-server") {
        return None;
    }
    let mut args = vec![
        "--enable-debug-command",
        "yes",
        "--appendonly",
        "no",
        "--repl-diskless-sync-delay",
        "0",
    ];
    args.extend_from_slice(extra);
    Some(TestServer::start_binary("redis-server", &args))
}

/// A ferredis replica of `master`.
fn ferredis_replica(master: &TestServer, extra: &[&str]) -> TestServer {
    let port = master.port.to_string();
    let mut args = vec![
        "--enable-debug-command",
        "yes",
        "--replicaof",
        "127.0.0.1",
        port.as_str(),
    ];
    args.extend_from_slice(extra);
    TestServer::with_args(&args)
}

fn info_field(s: &TestServer, field: &str) -> String {
    let info = s.cli(&["info", "replication"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", field)))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn wait_link_up(replica: &TestServer) {
    assert!(
        wait_until(SYNC_WAIT, || info_field(replica, "master_link_status")
            == "up"),
        "link never came up:\n{}",
        replica.log()
    );
}

/// Polls until both servers have the same DEBUG DIGEST.
fn assert_same_dataset(master: &TestServer, replica: &TestServer) {
    let same = wait_until(SYNC_WAIT, || {
        master.cli(&["debug", "digest"]) == replica.cli(&["debug", "digest"])
    });
    assert!(
        same,
        "digests differ: master {} replica {} (dbsize {} vs {})",
        master.cli(&["debug", "digest"]),
        replica.cli(&["debug", "digest"]),
        master.cli(&["dbsize"]),
        replica.cli(&["dbsize"])
    );
}

/// Writes of every data type ferredis has, in several databases.
fn write_everything(m: &TestServer, tag: &str) {
    let k = |s: &str| format!("{}:{}", tag, s);
    let cmds: Vec<Vec<String>> = vec![
        vec!["set".into(), k("str"), "hello".into()],
        vec!["set".into(), k("int"), "12345".into()],
        vec!["incrby".into(), k("int"), "10".into()],
        vec!["incrbyfloat".into(), k("float"), "1.5".into()],
        vec!["append".into(), k("str"), " world".into()],
        vec!["setex".into(), k("ttl"), "1000".into(), "v".into()],
        vec![
            "set".into(),
            k("pxat"),
            "v".into(),
            "px".into(),
            "500000".into(),
        ],
        vec![
            "rpush".into(),
            k("list"),
            "a".into(),
            "b".into(),
            "c".into(),
        ],
        vec!["lpop".into(), k("list")],
        vec![
            "linsert".into(),
            k("list"),
            "before".into(),
            "c".into(),
            "x".into(),
        ],
        vec![
            "sadd".into(),
            k("set"),
            "a".into(),
            "b".into(),
            "c".into(),
            "1".into(),
        ],
        vec!["spop".into(), k("set")],
        vec!["sadd".into(), k("iset"), "1".into(), "2".into(), "3".into()],
        vec![
            "zadd".into(),
            k("zset"),
            "1".into(),
            "a".into(),
            "2.5".into(),
            "b".into(),
        ],
        vec!["zincrby".into(), k("zset"), "3".into(), "a".into()],
        vec![
            "hset".into(),
            k("hash"),
            "f1".into(),
            "v1".into(),
            "f2".into(),
            "2".into(),
        ],
        vec!["hincrby".into(), k("hash"), "f2".into(), "5".into()],
        vec!["setbit".into(), k("bits"), "100".into(), "1".into()],
        vec!["expire".into(), k("str"), "5000".into()],
        vec!["rename".into(), k("iset"), k("iset2")],
        vec!["select".into(), "3".into()],
    ];
    for c in cmds {
        let args: Vec<&str> = c.iter().map(|s| s.as_str()).collect();
        m.cli(&args);
    }
    // Other databases and a transaction.
    m.cli(&["-n", "3", "set", &k("db3"), "three"]);
    m.cli(&["-n", "15", "lpush", &k("db15"), "x"]);
    let big: String = "x".repeat(100_000);
    m.cli(&["set", &k("big"), &big]);
    for i in 0..200 {
        m.cli(&[
            "hset",
            &k("bighash"),
            &format!("field{}", i),
            &"v".repeat(i),
        ]);
    }
    m.cli(&["del", &k("bits")]);
}

#[test]
fn full_sync_diskless_then_streaming_of_every_type() {
    let Some(master) = redis_master(&["--repl-diskless-sync", "yes"]) else {
        return;
    };
    master.cli(&["debug", "populate", "5000", "pre"]);
    write_everything(&master, "before");
    let replica = ferredis_replica(&master, &[]);
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    write_everything(&master, "after");
    assert_same_dataset(&master, &replica);
    let log = replica.log();
    assert!(log
        .contains("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"));
    assert!(log.contains("MASTER <-> REPLICA sync: Finished with success"));
    assert_eq!(info_field(&replica, "role"), "slave");
    assert_eq!(
        info_field(&replica, "master_replid"),
        info_field(&master, "master_replid")
    );
    // The replica's processed offset catches up with the master's.
    assert!(wait_until(SYNC_WAIT, || info_field(
        &replica,
        "slave_repl_offset"
    ) == info_field(
        &master,
        "master_repl_offset"
    )));
    let role = replica.cli(&["role"]);
    assert!(role.starts_with("slave\n127.0.0.1\n"), "{}", role);
    assert!(role.contains("connected"), "{}", role);
    // A read-only replica refuses writes from its own clients.
    assert_eq!(
        replica.cli(&["set", "x", "y"]).trim(),
        "READONLY You can't write against a read only replica."
    );
    // The master sees the replica online with its acknowledged offset.
    assert!(wait_until(SYNC_WAIT, || master
        .cli(&["info", "replication"])
        .contains("state=online")));
}

#[test]
fn full_sync_from_disk_with_writes_during_the_transfer() {
    let Some(master) = redis_master(&["--repl-diskless-sync", "no"]) else {
        return;
    };
    master.cli(&["debug", "populate", "3000", "pre"]);
    // Each key takes 500us to save: the transfer lasts ~1.5s.
    master.cli(&["config", "set", "rdb-key-save-delay", "500"]);
    let replica = ferredis_replica(&master, &[]);
    assert!(wait_until(SYNC_WAIT, || master
        .cli(&["info", "persistence"])
        .contains("rdb_bgsave_in_progress:1")));
    for i in 0..200 {
        master.cli(&["set", &format!("during:{}", i), &i.to_string()]);
    }
    write_everything(&master, "during");
    master.cli(&["config", "set", "rdb-key-save-delay", "0"]);
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    assert!(replica
        .log()
        .contains("MASTER <-> REPLICA sync: receiving "));
    assert_eq!(replica.cli(&["get", "during:199"]).trim(), "199");
}

#[test]
fn partial_resync_after_the_link_is_killed() {
    let Some(master) = redis_master(&[]) else {
        return;
    };
    master.cli(&["debug", "populate", "1000"]);
    let replica = ferredis_replica(&master, &[]);
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    let old_id = info_field(&master, "master_replid");
    for round in 0..3 {
        master.cli(&["client", "kill", "type", "replica"]);
        write_everything(&master, &format!("gap{}", round));
        wait_link_up(&replica);
        assert_same_dataset(&master, &replica);
    }
    let stats = master.cli(&["info", "stats"]);
    assert!(stats.contains("sync_full:1\r"), "{}", stats);
    assert!(stats.contains("sync_partial_ok:3\r"), "{}", stats);
    let log = replica.log();
    assert!(log.contains(&format!(
        "Trying a partial resynchronization (request {}:",
        old_id
    )));
    assert!(log.contains("Successful partial resynchronization with master."));
    assert!(log.contains("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."));
}

#[test]
fn master_restart_and_masterauth() {
    let Some(mut master) = redis_master(&["--requirepass", "sekret"]) else {
        return;
    };
    master.cli(&["set", "a", "1"]);
    // A wrong password is logged and retried.
    let replica = ferredis_replica(&master, &["--masterauth", "wrong"]);
    assert!(replica.wait_for_log("Unable to AUTH to MASTER: -WRONGPASS", SYNC_WAIT));
    replica.cli(&["config", "set", "masterauth", "sekret"]);
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    // The master goes away and comes back on the same port (new replid,
    // no data): a full sync empties the replica.
    master.signal("KILL");
    master.wait_exit(Duration::from_secs(5));
    assert!(wait_until(SYNC_WAIT, || info_field(
        &replica,
        "master_link_status"
    ) == "down"));
    let mut restarted = TestServer::spawn(
        "redis-server",
        master.port,
        &[
            "--requirepass",
            "sekret",
            "--enable-debug-command",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ],
    );
    restarted.wait_ready().expect("restart master");
    restarted.cli(&["set", "b", "2"]);
    wait_link_up(&replica);
    assert_same_dataset(&restarted, &replica);
    assert_eq!(replica.cli(&["get", "a"]).trim(), "");
    assert_eq!(replica.cli(&["get", "b"]).trim(), "2");
}

#[test]
fn expired_keys_stay_until_the_master_deletes_them() {
    let Some(master) = redis_master(&[]) else {
        return;
    };
    let replica = ferredis_replica(&master, &[]);
    wait_link_up(&replica);
    master.cli(&["debug", "set-active-expire", "0"]);
    master.cli(&["set", "k", "v", "px", "100"]);
    assert!(wait_until(SYNC_WAIT, || replica.cli(&["dbsize"]).trim() == "1"));
    std::thread::sleep(Duration::from_millis(300));
    // Logically expired: reads miss, but the key is still there.
    assert_eq!(replica.cli(&["get", "k"]).trim(), "");
    assert_eq!(replica.cli(&["exists", "k"]).trim(), "0");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(replica.cli(&["dbsize"]).trim(), "1");
    // The master's lazy expiry propagates a DEL.
    assert_eq!(master.cli(&["get", "k"]).trim(), "");
    assert!(wait_until(SYNC_WAIT, || replica.cli(&["dbsize"]).trim() == "0"));
    assert_same_dataset(&master, &replica);
}

#[test]
fn replicaof_no_one_promotes_and_back() {
    let Some(master) = redis_master(&[]) else {
        return;
    };
    master.cli(&["set", "x", "1"]);
    let replica = TestServer::with_args(&["--enable-debug-command", "yes"]);
    replica.cli(&["set", "gone", "soon"]);
    let port = master.port.to_string();
    assert_eq!(replica.cli(&["replicaof", "127.0.0.1", &port]).trim(), "OK");
    assert_eq!(
        replica.cli(&["replicaof", "127.0.0.1", &port]).trim(),
        "OK Already connected to specified master"
    );
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    assert_eq!(replica.cli(&["get", "gone"]).trim(), "");
    let id = info_field(&master, "master_replid");
    assert!(wait_until(SYNC_WAIT, || info_field(
        &replica,
        "slave_repl_offset"
    ) == info_field(
        &master,
        "master_repl_offset"
    )));
    let off: i64 = info_field(&replica, "slave_repl_offset")
        .parse()
        .expect("offset");
    assert_eq!(replica.cli(&["replicaof", "no", "one"]).trim(), "OK");
    assert_eq!(info_field(&replica, "role"), "master");
    assert_eq!(info_field(&replica, "master_replid2"), id);
    assert_eq!(
        info_field(&replica, "second_repl_offset"),
        (off + 1).to_string()
    );
    assert_ne!(info_field(&replica, "master_replid"), id);
    assert_eq!(replica.cli(&["set", "y", "2"]).trim(), "OK");
    let log = replica.log();
    assert!(log.contains("REPLICAOF 127.0.0.1:"));
    assert!(log.contains("MASTER MODE enabled (user request from 'id="));
    assert!(log.contains("Setting secondary replication ID to"));
}

#[test]
fn restart_after_clean_shutdown_continues_with_a_partial_resync() {
    let Some(master) = redis_master(&[]) else {
        return;
    };
    master.cli(&["debug", "populate", "2000"]);
    let dir = crate::common::unique_dir("replica-restart");
    let d = dir.to_str().expect("utf-8 dir").to_string();
    let port = master.port.to_string();
    let args = [
        "--enable-debug-command",
        "yes",
        "--dir",
        d.as_str(),
        "--save",
        "900 1",
        "--replicaof",
        "127.0.0.1",
        port.as_str(),
    ];
    let mut replica = TestServer::with_args(&args);
    wait_link_up(&replica);
    write_everything(&master, "first");
    master.cli(&["-n", "5", "set", "in-db5", "x"]);
    assert_same_dataset(&master, &replica);
    replica.signal("TERM");
    assert!(replica.wait_exit(Duration::from_secs(10)).is_some());
    assert!(replica.log().contains("DB saved on disk"));
    // Writes while the replica is down come from the backlog; the first
    // continues in db 5 without a SELECT (repl-stream-db).
    master.cli(&["-n", "5", "set", "after-in-db5", "y"]);
    write_everything(&master, "while-down");
    let replica = TestServer::with_args(&args);
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    let log = replica.log();
    assert!(
        log.contains("Successful partial resynchronization with master."),
        "{}",
        log
    );
    assert_eq!(replica.cli(&["-n", "5", "get", "after-in-db5"]).trim(), "y");
    let stats = master.cli(&["info", "stats"]);
    assert!(stats.contains("sync_full:1\r"), "{}", stats);
    assert!(stats.contains("sync_partial_ok:1\r"), "{}", stats);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn continue_with_a_new_replid_after_the_master_is_promoted() {
    // M (redis) <- R (redis) <- F (ferredis); R is promoted.
    let Some(m) = redis_master(&[]) else {
        return;
    };
    // DEBUG POPULATE is not replicated: it goes in before R syncs.
    m.cli(&["debug", "populate", "500"]);
    let mport = m.port.to_string();
    let r = TestServer::start_binary(
        "redis-server",
        &[
            "--enable-debug-command",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
            "--replicaof",
            "127.0.0.1",
            mport.as_str(),
        ],
    );
    wait_link_up(&r);
    let f = ferredis_replica(&r, &[]);
    wait_link_up(&f);
    write_everything(&m, "via-r");
    assert_same_dataset(&m, &f);
    let old_id = info_field(&m, "master_replid");
    assert_eq!(info_field(&f, "master_replid"), old_id);
    assert_eq!(r.cli(&["replicaof", "no", "one"]).trim(), "OK");
    let new_id = info_field(&r, "master_replid");
    assert_ne!(new_id, old_id);
    r.cli(&["set", "after-promotion", "1"]);
    assert!(wait_until(SYNC_WAIT, || info_field(&f, "master_replid") == new_id));
    wait_link_up(&f);
    assert_same_dataset(&r, &f);
    assert_eq!(info_field(&f, "master_replid2"), old_id);
    let log = f.log();
    assert!(log.contains(&format!("Master replication ID changed to {}", new_id)));
    assert!(r.cli(&["info", "stats"]).contains("sync_partial_ok:1\r"));
}

#[test]
fn repl_timeout_detects_a_stopped_master() {
    let Some(master) = redis_master(&[]) else {
        return;
    };
    master.cli(&["set", "a", "1"]);
    let replica = ferredis_replica(&master, &["--repl-timeout", "2"]);
    wait_link_up(&replica);
    master.signal("STOP");
    let timed_out = replica.wait_for_log(
        "MASTER timeout: no data nor PING received...",
        Duration::from_secs(15),
    );
    // Checked before the master resumes: the replica reconnects at once
    // (as Redis), so the link may be up again soon after.
    let status = info_field(&replica, "master_link_status");
    master.signal("CONT");
    assert!(timed_out, "{}", replica.log());
    assert_eq!(status, "down");
    master.cli(&["set", "b", "2"]);
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    assert!(replica
        .log()
        .contains("Successful partial resynchronization with master."));
}

#[test]
fn sync_and_stream_under_a_pipelined_write_load() {
    let Some(master) = redis_master(&["--repl-diskless-sync", "yes"]) else {
        return;
    };
    if !have_tool("redis-benchmark") {
        return;
    }
    master.cli(&["debug", "populate", "20000"]);
    let port = master.port.to_string();
    let bench = move |n: &str| {
        std::process::Command::new("redis-benchmark")
            .args([
                "-p",
                &port,
                "-q",
                "-n",
                n,
                "-r",
                "5000",
                "-P",
                "16",
                "-c",
                "4",
                "-t",
                "set,incr,lpush,rpop,sadd,hset,spop,zadd,lpop,mset",
            ])
            .output()
            .expect("run redis-benchmark")
    };
    // Load during the sync, then with the link up.
    let during = std::thread::spawn({
        let bench = bench.clone();
        move || bench("30000")
    });
    std::thread::sleep(Duration::from_millis(50));
    let replica = ferredis_replica(&master, &[]);
    assert!(during.join().expect("bench thread").status.success());
    wait_link_up(&replica);
    assert!(bench("30000").status.success());
    assert_same_dataset(&master, &replica);
    assert!(wait_until(SYNC_WAIT, || info_field(
        &replica,
        "slave_repl_offset"
    ) == info_field(
        &master,
        "master_repl_offset"
    )));
    assert!(!replica.log().contains("CRITICAL"), "{}", replica.log());
}

#[test]
fn diskless_load_from_the_socket() {
    for (sync, load) in [("yes", "swapdb"), ("no", "swapdb"), ("yes", "on-empty-db")] {
        let Some(master) = redis_master(&["--repl-diskless-sync", sync]) else {
            return;
        };
        master.cli(&["debug", "populate", "3000", "pre"]);
        write_everything(&master, "before");
        let replica = ferredis_replica(&master, &["--repl-diskless-load", load]);
        wait_link_up(&replica);
        assert_same_dataset(&master, &replica);
        write_everything(&master, "after");
        assert_same_dataset(&master, &replica);
        let log = replica.log();
        assert!(
            log.contains("from master to parser") || log.contains("with EOF to parser"),
            "{}",
            log
        );
        assert!(log.contains("MASTER <-> REPLICA sync: Finished with success"));
        // Redis's words: swapdb swaps in the loaded data at the end, the
        // in-place load flushes first.
        let swapped = log.contains("MASTER <-> REPLICA sync: Swapping active DB with loaded DB")
            && log.contains("MASTER <-> REPLICA sync: Discarding old DB in background");
        let flushed = log.contains("MASTER <-> REPLICA sync: Flushing old data");
        assert_eq!(
            (swapped, flushed),
            (load == "swapdb", load != "swapdb"),
            "{}",
            log
        );
        // No temp file, no dump: nothing touched the disk.
        let files: Vec<_> = std::fs::read_dir(&replica.dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(
            files.iter().all(|f| !f.to_string_lossy().ends_with(".rdb")),
            "{:?}",
            files
        );
        // A second full sync (the master forgets the replica's replid).
        master.cli(&["debug", "change-repl-id"]);
        master.cli(&["client", "kill", "type", "replica"]);
        master.cli(&["set", "after-resync", "1"]);
        assert!(wait_until(SYNC_WAIT, || replica
            .cli(&["get", "after-resync"])
            .trim()
            == "1"));
        assert_same_dataset(&master, &replica);
    }
}

#[test]
fn replicaof_unblocks_blocked_clients() {
    let s = TestServer::start();
    let mut blocked = s.raw();
    blocked.send_cmd(&["blpop", "nokey", "0"]);
    // The BLPOP is registered before REPLICAOF runs.
    assert!(wait_until(SYNC_WAIT, || s
        .cli(&["info", "clients"])
        .contains("blocked_clients:1")));
    assert_eq!(s.cli(&["replicaof", "127.0.0.1", "1"]).trim(), "OK");
    let reply = blocked.read_reply();
    assert_eq!(
        crate::common::escape(&reply.raw),
        "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\\r\\n"
    );
    assert!(s
        .cli(&["info", "errorstats"])
        .contains("errorstat_UNBLOCKED:count=1"));
    assert_eq!(s.cli(&["replicaof", "no", "one"]).trim(), "OK");
}

#[test]
fn repointed_to_a_promoted_sibling_with_a_partial_resync() {
    // M (redis) with replicas R (redis) and F (ferredis); R is promoted
    // and F re-pointed to it: PSYNC with M's replid continues on R.
    let Some(m) = redis_master(&[]) else {
        return;
    };
    m.cli(&["debug", "populate", "1000"]);
    let mport = m.port.to_string();
    let r = TestServer::start_binary(
        "redis-server",
        &[
            "--repl-diskless-sync-delay",
            "0",
            "--enable-debug-command",
            "yes",
            "--replicaof",
            "127.0.0.1",
            mport.as_str(),
        ],
    );
    let f = ferredis_replica(&m, &[]);
    // F has a replica of its own: it is disconnected when F's master
    // changes its replid, so it learns the new history.
    let sub = ferredis_replica(&f, &[]);
    wait_link_up(&r);
    wait_link_up(&f);
    wait_link_up(&sub);
    write_everything(&m, "shared");
    assert_same_dataset(&m, &f);
    assert_same_dataset(&m, &r);
    assert_same_dataset(&m, &sub);
    assert!(wait_until(SYNC_WAIT, || info_field(
        &f,
        "slave_repl_offset"
    ) == info_field(
        &r,
        "slave_repl_offset"
    )));
    assert_eq!(r.cli(&["replicaof", "no", "one"]).trim(), "OK");
    let rport = r.port.to_string();
    assert_eq!(f.cli(&["replicaof", "127.0.0.1", &rport]).trim(), "OK");
    r.cli(&["set", "on-r", "1"]);
    wait_link_up(&f);
    assert_same_dataset(&r, &f);
    assert!(r.cli(&["info", "stats"]).contains("sync_partial_ok:1\r"));
    assert!(f
        .log()
        .contains("Successful partial resynchronization with master."));
    assert_eq!(
        info_field(&f, "master_replid"),
        info_field(&r, "master_replid")
    );
    let flog = f.log();
    let changed = flog
        .find("Master replication ID changed to")
        .expect("replid change logged");
    let lost = flog
        .rfind(&format!(
            "Connection with replica 127.0.0.1:{} lost.",
            sub.port
        ))
        .expect("sub-replica dropped");
    assert!(changed < lost, "{}", flog);
    wait_link_up(&sub);
    write_everything(&r, "after-promotion");
    assert_same_dataset(&r, &sub);
}

/// A replica that full-syncs with a new master drops its own replicas
/// and frees its backlog: they resync from scratch and end with the new
/// master's dataset (a partial resync would keep the old one).
#[test]
fn full_sync_drops_sub_replicas() {
    let debug = [
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ];
    let m1 = TestServer::with_args(&debug);
    let m2 = TestServer::with_args(&debug);
    m1.cli(&["debug", "populate", "500", "one"]);
    m2.cli(&["debug", "populate", "700", "two"]);
    write_everything(&m2, "m2");
    let r = ferredis_replica(&m1, &["--repl-diskless-sync-delay", "0"]);
    wait_link_up(&r);
    let sub = ferredis_replica(&r, &[]);
    wait_link_up(&sub);
    m1.cli(&["set", "on-m1", "1"]);
    assert_same_dataset(&m1, &sub);
    let full_before = stat(&r, "sync_full");
    assert_eq!(
        r.cli(&["replicaof", "127.0.0.1", &m2.port.to_string()])
            .trim(),
        "OK"
    );
    assert!(r.wait_for_log(
        &format!("Connection with replica 127.0.0.1:{} lost.", sub.port),
        SYNC_WAIT
    ));
    wait_link_up(&r);
    assert_same_dataset(&m2, &r);
    m2.cli(&["set", "on-m2", "1"]);
    assert_same_dataset(&m2, &sub);
    assert_eq!(sub.cli(&["exists", "on-m1"]).trim(), "0");
    // The sub-replica could not continue: a second full sync.
    assert_eq!(stat(&r, "sync_full"), full_before + 1);
    assert_eq!(stat(&r, "sync_partial_ok"), 0);
    let log = r.log();
    let discard = log.rfind("Discarding previously cached master state.");
    let flush = log.rfind("MASTER <-> REPLICA sync: Flushing old data");
    assert!(discard.is_some() && discard < flush, "{}", log);
    // Promoted, it drops its replicas too (a new replid); they come back
    // and follow its writes.
    let lost = format!("Connection with replica 127.0.0.1:{} lost.", sub.port);
    let before = log.matches(&lost).count();
    assert_eq!(r.cli(&["replicaof", "no", "one"]).trim(), "OK");
    assert!(wait_until(SYNC_WAIT, || r.log().matches(&lost).count() > before));
    wait_link_up(&sub);
    r.cli(&["set", "on-promoted-r", "1"]);
    assert_same_dataset(&r, &sub);
}

/// The `CLIENT LIST TYPE master` line of a replica ("" when none).
fn master_client_line(replica: &TestServer) -> String {
    replica
        .cli(&["client", "list", "type", "master"])
        .trim()
        .to_string()
}

/// One `field=value` of a CLIENT LIST line.
fn client_field<'a>(line: &'a str, field: &str) -> &'a str {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{}=", field)))
        .unwrap_or("")
}

/// The master link shows up as a client (`flags=M`) and each way of
/// killing it (TYPE, ID, ADDR, the old form) drops the link, which comes
/// back at once with a partial resync, keeping the client's id as Redis.
fn master_client_is_listed_and_killable(master: &TestServer) {
    master.cli(&["debug", "populate", "500"]);
    let replica = ferredis_replica(master, &[]);
    wait_link_up(&replica);
    master.cli(&["set", "mc:k", "v"]);
    assert_same_dataset(master, &replica);
    let line = master_client_line(&replica);
    assert_eq!(line.lines().count(), 1, "{}", line);
    assert_eq!(client_field(&line, "flags"), "M", "{}", line);
    assert_eq!(
        client_field(&line, "addr"),
        format!("127.0.0.1:{}", master.port),
        "{}",
        line
    );
    assert_eq!(client_field(&line, "cmd"), "set", "{}", line);
    assert_eq!(client_field(&line, "user"), "(superuser)", "{}", line);
    assert_ne!(client_field(&line, "fd"), "-1", "{}", line);
    let id = client_field(&line, "id").to_string();
    // The whole list has it too, and INFO counts it (as Redis: the
    // master client and this redis-cli).
    assert!(replica
        .cli(&["client", "list"])
        .contains(&format!("id={} ", id)));
    assert!(
        replica
            .cli(&["info", "clients"])
            .contains("connected_clients:2\r\n"),
        "{}",
        replica.cli(&["info", "clients"])
    );
    assert_eq!(
        replica
            .cli(&["client", "list", "type", "normal"])
            .lines()
            .count(),
        1
    );
    let addr = format!("127.0.0.1:{}", master.port);
    let kills: Vec<Vec<&str>> = vec![
        vec!["client", "kill", "type", "master"],
        vec!["client", "kill", "id", id.as_str()],
        vec!["client", "kill", "addr", addr.as_str()],
        vec!["client", "kill", addr.as_str()],
    ];
    let partial_before: i64 = stat(master, "sync_partial_ok");
    // A client connected before the kills: the resurrected master client
    // is linked again after it, so CLIENT LIST shows it later (as Redis's
    // client list), though its id is lower.
    let mut early = replica.raw();
    assert_eq!(early.cmd(&["PING"]), b"+PONG\r\n");
    for (i, kill) in kills.iter().enumerate() {
        let laddr = client_field(&master_client_line(&replica), "laddr").to_string();
        let reply = replica.cli(kill).trim().to_string();
        let want = if kill.len() == 3 { "OK" } else { "1" };
        assert_eq!(reply, want, "{:?}", kill);
        master.cli(&["set", &format!("mc:after{}", i), "x"]);
        // The link comes back (a new socket) with a partial resync.
        assert!(
            wait_until(SYNC_WAIT, || {
                let l = master_client_line(&replica);
                !l.is_empty() && client_field(&l, "laddr") != laddr
            }),
            "{}",
            replica.log()
        );
        wait_link_up(&replica);
        assert_same_dataset(master, &replica);
        let l = master_client_line(&replica);
        assert_eq!(client_field(&l, "id"), id, "{}", l);
    }
    assert_eq!(stat(master, "sync_partial_ok"), partial_before + 4);
    assert_eq!(stat(master, "sync_full"), 1);
    let listed = early.cmd_frame(&["CLIENT", "LIST"]);
    let text = String::from_utf8_lossy(listed.body.as_deref().unwrap_or_default()).into_owned();
    let flags: Vec<&str> = text.lines().map(|l| client_field(l, "flags")).collect();
    assert_eq!(flags, ["N", "M"], "{}", text);
    let log = replica.log();
    assert!(log.contains("Caching the disconnected master state."));
    assert!(log.contains(&format!("Reconnecting to MASTER 127.0.0.1:{}", master.port)));
    // Not a client to kill on a master.
    assert_eq!(
        master.cli(&["client", "kill", "type", "master"]).trim(),
        "0"
    );
}

fn stat(s: &TestServer, field: &str) -> i64 {
    let info = s.cli(&["info", "stats"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", field)))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

#[test]
fn master_client_of_a_redis_master() {
    let Some(master) = redis_master(&[]) else {
        return;
    };
    master_client_is_listed_and_killable(&master);
}

#[test]
fn master_client_of_a_ferredis_master() {
    let master = TestServer::with_args(&["--enable-debug-command", "yes"]);
    master_client_is_listed_and_killable(&master);
}

/// While a replica loads the snapshot of a full sync it serves clients:
/// PING gets `-LOADING`, INFO shows `loading:1` and the sync in progress;
/// writes the master took meanwhile arrive once the load is done.
fn serves_loading_during_the_sync_load(master: &TestServer, load: &str) {
    master.cli(&["debug", "populate", "100000", "big"]);
    let replica = ferredis_replica(
        master,
        &[
            "--repl-diskless-load",
            load,
            "--key-load-delay",
            "50",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    let loading = wait_until(SYNC_WAIT, || {
        replica
            .cli(&["info", "persistence"])
            .contains("loading:1\r\n")
    });
    assert!(loading, "{}", replica.log());
    let mut c = replica.raw();
    assert_eq!(
        c.cmd(&["PING"]),
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert_eq!(
        c.cmd(&["GET", "big:1"]),
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    let repl = replica.cli(&["info", "replication"]);
    assert!(repl.contains("master_sync_in_progress:1\r\n"), "{}", repl);
    assert!(repl.contains("master_link_status:down\r\n"), "{}", repl);
    // As Redis, the master's replid is taken once the snapshot is loaded.
    let master_id = info_field(master, "master_replid");
    assert_ne!(info_field(&replica, "master_replid"), master_id);
    let pers = replica.cli(&["info", "persistence"]);
    assert!(pers.contains("loading_loaded_bytes:"), "{}", pers);
    assert!(pers.contains("loading_eta_seconds:"), "{}", pers);
    // Writes on the master meanwhile come after the snapshot.
    master.cli(&["set", "during-load", "1"]);
    replica.cli(&["config", "set", "key-load-delay", "0"]);
    wait_link_up(&replica);
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(info_field(&replica, "master_replid"), master_id);
    assert_same_dataset(master, &replica);
    assert_eq!(replica.cli(&["get", "during-load"]).trim(), "1");
    assert!(replica
        .cli(&["info", "persistence"])
        .contains("loading:0\r\n"));
    let log = replica.log();
    assert!(
        log.contains("Done loading RDB, keys loaded: 100000"),
        "{}",
        log
    );
    let to = if load == "disabled" {
        "to disk"
    } else {
        "to parser"
    };
    assert!(log.contains(to), "{}", log);
}

#[test]
fn loading_during_a_disk_sync_load_from_a_redis_master() {
    let Some(master) = redis_master(&["--repl-diskless-sync", "no"]) else {
        return;
    };
    serves_loading_during_the_sync_load(&master, "disabled");
}

#[test]
fn loading_during_a_socket_load_on_an_empty_replica() {
    let master = TestServer::with_args(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    serves_loading_during_the_sync_load(&master, "on-empty-db");
}

fn persistence_field(s: &TestServer, field: &str) -> String {
    let info = s.cli(&["info", "persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", field)))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// A replica with `appendonly yes`: its AOF stops before the full sync's
/// load and restarts after it with a rewrite of the new data, so the old
/// AOF files never get the new stream mixed into the old dataset; after
/// the sync the AOF alone restores the master's dataset.
fn aof_restarts_after_a_full_sync(master: &TestServer, load: &str) {
    master.cli(&["debug", "populate", "300", "m"]);
    write_everything(master, "before");
    let dir = crate::common::unique_dir("replica-aof");
    let d = dir.to_str().expect("utf-8 dir").to_string();
    let mut replica = TestServer::with_args(&[
        "--enable-debug-command",
        "yes",
        "--dir",
        d.as_str(),
        "--appendonly",
        "yes",
        "--rdb-key-save-delay",
        "1000",
        "--repl-diskless-load",
        load,
    ]);
    replica.cli(&["set", "old:str", "x"]);
    replica.cli(&["rpush", "old:list", "a", "b"]);
    let aof_dir = dir.join("appendonlydir");
    let old_incr = aof_dir.join("appendonly.aof.1.incr.aof");
    assert!(wait_until(SYNC_WAIT, || std::fs::read(&old_incr)
        .is_ok_and(|b| b.windows(7).any(|w| w == b"old:str"))));
    // A slow BGSAVE of the old data runs when the sync ends: a load from
    // disk kills it (it would overwrite the new file), a load from the
    // socket lets it finish, and the AOF rewrite that restarts the AOF
    // waits for it. Either way the stream must not go to the old AOF.
    replica.cli(&["debug", "populate", "300", "old"]);
    replica.cli(&["bgsave"]);
    replica.cli(&["replicaof", "127.0.0.1", &master.port.to_string()]);
    wait_link_up(&replica);
    master.cli(&["set", "during-rewrite", "1"]);
    assert!(wait_until(SYNC_WAIT, || replica
        .cli(&["get", "during-rewrite"])
        .trim()
        == "1"));
    // The AOF is not on yet (else this test proves nothing).
    assert!(
        persistence_field(&replica, "aof_rewrite_in_progress") == "1"
            || persistence_field(&replica, "aof_rewrite_scheduled") == "1",
        "{}",
        replica.cli(&["info", "persistence"])
    );
    let old = std::fs::read(&old_incr).expect("old incr file");
    assert!(
        !old.windows(14).any(|w| w == b"during-rewrite"),
        "the old AOF got the new stream"
    );
    assert!(
        wait_until(SYNC_WAIT, || {
            let p = replica.cli(&["info", "persistence"]);
            p.contains("aof_rewrite_in_progress:0\r\n") && p.contains("aof_rewrite_scheduled:0\r\n")
        }),
        "{}",
        replica.log()
    );
    assert_eq!(
        persistence_field(&replica, "aof_last_bgrewrite_status"),
        "ok"
    );
    assert_eq!(persistence_field(&replica, "aof_enabled"), "1");
    write_everything(master, "after");
    assert_same_dataset(master, &replica);
    let log = replica.log();
    let finished = log
        .find("MASTER <-> REPLICA sync: Finished with success")
        .expect("sync finished");
    let creating = log
        .find("Creating AOF incr file temp-appendonly.aof.incr on background rewrite")
        .expect("AOF restarted");
    assert!(finished < creating, "{}", log);
    let killed = log.contains("Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process");
    assert_eq!(killed, load == "disabled", "{}", log);
    let _ = std::process::Command::new("redis-cli")
        .args(["-p", &replica.port.to_string(), "shutdown", "nosave"])
        .output();
    assert!(replica.wait_exit(Duration::from_secs(10)).is_some());
    // The AOF alone (no replicaof, no dump file) gives the master's data.
    let _ = std::fs::remove_file(dir.join("dump.rdb"));
    let restarted = TestServer::with_args(&[
        "--enable-debug-command",
        "yes",
        "--dir",
        d.as_str(),
        "--appendonly",
        "yes",
    ]);
    assert_eq!(
        restarted.cli(&["debug", "digest"]),
        master.cli(&["debug", "digest"])
    );
    assert_eq!(
        restarted
            .cli(&["exists", "old:str", "old:list", "old:1"])
            .trim(),
        "0"
    );
    drop(restarted);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn aof_restarts_after_a_full_sync_from_a_ferredis_master() {
    let master = TestServer::with_args(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    aof_restarts_after_a_full_sync(&master, "swapdb");
}

#[test]
fn aof_restarts_after_a_full_sync_from_a_redis_master() {
    let Some(master) = redis_master(&["--repl-diskless-sync", "no"]) else {
        return;
    };
    aof_restarts_after_a_full_sync(&master, "disabled");
}

/// A `swapdb` replica that must full-sync again with the same master (its
/// backlog could not serve the offset) loads asynchronously, as Redis:
/// the old data is served meanwhile (`async_loading:1`, `loading:0`),
/// only `no_async_loading` commands get `-LOADING`.
#[test]
fn swapdb_resync_of_the_same_history_serves_the_old_data() {
    let master = TestServer::with_args(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--repl-backlog-size",
        "16384",
    ]);
    master.cli(&["debug", "populate", "30000", "big"]);
    master.cli(&["set", "marker", "old"]);
    let replica = ferredis_replica(
        &master,
        &[
            "--repl-diskless-load",
            "swapdb",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    replica.cli(&["config", "set", "key-load-delay", "100"]);
    // A transaction queued before the load, holding a no_async_loading
    // command, has its EXEC refused during it.
    let mut tx = replica.raw();
    assert_eq!(tx.cmd(&["MULTI"]), b"+OK\r\n");
    assert_eq!(tx.cmd(&["BGREWRITEAOF"]), b"+QUEUED\r\n");
    // The replica stalls while the master drops it and writes more than
    // its backlog holds: the PSYNC that follows cannot continue.
    let mut sleeper = replica.raw();
    sleeper.send_cmd(&["debug", "sleep", "1"]);
    assert!(wait_until(SYNC_WAIT, || master
        .cli(&["client", "kill", "type", "replica"])
        .trim()
        == "1"));
    master.cli(&["set", "marker", "new"]);
    let filler = "x".repeat(1000);
    for i in 0..40 {
        master.cli(&["set", &format!("fill:{}", i), &filler]);
    }
    let mut c = replica.raw();
    let async_load = wait_until(SYNC_WAIT, || {
        replica
            .cli(&["info", "persistence"])
            .contains("async_loading:1\r\n")
    });
    assert!(async_load, "{}", replica.log());
    let pers = replica.cli(&["info", "persistence"]);
    assert!(pers.contains("loading:0\r\n"), "{}", pers);
    assert!(pers.contains("loading_loaded_bytes:"), "{}", pers);
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&["GET", "marker"]), b"$3\r\nold\r\n");
    assert_eq!(
        c.cmd(&["REPLICAOF", "no", "one"]),
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    // As Redis's rejectCommand for an EXEC.
    assert_eq!(
        tx.cmd(&["EXEC"]),
        &b"-EXECABORT Transaction discarded because of: LOADING Redis is loading the dataset in memory\r\n"[..]
    );
    replica.cli(&["config", "set", "key-load-delay", "0"]);
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    assert_eq!(c.cmd(&["GET", "marker"]), b"$3\r\nnew\r\n");
    assert!(replica
        .cli(&["info", "persistence"])
        .contains("async_loading:0\r\n"));
    let log = replica.log();
    assert!(log.contains("MASTER <-> REPLICA sync: Swapping active DB with loaded DB"));
    assert_eq!(stat(&master, "sync_full"), 2);
}

/// `replica-lazy-flush yes`: the dataset a full sync replaces is freed in
/// the background (INFO's lazyfreed_objects counts its keys, as Redis);
/// with `no` it is freed inline.
#[test]
fn replica_lazy_flush_frees_the_replaced_dataset_in_the_background() {
    for (lazy, freed) in [("yes", "1000"), ("no", "0")] {
        let args = [
            "--enable-debug-command",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ];
        let first = TestServer::with_args(&args);
        let second = TestServer::with_args(&args);
        first.cli(&["debug", "populate", "1000", "a"]);
        second.cli(&["debug", "populate", "10", "b"]);
        let r = ferredis_replica(&first, &["--replica-lazy-flush", lazy]);
        wait_link_up(&r);
        assert_same_dataset(&first, &r);
        let port = second.port.to_string();
        assert_eq!(r.cli(&["replicaof", "127.0.0.1", &port]).trim(), "OK");
        assert_same_dataset(&second, &r);
        let ok = wait_until(SYNC_WAIT, || {
            r.cli(&["info", "memory"])
                .lines()
                .any(|l| l.trim() == format!("lazyfreed_objects:{}", freed))
        });
        assert!(ok, "lazy={}: {}", lazy, r.cli(&["info", "memory"]));
    }
}

/// A disk-loaded snapshot stays as the replica's dump.rdb, as in Redis,
/// unless `rdb-del-sync-files yes` with persistence off removes it.
#[test]
fn the_received_rdb_stays_unless_rdb_del_sync_files() {
    let Some(master) = redis_master(&["--repl-diskless-sync", "no"]) else {
        return;
    };
    master.cli(&["set", "k", "v"]);
    let kept = ferredis_replica(&master, &["--save", "", "--appendonly", "no"]);
    let removed = ferredis_replica(
        &master,
        &[
            "--save",
            "",
            "--appendonly",
            "no",
            "--rdb-del-sync-files",
            "yes",
        ],
    );
    for r in [&kept, &removed] {
        wait_link_up(r);
        assert_same_dataset(&master, r);
    }
    assert!(kept.dir.join("dump.rdb").exists(), "{}", kept.log());
    assert!(!removed.dir.join("dump.rdb").exists(), "{}", removed.log());
    assert!(removed.log().contains(
        "Removing the RDB file obtained from the master. This replica has persistence disabled"
    ));
}

/// With `replicaof` in its configuration a server is a replica from the
/// start: its start-up load keeps keys that have expired (its master's DEL
/// removes them) where a master drops them, as Redis.
#[test]
fn a_configured_replica_keeps_expired_keys_of_its_rdb() {
    let source = TestServer::with_args(&["--enable-debug-command", "yes"]);
    source.cli(&["debug", "set-active-expire", "0"]);
    source.cli(&["set", "gone", "v", "px", "50"]);
    source.cli(&["set", "kept", "v"]);
    source.cli(&["debug", "sleep", "0.2"]);
    assert_eq!(source.cli(&["save"]).trim(), "OK");
    let rdb = source.dir.join("dump.rdb");
    let load = |extra: &[&str]| {
        let dir = crate::common::unique_dir("expired-load");
        std::fs::copy(&rdb, dir.join("dump.rdb")).expect("copy the RDB");
        let dir_s = dir.to_string_lossy().into_owned();
        let mut args = vec!["--dir", dir_s.as_str()];
        args.extend_from_slice(extra);
        TestServer::with_args(&args)
    };
    let unused = crate::common::free_port().to_string();
    let replica = load(&["--replicaof", "127.0.0.1", &unused]);
    assert_eq!(info_field(&replica, "role"), "slave");
    assert_eq!(replica.cli(&["dbsize"]).trim(), "2");
    assert_eq!(replica.cli(&["get", "gone"]).trim(), "");
    let master = load(&[]);
    assert_eq!(master.cli(&["dbsize"]).trim(), "1");
}

/// A snapshot that does not load: the replica logs Redis's "Reconnecting
/// to MASTER ... after failure" and asks again at once. The master here is
/// the test itself, over raw TCP, sending a corrupt RDB.
#[test]
fn a_snapshot_that_fails_to_load_reconnects_at_once() {
    use std::net::TcpListener;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    let replica = TestServer::with_args(&["--replicaof", "127.0.0.1", &port]);
    let serve_one = |listener: &TcpListener| {
        let (s, _) = listener.accept().expect("accept");
        s.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let mut c = crate::common::RawConn::new(s);
        loop {
            let f = c.read_reply();
            let name = f
                .children
                .first()
                .and_then(|a| a.body.clone())
                .unwrap_or_default()
                .to_ascii_lowercase();
            match name.as_slice() {
                b"ping" => c.send(b"+PONG\r\n"),
                b"replconf" => c.send(b"+OK\r\n"),
                b"psync" => {
                    let id = "a".repeat(40);
                    c.send(format!("+FULLRESYNC {} 0\r\n$16\r\nREDIS0010garbage", id).as_bytes());
                    return c;
                }
                other => panic!("unexpected {:?}", String::from_utf8_lossy(other)),
            }
        }
    };
    let _first = serve_one(&listener);
    // The replica comes back on its own for a second try.
    let _second = serve_one(&listener);
    assert!(replica.log().contains(&format!(
        "Reconnecting to MASTER 127.0.0.1:{} after failure",
        port
    )));
}

/// A real Redis master's `FAILOVER TO` this replica: the master waits for
/// it to catch up, becomes its replica and sends `PSYNC <replid> <offset>
/// FAILOVER`; the ferredis replica becomes a master on the spot and
/// answers with a partial resync. A PSYNC FAILOVER with another replid is
/// refused with Redis's error.
#[test]
fn failover_from_a_redis_master_to_this_replica() {
    let Some(master) = redis_master(&[]) else {
        return;
    };
    master.cli(&["set", "before", "1"]);
    let replica = ferredis_replica(&master, &[]);
    wait_link_up(&replica);
    assert_same_dataset(&master, &replica);
    let mut c = replica.raw();
    assert_eq!(
        c.cmd(&[
            "PSYNC",
            "0123456789012345678901234567890123456789",
            "1",
            "FAILOVER"
        ]),
        &b"-ERR PSYNC FAILOVER replid must match my replid.\r\n"[..]
    );
    let port = replica.port.to_string();
    // The master refuses until it counts the replica online (its first
    // ACK after the sync): a refused FAILOVER changes nothing, so ask again.
    assert!(wait_until(SYNC_WAIT, || master
        .cli(&["failover", "to", "127.0.0.1", &port])
        .trim()
        == "OK"));
    let switched = wait_until(SYNC_WAIT, || {
        info_field(&replica, "role") == "master"
            && info_field(&master, "role") == "slave"
            && info_field(&master, "master_link_status") == "up"
            && info_field(&master, "master_failover_state") == "no-failover"
    });
    assert!(switched, "{}\n{}", replica.log(), master.log());
    assert!(replica
        .log()
        .contains("MASTER MODE enabled (failover request from 'id="));
    let stats = replica.cli(&["info", "stats"]);
    assert!(stats.contains("sync_partial_ok:1\r\n"), "{}", stats);
    assert!(stats.contains("sync_full:0\r\n"), "{}", stats);
    assert_eq!(replica.cli(&["set", "after", "2"]).trim(), "OK");
    assert_same_dataset(&replica, &master);
    assert_eq!(master.cli(&["get", "after"]).trim(), "2");
}
