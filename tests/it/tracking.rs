//! Client-side caching over real sockets: RESP3 invalidation pushes after
//! the reply (own writes, MULTI/EXEC, a blocked BLMOVE), invalidations from
//! other clients, redirection (and the broken-redirect notice), BCAST with
//! prefixes batched per event-loop iteration, NOLOOP, OPTIN/OPTOUT,
//! FLUSHALL's null invalidation, expiry, `tracking-table-max-keys`, and
//! the clean-up on disconnect. Each scenario's transcript is compared byte
//! for byte with redis-server 7.0 when it is installed.
//!
//! After the pub/sub merge, add: a RESP2 redirect client that is not
//! subscribed receives nothing, and one SUBSCRIBEd (to any channel) gets
//! `*3 message __redis__:invalidate [keys]` (RESP2 redirect messages are
//! only tested here with the redirect client in RESP3).
//!
//! Redis counterpart: `tests/unit/tracking.tcl` in Redis's suite.

// Transcripts are built step by step, each step a command and its reply.
#![allow(clippy::vec_init_then_push)]

use std::thread;
use std::time::Duration;

use crate::clients::reference;
use crate::common::{encode_command, wait_until, RawConn, TestServer};

const PONG: &[u8] = b"+PONG\r\n";

/// The push frame invalidating `keys`.
fn inv(keys: &[&str]) -> Vec<u8> {
    let mut v = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len()).into_bytes();
    for k in keys {
        v.extend(format!("${}\r\n{}\r\n", k.len(), k).into_bytes());
    }
    v
}

/// The flush invalidation for a RESP3 tracking client.
const INV_NULL: &[u8] = b">2\r\n$10\r\ninvalidate\r\n_\r\n";

/// A RESP3 connection.
fn resp3(srv: &TestServer) -> RawConn {
    let mut c = srv.raw();
    let hello = c.cmd(&["HELLO", "3"]);
    assert!(hello.starts_with(b"%7\r\n"));
    c
}

/// Sends several commands in one write and reads `frames` frames.
fn pipeline(c: &mut RawConn, cmds: &[&[&str]], frames: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for cmd in cmds {
        bytes.extend(encode_command(cmd));
    }
    c.send(&bytes);
    let mut out = Vec::new();
    for _ in 0..frames {
        out.extend(c.read_reply().raw);
    }
    out
}

/// Reads frames until `PING`'s reply: everything that arrived before it.
fn drain(c: &mut RawConn) -> Vec<u8> {
    c.send_cmd(&["PING"]);
    let mut out = Vec::new();
    loop {
        let f = c.read_reply().raw;
        if f == PONG {
            return out;
        }
        out.extend(f);
    }
}

fn id_of(c: &mut RawConn) -> String {
    let raw = c.cmd(&["CLIENT", "ID"]);
    String::from_utf8_lossy(&raw[1..raw.len() - 2]).into_owned()
}

/// Runs `scenario` on ferredis, and on redis-server when installed, and
/// checks both transcripts are identical; returns ferredis's.
fn both(scenario: fn(&TestServer) -> Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let srv = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let ours = scenario(&srv);
    if let Some(r) = reference(&["--enable-debug-command", "yes"]) {
        let theirs = scenario(&r);
        for (i, (a, b)) in ours.iter().zip(theirs.iter()).enumerate() {
            assert_eq!(
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b),
                "step {} differs from redis-server",
                i
            );
        }
        assert_eq!(ours.len(), theirs.len());
    }
    ours
}

