//! FAILOVER on a ferredis master: writes pause until the target replica
//! has acknowledged everything, the master becomes its replica with
//! `PSYNC ... FAILOVER` (a partial resync), other replicas stay chained
//! to the old master; TIMEOUT without FORCE and ABORT give up and resume
//! writes. Targets are ferredis and real `redis-server` replicas.
//!
//! Redis counterpart: `tests/integration/failover.tcl` in Redis's suite.

use std::time::Duration;

use crate::common::{have_tool, info_field, replication_node, wait_until, TestServer};

const WAIT: Duration = Duration::from_secs(30);

fn node(bin: &str, master: Option<&TestServer>) -> TestServer {
    replication_node(bin, master)
}

fn field(s: &TestServer, name: &str) -> String {
    info_field(s, "replication", name)
}

fn wait_up(r: &TestServer) {
    assert!(
        wait_until(WAIT, || field(r, "master_link_status") == "up"),
        "{}",
        r.log()
    );
}

fn same_data(a: &TestServer, b: &TestServer) {
    assert!(wait_until(WAIT, || a.cli(&["debug", "digest"])
        == b.cli(&["debug", "digest"])));
}

/// The master asks again until it counts the replica online.
fn failover_to(m: &TestServer, r: &TestServer) {
    let port = r.port.to_string();
    assert!(wait_until(WAIT, || m
        .cli(&["failover", "to", "127.0.0.1", &port])
        .trim()
        == "OK"));
}

#[test]
fn failover_hands_over_to_the_target_and_back() {
    let m = node("ferredis", None);
    m.cli(&["set", "before", "1"]);
    let r1 = node("ferredis", Some(&m));
    wait_up(&r1);
    let redis = if have_tool("redis-server") {
        let r2 = node("redis-server", Some(&m));
        wait_up(&r2);
        Some(r2)
    } else {
        None
    };
    failover_to(&m, &r1);
    assert!(
        wait_until(WAIT, || field(&r1, "role") == "master"
            && field(&m, "role") == "slave"
            && field(&m, "master_link_status") == "up"
            && field(&m, "master_failover_state") == "no-failover"),
        "{}\n{}",
        m.log(),
        r1.log()
    );
    assert!(m
        .log()
        .contains(&format!("FAILOVER requested to 127.0.0.1:{}.", r1.port)));
    assert!(m.log().contains("is synced, failing over."));
    assert!(r1
        .log()
        .contains("MASTER MODE enabled (failover request from"));
    let stats = r1.cli(&["info", "stats"]);
    assert!(stats.contains("sync_partial_ok:1\r\n"), "{}", stats);
    // Writes resume on the new master and reach the old one, and the
    // other replica, still chained to the old master.
    assert_eq!(r1.cli(&["set", "after", "2"]).trim(), "OK");
    same_data(&r1, &m);
    if let Some(r2) = &redis {
        same_data(&r1, r2);
        assert_eq!(field(r2, "master_port"), m.port.to_string());
    }
    // And back, to any replica: the old master is r1's only one.
    assert_eq!(r1.cli(&["failover"]).trim(), "OK");
    assert!(wait_until(WAIT, || field(&m, "role") == "master"
        && field(&r1, "role") == "slave"
        && field(&r1, "master_link_status") == "up"));
    assert!(r1.log().contains("FAILOVER requested to any replica."));
    assert_eq!(m.cli(&["set", "back", "3"]).trim(), "OK");
    same_data(&m, &r1);
}

#[test]
fn failover_to_a_redis_replica() {
    if !have_tool("redis-server") {
        return;
    }
    let m = node("ferredis", None);
    m.cli(&["set", "k", "v"]);
    let r = node("redis-server", Some(&m));
    wait_up(&r);
    failover_to(&m, &r);
    assert!(
        wait_until(WAIT, || field(&r, "role") == "master"
            && field(&m, "role") == "slave"
            && field(&m, "master_link_status") == "up"),
        "{}\n{}",
        m.log(),
        r.log()
    );
    assert_eq!(r.cli(&["set", "k2", "v2"]).trim(), "OK");
    same_data(&r, &m);
}

#[test]
fn a_replica_that_never_catches_up_times_out_or_is_aborted() {
    let mut m = node("ferredis", None);
    let mut r = node("ferredis", Some(&m));
    wait_up(&r);
    r.signal("STOP");
    // A write the stopped replica cannot acknowledge.
    m.cli(&["set", "unacked", "1"]);
    assert_eq!(m.cli(&["failover", "timeout", "300"]).trim(), "OK");
    assert!(wait_until(WAIT, || field(&m, "master_failover_state") == "no-failover"));
    assert!(m
        .log()
        .contains("FAILOVER to any replica aborted: Replica never caught up before timeout"));
    assert_eq!(field(&m, "role"), "master");
    // ABORT: the paused write goes through once the failover is dropped.
    let port = r.port.to_string();
    assert_eq!(
        m.cli(&["failover", "to", "127.0.0.1", &port, "timeout", "60000"])
            .trim(),
        "OK"
    );
    assert_eq!(field(&m, "master_failover_state"), "waiting-for-sync");
    let mut writer = m.raw();
    writer.send_cmd(&["set", "paused", "1"]);
    assert_eq!(
        m.cli(&["failover", "timeout", "10"]).trim(),
        "ERR FAILOVER already in progress."
    );
    assert_eq!(m.cli(&["exists", "paused"]).trim(), "0");
    assert_eq!(m.cli(&["failover", "abort"]).trim(), "OK");
    assert_eq!(writer.read_reply().raw, b"+OK\r\n");
    assert!(m.log().contains(&format!(
        "FAILOVER to 127.0.0.1:{} aborted: Failover manually aborted",
        r.port
    )));
    assert_eq!(field(&m, "master_failover_state"), "no-failover");
    r.signal("CONT");
    let _ = (&mut m, &mut r);
}

/// FORCE: at the deadline the master hands over to the named replica even
/// though it has not acknowledged everything; both end with the same
/// data (the new master's).
#[test]
fn force_fails_over_at_the_deadline() {
    let m = node("ferredis", None);
    let r = node("ferredis", Some(&m));
    wait_up(&r);
    // The master counts it online once its transfer is over.
    assert!(wait_until(WAIT, || m
        .cli(&["info", "replication"])
        .contains("state=online")));
    r.signal("STOP");
    m.cli(&["set", "unacked", "1"]);
    let port = r.port.to_string();
    assert_eq!(
        m.cli(&[
            "failover",
            "to",
            "127.0.0.1",
            &port,
            "timeout",
            "200",
            "force"
        ])
        .trim(),
        "OK"
    );
    assert!(wait_until(WAIT, || field(&m, "master_failover_state")
        == "failover-in-progress"));
    assert!(m.log().contains(&format!(
        "FAILOVER to 127.0.0.1:{} time out exceeded, failing over.",
        r.port
    )));
    r.signal("CONT");
    assert!(
        wait_until(WAIT, || field(&r, "role") == "master"
            && field(&m, "role") == "slave"
            && field(&m, "master_link_status") == "up"
            && field(&m, "master_failover_state") == "no-failover"),
        "{}\n{}",
        m.log(),
        r.log()
    );
    same_data(&r, &m);
}
