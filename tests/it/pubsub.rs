//! Pub/Sub over real sockets: message order and no loss with 100k
//! messages, pattern subscriptions (with the `redis` crate), RESP3 pushes,
//! the RESP2 subscribed context, cleanup on disconnect, CLIENT LIST
//! fields, and a slow subscriber disconnected by
//! `client-output-buffer-limit pubsub` while the publisher and another
//! subscriber keep going.

use std::time::Duration;

use crate::common::{encode_command, wait_until, Frame, RawConn, TestServer};

/// The elements of a message frame as byte strings.
fn parts(f: &Frame) -> Vec<Vec<u8>> {
    f.children
        .iter()
        .map(|c| c.body.clone().unwrap_or_else(|| c.line.clone()))
        .collect()
}

fn info_field(c: &mut RawConn, section: &str, field: &str) -> String {
    let f = c.cmd_frame(&["INFO", section]);
    let text = String::from_utf8_lossy(f.body.as_deref().unwrap_or_default()).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", field)))
        .unwrap_or("")
        .to_string()
}

#[test]
fn messages_arrive_in_order_none_lost_100k() {
    let srv = TestServer::start();
    let mut sub = srv.raw();
    assert_eq!(
        sub.cmd(&["SUBSCRIBE", "ch"]),
        b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    let mut publisher = srv.raw();
    const N: usize = 100_000;
    let reader = std::thread::spawn(move || {
        for i in 0..N {
            let f = sub.read_reply();
            let p = parts(&f);
            assert_eq!(p[0], b"message");
            assert_eq!(p[1], b"ch");
            assert_eq!(p[2], format!("m{}", i).into_bytes(), "message {}", i);
        }
        sub
    });
    for batch in 0..(N / 1000) {
        let mut buf = Vec::new();
        for i in batch * 1000..(batch + 1) * 1000 {
            buf.extend_from_slice(&encode_command(&["PUBLISH", "ch", &format!("m{}", i)]));
        }
        publisher.send(&buf);
        for _ in 0..1000 {
            assert_eq!(publisher.read_reply().raw, b":1\r\n");
        }
    }
    let mut sub = reader
        .join()
        .expect("subscriber saw every message in order");
    assert_eq!(sub.cmd(&["PING"]), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

#[test]
fn pattern_and_channel_subscriptions_with_a_real_client() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut ps = c.as_pubsub();
    ps.psubscribe("news.*").expect("psubscribe");
    ps.subscribe("news.art").expect("subscribe");
    ps.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut p = srv.client();
    let n: i64 = redis::cmd("PUBLISH")
        .arg("news.art")
        .arg("hello")
        .query(&mut p)
        .expect("publish");
    assert_eq!(n, 2);
    let n: i64 = redis::cmd("PUBLISH")
        .arg("sport")
        .arg("x")
        .query(&mut p)
        .expect("publish");
    assert_eq!(n, 0);
    let n: i64 = redis::cmd("PUBLISH")
        .arg("news.tech")
        .arg("world")
        .query(&mut p)
        .expect("publish");
    assert_eq!(n, 1);
    let mut got = Vec::new();
    for _ in 0..3 {
        let m = ps.get_message().expect("message");
        let pattern: Option<String> = m.get_pattern().ok();
        got.push((
            m.get_channel_name().to_string(),
            m.get_payload::<String>().expect("payload"),
            pattern,
        ));
    }
    // Redis delivers channel subscribers first, then pattern matches.
    assert_eq!(
        got,
        vec![
            ("news.art".into(), "hello".into(), None),
            ("news.art".into(), "hello".into(), Some("news.*".into())),
            ("news.tech".into(), "world".into(), Some("news.*".into())),
        ]
    );
    let numpat: i64 = redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query(&mut p)
        .expect("numpat");
    assert_eq!(numpat, 1);
}

#[test]
fn resp3_pushes_and_commands_while_subscribed() {
    let srv = TestServer::start();
    let mut sub = srv.raw();
    sub.cmd(&["HELLO", "3"]);
    assert_eq!(
        sub.cmd(&["SUBSCRIBE", "a"]),
        b">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
    );
    assert_eq!(sub.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    let mut p = srv.raw();
    assert_eq!(p.cmd(&["PUBLISH", "a", "hi"]), b":1\r\n");
    assert_eq!(
        sub.read_reply().raw,
        b">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
    );
    // Its own PUBLISH: the push comes before the reply, as in Redis 7.0.
    sub.send_cmd(&["PUBLISH", "a", "self"]);
    assert_eq!(
        sub.read_reply().raw,
        b">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$4\r\nself\r\n"
    );
    assert_eq!(sub.read_reply().raw, b":1\r\n");
    assert_eq!(sub.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
}

#[test]
fn resp2_subscribed_context_refuses_other_commands() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    c.cmd(&["PSUBSCRIBE", "x*"]);
    assert_eq!(
        c.cmd(&["GET", "k"]),
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n".to_vec()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "port"]),
        b"-ERR Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n".to_vec()
    );
    assert_eq!(c.cmd(&["PING", "x"]), b"*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
    assert_eq!(c.cmd(&["RESET"]), b"+RESET\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), b"$-1\r\n");
    c.cmd(&["SUBSCRIBE", "y"]);
    assert_eq!(c.cmd(&["QUIT"]), b"+OK\r\n");
    c.expect_closed();
}

#[test]
fn disconnect_leaves_no_subscription_behind() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    {
        let mut a = srv.raw();
        a.send(&encode_command(&["SUBSCRIBE", "c1", "c2"]));
        a.read_reply();
        a.read_reply();
        a.cmd(&["PSUBSCRIBE", "p*"]);
        a.cmd(&["SSUBSCRIBE", "s1"]);
        let mut b = srv.raw();
        b.cmd(&["SUBSCRIBE", "c1"]);
        assert_eq!(
            admin.cmd(&["PUBSUB", "NUMSUB", "c1", "c2"]),
            b"*4\r\n$2\r\nc1\r\n:2\r\n$2\r\nc2\r\n:1\r\n"
        );
        let list =
            String::from_utf8_lossy(&admin.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"])).into_owned();
        assert!(
            list.contains("flags=P db=0 sub=2 psub=1 ssub=1 "),
            "{}",
            list
        );
        assert!(
            list.contains("flags=P db=0 sub=1 psub=0 ssub=0 "),
            "{}",
            list
        );
        assert_eq!(info_field(&mut admin, "stats", "pubsub_channels"), "2");
        assert_eq!(info_field(&mut admin, "stats", "pubsub_patterns"), "1");
        assert_eq!(info_field(&mut admin, "stats", "pubsubshard_channels"), "1");
    }
    let ok = wait_until(Duration::from_secs(5), || {
        admin.cmd(&["PUBSUB", "NUMSUB", "c1", "c2"])
            == b"*4\r\n$2\r\nc1\r\n:0\r\n$2\r\nc2\r\n:0\r\n"
    });
    assert!(ok, "subscriptions of closed clients were dropped");
    assert_eq!(admin.cmd(&["PUBSUB", "NUMPAT"]), b":0\r\n");
    assert_eq!(admin.cmd(&["PUBSUB", "SHARDCHANNELS"]), b"*0\r\n");
    assert_eq!(admin.cmd(&["PUBLISH", "c1", "x"]), b":0\r\n");
    assert_eq!(info_field(&mut admin, "stats", "pubsub_channels"), "0");
}

#[test]
fn slow_subscriber_is_disconnected_while_others_keep_going() {
    let srv = TestServer::with_args(&["--client-output-buffer-limit", "pubsub 1mb 256kb 60"]);
    let mut slow = srv.raw();
    slow.cmd(&["SUBSCRIBE", "ch"]);
    let mut fast = srv.raw();
    fast.cmd(&["SUBSCRIBE", "ch"]);
    let mut publisher = srv.raw();
    const N: usize = 20_000;
    let payload = "x".repeat(1000);
    let reader = std::thread::spawn(move || {
        for i in 0..N {
            let f = fast.read_reply();
            let p = parts(&f);
            assert_eq!(p[2].len(), 1000 + i.to_string().len(), "message {}", i);
        }
        fast
    });
    let mut receivers = Vec::new();
    for batch in 0..(N / 100) {
        let mut buf = Vec::new();
        for i in batch * 100..(batch + 1) * 100 {
            buf.extend_from_slice(&encode_command(&[
                "PUBLISH",
                "ch",
                &format!("{}{}", payload, i),
            ]));
        }
        publisher.send(&buf);
        for _ in 0..100 {
            receivers.push(publisher.read_reply().raw);
        }
    }
    let _fast = reader
        .join()
        .expect("the fast subscriber got every message");
    assert_eq!(
        receivers.first().map(|r| r.as_slice()),
        Some(&b":2\r\n"[..])
    );
    assert_eq!(receivers.last().map(|r| r.as_slice()), Some(&b":1\r\n"[..]));
    assert!(
        srv.wait_for_log(
            "scheduled to be closed ASAP for overcoming of output buffer limits.",
            Duration::from_secs(5)
        ),
        "{}",
        srv.log()
    );
    assert!(
        srv.log().contains("flags=P db=0 sub=1 psub=0 ssub=0"),
        "{}",
        srv.log()
    );
    // The slow one gets what the kernel had taken, then end of stream.
    slow.stream()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let got = slow.read_to_end().expect("read until closed");
    assert!(got.len() < N * 1000, "got {} bytes", got.len());
    assert_eq!(
        info_field(
            &mut publisher,
            "stats",
            "client_output_buffer_limit_disconnections"
        ),
        "1"
    );
    assert_eq!(
        publisher.cmd(&["PUBSUB", "NUMSUB", "ch"]),
        b"*2\r\n$2\r\nch\r\n:1\r\n"
    );
}

#[test]
fn soft_limit_closes_a_subscriber_over_it_for_soft_seconds() {
    let srv = TestServer::with_args(&["--client-output-buffer-limit", "pubsub 0 256kb 1"]);
    let mut slow = srv.raw();
    slow.cmd(&["SUBSCRIBE", "ch"]);
    let mut publisher = srv.raw();
    let payload = "y".repeat(10_000);
    // Enough to fill the socket buffers and keep well over 256kb queued.
    let burst = |p: &mut RawConn, n: usize| {
        let mut buf = Vec::new();
        for _ in 0..n {
            buf.extend_from_slice(&encode_command(&["PUBLISH", "ch", &payload]));
        }
        p.send(&buf);
        (0..n).map(|_| p.read_reply().raw).collect::<Vec<_>>()
    };
    let first = burst(&mut publisher, 2000);
    assert!(first.iter().all(|r| r == b":1\r\n"));
    // Over the soft limit, but not for a second yet: still subscribed.
    assert_eq!(
        publisher.cmd(&["PUBSUB", "NUMSUB", "ch"]),
        b"*2\r\n$2\r\nch\r\n:1\r\n"
    );
    std::thread::sleep(Duration::from_millis(1200));
    // The next message finds it over the soft limit for over a second.
    burst(&mut publisher, 1);
    assert!(wait_until(Duration::from_secs(5), || {
        publisher.cmd(&["PUBSUB", "NUMSUB", "ch"]) == b"*2\r\n$2\r\nch\r\n:0\r\n"
    }));
    assert!(srv
        .log()
        .contains("scheduled to be closed ASAP for overcoming of output buffer limits."));
}