fn default_mode(srv: &TestServer) -> Vec<Vec<u8>> {
    let mut a = resp3(srv);
    let mut b = srv.raw();
    let mut t = Vec::new();
    t.push(a.cmd(&["CLIENT", "TRACKING", "on"]));
    t.push(b.cmd(&["SET", "k", "1"]));
    t.push(a.cmd(&["GET", "k"]));
    // Own write: the push follows the reply.
    t.push(pipeline(&mut a, &[&["SET", "k", "2"]], 2));
    // One-shot: not tracked any more.
    t.push(b.cmd(&["SET", "k", "3"]));
    t.push(drain(&mut a));
    // Another client's writes, one message per key.
    t.push(a.cmd(&["MGET", "k", "k2", "k"]));
    t.push(b.cmd(&["MSET", "k", "1", "k2", "2", "other", "3"]));
    t.push(drain(&mut a));
    // Read-only commands track their keys even on errors.
    t.push(b.cmd(&["LPUSH", "l", "a"]));
    t.push(a.cmd(&["GET", "l"]));
    t.push(b.cmd(&["DEL", "l"]));
    t.push(drain(&mut a));
    // The same key name in another database is the same tracked key.
    t.push(a.cmd(&["GET", "k"]));
    t.push(b.cmd(&["SELECT", "1"]));
    t.push(b.cmd(&["SET", "k", "x"]));
    t.push(drain(&mut a));
    // A transaction's invalidations come after the EXEC reply.
    t.push(a.cmd(&["MGET", "k", "k2"]));
    t.push(pipeline(
        &mut a,
        &[&["MULTI"], &["INCR", "k"], &["SET", "k2", "y"], &["EXEC"]],
        6,
    ));
    // FLUSHDB (any database, any client): a null invalidation.
    t.push(a.cmd(&["GET", "k"]));
    t.push(pipeline(&mut a, &[&["FLUSHDB"]], 2));
    t.push(b.cmd(&["FLUSHALL"]));
    t.push(drain(&mut a));
    // Tracking off: nothing more.
    t.push(a.cmd(&["GET", "z"]));
    t.push(a.cmd(&["CLIENT", "TRACKING", "off"]));
    t.push(a.cmd(&["GET", "z2"]));
    t.push(b.cmd(&["MSET", "z", "1", "z2", "2"]));
    t.push(drain(&mut a));
    t
}

#[test]
fn default_mode_invalidations() {
    let t = both(default_mode);
    assert_eq!(t[3], [b"+OK\r\n".to_vec(), inv(&["k"])].concat());
    assert_eq!(t[5], b"");
    assert_eq!(t[8], [inv(&["k"]), inv(&["k2"])].concat());
    assert_eq!(t[12], inv(&["l"]));
    assert_eq!(t[16], inv(&["k"]));
    assert_eq!(
        t[18],
        [
            b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:2\r\n+OK\r\n".to_vec(),
            inv(&["k"]),
            inv(&["k2"])
        ]
        .concat()
    );
    assert_eq!(t[20], [b"+OK\r\n".to_vec(), INV_NULL.to_vec()].concat());
    assert_eq!(t[22], INV_NULL);
    assert_eq!(t[27], b"");
}

fn redirect(srv: &TestServer) -> Vec<Vec<u8>> {
    let mut a = srv.raw();
    let mut r = resp3(srv);
    let mut b = srv.raw();
    let rid = id_of(&mut r);
    let mut t = Vec::new();
    t.push(a.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]));
    t.push(a.cmd(&["GET", "k"]));
    t.push(b.cmd(&["SET", "k", "1"]));
    t.push(drain(&mut r));
    // The flush null follows the tracking client's protocol (RESP2 here).
    t.push(a.cmd(&["GET", "k"]));
    t.push(b.cmd(&["FLUSHALL"]));
    t.push(drain(&mut r));
    // The redirect client writes the key itself: the push comes first.
    t.push(a.cmd(&["GET", "k"]));
    t.push(pipeline(&mut r, &[&["SET", "k", "2"]], 2));
    // Two clients redirecting to the same connection.
    let mut a2 = srv.raw();
    t.push(a2.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]));
    t.push(a.cmd(&["GET", "k1"]));
    t.push(a2.cmd(&["GET", "k2"]));
    t.push(b.cmd(&["MSET", "k1", "1", "k2", "2"]));
    t.push(drain(&mut r));
    t
}

