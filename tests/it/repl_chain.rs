//! Chained replication: a replica passes its master's stream on to its
//! own replicas byte for byte, so the replication ID and offset are the
//! same all along a chain (ferredis and real `redis-server` in the
//! middle or at the end), the snapshot a middle replica sends names the
//! database its master's stream has selected, and sub-replicas are
//! dropped (and resync) when their master's history changes: its own full
//! sync, or its promotion.
//!
//! Redis counterpart: `tests/integration/psync2*.tcl`,
//! `tests/integration/replication-4.tcl` in Redis's suite.

use std::time::Duration;

use crate::common::{
    have_tool, info_field, redis_required, replication_node, wait_until, TestServer,
};

const WAIT: Duration = Duration::from_secs(30);

fn server(bin: &str, master: Option<&TestServer>) -> TestServer {
    replication_node(bin, master)
}

fn field(s: &TestServer, section: &str, name: &str) -> String {
    info_field(s, section, name)
}

/// Polls until every server has the first one's dataset, replication ID
/// and offset (the replicas with their links up).
fn assert_same_stream(servers: &[&TestServer]) {
    let ok = wait_until(WAIT, || {
        let top = servers[0];
        let (id, off) = (
            field(top, "replication", "master_replid"),
            field(top, "replication", "master_repl_offset"),
        );
        let digest = top.cli(&["debug", "digest"]);
        servers[1..].iter().all(|r| {
            field(r, "replication", "master_link_status") == "up"
                && field(r, "replication", "master_replid") == id
                && field(r, "replication", "master_repl_offset") == off
                && r.cli(&["debug", "digest"]) == digest
        })
    });
    if !ok {
        let mut msg = String::from("the chain does not agree:\n");
        for s in servers {
            msg.push_str(&format!(
                "port {}: id {} offset {} digest {}\n",
                s.port,
                field(s, "replication", "master_replid"),
                field(s, "replication", "master_repl_offset"),
                s.cli(&["debug", "digest"]).trim()
            ));
        }
        for s in servers {
            msg.push_str(&format!("--- log of {}:\n{}\n", s.port, s.log()));
        }
        panic!("{}", msg);
    }
}

/// Writes in several databases (the stream ends in db 3), a transaction
/// and an expiry.
fn writes(m: &TestServer, tag: &str) {
    let k = |n: &str| format!("{}:{}", tag, n);
    m.cli(&["set", &k("s"), "v"]);
    m.cli(&["-n", "2", "rpush", &k("l"), "a", "b", "c"]);
    m.cli(&["-n", "1", "hset", &k("h"), "f", "1", "g", "2"]);
    m.cli(&["setex", &k("ttl"), "1000", "x"]);
    let mut c = m.raw();
    c.cmd(&["select", "3"]);
    c.cmd(&["multi"]);
    c.cmd(&["zadd", &k("z"), "1", "a", "2", "b"]);
    c.cmd(&["sadd", &k("set"), "x", "y"]);
    c.cmd(&["incr", &k("n")]);
    assert_eq!(c.cmd(&["exec"]).first(), Some(&b'*'));
}

fn have_redis() -> bool {
    if have_tool("redis-server") {
        return true;
    }
    assert!(!redis_required(), "redis-server is required");
    false
}

