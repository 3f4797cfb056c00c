//! Transactions over real sockets: WATCH races between real clients (the
//! `redis` crate), WATCH with expiry, FLUSHALL/SWAPDB/RENAME touching
//! watched keys, pipelined MULTI (byte-compared with redis-server), OOM
//! inside MULTI, the AOF holding MULTI/EXEC around a transaction and
//! replaying it, and clients blocked on keys served after the whole EXEC.
//!
//! Redis counterpart: `tests/unit/multi.tcl` in Redis's suite.

use std::fs;
use std::thread;
use std::time::Duration;

use crate::clients::reference;
use crate::common::{encode_command, unique_dir, wait_until, RawConn, TestServer, FERREDIS};

const NIL: &[u8] = b"*-1\r\n";

/// Runs `cmds` on `c` as one pipelined write and returns the raw replies.
fn pipelined(c: &mut RawConn, cmds: &[&[&str]]) -> Vec<Vec<u8>> {
    let mut bytes = Vec::new();
    for cmd in cmds {
        bytes.extend(encode_command(cmd));
    }
    c.send(&bytes);
    cmds.iter().map(|_| c.read_reply().raw).collect()
}

/// WATCH + MULTI/PING/EXEC: the EXEC reply.
fn exec_after(c: &mut RawConn) -> Vec<u8> {
    assert_eq!(c.cmd(&["MULTI"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), b"+QUEUED\r\n");
    c.cmd(&["EXEC"])
}

#[test]
fn watch_race_between_clients_loses_no_increment() {
    let srv = TestServer::start();
    const CLIENTS: usize = 4;
    const INCRS: usize = 100;
    let mut handles = Vec::new();
    for _ in 0..CLIENTS {
        let mut con = srv.client();
        handles.push(thread::spawn(move || {
            let mut aborted = 0u64;
            for _ in 0..INCRS {
                loop {
                    redis::cmd("WATCH")
                        .arg("ctr")
                        .query::<()>(&mut con)
                        .expect("watch");
                    let v: Option<i64> = redis::cmd("GET").arg("ctr").query(&mut con).expect("get");
                    let r: Option<(String,)> = redis::pipe()
                        .atomic()
                        .set("ctr", v.unwrap_or(0) + 1)
                        .query(&mut con)
                        .expect("exec");
                    if r.is_some() {
                        break;
                    }
                    aborted += 1;
                }
            }
            aborted
        }));
    }
    let _aborted: u64 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    let mut c = srv.raw();
    let want = (CLIENTS * INCRS).to_string();
    assert_eq!(
        c.cmd(&["GET", "ctr"]),
        format!("${}\r\n{}\r\n", want.len(), want).into_bytes()
    );
}

#[test]
fn watch_fails_on_another_clients_write_and_exec() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let mut b = srv.raw();
    assert_eq!(a.cmd(&["WATCH", "k"]), b"+OK\r\n");
    b.cmd(&["SET", "k", "1"]);
    assert_eq!(exec_after(&mut a), NIL);
    a.cmd(&["WATCH", "k"]);
    assert_eq!(
        pipelined(&mut b, &[&["MULTI"], &["INCR", "k"], &["EXEC"]])[2],
        b"*1\r\n:2\r\n"
    );
    assert_eq!(exec_after(&mut a), NIL);
    // RESP3 clients get a null.
    a.cmd(&["HELLO", "3"]);
    a.cmd(&["WATCH", "k"]);
    b.cmd(&["DEL", "k"]);
    assert_eq!(exec_after(&mut a), b"_\r\n");
}

#[test]
fn watch_with_expiry_flush_swapdb_rename() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let mut b = srv.raw();
    // Expired (and deleted by the active cycle) between WATCH and EXEC.
    a.cmd(&["SET", "e", "1", "PX", "300"]);
    a.cmd(&["WATCH", "e"]);
    assert!(wait_until(Duration::from_secs(5), || b.cmd(&["DBSIZE"]) == b":0\r\n"));
    assert_eq!(exec_after(&mut a), NIL);
    // Still there but past its TTL.
    a.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    a.cmd(&["SET", "e", "1", "PX", "300"]);
    a.cmd(&["WATCH", "e"]);
    thread::sleep(Duration::from_millis(400));
    assert_eq!(exec_after(&mut a), NIL);
    // Already expired when watched: fine.
    a.cmd(&["SET", "e", "1", "PX", "10"]);
    thread::sleep(Duration::from_millis(50));
    a.cmd(&["WATCH", "e"]);
    assert_eq!(exec_after(&mut a), b"*1\r\n+PONG\r\n");
    a.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    a.cmd(&["SET", "x", "1"]);
    a.cmd(&["WATCH", "x"]);
    b.cmd(&["FLUSHALL"]);
    assert_eq!(exec_after(&mut a), NIL);
    b.cmd(&["SELECT", "1"]);
    b.cmd(&["SET", "x", "1"]);
    a.cmd(&["WATCH", "x"]);
    b.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(exec_after(&mut a), NIL);
    b.cmd(&["SELECT", "0"]);
    b.cmd(&["SET", "r", "1"]);
    a.cmd(&["WATCH", "r2"]);
    b.cmd(&["RENAME", "r", "r2"]);
    assert_eq!(exec_after(&mut a), NIL);
}

