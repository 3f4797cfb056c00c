//! SHUTDOWN and SIGTERM on a master with lagging replicas (Redis 7.0's
//! `shutdown-timeout`): the shutdown pauses writes and waits until every
//! replica acknowledged the master's offset (a stopped ferredis or
//! redis-server replica gets every acknowledged write once resumed),
//! `SHUTDOWN ABORT` cancels the wait and the paused write then runs, `NOW`,
//! the timeout and a second SIGINT end it, with Redis's log lines.
//!
//! Redis counterpart: `tests/integration/shutdown.tcl`.

use std::time::{Duration, Instant};

use crate::common::{have_tool, info_field, wait_until, TestServer};

fn master(timeout: &str) -> TestServer {
    TestServer::with_args(&[
        "--repl-diskless-sync-delay",
        "0",
        "--shutdown-timeout",
        timeout,
    ])
}

fn replica(m: &TestServer, bin: &str) -> TestServer {
    let port = m.port.to_string();
    TestServer::start_binary(bin, &["--replicaof", "127.0.0.1", &port])
}

/// A master with one ferredis replica that acknowledged everything, then
/// stopped (SIGSTOP) so it lags behind what comes next.
fn master_with_stopped_replica(timeout: &str) -> (TestServer, TestServer) {
    master_with_stopped(timeout, crate::common::FERREDIS)
}

/// The same with a replica run by `bin`.
fn master_with_stopped(timeout: &str, bin: &str) -> (TestServer, TestServer) {
    let m = master(timeout);
    let r = replica(&m, bin);
    m.cli(&["set", "k", "1"]);
    let synced = wait_until(Duration::from_secs(20), || {
        let off = info_field(&m, "replication", "master_repl_offset");
        info_field(&m, "replication", "slave0").contains(&format!("offset={},", off))
            && r.cli(&["get", "k"]).trim() == "1"
    });
    assert!(synced, "replica not in sync:\n{}\n{}", m.log(), r.log());
    r.signal("STOP");
    (m, r)
}

#[test]
fn shutdown_waits_until_a_stopped_replica_has_every_write() {
    waits_until_a_stopped_replica_has_every_write(crate::common::FERREDIS);
}

#[test]
fn shutdown_waits_until_a_stopped_redis_replica_has_every_write() {
    if !have_tool("redis-server") {
        return;
    }
    waits_until_a_stopped_replica_has_every_write("redis-server");
}

fn waits_until_a_stopped_replica_has_every_write(bin: &str) {
    let (mut m, r) = master_with_stopped("60", bin);
    for i in 0..200 {
        assert_eq!(m.cli(&["set", &format!("key:{}", i), "v"]).trim(), "OK");
    }
    m.cli(&["incr", "k"]);
    let mut sd = m.raw();
    sd.send_cmd(&["shutdown"]);
    assert!(m.wait_for_log(
        "* Waiting for replicas before shutting down.",
        Duration::from_secs(10)
    ));
    // Reads are served, writes wait.
    assert_eq!(m.cli(&["get", "k"]).trim(), "2");
    let mut w = m.raw();
    w.send_cmd(&["set", "paused-write", "1"]);
    assert_eq!(m.cli(&["exists", "paused-write"]).trim(), "0");
    assert!(m.is_alive());
    r.signal("CONT");
    assert!(
        m.wait_exit(Duration::from_secs(20)).is_some(),
        "master did not exit:\n{}",
        m.log()
    );
    sd.expect_closed();
    w.expect_closed();
    let log = m.log();
    assert!(
        log.contains("* 1 of 1 replicas are in sync when shutting down."),
        "{}",
        log
    );
    assert!(!log.contains("Lagging replica"), "{}", log);
    assert!(log.contains("# Redis is now ready to exit, bye bye..."));
    // Every acknowledged write reached the replica; the paused one never ran.
    assert!(wait_until(Duration::from_secs(10), || r
        .cli(&["dbsize"])
        .trim()
        == "201"));
    assert_eq!(r.cli(&["get", "k"]).trim(), "2");
    assert_eq!(r.cli(&["exists", "paused-write"]).trim(), "0");
}