#[test]
fn a_ferredis_chain_shares_the_top_masters_id_and_offset() {
    let m = server("ferredis", None);
    writes(&m, "before");
    let r1 = server("ferredis", Some(&m));
    let r2 = server("ferredis", Some(&r1));
    assert_same_stream(&[&m, &r1, &r2]);
    writes(&m, "after");
    assert_same_stream(&[&m, &r1, &r2]);
    // The stream has db 3 selected: a sub-replica syncing now must apply
    // what follows (no new SELECT) in db 3 too.
    let r3 = server("ferredis", Some(&r1));
    assert_same_stream(&[&m, &r1, &r3]);
    let mut c = m.raw();
    c.cmd(&["select", "3"]);
    c.cmd(&["set", "in-three", "1"]);
    assert_same_stream(&[&m, &r1, &r2, &r3]);
    assert_eq!(r3.cli(&["-n", "3", "get", "in-three"]).trim(), "1");
    // The middle's link drops: it continues (partial), and its own
    // replicas stay attached, as the history did not change.
    let full_before = field(&r1, "stats", "sync_full");
    m.cli(&["client", "kill", "type", "replica"]);
    writes(&m, "relinked");
    assert_same_stream(&[&m, &r1, &r2, &r3]);
    assert_eq!(field(&m, "stats", "sync_partial_ok"), "1");
    assert_eq!(field(&r1, "stats", "sync_full"), full_before);
    assert_eq!(field(&r1, "replication", "connected_slaves"), "2");
}

#[test]
fn sub_replicas_resync_when_the_middle_does_a_full_sync_or_is_promoted() {
    let m = server("ferredis", None);
    writes(&m, "one");
    let r1 = server("ferredis", Some(&m));
    let r2 = server("ferredis", Some(&r1));
    assert_same_stream(&[&m, &r1, &r2]);
    // r1 moves to another master with another dataset: its full sync
    // drops r2, which resyncs and ends with the new master's data.
    let m2 = server("ferredis", None);
    writes(&m2, "two");
    let full_before: u64 = field(&r1, "stats", "sync_full").parse().unwrap_or(0);
    let port = m2.port.to_string();
    assert_eq!(r1.cli(&["replicaof", "127.0.0.1", &port]).trim(), "OK");
    assert_same_stream(&[&m2, &r1, &r2]);
    assert!(wait_until(WAIT, || {
        field(&r1, "stats", "sync_full").parse().unwrap_or(0) > full_before
    }));
    assert_eq!(r2.cli(&["exists", "one:s"]).trim(), "0");
    // r1 is promoted: a new ID, the old one as replid2; r2 is dropped to
    // learn it and continues with a partial resync.
    let old_id = field(&m2, "replication", "master_replid");
    drop(m2);
    let full_before = field(&r1, "stats", "sync_full");
    let partial_before: u64 = field(&r1, "stats", "sync_partial_ok").parse().unwrap_or(0);
    assert_eq!(r1.cli(&["replicaof", "no", "one"]).trim(), "OK");
    assert_eq!(field(&r1, "replication", "master_replid2"), old_id);
    assert!(wait_until(WAIT, || {
        field(&r2, "replication", "master_replid2") == old_id
            && field(&r1, "stats", "sync_partial_ok").parse().unwrap_or(0) > partial_before
    }));
    assert_eq!(field(&r1, "stats", "sync_full"), full_before);
    r1.cli(&["set", "after-promotion", "1"]);
    assert_same_stream(&[&r1, &r2]);
}

#[test]
fn redis_and_ferredis_mixed_in_a_chain() {
    if !have_redis() {
        return;
    }
    // redis -> ferredis -> redis: the ferredis middle passes the stream
    // on as it came, so the last replica's offset is the top master's.
    let m = server("redis-server", None);
    writes(&m, "before");
    let r1 = server("ferredis", Some(&m));
    let r2 = server("redis-server", Some(&r1));
    assert_same_stream(&[&m, &r1, &r2]);
    writes(&m, "after");
    assert_same_stream(&[&m, &r1, &r2]);
    // redis -> redis -> ferredis, synced while the stream has db 3
    // selected: ferredis takes the stream's database from the snapshot.
    let r3 = server("redis-server", Some(&m));
    assert_same_stream(&[&m, &r3]);
    let r4 = server("ferredis", Some(&r3));
    assert_same_stream(&[&m, &r3, &r4]);
    let mut c = m.raw();
    c.cmd(&["select", "3"]);
    c.cmd(&["set", "in-three", "1"]);
    assert_same_stream(&[&m, &r1, &r2, &r3, &r4]);
    assert_eq!(r4.cli(&["-n", "3", "get", "in-three"]).trim(), "1");
}
