//! Blocking list commands over real sockets: BLPOP/BRPOP/BLMOVE/
//! BRPOPLPUSH/BLMPOP wake on pushes in FIFO order, time out exactly,
//! honour CLIENT UNBLOCK, leave nothing behind on disconnect, and are
//! served right after the command that pushed (as Redis does), checked
//! against a real redis-server where it matters.

use std::time::{Duration, Instant};

use crate::clients::reference;
use crate::common::{encode_command, wait_until, RawConn, TestServer};

fn info_field(c: &mut RawConn, field: &str) -> String {
    let f = c.cmd_frame(&["INFO", "clients"]);
    let text = String::from_utf8_lossy(f.body.as_deref().unwrap_or_default()).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", field)))
        .unwrap_or("")
        .to_string()
}

fn wait_blocked(c: &mut RawConn, n: usize) {
    let ok = wait_until(Duration::from_secs(5), || {
        info_field(c, "blocked_clients") == n.to_string()
    });
    assert!(ok, "blocked_clients never reached {}", n);
}

#[test]
fn blpop_wakes_on_push_and_serves_waiters_in_order() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    let mut a = srv.raw();
    let mut b = srv.raw();
    a.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    b.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 2);
    assert_eq!(admin.cmd(&["RPUSH", "q", "first"]), b":1\r\n");
    assert_eq!(a.read_reply().raw, b"*2\r\n$1\r\nq\r\n$5\r\nfirst\r\n");
    assert_eq!(admin.cmd(&["RPUSH", "q", "second"]), b":1\r\n");
    assert_eq!(b.read_reply().raw, b"*2\r\n$1\r\nq\r\n$6\r\nsecond\r\n");
    wait_blocked(&mut admin, 0);
    assert_eq!(admin.cmd(&["EXISTS", "q"]), b":0\r\n");
}

#[test]
fn a_client_on_several_keys_is_served_by_the_first_with_data() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    let mut c = srv.raw();
    c.send_cmd(&["BRPOP", "k1", "k2", "k3", "0"]);
    wait_blocked(&mut admin, 1);
    admin.cmd(&["LPUSH", "k2", "x", "y"]);
    assert_eq!(c.read_reply().raw, b"*2\r\n$2\r\nk2\r\n$1\r\nx\r\n");
    assert_eq!(
        admin.cmd(&["LRANGE", "k2", "0", "-1"]),
        b"*1\r\n$1\r\ny\r\n"
    );
}

#[test]
fn fractional_timeouts_fire_on_time() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let start = Instant::now();
    assert_eq!(c.cmd(&["BLPOP", "nokey", "0.2"]), b"*-1\r\n");
    let took = start.elapsed();
    // The server's clock has millisecond resolution, so allow for the
    // fraction of a millisecond lost to truncation.
    assert!(
        took >= Duration::from_millis(195),
        "returned after {:?}",
        took
    );
    assert!(took < Duration::from_secs(2), "returned after {:?}", took);
    // The connection keeps working, and BLMOVE times out with a null array
    // too (as Redis 7.0 replies for every list/zset blocking command).
    assert_eq!(
        c.cmd(&["BLMOVE", "nokey", "dst", "LEFT", "RIGHT", "0.05"]),
        b"*-1\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn blmove_and_blmpop_move_data_when_it_arrives() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    let mut c = srv.raw();
    c.send_cmd(&["BLMOVE", "src", "dst", "RIGHT", "LEFT", "5"]);
    wait_blocked(&mut admin, 1);
    admin.cmd(&["RPUSH", "src", "a", "b"]);
    assert_eq!(c.read_reply().raw, b"$1\r\nb\r\n");
    assert_eq!(
        admin.cmd(&["LRANGE", "dst", "0", "-1"]),
        b"*1\r\n$1\r\nb\r\n"
    );
    c.send_cmd(&["BLMPOP", "5", "2", "e1", "e2", "LEFT", "COUNT", "3"]);
    wait_blocked(&mut admin, 1);
    admin.cmd(&["RPUSH", "e2", "1", "2"]);
    assert_eq!(
        c.read_reply().raw,
        b"*2\r\n$2\r\ne2\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    c.send_cmd(&["BRPOPLPUSH", "src", "dst", "5"]);
    assert_eq!(c.read_reply().raw, b"$1\r\na\r\n");
}

#[test]
fn client_unblock_with_timeout_or_error() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    let mut c = srv.raw();
    let id = String::from_utf8(c.cmd(&["CLIENT", "ID"])).expect("utf8");
    let id = id.trim_start_matches(':').trim_end().to_string();
    c.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), b":1\r\n");
    assert_eq!(c.read_reply().raw, b"*-1\r\n");
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), b":0\r\n");
    c.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), b":1\r\n");
    assert_eq!(
        c.read_reply().raw,
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    // Commands pipelined behind a blocking one run once it is served.
    c.send(
        &[
            encode_command(&["BLPOP", "q", "0"]),
            encode_command(&["PING"]),
        ]
        .concat(),
    );
    wait_blocked(&mut admin, 1);
    admin.cmd(&["RPUSH", "q", "v"]);
    assert_eq!(c.read_reply().raw, b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n");
    assert_eq!(c.read_reply().raw, b"+PONG\r\n");
}

#[test]
fn disconnecting_while_blocked_leaves_nothing_behind() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    {
        let mut c = srv.raw();
        c.send_cmd(&["BLPOP", "q", "0"]);
        wait_blocked(&mut admin, 1);
    }
    wait_blocked(&mut admin, 0);
    admin.cmd(&["RPUSH", "q", "kept"]);
    assert_eq!(admin.cmd(&["LLEN", "q"]), b":1\r\n");
}