#[test]
fn shutdown_abort_cancels_the_wait_and_the_paused_write_runs() {
    let (m, r) = master_with_stopped_replica("60");
    m.cli(&["set", "a", "1"]);
    m.cli(&["set", "short", "v", "px", "200"]);
    let mut sd = m.raw();
    sd.send_cmd(&["shutdown", "nosave"]);
    assert!(m.wait_for_log(
        "Waiting for replicas before shutting down.",
        Duration::from_secs(10)
    ));
    // A second SHUTDOWN waits with the first.
    let mut sd2 = m.raw();
    sd2.send_cmd(&["shutdown", "now"]);
    let mut w = m.raw();
    w.send_cmd(&["set", "paused-write", "1"]);
    assert!(wait_until(Duration::from_secs(10), || m
        .cli(&["client", "list"])
        .matches("cmd=shutdown")
        .count()
        == 2));
    assert_eq!(m.cli(&["exists", "paused-write"]).trim(), "0");
    // CLIENT UNPAUSE does not lift a shutdown's pause.
    assert_eq!(m.cli(&["client", "unpause"]).trim(), "OK");
    assert_eq!(m.cli(&["exists", "paused-write"]).trim(), "0");
    // The dataset stays static: no active expiry while writes are paused.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(m.cli(&["dbsize"]).trim(), "3");
    assert_eq!(info_field(&m, "stats", "expired_keys"), "0");
    let mut c = m.raw();
    assert_eq!(c.cmd(&["shutdown", "abort"]), b"+OK\r\n");
    assert_eq!(
        sd.read_reply().raw,
        b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    assert_eq!(
        sd2.read_reply().raw,
        b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    assert_eq!(w.read_reply().raw, b"+OK\r\n");
    assert_eq!(
        c.cmd(&["shutdown", "abort"]),
        b"-ERR No shutdown in progress.\r\n"
    );
    assert!(m.log().contains("* Shutdown manually aborted."));
    assert!(wait_until(Duration::from_secs(10), || info_field(
        &m,
        "stats",
        "expired_keys"
    ) == "1"));
    assert!(info_field(&m, "errorstats", "errorstat_ERR").starts_with("count=3"));
    r.signal("CONT");
    assert!(wait_until(Duration::from_secs(20), || r
        .cli(&["get", "paused-write"])
        .trim()
        == "1"));
    assert_eq!(r.cli(&["get", "a"]).trim(), "1");
}

#[test]
fn shutdown_now_does_not_wait_and_logs_the_lagging_replica() {
    let (mut m, r) = master_with_stopped_replica("60");
    m.cli(&["set", "a", "1"]);
    let mut sd = m.raw();
    let start = Instant::now();
    sd.send_cmd(&["shutdown", "now"]);
    assert!(m.wait_exit(Duration::from_secs(20)).is_some());
    assert!(start.elapsed() < Duration::from_secs(10));
    sd.expect_closed();
    let log = m.log();
    assert!(!log.contains("Waiting for replicas"), "{}", log);
    // SET a 1: 27 bytes.
    assert!(
        log.contains("reported offset 27 behind master, lag=") && log.contains(", state=online."),
        "{}",
        log
    );
    assert!(log.contains("* 0 of 1 replicas are in sync when shutting down."));
    r.signal("CONT");
}

#[test]
fn sigterm_waits_until_the_timeout_then_exits() {
    let (mut m, r) = master_with_stopped_replica("1");
    m.cli(&["set", "a", "1"]);
    m.signal("TERM");
    assert!(m.wait_exit(Duration::from_secs(20)).is_some());
    let log = m.log();
    let order = [
        // Redis's signal-handler line shape: `<pid>:signal-handler (<secs>) ...`.
        ":signal-handler (",
        ") Received SIGTERM scheduling shutdown...",
        "# User requested shutdown...",
        "* Waiting for replicas before shutting down.",
        "# Lagging replica 127.0.0.1:",
        "* 0 of 1 replicas are in sync when shutting down.",
        "# Redis is now ready to exit, bye bye...",
    ];
    let mut at = 0;
    for line in order {
        let i = log[at..]
            .find(line)
            .unwrap_or_else(|| panic!("{:?} missing in order:\n{}", line, log));
        at += i + line.len();
    }
    // shutdown-on-sigterm now: no wait at all.
    let (mut m2, r2) = master_with_stopped_replica("60");
    m2.cli(&["config", "set", "shutdown-on-sigterm", "now"]);
    m2.cli(&["set", "a", "1"]);
    m2.signal("TERM");
    assert!(m2.wait_exit(Duration::from_secs(20)).is_some());
    assert!(!m2.log().contains("Waiting for replicas"));
    assert!(m2.log().contains("Lagging replica"));
    r.signal("CONT");
    r2.signal("CONT");
}

#[test]
fn a_second_sigint_exits_at_once() {
    let (mut m, r) = master_with_stopped_replica("60");
    m.cli(&["set", "a", "1"]);
    m.signal("INT");
    assert!(m.wait_for_log(
        "Waiting for replicas before shutting down.",
        Duration::from_secs(10)
    ));
    m.signal("INT");
    let st = m.wait_exit(Duration::from_secs(10)).expect("exited");
    assert_eq!(st.code(), Some(1));
    assert!(m.log().contains(&format!("{}:signal-handler (", m.pid())));
    assert!(m.log().contains(") You insist... exiting now."));
    assert!(!m.log().contains("ready to exit"));
    r.signal("CONT");
}