#[test]
fn redirect_to_a_resp3_client() {
    let t = both(redirect);
    assert_eq!(t[3], inv(&["k"]));
    assert_eq!(t[6], b">2\r\n$10\r\ninvalidate\r\n$-1\r\n");
    assert_eq!(t[8], [inv(&["k"]), b"+OK\r\n".to_vec()].concat());
    assert_eq!(t[13], [inv(&["k1"]), inv(&["k2"])].concat());
}

/// A RESP2 redirect client gets invalidations as `__redis__:invalidate`
/// messages only while it is subscribed to something (any channel).
fn redirect_resp2(srv: &TestServer) -> Vec<Vec<u8>> {
    let mut a = srv.raw();
    let mut r = srv.raw();
    let mut b = srv.raw();
    let rid = id_of(&mut r);
    let mut t = Vec::new();
    t.push(a.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]));
    t.push(a.cmd(&["GET", "k"]));
    t.push(b.cmd(&["SET", "k", "1"]));
    // Not subscribed: nothing came before the SUBSCRIBE reply.
    t.push(r.cmd(&["SUBSCRIBE", "foo"]));
    t.push(a.cmd(&["GET", "k"]));
    t.push(b.cmd(&["SET", "k", "2"]));
    t.push(r.read_reply().raw);
    t.push(b.cmd(&["PUBLISH", "foo", "x"]));
    t.push(r.read_reply().raw);
    t
}

#[test]
fn redirect_to_a_resp2_subscriber() {
    let t = both(redirect_resp2);
    assert_eq!(t[3], b"*3\r\n$9\r\nsubscribe\r\n$3\r\nfoo\r\n:1\r\n");
    assert_eq!(
        t[6],
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"
    );
    assert_eq!(t[8], b"*3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$1\r\nx\r\n");
}

#[test]
fn broken_redirect_is_reported() {
    let srv = TestServer::start();
    let mut a = resp3(&srv);
    let mut r = srv.raw();
    let mut b = srv.raw();
    let rid = id_of(&mut r);
    assert_eq!(
        a.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]),
        b"+OK\r\n"
    );
    a.cmd(&["GET", "k"]);
    assert_eq!(r.cmd(&["QUIT"]), b"+OK\r\n");
    assert!(wait_until(Duration::from_secs(5), || {
        let list = b.cmd(&["CLIENT", "LIST"]);
        !String::from_utf8_lossy(&list).contains(&format!("id={} ", rid))
    }));
    b.cmd(&["SET", "k", "1"]);
    let broken = format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{}\r\n", rid).into_bytes();
    assert_eq!(drain(&mut a), broken);
    let info = a.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert!(String::from_utf8_lossy(&info).contains("broken_redirect"));
    let me = String::from_utf8_lossy(&a.cmd(&["CLIENT", "INFO"])).into_owned();
    assert!(
        me.contains(" flags=tR ") && me.contains(&format!(" redir={} ", rid)),
        "{}",
        me
    );
    assert_eq!(
        a.cmd(&["CLIENT", "GETREDIR"]),
        format!(":{}\r\n", rid).into_bytes()
    );
}