#[test]
fn thousands_of_idle_blocked_clients_do_not_slow_others() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    let mut blocked: Vec<RawConn> = (0..500).map(|_| srv.raw()).collect();
    for (i, c) in blocked.iter_mut().enumerate() {
        c.send_cmd(&["BLPOP", &format!("q{}", i), "0"]);
    }
    wait_blocked(&mut admin, 500);
    let start = Instant::now();
    for _ in 0..200 {
        assert_eq!(admin.cmd(&["PING"]), b"+PONG\r\n");
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    admin.cmd(&["RPUSH", "q42", "hello"]);
    assert_eq!(
        blocked[42].read_reply().raw,
        b"*2\r\n$3\r\nq42\r\n$5\r\nhello\r\n"
    );
    wait_blocked(&mut admin, 499);
}

/// A push pipelined with a pop in one packet: the blocked client is served
/// right after the push, before the pop runs, so the pop finds nothing.
fn pipelined_push_then_pop(srv: &TestServer) -> (Vec<u8>, Vec<u8>) {
    let mut admin = srv.raw();
    let mut waiter = srv.raw();
    waiter.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    let mut pusher = srv.raw();
    pusher.send(
        &[
            encode_command(&["RPUSH", "q", "v"]),
            encode_command(&["LPOP", "q"]),
        ]
        .concat(),
    );
    let push = pusher.read_reply().raw;
    let pop = pusher.read_reply().raw;
    let served = waiter.read_reply().raw;
    assert_eq!(push, b":1\r\n");
    (pop, served)
}