#[test]
fn pipelined_transactions_match_redis() {
    let cmds: &[&[&str]] = &[
        &["MULTI"],
        &["SET", "k", "v"],
        &["LPUSH", "k", "x"],
        &["GET", "k"],
        &["MULTI"],
        &["WATCH", "k"],
        &["EXEC"],
        &["MULTI"],
        &["SET", "k"],
        &["SET", "k", "w"],
        &["EXEC"],
        &["GET", "k"],
        &["MULTI"],
        &["BLPOP", "nolist", "0"],
        &["BLMOVE", "nolist", "d", "LEFT", "LEFT", "0"],
        &["EXEC"],
        &["EXEC"],
        &["DISCARD"],
        &["MULTI"],
        &["SAVE"],
        &["DISCARD"],
    ];
    let srv = TestServer::start();
    let ours = pipelined(&mut srv.raw(), cmds);
    assert_eq!(ours[6], b"*3\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$1\r\nv\r\n");
    let Some(r) = reference(&[]) else {
        return;
    };
    let theirs = pipelined(&mut r.raw(), cmds);
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(
            String::from_utf8_lossy(o),
            String::from_utf8_lossy(t),
            "reply {} ({:?})",
            i,
            cmds[i]
        );
    }
}

#[test]
fn oom_inside_multi() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let mut admin = srv.raw();
    a.cmd(&["SET", "x", "1"]);
    a.cmd(&["MULTI"]);
    assert_eq!(a.cmd(&["SET", "k", "v"]), b"+QUEUED\r\n");
    admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(
        a.cmd(&["EXEC"]),
        b"-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    a.cmd(&["MULTI"]);
    assert_eq!(
        a.cmd(&["GET", "x"]),
        b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    assert_eq!(
        a.cmd(&["EXEC"]),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    a.cmd(&["MULTI"]);
    a.cmd(&["GET", "x"]);
    admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(a.cmd(&["EXEC"]), b"*1\r\n$1\r\n1\r\n");
    admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
}

/// BLPOP waiting on `k` while another client runs MULTI; LPUSH k a;
/// LPUSH k b; DEL k; LPUSH k c; EXEC: the waiter sees the state after the
/// whole transaction. Returns the waiter's reply and what is left in `k`.
fn blocked_waiter_after_exec(srv: &TestServer) -> (Vec<u8>, Vec<u8>) {
    let mut admin = srv.raw();
    let mut w = srv.raw();
    w.send_cmd(&["BLPOP", "k", "0"]);
    assert!(wait_until(Duration::from_secs(5), || {
        let f = admin.cmd_frame(&["INFO", "clients"]);
        String::from_utf8_lossy(f.bytes()).contains("blocked_clients:1")
    }));
    let replies = pipelined(
        &mut admin,
        &[
            &["MULTI"],
            &["LPUSH", "k", "a"],
            &["LPUSH", "k", "b"],
            &["DEL", "k"],
            &["LPUSH", "k", "c"],
            &["EXEC"],
        ],
    );
    assert_eq!(replies[5], b"*4\r\n:1\r\n:2\r\n:1\r\n:1\r\n");
    let got = w.read_reply().raw;
    (got, admin.cmd(&["LRANGE", "k", "0", "-1"]))
}

#[test]
fn blocked_client_is_served_after_the_whole_exec() {
    let srv = TestServer::start();
    let (got, left) = blocked_waiter_after_exec(&srv);
    assert_eq!(got, b"*2\r\n$1\r\nk\r\n$1\r\nc\r\n");
    assert_eq!(left, b"*0\r\n");
    if let Some(r) = reference(&[]) {
        assert_eq!(blocked_waiter_after_exec(&r), (got, left));
    }
}

#[test]
fn aof_wraps_the_transaction_and_replays_it() {
    let dir = unique_dir("aof-multi");
    let d = dir.to_str().expect("utf-8 dir");
    let args = ["--dir", d, "--appendonly", "yes", "--appendfsync", "always"];
    let mut s = TestServer::start_binary(FERREDIS, &args);
    let mut c = s.raw();
    let replies = pipelined(
        &mut c,
        &[
            &["MULTI"],
            &["SET", "a", "1"],
            &["INCR", "a"],
            &["GET", "a"],
            &["SELECT", "2"],
            &["RPUSH", "l", "x", "y"],
            &["EXEC"],
            &["MULTI"],
            &["GET", "a"],
            &["EXEC"],
        ],
    );
    assert_eq!(replies[6], b"*5\r\n+OK\r\n:2\r\n$1\r\n2\r\n+OK\r\n:2\r\n");
    let incr = fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).expect("incr aof");
    let want = [
        &["SELECT", "0"][..],
        &["MULTI"],
        &["SET", "a", "1"],
        &["INCR", "a"],
        &["SELECT", "2"],
        &["RPUSH", "l", "x", "y"],
        &["EXEC"],
    ]
    .iter()
    .flat_map(|c| encode_command(&c.iter().map(|a| a.to_ascii_lowercase()).collect::<Vec<_>>()))
    .collect::<Vec<u8>>();
    assert_eq!(
        String::from_utf8_lossy(&incr).to_ascii_lowercase(),
        String::from_utf8_lossy(&want)
    );
    s.signal("KILL");
    assert!(s.wait_exit(Duration::from_secs(10)).is_some());
    drop(s);
    let s2 = TestServer::start_binary(FERREDIS, &args);
    let mut c = s2.raw();
    assert!(wait_until(Duration::from_secs(10), || c.cmd(&["PING"]) == b"+PONG\r\n"));
    assert_eq!(c.cmd(&["GET", "a"]), b"$1\r\n2\r\n");
    c.cmd(&["SELECT", "2"]);
    assert_eq!(c.cmd(&["LLEN", "l"]), b":2\r\n");
}

#[test]
fn eviction_touches_watched_keys() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let mut admin = srv.raw();
    a.cmd(&["SET", "k", "v"]);
    a.cmd(&["WATCH", "k"]);
    admin.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
    admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    assert!(wait_until(Duration::from_secs(5), || admin
        .cmd(&["DBSIZE"])
        == b":0\r\n"));
    admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(exec_after(&mut a), NIL);
}