fn bcast(srv: &TestServer) -> Vec<Vec<u8>> {
    let mut a = resp3(srv);
    let mut b = srv.raw();
    let mut t = Vec::new();
    t.push(a.cmd(&[
        "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:", "PREFIX", "b:",
    ]));
    // One write batch: one message per prefix, keys sorted and unique.
    t.push(pipeline(
        &mut b,
        &[
            &["SET", "b:2", "1"],
            &["SET", "a:2", "1"],
            &["SET", "a:1", "1"],
            &["DEL", "a:1"],
            &["SET", "c:1", "1"],
            &["SET", "b:1", "1"],
        ],
        6,
    ));
    t.push(drain(&mut a));
    // Own writes: the messages follow every reply of the batch.
    t.push(pipeline(
        &mut a,
        &[&["SET", "a:9", "1"], &["GET", "a:9"], &["SET", "a:8", "1"]],
        4,
    ));
    // Adding a prefix; overlapping ones are refused.
    t.push(a.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c:"]));
    t.push(a.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c"]));
    t.push(b.cmd(&["INCR", "c:1"]));
    t.push(drain(&mut a));
    t.push(a.cmd(&["CLIENT", "TRACKINGINFO"]));
    // NOLOOP: own writes are left out, others' still come.
    t.push(a.cmd(&["CLIENT", "TRACKING", "off"]));
    t.push(a.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"]));
    t.push(a.cmd(&["SET", "mine", "1"]));
    t.push(b.cmd(&["SET", "theirs", "1"]));
    t.push(drain(&mut a));
    // ...but a key of ours that expires lazily is reported.
    t.push(pipeline(
        &mut a,
        &[
            &["SET", "q", "1", "PX", "1"],
            &["DEBUG", "SLEEP", "0.01"],
            &["GET", "q"],
        ],
        4,
    ));
    // Switching from default tracking to BCAST drops the old keys.
    t.push(a.cmd(&["CLIENT", "TRACKING", "off"]));
    t.push(a.cmd(&["CLIENT", "TRACKING", "on"]));
    t.push(a.cmd(&["GET", "old"]));
    t.push(a.cmd(&["CLIENT", "TRACKING", "off"]));
    t.push(a.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x"]));
    t.push(b.cmd(&["SET", "old", "1"]));
    t.push(drain(&mut a));
    t
}

#[test]
fn bcast_prefixes_and_noloop() {
    let t = both(bcast);
    assert_eq!(t[2], [inv(&["a:1", "a:2"]), inv(&["b:1", "b:2"])].concat());
    assert_eq!(
        t[3],
        [b"+OK\r\n$1\r\n1\r\n+OK\r\n".to_vec(), inv(&["a:8", "a:9"])].concat()
    );
    assert_eq!(
        t[5],
        b"-ERR Prefix 'c' overlaps with an existing prefix 'c:'. Prefixes for a single client must not overlap.\r\n"
    );
    assert_eq!(t[7], inv(&["c:1"]));
    assert_eq!(t[13], inv(&["theirs"]));
    assert_eq!(
        t[14],
        [b"+OK\r\n+OK\r\n_\r\n".to_vec(), inv(&["q"])].concat()
    );
    assert_eq!(t[21], b"");
}

fn opt_modes(srv: &TestServer) -> Vec<Vec<u8>> {
    let mut a = resp3(srv);
    let mut b = srv.raw();
    let mut t = Vec::new();
    t.push(a.cmd(&["CLIENT", "TRACKING", "on", "OPTIN"]));
    t.push(a.cmd(&["GET", "o1"]));
    t.push(a.cmd(&["CLIENT", "CACHING", "yes"]));
    t.push(a.cmd(&["GET", "o2"]));
    t.push(a.cmd(&["GET", "o3"]));
    t.push(b.cmd(&["MSET", "o1", "1", "o2", "1", "o3", "1"]));
    t.push(drain(&mut a));
    t.push(pipeline(
        &mut a,
        &[
            &["CLIENT", "CACHING", "yes"],
            &["MULTI"],
            &["GET", "o4"],
            &["GET", "o5"],
            &["EXEC"],
        ],
        5,
    ));
    t.push(b.cmd(&["MSET", "o4", "1", "o5", "1"]));
    t.push(drain(&mut a));
    t.push(a.cmd(&["CLIENT", "TRACKING", "off"]));
    t.push(a.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT", "NOLOOP"]));
    t.push(a.cmd(&["CLIENT", "CACHING", "no"]));
    t.push(a.cmd(&["CLIENT", "TRACKINGINFO"]));
    t.push(a.cmd(&["GET", "p1"]));
    t.push(a.cmd(&["GET", "p2"]));
    t.push(a.cmd(&["GET", "p3"]));
    t.push(a.cmd(&["SET", "p3", "mine"]));
    t.push(b.cmd(&["MSET", "p1", "1", "p2", "1"]));
    t.push(drain(&mut a));
    t
}

#[test]
fn optin_optout_caching() {
    let t = both(opt_modes);
    assert_eq!(t[6], inv(&["o2"]));
    assert_eq!(t[9], [inv(&["o4"]), inv(&["o5"])].concat());
    assert_eq!(t[19], inv(&["p2"]));
}

#[test]
fn expiry_blocked_clients_and_table_limit() {
    let srv = TestServer::start();
    let mut a = resp3(&srv);
    let mut b = srv.raw();
    assert_eq!(a.cmd(&["CLIENT", "TRACKING", "on"]), b"+OK\r\n");
    // Active expiry invalidates.
    b.cmd(&["SET", "e", "1", "PX", "300"]);
    a.cmd(&["GET", "e"]);
    assert_eq!(a.read_reply().raw, inv(&["e"]));
    // A client unblocked by our write: its reply, then its invalidation.
    let mut c = resp3(&srv);
    c.cmd(&["CLIENT", "TRACKING", "on"]);
    b.cmd(&["RPUSH", "l2", "a"]);
    c.cmd(&["LRANGE", "l2", "0", "-1"]);
    c.send_cmd(&["BLMOVE", "l1", "l2", "LEFT", "LEFT", "0"]);
    assert!(wait_until(Duration::from_secs(5), || {
        String::from_utf8_lossy(&b.cmd(&["INFO", "clients"])).contains("blocked_clients:1")
    }));
    b.cmd(&["RPUSH", "l1", "foo"]);
    assert_eq!(c.read_reply().raw, b"$3\r\nfoo\r\n");
    assert_eq!(c.read_reply().raw, inv(&["l2"]));
    // tracking-table-max-keys: keys over the limit are invalidated.
    a.cmd(&["MGET", "m1", "m2", "m3", "m4", "m5"]);
    let info = String::from_utf8_lossy(&b.cmd(&["INFO", "stats"])).into_owned();
    assert!(info.contains("tracking_total_keys:5\r\n"), "{}", info);
    assert!(info.contains("tracking_total_items:5\r\n"), "{}", info);
    b.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "2"]);
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(a.read_reply().raw);
    }
    for g in &got {
        assert!(g.starts_with(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nm"));
    }
    let info = String::from_utf8_lossy(&b.cmd(&["INFO", "stats"])).into_owned();
    assert!(info.contains("tracking_total_keys:2\r\n"), "{}", info);
    let clients = String::from_utf8_lossy(&b.cmd(&["INFO", "clients"])).into_owned();
    assert!(clients.contains("tracking_clients:2\r\n"), "{}", clients);
    // Disconnecting clients stop tracking.
    drop(a);
    drop(c);
    assert!(wait_until(Duration::from_secs(5), || {
        String::from_utf8_lossy(&b.cmd(&["INFO", "clients"])).contains("tracking_clients:0\r\n")
    }));
    thread::sleep(Duration::from_millis(10));
    assert_eq!(b.cmd(&["SET", "m1", "x"]), b"+OK\r\n");
}

#[test]
fn a_client_that_does_not_read_its_invalidations_is_disconnected() {
    let srv = TestServer::with_args(&["--client-output-buffer-limit", "normal 1mb 0 0"]);
    let mut a = resp3(&srv);
    let mut b = srv.raw();
    assert_eq!(a.cmd(&["CLIENT", "TRACKING", "on", "BCAST"]), b"+OK\r\n");
    // One broadcast of ~2 MB of key names overflows the 1 MB hard limit.
    let pad = "x".repeat(1000);
    let mut args: Vec<String> = vec!["MSET".into()];
    for i in 0..2000 {
        args.push(format!("{}{}", pad, i));
        args.push("v".into());
    }
    assert_eq!(b.cmd(&args), b"+OK\r\n");
    assert!(wait_until(Duration::from_secs(5), || {
        let info = String::from_utf8_lossy(&b.cmd(&["INFO", "stats"])).into_owned();
        info.contains("client_output_buffer_limit_disconnections:1\r\n")
    }));
    let clients = String::from_utf8_lossy(&b.cmd(&["INFO", "clients"])).into_owned();
    assert!(clients.contains("tracking_clients:0\r\n"), "{}", clients);
}