#[test]
fn blocked_clients_are_served_right_after_the_pushing_command() {
    let ours = pipelined_push_then_pop(&TestServer::start());
    assert_eq!(ours.0, b"$-1\r\n");
    assert_eq!(ours.1, b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n");
    if let Some(redis) = reference(&[]) {
        assert_eq!(pipelined_push_then_pop(&redis), ours);
    }
}

#[test]
fn blocking_errors_match_redis() {
    let cases: &[&[&str]] = &[
        &["BLPOP", "a"],
        &["BLPOP", "a", "-1"],
        &["BLPOP", "a", "abc"],
        &["BLMOVE", "a", "b", "LEFT", "UP", "1"],
        &["BLMPOP", "0.1", "0", "a", "LEFT"],
        &["BLMPOP", "x", "1", "a", "LEFT"],
        &["BLMPOP", "0", "1", "a", "LEFT", "COUNT", "0"],
        &["SET", "s", "v"],
        &["BLPOP", "s", "1"],
        &["BRPOPLPUSH", "s", "d", "1"],
        &["COMMAND", "GETKEYS", "BLMPOP", "0", "2", "a", "b", "LEFT"],
        &["COMMAND", "GETKEYS", "BLPOP", "a", "b", "0"],
    ];
    let run = |srv: &TestServer| -> Vec<Vec<u8>> {
        let mut c = srv.raw();
        cases.iter().map(|args| c.cmd(args)).collect()
    };
    let ours = run(&TestServer::start());
    assert_eq!(
        ours[0],
        b"-ERR wrong number of arguments for 'blpop' command\r\n"
    );
    if let Some(redis) = reference(&[]) {
        let theirs = run(&redis);
        for (i, (o, t)) in ours.iter().zip(theirs.iter()).enumerate() {
            assert_eq!(
                String::from_utf8_lossy(o),
                String::from_utf8_lossy(t),
                "case {:?}",
                cases[i]
            );
        }
    }
}

#[test]
fn bzpopmin_bzpopmax_and_bzmpop_wake_on_zadd() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    let mut c = srv.raw();
    c.send_cmd(&["BZPOPMIN", "z1", "z2", "0"]);
    wait_blocked(&mut admin, 1);
    admin.cmd(&["ZADD", "z2", "2", "b", "1", "a"]);
    assert_eq!(
        c.read_reply().raw,
        b"*3\r\n$2\r\nz2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        c.cmd(&["BZPOPMAX", "z2", "0"]),
        b"*3\r\n$2\r\nz2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    c.send_cmd(&["BZMPOP", "5", "1", "z3", "MAX", "COUNT", "2"]);
    wait_blocked(&mut admin, 1);
    admin.cmd(&["ZADD", "z3", "1", "x", "3", "y", "2", "z"]);
    assert_eq!(
        c.read_reply().raw,
        b"*2\r\n$2\r\nz3\r\n*2\r\n*2\r\n$1\r\ny\r\n$1\r\n3\r\n*2\r\n$1\r\nz\r\n$1\r\n2\r\n"
    );
    assert_eq!(c.cmd(&["BZPOPMIN", "nokey", "0.05"]), b"*-1\r\n");
}

#[test]
fn zset_blocking_replies_match_redis() {
    let cases: &[&[&str]] = &[
        &["ZADD", "z2", "1", "a", "2", "b"],
        &["BZPOPMIN", "z1", "z2", "0"],
        &["BZPOPMAX", "z2", "0"],
        &["BZMPOP", "0.05", "2", "z1", "z2", "MIN", "COUNT", "3"],
        &["BZPOPMIN", "z1", "0.05"],
        &["BZPOPMIN", "z1", "-1"],
        &["BZMPOP", "x", "1", "z1", "MIN"],
        &["BZMPOP", "0", "0", "z1", "MIN"],
        &["SET", "s", "v"],
        &["BZPOPMIN", "s", "0"],
        &["BZMPOP", "0", "1", "s", "MIN"],
        &["COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MIN"],
        &["HELLO", "3"],
        &["ZADD", "z3", "1.5", "a"],
        &["BZPOPMIN", "z3", "0"],
        &["BZPOPMIN", "z3", "0.05"],
    ];
    let run = |srv: &TestServer| -> Vec<Vec<u8>> {
        let mut c = srv.raw();
        cases
            .iter()
            .map(|args| {
                let r = c.cmd(args);
                if args[0] == "HELLO" {
                    Vec::new()
                } else {
                    r
                }
            })
            .collect()
    };
    let ours = run(&TestServer::start());
    assert_eq!(ours[14], b"*3\r\n$2\r\nz3\r\n$1\r\na\r\n,1.5\r\n");
    if let Some(redis) = reference(&[]) {
        let theirs = run(&redis);
        for (i, (o, t)) in ours.iter().zip(theirs.iter()).enumerate() {
            assert_eq!(
                String::from_utf8_lossy(o),
                String::from_utf8_lossy(t),
                "case {:?}",
                cases[i]
            );
        }
    }
}
